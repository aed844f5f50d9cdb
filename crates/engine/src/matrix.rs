//! The feature matrix that preprocessing returns and every model takes: ndarray's
//! [`Array2<f64>`](ndarray::Array2), rows by features, so the engine's inputs and outputs
//! interoperate with linfa and the rest of the Rust ML ecosystem.
//!
//! Every matrix the engine builds is in standard (row-major, C) layout, and its inner loops
//! read the contiguous cells as a [`RowMajor`] slice ([`MatrixExt::row_major`]). A public
//! entry point that takes a matrix from outside first passes it through [`standard_layout`],
//! which copies only a matrix in another layout (a transposed or column-major array).
//!
//! Where a matrix is saved (a PCA's components in a model file), [`row_major_json`] keeps
//! the JSON shape of the engine's earlier matrix type, `{"rows": r, "cols": c, "data":
//! [...]}` with the cells row-major, so saved models read back unchanged.

use std::borrow::Cow;

use ndarray::Array2;

/// A dense matrix of features, one row per customer.
pub type Matrix = Array2<f64>;

/// Row-major helpers on a [`Matrix`] in standard layout.
pub trait MatrixExt {
    /// A matrix from rows of equal length (mostly for tests).
    fn from_rows(rows: &[Vec<f64>]) -> Matrix;
    /// The cells as one row-major slice, for inner loops. Panics unless the matrix is in
    /// standard layout, which every matrix the engine builds is, and [`standard_layout`]
    /// makes of one from outside.
    fn row_major(&self) -> RowMajor<'_>;
    /// A new matrix of the given rows, in that order (of a matrix in any layout).
    fn select_rows(&self, rows: &[usize]) -> Matrix;
}

impl MatrixExt for Matrix {
    fn from_rows(rows: &[Vec<f64>]) -> Matrix {
        let cols = rows.first().map_or(0, Vec::len);
        from_row_major(rows.len(), cols, rows.iter().flatten().copied().collect())
    }

    fn row_major(&self) -> RowMajor<'_> {
        RowMajor {
            rows: self.nrows(),
            cols: self.ncols(),
            data: self
                .as_slice()
                .expect("the engine's matrices are in standard layout"),
        }
    }

    fn select_rows(&self, rows: &[usize]) -> Matrix {
        let x = standard_layout(self);
        let x = x.row_major();
        let mut data = Vec::with_capacity(rows.len() * x.cols);
        for &i in rows {
            data.extend_from_slice(x.row(i));
        }
        from_row_major(rows.len(), x.cols, data)
    }
}

/// A standard-layout matrix seen as its row-major cells: what the models' inner loops read.
#[derive(Debug, Clone, Copy)]
pub struct RowMajor<'a> {
    pub rows: usize,
    pub cols: usize,
    /// Cell `(i, j)` is `data[i * cols + j]`.
    pub data: &'a [f64],
}

impl<'a> RowMajor<'a> {
    /// Row `i`'s cells.
    #[inline]
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Dot product with four accumulators (cells 0, 4, 8, … in the first, and so on), added
/// pairwise at the end: the loop vectorises, where one running sum would wait on each add.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for q in 0..4 {
            acc[q] += x[q] * y[q];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// What a model's inner loops need of the rows of a feature matrix: the dot product of a
/// row with weights, and a row scaled into a sum. [`RowMajor`] reads every cell (the dot
/// product by [`dot`]), [`SparseRows`] only the non-zero ones (in column order); both give
/// the same sums up to rounding, the scaled rows exactly.
pub trait RowCells: Sync {
    fn n_rows(&self) -> usize;
    /// `Σ_j x[i, j] · w[j]`.
    fn dot(&self, i: usize, w: &[f64]) -> f64;
    /// `out[j] += r · x[i, j]` for each column.
    fn add_scaled(&self, i: usize, r: f64, out: &mut [f64]);
}

impl RowCells for RowMajor<'_> {
    fn n_rows(&self) -> usize {
        self.rows
    }

    #[inline]
    fn dot(&self, i: usize, w: &[f64]) -> f64 {
        dot(self.row(i), w)
    }

    #[inline]
    fn add_scaled(&self, i: usize, r: f64, out: &mut [f64]) {
        for (o, a) in out.iter_mut().zip(self.row(i)) {
            *o += r * a;
        }
    }
}

/// The non-zero cells of a matrix, row by row (compressed sparse rows): a one-hot column
/// of 3,000 levels costs a cell a row here instead of 3,000.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    /// Row `i`'s cells are `columns[starts[i]..starts[i + 1]]` (increasing) and their values.
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f64>,
    /// Cells a row, zeros included.
    cols: usize,
}

