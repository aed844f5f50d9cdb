//! Exact SHAP values of a decision tree in polynomial time (TreeSHAP), shared by the
//! boosted trees and the random forest.
//!
//! Maths: the Shapley value of feature i for a model f at a row x is
//! `φᵢ = Σ_{S ⊆ F∖{i}} |S|!(d − |S| − 1)!/d! · (v(S ∪ {i}) − v(S))`, with the "path-dependent"
//! value `v(S) = E[f(x) | x_S]` read off the tree itself: at a split on a feature in S the
//! row's own branch is followed, at any other split the children are averaged, weighted by
//! the training rows that reached them (their *cover*). The values sum to
//! `f(x) − v(∅)`, and `v(∅)`, the cover-weighted mean of the leaves, is the expected value
//! reported last.
//!
//! Enumerating the subsets costs 2^d; Algorithm 2 of the reference instead walks each
//! root-to-leaf path once, keeping for the distinct features met so far the weights of all
//! subset sizes at once (`extend`), and removing a feature again (`unwind`) when a path
//! splits on it a second time, so a tree of L leaves and depth D costs O(L·D²) per row.
//! The code follows LightGBM's `Tree::TreeSHAP` (`src/io/tree.cpp`, used by
//! `predict(..., pred_contrib=True)`), which weighs children by training row counts.
//!
//! Reference: S. M. Lundberg, G. G. Erion, S.-I. Lee, "Consistent individualized feature
//! attribution for tree ensembles", arXiv:1802.03888 (2018), Algorithm 2.

/// What TreeSHAP needs of a tree. Nodes are numbered by the tree; a node is a leaf or
/// splits on one feature into two children.
pub(crate) trait PathTree {
    /// What the tree routes: raw feature values, or their bins.
    type Row: ?Sized;

    /// The root's number.
    fn root(&self) -> usize;

    /// `(feature, left, right)` of a split node; `None` for a leaf.
    fn split(&self, node: usize) -> Option<(usize, usize, usize)>;

    /// Training rows (or their total weight) that reached the node.
    fn cover(&self, node: usize) -> f64;

    /// The prediction of a leaf.
    fn leaf_value(&self, node: usize) -> f64;

    /// Whether `row` goes to the left child of split node `node` (missing values included).
    fn goes_left(&self, node: usize, row: &Self::Row) -> bool;
}

/// `v(∅)`: the cover-weighted mean of the leaves.
pub(crate) fn expected_value<T: PathTree>(tree: &T) -> f64 {
    fn mean<T: PathTree>(tree: &T, node: usize) -> f64 {
        match tree.split(node) {
            None => tree.leaf_value(node),
            Some((_, l, r)) => {
                let (cl, cr) = (tree.cover(l), tree.cover(r));
                (cl * mean(tree, l) + cr * mean(tree, r)) / (cl + cr)
            }
        }
    }
    mean(tree, tree.root())
}

/// One step of a path: a feature met on it, the share of covers kept when it is left out
/// (`zero`) and whether the row goes this way when it is in (`one`), and the weight of the
/// subsets of the path's size at this position.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathElement {
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

/// The feature number of the empty first step of every path.
const NO_FEATURE: usize = usize::MAX;

/// Adds the SHAP values of `row` under `tree` to `phi`, indexed by feature (the expected
/// value, [`expected_value`], is the caller's to add). `path` is scratch space, reused
/// between calls.
pub(crate) fn add_shap<T: PathTree>(
    tree: &T,
    row: &T::Row,
    phi: &mut [f64],
    path: &mut Vec<PathElement>,
) {
    if tree.split(tree.root()).is_some() {
        let mut walk = Walk {
            tree,
            row,
            phi,
            path,
        };
        walk.recurse(tree.root(), 0, 0, 1.0, 1.0, NO_FEATURE);
    }
}

struct Walk<'a, T: PathTree + ?Sized> {
    tree: &'a T,
    row: &'a T::Row,
    phi: &'a mut [f64],
    /// The paths of the recursion one after another: the path at depth k starts where its
    /// parent's ends, so a child copies and extends without touching its parent's.
    path: &'a mut Vec<PathElement>,
}

