//! The fitted tree, as LightGBM's `Tree`: internal nodes with their split rules, leaf
//! values, the training rows that reached each, and the walk that scores a row's bins.

use serde::{Deserialize, Serialize};

use super::super::readout::{bin_ranges, LeftWhen, TreeView};
use super::super::treeshap::PathTree;
use super::super::TreeDefect;
use super::binning::FeatureBinning;

/// Which way a row goes at a node, from its bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    /// Left when the bin is at most `bin`; the missing bin goes left when `missing_left`.
    Threshold {
        bin: u32,
        missing_left: bool,
        missing_bin: u32,
    },
    /// Left when the level is one of `left`.
    Levels { left: Vec<u32> },
}

impl Rule {
    pub(super) fn goes_left(&self, bin: u32) -> bool {
        match self {
            Rule::Threshold {
                bin: t,
                missing_left,
                missing_bin,
            } => {
                if bin == *missing_bin {
                    *missing_left
                } else {
                    bin <= *t
                }
            }
            Rule::Levels { left } => left.contains(&bin),
        }
    }
}

/// The values of a feature binned by `binning` that `rule` sends left: the bins' value
/// ranges for a number (the missing bin is the one after the last), the level codes for a
/// category (rare levels, unseen codes and missing values share the bin `levels`).
fn left_when(rule: &Rule, binning: &FeatureBinning) -> LeftWhen {
    match binning {
        FeatureBinning::Numeric { upper } => LeftWhen::Ranges {
            ranges: bin_ranges(upper, |b| rule.goes_left(b as u32)),
            missing: rule.goes_left(upper.len() as u32 + 1),
        },
        FeatureBinning::Categorical { levels, other } => {
            let levels = *levels as u32;
            let bin = |c: u32| {
                if other.binary_search(&c).is_ok() {
                    levels
                } else {
                    c
                }
            };
            LeftWhen::Codes {
                codes: (0..levels).filter(|&c| rule.goes_left(bin(c))).collect(),
                levels,
                others: rule.goes_left(levels),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "index", rename_all = "snake_case")]
pub(super) enum Child {
    Node(usize),
    Leaf(usize),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Node {
    pub(super) feature: usize,
    pub(super) rule: Rule,
    pub(super) left: Child,
    pub(super) right: Child,
}

/// One tree: internal nodes (the first is the root, unless the tree is a single leaf) and
/// leaf values (already multiplied by the learning rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub(super) nodes: Vec<Node>,
    pub(super) leaves: Vec<f64>,
    /// Training rows that reached each internal node (LightGBM's `internal_count`, real
    /// rows, not the hessian estimates of the split search); the covers of SHAP values.
    /// Empty in models saved before these were kept.
    #[serde(default)]
    pub(super) internal_count: Vec<u32>,
    /// Training rows in each leaf (LightGBM's `leaf_count`); empty in older models.
    #[serde(default)]
    pub(super) leaf_count: Vec<u32>,
}

impl Tree {
    /// The tree as plain splits on feature values, read through each feature's `binning`.
    pub(super) fn view(&self, binning: &[FeatureBinning]) -> TreeView {
        match self.nodes.is_empty() {
            true => TreeView::Leaf(self.leaves.first().copied().unwrap_or(0.0)),
            false => self.view_child(Child::Node(0), binning),
        }
    }

    fn view_child(&self, child: Child, binning: &[FeatureBinning]) -> TreeView {
        match child {
            Child::Leaf(i) => TreeView::Leaf(self.leaves[i]),
            Child::Node(i) => {
                let node = &self.nodes[i];
                TreeView::Split {
                    feature: node.feature,
                    left_when: left_when(&node.rule, &binning[node.feature]),
                    left: Box::new(self.view_child(node.left, binning)),
                    right: Box::new(self.view_child(node.right, binning)),
                }
            }
        }
    }

    /// Why the tree cannot score rows of `n_features` features, if it cannot.
    pub(super) fn check(&self, n_features: usize) -> Result<(), TreeDefect> {
        if self.nodes.is_empty() && self.leaves.is_empty() {
            return Err(TreeDefect::NoLeaves);
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if node.feature >= n_features {
                return Err(TreeDefect::FeatureOutOfRange {
                    node: i,
                    feature: node.feature,
                });
            }
            for child in [node.left, node.right] {
                let (fits, to_leaf, j) = match child {
                    Child::Node(j) => (j > i && j < self.nodes.len(), false, j),
                    Child::Leaf(j) => (j < self.leaves.len(), true, j),
                };
                if !fits {
                    return Err(TreeDefect::ChildOutOfPlace {
                        node: i,
                        to_leaf,
                        child: j,
                        nodes: self.nodes.len(),
                        leaves: self.leaves.len(),
                    });
                }
            }
        }
        Ok(())
    }

    pub(super) fn value(&self, bins: &[u32]) -> f64 {
        self.walk(bins, |_| {})
    }

    /// The leaf value of `bins` and the features the path to it reads, as bits (the tree's
    /// features are below 64).
    pub(super) fn value_reading(&self, bins: &[u32]) -> (f64, u64) {
        let mut reads = 0u64;
        let value = self.walk(bins, |feature| {
            debug_assert!(feature < 64, "paths are kept for at most 64 features");
            reads |= 1u64 << (feature & 63)
        });
        (value, reads)
    }

    /// The leaf value of `bins`, calling `read` with the feature of each node on the way.
    #[inline(always)]
    fn walk(&self, bins: &[u32], mut read: impl FnMut(usize)) -> f64 {
        if self.nodes.is_empty() {
            return self.leaves[0];
        }
        let mut node = &self.nodes[0];
        loop {
            read(node.feature);
            let next = if node.rule.goes_left(bins[node.feature]) {
                node.left
            } else {
                node.right
            };
            match next {
                Child::Node(i) => node = &self.nodes[i],
                Child::Leaf(i) => return self.leaves[i],
            }
        }
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.leaves.len()
    }

    /// Whether the tree knows its nodes' training rows (models saved before SHAP did not).
    pub(super) fn has_counts(&self) -> bool {
        self.internal_count.len() == self.nodes.len() && self.leaf_count.len() == self.leaves.len()
    }

    /// The number TreeSHAP knows a child by: internal nodes first, then leaves.
    fn shap_id(&self, child: Child) -> usize {
        match child {
            Child::Node(i) => i,
            Child::Leaf(i) => self.nodes.len() + i,
        }
    }
}

/// Internal node i is node i, leaf j node `nodes.len() + j`; the root is 0 either way (a
/// single-leaf tree has no internal node). Rows are given as their bins.
impl PathTree for Tree {
    type Row = [u32];

    fn root(&self) -> usize {
        0
    }

    fn split(&self, node: usize) -> Option<(usize, usize, usize)> {
        self.nodes
            .get(node)
            .map(|n| (n.feature, self.shap_id(n.left), self.shap_id(n.right)))
    }

    fn cover(&self, node: usize) -> f64 {
        let count = match node.checked_sub(self.nodes.len()) {
            None => self.internal_count[node],
            Some(leaf) => self.leaf_count[leaf],
        };
        f64::from(count)
    }

    fn leaf_value(&self, node: usize) -> f64 {
        self.leaves[node - self.nodes.len()]
    }

    fn goes_left(&self, node: usize, bins: &[u32]) -> bool {
        let n = &self.nodes[node];
        n.rule.goes_left(bins[n.feature])
    }
}
