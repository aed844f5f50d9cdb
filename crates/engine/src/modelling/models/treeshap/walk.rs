//! One walk of the tree per row (module docs of [`super`]), with everything that does not
//! depend on the row computed once: each edge's merged zero fraction, and the values of its
//! factor `z + t·(1 − z)` and of their reciprocals at the rule's points.

use super::{PathTree, Quadrature, Scratch};

/// No earlier split on the feature on this path.
const NONE: usize = usize::MAX;

/// Where a feature was last split on the current path: the node the edge led to, and
/// whether the row followed every split on it so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeatureState {
    edge: usize,
    agrees: bool,
}

impl Default for FeatureState {
    fn default() -> Self {
        FeatureState {
            edge: NONE,
            agrees: true,
        }
    }
}

/// The row-independent part of a tree's walk, per edge (numbered by the node it leads to).
pub(crate) struct WalkPlan {
    /// The index of the tree's rule.
    pub(super) rule: usize,
    /// The product of the cover shares of the splits on the parent's feature, from the root
    /// to this edge: the feature's zero fraction below it.
    zero: Vec<f64>,
    /// `1 / zero`.
    inv_zero: Vec<f64>,
    /// Per point: `zero + t·(1 − zero)`, the feature's factor where the row agrees.
    one: Vec<f64>,
    /// Per point: `1 / (zero + t·(1 − zero))`.
    inv_one: Vec<f64>,
    /// Whether a split below this edge is on the same feature again.
    repeats: Vec<bool>,
}

impl WalkPlan {
    pub(super) fn new<T: PathTree>(tree: &T, rule: usize, q: &Quadrature, nodes: usize) -> Self {
        let n = q.len();
        let mut plan = WalkPlan {
            rule,
            zero: vec![1.0; nodes],
            inv_zero: vec![1.0; nodes],
            one: vec![1.0; nodes * n],
            inv_one: vec![1.0; nodes * n],
            repeats: vec![false; nodes],
        };
        plan.prepare(tree, q, tree.root(), &mut Vec::new(), &mut Vec::new());
        plan
    }

    /// Fills the edges below `node`; `zero[f]` is feature f's fraction on the path so far,
    /// `open` the edges on the path (with their features) still waiting to learn whether
    /// their feature repeats.
    fn prepare<T: PathTree>(
        &mut self,
        tree: &T,
        q: &Quadrature,
        node: usize,
        zero: &mut Vec<f64>,
        open: &mut Vec<(usize, usize)>,
    ) {
        let Some((feature, left, right)) = tree.split(node) else {
            return;
        };
        if zero.len() <= feature {
            zero.resize(feature + 1, 1.0);
        }
        for &(edge, f) in open.iter() {
            self.repeats[edge] |= f == feature;
        }
        let n = q.len();
        let above = zero[feature];
        for child in [left, right] {
            let z = above * tree.cover(child) / tree.cover(node);
            self.zero[child] = z;
            self.inv_zero[child] = 1.0 / z;
            for (j, t) in q.points.iter().enumerate() {
                let factor = z + t * (1.0 - z);
                self.one[child * n + j] = factor;
                self.inv_one[child * n + j] = 1.0 / factor;
            }
            zero[feature] = z;
            open.push((child, feature));
            self.prepare(tree, q, child, zero, open);
            open.pop();
        }
        zero[feature] = above;
    }

    /// Adds the SHAP values of `row` under `tree` to `phi`.
    pub(super) fn add<T: PathTree>(
        &self,
        tree: &T,
        q: &Quadrature,
        row: &T::Row,
        phi: &mut [f64],
        scratch: &mut Scratch,
    ) {
        if tree.split(tree.root()).is_none() {
            return;
        }
        scratch.products[..q.len()].fill(1.0);
        // The loops over the rule's points compiled for each common number of points (so
        // they unroll), any other number at run time.
        macro_rules! walk {
            ($($n:literal)*) => {
                match q.len() {
                    $($n => Walk::<T, $n> { plan: self, tree, q, row, phi, s: scratch }
                        .visit(tree.root(), 0),)*
                    _ => Walk::<T, 0> { plan: self, tree, q, row, phi, s: scratch }
                        .visit(tree.root(), 0),
                }
            };
        }
        walk!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    }
}