impl<T: PathTree + ?Sized> Walk<'_, T> {
    /// LightGBM's `TreeSHAP`: `parent` is where the parent's path (of `depth` elements)
    /// starts; this node's path, `depth + 1` elements, starts right after it.
    fn recurse(
        &mut self,
        node: usize,
        parent: usize,
        depth: usize,
        zero: f64,
        one: f64,
        feature: usize,
    ) {
        let start = parent + depth;
        if self.path.len() < start + depth + 1 {
            self.path.resize(start + depth + 1, PathElement::default());
        }
        self.path.copy_within(parent..parent + depth, start);
        let path = &mut self.path[start..=start + depth];
        extend(path, depth, zero, one, feature);
        let Some((split_feature, left, right)) = self.tree.split(node) else {
            let value = self.tree.leaf_value(node);
            for i in 1..=depth {
                let w = unwound_sum(path, depth, i);
                let e = path[i];
                self.phi[e.feature] += w * (e.one - e.zero) * value;
            }
            return;
        };
        let (hot, cold) = if self.tree.goes_left(node, self.row) {
            (left, right)
        } else {
            (right, left)
        };
        let cover = self.tree.cover(node);
        let hot_zero = self.tree.cover(hot) / cover;
        let cold_zero = self.tree.cover(cold) / cover;
        // A feature split on before is taken out of the path and put back with this
        // node's fractions multiplied in.
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        let mut depth = depth;
        if let Some(k) = path.iter().position(|e| e.feature == split_feature) {
            incoming_zero = path[k].zero;
            incoming_one = path[k].one;
            unwind(path, depth, k);
            depth -= 1;
        }
        self.recurse(
            hot,
            start,
            depth + 1,
            hot_zero * incoming_zero,
            incoming_one,
            split_feature,
        );
        self.recurse(
            cold,
            start,
            depth + 1,
            cold_zero * incoming_zero,
            0.0,
            split_feature,
        );
    }
}

/// Adds a feature with fractions `zero`, `one` as element `depth` of `path`, updating the
/// weights of every subset size.
fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: usize) {
    path[depth] = PathElement {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let n = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / n;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 / n;
    }
}

/// Undoes [`extend`] of element `index` of a path of `depth + 1` elements.
fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let PathElement { one, zero, .. } = path[index];
    let n = (depth + 1) as f64;
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let w = path[i].weight;
            path[i].weight = next * n / ((i + 1) as f64 * one);
            next = w - path[i].weight * zero * (depth - i) as f64 / n;
        } else {
            path[i].weight = path[i].weight * n / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

/// The total weight the path would have with element `index` unwound, without unwinding.
fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let PathElement { one, zero, .. } = path[index];
    let n = (depth + 1) as f64;
    let mut next = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let w = next * n / ((i + 1) as f64 * one);
            total += w;
            next = path[i].weight - w * zero * ((depth - i) as f64 / n);
        } else {
            total += (path[i].weight / zero) / ((depth - i) as f64 / n);
        }
    }
    total
}

