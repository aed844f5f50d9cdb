//! A fast hash for the reader's dictionaries of cell texts (and the order log's ids): a
//! multiply-rotate hash over 8 bytes at a time, in the style of rustc's FxHash. Not
//! resistant to crafted collisions, which matters for a server taking text from strangers,
//! not for a merchant's own file read on their own machine; std's SipHash took a fifth of
//! the time of reading a log with a million distinct order ids.

use std::hash::{BuildHasherDefault, Hasher};

/// The hasher; see the module.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The state mixed down (murmur3's finaliser): the multiply only carries a difference
    /// upwards, and the table picks buckets by the low bits.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_hash_equal_and_near_texts_apart() {
        let hash = |s: &str| {
            let mut h = FastHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash("O0000001"), hash("O0000001"));
        // Ids that differ in one character, and a text and its prefix padded with zero
        // bytes, hash apart.
        let ids: std::collections::HashSet<u64> =
            (0..100_000).map(|i| hash(&format!("O{i:07}"))).collect();
        assert_eq!(ids.len(), 100_000);
        // The low bits (the table's bucket) of such ids spread out too: ids differing in
        // their last byte land in at least 200 of 256 buckets.
        let low: std::collections::HashSet<u64> = (0..256)
            .map(|i| hash(&format!("O000{i:04}")) & 255)
            .collect();
        assert!(low.len() > 150, "{}", low.len());
        assert_ne!(hash("ab"), hash("ab\0"));
        let mut map: FastMap<String, u32> = FastMap::default();
        map.insert("x".into(), 1);
        assert_eq!(map.get("x"), Some(&1));
    }
}
