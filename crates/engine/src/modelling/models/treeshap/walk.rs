//! One walk of the tree per row (module docs of [`super`]), with everything that does not
//! depend on the row computed once: each edge's merged zero fraction, and at the rule's
//! points the ratio of its factor to the factor it replaces and the rule's weights over its
//! factor, so that a row costs one multiplication per point on the way down and one on the
//! way up.

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
/// An edge's factor `z + t·(1 − z)` (the row agrees with every split on the edge's feature
/// so far) or `z·(1 − t)` (it does not) replaces the factor of the feature's edge above it,
/// if any: the plan keeps each ratio's values at the rule's points, so that the walk
/// multiplies once per point.
pub(crate) struct WalkPlan {
    /// The index of the tree's rule.
    pub(super) rule: usize,
    /// The product of the cover shares of the splits on the parent's feature, from the root
    /// to this edge: the feature's zero fraction below it.
    zero: Vec<f64>,
    /// Where the row agrees with every split on the feature, this edge's included: per
    /// point, the agreeing factor over the agreeing factor above (1 at the feature's first
    /// split).
    agree: Vec<f64>,
    /// Where the row agreed above but not here: per point, `z·(1 − t)` over the agreeing
    /// factor above.
    part: Vec<f64>,
    /// Where the row disagreed above too, the ratio is one number: `z / z_above`.
    ratio: Vec<f64>,
    /// Per point: the rule's weight over the agreeing factor, `w / (z + t·(1 − z))`.
    weight_one: Vec<f64>,
    /// `1 / zero`.
    inv_zero: Vec<f64>,
    /// Whether a split below this edge is on the same feature again.
    repeats: Vec<bool>,
}

impl WalkPlan {
    pub(super) fn new<T: PathTree>(tree: &T, rule: usize, q: &Quadrature, nodes: usize) -> Self {
        let n = q.len();
        let mut plan = WalkPlan {
            rule,
            zero: vec![1.0; nodes],
            agree: vec![1.0; nodes * n],
            part: vec![1.0; nodes * n],
            ratio: vec![1.0; nodes],
            weight_one: vec![1.0; nodes * n],
            inv_zero: vec![1.0; nodes],
            repeats: vec![false; nodes],
        };
        plan.prepare(tree, q, tree.root(), &mut Vec::new(), &mut Vec::new());
        plan
    }

    /// Fills the edges below `node`; `zero[f]` is feature f's fraction on the path so far
    /// (NaN before its first split), `open` the edges on the path (with their features)
    /// still waiting to learn whether their feature repeats.
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
            zero.resize(feature + 1, f64::NAN);
        }
        for &(edge, f) in open.iter() {
            self.repeats[edge] |= f == feature;
        }
        let n = q.len();
        let above = zero[feature];
        let first = above.is_nan();
        for child in [left, right] {
            let z = if first { 1.0 } else { above } * tree.cover(child) / tree.cover(node);
            self.zero[child] = z;
            self.inv_zero[child] = 1.0 / z;
            self.ratio[child] = if first { z } else { z / above };
            for (j, t) in q.points.iter().enumerate() {
                let factor = z + t * (1.0 - z);
                let agreed = if first {
                    1.0
                } else {
                    above + t * (1.0 - above)
                };
                self.agree[child * n + j] = factor / agreed;
                self.part[child * n + j] = z * q.rest[j] / agreed;
                self.weight_one[child * n + j] = q.weights[j] / factor;
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
            if self.tree.split(child).is_none() {
                // A leaf: its edge in one pass, without a level of its own.
                let integral = self.leaf_edge(child, level, agrees, one);
                self.phi[feature] += (f64::from(u8::from(one)) - z) * integral;
                continue;
            }
            self.descend(child, level, agrees, one);
            let s = &mut *self.s;
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
            let integral = self.ascend(child, level, one, repeats.then_some(acc));
            self.phi[feature] += (f64::from(u8::from(one)) - z) * integral;
            let s = &mut *self.s;
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

    /// Multiplies the product of block `level` by the ratio of the edge into `child` (the
    /// row agreeing with every split on its feature above it: `agrees`, and here too:
    /// `one`) into block `level + 1`.
    #[inline(always)]
    fn descend(&mut self, child: usize, level: usize, agrees: bool, one: bool) {
        let (plan, n) = (self.plan, if N == 0 { self.q.len() } else { N });
        let (here, next) = (level * n, (level + 1) * n);
        let (above_level, this_level) = self.s.products.split_at_mut(next);
        let (from, to) = (&above_level[here..next], &mut this_level[..n]);
        let block = (child * n)..(child + 1) * n;
        if agrees {
            let ratio = if one {
                &plan.agree[block]
            } else {
                &plan.part[block]
            };
            let ratio = &ratio[..n];
            for j in 0..n {
                to[j] = from[j] * ratio[j];
            }
        } else {
            let ratio = plan.ratio[child];
            for j in 0..n {
                to[j] = from[j] * ratio;
            }
        }
    }

    /// [`descend`](Self::descend), the leaf's [`visit`](Self::visit) and
    /// [`ascend`](Self::ascend) of the edge into the leaf `child` in one loop, with the same
    /// products and sums in the same order: adds the leaf's sum to block `level` and
    /// returns its integral over the edge's factor.
    #[inline(always)]
    fn leaf_edge(&mut self, child: usize, level: usize, agrees: bool, one: bool) -> f64 {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let value = self.tree.leaf_value(child);
        let block = (child * n)..(child + 1) * n;
        let (scale, weights) = if one {
            (1.0, &plan.weight_one[block.clone()])
        } else {
            (plan.inv_zero[child], &q.weight_rest[..])
        };
        let weights = &weights[..n];
        let s = &mut *self.s;
        let (from, sum) = (&s.products[here..next], &mut s.sums[here..next]);
        let mut integral = 0.0;
        if agrees {
            let ratio = if one {
                &plan.agree[block]
            } else {
                &plan.part[block]
            };
            let ratio = &ratio[..n];
            for j in 0..n {
                let below = value * (from[j] * ratio[j]);
                integral += weights[j] * below;
                sum[j] += below;
            }
        } else {
            let ratio = plan.ratio[child];
            for j in 0..n {
                let below = value * (from[j] * ratio);
                integral += weights[j] * below;
                sum[j] += below;
            }
        }
        scale * integral
    }

    /// Adds the sum of block `level + 1` (the subtree of `child`) to block `level` and
    /// returns the integral of the subtree's own sum over the edge's factor: less the
    /// deeper splits' sums in `below` from `deeper` when the feature repeats below.
    #[inline(always)]
    fn ascend(&mut self, child: usize, level: usize, one: bool, deeper: Option<usize>) -> f64 {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let (scale, weights) = if one {
            (1.0, &plan.weight_one[(child * n)..(child + 1) * n])
        } else {
            (plan.inv_zero[child], &q.weight_rest[..])
        };
        let s = &mut *self.s;
        let weights = &weights[..n];
        let (above_level, this_level) = s.sums.split_at_mut(next);
        let (sum, below) = (&mut above_level[here..next], &this_level[..n]);
        let mut integral = 0.0;
        if let Some(acc) = deeper {
            let deeper = &s.below[acc..acc + n];
            for j in 0..n {
                integral += weights[j] * (below[j] - deeper[j]);
                sum[j] += below[j];
            }
        } else {
            for j in 0..n {
                integral += weights[j] * below[j];
                sum[j] += below[j];
            }
        }
        scale * integral
    }
}
