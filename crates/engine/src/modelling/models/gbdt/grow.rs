//! The tree learner, as LightGBM's `SerialTreeLearner`: grows one tree on the current
//! gradients, leaf-wise or depth-wise, finding each leaf's best split from its histograms
//! (thresholds on numeric features, level sets on categorical ones).

use super::binning::{BinColumn, FeatureBins};
use super::histogram::{child_histograms, histograms, Bin};
use super::tree::{Child, Node, Rule, Tree};
use super::{GbdtParams, Growth};

impl GbdtParams {
    /// Grows one tree on the current gradients, splitting leaves in the order of
    /// [`Growth`] until `num_leaves` or no leaf gains from a split.
    pub(super) fn grow(
        &self,
        features: &[FeatureBins],
        binned: &[BinColumn],
        counted: &[bool],
        grad: &[f32],
        hess: &[f32],
    ) -> Grown {
        let data = Gradients {
            features,
            binned,
            counted,
            grad,
            hess,
        };
        let mut leaves = vec![self.root_leaf(&data)];
        let mut nodes: Vec<Node> = Vec::new();
        let mut internal_count: Vec<u32> = Vec::new();
        while leaves.len() < self.num_leaves {
            let Some(index) = self.next_leaf(&leaves) else {
                break;
            };
            let split = leaves[index].best.take().expect("chosen leaf has a split");
            let parent = &leaves[index];
            // The parent becomes an internal node; its place in its own parent is patched.
            let node_index = nodes.len();
            nodes.push(Node {
                feature: split.feature,
                rule: split.rule.clone(),
                left: Child::Leaf(0),
                right: Child::Leaf(0),
            });
            internal_count.push(parent.rows.len() as u32);
            if let Some(hook) = parent.node {
                *child_slot(&mut nodes, hook) = Child::Node(node_index);
            }
            let (left, right) = Self::children(&data, parent, &split, node_index);
            leaves[index] = left;
            leaves.push(right);
            let right_index = leaves.len() - 1;
            let can_split = self.max_depth.is_none_or(|d| leaves[index].depth < d);
            if can_split {
                let [l, r] = self.best_splits(features, [&leaves[index], &leaves[right_index]]);
                (leaves[index].best, leaves[right_index].best) = (l, r);
            }
        }
        self.finish(leaves, nodes, internal_count)
    }

    /// The leaf of all rows, with its best split.
    fn root_leaf(&self, data: &Gradients) -> Leaf {
        let all: Vec<u32> = (0..data.grad.len() as u32).collect();
        let hist = data.histograms(&all);
        let (g, h) = all.iter().fold((0.0, 0.0), |(g, h), &r| {
            (
                g + f64::from(data.grad[r as usize]),
                h + f64::from(data.hess[r as usize]),
            )
        });
        let mut root = Leaf {
            rows: all,
            hist,
            sum_grad: g,
            sum_hess: h,
            output: leaf_output(g, h, self.lambda_l2),
            depth: 0,
            node: None,
            best: None,
        };
        root.best = self.best_split(data.features, &root);
        root
    }

