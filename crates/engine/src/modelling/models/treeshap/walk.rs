//! One walk of the tree per row (module docs of [`super`]), with everything that does not
//! depend on the row computed once: each edge's merged zero fraction, and at the rule's
//! points the ratio of its factor to the factor it replaces and the rule's weights over its
//! factor, so that a row costs one multiplication per point on the way down and one on the
//! way up.

use super::{PathTree, Quadrature};

/// No earlier split on the feature on this path.
pub(super) const NONE: usize = usize::MAX;

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
    /// Whether some node has no cover.
    pub(super) has_empty: bool,
}

impl WalkPlan {
    /// For `tree` with at most `nodes` nodes, some without cover if `has_empty`.
    pub(super) fn new<T: PathTree>(
        tree: &T,
        rule: usize,
        q: &Quadrature,
        (nodes, has_empty): (usize, bool),
    ) -> Self {
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
            has_empty,
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

    /// The ratio the edge into `child` multiplies the product above by, at `n` points: of
    /// its factor to the factor of its feature's edge above, as the row agrees with every
    /// split on the feature above it (`agrees`) and here too (`one`).
    #[inline(always)]
    fn edge_ratio(&self, child: usize, n: usize, agrees: bool, one: bool) -> Ratio<'_> {
        let block = (child * n)..(child + 1) * n;
        match (agrees, one) {
            (true, true) => Ratio::Points(&self.agree[block]),
            (true, false) => Ratio::Points(&self.part[block]),
            (false, _) => Ratio::One(self.ratio[child]),
        }
    }

    /// The edge into `child`'s integral at `n` points: a scale and the rule's weights
    /// over the edge's factor, as the row follows every split on its feature (`one`) or not.
    #[inline(always)]
    fn edge_weights<'p>(
        &'p self,
        q: &'p Quadrature,
        child: usize,
        n: usize,
        one: bool,
    ) -> (f64, &'p [f64]) {
        if one {
            (1.0, &self.weight_one[(child * n)..(child + 1) * n])
        } else {
            (self.inv_zero[child], &q.weight_rest[..n])
        }
    }

    /// Adds the SHAP values of each of `R` rows under `tree` to its `phi`, with a lane of
    /// `lanes` each; `edges` has a slot per feature, [`NONE`] before and after. With `R > 1` every node of the tree must have cover (no child is
    /// skipped for one row and walked for another).
    pub(super) fn add<T: PathTree, const R: usize>(
        &self,
        tree: &T,
        q: &Quadrature,
        rows: [&T::Row; R],
        phi: &mut [Vec<f64>],
        (lanes, edges): (&mut [Lane], &mut [usize]),
    ) {
        if tree.split(tree.root()).is_none() {
            return;
        }
        for lane in lanes.iter_mut().take(R) {
            lane.products[..q.len()].fill(1.0);
        }
        // The loops over the rule's points compiled for each common number of points (so
        // they unroll), any other number at run time.
        macro_rules! walk {
            ($($n:literal)*) => {
                match q.len() {
                    $($n => Walk::<T, $n, R> { plan: self, tree, q, rows, phi, lanes, edges }
                        .visit(tree.root(), 0),)*
                    _ => Walk::<T, 0, R> { plan: self, tree, q, rows, phi, lanes, edges }
                        .visit(tree.root(), 0),
                }
            };
        }
        walk!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    }
}

/// An edge's ratio: one per point, or the same at every point.
enum Ratio<'a> {
    Points(&'a [f64]),
    One(f64),
}

/// One row's working memory in a walk: polynomials as their values at the rule's points,
/// one block per level of the walk or per feature.
pub(crate) struct Lane {
    /// Per level: the product of the factors of the distinct features above the node.
    products: Vec<f64>,
    /// Per level: the sum over the leaves below the node of their products times value.
    sums: Vec<f64>,
    /// Per level: the `below` block of the feature split there, while its child is walked.
    saved: Vec<f64>,
    /// Per feature: the sums of the nodes below the current edge on that feature that split
    /// on it again (their leaves are theirs to attribute).
    below: Vec<f64>,
    /// Per feature: whether the row followed every split on it on the current path.
    agrees: Vec<bool>,
}

impl Lane {
    /// For walks `depth` splits deep over `features` features with rules of at most `n`
    /// points.
    pub(super) fn new(depth: usize, features: usize, n: usize) -> Self {
        Lane {
            products: vec![0.0; (depth + 2) * n],
            sums: vec![0.0; (depth + 2) * n],
            saved: vec![0.0; (depth + 1) * n],
            below: vec![0.0; features * n],
            agrees: vec![true; features],
        }
    }
}

/// A walk of one tree for `R` rows in lockstep: what does not depend on the row (the
/// nodes, the plan, the recursion) done once for them all, and the rows' independent sums
/// interleaved. `N` is the number of the rule's points, or 0 when known only at run time.
struct Walk<'a, T: PathTree + ?Sized, const N: usize, const R: usize> {
    plan: &'a WalkPlan,
    tree: &'a T,
    q: &'a Quadrature,
    rows: [&'a T::Row; R],
    phi: &'a mut [Vec<f64>],
    lanes: &'a mut [Lane],
    /// Per feature: the edge of its last split on the current path, or [`NONE`].
    edges: &'a mut [usize],
}

