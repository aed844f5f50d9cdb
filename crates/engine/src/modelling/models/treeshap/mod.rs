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
//! Enumerating the subsets costs 2^d. Lundberg's Algorithm 2 (LightGBM's `Tree::TreeSHAP`,
//! `src/io/tree.cpp`, behind `predict(..., pred_contrib=True)`) walks each root-to-leaf path
//! keeping the weights of every subset size, O(L·D²) per row for L leaves and depth D; it
//! is kept in [`algorithm2`] as the tests' reference and the benchmark's "before".
//!
//! This module computes the same values two faster ways. The walk ([`walk`]) costs
//! O(nodes · N) per row, with N ≈ D/2 for D distinct features on a path. Along a leaf's
//! path each distinct feature k has a *zero fraction* `z_k` (the product of the cover
//! shares of its splits on the path) and a *one fraction* `o_k` (1 if the row follows every
//! split on k, else 0), and the leaf's part of the value function is the product game
//! `v_l(S) = value · Π_{k∈S} o_k · Π_{k∉S} z_k`. A product game's Shapley value is the
//! integral of its multilinear extension's gradient along the diagonal:
//! `φ_i = value · (o_i − z_i) · ∫₀¹ Π_{k≠i} (z_k + t·(o_k − z_k)) dt`, a polynomial of degree
//! below D in t. Evaluated at the N points of a Gauss–Legendre rule on [0, 1] (exact for
//! degree 2N − 1), polynomials add, multiply and divide pointwise, so one walk of the tree
//! carries the product of the factors above each node down (`A`) and the sum of the leaves'
//! products below each node up (`S`); the edge into a child split on feature i then
//! contributes `(o − z) · Σⱼ ωⱼ S(tⱼ) / (z + tⱼ·(o − z))` to φ_i, with the leaves below a
//! deeper split on i left to that split (which multiplies its fractions into i's factor, as
//! Algorithm 2's unwinding does). The idea is Linear TreeShap's (P. Yu et al., "Linear
//! TreeShap", NeurIPS 2022); the code is this project's.
//!
//! For small trees, tables ([`table`]) precompute each leaf's game for every set of its
//! features the row may follow, so a row costs one pass over each leaf's path; the
//! [`Explainer`] picks tables when they fit its memory limits and enough rows are explained.
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

/// Rows per task when the models explain many rows on every core ([`crate::parallel::map`]):
/// each task sets up its scratch space once.
pub(crate) const ROWS_PER_TASK: usize = 256;

/// The points and weights of an n-point Gauss–Legendre rule on [0, 1] (exact for
/// polynomials of degree below 2n), with the values the walks use at each point.
#[derive(Debug, Clone)]
pub(crate) struct Quadrature {
    points: Vec<f64>,
    weights: Vec<f64>,
    /// `1 - t` at each point.
    rest: Vec<f64>,
    /// `w / (1 - t)` at each point.
    weight_rest: Vec<f64>,
}

impl Quadrature {
    /// Newton's method on the Legendre polynomial P_n from the usual cosine guesses.
    fn new(n: usize) -> Self {
        let n = n.max(1);
        let (mut points, mut weights) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            for _ in 0..100 {
                let (p, dp) = legendre(n, x);
                let step = p / dp;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            let (_, dp) = legendre(n, x);
            points.push((1.0 - x) / 2.0);
            weights.push(1.0 / ((1.0 - x * x) * dp * dp));
        }
        let rest: Vec<f64> = points.iter().map(|t| 1.0 - t).collect();
        let weight_rest = weights.iter().zip(&rest).map(|(w, r)| w / r).collect();
        Quadrature {
            points,
            weights,
            rest,
            weight_rest,
        }
    }

    fn len(&self) -> usize {
        self.points.len()
    }
}

/// `(P_n(x), P_n'(x))` by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut before, mut p) = (1.0, x);
    for k in 2..=n {
        let k = k as f64;
        let next = ((2.0 * k - 1.0) * x * p - (k - 1.0) * before) / k;
        before = p;
        p = next;
    }
    (p, n as f64 * (x * p - before) / (x * x - 1.0))
}