    /// The leaf to split next, in the order of [`Growth`]; `None` when no split gains.
    fn next_leaf(&self, leaves: &[Leaf]) -> Option<usize> {
        leaves
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.best.as_ref().map(|b| (i, b.gain, l.depth)))
            .filter(|&(_, gain, _)| gain > 0.0)
            .fold(
                None,
                |best: Option<(usize, f64, usize)>, (i, gain, depth)| {
                    let better = match best {
                        None => true,
                        Some((_, g, d)) => match self.growth {
                            Growth::LeafWise => gain > g,
                            Growth::DepthWise => depth < d || (depth == d && gain > g),
                        },
                    };
                    if better {
                        Some((i, gain, depth))
                    } else {
                        best
                    }
                },
            )
            .map(|(i, _, _)| i)
    }

    /// The two leaves that `split` makes of `parent`, hanging from node `node_index`.
    fn children(data: &Gradients, parent: &Leaf, split: &Split, node_index: usize) -> (Leaf, Leaf) {
        let column = &data.binned[split.feature];
        // Chunks of the parent's rows split on every core, then joined in chunk order: the
        // children's rows are in the parent's order, as a plain partition gives them.
        let parts = crate::parallel::chunk_map(parent.rows.len(), &|range| {
            let rows = &parent.rows[range];
            match column {
                BinColumn::Byte(bins) => {
                    let mut left = [false; 256];
                    for (b, l) in left.iter_mut().enumerate() {
                        *l = split.rule.goes_left(b as u32);
                    }
                    partition(rows, |r| left[usize::from(bins[r as usize])])
                }
                BinColumn::Wide(bins) => {
                    partition(rows, |r| split.rule.goes_left(bins[r as usize]))
                }
            }
        });
        let (left_rows, right_rows) = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            let mut both = (Vec::new(), Vec::new());
            for (l, r) in parts {
                both.0.extend_from_slice(&l);
                both.1.extend_from_slice(&r);
            }
            both
        };
        let (left_hist, right_hist) =
            child_histograms(&parent.hist, &left_rows, &right_rows, |rows| {
                data.histograms(rows)
            });
        let depth = parent.depth + 1;
        let left = Leaf {
            rows: left_rows,
            hist: left_hist,
            sum_grad: split.left_grad,
            sum_hess: split.left_hess,
            output: split.left_output,
            depth,
            node: Some((node_index, true)),
            best: None,
        };
        let right = Leaf {
            rows: right_rows,
            hist: right_hist,
            sum_grad: parent.sum_grad - split.left_grad,
            sum_hess: parent.sum_hess - split.left_hess,
            output: split.right_output,
            depth,
            node: Some((node_index, false)),
            best: None,
        };
        (left, right)
    }

    /// The tree of the final leaves (numbered by their position in `leaves`), with leaf
    /// values scaled by the learning rate.
    fn finish(&self, leaves: Vec<Leaf>, mut nodes: Vec<Node>, internal_count: Vec<u32>) -> Grown {
        for (i, leaf) in leaves.iter().enumerate() {
            if let Some(hook) = leaf.node {
                *child_slot(&mut nodes, hook) = Child::Leaf(i);
            }
        }
        let values = leaves
            .iter()
            .map(|l| l.output * self.learning_rate)
            .collect();
        let leaf_count = leaves.iter().map(|l| l.rows.len() as u32).collect();
        Grown {
            leaf_rows: leaves.into_iter().map(|l| l.rows).collect(),
            tree: Tree {
                nodes,
                leaves: values,
                internal_count,
                leaf_count,
            },
        }
    }

    /// The best split of a leaf over all features, if any is allowed.
    fn best_split(&self, features: &[FeatureBins], leaf: &Leaf) -> Option<Split> {
        let candidates = (0..features.len()).map(|j| self.feature_split(features, leaf, j));
        pick_split(candidates)
    }

    /// The best splits of two sibling leaves: on every core (a range of features per task,
    /// the candidates then picked in feature order, so the same splits on any number of
    /// threads) when their histograms have at least [`PARALLEL_SPLIT_BINS`] bins.
    fn best_splits(&self, features: &[FeatureBins], leaves: [&Leaf; 2]) -> [Option<Split>; 2] {
        let bins: usize = leaves.iter().flat_map(|l| &l.hist).map(Vec::len).sum();
        if bins < parallel_split_bins() || !crate::parallel::spare_core() {
            return leaves.map(|leaf| self.best_split(features, leaf));
        }
        let per_leaf = crate::parallel::threads().min(features.len()).max(1);
        let width = features.len().div_ceil(per_leaf);
        let task = |t: usize, _: &mut dyn FnMut(()) -> bool| {
            let (leaf, part) = (leaves[t / per_leaf], t % per_leaf);
            let range = part * width..((part + 1) * width).min(features.len());
            range
                .map(|j| self.feature_split(features, leaf, j))
                .collect::<Vec<_>>()
        };
        let mut parts = crate::parallel::map(2 * per_leaf, &mut |()| true, &task).into_iter();
        let mut pick = || pick_split(parts.by_ref().take(per_leaf).flatten());
        [pick(), pick()]
    }

    /// The best split of a leaf on feature `j`, if one is allowed.
    fn feature_split(&self, features: &[FeatureBins], leaf: &Leaf, j: usize) -> Option<Split> {
        if leaf.rows.len() < 2 * self.min_data_in_leaf {
            return None;
        }
        let parent_gain = leaf.sum_grad * leaf.sum_grad / (leaf.sum_hess + self.lambda_l2);
        let hist = &leaf.hist[j];
        match features[j] {
            FeatureBins::Numeric { .. } => self.numeric_split(j, hist, leaf, parent_gain),
            FeatureBins::Categorical { .. } => self.categorical_split(j, hist, leaf, parent_gain),
        }
    }

    fn allowed(&self, count: usize, hess: f64) -> bool {
        count >= self.min_data_in_leaf && hess >= self.min_sum_hessian_in_leaf
    }

    /// Rows of a histogram bin as LightGBM counts them when searching splits: estimated
    /// from its hessian, `RoundInt(hess · cnt_factor)` with `cnt_factor = rows / hessian sum
    /// of the leaf` (`static_cast<int>(x + 0.5)`, no call to a rounding function). Exact
    /// while every row has the same hessian (the first tree without class weights); with
    /// weights, a leaf of heavy rows counts as more rows than it has.
    fn estimated_rows(bin: &Bin, leaf: &Leaf) -> usize {
        let cnt_factor = leaf.rows.len() as f64 / leaf.sum_hess;
        (bin.hess * cnt_factor + 0.5) as usize
    }

    /// Thresholds between bins, with the missing rows (the last bin) sent left or right.
    ///
    /// As LightGBM: first a scan from the top bin down with missing rows on the left, then
    /// (only when the leaf has missing rows) one from the bottom up with them on the right,
    /// a later candidate replacing an earlier one only when strictly better. Where a leaf
    /// has no rows in a run of bins, the threshold so lands at the top of the gap.
    fn numeric_split(
        &self,
        j: usize,
        hist: &[Bin],
        leaf: &Leaf,
        parent_gain: f64,
    ) -> Option<Split> {
        let nb = hist.len() - 1; // the last bin holds missing values
        let missing = hist[nb];
        let total_count = leaf.rows.len();
        let l2 = self.lambda_l2;
        let mut best: Option<Split> = None;
        let mut consider = |t: usize, g: f64, h: f64, missing_left: bool| {
            keep_if_better(&mut best, j, leaf, (g, h), (l2, parent_gain), || {
                Rule::Threshold {
                    bin: t as u32,
                    missing_left,
                    missing_bin: nb as u32,
                }
            });
        };
        // Top down: the right side grows bin by bin; missing rows stay left.
        let (mut rg, mut rh, mut rc) = (0.0, 0.0, 0usize);
        for t in (1..nb).rev() {
            rg += hist[t].grad;
            rh += hist[t].hess;
            rc += Self::estimated_rows(&hist[t], leaf);
            if !self.allowed(rc, rh) {
                continue;
            }
            let (g, h) = (leaf.sum_grad - rg, leaf.sum_hess - rh);
            if !self.allowed(total_count.saturating_sub(rc), h) {
                break;
            }
            consider(t - 1, g, h, true);
        }
        if missing.count > 0 {
            // Bottom up: the left side grows; missing rows stay right.
            let (mut g, mut h, mut c) = (0.0, 0.0, 0usize);
            for (t, bin) in hist[..nb.saturating_sub(1)].iter().enumerate() {
                g += bin.grad;
                h += bin.hess;
                c += Self::estimated_rows(bin, leaf);
                if !self.allowed(c, h) {
                    continue;
                }
                if !self.allowed(total_count.saturating_sub(c), leaf.sum_hess - h) {
                    break;
                }
                consider(t, g, h, false);
            }
        }
        best
    }

    /// A set of levels against the rest (LightGBM's categorical split).
    fn categorical_split(
        &self,
        j: usize,
        hist: &[Bin],
        leaf: &Leaf,
        parent_gain: f64,
    ) -> Option<Split> {
        let levels = hist.len() - 1; // the last bin: missing or unseen
        let total_count = leaf.rows.len();
        let mut best: Option<Split> = None;
        // As LightGBM: the children get the categorical L2 (when more than one-vs-rest),
        // the parent's gain does not, so a many-level split must gain more to be taken.
        let consider =
            |set: &[usize], g: f64, h: f64, c: usize, l2: f64, best: &mut Option<Split>| {
                if !self.allowed(c, h)
                    || !self.allowed(total_count.saturating_sub(c), leaf.sum_hess - h)
                {
                    return;
                }
                keep_if_better(best, j, leaf, (g, h), (l2, parent_gain), || Rule::Levels {
                    left: set.iter().map(|&k| k as u32).collect(),
                });
            };
        let used: Vec<usize> = (0..levels).filter(|&k| hist[k].count > 0).collect();
        if used.len() <= self.max_cat_to_onehot {
            for &k in &used {
                let b = hist[k];
                let c = Self::estimated_rows(&b, leaf);
                consider(&[k], b.grad, b.hess, c, self.lambda_l2, &mut best);
            }
            return best;
        }
        let smooth = self.cat_smooth;
        let mut sorted: Vec<usize> = used
            .into_iter()
            .filter(|&k| Self::estimated_rows(&hist[k], leaf) as f64 >= smooth)
            .collect();
        sorted.sort_by(|&a, &b| {
            let ka = hist[a].grad / (hist[a].hess + smooth);
            let kb = hist[b].grad / (hist[b].hess + smooth);
            ka.total_cmp(&kb).then(a.cmp(&b))
        });
        let max_levels = self.max_cat_threshold.min(sorted.len().div_ceil(2));
        let l2 = self.lambda_l2 + self.cat_l2;
        for reverse in [false, true] {
            let order: Vec<usize> = if reverse {
                sorted.iter().rev().copied().collect()
            } else {
                sorted.clone()
            };
            let (mut g, mut h, mut c, mut group) = (0.0, 0.0, 0usize, 0usize);
            for (i, &k) in order.iter().enumerate().take(max_levels) {
                g += hist[k].grad;
                h += hist[k].hess;
                let rows = Self::estimated_rows(&hist[k], leaf);
                c += rows;
                group += rows;
                if !self.allowed(c, h) {
                    continue;
                }
                let rc = total_count.saturating_sub(c);
                if rc < self.min_data_in_leaf
                    || rc < self.min_data_per_group
                    || leaf.sum_hess - h < self.min_sum_hessian_in_leaf
                {
                    break;
                }
                if group < self.min_data_per_group {
                    continue;
                }
                group = 0;
                consider(&order[..=i], g, h, c, l2, &mut best);
            }
        }
        best
    }
}

