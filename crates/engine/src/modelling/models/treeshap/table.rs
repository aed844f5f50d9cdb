//! Tables per leaf, the precomputation of Fast TreeSHAP v2 (J. Yang, "Fast TreeSHAP:
//! Accelerating SHAP Value Computation for Trees", arXiv:2109.09847, 2021) in this module's
//! terms: a row enters a leaf's product game only through the set P of the leaf's D
//! distinct features whose splits it follows, so `H(P) = Π_{k∉P} z_k · ∫₀¹ Π_{k∈P}
//! (z_k + t·(1 − z_k)) · (1 − t)^{D−|P|−1} dt` is computed once for every P. Then a
//! feature i outside P gets `−value · H(P)`, one inside gets
//! `value · (1 − z_i)/z_i · H(P ∖ {i})`, and a row costs one pass over each leaf's path.

use super::{PathTree, Quadrature};

/// One leaf's part, its features and table kept in the plan's shared arrays.
struct Leaf {
    /// The leaf's slot (below).
    slot: usize,
    /// Where its features start in [`TablePlan::features`] (one per bit).
    features: usize,
    /// How many distinct features its path has.
    bits: usize,
    /// Where its table starts in [`TablePlan::tables`] (2^bits entries).
    table: usize,
}

/// A split node: the tree's node, its slot and its children's slots, and the bit of its
/// feature. Slots number the tree's nodes in the plan's order, root first.
struct Split {
    node: usize,
    slot: usize,
    children: [usize; 2],
    bit: u8,
}

/// The row-independent part of a tree's explanation by tables.
///
/// A leaf numbers its distinct features in the order they first appear on its path, so
/// two leaves give the same bits to the features of their common path: a row's set of
/// splits it does not follow, as the leaf's bits, is made once per node from the parent's
/// (O(nodes) a row rather than O(leaves · depth)).
pub(crate) struct TablePlan {
    /// The split nodes, each after its parent.
    splits: Vec<Split>,
    leaves: Vec<Leaf>,
    /// Every leaf's features in turn, per bit: the feature and its factors `[−1, (1 − z)/z]`
    /// for a row outside and inside P.
    features: Vec<(usize, [f64; 2])>,
    /// Every leaf's table in turn: `value · H(P)` for every set P of its bits.
    tables: Vec<f64>,
}

impl TablePlan {
    /// For a tree whose leaves' tables fit (2^D entries each) and whose nodes all have cover.
    pub(super) fn new<T: PathTree>(tree: &T, q: &Quadrature) -> Self {
        let mut plan = TablePlan {
            splits: Vec::new(),
            leaves: Vec::new(),
            features: Vec::new(),
            tables: Vec::new(),
        };
        let mut slots = 1;
        let mut path = Path::default();
        plan.collect(tree, q, (tree.root(), 0), &mut slots, &mut path);
        plan
    }

    /// Collects the splits and leaves below `node` (at `slot`); `path` holds the splits
    /// above it; `slots` counts the slots given.
    fn collect<T: PathTree>(
        &mut self,
        tree: &T,
        q: &Quadrature,
        (node, slot): (usize, usize),
        slots: &mut usize,
        path: &mut Path,
    ) {
        let Some((feature, left, right)) = tree.split(node) else {
            let (features, table) = leaf(tree.leaf_value(node), &path.splits, q);
            self.leaves.push(Leaf {
                slot,
                features: self.features.len(),
                bits: features.len(),
                table: self.tables.len(),
            });
            self.features.extend(features);
            self.tables.extend(table);
            return;
        };
        let first = !path.distinct.contains(&feature);
        if first {
            path.distinct.push(feature);
        }
        let bit = path
            .distinct
            .iter()
            .position(|&f| f == feature)
            .unwrap_or(0) as u8;
        let children = [*slots, *slots + 1];
        *slots += 2;
        self.splits.push(Split {
            node,
            slot,
            children,
            bit,
        });
        for (child, child_slot) in [left, right].into_iter().zip(children) {
            let share = tree.cover(child) / tree.cover(node);
            path.splits.push((feature, share));
            self.collect(tree, q, (child, child_slot), slots, path);
            path.splits.pop();
        }
        if first {
            path.distinct.pop();
        }
    }