impl SparseRows {
    /// The non-zero cells of `x`, when they are at most `share` of its cells (else `None`:
    /// the dense rows are as quick to read).
    pub fn of(x: RowMajor<'_>, share: f64) -> Option<Self> {
        let non_zero = x.data.iter().filter(|&&v| v != 0.0).count();
        if non_zero as f64 > share * x.data.len() as f64 || x.cols > u32::MAX as usize {
            return None;
        }
        let mut sparse = SparseRows::with_capacity(x.cols, x.rows, non_zero);
        for i in 0..x.rows {
            sparse.push_row(x.row(i));
        }
        Some(sparse)
    }

    /// No rows yet, of `cols` cells each, with room for `rows` rows and `non_zero` cells.
    pub fn with_capacity(cols: usize, rows: usize, non_zero: usize) -> Self {
        let mut starts = Vec::with_capacity(rows + 1);
        starts.push(0);
        SparseRows {
            starts,
            columns: Vec::with_capacity(non_zero),
            values: Vec::with_capacity(non_zero),
            cols,
        }
    }

    /// Adds the non-zero cells of `row` (of [`Self::cols`] cells; at most 2^32 of them) as
    /// the next row.
    pub fn push_row(&mut self, row: &[f64]) {
        for (j, &v) in row.iter().enumerate() {
            if v != 0.0 {
                self.columns.push(j as u32);
                self.values.push(v);
            }
        }
        self.starts.push(self.values.len());
    }

    /// Adds a row of non-zero cells given as (column, value), columns increasing and
    /// below [`Self::cols`].
    pub fn push_cells(&mut self, cells: &[(u32, f64)]) {
        for &(j, v) in cells {
            self.columns.push(j);
            self.values.push(v);
        }
        self.starts.push(self.values.len());
    }

    /// The rows `rows`, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> SparseRows {
        let non_zero = rows
            .iter()
            .map(|&i| self.starts[i + 1] - self.starts[i])
            .sum();
        let mut out = SparseRows::with_capacity(self.cols, rows.len(), non_zero);
        for &i in rows {
            let (columns, values) = self.row(i);
            out.columns.extend_from_slice(columns);
            out.values.extend_from_slice(values);
            out.starts.push(out.values.len());
        }
        out
    }

    /// Cells a row, zeros included.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The non-zero cells' values, row by row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The matrix with its zeros written out.
    pub fn to_dense(&self) -> Matrix {
        let rows = self.n_rows();
        let mut data = vec![0.0; rows * self.cols];
        for i in 0..rows {
            let (columns, values) = self.row(i);
            for (&j, &v) in columns.iter().zip(values) {
                data[i * self.cols + j as usize] = v;
            }
        }
        from_row_major(rows, self.cols, data)
    }

    /// Non-zero cells in all.
    pub fn non_zero(&self) -> usize {
        self.values.len()
    }

    /// Row `i`'s non-zero cells: their columns (increasing) and values.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.starts[i]..self.starts[i + 1];
        (&self.columns[range.clone()], &self.values[range])
    }
}

impl RowCells for SparseRows {
    fn n_rows(&self) -> usize {
        self.starts.len() - 1
    }

    #[inline]
    fn dot(&self, i: usize, w: &[f64]) -> f64 {
        let (columns, values) = self.row(i);
        columns
            .iter()
            .zip(values)
            .map(|(&j, a)| a * w[j as usize])
            .sum()
    }

    #[inline]
    fn add_scaled(&self, i: usize, r: f64, out: &mut [f64]) {
        let (columns, values) = self.row(i);
        for (&j, a) in columns.iter().zip(values) {
            out[j as usize] += r * a;
        }
    }
}

/// A model's features: every cell, or only the non-zero cells of rows that are mostly
/// zeros (one-hot columns of many levels), which then cost memory and time in proportion to
/// their non-zero cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Features {
    Dense(Matrix),
    Sparse(SparseRows),
}

impl Features {
    pub fn nrows(&self) -> usize {
        match self {
            Features::Dense(m) => m.nrows(),
            Features::Sparse(s) => s.n_rows(),
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            Features::Dense(m) => m.ncols(),
            Features::Sparse(s) => s.cols(),
        }
    }

    /// Every cell: the matrix itself, or the sparse rows written out.
    pub fn dense(&self) -> Cow<'_, Matrix> {
        match self {
            Features::Dense(m) => Cow::Borrowed(m),
            Features::Sparse(s) => Cow::Owned(s.to_dense()),
        }
    }
}