/// Puts in `best` the split of `leaf` on `feature` whose left side has gradient and hessian
/// sums `(g, h)`, if it gains more than `best`; children use L2 `l2`, the gain is measured
/// against `parent_gain`. The rule is built only for a split that is kept.
fn keep_if_better(
    best: &mut Option<Split>,
    feature: usize,
    leaf: &Leaf,
    (g, h): (f64, f64),
    (l2, parent_gain): (f64, f64),
    rule: impl FnOnce() -> Rule,
) {
    let (rg, rh) = (leaf.sum_grad - g, leaf.sum_hess - h);
    let gain = g * g / (h + l2) + rg * rg / (rh + l2) - parent_gain;
    if best.as_ref().is_none_or(|b| gain > b.gain) {
        *best = Some(Split {
            feature,
            gain,
            rule: rule(),
            left_grad: g,
            left_hess: h,
            left_output: leaf_output(g, h, l2),
            right_output: leaf_output(rg, rh, l2),
        });
    }
}

fn leaf_output(g: f64, h: f64, l2: f64) -> f64 {
    if h + l2 > 0.0 {
        -g / (h + l2)
    } else {
        0.0
    }
}

/// A grown tree and the training rows that ended in each of its leaves.
pub(super) struct Grown {
    pub(super) tree: Tree,
    pub(super) leaf_rows: Vec<Vec<u32>>,
}