/// Exact path-dependent Shapley values by enumerating all 2^d subsets: for tests.
/// Per row of `trees` (summed, each scaled by `scale`): d values then `v(∅)`.
#[cfg(test)]
pub(crate) fn brute_force_shap<T: PathTree>(
    trees: &[T],
    row: &T::Row,
    d: usize,
    scale: f64,
) -> Vec<f64> {
    fn conditional<T: PathTree>(tree: &T, row: &T::Row, node: usize, set: u32) -> f64 {
        match tree.split(node) {
            None => tree.leaf_value(node),
            Some((f, l, r)) => {
                if set & (1 << f) != 0 {
                    let next = if tree.goes_left(node, row) { l } else { r };
                    conditional(tree, row, next, set)
                } else {
                    let (cl, cr) = (tree.cover(l), tree.cover(r));
                    (cl * conditional(tree, row, l, set) + cr * conditional(tree, row, r, set))
                        / tree.cover(node)
                }
            }
        }
    }
    let v = |set: u32| -> f64 {
        trees
            .iter()
            .map(|t| conditional(t, row, t.root(), set))
            .sum::<f64>()
            * scale
    };
    let factorial = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
    let mut phi = vec![0.0; d + 1];
    for (i, p) in phi.iter_mut().enumerate().take(d) {
        for set in 0..(1u32 << d) {
            if set & (1 << i) != 0 {
                continue;
            }
            let s = set.count_ones() as usize;
            let weight = factorial(s) * factorial(d - s - 1) / factorial(d);
            *p += weight * (v(set | (1 << i)) - v(set));
        }
    }
    phi[d] = v(0);
    phi
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree on raw values: `(feature, threshold, left, right, cover)` or a leaf
    /// `(value, cover)`; `x <= threshold` goes left.
    enum Toy {
        Split(usize, f64, usize, usize, f64),
        Leaf(f64, f64),
    }

    impl PathTree for Vec<Toy> {
        type Row = [f64];
        fn root(&self) -> usize {
            0
        }
        fn split(&self, node: usize) -> Option<(usize, usize, usize)> {
            match self[node] {
                Toy::Split(f, _, l, r, _) => Some((f, l, r)),
                Toy::Leaf(..) => None,
            }
        }
        fn cover(&self, node: usize) -> f64 {
            match self[node] {
                Toy::Split(.., c) | Toy::Leaf(_, c) => c,
            }
        }
        fn leaf_value(&self, node: usize) -> f64 {
            match self[node] {
                Toy::Leaf(v, _) => v,
                Toy::Split(..) => f64::NAN,
            }
        }
        fn goes_left(&self, node: usize, row: &[f64]) -> bool {
            match self[node] {
                Toy::Split(f, t, ..) => row[f] <= t,
                Toy::Leaf(..) => true,
            }
        }
    }

    fn shap(tree: &Vec<Toy>, row: &[f64], d: usize) -> Vec<f64> {
        let mut phi = vec![0.0; d + 1];
        add_shap(tree, row, &mut phi[..d], &mut Vec::new());
        phi[d] = expected_value(tree);
        phi
    }

    #[test]
    fn a_stump_gives_its_feature_the_difference_from_the_mean() {
        // By hand: leaves 1 (cover 3) and 5 (cover 1), mean 2; a row going right gets
        // φ₀ = 5 − 2 = 3, the other feature 0.
        let tree = vec![
            Toy::Split(0, 0.5, 1, 2, 4.0),
            Toy::Leaf(1.0, 3.0),
            Toy::Leaf(5.0, 1.0),
        ];
        assert_eq!(shap(&tree, &[1.0, 7.0], 2), [3.0, 0.0, 2.0]);
        assert_eq!(shap(&tree, &[0.0, 7.0], 2), [-1.0, 0.0, 2.0]);
    }

    #[test]
    fn repeated_features_match_brute_force() {
        // Feature 0 split twice on one path, feature 2 never: the unwinding of a repeated
        // feature against the exhaustive sum over subsets, to 1e-12.
        let tree = vec![
            Toy::Split(0, 0.5, 1, 2, 10.0),
            Toy::Split(1, 0.5, 3, 4, 6.0),
            Toy::Split(0, 1.5, 5, 6, 4.0),
            Toy::Leaf(1.0, 2.0),
            Toy::Split(0, 0.2, 7, 8, 4.0),
            Toy::Leaf(-3.0, 1.0),
            Toy::Split(1, 1.5, 9, 10, 3.0),
            Toy::Leaf(2.5, 3.0),
            Toy::Leaf(4.0, 1.0),
            Toy::Leaf(0.5, 2.0),
            Toy::Leaf(7.0, 1.0),
        ];
        for row in [
            [0.0, 0.0, 0.0],
            [0.3, 1.0, 9.0],
            [1.0, 0.0, 0.0],
            [2.0, 2.0, 1.0],
            [2.0, 1.0, 1.0],
        ] {
            let fast = shap(&tree, &row, 3);
            let slow = brute_force_shap(std::slice::from_ref(&tree), &row[..], 3, 1.0);
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-12, "{row:?}: {fast:?} vs {slow:?}");
            }
            assert_eq!(fast[2], 0.0, "an unused feature gets nothing");
        }
    }
}