/// The shape of a tree's paths, for choosing and sizing its plan.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// The most distinct features on one root-to-leaf path.
    distinct: usize,
    /// The most splits on one root-to-leaf path.
    depth: usize,
    /// One more than the largest feature number split on.
    features: usize,
    /// One more than the largest node number.
    nodes: usize,
    /// The table entries of [`table::TablePlan`]: 2^distinct summed over the leaves.
    entries: usize,
    /// Whether some node has no cover (its fractions cannot be divided by).
    empty: bool,
}

fn path_shape<T: PathTree>(tree: &T) -> Shape {
    fn walk<T: PathTree>(
        tree: &T,
        node: usize,
        depth: usize,
        seen: &mut Vec<u32>,
        out: &mut Shape,
    ) {
        out.nodes = out.nodes.max(node + 1);
        let cover = tree.cover(node);
        out.empty |= cover.is_nan() || cover <= 0.0;
        let Some((feature, left, right)) = tree.split(node) else {
            let distinct = seen.iter().filter(|&&c| c > 0).count();
            out.distinct = out.distinct.max(distinct);
            out.depth = out.depth.max(depth);
            out.entries = out
                .entries
                .saturating_add(1usize.checked_shl(distinct as u32).unwrap_or(usize::MAX));
            return;
        };
        if seen.len() <= feature {
            seen.resize(feature + 1, 0);
        }
        out.features = out.features.max(feature + 1);
        seen[feature] += 1;
        walk(tree, left, depth + 1, seen, out);
        walk(tree, right, depth + 1, seen, out);
        seen[feature] -= 1;
    }
    let mut out = Shape::default();
    walk(tree, tree.root(), 0, &mut Vec::new(), &mut out);
    out
}

/// A tree explained by tables ([`table::TablePlan`]) when they take at most this many entries
/// (8 bytes each)...
const TABLE_ENTRIES_PER_TREE: usize = 1 << 14;
/// ... the model's tables at most this many in all ...
const TABLE_ENTRIES: usize = 1 << 22;
/// ... and at least this many rows are explained, so that building them pays.
const ROWS_FOR_TABLES: usize = 32;

/// How one tree is explained.
enum Plan {
    /// By precomputed tables per leaf: O(leaves · depth) per row.
    Table(table::TablePlan),
    /// By one walk of the tree: O(nodes · points) per row.
    Walk(walk::WalkPlan),
}

/// Exact path-dependent SHAP values of rows under a set of trees (module docs): built once
/// per model, then [`add_rows`](Self::add_rows) with a [`Scratch`] per thread.
pub(crate) struct Explainer<'a, T> {
    trees: &'a [T],
    plans: Vec<Plan>,
    /// `rules[n - 1]` has n points.
    rules: Vec<Quadrature>,
    shape: Shape,
}

impl<'a, T: PathTree> Explainer<'a, T> {
    /// Prepares to explain `rows` rows (tables for small trees when there are enough).
    pub(crate) fn new(trees: &'a [T], rows: usize) -> Self {
        let shapes: Vec<Shape> = trees.iter().map(path_shape).collect();
        // The integrand of a leaf with D distinct features has degree D - 1 < 2n.
        let points = |s: &Shape| s.distinct.div_ceil(2).max(1);
        let most = shapes.iter().map(points).max().unwrap_or(1);
        let rules: Vec<Quadrature> = (1..=most).map(Quadrature::new).collect();
        let mut budget = if rows >= ROWS_FOR_TABLES {
            TABLE_ENTRIES
        } else {
            0
        };
        let plans: Vec<Plan> = trees
            .iter()
            .zip(&shapes)
            .map(|(tree, s)| {
                let rule = &rules[points(s) - 1];
                if !s.empty && s.entries <= TABLE_ENTRIES_PER_TREE.min(budget) {
                    budget -= s.entries;
                    Plan::Table(table::TablePlan::new(tree, rule))
                } else {
                    Plan::Walk(walk::WalkPlan::new(
                        tree,
                        points(s) - 1,
                        rule,
                        (s.nodes, s.empty),
                    ))
                }
            })
            .collect();
        let shape = shapes.iter().fold(Shape::default(), |a, s| Shape {
            depth: a.depth.max(s.depth),
            features: a.features.max(s.features),
            nodes: a.nodes.max(s.nodes),
            ..a
        });
        Explainer {
            trees,
            plans,
            rules,
            shape,
        }
    }

