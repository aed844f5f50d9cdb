//! Lundberg, Erion & Lee's Algorithm 2 as LightGBM's `Tree::TreeSHAP` writes it: O(L·D²) per
//! row. Kept as the tests' reference and as the "before" of the speed tests.

use super::PathTree;

/// One step of a path (Algorithm 2, kept as the tests' reference): a feature met on it, the share of covers kept when it is left out
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
