//! Random forest classifier: bootstrap-sampled, fully grown Gini trees on binned features,
//! averaged.
//!
//! Maths (Breiman 2001, as scikit-learn's `RandomForestClassifier`): each tree sees a
//! bootstrap sample (n draws with replacement; a row drawn k times has weight k) and is grown
//! depth-first. At a node with weighted class counts (w₀, w₁), w = w₀ + w₁, the Gini impurity
//! is `G = 1 − (w₀/w)² − (w₁/w)²`; among `max_features` randomly drawn features (those
//! constant at the node count, and more are drawn only while none drawn varies, as
//! scikit-learn's `BestSplitter` does) the split maximising
//! `w_L·(1 − G_L) + w_R·(1 − G_R)`, i.e. minimising `w_L·G_L + w_R·G_R`, is taken. A node
//! stays a leaf when it is pure, at `max_depth`, or has fewer than `min_samples_split`
//! (or `2·min_samples_leaf`) rows; every child keeps at least `min_samples_leaf` rows (rows
//! counted once however often drawn, as scikit-learn counts them). A leaf holds its
//! weighted class-1 fraction `w₁/w`; the forest predicts the mean over trees.
//!
//! What differs from scikit-learn, following LightGBM's `rf` mode for speed:
//!
//! - **Binned features.** Each feature is binned once, before any tree: a bin per distinct
//!   value when there are at most `max_bin`, otherwise bins of about equal counts; bin edges
//!   lie half-way between neighbouring training values. Splits are searched on per-bin
//!   histograms of the node's rows (built only for the drawn features; below as many rows as
//!   bins only the bins touched are visited). A split between two occupied bins puts its
//!   threshold on the middle edge of the empty gap between them, near scikit-learn's
//!   midpoint. The fitted trees keep thresholds as numbers (`x ≤ t` goes left), so
//!   predicting needs no bin tables.
//! - **Missing values** (NaN) are routed natively: each threshold is tried with the missing
//!   rows on the left and on the right, and "all present values left, missing right" is a
//!   candidate too (scikit-learn ≥ 1.3 does the same); the side is remembered. A node that
//!   saw no missing value sends them to its heavier child.
//! - **Categories** arrive as level codes 0, 1, 2, … and are split as ordered numbers, which
//!   is what scikit-learn does after an `OrdinalEncoder`; the `categorical` flags are only
//!   checked for length.
//!
//! Class counts are kept as `f64` weights so a per-row weight (e.g. `class_weight`) could
//! multiply the bootstrap counts. Each tree has its own generator derived from the seed and
//! its index, so a forest is reproducible bit for bit. The rows a tree did not draw give the
//! out-of-bag (OOB) prediction of each row, whose log loss is reported after each tree and
//! whose ROC AUC is kept in [`FittedForest::oob_roc_auc`].
//!
//! ```
//! use churnscope_engine::matrix::MatrixExt;
//! use churnscope_engine::modelling::models::ForestParams;
//! use churnscope_engine::modelling::preprocessing::Matrix;
//! let x = Matrix::from_rows(&(0..40).map(|i| vec![f64::from(i % 10)]).collect::<Vec<_>>());
//! let y: Vec<u8> = (0..40).map(|i| u8::from(i % 10 >= 6)).collect();
//! let forest = ForestParams::new().n_trees(20).fit(&x, &[false], &y, |_| true).expect("two classes");
//! let p = forest.predict_proba(&x);
//! assert!(p[0] < 0.5 && p[9] > 0.5);
//! ```
//!
//! References: L. Breiman, "Random Forests", *Machine Learning* 45 (2001);
//! scikit-learn `sklearn/tree/_splitter.pyx` (`BestSplitter`, missing values) and
//! `sklearn/ensemble/_forest.py`; LightGBM's `boosting=rf` and histogram construction.

use serde::{Deserialize, Serialize};

use super::readout::{LeftWhen, TreeView};
use super::treeshap::{expected_value, Explainer, PathTree, ROWS_PER_TASK};
use super::{check_training_data_where, ModelError, Progress, Result, TreeDefect};
use crate::evaluating::metrics::{roc_auc, LOG_LOSS_EPS};
use crate::matrix::{standard_layout, MatrixExt, RowMajor};
use crate::modelling::preprocessing::Matrix;
use crate::rng::Rng;

/// How many features each split looks at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum MaxFeatures {
    /// `max(1, ⌊√d⌋)` of d features (scikit-learn's `"sqrt"`, its classifier default).
    Sqrt,
    /// `max(1, ⌊f·d⌋)` for a fraction f in (0, 1].
    Fraction(f64),
    /// A fixed number (capped at d).
    Count(usize),
    /// Every feature (bagged trees).
    All,
}

impl MaxFeatures {
    /// The number of features drawn per split out of `d`.
    pub fn resolve(&self, d: usize) -> usize {
        let k = match *self {
            MaxFeatures::Sqrt => ((d as f64).sqrt() as usize).max(1),
            MaxFeatures::Fraction(f) => ((f * d as f64) as usize).max(1),
            MaxFeatures::Count(k) => k,
            MaxFeatures::All => d,
        };
        k.min(d)
    }
}

/// Settings of a random forest; see the setters for the defaults (scikit-learn's
/// `RandomForestClassifier()` ones, plus LightGBM's 255 bins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    n_trees: usize,
    max_features: MaxFeatures,
    bootstrap: bool,
    min_samples_leaf: usize,
    min_samples_split: usize,
    max_depth: Option<usize>,
    max_bin: usize,
    seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self::new()
    }
}

impl ForestParams {
    /// Defaults: 100 trees, √d features a split, bootstrap on, leaves of at least 1 row,
    /// nodes of at least 2 rows split, no depth limit, 255 bins, seed 42.
    pub fn new() -> Self {
        ForestParams {
            n_trees: 100,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            min_samples_leaf: 1,
            min_samples_split: 2,
            max_depth: None,
            max_bin: 255,
            seed: 42,
        }
    }