/// A `rows` × `cols` matrix of cells given row by row. Panics when `data` does not hold
/// exactly `rows · cols` cells.
pub fn from_row_major(rows: usize, cols: usize, data: Vec<f64>) -> Matrix {
    Array2::from_shape_vec((rows, cols), data).expect("rows · cols cells")
}

/// `x` in standard layout: borrowed when it already is, else a row-major copy.
pub fn standard_layout(x: &Matrix) -> Cow<'_, Matrix> {
    if x.is_standard_layout() {
        Cow::Borrowed(x)
    } else {
        Cow::Owned(x.as_standard_layout().into_owned())
    }
}

/// Serde of a [`Matrix`] as `{"rows": r, "cols": c, "data": [...]}`, cells row-major: use
/// with `#[serde(with = "crate::matrix::row_major_json")]`.
pub mod row_major_json {
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};

    use super::{standard_layout, Matrix, MatrixExt};

    /// The saved form.
    #[derive(Serialize)]
    struct Saved<'a> {
        rows: usize,
        cols: usize,
        data: &'a [f64],
    }

    /// The read form.
    #[derive(Deserialize)]
    struct Read {
        rows: usize,
        cols: usize,
        data: Vec<f64>,
    }

    pub fn serialize<S: Serializer>(x: &Matrix, serializer: S) -> Result<S::Ok, S::Error> {
        let x = standard_layout(x);
        let x = x.row_major();
        Saved {
            rows: x.rows,
            cols: x.cols,
            data: x.data,
        }
        .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Matrix, D::Error> {
        let Read { rows, cols, data } = Read::deserialize(deserializer)?;
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(D::Error::custom(format!(
                "a {rows} × {cols} matrix needs {} cells, got {}",
                rows.saturating_mul(cols),
                data.len()
            )));
        }
        Matrix::from_shape_vec((rows, cols), data).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::ShapeBuilder;

    use super::*;

    #[test]
    fn other_layouts_are_copied_row_major() {
        let x = Matrix::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
        assert!(matches!(standard_layout(&x), Cow::Borrowed(_)));
        let transposed = x.t().to_owned();
        let columns =
            Array2::from_shape_vec((2, 3).f(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]).expect("shape");
        assert!(!columns.is_standard_layout());
        let copy = standard_layout(&columns);
        assert_eq!(copy.row_major().data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            standard_layout(&transposed).row_major().data,
            [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        assert_eq!(x.select_rows(&[1, 0]).row_major().row(0), [4.0, 5.0, 6.0]);
        let selected = columns.select_rows(&[1]);
        assert!(selected.is_standard_layout());
        assert_eq!(selected.row_major().data, [4.0, 5.0, 6.0]);
    }

    #[test]
    fn models_take_a_matrix_in_any_layout() {
        use crate::modelling::models::{GbdtParams, LogisticRegressionParams};
        let rows: Vec<Vec<f64>> = (0..60)
            .map(|i| vec![f64::from(i % 7), f64::from((i * 5) % 11)])
            .collect();
        let y: Vec<u8> = (0..60).map(|i| u8::from(i % 7 > 3)).collect();
        let x = Matrix::from_rows(&rows);
        let mut columns = Array2::zeros((60, 2).f());
        columns.assign(&x);
        assert!(!columns.is_standard_layout());
        let logistic = LogisticRegressionParams::new();
        let fitted = logistic.fit(&x, &y, |_| true).expect("fit");
        assert_eq!(logistic.fit(&columns, &y, |_| true).expect("fit"), fitted);
        assert_eq!(fitted.predict_proba(&columns), fitted.predict_proba(&x));
        let gbdt = GbdtParams::default();
        let trees = gbdt.fit(&x, &[false, false], &y, |_| true).expect("fit");
        let again = gbdt.fit(&columns, &[false, false], &y, |_| true);
        assert_eq!(again.expect("fit"), trees);
        assert_eq!(trees.predict_proba(&columns), trees.predict_proba(&x));
    }

    #[test]
    fn json_keeps_the_rows_cols_data_shape() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Saved {
            #[serde(with = "row_major_json")]
            m: Matrix,
        }
        let saved = Saved {
            m: Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.5]]),
        };
        let json = serde_json::to_string(&saved).expect("json");
        assert_eq!(
            json,
            r#"{"m":{"rows":2,"cols":2,"data":[1.0,2.0,3.0,4.5]}}"#
        );
        assert_eq!(serde_json::from_str::<Saved>(&json).expect("back"), saved);
        let short = r#"{"m":{"rows":2,"cols":2,"data":[1.0]}}"#;
        assert!(serde_json::from_str::<Saved>(short).is_err());
    }
}