/// A walk of one tree for one row; `N` is the number of the rule's points, or 0 when known
/// only at run time.
struct Walk<'a, T: PathTree + ?Sized, const N: usize> {
    plan: &'a WalkPlan,
    tree: &'a T,
    q: &'a Quadrature,
    row: &'a T::Row,
    phi: &'a mut [f64],
    s: &'a mut Scratch,
}

impl WalkPlan {
    /// The values at the rule's points of an edge's factor (`z + t·(1 − z)` when the row
    /// agrees with every split on the feature so far, else `z·(1 − t)`) or of its
    /// reciprocal, as a scale times a block of values.
    fn factor<'a>(
        &'a self,
        q: &'a Quadrature,
        edge: usize,
        agrees: bool,
        inverse: bool,
    ) -> (f64, &'a [f64]) {
        let n = q.len();
        match (agrees, inverse) {
            (true, false) => (1.0, &self.one[edge * n..(edge + 1) * n]),
            (true, true) => (1.0, &self.inv_one[edge * n..(edge + 1) * n]),
            (false, false) => (self.zero[edge], &q.rest),
            (false, true) => (self.inv_zero[edge], &q.inv_rest),
        }
    }
}

impl<T: PathTree + ?Sized, const N: usize> Walk<'_, T, N> {
    /// Walks the subtree of `node`, whose product is in block `level` of `products`, and
    /// leaves the subtree's sum in block `level` of `sums`.
    fn visit(&mut self, node: usize, level: usize) {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let Some((feature, left, right)) = self.tree.split(node) else {
            let value = self.tree.leaf_value(node);
            let s = &mut *self.s;
            let (sums, products) = (&mut s.sums[here..next], &s.products[here..next]);
            for (sum, product) in sums.iter_mut().zip(products) {
                *sum = value * product;
            }
            return;
        };
        let FeatureState {
            edge: above,
            agrees,
        } = self.s.state[feature];
        self.s.sums[here..next].fill(0.0);
        let goes_left = self.tree.goes_left(node, self.row);
        let acc = feature * n;
        for (child, goes) in [(left, goes_left), (right, !goes_left)] {
            let one = agrees && goes;
            let z = plan.zero[child];
            if z == 0.0 && !one {
                continue; // nothing below reaches any value
            }
            let (scale, factor) = plan.factor(q, child, one, false);
            let (undo, undone) = if above == NONE {
                (1.0, &q.ones[..])
            } else {
                plan.factor(q, above, agrees, true)
            };
            let s = &mut *self.s;
            let scale = scale * undo;
            let (above_level, this_level) = s.products.split_at_mut(next);
            let (from, to) = (&above_level[here..next], &mut this_level[..n]);
            let (factor, undone) = (&factor[..n], &undone[..n]);
            for j in 0..n {
                to[j] = from[j] * scale * factor[j] * undone[j];
            }
            let repeats = plan.repeats[child];
            if repeats {
                s.saved[here..next].copy_from_slice(&s.below[acc..acc + n]);
                s.below[acc..acc + n].fill(0.0);
            }
            s.state[feature] = FeatureState {
                edge: child,
                agrees: one,
            };
            self.visit(child, level + 1);
            let (scale, inv) = plan.factor(q, child, one, true);
            let s = &mut *self.s;
            let (w, inv) = (&q.weights[..n], &inv[..n]);
            let (above_level, this_level) = s.sums.split_at_mut(next);
            let (sum, below) = (&mut above_level[here..next], &this_level[..n]);
            let deeper = &s.below[acc..acc + n];
            let mut integral = 0.0;
            for j in 0..n {
                let own = below[j] - if repeats { deeper[j] } else { 0.0 };
                integral += w[j] * own * inv[j];
                sum[j] += below[j];
            }
            self.phi[feature] += (f64::from(u8::from(one)) - z) * scale * integral;
            if repeats {
                s.below[acc..acc + n].copy_from_slice(&s.saved[here..next]);
            }
            s.state[feature] = FeatureState {
                edge: above,
                agrees,
            };
        }
        if above != NONE {
            let s = &mut *self.s;
            let (below, sums) = (&mut s.below[acc..acc + n], &s.sums[here..next]);
            for (b, sum) in below.iter_mut().zip(sums) {
                *b += sum;
            }
        }
    }
}