    /// Scratch space for [`add_rows`](Self::add_rows), one per thread.
    pub(crate) fn scratch(&self) -> Scratch {
        let n = self.rules.len();
        let Shape {
            depth,
            features,
            nodes,
            ..
        } = self.shape;
        Scratch {
            lanes: (0..WALK_LANES)
                .map(|_| walk::Lane::new(depth, features, n))
                .collect(),
            edges: vec![walk::NONE; features],
            masks: vec![0; nodes],
        }
    }

    /// Adds the SHAP values of each row under every tree to its `phi`, indexed by feature
    /// (the expected value, [`expected_value`], is the caller's to add). Tree by tree, so that
    /// a tree's plan stays in the cache while the rows pass.
    pub(crate) fn add_rows(&self, rows: &[&T::Row], phi: &mut [Vec<f64>], scratch: &mut Scratch) {
        for (tree, plan) in self.trees.iter().zip(&self.plans) {
            match plan {
                Plan::Table(plan) => {
                    for (row, phi) in rows.iter().zip(phi.iter_mut()) {
                        plan.add(tree, row, phi, &mut scratch.masks);
                    }
                }
                Plan::Walk(plan) => {
                    let rule = &self.rules[plan.rule];
                    let walk = (&mut scratch.lanes[..], &mut scratch.edges[..]);
                    // In lockstep only where every node has cover: a child without is
                    // skipped by one row and walked by another.
                    let groups = if plan.has_empty {
                        0
                    } else {
                        rows.len() / WALK_LANES
                    };
                    let lockstep = rows
                        .chunks_exact(WALK_LANES)
                        .zip(phi.chunks_exact_mut(WALK_LANES));
                    for (rows, phi) in lockstep.take(groups) {
                        let rows: [&T::Row; WALK_LANES] = std::array::from_fn(|i| rows[i]);
                        plan.add::<T, WALK_LANES>(
                            tree,
                            rule,
                            rows,
                            phi,
                            (&mut *walk.0, &mut *walk.1),
                        );
                    }
                    let done = groups * WALK_LANES;
                    for (row, phi) in rows[done..].iter().zip(phi[done..].chunks_exact_mut(1)) {
                        plan.add::<T, 1>(tree, rule, [*row], phi, (&mut *walk.0, &mut *walk.1));
                    }
                }
            }
        }
    }
}

/// Per-thread working memory of [`Explainer::add_rows`]: for the walks, a lane per row
/// walked in lockstep and each feature's last split on the path; for the tables, each
/// node's set of the splits above it that the row does not follow.
pub(crate) struct Scratch {
    lanes: Vec<walk::Lane>,
    edges: Vec<usize>,
    /// Per node (slot of a table plan): the bits of the leaf features whose splits above
    /// the node the row does not follow.
    masks: Vec<usize>,
}

/// Rows a walk takes through a tree together ([`walk::WalkPlan::add`]).
const WALK_LANES: usize = 8;

#[cfg(test)]
pub(crate) mod algorithm2;
mod table;
mod walk;

/// The speed tests' data: 5,000 rows of 20 standard normal features (seed 1), churn when
/// `x0 + x1·x2 − x3` plus noise is positive.
#[cfg(test)]
pub(crate) fn speed_data() -> (crate::modelling::preprocessing::Matrix, Vec<u8>) {
    use crate::matrix::MatrixExt;
    let mut rng = crate::rng::Rng::new(1);
    let rows: Vec<Vec<f64>> = (0..5000)
        .map(|_| (0..20).map(|_| rng.normal()).collect())
        .collect();
    let y = rows
        .iter()
        .map(|r| u8::from(r[0] + r[1] * r[2] - r[3] + 0.5 * rng.normal() > 0.0))
        .collect();
    (crate::modelling::preprocessing::Matrix::from_rows(&rows), y)
}