    /// Number of trees (default 100).
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }

    /// The number of trees the forest grows.
    pub fn trees(&self) -> usize {
        self.n_trees
    }

    /// Features drawn at each split (default [`MaxFeatures::Sqrt`]).
    pub fn max_features(mut self, m: MaxFeatures) -> Self {
        self.max_features = m;
        self
    }

    /// Train each tree on n rows drawn with replacement (default `true`); off, every tree
    /// sees every row once and there is no out-of-bag score.
    pub fn bootstrap(mut self, yes: bool) -> Self {
        self.bootstrap = yes;
        self
    }

    /// Fewest distinct rows in a leaf (default 1).
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }

    /// Fewest distinct rows a node needs to be split (default 2).
    pub fn min_samples_split(mut self, n: usize) -> Self {
        self.min_samples_split = n;
        self
    }

    /// Deepest level of a split, the root being 0 (default `None`: grown until pure).
    pub fn max_depth(mut self, depth: Option<usize>) -> Self {
        self.max_depth = depth;
        self
    }

    /// Most bins per feature, missing values aside (default 255, which keeps a bin in a byte).
    pub fn max_bin(mut self, n: usize) -> Self {
        self.max_bin = n;
        self
    }

    /// Seed of the bootstrap draws and feature draws (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Rejects settings no fit could honour.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ModelError::InvalidParameter(m));
        if self.n_trees == 0 {
            return bad("n_trees must be at least 1".into());
        }
        match self.max_features {
            MaxFeatures::Count(0) => return bad("max_features must be at least 1".into()),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return bad(format!("max_features fraction must be in (0, 1], got {f}"))
            }
            _ => {}
        }
        if self.min_samples_leaf == 0 {
            return bad("min_samples_leaf must be at least 1".into());
        }
        if self.min_samples_split < 2 {
            return bad(format!(
                "min_samples_split must be at least 2, got {}",
                self.min_samples_split
            ));
        }
        if self.max_depth == Some(0) {
            return bad("max_depth must be at least 1".into());
        }
        if !(2..=65_535).contains(&self.max_bin) {
            return bad(format!(
                "max_bin must be from 2 to 65535, got {}",
                self.max_bin
            ));
        }
        Ok(())
    }

    /// Fits `n_trees` trees to `x` (NaN = missing) and 0/1 labels `y`; `categorical[j]` marks
    /// feature `j` as level codes (split as ordered numbers). `progress` is called after each
    /// tree with the running OOB log loss (0 until a row is out of bag); returning `false`
    /// cancels with [`ModelError::Cancelled`].
    pub fn fit(
        &self,
        x: &Matrix,
        categorical: &[bool],
        y: &[u8],
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedForest> {
        let x = self.checked(x, categorical, y)?;
        let x = x.row_major();
        let features = self.binned(x);
        let mut forest = Assembly::new(self, x, y);
        // The trees of a batch grow on every core and are added in order, so the forest is
        // the same whatever the number of threads.
        let batch = crate::parallel::threads().max(1);
        for start in (0..self.n_trees).step_by(batch) {
            let trees = start..(start + batch).min(self.n_trees);
            for grown in self.grow_batch(&features, (x, y), trees) {
                if !progress(forest.add(grown)?) {
                    return Err(ModelError::Cancelled);
                }
            }
        }
        Ok(forest.finish())
    }

    /// The trees numbered `trees` of the forest [`Self::fit`] grows on the same data, each
    /// with its impurity decrease per feature: a share of one forest, grown apart (the
    /// page's background workers each grow some of its trees) and put together by
    /// [`Self::fit_grown`]. `progress` is called after each tree (loss 0).
    pub fn grow_trees(
        &self,
        x: &Matrix,
        categorical: &[bool],
        y: &[u8],
        trees: std::ops::Range<usize>,
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<Vec<GrownTree>> {
        let x = self.checked(x, categorical, y)?;
        let x = x.row_major();
        let features = self.binned(x);
        let trees = trees.start.min(self.n_trees)..trees.end.min(self.n_trees);
        let batch = crate::parallel::threads().max(1);
        let mut out = Vec::with_capacity(trees.len());
        for start in trees.clone().step_by(batch) {
            let batch = start..(start + batch).min(trees.end);
            for grown in self.grow_batch(&features, (x, y), batch) {
                out.push(grown);
                let progress_now = Progress {
                    iteration: out.len(),
                    max_iterations: trees.len(),
                    loss: 0.0,
                };
                if !progress(progress_now) {
                    return Err(ModelError::Cancelled);
                }
            }
        }
        Ok(out)
    }

    /// The forest [`Self::fit`] fits, from its `n_trees` trees grown already
    /// ([`Self::grow_trees`], in order): the out-of-bag predictions, the importances and
    /// the progress reports as [`Self::fit`] makes them, so the same model. Trees of
    /// another forest's shape are refused.
    pub fn fit_grown(
        &self,
        x: &Matrix,
        categorical: &[bool],
        y: &[u8],
        grown: Vec<GrownTree>,
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedForest> {
        let x = self.checked(x, categorical, y)?;
        let x = x.row_major();
        if grown.len() != self.n_trees {
            return Err(super::invalid(format!(
                "{} trees grown for a forest of {}",
                grown.len(),
                self.n_trees
            )));
        }
        for (t, g) in grown.iter().enumerate() {
            g.tree
                .check(x.cols)
                .map_err(|e| super::invalid(format!("grown tree {t}: {e}")))?;
            if g.importance.len() != x.cols {
                return Err(super::invalid(format!(
                    "grown tree {t}: {} importances for {} features",
                    g.importance.len(),
                    x.cols
                )));
            }
        }
        let mut forest = Assembly::new(self, x, y);
        for g in grown {
            if !progress(forest.add(g)?) {
                return Err(ModelError::Cancelled);
            }
        }
        Ok(forest.finish())
    }

    /// The checked parameters and training data, in the standard layout.
    fn checked<'x>(
        &self,
        x: &'x Matrix,
        categorical: &[bool],
        y: &[u8],
    ) -> Result<std::borrow::Cow<'x, Matrix>> {
        self.check()?;
        let x = standard_layout(x);
        check_training_data_where(&x, y, |v| v.is_finite() || v.is_nan())?;
        if categorical.len() != x.ncols() {
            return Err(ModelError::InvalidParameter(format!(
                "{} categorical flags for {} features",
                categorical.len(),
                x.ncols()
            )));
        }
        Ok(x)
    }

    /// Every feature of `x` binned, once for all the trees.
    fn binned(&self, x: RowMajor<'_>) -> Vec<BinnedFeature> {
        let (n, d) = (x.rows, x.cols);
        (0..d)
            .map(|j| BinnedFeature::new((0..n).map(|i| x.data[i * d + j]), self.max_bin))
            .collect()
    }

    /// The trees numbered `trees`, grown on every core, each from its own generator (the
    /// seed and the tree's number only), in order.
    fn grow_batch(
        &self,
        features: &[BinnedFeature],
        (x, y): (RowMajor<'_>, &[u8]),
        trees: std::ops::Range<usize>,
    ) -> Vec<GrownTree> {
        let grower = Grower {
            params: self,
            features,
            max_features: self.max_features.resolve(features.len()),
        };
        let base = self.tree_seed_base();
        let grow = |i: usize, _: &mut dyn FnMut(()) -> bool| {
            let t = trees.start + i;
            self.grow_tree(&grower, Rng::new(base.wrapping_add(t as u64)), (x, y))
        };
        crate::parallel::map(trees.len(), &mut |()| true, &grow)
    }

    /// Tree `t`'s generator starts from this plus `t`.
    fn tree_seed_base(&self) -> u64 {
        Rng::new(self.seed).next_u64()
    }

    /// Grows one tree from its own generator: its bag of rows, then the tree.
    fn grow_tree(&self, grower: &Grower, mut rng: Rng, (x, y): (RowMajor<'_>, &[u8])) -> GrownTree {
        let n = y.len();
        let mut draws = vec![0u32; n];
        self.draw_rows(&mut rng, &mut draws);
        // Weighted counts per row: a `class_weight` would multiply in here.
        let w: Vec<f64> = draws.iter().map(|&c| f64::from(c)).collect();
        let wp: Vec<f64> = w.iter().zip(y).map(|(&w, &y)| w * f64::from(y)).collect();
        let in_bag: Vec<u32> = (0..n as u32).filter(|&r| draws[r as usize] > 0).collect();
        let (tree, importance) = grower.grow(&mut rng, in_bag, &w, &wp);
        // Its predictions on the rows it did not draw, here where the tree grew (on the
        // tree's own core, or worker), for the forest's out-of-bag score.
        let oob = (0..n)
            .filter(|&r| draws[r] == 0)
            .map(|r| tree.predict_row(x.row(r)))
            .collect();
        GrownTree {
            tree,
            importance,
            oob,
        }
    }

    /// How often each row is in a tree's bag: a bootstrap draw of as many rows as there are
    /// (with replacement), or every row once without bootstrap.
    fn draw_rows(&self, rng: &mut Rng, draws: &mut [u32]) {
        if self.bootstrap {
            let n = draws.len();
            draws.iter_mut().for_each(|c| *c = 0);
            for _ in 0..n {
                draws[rng.below(n)] += 1;
            }
        } else {
            draws.iter_mut().for_each(|c| *c = 1);
        }
    }
}

/// Each tree's leaf value for each row of a matrix, and the features its path reads as bits
/// ([`FittedForest::paths`]).
#[derive(Debug, Clone)]
pub struct ForestPaths {
    rows: usize,
    /// Tree `t`, row `i` at `t * rows + i`.
    values: Vec<f64>,
    reads: Vec<u64>,
}

/// A tree of a forest as grown, with its impurity decrease per feature (before the
/// forest's importances are normalised): what a share of a forest grown apart
/// ([`ForestParams::grow_trees`]) sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrownTree {
    pub tree: Tree,
    pub importance: Vec<f64>,
    /// The tree's predictions on the rows it did not draw, in row order (none without
    /// bootstrap).
    pub oob: Vec<f64>,
}

impl GrownTree {
    /// `trees` as two flat arrays, for passing between the page's workers without text:
    /// per tree its numbers of nodes, covers, importances and out-of-bag predictions, then
    /// each node's feature, missing side (1 left), left and right child; and per tree each
    /// node's value, the covers, the importances and the out-of-bag predictions.
    /// [`Self::unpack`] reads them back.
    pub fn pack(trees: &[GrownTree]) -> (Vec<u32>, Vec<f64>) {
        pack_parts(
            trees
                .iter()
                .map(|g| (&g.tree, g.importance.as_slice(), g.oob.as_slice())),
        )
    }

    /// A fitted forest's `trees` packed as [`Self::pack`] packs grown trees (no importances,
    /// no out-of-bag predictions); [`Self::unpack`] reads them back.
    pub fn pack_trees(trees: &[Tree]) -> (Vec<u32>, Vec<f64>) {
        pack_parts(trees.iter().map(|t| (t, &[][..], &[][..])))
    }

    /// The trees [`Self::pack`] packed; a message naming what is wrong when the arrays
    /// are not such a packing (the trees themselves are checked where they are used).
    pub fn unpack(ints: &[u32], floats: &[f64]) -> std::result::Result<Vec<GrownTree>, String> {
        let (mut i, mut f) = (0usize, 0usize);
        let mut trees = Vec::new();
        let short = |what: &str, t: usize| format!("the packed trees end inside tree {t}'s {what}");
        while i < ints.len() {
            let t = trees.len();
            let [nodes, covers, importance, oob] = match take(ints, &mut i, Some(4)) {
                Some(&[a, b, c, d]) => [a, b, c, d].map(|v| v as usize),
                _ => return Err(short("sizes", t)),
            };
            let node_ints =
                take(ints, &mut i, nodes.checked_mul(4)).ok_or_else(|| short("nodes", t))?;
            let values = take(floats, &mut f, Some(nodes)).ok_or_else(|| short("values", t))?;
            let covers = take(floats, &mut f, Some(covers)).ok_or_else(|| short("covers", t))?;
            let importance =
                take(floats, &mut f, Some(importance)).ok_or_else(|| short("importances", t))?;
            let oob = take(floats, &mut f, Some(oob))
                .ok_or_else(|| short("out-of-bag predictions", t))?;
            let nodes = node_ints
                .chunks_exact(4)
                .zip(values)
                .map(|(n, &value)| Node {
                    feature: n[0],
                    missing_left: n[1] == 1,
                    left: n[2],
                    right: n[3],
                    value,
                })
                .collect();
            trees.push(GrownTree {
                tree: Tree {
                    nodes,
                    covers: covers.to_vec(),
                },
                importance: importance.to_vec(),
                oob: oob.to_vec(),
            });
        }
        if f != floats.len() {
            return Err(format!(
                "the packed trees leave {} numbers over",
                floats.len() - f
            ));
        }
        Ok(trees)
    }
}

/// Each tree with its importances and out-of-bag predictions, packed ([`GrownTree::pack`]).
fn pack_parts<'a>(
    trees: impl Iterator<Item = (&'a Tree, &'a [f64], &'a [f64])>,
) -> (Vec<u32>, Vec<f64>) {
    let (mut ints, mut floats) = (Vec::new(), Vec::new());
    for (t, importance, oob) in trees {
        for len in [t.nodes.len(), t.covers.len(), importance.len(), oob.len()] {
            ints.push(u32::try_from(len).unwrap_or(u32::MAX));
        }
        for n in &t.nodes {
            ints.extend([n.feature, u32::from(n.missing_left), n.left, n.right]);
        }
        floats.extend(t.nodes.iter().map(|n| n.value));
        floats.extend(&t.covers);
        floats.extend(importance);
        floats.extend(oob);
    }
    (ints, floats)
}

/// A forest's trees in JSON (a pipeline, a model file): `{"ints": .., "floats": ..}`, the
/// two arrays of [`GrownTree::pack_trees`] as base64 text of their little-endian bytes
/// (32-bit integers, 64-bit floats, every bit kept). Its trees are grown out, so a forest
/// on 80,000 rows has some 800,000 nodes: about 43 bytes a node this way against about
/// 210 as pretty-printed objects (a 175 MB model file becomes about 40 MB, under the
/// model file's 64 MiB). The list of node objects that files written before this wrote
/// is read too.
pub(crate) mod trees_json {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{GrownTree, Tree};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Packed {
        ints: String,
        floats: String,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Packed(Packed),
        Plain(Vec<Tree>),
    }

    pub fn serialize<S: Serializer>(trees: &[Tree], serializer: S) -> Result<S::Ok, S::Error> {
        let (ints, floats) = GrownTree::pack_trees(trees);
        let ints: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
        let floats: Vec<u8> = floats.iter().flat_map(|v| v.to_le_bytes()).collect();
        Packed {
            ints: STANDARD.encode(ints),
            floats: STANDARD.encode(floats),
        }
        .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Tree>, D::Error> {
        use serde::de::Error;
        let packed = match Form::deserialize(deserializer).map_err(|_| {
            D::Error::custom(
                "a forest's trees are neither packed (ints, floats) nor a list of trees",
            )
        })? {
            Form::Plain(trees) => return Ok(trees),
            Form::Packed(p) => p,
        };
        let bytes = |name: &str, text: &str, width: usize| {
            let bytes = STANDARD.decode(text).map_err(|e| {
                D::Error::custom(format!("the forest's packed {name} are not base64 ({e})"))
            })?;
            if bytes.len() % width != 0 {
                return Err(D::Error::custom(format!(
                    "the forest's packed {name} end inside a number"
                )));
            }
            Ok(bytes)
        };
        let ints: Vec<u32> = bytes("ints", &packed.ints, 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let floats: Vec<f64> = bytes("floats", &packed.floats, 8)?
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect();
        let grown = GrownTree::unpack(&ints, &floats).map_err(D::Error::custom)?;
        Ok(grown.into_iter().map(|g| g.tree).collect())
    }
}

/// The next `len` items of `items` from `*at` (moved past them); `None` past the end.
fn take<'a, T>(items: &'a [T], at: &mut usize, len: Option<usize>) -> Option<&'a [T]> {
    let end = at.checked_add(len?)?;
    let span = items.get(*at..end)?;
    *at = end;
    Some(span)
}

/// A forest being put together tree by tree, in order: its trees, importances and
/// out-of-bag predictions.
struct Assembly<'a> {
    params: &'a ForestParams,
    x: RowMajor<'a>,
    y: &'a [u8],
    base: u64,
    trees: Vec<Tree>,
    importances: Vec<f64>,
    oob: OutOfBag,
    draws: Vec<u32>,
}