struct Leaf {
    rows: Vec<u32>,
    hist: Vec<Vec<Bin>>,
    sum_grad: f64,
    sum_hess: f64,
    output: f64,
    depth: usize,
    /// The node this leaf hangs from, and whether on its left.
    node: Option<(usize, bool)>,
    best: Option<Split>,
}

/// Fewest histogram bins of two sibling leaves whose split search is shared out over the
/// cores ([`GbdtParams::best_splits`]), about 64 columns of 256 bins. Measured with
/// `split_search_speed` (20,000 rows, 20 trees, 2 threads, 7 December): with 30 columns
/// sharing out was 4% to 6% slower (starting the threads cost about what the search
/// saved), with 100 columns 6% to 8% faster, 200: 12% to 15%, 1,000: 17% to 18%.
pub(super) const PARALLEL_SPLIT_BINS: usize = 1 << 15;

/// [`PARALLEL_SPLIT_BINS`], or in tests the value set in [`SPLIT_BINS_FOR_TESTS`].
fn parallel_split_bins() -> usize {
    #[cfg(test)]
    {
        let set = SPLIT_BINS_FOR_TESTS.load(std::sync::atomic::Ordering::Relaxed);
        if set > 0 {
            return set;
        }
    }
    PARALLEL_SPLIT_BINS
}