/// Exact path-dependent Shapley values by enumerating all 2^d subsets: for tests.
#[cfg(test)]
/// Per row of `trees` (summed, each scaled by `scale`): d values then `v(∅)`.
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
    use crate::rng::Rng;

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
        let trees = std::slice::from_ref(tree);
        let mut both = [1, ROWS_FOR_TABLES].map(|rows| {
            let explainer = Explainer::new(trees, rows);
            let mut phi = vec![vec![0.0; d + 1]];
            explainer.add_rows(&[row], &mut phi, &mut explainer.scratch());
            phi[0][d] = expected_value(tree);
            std::mem::take(&mut phi[0])
        });
        let scale = both[0].iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (walked, tabled) in both[0].iter().zip(&both[1]) {
            assert!((walked - tabled).abs() < 1e-12 * scale, "{both:?}");
        }
        std::mem::take(&mut both[0])
    }

    /// A random tree of up to `depth` splits per path on `d` features (repeats likely), each
    /// node a leaf with chance `stop`, thresholds in [0, 1), covers that add up from random
    /// leaf covers in [1, 10).
    fn random_tree(rng: &mut Rng, depth: usize, d: usize, stop: f64) -> Vec<Toy> {
        fn grow(
            rng: &mut Rng,
            tree: &mut Vec<Toy>,
            depth: usize,
            d: usize,
            stop: f64,
        ) -> (usize, f64) {
            let at = tree.len();
            if depth == 0 || rng.chance(stop) {
                let cover = 1.0 + 9.0 * rng.uniform();
                tree.push(Toy::Leaf(rng.normal(), cover));
                return (at, cover);
            }
            tree.push(Toy::Leaf(0.0, 0.0));
            let (feature, threshold) = (rng.below(d), rng.uniform());
            let (left, cl) = grow(rng, tree, depth - 1, d, stop);
            let (right, cr) = grow(rng, tree, depth - 1, d, stop);
            tree[at] = Toy::Split(feature, threshold, left, right, cl + cr);
            (at, cl + cr)
        }
        let mut tree = Vec::new();
        grow(rng, &mut tree, depth, d, stop);
        tree
    }

    #[test]
    fn the_quadrature_integrates_polynomials_of_degree_below_2n_exactly() {
        // ∫₀¹ t^k dt = 1/(k + 1), for every k < 2n, to 1e-14.
        for n in 1..=24 {
            let rule = Quadrature::new(n);
            for k in 0..2 * n {
                let sum: f64 = (rule.points.iter().zip(&rule.weights))
                    .map(|(t, w)| w * t.powi(k as i32))
                    .sum();
                assert!(
                    (sum - 1.0 / (k + 1) as f64).abs() < 1e-14,
                    "n {n}, k {k}: {sum}"
                );
            }
        }
    }

    #[test]
    fn random_trees_match_brute_force_and_algorithm_2() {
        // Seed 7: 200 trees of up to 7 splits per path on 6 features (so repeated features
        // on a path and unused ones), 5 rows each: against the 2^6-subset sum to 1e-10 and
        // against Algorithm 2 to 1e-12.
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            let tree = random_tree(&mut rng, 7, 6, 0.15);
            for _ in 0..5 {
                let row: Vec<f64> = (0..6).map(|_| rng.uniform()).collect();
                let fast = shap(&tree, &row, 6);
                let exact = brute_force_shap(std::slice::from_ref(&tree), &row[..], 6, 1.0);
                let mut reference = vec![0.0; 6];
                algorithm2::add_shap(&tree, &row[..], &mut reference, &mut Vec::new());
                for f in 0..6 {
                    assert!((fast[f] - exact[f]).abs() < 1e-10, "{fast:?} vs {exact:?}");
                    assert!(
                        (fast[f] - reference[f]).abs() < 1e-12,
                        "{fast:?} vs {reference:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_walked_together_equal_rows_walked_alone() {
        // Seed 11: 60 trees of up to 9 splits per path on 8 features, a third of them with
        // a leaf without cover (walked a row at a time), explained by walks (fewer rows
        // than ROWS_FOR_TABLES for the plan) for 13 rows at once (a lockstep group of
        // WALK_LANES and the rest alone) and for each row alone: the same bits.
        const { assert!(13 > WALK_LANES && 13 < ROWS_FOR_TABLES) };
        let mut rng = Rng::new(11);
        let mut trees: Vec<Vec<Toy>> = (0..60).map(|_| random_tree(&mut rng, 9, 8, 0.1)).collect();
        for tree in trees.iter_mut().step_by(3) {
            if let Some(leaf) = tree.iter_mut().rev().find(|n| matches!(n, Toy::Leaf(..))) {
                *leaf = Toy::Leaf(1.0, 0.0);
            }
        }
        let rows: Vec<Vec<f64>> = (0..13)
            .map(|_| (0..8).map(|_| rng.uniform()).collect())
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        for tree in &trees {
            let trees = std::slice::from_ref(tree);
            let explainer = Explainer::new(trees, 13);
            assert!(explainer.plans.iter().all(|p| matches!(p, Plan::Walk(_))));
            let mut together = vec![vec![0.0; 8]; 13];
            explainer.add_rows(&refs, &mut together, &mut explainer.scratch());
            for (row, together) in refs.iter().zip(&together) {
                let mut alone = vec![vec![0.0; 8]];
                explainer.add_rows(&[*row], &mut alone, &mut explainer.scratch());
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(together), bits(&alone[0]));
            }
        }
    }

    /// `row`'s values under `tree` against Algorithm 2's, to 1e-10 relative to the largest.
    fn matches_algorithm_2(tree: &Vec<Toy>, row: &[f64], d: usize) {
        let fast = shap(tree, row, d);
        let mut reference = vec![0.0; d];
        algorithm2::add_shap(tree, row, &mut reference, &mut Vec::new());
        let scale = reference.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for f in 0..d {
            assert!(
                (fast[f] - reference[f]).abs() < 1e-10 * scale,
                "feature {f}"
            );
        }
    }

    #[test]
    fn a_path_of_40_distinct_features_matches_algorithm_2() {
        // A caterpillar: split k on feature k with a leaf on one side, 40 deep, so 20 points,
        // more than the walks compiled for a fixed number (seed 9 for values and covers);
        // three rows, against Algorithm 2 to 1e-10 relative to the largest value.
        let mut rng = Rng::new(9);
        let mut tree = Vec::new();
        let depth = 40;
        for k in 0..depth {
            let at = tree.len();
            tree.push(Toy::Split(k, 0.5, at + 1, at + 2, 0.0));
            tree.push(Toy::Leaf(rng.normal(), 1.0 + rng.uniform()));
        }
        tree.push(Toy::Leaf(rng.normal(), 1.0 + rng.uniform()));
        // Covers from the bottom up: a split's is its two children's.
        for k in (0..depth).rev() {
            let at = 2 * k;
            let cover = |node: &Toy| match node {
                Toy::Split(.., c) | Toy::Leaf(_, c) => *c,
            };
            let total = cover(&tree[at + 1]) + cover(&tree[at + 2]);
            tree[at] = Toy::Split(k, 0.5, at + 1, at + 2, total);
        }
        for _ in 0..3 {
            let row: Vec<f64> = (0..depth).map(|_| rng.uniform()).collect();
            matches_algorithm_2(&tree, &row, depth);
        }
        assert_eq!(
            Explainer::new(std::slice::from_ref(&tree), 1).rules.len(),
            20
        );
    }

    #[test]
    fn deep_trees_match_algorithm_2() {
        // Seed 8: 20 trees of up to 24 splits per path on 30 features (deep like the
        // forest's trees; each node a leaf with chance 0.3 to keep them small), 3 rows each,
        // against Algorithm 2 to 1e-10 relative to the largest value.
        let mut rng = Rng::new(8);
        for _ in 0..20 {
            let tree = random_tree(&mut rng, 24, 30, 0.3);
            for _ in 0..3 {
                let row: Vec<f64> = (0..30).map(|_| rng.uniform()).collect();
                matches_algorithm_2(&tree, &row, 30);
            }
        }
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