impl<'a> Assembly<'a> {
    fn new(params: &'a ForestParams, x: RowMajor<'a>, y: &'a [u8]) -> Self {
        Assembly {
            params,
            x,
            y,
            base: params.tree_seed_base(),
            trees: Vec::with_capacity(params.n_trees),
            importances: vec![0.0; x.cols],
            oob: OutOfBag::new(x.rows),
            draws: vec![0u32; x.rows],
        }
    }

    /// Adds the next tree; the progress to report (the running OOB log loss). A tree
    /// whose out-of-bag predictions are not one for each row its bag left out is refused.
    fn add(&mut self, grown: GrownTree) -> Result<Progress> {
        let t = self.trees.len();
        add_importance(&mut self.importances, &grown.importance);
        let mut loss = 0.0;
        if self.params.bootstrap {
            // The tree's bag again, from its own generator.
            let mut rng = Rng::new(self.base.wrapping_add(t as u64));
            self.params.draw_rows(&mut rng, &mut self.draws);
            self.oob.add_tree(&self.draws, &grown.oob).ok_or_else(|| {
                super::invalid(format!(
                    "tree {t}: {} out-of-bag predictions for another number of rows left out",
                    grown.oob.len()
                ))
            })?;
            loss = oob_log_loss(self.y, &self.oob.sum, &self.oob.count);
        }
        self.trees.push(grown.tree);
        Ok(Progress {
            iteration: t + 1,
            max_iterations: self.params.n_trees,
            loss,
        })
    }

    /// The forest: importances normalised, the out-of-bag ROC AUC.
    fn finish(mut self) -> FittedForest {
        let total: f64 = self.importances.iter().sum();
        if total > 0.0 {
            self.importances.iter_mut().for_each(|v| *v /= total);
        }
        let (oob_y, oob_p) = self.oob.averaged(self.y);
        let oob_roc_auc = if self.params.bootstrap {
            roc_auc(&oob_y, &oob_p).ok()
        } else {
            None
        };
        FittedForest {
            trees: self.trees,
            n_features: self.x.cols,
            oob_roc_auc,
            oob_rows: oob_y.len(),
            importances: self.importances,
        }
    }
}

/// Out-of-bag predictions: each row's sum of the probabilities of the trees that did not
/// draw it, and their number.
struct OutOfBag {
    sum: Vec<f64>,
    count: Vec<u32>,
}

impl OutOfBag {
    fn new(n: usize) -> Self {
        OutOfBag {
            sum: vec![0.0; n],
            count: vec![0; n],
        }
    }

    /// Adds a tree's predictions `oob` (in row order) to the rows it did not draw
    /// (`draws[r] == 0`); `None` (nothing added) when their numbers differ.
    fn add_tree(&mut self, draws: &[u32], oob: &[f64]) -> Option<()> {
        let left_out = draws.iter().filter(|&&d| d == 0).count();
        if left_out != oob.len() {
            return None;
        }
        let rows = (0..draws.len()).filter(|&r| draws[r] == 0);
        for (r, &p) in rows.zip(oob) {
            self.sum[r] += p;
            self.count[r] += 1;
        }
        Some(())
    }

    /// Labels and mean out-of-bag probabilities of the rows some tree left out.
    fn averaged(&self, y: &[u8]) -> (Vec<u8>, Vec<f64>) {
        (0..y.len())
            .filter(|&r| self.count[r] > 0)
            .map(|r| (y[r], self.sum[r] / f64::from(self.count[r])))
            .unzip()
    }
}

/// Mean clipped log loss of the averaged OOB predictions, over rows with at least one.
fn oob_log_loss(y: &[u8], sum: &[f64], count: &[u32]) -> f64 {
    let (mut total, mut rows) = (0.0, 0usize);
    for ((&yi, &s), &c) in y.iter().zip(sum).zip(count) {
        if c > 0 {
            let p = (s / f64::from(c)).clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            total -= if yi == 1 { p.ln() } else { (1.0 - p).ln() };
            rows += 1;
        }
    }
    if rows == 0 {
        0.0
    } else {
        total / rows as f64
    }
}

/// A fitted random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedForest {
    /// In JSON packed ([`trees_json`]): a grown-out forest has hundreds of thousands of
    /// nodes.
    #[serde(with = "trees_json")]
    pub trees: Vec<Tree>,
    pub n_features: usize,
    /// ROC AUC of the out-of-bag predictions; `None` without bootstrap or when the OOB rows
    /// hold one class only.
    pub oob_roc_auc: Option<f64>,
    /// Training rows left out of at least one tree (those the OOB score covers).
    pub oob_rows: usize,
    importances: Vec<f64>,
}

impl FittedForest {
    /// The forest without its trees (sent apart, packed: [`GrownTree::pack_trees`]).
    pub fn without_trees(&self) -> FittedForest {
        FittedForest {
            trees: Vec::new(),
            n_features: self.n_features,
            oob_roc_auc: self.oob_roc_auc,
            oob_rows: self.oob_rows,
            importances: self.importances.clone(),
        }
    }

    /// Each tree as plain splits on feature values (the probability is the mean of the
    /// leaf values).
    pub fn tree_views(&self) -> Vec<TreeView> {
        self.trees.iter().map(Tree::view).collect()
    }

