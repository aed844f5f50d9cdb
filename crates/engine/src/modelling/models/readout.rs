//! A fitted tree written out as plain splits on feature values, for reading a model out of
//! churnscope (the SQL export): every bin, level code and missing-value rule already
//! resolved to the values that go left.

/// One node of a tree read out.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeView {
    Leaf(f64),
    Split {
        feature: usize,
        left_when: LeftWhen,
        left: Box<TreeView>,
        right: Box<TreeView>,
    },
}

/// Which values of a feature go left at a split.
#[derive(Debug, Clone, PartialEq)]
pub enum LeftWhen {
    /// A value in one of `ranges`, each `(low, high]` (`low` may be -inf, `high` +inf); a
    /// missing value when `missing`.
    Ranges {
        ranges: Vec<(f64, f64)>,
        missing: bool,
    },
    /// A category code in `codes`; a missing value, or a code not among `0..levels`, when
    /// `others`. The codes are those among `0..levels`.
    Codes {
        codes: Vec<u32>,
        levels: u32,
        others: bool,
    },
}

impl TreeView {
    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        match self {
            TreeView::Leaf(_) => 1,
            TreeView::Split { left, right, .. } => left.leaves() + right.leaves(),
        }
    }

    /// Length of the longest path from the root to a leaf, in splits.
    pub fn depth(&self) -> usize {
        match self {
            TreeView::Leaf(_) => 0,
            TreeView::Split { left, right, .. } => 1 + left.depth().max(right.depth()),
        }
    }

    /// The leaf value of `row` (NaN = missing), walking the splits as read out: what the
    /// tests compare with the model's own walk.
    pub fn value(&self, row: &[f64]) -> f64 {
        let mut node = self;
        loop {
            match node {
                TreeView::Leaf(v) => return *v,
                TreeView::Split {
                    feature,
                    left_when,
                    left,
                    right,
                } => {
                    node = if left_when.goes_left(row[*feature]) {
                        left
                    } else {
                        right
                    };
                }
            }
        }
    }
}

impl LeftWhen {
    /// Whether `v` (NaN = missing) goes left.
    pub fn goes_left(&self, v: f64) -> bool {
        match self {
            LeftWhen::Ranges { ranges, missing } => {
                if v.is_nan() {
                    *missing
                } else {
                    ranges.iter().any(|&(low, high)| v > low && v <= high)
                }
            }
            LeftWhen::Codes {
                codes,
                levels,
                others,
            } => {
                let code =
                    (v >= 0.0 && v.fract() == 0.0 && v < f64::from(*levels)).then_some(v as u32);
                match code {
                    Some(c) => codes.contains(&c),
                    None => *others,
                }
            }
        }
    }
}

/// The `(low, high]` ranges of consecutive bins that go left, bin `b` covering
/// `(bounds[b-1], bounds[b]]` (the first from -inf, the last to +inf).
pub(crate) fn bin_ranges(bounds: &[f64], left: impl Fn(usize) -> bool) -> Vec<(f64, f64)> {
    let low = |b: usize| {
        if b == 0 {
            f64::NEG_INFINITY
        } else {
            bounds[b - 1]
        }
    };
    let high = |b: usize| bounds.get(b).copied().unwrap_or(f64::INFINITY);
    let mut ranges: Vec<(f64, f64)> = Vec::new();
    let mut open: Option<usize> = None;
    for b in 0..=bounds.len() {
        match (left(b), open) {
            (true, None) => open = Some(b),
            (false, Some(start)) => {
                ranges.push((low(start), high(b - 1)));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        ranges.push((low(start), f64::INFINITY));
    }
    ranges
}