/// Tests' threshold instead of [`PARALLEL_SPLIT_BINS`] when not 0.
#[cfg(test)]
pub(super) static SPLIT_BINS_FOR_TESTS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// The best of a leaf's candidate splits, given in feature order. Two features that split
/// the rows the same way (a plan flag and its count, minutes and their charge) gain the
/// same up to rounding: the earlier feature keeps the split, as in LightGBM, unless the
/// later one is clearly better.
fn pick_split(candidates: impl Iterator<Item = Option<Split>>) -> Option<Split> {
    let mut best: Option<Split> = None;
    for c in candidates.flatten() {
        let clearly_better = |b: &Split| c.gain > b.gain + 1e-9 * b.gain.abs().max(1e-12);
        if best.as_ref().is_none_or(clearly_better) {
            best = Some(c);
        }
    }
    best
}

#[derive(Debug, Clone)]
struct Split {
    feature: usize,
    gain: f64,
    rule: Rule,
    left_grad: f64,
    left_hess: f64,
    left_output: f64,
    right_output: f64,
}

/// What one tree is grown on: each feature's bins and the rows' current gradients.
struct Gradients<'a> {
    features: &'a [FeatureBins],
    binned: &'a [BinColumn],
    /// Per feature: whether its histograms count rows.
    counted: &'a [bool],
    grad: &'a [f32],
    hess: &'a [f32],
}

impl Gradients<'_> {
    /// Per-feature histograms of `rows`.
    fn histograms(&self, rows: &[u32]) -> Vec<Vec<Bin>> {
        histograms(
            self.features,
            self.binned,
            self.counted,
            rows,
            self.grad,
            self.hess,
        )
    }
}

/// The rows that go left and those that go right, each in the order of `rows`; without a
/// branch on the direction, which is as good as random to the processor.
fn partition(rows: &[u32], goes_left: impl Fn(u32) -> bool) -> (Vec<u32>, Vec<u32>) {
    let mut left = vec![0; rows.len()];
    let mut right = vec![0; rows.len()];
    let (mut l, mut r) = (0, 0);
    for &row in rows {
        let go = usize::from(goes_left(row));
        left[l] = row;
        right[r] = row;
        l += go;
        r += 1 - go;
    }
    left.truncate(l);
    right.truncate(r);
    (left, right)
}

/// Which features' histograms count rows: the categorical ones, and the numeric ones with
/// missing values in the training rows (see [`Bin`]).
pub(super) fn counted_features(features: &[FeatureBins], binned: &[BinColumn]) -> Vec<bool> {
    features
        .iter()
        .zip(binned)
        .map(|(f, column)| match f {
            FeatureBins::Categorical { .. } => true,
            FeatureBins::Numeric { .. } => {
                let missing = (f.n_bins() - 1) as u32;
                match column {
                    BinColumn::Byte(bins) => bins.iter().any(|&b| u32::from(b) == missing),
                    BinColumn::Wide(bins) => bins.contains(&missing),
                }
            }
        })
        .collect()
}

/// The child field of node `hook.0` on its left (`hook.1`) or right side.
fn child_slot(nodes: &mut [Node], (node, is_left): (usize, bool)) -> &mut Child {
    if is_left {
        &mut nodes[node].left
    } else {
        &mut nodes[node].right
    }
}