    /// Probability of churn for each row of `x` (NaN = missing): the mean of the trees'
    /// leaf fractions.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        // Tree by tree, so each (possibly large) tree stays in cache while every row
        // passes through it.
        let x = standard_layout(x);
        let x = x.row_major();
        let mut sum = vec![0.0; x.rows];
        for tree in &self.trees {
            for (i, s) in sum.iter_mut().enumerate() {
                *s += tree.predict_row(x.row(i));
            }
        }
        let k = self.trees.len().max(1) as f64;
        sum.iter_mut().for_each(|s| *s /= k);
        sum
    }

    /// Each tree's leaf value for each row of `x` and the features its path reads (as bits),
    /// for scoring the rows again after some features change
    /// ([`Self::predict_proba_changed`]); `None` when the forest reads more than 64 features.
    pub fn paths(&self, x: &Matrix) -> Option<ForestPaths> {
        if self.n_features > 64 {
            return None;
        }
        let x = standard_layout(x);
        let x = x.row_major();
        let mut values = Vec::with_capacity(self.trees.len() * x.rows);
        let mut reads = Vec::with_capacity(self.trees.len() * x.rows);
        for tree in &self.trees {
            for i in 0..x.rows {
                let (value, mask) = tree.predict_row_reading(x.row(i));
                values.push(value);
                reads.push(mask);
            }
        }
        Some(ForestPaths {
            rows: x.rows,
            values,
            reads,
        })
    }

    /// [`Self::predict_proba`] of `x`, rows that differ from those `paths` were taken on only
    /// in the features set in `changed`: a tree's leaf is looked up again only for the rows
    /// whose path reads one of them, the others keep theirs, and the sums run in the same
    /// order, so the probabilities are the same to the bit.
    /// Rows of another number than `paths` has are scored in full.
    pub fn predict_proba_changed(&self, x: &Matrix, paths: &ForestPaths, changed: u64) -> Vec<f64> {
        if x.nrows() != paths.rows || paths.values.len() != self.trees.len() * paths.rows {
            return self.predict_proba(x);
        }
        let x = standard_layout(x);
        let x = x.row_major();
        let mut sum = vec![0.0; x.rows];
        for (t, tree) in self.trees.iter().enumerate() {
            let at = t * x.rows;
            let (values, reads) = (
                &paths.values[at..at + x.rows],
                &paths.reads[at..at + x.rows],
            );
            for (i, s) in sum.iter_mut().enumerate() {
                *s += if reads[i] & changed == 0 {
                    values[i]
                } else {
                    tree.predict_row(x.row(i))
                };
            }
        }
        let k = self.trees.len().max(1) as f64;
        sum.iter_mut().for_each(|s| *s /= k);
        sum
    }

    /// Checks that the forest scores `n_features` features and that every tree is a tree:
    /// a root, split features in range, children after their parent (so no walk loops).
    pub fn check(&self, n_features: usize) -> Result<()> {
        if self.n_features != n_features {
            return Err(super::invalid(format!(
                "a forest of {} features given {n_features}",
                self.n_features
            )));
        }
        for (t, tree) in self.trees.iter().enumerate() {
            tree.check(n_features)
                .map_err(|e| super::invalid(format!("tree {t}: {e}")))?;
        }
        Ok(())
    }

    /// Mean decrease in Gini impurity per feature (weighted by node weight, normalised per
    /// tree, averaged, summing to 1; all zeros when no tree split), scikit-learn's
    /// `feature_importances_`.
    pub fn feature_importances(&self) -> &[f64] {
        &self.importances
    }

    /// Exact SHAP values (TreeSHAP, Lundberg, Erion & Lee 2018, Algorithm 2) of each row of `x`
    /// (NaN = missing) in probability space: one value per input feature, then the expected
    /// value last (the mean over trees of the cover-weighted mean leaf); a row's values sum
    /// to its [`predict_proba`](Self::predict_proba). `None` when the model was saved
    /// before trees kept their node weights.
    pub fn shap_values(&self, x: &Matrix) -> Option<Vec<Vec<f64>>> {
        let explainer = self.explainer(x.nrows())?;
        Some(self.shap_values_by(x, &explainer))
    }

    /// The TreeSHAP set-up for explaining about `rows` rows in all, built once and shared
    /// by every chunk of them ([`shap_values_by`](Self::shap_values_by)); `None` as in
    /// [`shap_values`](Self::shap_values).
    pub(crate) fn explainer(&self, rows: usize) -> Option<Explainer<'_, Tree>> {
        self.trees
            .iter()
            .all(|t| t.covers.len() == t.nodes.len())
            .then(|| Explainer::new(&self.trees, rows))
    }

    /// [`shap_values`](Self::shap_values) with an `explainer` of this model's.
    pub(crate) fn shap_values_by(
        &self,
        x: &Matrix,
        explainer: &Explainer<'_, Tree>,
    ) -> Vec<Vec<f64>> {
        let d = self.n_features;
        let k = self.trees.len().max(1) as f64;
        let expected = self.trees.iter().map(expected_value).sum::<f64>() / k;
        let x = standard_layout(x);
        let x = x.row_major();
        let task = |chunk: usize, _: &mut dyn FnMut(()) -> bool| {
            let rows = chunk * ROWS_PER_TASK..((chunk + 1) * ROWS_PER_TASK).min(x.rows);
            let values: Vec<&[f64]> = rows.clone().map(|i| x.row(i)).collect();
            let mut phi = vec![vec![0.0; d + 1]; rows.len()];
            explainer.add_rows(&values, &mut phi, &mut explainer.scratch());
            for p in &mut phi {
                p.iter_mut().for_each(|v| *v /= k);
                p[d] = expected;
            }
            phi
        };
        let chunks = crate::parallel::map(x.rows.div_ceil(ROWS_PER_TASK), &mut |_| true, &task);
        chunks.into_iter().flatten().collect()
    }
}

/// One node: a leaf when `left == 0` (the root is never a child), with `value` its class-1
/// fraction; otherwise rows with `x[feature] <= value` go to `left`, the others to `right`,
/// and missing values to `left` when `missing_left`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    feature: u32,
    missing_left: bool,
    left: u32,
    right: u32,
    value: f64,
}

impl Node {
    fn leaf() -> Self {
        Node {
            feature: 0,
            missing_left: false,
            left: 0,
            right: 0,
            value: 0.0,
        }
    }

    fn is_leaf(&self) -> bool {
        self.left == 0
    }
}

/// One tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Per node, the bootstrap-weighted training rows that reached it (a row drawn k times
    /// counts k; without bootstrap, each row once): the weights its class fraction was
    /// computed on, and the covers of SHAP values (scikit-learn's
    /// `weighted_n_node_samples`). Empty in models saved before these were kept.
    #[serde(default)]
    covers: Vec<f64>,
}

impl Tree {
    /// The tree as plain splits on feature values.
    pub(crate) fn view(&self) -> TreeView {
        self.view_node(0)
    }

    fn view_node(&self, i: usize) -> TreeView {
        let node = &self.nodes[i];
        if node.is_leaf() {
            return TreeView::Leaf(node.value);
        }
        TreeView::Split {
            feature: node.feature as usize,
            left_when: LeftWhen::Ranges {
                ranges: vec![(f64::NEG_INFINITY, node.value)],
                missing: node.missing_left,
            },
            left: Box::new(self.view_node(node.left as usize)),
            right: Box::new(self.view_node(node.right as usize)),
        }
    }

    /// The class-1 fraction of the leaf `row` falls in.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        self.walk(row, |_| {})
    }

    /// [`Self::predict_row`], with the features the path reads as bits (features below 64).
    fn predict_row_reading(&self, row: &[f64]) -> (f64, u64) {
        let mut mask = 0u64;
        let value = self.walk(row, |feature| {
            mask |= 1u64.checked_shl(feature).unwrap_or(0);
        });
        (value, mask)
    }

    /// The value of the leaf `row` falls in, telling `read` each feature a node on the way
    /// reads.
    #[inline(always)]
    fn walk(&self, row: &[f64], mut read: impl FnMut(u32)) -> f64 {
        let mut node = &self.nodes[0];
        while !node.is_leaf() {
            read(node.feature);
            let v = row[node.feature as usize];
            let left = if v.is_nan() {
                node.missing_left
            } else {
                v <= node.value
            };
            node = &self.nodes[if left { node.left } else { node.right } as usize];
        }
        node.value
    }

    /// Why the tree cannot score rows of `n_features` features, if it cannot.
    fn check(&self, n_features: usize) -> std::result::Result<(), TreeDefect> {
        if self.nodes.is_empty() {
            return Err(TreeDefect::NoNodes);
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if node.is_leaf() {
                continue;
            }
            let (left, right) = (node.left as usize, node.right as usize);
            if node.feature as usize >= n_features
                || left <= i
                || right <= i
                || left >= self.nodes.len()
                || right >= self.nodes.len()
            {
                return Err(TreeDefect::SplitOutOfPlace {
                    node: i,
                    feature: node.feature as usize,
                    left,
                    right,
                    nodes: self.nodes.len(),
                });
            }
        }
        Ok(())
    }

    /// Number of nodes, leaves included.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }
}

/// Rows are given as raw values; NaN goes the node's missing side.
impl PathTree for Tree {
    type Row = [f64];

    fn root(&self) -> usize {
        0
    }

    fn split(&self, node: usize) -> Option<(usize, usize, usize)> {
        let n = &self.nodes[node];
        (!n.is_leaf()).then_some((n.feature as usize, n.left as usize, n.right as usize))
    }

    fn cover(&self, node: usize) -> f64 {
        self.covers[node]
    }

    fn leaf_value(&self, node: usize) -> f64 {
        self.nodes[node].value
    }

    fn goes_left(&self, node: usize, row: &[f64]) -> bool {
        let n = &self.nodes[node];
        let v = row[n.feature as usize];
        if v.is_nan() {
            n.missing_left
        } else {
            v <= n.value
        }
    }
}

/// One feature's bin of every training row: a byte when 256 bins (missing included) suffice.
enum BinColumn {
    Byte(Vec<u8>),
    Wide(Vec<u16>),
}