impl<T: PathTree + ?Sized, const N: usize, const R: usize> Walk<'_, T, N, R> {
    /// Walks the subtree of `node`, whose product is in block `level` of each lane's
    /// `products`, and leaves the subtree's sum in block `level` of `sums`.
    fn visit(&mut self, node: usize, level: usize) {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let Some((feature, left, right)) = self.tree.split(node) else {
            let value = self.tree.leaf_value(node);
            for lane in self.lanes.iter_mut().take(R) {
                let (sums, products) = (&mut lane.sums[here..next], &lane.products[here..next]);
                for (sum, product) in sums.iter_mut().zip(products) {
                    *sum = value * product;
                }
            }
            return;
        };
        let above = self.edges[feature];
        let mut agrees = [true; R];
        let mut goes_left = [true; R];
        for r in 0..R {
            let lane = &mut self.lanes[r];
            agrees[r] = lane.agrees[feature];
            lane.sums[here..next].fill(0.0);
            goes_left[r] = self.tree.goes_left(node, self.rows[r]);
        }
        let acc = feature * n;
        for (child, side) in [(left, true), (right, false)] {
            let one: [bool; R] = std::array::from_fn(|r| agrees[r] && goes_left[r] == side);
            let z = plan.zero[child];
            if R == 1 && z == 0.0 && !one[0] {
                continue; // nothing below reaches any value
            }
            if self.tree.split(child).is_none() {
                // A leaf: its edge in one pass, without a level of its own.
                for r in 0..R {
                    let integral = self.leaf_edge(r, child, level, agrees[r], one[r]);
                    self.phi[r][feature] += (f64::from(u8::from(one[r])) - z) * integral;
                }
                continue;
            }
            let repeats = plan.repeats[child];
            for r in 0..R {
                self.descend(r, child, level, agrees[r], one[r]);
                let lane = &mut self.lanes[r];
                if repeats {
                    lane.saved[here..next].copy_from_slice(&lane.below[acc..acc + n]);
                    lane.below[acc..acc + n].fill(0.0);
                }
                lane.agrees[feature] = one[r];
            }
            self.edges[feature] = child;
            self.visit(child, level + 1);
            for r in 0..R {
                let integral = self.ascend(r, child, level, one[r], repeats.then_some(acc));
                self.phi[r][feature] += (f64::from(u8::from(one[r])) - z) * integral;
                let lane = &mut self.lanes[r];
                if repeats {
                    lane.below[acc..acc + n].copy_from_slice(&lane.saved[here..next]);
                }
                lane.agrees[feature] = agrees[r];
            }
            self.edges[feature] = above;
        }
        if above != NONE {
            for lane in self.lanes.iter_mut().take(R) {
                let (below, sums) = (&mut lane.below[acc..acc + n], &lane.sums[here..next]);
                for (b, sum) in below.iter_mut().zip(sums) {
                    *b += sum;
                }
            }
        }
    }

    /// Multiplies the product of block `level` of lane `r` by the ratio of the edge into
    /// `child` (the row agreeing with every split on its feature above it: `agrees`, and
    /// here too: `one`) into block `level + 1`.
    #[inline(always)]
    fn descend(&mut self, r: usize, child: usize, level: usize, agrees: bool, one: bool) {
        let (plan, n) = (self.plan, if N == 0 { self.q.len() } else { N });
        let (here, next) = (level * n, (level + 1) * n);
        let (above_level, this_level) = self.lanes[r].products.split_at_mut(next);
        let (from, to) = (&above_level[here..next], &mut this_level[..n]);
        match plan.edge_ratio(child, n, agrees, one) {
            Ratio::Points(ratio) => {
                for j in 0..n {
                    to[j] = from[j] * ratio[j];
                }
            }
            Ratio::One(ratio) => {
                for j in 0..n {
                    to[j] = from[j] * ratio;
                }
            }
        }
    }

    /// [`descend`](Self::descend), the leaf's [`visit`](Self::visit) and
    /// [`ascend`](Self::ascend) of the edge into the leaf `child` in one loop, with the same
    /// products and sums in the same order: adds the leaf's sum to block `level` of lane
    /// `r` and returns its integral over the edge's factor.
    #[inline(always)]
    fn leaf_edge(&mut self, r: usize, child: usize, level: usize, agrees: bool, one: bool) -> f64 {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let value = self.tree.leaf_value(child);
        let (scale, weights) = plan.edge_weights(q, child, n, one);
        let lane = &mut self.lanes[r];
        let (from, sum) = (&lane.products[here..next], &mut lane.sums[here..next]);
        let mut integral = 0.0;
        match plan.edge_ratio(child, n, agrees, one) {
            Ratio::Points(ratio) => {
                for j in 0..n {
                    let below = value * (from[j] * ratio[j]);
                    integral += weights[j] * below;
                    sum[j] += below;
                }
            }
            Ratio::One(ratio) => {
                for j in 0..n {
                    let below = value * (from[j] * ratio);
                    integral += weights[j] * below;
                    sum[j] += below;
                }
            }
        }
        scale * integral
    }

    /// Adds the sum of block `level + 1` of lane `r` (the subtree of `child`) to block
    /// `level` and returns the integral of the subtree's own sum over the edge's factor:
    /// less the deeper splits' sums in `below` from `deeper` when the feature repeats below.
    #[inline(always)]
    fn ascend(
        &mut self,
        r: usize,
        child: usize,
        level: usize,
        one: bool,
        deeper: Option<usize>,
    ) -> f64 {
        let (plan, q) = (self.plan, self.q);
        let n = if N == 0 { q.len() } else { N };
        let (here, next) = (level * n, (level + 1) * n);
        let (scale, weights) = plan.edge_weights(q, child, n, one);
        let lane = &mut self.lanes[r];
        let (above_level, this_level) = lane.sums.split_at_mut(next);
        let (sum, below) = (&mut above_level[here..next], &this_level[..n]);
        let mut integral = 0.0;
        if let Some(acc) = deeper {
            let deeper = &lane.below[acc..acc + n];
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