    /// Adds the SHAP values of `row` under `tree` to `phi`; `masks` is scratch space with a
    /// slot per node.
    pub(super) fn add<T: PathTree>(
        &self,
        tree: &T,
        row: &T::Row,
        phi: &mut [f64],
        masks: &mut [usize],
    ) {
        // Branch-free: which way a row goes is as good as random to the processor.
        masks[0] = 0;
        for split in &self.splits {
            let above = masks[split.slot];
            let goes_left = usize::from(tree.goes_left(split.node, row));
            masks[split.children[0]] = above | ((1 - goes_left) << split.bit);
            masks[split.children[1]] = above | (goes_left << split.bit);
        }
        for leaf in &self.leaves {
            let disagree = masks[leaf.slot];
            let agree = ((1usize << leaf.bits) - 1) & !disagree;
            let features = &self.features[leaf.features..leaf.features + leaf.bits];
            let table = &self.tables[leaf.table..leaf.table + (1 << leaf.bits)];
            for (bit, &(feature, factors)) in features.iter().enumerate() {
                // Inside P: (1 − z)/z · H(P ∖ {i}); outside: −H(P), and P ∖ {i} = P there.
                // The factor is looked up, not branched on: a row is inside or outside at
                // random, and a mispredicted branch cost more than the rest of the sum.
                let inside = (agree >> bit) & 1;
                let value = table[agree & !(1 << bit)];
                phi[feature] += value * factors[inside];
            }
        }
    }
}

/// The splits above a node as `(feature, cover share)`, and their distinct features in the
/// order they first appear (the bits of the leaves below).
#[derive(Default)]
struct Path {
    splits: Vec<(usize, f64)>,
    distinct: Vec<usize>,
}

/// The features (per bit: the feature and its factors `[−1, (1 − z)/z]`) and table of a leaf of `value`
/// reached through `path` (module docs).
fn leaf(value: f64, path: &[(usize, f64)], q: &Quadrature) -> (Vec<(usize, [f64; 2])>, Vec<f64>) {
    // Bits in the order of first appearance, as the splits' bits (`TablePlan::collect`).
    let mut features: Vec<(usize, f64)> = Vec::new();
    for &(feature, share) in path {
        match features.iter().position(|&(f, _)| f == feature) {
            Some(bit) => features[bit].1 *= share,
            None => features.push((feature, share)),
        }
    }
    let d = features.len();
    let n = q.len();
    let size = 1usize << d;
    // Per set P: Π_{k∈P} z_k, and Π_{k∈P} (z_k + t·(1 − z_k)) at each point, built from
    // P without its lowest bit.
    let mut zeros = vec![1.0; size];
    let mut products = vec![1.0; size * n];
    for set in 1..size {
        let k = set.trailing_zeros() as usize;
        let smaller = set & (set - 1);
        let z = features[k].1;
        zeros[set] = zeros[smaller] * z;
        for (j, t) in q.points.iter().enumerate() {
            products[set * n + j] = products[smaller * n + j] * (z + t * (1.0 - z));
        }
    }
    // (1 − t)^e at each point, e < d.
    let mut powers = vec![1.0; d.max(1) * n];
    for e in 1..d {
        for j in 0..n {
            powers[e * n + j] = powers[(e - 1) * n + j] * q.rest[j];
        }
    }
    let full = size - 1;
    let table = (0..size)
        .map(|set| {
            let outside = d - set.count_ones() as usize;
            if outside == 0 {
                return 0.0; // no feature outside P to give it to
            }
            let integral: f64 = (0..n)
                .map(|j| q.weights[j] * products[set * n + j] * powers[(outside - 1) * n + j])
                .sum();
            value * zeros[full ^ set] * integral
        })
        .collect();
    let features = features
        .into_iter()
        .map(|(feature, z)| (feature, [-1.0, (1.0 - z) / z]))
        .collect();
    (features, table)
}