/// A feature binned for training. Value bin k holds values up to `edges[k]` (the last value
/// bin, `edges.len()`, is unbounded); the bin after it, `edges.len() + 1`, holds NaN.
struct BinnedFeature {
    edges: Vec<f64>,
    codes: BinColumn,
}

impl BinnedFeature {
    fn new(values: impl Iterator<Item = f64> + Clone, max_bin: usize) -> Self {
        let edges = bin_edges(values.clone(), max_bin);
        let bin = |v: f64| {
            if v.is_nan() {
                edges.len() + 1
            } else {
                edges.partition_point(|&e| e < v)
            }
        };
        let codes = if edges.len() + 2 <= 256 {
            BinColumn::Byte(values.map(|v| bin(v) as u8).collect())
        } else {
            BinColumn::Wide(values.map(|v| bin(v) as u16).collect())
        };
        BinnedFeature { edges, codes }
    }

    /// Bins including the missing one.
    fn n_bins(&self) -> usize {
        self.edges.len() + 2
    }

    fn missing_bin(&self) -> usize {
        self.edges.len() + 1
    }
}

/// Upper edges of at most `max_bin` value bins: one bin per distinct value when few, else
/// about equal counts (the target recomputed after each cut, so a heavy value does not use
/// up the bins); edges half-way between neighbouring values.
fn bin_edges(values: impl Iterator<Item = f64>, max_bin: usize) -> Vec<f64> {
    let mut present: Vec<f64> = values.filter(|v| !v.is_nan()).collect();
    present.sort_unstable_by(f64::total_cmp);
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for v in present {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let between = |a: f64, b: f64| {
        let m = a / 2.0 + b / 2.0;
        // Rounding may land on b for neighbouring floats; a still splits them.
        if m < b {
            m
        } else {
            a
        }
    };
    if distinct.len() <= max_bin {
        return distinct
            .windows(2)
            .map(|p| between(p[0].0, p[1].0))
            .collect();
    }
    let total: usize = distinct.iter().map(|d| d.1).sum();
    let mut edges = Vec::with_capacity(max_bin - 1);
    let (mut done, mut in_bin) = (0usize, 0usize);
    for i in 0..distinct.len() - 1 {
        in_bin += distinct[i].1;
        let target = (total - done) as f64 / (max_bin - edges.len()) as f64;
        if in_bin as f64 >= target {
            edges.push(between(distinct[i].0, distinct[i + 1].0));
            done += in_bin;
            in_bin = 0;
            if edges.len() == max_bin - 1 {
                break;
            }
        }
    }
    edges
}

/// Distinct rows and weighted counts (all, class 1) of a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cell {
    rows: u32,
    w: f64,
    wp: f64,
}

impl Cell {
    fn plus(self, o: Cell) -> Cell {
        Cell {
            rows: self.rows + o.rows,
            w: self.w + o.w,
            wp: self.wp + o.wp,
        }
    }

    fn minus(self, o: Cell) -> Cell {
        Cell {
            rows: self.rows - o.rows,
            w: self.w - o.w,
            wp: self.wp - o.wp,
        }
    }

    /// Σ_k w_k² / w: the larger, the purer (w·(1 − Gini)).
    fn purity(self) -> f64 {
        if self.w > 0.0 {
            let w0 = self.w - self.wp;
            (self.wp * self.wp + w0 * w0) / self.w
        } else {
            0.0
        }
    }

    fn gini(self) -> f64 {
        if self.w > 0.0 {
            1.0 - self.purity() / self.w
        } else {
            0.0
        }
    }
}

/// The best split found so far at a node.
struct Split {
    feature: usize,
    /// Bins up to this go left.
    bin: usize,
    threshold: f64,
    missing_left: bool,
    left: Cell,
    right: Cell,
    purity: f64,
}

/// A node waiting to be grown: its rows are `rows[start..end]`.
struct Work {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    total: Cell,
    /// Features found constant at an ancestor.
    constant: Vec<u32>,
}

impl Work {
    /// The work of the two children of this node, split by `split` at `mid` into nodes
    /// `left` and `left + 1`, in stack order (the left child is grown first); `constant`:
    /// the features constant here.
    fn children(&self, left: usize, mid: usize, split: &Split, constant: Vec<u32>) -> [Work; 2] {
        [
            Work {
                node: left + 1,
                start: mid,
                end: self.end,
                depth: self.depth + 1,
                total: split.right,
                constant: constant.clone(),
            },
            Work {
                node: left,
                start: self.start,
                end: mid,
                depth: self.depth + 1,
                total: split.left,
                constant,
            },
        ]
    }
}

/// What every tree of a fit shares.
struct Grower<'a> {
    params: &'a ForestParams,
    features: &'a [BinnedFeature],
    max_features: usize,
}

/// Reusable buffers of one tree's growth.
struct Scratch {
    hist: Vec<Cell>,
    touched: Vec<u32>,
    present: Vec<(u32, Cell)>,
    node_w: Vec<f64>,
    node_wp: Vec<f64>,
    right_rows: Vec<u32>,
}

impl Scratch {
    /// Empty buffers, with a histogram of `max_bins` cells.
    fn new(max_bins: usize) -> Self {
        Scratch {
            hist: vec![Cell::default(); max_bins],
            touched: Vec::new(),
            present: Vec::new(),
            node_w: Vec::new(),
            node_wp: Vec::new(),
            right_rows: Vec::new(),
        }
    }
}

impl Grower<'_> {
    /// Grows one tree depth-first on the rows `in_bag` (ascending) with weights `w` and
    /// class-1 weights `wp`; returns it with its impurity decrease per feature.
    fn grow(&self, rng: &mut Rng, mut rows: Vec<u32>, w: &[f64], wp: &[f64]) -> (Tree, Vec<f64>) {
        let d = self.features.len();
        let max_bins = self.features.iter().map(|f| f.n_bins()).max().unwrap_or(0);
        let mut s = Scratch::new(max_bins);
        let mut order: Vec<usize> = (0..d).collect();
        let mut importance = vec![0.0; d];
        let total = rows.iter().fold(Cell::default(), |c, &r| {
            c.plus(Cell {
                rows: 1,
                w: w[r as usize],
                wp: wp[r as usize],
            })
        });
        let mut nodes = vec![Node::leaf()];
        let mut covers = vec![0.0];
        let mut stack = vec![Work {
            node: 0,
            start: 0,
            end: rows.len(),
            depth: 0,
            total,
            constant: Vec::new(),
        }];
        while let Some(work) = stack.pop() {
            let total = work.total;
            covers[work.node] = total.w;
            nodes[work.node].value = if total.w > 0.0 {
                total.wp / total.w
            } else {
                0.0
            };
            if !self.may_split(&work) {
                continue;
            }
            let node_rows = &rows[work.start..work.end];
            s.node_w.clear();
            s.node_wp.clear();
            s.node_w.extend(node_rows.iter().map(|&r| w[r as usize]));
            s.node_wp.extend(node_rows.iter().map(|&r| wp[r as usize]));
            let (best, constant) = self.best_split(rng, &mut order, &work, node_rows, &mut s);
            let Some(split) = best else {
                continue;
            };
            let n_left = partition(
                &mut rows[work.start..work.end],
                &mut s.right_rows,
                &self.features[split.feature],
                split.bin,
                split.missing_left,
            );
            importance[split.feature] += total.w * total.gini()
                - split.left.w * split.left.gini()
                - split.right.w * split.right.gini();
            let left = nodes.len();
            nodes[work.node] = Node {
                feature: split.feature as u32,
                missing_left: split.missing_left,
                left: left as u32,
                right: left as u32 + 1,
                value: split.threshold,
            };
            nodes.push(Node::leaf());
            nodes.push(Node::leaf());
            covers.extend([0.0, 0.0]);
            stack.extend(work.children(left, work.start + n_left, &split, constant));
        }
        (Tree { nodes, covers }, importance)
    }

    /// The best split of the node of `work` over a draw of features, as scikit-learn's:
    /// `max_features` features without replacement, constant ones included, and more only
    /// until one that is not constant here was searched. A feature constant at a node stays
    /// so below it: its children skip it without a histogram; returned with the split are
    /// the features constant here, for the children.
    fn best_split(
        &self,
        rng: &mut Rng,
        order: &mut [usize],
        work: &Work,
        node_rows: &[u32],
        s: &mut Scratch,
    ) -> (Option<Split>, Vec<u32>) {
        let d = self.features.len();
        let mut best: Option<Split> = None;
        let (mut searched, mut drawn) = (0, 0);
        let mut constant = work.constant.clone();
        while drawn < d && (drawn < self.max_features || searched == 0) {
            let k = drawn + rng.below(d - drawn);
            order.swap(drawn, k);
            let j = order[drawn];
            drawn += 1;
            if work.constant.contains(&(j as u32)) {
                continue;
            }
            if self.search_feature(j, node_rows, work.total, s, &mut best) {
                searched += 1;
            } else {
                constant.push(j as u32);
            }
        }
        (best, constant)
    }

    fn may_split(&self, work: &Work) -> bool {
        let p = self.params;
        let n = work.end - work.start;
        p.max_depth.is_none_or(|m| work.depth < m)
            && n >= p.min_samples_split
            && n >= 2 * p.min_samples_leaf
            && work.total.gini() > f64::EPSILON
    }

    /// Searches the splits of feature `j` over `rows` (whose weights are in `s.node_w`,
    /// `s.node_wp`), keeping a better one in `best`. False when the feature is constant here.
    fn search_feature(
        &self,
        j: usize,
        rows: &[u32],
        total: Cell,
        s: &mut Scratch,
        best: &mut Option<Split>,
    ) -> bool {
        let f = &self.features[j];
        let missing = node_histogram(f, rows, s);
        let has_missing = missing.rows > 0;
        if s.present.len() + usize::from(has_missing) < 2 {
            return false;
        }
        let min_leaf = self.params.min_samples_leaf as u32;
        let Some((i, missing_left, purity, left)) =
            best_boundary(&s.present, missing, total, min_leaf)
        else {
            return true;
        };
        if best.as_ref().is_some_and(|b| purity <= b.purity) {
            return true;
        }
        let last = s.present.len().saturating_sub(1);
        let (bin, threshold) = if i < last {
            // Any edge in the gap of empty bins separates the rows; take the middle one.
            let (a, b) = (s.present[i].0 as usize, s.present[i + 1].0 as usize);
            let t = a + (b - 1 - a) / 2;
            (t, f.edges[t])
        } else {
            (f.edges.len(), f64::MAX)
        };
        let right = total.minus(left);
        // A node that saw no missing value sends them to its heavier child.
        let missing_left = if has_missing {
            missing_left
        } else {
            left.w >= right.w
        };
        *best = Some(Split {
            feature: j,
            bin,
            threshold,
            missing_left,
            left,
            right,
            purity,
        });
        true
    }
}

