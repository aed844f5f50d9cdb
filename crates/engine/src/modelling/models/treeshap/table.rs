//! Tables per leaf, the precomputation of Fast TreeSHAP v2 (J. Yang, "Fast TreeSHAP:
//! Accelerating SHAP Value Computation for Trees", arXiv:2109.09847, 2021) in this module's
//! terms: a row enters a leaf's product game only through the set P of the leaf's D
//! distinct features whose splits it follows, so `H(P) = Π_{k∉P} z_k · ∫₀¹ Π_{k∈P}
//! (z_k + t·(1 − z_k)) · (1 − t)^{D−|P|−1} dt` is computed once for every P. Then a
//! feature i outside P gets `−value · H(P)`, one inside gets
//! `value · (1 − z_i)/z_i · H(P ∖ {i})`, and a row costs one pass over each leaf's path.

use super::{PathTree, Quadrature};

/// One leaf's part.
struct Leaf {
    /// The splits on the way: node, whether the way goes left, and the bit of the feature.
    path: Vec<(usize, bool, u8)>,
    /// Per bit: the feature and its `(1 − z)/z`.
    features: Vec<(usize, f64)>,
    /// `value · H(P)` for every set P of bits.
    table: Vec<f64>,
}

/// The row-independent part of a tree's explanation by tables.
pub(crate) struct TablePlan {
    /// The split nodes, whose directions a row needs.
    splits: Vec<usize>,
    leaves: Vec<Leaf>,
}

impl TablePlan {
    /// For a tree whose leaves' tables fit (2^D entries each) and whose nodes all have cover.
    pub(super) fn new<T: PathTree>(tree: &T, q: &Quadrature) -> Self {
        let mut plan = TablePlan {
            splits: Vec::new(),
            leaves: Vec::new(),
        };
        plan.collect(tree, q, tree.root(), &mut Vec::new());
        plan
    }

    /// Collects the splits and leaves below `node`; `path` holds the splits above it as
    /// `(node, goes left, feature, cover share)`.
    fn collect<T: PathTree>(
        &mut self,
        tree: &T,
        q: &Quadrature,
        node: usize,
        path: &mut Vec<(usize, bool, usize, f64)>,
    ) {
        let Some((feature, left, right)) = tree.split(node) else {
            self.leaves.push(leaf(tree.leaf_value(node), path, q));
            return;
        };
        self.splits.push(node);
        for (child, goes_left) in [(left, true), (right, false)] {
            let share = tree.cover(child) / tree.cover(node);
            path.push((node, goes_left, feature, share));
            self.collect(tree, q, child, path);
            path.pop();
        }
    }

    /// Adds the SHAP values of `row` under `tree` to `phi`; `left` is scratch space indexed by
    /// node.
    pub(super) fn add<T: PathTree>(
        &self,
        tree: &T,
        row: &T::Row,
        phi: &mut [f64],
        left: &mut [bool],
    ) {
        for &node in &self.splits {
            left[node] = tree.goes_left(node, row);
        }
        // Branch-free: which way a row goes is as good as random to the processor.
        for leaf in &self.leaves {
            let mut disagree = 0usize;
            for &(node, goes_left, bit) in &leaf.path {
                disagree |= usize::from(left[node] != goes_left) << bit;
            }
            let agree = ((1usize << leaf.features.len()) - 1) & !disagree;
            for (bit, &(feature, ratio)) in leaf.features.iter().enumerate() {
                // Inside P: ratio · H(P ∖ {i}); outside: −H(P), and P ∖ {i} = P there.
                let inside = agree & (1 << bit) != 0;
                let value = leaf.table[agree & !(1 << bit)];
                phi[feature] += value * if inside { ratio } else { -1.0 };
            }
        }
    }
}

/// A leaf of `value` reached through `path` (module docs).
fn leaf(value: f64, path: &[(usize, bool, usize, f64)], q: &Quadrature) -> Leaf {
    let mut features: Vec<(usize, f64)> = Vec::new();
    let mut steps = Vec::with_capacity(path.len());
    for &(node, goes_left, feature, share) in path {
        let bit = match features.iter().position(|&(f, _)| f == feature) {
            Some(bit) => {
                features[bit].1 *= share;
                bit
            }
            None => {
                features.push((feature, share));
                features.len() - 1
            }
        };
        steps.push((node, goes_left, bit as u8));
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
        .map(|(feature, z)| (feature, (1.0 - z) / z))
        .collect();
    Leaf {
        path: steps,
        features,
        table,
    }
}