/// Fills `s.present` with the non-empty bins of feature `f` over `rows` (weights in
/// `s.node_w`, `s.node_wp`), in bin order, and returns the missing bin's cell; leaves
/// `s.hist` cleared.
fn node_histogram(f: &BinnedFeature, rows: &[u32], s: &mut Scratch) -> Cell {
    let nb = f.n_bins();
    let missing_bin = f.missing_bin();
    s.present.clear();
    if rows.len() >= nb {
        // Dense: every bin is visited anyway.
        let hist = &mut s.hist[..nb];
        match &f.codes {
            BinColumn::Byte(c) => accumulate(hist, c, rows, &s.node_w, &s.node_wp),
            BinColumn::Wide(c) => accumulate(hist, c, rows, &s.node_w, &s.node_wp),
        }
        s.present.extend(
            hist[..missing_bin]
                .iter()
                .enumerate()
                .filter(|(_, c)| c.rows > 0)
                .map(|(b, &c)| (b as u32, c)),
        );
        let missing = hist[missing_bin];
        hist.iter_mut().for_each(|c| *c = Cell::default());
        missing
    } else {
        // Sparse: fewer rows than bins; only the bins touched are visited and cleared.
        s.touched.clear();
        match &f.codes {
            BinColumn::Byte(c) => {
                accumulate_touched(&mut s.hist, &mut s.touched, c, rows, &s.node_w, &s.node_wp)
            }
            BinColumn::Wide(c) => {
                accumulate_touched(&mut s.hist, &mut s.touched, c, rows, &s.node_w, &s.node_wp)
            }
        }
        s.touched.sort_unstable();
        let missing = s.hist[missing_bin];
        for &b in &s.touched {
            if b as usize != missing_bin {
                s.present.push((b, s.hist[b as usize]));
            }
            s.hist[b as usize] = Cell::default();
        }
        missing
    }
}

/// The purest boundary between the `present` bins (with the `missing` rows sent either
/// way) that leaves at least `min_leaf` rows a side: (boundary index in `present`,
/// missing_left, purity, left cell). The last index sends every present value left and the
/// missing ones right.
fn best_boundary(
    present: &[(u32, Cell)],
    missing: Cell,
    total: Cell,
    min_leaf: u32,
) -> Option<(usize, bool, f64, Cell)> {
    let has_missing = missing.rows > 0;
    let mut found: Option<(usize, bool, f64, Cell)> = None;
    let mut consider = |i: usize, missing_left: bool, left: Cell| {
        let right = total.minus(left);
        if left.rows < min_leaf || right.rows < min_leaf {
            return;
        }
        let purity = left.purity() + right.purity();
        if found.is_none_or(|f| purity > f.2) {
            found = Some((i, missing_left, purity, left));
        }
    };
    let mut cum = Cell::default();
    let last = present.len().saturating_sub(1);
    for (i, &(_, cell)) in present.iter().enumerate() {
        cum = cum.plus(cell);
        if i < last {
            consider(i, false, cum);
            if has_missing {
                consider(i, true, cum.plus(missing));
            }
        } else if has_missing {
            // Every present value left, the missing ones right.
            consider(i, false, cum);
        }
    }
    found
}

#[inline]
fn accumulate<T: Copy + Into<u32>>(
    hist: &mut [Cell],
    codes: &[T],
    rows: &[u32],
    w: &[f64],
    wp: &[f64],
) {
    for ((&r, &wi), &pi) in rows.iter().zip(w).zip(wp) {
        let c = &mut hist[codes[r as usize].into() as usize];
        c.rows += 1;
        c.w += wi;
        c.wp += pi;
    }
}

#[inline]
fn accumulate_touched<T: Copy + Into<u32>>(
    hist: &mut [Cell],
    touched: &mut Vec<u32>,
    codes: &[T],
    rows: &[u32],
    w: &[f64],
    wp: &[f64],
) {
    for ((&r, &wi), &pi) in rows.iter().zip(w).zip(wp) {
        let b = codes[r as usize].into();
        let c = &mut hist[b as usize];
        if c.rows == 0 {
            touched.push(b);
        }
        c.rows += 1;
        c.w += wi;
        c.wp += pi;
    }
}

/// Stable partition of `rows` by the split (bins up to `bin` left, the missing bin by
/// `missing_left`); returns the number going left. Keeping rows ascending keeps the bin
/// look-ups of the children in memory order.
fn partition(
    rows: &mut [u32],
    right: &mut Vec<u32>,
    feature: &BinnedFeature,
    bin: usize,
    missing_left: bool,
) -> usize {
    fn run<T: Copy + Into<u32>>(
        rows: &mut [u32],
        right: &mut Vec<u32>,
        codes: &[T],
        bin: u32,
        missing_bin: u32,
        missing_left: bool,
    ) -> usize {
        right.clear();
        let mut n_left = 0;
        for k in 0..rows.len() {
            let r = rows[k];
            let b = codes[r as usize].into();
            let left = if b == missing_bin {
                missing_left
            } else {
                b <= bin
            };
            if left {
                rows[n_left] = r;
                n_left += 1;
            } else {
                right.push(r);
            }
        }
        rows[n_left..].copy_from_slice(right);
        n_left
    }
    let missing_bin = feature.missing_bin() as u32;
    match &feature.codes {
        BinColumn::Byte(c) => run(rows, right, c, bin as u32, missing_bin, missing_left),
        BinColumn::Wide(c) => run(rows, right, c, bin as u32, missing_bin, missing_left),
    }
}

/// Adds one tree's impurity decreases, normalised as scikit-learn does before averaging.
fn add_importance(importances: &mut [f64], tree_importance: &[f64]) {
    let total: f64 = tree_importance.iter().sum();
    if total > 0.0 {
        for (a, b) in importances.iter_mut().zip(tree_importance) {
            *a += b / total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(rows: &[f64]) -> Matrix {
        Matrix::from_rows(&rows.iter().map(|&v| vec![v]).collect::<Vec<_>>())
    }

    /// One tree on every row, every feature: the exhaustive Gini tree.
    fn single_tree() -> ForestParams {
        ForestParams::new()
            .n_trees(1)
            .bootstrap(false)
            .max_features(MaxFeatures::All)
    }

    /// 300 rows of 4 features (one with missing values), the label from two of them and
    /// noise, seeded.
    fn noisy_rows() -> (Matrix, Vec<u8>) {
        let mut rng = Rng::new(21);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..300 {
            let row: Vec<f64> = (0..4).map(|_| rng.uniform()).collect();
            y.push(u8::from(row[0] + row[1] > 1.0 || rng.uniform() < 0.1));
            let mut row = row;
            if rng.uniform() < 0.2 {
                row[2] = f64::NAN;
            }
            rows.push(row);
        }
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn a_forest_grown_in_shares_is_the_forest_grown_at_once() {
        let (x, y) = noisy_rows();
        let params = ForestParams::new().n_trees(30).seed(4);
        let cat = [false; 4];
        let mut whole = Vec::new();
        let fitted = params
            .fit(&x, &cat, &y, |p| {
                whole.push((p.iteration, p.loss));
                true
            })
            .expect("fit");
        // Shares of different sizes, grown on different numbers of threads.
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let mut grown = Vec::new();
        for (trees, threads) in [(0..7, 1), (7..20, 2), (20..30, 3)] {
            crate::parallel::set_threads(threads);
            let share = params.grow_trees(&x, &cat, &y, trees.clone(), |_| true);
            crate::parallel::set_threads(0);
            let share = share.expect("share");
            assert_eq!(share.len(), trees.len());
            grown.extend(share);
        }
        // The trees travel between the page's workers packed in two arrays.
        let (ints, floats) = GrownTree::pack(&grown);
        let grown = GrownTree::unpack(&ints, &floats).expect("unpacked");
        assert!(GrownTree::unpack(&ints[..ints.len() - 1], &floats)
            .is_err_and(|e| e.contains("end inside tree 29's nodes")));
        assert!(GrownTree::unpack(&ints, &floats[..floats.len() - 1]).is_err());
        assert!(
            GrownTree::unpack(&ints, &[floats.clone(), vec![1.0]].concat())
                .is_err_and(|e| e.contains("1 numbers over"))
        );
        let mut joined = Vec::new();
        let assembled = params
            .fit_grown(&x, &cat, &y, grown.clone(), |p| {
                joined.push((p.iteration, p.loss));
                true
            })
            .expect("assembled");
        assert_eq!(fitted, assembled);
        assert_eq!(whole, joined, "the same progress, OOB losses included");
        assert!(fitted.oob_roc_auc.is_some_and(|auc| auc > 0.7));
        // A share missing, or trees of another data's shape, are refused.
        let short = params.fit_grown(&x, &cat, &y, grown[..29].to_vec(), |_| true);
        assert!(short.is_err_and(|e| e.to_string().contains("29 trees grown for a forest of 30")));
        let narrow = x.select(ndarray::Axis(1), &[0, 1]);
        let other = params.fit_grown(&narrow, &[false; 2], &y, grown, |_| true);
        assert!(other.is_err());
    }

    #[test]
    fn max_features_rounds_like_sklearn() {
        // scikit-learn 1.9.1 `_forest.py`/`_classes.py`: "sqrt" is max(1, int(np.sqrt(d))),
        // a float f is max(1, int(f * d)).
        assert_eq!(MaxFeatures::Sqrt.resolve(30), 5);
        assert_eq!(MaxFeatures::Sqrt.resolve(16), 4);
        assert_eq!(MaxFeatures::Sqrt.resolve(1), 1);
        assert_eq!(MaxFeatures::Fraction(0.5).resolve(7), 3);
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(7), 1);
        assert_eq!(MaxFeatures::Count(50).resolve(7), 7);
        assert_eq!(MaxFeatures::All.resolve(7), 7);
    }

    #[test]
    fn bins_are_values_or_equal_counts() {
        // Few values: edges half-way between neighbours; NaN takes no edge.
        let e = bin_edges([3.0, 1.0, f64::NAN, 2.0, 1.0].into_iter(), 255);
        assert_eq!(e, [1.5, 2.5]);
        // 1000 distinct values into 10 bins: 100 a bin, edges at 100.5, 200.5, ...
        let e = bin_edges((1..=1000).map(f64::from), 10);
        assert_eq!(e.len(), 9);
        assert_eq!((e[0], e[8]), (100.5, 900.5));
        // A heavy value (half the rows) gets one bin; the rest still share the others.
        let heavy = (0..1000).map(|i| if i < 500 { 0.0 } else { f64::from(i) });
        let e = bin_edges(heavy, 6);
        assert_eq!(e.len(), 5);
        assert_eq!(e[0], 250.0); // half-way between 0 and 500
    }

    #[test]
    fn stump_takes_the_best_gini_split_on_a_hand_checked_toy_set() {
        // x0 = 1..8, y = 0 0 1 0 1 1 1 1. Weighted child Gini n_L·G_L + n_R·G_R per
        // threshold of x0 (by hand): after 1: 0 + 7·(20/49) = 2.857; after 2: 0 + 6·(10/36)
        // = 1.667; after 3: 3·(4/9) + 5·0.32 = 2.933; after 4: 4·0.375 + 0 = 1.5; after 5:
        // 5·0.48 + 0 = 2.4; after 6: 6·0.5 = 3; after 7: 7·(24/49) = 3.429. x1 (odd/even)
        // gives 4·0.375 + 4·0.5 = 3.5. Best: x0 <= 4.5 (half-way between 4 and 5), leaves
        // holding 1/4 and 4/4 churners.
        let y = [0, 0, 1, 0, 1, 1, 1, 1];
        let x = Matrix::from_rows(
            &(0..8)
                .map(|i| vec![f64::from(i + 1), f64::from((i + 1) % 2)])
                .collect::<Vec<_>>(),
        );
        let m = single_tree()
            .max_depth(Some(1))
            .fit(&x, &[false, false], &y, |_| true)
            .expect("fit");
        let tree = &m.trees[0];
        assert_eq!(tree.n_nodes(), 3);
        assert_eq!((tree.nodes[0].feature, tree.nodes[0].value), (0, 4.5));
        assert_eq!(
            m.predict_proba(&x),
            [0.25, 0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 1.0]
        );
        let edge = Matrix::from_rows(&[vec![4.49, 0.0], vec![4.51, 0.0]]);
        assert_eq!(m.predict_proba(&edge), [0.25, 1.0]);
        // Only x0 split: all the importance is its.
        assert_eq!(m.feature_importances(), [1.0, 0.0]);
        // Fully grown, every training row is fitted exactly.
        let full = single_tree()
            .fit(&x, &[false, false], &y, |_| true)
            .expect("fit");
        let p = full.predict_proba(&x);
        assert!(p.iter().zip(&y).all(|(p, &y)| *p == f64::from(y)), "{p:?}");
    }

    #[test]
    fn min_samples_leaf_limits_the_split() {
        // The toy set above with leaves of at least 3 rows: after 4 (4 | 4) still allowed
        // and best; with 5 no split leaves both sides 5 rows, so the root is a leaf (5/8).
        let y = [0, 0, 1, 0, 1, 1, 1, 1];
        let x = column(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        let m = single_tree()
            .min_samples_leaf(3)
            .max_depth(Some(1))
            .fit(&x, &[false], &y, |_| true)
            .expect("fit");
        assert_eq!(m.trees[0].nodes[0].value, 4.5);
        let m = single_tree()
            .min_samples_leaf(5)
            .fit(&x, &[false], &y, |_| true)
            .expect("fit");
        assert_eq!(m.trees[0].n_nodes(), 1);
        assert_eq!(m.predict_proba(&column(&[0.0])), [0.625]);
    }

    #[test]
    fn missing_values_go_to_a_learned_side() {
        // x in 0..10 repeated, every fifth row missing. Case A: churn iff missing or x >= 7
        // -> the split x <= 6.5 with missing on the right. Case B: churn iff x >= 7 and
        // missing rows stay -> missing on the left. One stump each, exhaustive.
        let xs: Vec<f64> = (0..100)
            .map(|i| {
                if i % 5 == 0 {
                    f64::NAN
                } else {
                    f64::from(i % 10)
                }
            })
            .collect();
        let x = column(&xs);
        let nan = column(&[f64::NAN]);
        let y_a: Vec<u8> = xs
            .iter()
            .map(|&v| u8::from(v.is_nan() || v >= 7.0))
            .collect();
        let a = single_tree()
            .max_depth(Some(1))
            .fit(&x, &[false], &y_a, |_| true)
            .expect("fit");
        assert_eq!(a.trees[0].nodes[0].value, 6.5);
        assert!(!a.trees[0].nodes[0].missing_left);
        assert_eq!(a.predict_proba(&nan), [1.0]);
        let y_b: Vec<u8> = xs.iter().map(|&v| u8::from(v >= 7.0)).collect();
        let b = single_tree()
            .max_depth(Some(1))
            .fit(&x, &[false], &y_b, |_| true)
            .expect("fit");
        assert_eq!(b.trees[0].nodes[0].value, 6.5);
        assert!(b.trees[0].nodes[0].missing_left);
        assert_eq!(b.predict_proba(&nan), [0.0]);
        // Churn iff missing: "all present left, missing right" separates exactly.
        let y_c: Vec<u8> = xs.iter().map(|&v| u8::from(v.is_nan())).collect();
        let c = single_tree()
            .fit(&x, &[false], &y_c, |_| true)
            .expect("fit");
        assert_eq!(c.trees[0].n_nodes(), 3);
        assert_eq!(
            c.predict_proba(&column(&[f64::NAN, 3.0, 1e300])),
            [1.0, 0.0, 0.0]
        );
    }

    #[test]
    fn unseen_missing_values_go_to_the_heavier_child() {
        // x = 0..10, churn iff x >= 8: the split x <= 7.5 leaves 8 rows left, 2 right; no
        // missing value in training, so missing goes left (the heavier child).
        let x = column(&(0..10).map(f64::from).collect::<Vec<_>>());
        let y: Vec<u8> = (0..10).map(|i| u8::from(i >= 8)).collect();
        let m = single_tree().fit(&x, &[false], &y, |_| true).expect("fit");
        assert_eq!(m.trees[0].nodes[0].value, 7.5);
        assert_eq!(m.predict_proba(&column(&[f64::NAN])), [0.0]);
    }

    fn noisy_data(n: usize, seed: u64) -> (Matrix, Vec<u8>) {
        let mut rng = Rng::new(seed);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rng.normal();
            let b = rng.normal();
            let plan = rng.below(4) as f64;
            let a_seen = if rng.chance(0.1) { f64::NAN } else { a };
            let z = 1.5 * a - b + if plan == 2.0 { 1.0 } else { 0.0 } + 0.5 * rng.normal();
            rows.push(vec![a_seen, b, plan, rng.normal()]);
            y.push(u8::from(z > 0.3));
        }
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn same_seed_same_forest_and_out_of_bag_score() {
        let (x, y) = noisy_data(400, 3);
        let flags = [false, false, true, false];
        let params = ForestParams::new().n_trees(30);
        let a = params.fit(&x, &flags, &y, |_| true).expect("fit");
        let b = params.fit(&x, &flags, &y, |_| true).expect("fit");
        assert_eq!(a, b);
        let c = params
            .clone()
            .seed(7)
            .fit(&x, &flags, &y, |_| true)
            .expect("fit");
        assert_ne!(a.predict_proba(&x), c.predict_proba(&x));
        // A learnable rule: the OOB AUC is high (each row is out of bag for ~e^-1 of the
        // 30 trees, so all 400 are covered) and the noise feature matters least.
        let auc = a.oob_roc_auc.expect("both classes out of bag");
        assert!(auc > 0.85, "{auc}");
        assert_eq!(a.oob_rows, 400);
        let imp = a.feature_importances();
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(imp[0] > imp[3] && imp[1] > imp[3], "{imp:?}");
        // Serialises and comes back the same.
        let json = serde_json::to_string(&a).expect("json");
        assert_eq!(
            serde_json::from_str::<FittedForest>(&json).expect("back"),
            a
        );
        // Without bootstrap there are no out-of-bag rows.
        let all = params
            .bootstrap(false)
            .fit(&x, &flags, &y, |_| true)
            .expect("fit");
        assert_eq!((all.oob_roc_auc, all.oob_rows), (None, 0));
    }

    /// Speed of `shap_values` on one thread against Algorithm 2 (the code before issue 18),
    /// printed (run with `--profile native -- --ignored --nocapture forest_shap_speed`).
    #[test]
    #[ignore]
    fn forest_shap_speed() {
        let (x, y) = crate::modelling::models::treeshap::speed_data();
        let m = ForestParams::new()
            .fit(&x, &[false; 20], &y, |_| true)
            .expect("fit");
        let probe = x.select_rows(&(0..200).collect::<Vec<_>>());
        crate::parallel::set_threads(1);
        let start = std::time::Instant::now();
        let shap = m.shap_values(&probe).expect("covers");
        let fast = start.elapsed().as_secs_f64();
        crate::parallel::set_threads(0);
        let start = std::time::Instant::now();
        let (mut path, mut worst) = (Vec::new(), 0.0f64);
        for (i, row) in shap.iter().enumerate() {
            let mut phi = vec![0.0; 20];
            let values = probe.row(i).to_vec();
            for tree in &m.trees {
                super::super::treeshap::algorithm2::add_shap(
                    tree,
                    &values[..],
                    &mut phi,
                    &mut path,
                );
            }
            let k = m.trees.len() as f64;
            worst = (0..20).fold(worst, |w, j| w.max((phi[j] / k - row[j]).abs()));
        }
        let before = start.elapsed().as_secs_f64();
        let nodes: usize = m.trees.iter().map(|t| t.nodes.len()).sum();
        println!(
            "forest shap: {} rows, {} trees, {nodes} nodes, 20 features, one thread: \
             {:.1} µs/row (Algorithm 2: {:.1} µs/row, {:.1}x), largest difference {worst:.1e}",
            shap.len(),
            m.trees.len(),
            fast / 200.0 * 1e6,
            before / 200.0 * 1e6,
            before / fast
        );
    }

    #[test]
    fn shap_values_sum_to_the_probability_and_match_brute_force() {
        // Local accuracy (row sums = predict_proba) to 1e-9, and each value against the
        // exhaustive sum over all 2^4 subsets of the path-dependent E[f(x) | x_S] (children
        // weighted by bootstrap-weighted rows) to 1e-10; feature 0 is 10% missing.
        let (x, y) = noisy_data(300, 8);
        let m = ForestParams::new()
            .n_trees(10)
            .max_depth(Some(8))
            .fit(&x, &[false, false, true, false], &y, |_| true)
            .expect("fit");
        let mut rows: Vec<Vec<f64>> = (0..40).map(|i| x.row(i).to_vec()).collect();
        rows.push(vec![f64::NAN, 0.3, 2.0, -1.0]);
        rows.push(vec![f64::NAN; 4]);
        let probe = Matrix::from_rows(&rows);
        assert!(rows.iter().any(|r| r[0].is_nan()));
        let shap = m.shap_values(&probe).expect("covers kept");
        let p = m.predict_proba(&probe);
        let k = m.trees.len() as f64;
        for (i, (phi, p)) in shap.iter().zip(&p).enumerate() {
            assert_eq!(phi.len(), 5);
            let sum: f64 = phi.iter().sum();
            assert!((sum - p).abs() < 1e-9, "row {i}: {sum} vs {p}");
            let exact = crate::modelling::models::treeshap::brute_force_shap(
                &m.trees,
                &rows[i][..],
                4,
                1.0 / k,
            );
            for (a, b) in phi.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-10, "row {i}: {phi:?} vs {exact:?}");
            }
        }
        // Covers are bootstrap draws: every root holds n of them.
        assert!(m.trees.iter().all(|t| t.covers[0] == 300.0));
    }

    #[test]
    fn models_saved_before_covers_load_and_predict_but_give_no_shap() {
        let (x, y) = noisy_data(100, 2);
        let m = ForestParams::new()
            .n_trees(3)
            .fit(&x, &[false; 4], &y, |_| true)
            .expect("fit");
        let mut json = serde_json::to_value(&m).expect("json");
        // Files of that time list the trees as node objects.
        json["trees"] = serde_json::to_value(&m.trees).expect("plain trees");
        for tree in json["trees"].as_array_mut().expect("trees") {
            assert!(tree
                .as_object_mut()
                .expect("tree")
                .remove("covers")
                .is_some());
        }
        let old: FittedForest = serde_json::from_value(json).expect("old model loads");
        assert_eq!(old.predict_proba(&x), m.predict_proba(&x));
        assert!(old.shap_values(&x).is_none());
        assert!(m.shap_values(&x).is_some());
    }

    #[test]
    fn reports_progress_and_can_be_cancelled() {
        let (x, y) = noisy_data(200, 5);
        let flags = [false; 4];
        let params = ForestParams::new().n_trees(5);
        let mut seen = Vec::new();
        params
            .fit(&x, &flags, &y, |p| {
                seen.push((p.iteration, p.max_iterations));
                assert!(p.loss.is_finite() && p.loss > 0.0);
                true
            })
            .expect("fit");
        assert_eq!(seen, [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]);
        let err = params
            .fit(&x, &flags, &y, |p| p.iteration < 3)
            .expect_err("cancelled");
        assert_eq!(err, ModelError::Cancelled);
    }

    #[test]
    fn rejects_bad_parameters() {
        let x = column(&[0.0, 1.0]);
        let y = [0, 1];
        let bad = [
            ForestParams::new().n_trees(0),
            ForestParams::new().max_features(MaxFeatures::Count(0)),
            ForestParams::new().max_features(MaxFeatures::Fraction(0.0)),
            ForestParams::new().max_features(MaxFeatures::Fraction(1.5)),
            ForestParams::new().max_features(MaxFeatures::Fraction(f64::NAN)),
            ForestParams::new().min_samples_leaf(0),
            ForestParams::new().min_samples_split(1),
            ForestParams::new().max_depth(Some(0)),
            ForestParams::new().max_bin(1),
        ];
        for p in bad {
            let err = p.fit(&x, &[false], &y, |_| true).expect_err("bad");
            assert!(matches!(err, ModelError::InvalidParameter(_)), "{p:?}");
        }
        let err = ForestParams::new()
            .fit(&x, &[], &y, |_| true)
            .expect_err("flags");
        assert!(matches!(err, ModelError::InvalidParameter(_)));
        let err = ForestParams::new()
            .fit(&column(&[0.0, f64::INFINITY]), &[false], &y, |_| true)
            .expect_err("inf");
        assert!(matches!(err, ModelError::NonFinite { row: 1, .. }));
        let err = ForestParams::new()
            .fit(&x, &[false], &[1, 1], |_| true)
            .expect_err("one class");
        assert_eq!(err, ModelError::SingleClassTarget);
    }

    #[test]
    fn wide_bins_when_more_than_255() {
        // 1000 distinct values with max_bin 1000: u16 codes, and a fully grown single tree
        // still fits the training rows exactly.
        let x = column(
            &(0..1000)
                .map(|i| f64::from(i * 7 % 1000))
                .collect::<Vec<_>>(),
        );
        let y: Vec<u8> = (0..1000)
            .map(|i| u8::from((i * 7 % 1000) % 3 == 0))
            .collect();
        let m = single_tree()
            .max_bin(1000)
            .fit(&x, &[false], &y, |_| true)
            .expect("fit");
        let p = m.predict_proba(&x);
        assert!(p.iter().zip(&y).all(|(p, &y)| *p == f64::from(y)));
    }

    proptest::proptest! {
        #[test]
        fn probabilities_are_in_unit_interval(
            cells in proptest::collection::vec((-5i32..5, 0u8..4, proptest::bool::ANY), 4..60),
            seed in 0u64..1000,
        ) {
            let rows: Vec<Vec<f64>> = cells
                .iter()
                .map(|&(a, b, _)| vec![
                    if a == 0 { f64::NAN } else { f64::from(a) },
                    f64::from(b),
                ])
                .collect();
            let mut y: Vec<u8> = cells.iter().map(|c| u8::from(c.2)).collect();
            y[0] = 0;
            y[1] = 1;
            let x = Matrix::from_rows(&rows);
            let m = ForestParams::new()
                .n_trees(7)
                .seed(seed)
                .fit(&x, &[false, true], &y, |_| true)
                .expect("fit");
            for p in m.predict_proba(&x) {
                proptest::prop_assert!((0.0..=1.0).contains(&p));
            }
            if let Some(auc) = m.oob_roc_auc {
                proptest::prop_assert!((0.0..=1.0).contains(&auc));
            }
        }
    }
}
