//! A small neural network classifier: one or two hidden layers, one logistic output unit,
//! trained by mini-batch Adam, following scikit-learn's `MLPClassifier(solver="adam")`.
//!
//! Maths: for a row x, hidden layers h₁ = g(x W₁ + b₁) (and h₂ = g(h₁ W₂ + b₂)) with g = ReLU
//! (or tanh), output z = h W_o + b_o and p = σ(z). A mini-batch B of m rows has the loss
//!
//! ```text
//!   L(B) = (1/m) Σ_{i∈B} [ log(1 + e^{z_i}) - y_i z_i ]  +  (α / (2 m)) Σ_layers ‖W‖²
//! ```
//!
//! (biases unpenalised), which is `_backprop` in scikit-learn's
//! `sklearn/neural_network/_multilayer_perceptron.py`; sklearn clips p to [ε, 1 − ε] before
//! taking logs, the logit form here agrees with it wherever p is farther than ε from 0 and 1.
//! Backpropagation: δ_out = p − y; ∂L/∂W = (Aᵀ δ + α W) / m and ∂L/∂b = Σ δ / m for a layer
//! whose input is A; δ of the layer below = (δ Wᵀ) ⊙ g′. Adam (Kingma and Ba, 2015) updates
//! every parameter as in `sklearn/neural_network/_stochastic_optimizers.py`:
//! m ← β₁ m + (1 − β₁) g, v ← β₂ v + (1 − β₂) g², θ ← θ − η √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε).
//!
//! Initialisation is Glorot-uniform as sklearn's `_init_coef`: weights and biases of every
//! layer, the output layer included, uniform in ±√(6 / (fan_in + fan_out)) (sklearn uses the
//! factor 2 only for a logistic *hidden* activation, which is not offered here).
//!
//! Early stopping (on by default) holds out a stratified `validation_fraction` of the rows.
//! sklearn scores that set by accuracy; here it is scored by **log loss**, which moves
//! smoothly every epoch, whereas accuracy on an imbalanced churn set often does not move at
//! all (every row predicted "stays") and stops training before the ranking has been learnt.
//! The counting rule is sklearn's: an epoch whose score is not better than the best by `tol`
//! adds one to a counter (any other resets it), training stops when the counter exceeds
//! `n_iter_no_change`, and the weights of the best epoch are restored. Without early
//! stopping the same rule watches the training loss and keeps the last weights, as sklearn.
//!
//! ```
//! use churnscope_engine::matrix::MatrixExt;
//! use churnscope_engine::modelling::models::MlpParams;
//! use churnscope_engine::modelling::preprocessing::Matrix;
//! let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![f64::from(i % 10) / 10.0]).collect();
//! let y: Vec<u8> = (0..40).map(|i| u8::from(i % 10 >= 5)).collect();
//! let x = Matrix::from_rows(&rows);
//! let model = MlpParams::new()
//!     .hidden(vec![4])
//!     .early_stopping(false)
//!     .learning_rate_init(0.05)
//!     .fit(&x, &y, |_| true)
//!     .expect("two classes, finite values");
//! let p = model.predict_proba(&x);
//! assert!(p[0] < 0.5 && p[9] > 0.5);
//! ```
//!
//! References: Glorot and Bengio, "Understanding the difficulty of training deep feedforward
//! neural networks" (2010); Kingma and Ba, "Adam: a method for stochastic optimization" (2015);
//! Goodfellow, Bengio and Courville, *Deep Learning*, 6.5 (back-propagation).

use serde::{Deserialize, Serialize};
use std::sync::mpsc;

use super::logistic::SPARSE_SHARE;
use super::logistic::{sigmoid, softplus, softplus_and_sigmoid};
use super::{check_sparse_training_data, check_training_data, ModelError, Progress, Result};
use crate::matrix::{
    from_row_major, standard_layout, Features, MatrixExt, RowCells, RowMajor, SparseRows,
};
use crate::modelling::preprocessing::Matrix;
use crate::rng::Rng;

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod tiles;

/// Nonlinearity of the hidden units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, z), sklearn's default `"relu"`.
    Relu,
    /// tanh(z), sklearn's `"tanh"`.
    Tanh,
}

impl Activation {
    fn apply(self, z: &mut [f64]) {
        match self {
            // A select rather than `f64::max`, which WebAssembly makes a call to `fmax` (its
            // own `max` treats NaN otherwise): a quarter of the page's fit went there.
            Activation::Relu => z
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
        }
    }

    /// Multiplies `delta` by g′ written through the activations `a = g(z)`, as sklearn's
    /// `inplace_relu_derivative` (zero where a == 0) and `inplace_tanh_derivative` (1 − a²).
    fn backprop(self, a: &[f64], delta: &mut [f64]) {
        match self {
            Activation::Relu => {
                // A select, not a branch: ReLU's zeros fall at random.
                for (d, &ai) in delta.iter_mut().zip(a) {
                    *d = if ai == 0.0 { 0.0 } else { *d };
                }
            }
            Activation::Tanh => {
                for (d, &ai) in delta.iter_mut().zip(a) {
                    *d *= 1.0 - ai * ai;
                }
            }
        }
    }
}

/// Hyperparameters of a neural network classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    hidden: Vec<usize>,
    activation: Activation,
    alpha: f64,
    learning_rate_init: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    batch_size: usize,
    max_epochs: usize,
    shuffle: bool,
    early_stopping: bool,
    validation_fraction: f64,
    tol: f64,
    n_iter_no_change: usize,
    seed: u64,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self::new()
    }
}

impl MlpParams {
    /// Defaults (sklearn's `MLPClassifier` except early stopping, on here): one hidden layer
    /// of 100 ReLU units, α = 1e-4, Adam with η = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8,
    /// batches of min(200, n), at most 200 epochs, shuffled every epoch, early stopping on a
    /// 10% validation set with tol 1e-4 and patience 10, seed 42.
    pub fn new() -> Self {
        MlpParams {
            hidden: vec![100],
            activation: Activation::Relu,
            alpha: 1e-4,
            learning_rate_init: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            batch_size: 200,
            max_epochs: 200,
            shuffle: true,
            early_stopping: true,
            validation_fraction: 0.1,
            tol: 1e-4,
            n_iter_no_change: 10,
            seed: 42,
        }
    }

    /// Widths of the hidden layers, one or two of them (default `[100]`).
    pub fn hidden(mut self, widths: Vec<usize>) -> Self {
        self.hidden = widths;
        self
    }

    /// Hidden nonlinearity (default [`Activation::Relu`]).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// L2 penalty on the weights, sklearn's `alpha` (default 1e-4), divided by the batch size.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Adam step size η (default 1e-3).
    pub fn learning_rate_init(mut self, rate: f64) -> Self {
        self.learning_rate_init = rate;
        self
    }

    /// Adam's decay of the first moment β₁ (default 0.9).
    pub fn beta1(mut self, beta: f64) -> Self {
        self.beta1 = beta;
        self
    }

    /// Adam's decay of the second moment β₂ (default 0.999).
    pub fn beta2(mut self, beta: f64) -> Self {
        self.beta2 = beta;
        self
    }

    /// Adam's ε (default 1e-8).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Rows per mini-batch, capped at the number of training rows (default 200).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows;
        self
    }

    /// Passes over the training rows at most (default 200, sklearn's `max_iter`).
    pub fn max_epochs(mut self, epochs: usize) -> Self {
        self.max_epochs = epochs;
        self
    }

    /// Visit the training rows in a new random order every epoch (default `true`).
    pub fn shuffle(mut self, yes: bool) -> Self {
        self.shuffle = yes;
        self
    }

    /// Hold out a validation set and keep the weights of its best log loss (default `true`).
    pub fn early_stopping(mut self, yes: bool) -> Self {
        self.early_stopping = yes;
        self
    }

    /// Share of the rows held out, per class, for early stopping (default 0.1).
    pub fn validation_fraction(mut self, fraction: f64) -> Self {
        self.validation_fraction = fraction;
        self
    }

    /// Smallest decrease of the watched loss that counts as progress (default 1e-4).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Epochs without progress tolerated before stopping (default 10; training stops on
    /// the 11th, as sklearn's `n_iter_no_change`).
    pub fn n_iter_no_change(mut self, epochs: usize) -> Self {
        self.n_iter_no_change = epochs;
        self
    }

    /// Seed of the initial weights, the validation split and the shuffles (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Rejects parameters no fit could honour.
    pub fn check(&self) -> Result<()> {
        let invalid = |msg: String| Err(ModelError::InvalidParameter(msg));
        if self.hidden.is_empty() || self.hidden.len() > 2 {
            return invalid(format!(
                "the network takes one or two hidden layers, got {}",
                self.hidden.len()
            ));
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return invalid(format!("hidden layer {} has no units", i + 1));
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return invalid(format!("alpha must be >= 0, got {}", self.alpha));
        }
        if !(self.learning_rate_init.is_finite() && self.learning_rate_init > 0.0) {
            return invalid(format!(
                "learning_rate_init must be positive, got {}",
                self.learning_rate_init
            ));
        }
        for (name, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                return invalid(format!("{name} must be in [0, 1), got {beta}"));
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return invalid(format!("epsilon must be positive, got {}", self.epsilon));
        }
        if self.batch_size == 0 {
            return invalid("batch_size must be at least 1".into());
        }
        if self.max_epochs == 0 {
            return invalid("max_epochs must be at least 1".into());
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return invalid(format!(
                "validation_fraction must be in (0, 1), got {}",
                self.validation_fraction
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return invalid(format!("tol must be >= 0, got {}", self.tol));
        }
        if self.n_iter_no_change == 0 {
            return invalid("n_iter_no_change must be at least 1".into());
        }
        Ok(())
    }

    /// Fits on features `x` (finite, already standardised) and 0/1 labels `y`. `progress` is
    /// called after every epoch with the training loss; returning `false` cancels with
    /// [`ModelError::Cancelled`]. The result depends only on the data and the parameters.
    pub fn fit(
        &self,
        x: &Matrix,
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedMlp> {
        self.fit_reading(x, y, progress, SPARSE_SHARE)
    }

    /// [`Self::fit`], the first layer reading the rows sparsely when at most `sparse_share`
    /// of the cells are non-zero.
    fn fit_reading(
        &self,
        x: &Matrix,
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
        sparse_share: f64,
    ) -> Result<FittedMlp> {
        self.check()?;
        let x = standard_layout(x);
        check_training_data(&x, y)?;
        // Mostly zeros (one-hot columns of many levels): the first layer reads only the
        // non-zero cells of each row.
        match SparseRows::of(x.row_major(), sparse_share) {
            Some(rows) => self.fit_inputs(Inputs::Sparse(&rows), y, progress),
            None => self.fit_inputs(Inputs::Dense(x.row_major()), y, progress),
        }
    }

    /// [`Self::fit`] on features as the preprocessor gives them: the same network from
    /// their non-zero cells as from every cell.
    pub fn fit_features(
        &self,
        x: &Features,
        y: &[u8],
        progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedMlp> {
        match x {
            Features::Dense(m) => self.fit(m, y, progress),
            Features::Sparse(rows) => {
                self.check()?;
                if !check_sparse_training_data(rows, y)? {
                    return self.fit(&rows.to_dense(), y, progress);
                }
                self.fit_inputs(Inputs::Sparse(rows), y, progress)
            }
        }
    }

    /// The fit on checked inputs.
    fn fit_inputs(
        &self,
        inputs: Inputs<'_>,
        y: &[u8],
        mut progress: impl FnMut(Progress) -> bool,
    ) -> Result<FittedMlp> {
        let mut rng = Rng::new(self.seed);
        let mut layers = self.initial_layers(inputs.cols(), &mut rng);
        let (mut order, validation) = self.hold_out(inputs, y, &mut rng)?;
        let mut batches = MiniBatches::new(self, &layers, inputs, order.len());
        let mut watch = Watch::new(&layers);
        let mut stopped_early = false;
        let mut loss_curve = Vec::new();
        let mut validation_curve = Vec::new();
        // With a core to spare, one helper thread for the whole fit sums the second half
        // of every batch ([`Partner`]); it ends when `partner` is dropped, before the scope
        // waits for it.
        let spare = batches.worth_a_partner(&layers);
        std::thread::scope(|scope| {
            let mut partner = spare.then(|| Partner::start(scope, &batches, inputs, y, &layers));
            for epoch in 1..=self.max_epochs {
                if self.shuffle {
                    rng.shuffle(&mut order);
                }
                let training_loss = batches.epoch(&mut layers, &order, y, partner.as_mut());
                loss_curve.push(training_loss);
                let watched = match &validation {
                    Some(held_out) => {
                        let loss = mean_log_loss(&layers, self.activation, held_out);
                        validation_curve.push(loss);
                        loss
                    }
                    None => training_loss,
                };
                watch.update(watched, self.tol, validation.is_some(), &layers, epoch);
                if !progress(Progress {
                    iteration: epoch,
                    max_iterations: self.max_epochs,
                    loss: training_loss,
                }) {
                    return Err(ModelError::Cancelled);
                }
                if watch.no_improvement > self.n_iter_no_change {
                    stopped_early = epoch < self.max_epochs;
                    break;
                }
            }
            Ok(())
        })?;
        let epochs = loss_curve.len();
        let (layers, best_epoch, validation_loss) = if validation.is_some() {
            (watch.best_layers, watch.best_epoch, Some(watch.best))
        } else {
            (layers, epochs, None)
        };
        Ok(FittedMlp {
            layers,
            activation: self.activation,
            epochs,
            best_epoch,
            stopped_early,
            validation_loss,
            loss_curve,
            validation_curve,
        })
    }

    /// The training rows, and with early stopping the held-out validation rows and labels
    /// (a stratified `validation_fraction` drawn with `rng`).
    fn hold_out(
        &self,
        x: Inputs<'_>,
        y: &[u8],
        rng: &mut Rng,
    ) -> Result<(Vec<usize>, Option<HeldOut>)> {
        if !self.early_stopping {
            return Ok(((0..x.rows()).collect(), None));
        }
        let (train, val) = stratified_split(y, self.validation_fraction, rng);
        if val.len() < 2 {
            return Err(ModelError::InvalidParameter(format!(
                "the validation set of {} rows is too small: raise validation_fraction or turn early stopping off",
                val.len()
            )));
        }
        let xv = match x {
            Inputs::Dense(m) => Features::Dense(from_row_major(
                val.len(),
                m.cols,
                val.iter().flat_map(|&i| m.row(i)).copied().collect(),
            )),
            Inputs::Sparse(rows) => Features::Sparse(rows.select_rows(&val)),
        };
        let yv: Vec<u8> = val.iter().map(|&i| y[i]).collect();
        Ok((train, Some((xv, yv))))
    }

    /// Glorot-uniform weights and biases, layer by layer, weights row by row (sklearn's
    /// `_init_coef` order: the weight matrix, then the bias vector).
    fn initial_layers(&self, inputs: usize, rng: &mut Rng) -> Vec<Layer> {
        let mut widths = vec![inputs];
        widths.extend(&self.hidden);
        widths.push(1);
        widths
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
                let mut draw = || -bound + 2.0 * bound * rng.uniform();
                let weights = (0..fan_in * fan_out).map(|_| draw()).collect();
                let biases = (0..fan_out).map(|_| draw()).collect();
                Layer {
                    inputs: fan_in,
                    outputs: fan_out,
                    weights,
                    biases,
                }
            })
            .collect()
    }
}

/// Splits row indices into (training, validation), taking round(fraction · n_c) random rows
/// of each class c for validation while leaving at least one of each class for training.
/// Both lists are returned in increasing order.
fn stratified_split(y: &[u8], fraction: f64, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    let mut train = Vec::with_capacity(y.len());
    let mut val = Vec::new();
    for class in [0u8, 1] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut rows);
        let take = ((fraction * rows.len() as f64).round() as usize).min(rows.len() - 1);
        val.extend_from_slice(&rows[..take]);
        train.extend_from_slice(&rows[take..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

/// One fully connected layer: `weights` is row-major `inputs × outputs` (sklearn's
/// `coefs_[i]`), `biases` has `outputs` entries (`intercepts_[i]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Vec<f64>,
    pub biases: Vec<f64>,
}

impl Layer {
    fn zeros(inputs: usize, outputs: usize) -> Self {
        Layer {
            inputs,
            outputs,
            weights: vec![0.0; inputs * outputs],
            biases: vec![0.0; outputs],
        }
    }

    /// `out[b, ·] = b + input[b, ·] W` for `rows` rows: in tiles of four rows by eight
    /// outputs with AVX where the CPU has it, of four rows by four outputs in the page
    /// ([`Self::forward_tiles`]); what the tiles leave, two rows at a time
    /// ([`Self::forward_rows`]). `zeros` says whether inputs zero in every row of a block
    /// are skipped.
    fn forward(&self, input: &[f64], rows: usize, out: &mut [f64], zeros: Zeros) {
        if self.outputs == 1 {
            return self.forward_one(input, rows, out);
        }
        let tiled = self.forward_tiles(input, rows, out, zeros);
        // The last rows (fewer than a tile's) here rather than in the tiles' code, so that
        // they are compiled without AVX (which the compiler vectorises badly here).
        self.forward_by::<2>(input, tiled..rows, out, zeros);
    }

    /// The forward product of the rows `which` of `x`, read sparsely: each row's sums start
    /// at the biases and take each non-zero input's weights in the inputs' order, so they
    /// are the sums of [`Self::forward`], whose zero inputs add nothing.
    fn forward_sparse(&self, x: &SparseRows, which: &[usize], out: &mut [f64]) {
        let h = self.outputs;
        for (sums, &i) in out.chunks_exact_mut(h).zip(which) {
            sums.copy_from_slice(&self.biases);
            let (columns, values) = x.row(i);
            for (&k, &a) in columns.iter().zip(values) {
                let k = k as usize;
                for (s, &w) in sums.iter_mut().zip(&self.weights[k * h..(k + 1) * h]) {
                    *s += a * w;
                }
            }
        }
    }

    /// The forward product of a layer of one output (the logit): eight rows at a time, so
    /// that eight sums, each over the inputs in order, run side by side instead of one
    /// chain of dependent additions.
    fn forward_one(&self, input: &[f64], rows: usize, out: &mut [f64]) {
        const ROWS: usize = 8;
        let d = self.inputs;
        let (w, bias) = (&self.weights[..d], self.biases[0]);
        let blocked = rows - rows % ROWS;
        for (group, sums) in out[..blocked].chunks_exact_mut(ROWS).enumerate() {
            let x: [&[f64]; ROWS] = std::array::from_fn(|r| {
                let b = group * ROWS + r;
                &input[b * d..(b + 1) * d]
            });
            let mut acc = [bias; ROWS];
            for (k, &wk) in w.iter().enumerate() {
                for (s, row) in acc.iter_mut().zip(&x) {
                    *s += row[k] * wk;
                }
            }
            sums.copy_from_slice(&acc);
        }
        for (b, sum) in out[..rows].iter_mut().enumerate().skip(blocked) {
            *sum = bias;
            for (&a, &wk) in input[b * d..(b + 1) * d].iter().zip(w) {
                *sum += a * wk;
            }
        }
    }

    /// The tiles of [`tiles::forward`] where this CPU (or the page) has them: the rows
    /// they covered, none without.
    fn forward_tiles(&self, input: &[f64], rows: usize, out: &mut [f64], zeros: Zeros) -> usize {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: this CPU has AVX, checked just above.
            return unsafe { tiles::forward(self, input, rows, out, zeros) };
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return tiles::forward(self, input, rows, out, zeros);
        #[allow(unreachable_code)]
        0
    }

    /// The forward product of `rows`, R rows at a time ([`Self::forward_rows`]), then one
    /// at a time.
    fn forward_by<const R: usize>(
        &self,
        input: &[f64],
        rows: std::ops::Range<usize>,
        out: &mut [f64],
        zeros: Zeros,
    ) {
        let blocked = rows.start + rows.len() / R * R;
        for b in (rows.start..blocked).step_by(R) {
            self.forward_block::<R>(input, b, out, zeros);
        }
        for b in blocked..rows.end {
            self.forward_rows::<1, true>(input, b, out);
        }
    }

    /// [`Self::forward_rows`] skipping zeros or not, as `zeros` says.
    fn forward_block<const R: usize>(
        &self,
        input: &[f64],
        first: usize,
        out: &mut [f64],
        zeros: Zeros,
    ) {
        match zeros {
            Zeros::Skip => self.forward_rows::<R, true>(input, first, out),
            Zeros::Add => self.forward_rows::<R, false>(input, first, out),
        }
    }

    /// Rows `first..first + R` of the forward product. Eight outputs (fewer in the last
    /// block) of R rows stay in registers while the inputs run over contiguous slices of
    /// the weight rows, so each weight loaded serves R rows and the R rows' sums interleave;
    /// with `SKIP`, inputs zero in all R rows are skipped. Each sum runs over the inputs in
    /// order, as a plain loop would (a skipped `0 · w` adds nothing).
    #[inline(always)]
    fn forward_rows<const R: usize, const SKIP: bool>(
        &self,
        input: &[f64],
        first: usize,
        out: &mut [f64],
    ) {
        let (d, h) = (self.inputs, self.outputs);
        let x: [&[f64]; R] = std::array::from_fn(|r| &input[(first + r) * d..(first + r + 1) * d]);
        for j in (0..h).step_by(BLOCK) {
            let width = BLOCK.min(h - j);
            let mut acc = [[0.0; BLOCK]; R];
            for row in &mut acc {
                row[..width].copy_from_slice(&self.biases[j..j + width]);
            }
            for (k, weights) in self.weights.chunks_exact(h).enumerate() {
                let a: [f64; R] = std::array::from_fn(|r| x[r][k]);
                if SKIP && a.iter().all(|&v| v == 0.0) {
                    continue;
                }
                multiply_add(&mut acc, &a, &weights[j..j + width]);
            }
            for (r, row) in acc.iter().enumerate() {
                let at = (first + r) * h + j;
                out[at..at + width].copy_from_slice(&row[..width]);
            }
        }
    }
}

/// Whether a kernel skips inputs that are zero. Worth it for the network's own inputs,
/// whose zeros (one-hot columns) fall in a steady pattern; not for hidden units, whose ReLU
/// zeros fall at random, so that a skip costs a mispredicted branch more often than it
/// saves a multiplication. Either way the sums are the same: `0 · w` adds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zeros {
    Skip,
    Add,
}

/// Outputs (or deltas) a kernel keeps in registers per row.
const BLOCK: usize = 8;

/// `acc[r][c] += a[r] · w[c]` for the `w.len()` (at most [`BLOCK`]) columns: unrolled for a
/// whole block.
#[inline(always)]
fn multiply_add<const R: usize>(acc: &mut [[f64; BLOCK]; R], a: &[f64; R], w: &[f64]) {
    if let Ok(w) = <&[f64; BLOCK]>::try_from(w) {
        for (row, &a) in acc.iter_mut().zip(a) {
            for (s, &w) in row.iter_mut().zip(w) {
                *s += a * w;
            }
        }
    } else {
        for (row, &a) in acc.iter_mut().zip(a) {
            for (s, &w) in row.iter_mut().zip(w) {
                *s += a * w;
            }
        }
    }
}

/// `grads[k, j] = Σ_b input[b, k] · delta[b, j]` over the `m` rows of a batch (`input` has
/// `d` columns, `delta` `h`): in tiles of four inputs ([`weight_sums_tiles`]), what they
/// leave two inputs at a time ([`weight_sums_by`]); for a single output (the logit), row by
/// row over all inputs at once ([`weight_sums_one`]).
/// `zeros` says whether rows where the inputs are zero are skipped.
fn weight_sums(
    (input, delta): (&[f64], &[f64]),
    (m, d, h): (usize, usize, usize),
    grads: &mut [f64],
    zeros: Zeros,
) {
    if h == 1 {
        return weight_sums_one(input, &delta[..m], d, grads);
    }
    // The last inputs (fewer than a tile's) compiled without AVX, as in [`Layer::forward`].
    let tiled = weight_sums_tiles((input, delta), (m, d, h), grads, zeros);
    weight_sums_by::<2>((input, delta), (m, d, h), grads, zeros, tiled);
}

/// The tiles of [`tiles::weight_sums`] where this CPU (or the page) has them: the inputs
/// they covered, none without.
fn weight_sums_tiles(
    (input, delta): (&[f64], &[f64]),
    (m, d, h): (usize, usize, usize),
    grads: &mut [f64],
    zeros: Zeros,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: this CPU has AVX, checked just above.
        return unsafe { tiles::weight_sums((input, delta), (m, d, h), grads, zeros) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return tiles::weight_sums((input, delta), (m, d, h), grads, zeros);
    #[allow(unreachable_code)]
    0
}

/// The weight sums of inputs `from..`, K at a time ([`weight_sums_block`]), then one at a
/// time.
fn weight_sums_by<const K: usize>(
    (input, delta): (&[f64], &[f64]),
    (m, d, h): (usize, usize, usize),
    grads: &mut [f64],
    zeros: Zeros,
    from: usize,
) {
    let blocked = from + (d - from) / K * K;
    let mut rows = Vec::with_capacity(m);
    for k in (from..blocked).step_by(K) {
        nonzero_rows::<K>(input, (m, d), k, zeros, &mut rows);
        weight_sums_block::<K>(delta, h, k, &rows, grads);
    }
    let mut rows = Vec::with_capacity(m);
    for k in blocked..d {
        nonzero_rows::<1>(input, (m, d), k, zeros, &mut rows);
        weight_sums_block::<1>(delta, h, k, &rows, grads);
    }
}

/// `grads[k] = Σ_b input[b, k] · delta[b]`: each row's inputs scaled by its delta and added
/// to every sum at once, so the `d` sums run side by side, each over the rows in order,
/// from zero.
fn weight_sums_one(input: &[f64], delta: &[f64], d: usize, grads: &mut [f64]) {
    let grads = &mut grads[..d];
    grads.iter_mut().for_each(|g| *g = 0.0);
    for (row, &e) in input.chunks_exact(d).zip(delta) {
        for (g, &a) in grads.iter_mut().zip(row) {
            *g += a * e;
        }
    }
}

/// [`weight_sums`] of the first layer over the rows `which` of `x`, read sparsely: each
/// row's non-zero inputs scaled by its deltas and added to their sums, each sum over the
/// rows in order, from zero, as in [`weight_sums`] (whose zero inputs add nothing).
fn weight_sums_sparse(
    (x, which): (&SparseRows, &[usize]),
    delta: &[f64],
    (d, h): (usize, usize),
    grads: &mut [f64],
) {
    grads[..d * h].iter_mut().for_each(|g| *g = 0.0);
    for (deltas, &i) in delta.chunks_exact(h).zip(which) {
        let (columns, values) = x.row(i);
        for (&k, &a) in columns.iter().zip(values) {
            let k = k as usize;
            for (g, &e) in grads[k * h..(k + 1) * h].iter_mut().zip(deltas) {
                *g += a * e;
            }
        }
    }
}

/// Into `rows`, the rows of a batch (`m` rows of `d` inputs) with their inputs
/// `first..first + K`: with [`Zeros::Skip`] only those where one of them is not zero, so
/// that a one-hot input of many levels costs in proportion to its ones.
#[inline(always)]
fn nonzero_rows<const K: usize>(
    input: &[f64],
    (m, d): (usize, usize),
    first: usize,
    zeros: Zeros,
    rows: &mut Vec<(usize, [f64; K])>,
) {
    rows.clear();
    rows.extend(
        (0..m)
            .map(|b| (b, std::array::from_fn(|r| input[b * d + first + r])))
            .filter(|(_, a): &(usize, [f64; K])| {
                zeros == Zeros::Add || a.iter().any(|&v| v != 0.0)
            }),
    );
}

/// The sums of inputs `first..first + K` over `rows` ([`nonzero_rows`]):
/// for each block of eight outputs (fewer in the last), K × 8 sums stay in registers while
/// the rows pass, each delta loaded serving K inputs. Each sum runs over the rows in order,
/// from zero.
#[inline(always)]
fn weight_sums_block<const K: usize>(
    delta: &[f64],
    h: usize,
    first: usize,
    rows: &[(usize, [f64; K])],
    grads: &mut [f64],
) {
    for j in (0..h).step_by(BLOCK) {
        let width = BLOCK.min(h - j);
        let mut acc = [[0.0; BLOCK]; K];
        for (b, a) in rows {
            multiply_add(&mut acc, a, &delta[b * h + j..b * h + j + width]);
        }
        for (r, row) in acc.iter().enumerate() {
            let at = (first + r) * h + j;
            grads[at..at + width].copy_from_slice(&row[..width]);
        }
    }
}

/// Held-out validation rows and their labels.
type HeldOut = (Features, Vec<u8>);

/// The mean log loss of `layers` on the held-out rows.
fn mean_log_loss(layers: &[Layer], activation: Activation, (x, y): &HeldOut) -> f64 {
    let z = logits_of(layers, activation, x);
    z.iter()
        .zip(y)
        .map(|(&zi, &yi)| softplus(zi) - f64::from(yi) * zi)
        .sum::<f64>()
        / y.len() as f64
}

/// Rows of a batch from which its gradient sums are made in two fixed halves (the second
/// on the helper thread when there is one, [`PARTNER_FROM`]) and added in order: the same
/// sums on any number of threads.
const HALVES_FROM: usize = 64;

/// Batch rows × parameters from which the second half of each batch goes to a helper
/// thread ([`Partner`]): below, handing the half over and back costs about what it saves
/// (100,000 × 30 with 100 hidden units, 200 × 3,201: 2.80 s on one thread, 3.02 s with the
/// helper). The sums are the same either way.
const PARTNER_FROM: usize = 2_000_000;

/// One epoch's passes over the training rows in mini-batches, with Adam's state and the
/// buffers they reuse.
struct MiniBatches<'a> {
    activation: Activation,
    alpha: f64,
    x: Inputs<'a>,
    batch: usize,
    /// The gradients of a batch summed by halves.
    grads: Vec<Layer>,
    adam: Adam,
    /// The buffers of each half of a batch of at least [`HALVES_FROM`] rows; a smaller
    /// batch is summed whole in the first.
    halves: [Half; 2],
}

/// The network's inputs, the training features: every cell, or (when most are zero) only
/// the non-zero cells of each row.
#[derive(Clone, Copy)]
enum Inputs<'a> {
    Dense(RowMajor<'a>),
    Sparse(&'a SparseRows),
}

impl Inputs<'_> {
    fn rows(&self) -> usize {
        match self {
            Inputs::Dense(x) => x.rows,
            Inputs::Sparse(x) => x.n_rows(),
        }
    }

    /// Inputs a row, zeros included.
    fn cols(&self) -> usize {
        match self {
            Inputs::Dense(x) => x.cols,
            Inputs::Sparse(x) => x.cols(),
        }
    }

    /// Columns of a batch's gathered rows: none when the rows are read sparsely in place.
    fn gathered_cols(&self) -> usize {
        match self {
            Inputs::Dense(x) => x.cols,
            Inputs::Sparse(_) => 0,
        }
    }
}

/// A batch's inputs for the first layer: its rows gathered (row-major), or the indices of
/// its rows among the sparse rows.
#[derive(Clone, Copy)]
enum Batch<'a> {
    Dense(&'a [f64]),
    Sparse(&'a SparseRows, &'a [usize]),
}

/// One half of a batch: its rows, activations and gradient sums.
struct Half {
    workspace: Workspace,
    grads: Vec<Layer>,
    xb: Vec<f64>,
    yb: Vec<u8>,
}

impl Half {
    fn new(layers: &[Layer], rows: usize, cols: usize) -> Self {
        Half {
            workspace: Workspace::new(layers, rows),
            grads: zero_layers(layers),
            xb: vec![0.0; rows * cols],
            yb: vec![0u8; rows],
        }
    }

    /// [`batch_sums`] of `rows` of `(x, y)` at `layers`, into this half's gradients.
    fn sums(
        &mut self,
        (layers, activation): (&[Layer], Activation),
        x: Inputs,
        y: &[u8],
        rows: &[usize],
    ) -> f64 {
        for (b, &i) in rows.iter().enumerate() {
            self.yb[b] = y[i];
        }
        let m = rows.len();
        let batch = match x {
            Inputs::Dense(x) => {
                let cols = x.cols;
                for (b, &i) in rows.iter().enumerate() {
                    self.xb[b * cols..(b + 1) * cols].copy_from_slice(x.row(i));
                }
                Batch::Dense(&self.xb[..m * cols])
            }
            Inputs::Sparse(x) => Batch::Sparse(x, rows),
        };
        batch_sums(
            layers,
            activation,
            (batch, &self.yb[..m]),
            &mut self.workspace,
            &mut self.grads,
        )
    }
}

/// A helper thread kept for a whole fit: it sums the second half of each batch while the
/// fit's own thread sums the first (starting a thread per batch of 0.4 ms cost much of the
/// second core's gain). Jobs carry their own buffers there and back; the thread ends when
/// the partner is dropped.
struct Partner {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Job>,
    /// The job's buffers between batches.
    idle: Option<Job>,
}

/// The second half of a batch: the layers to sum it at, its rows, and back, its gradient
/// sums and summed loss.
struct Job {
    layers: Vec<Layer>,
    rows: Vec<usize>,
    grads: Vec<Layer>,
    loss: f64,
}

impl Partner {
    fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        batches: &MiniBatches,
        x: Inputs<'env>,
        y: &'env [u8],
        layers: &[Layer],
    ) -> Self {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (outbox, done) = mpsc::channel::<Job>();
        let rows = batches.batch.div_ceil(2);
        let mut half = Half::new(layers, rows, x.gathered_cols());
        let activation = batches.activation;
        scope.spawn(move || {
            for mut job in inbox {
                job.loss = half.sums((&job.layers, activation), x, y, &job.rows);
                std::mem::swap(&mut job.grads, &mut half.grads);
                if outbox.send(job).is_err() {
                    break;
                }
            }
        });
        let idle = Some(Job {
            layers: layers.to_vec(),
            rows: Vec::with_capacity(rows),
            grads: zero_layers(layers),
            loss: 0.0,
        });
        Partner { jobs, done, idle }
    }

    /// Sends the half `rows` at `layers`; `false` when the helper cannot take it.
    fn send(&mut self, layers: &[Layer], rows: &[usize]) -> bool {
        let Some(mut job) = self.idle.take() else {
            return false;
        };
        job.layers.clone_from_slice(layers);
        job.rows.clear();
        job.rows.extend_from_slice(rows);
        self.jobs.send(job).is_ok()
    }

    /// The sent half's summed loss and gradient sums, once the helper is done.
    fn receive(&mut self) -> Option<&Job> {
        self.idle = Some(self.done.recv().ok()?);
        self.idle.as_ref()
    }
}

/// `out = a + b`, parameter by parameter.
fn add_layers(out: &mut [Layer], a: &[Layer], b: &[Layer]) {
    for (sum, (a, b)) in out.iter_mut().zip(a.iter().zip(b)) {
        for (s, (p, q)) in sum.weights.iter_mut().zip(a.weights.iter().zip(&b.weights)) {
            *s = p + q;
        }
        for (s, (p, q)) in sum.biases.iter_mut().zip(a.biases.iter().zip(&b.biases)) {
            *s = p + q;
        }
    }
}

/// A zero layer of each layer's shape.
fn zero_layers(layers: &[Layer]) -> Vec<Layer> {
    layers
        .iter()
        .map(|l| Layer::zeros(l.inputs, l.outputs))
        .collect()
}

impl<'a> MiniBatches<'a> {
    /// Whether a core is spare and the batches big enough for a [`Partner`] to pay.
    fn worth_a_partner(&self, layers: &[Layer]) -> bool {
        let parameters: usize = layers
            .iter()
            .map(|l| l.weights.len() + l.biases.len())
            .sum();
        crate::parallel::spare_core()
            && self.batch >= HALVES_FROM
            && self.batch * parameters >= PARTNER_FROM
    }

    /// Batches of `params.batch_size` rows (at most `n_train`) of `x`.
    fn new(params: &MlpParams, layers: &[Layer], x: Inputs<'a>, n_train: usize) -> Self {
        let batch = params.batch_size.min(n_train);
        MiniBatches {
            activation: params.activation,
            alpha: params.alpha,
            x,
            batch,
            grads: zero_layers(layers),
            adam: Adam::new(
                layers,
                params.learning_rate_init,
                params.beta1,
                params.beta2,
                params.epsilon,
            ),
            halves: [
                Half::new(layers, batch, x.gathered_cols()),
                Half::new(layers, batch.div_ceil(2), x.gathered_cols()),
            ],
        }
    }

    /// One Adam step per batch of the rows in `order`; the mean training loss.
    fn epoch(
        &mut self,
        layers: &mut [Layer],
        order: &[usize],
        y: &[u8],
        mut partner: Option<&mut Partner>,
    ) -> f64 {
        let mut accumulated = 0.0;
        for chunk in order.chunks(self.batch) {
            let m = chunk.len();
            let loss = if m >= HALVES_FROM {
                let loss = self.halves_loss_and_gradients(layers, chunk, y, partner.as_deref_mut());
                self.adam.step(layers, &self.grads);
                loss
            } else {
                // Whole, in the first half's buffers.
                let half = &mut self.halves[0];
                let data = half.sums((layers, self.activation), self.x, y, chunk);
                let loss = finish_gradients(layers, self.alpha, m, data, &mut half.grads);
                self.adam.step(layers, &half.grads);
                loss
            };
            accumulated += loss * m as f64;
        }
        accumulated / order.len() as f64
    }

    /// The loss and gradients of the batch of rows `chunk` ([`batch_sums`] then
    /// [`finish_gradients`]), its sums made by halves (the first `m / 2` rows, then the
    /// rest), the second on `partner`'s thread if there is one, else after the first on this
    /// thread, and added in order.
    fn halves_loss_and_gradients(
        &mut self,
        layers: &[Layer],
        chunk: &[usize],
        y: &[u8],
        partner: Option<&mut Partner>,
    ) -> f64 {
        let at = (layers, self.activation);
        let parts = [&chunk[..chunk.len() / 2], &chunk[chunk.len() / 2..]];
        let sent = partner.and_then(|p| p.send(layers, parts[1]).then_some(p));
        let [first, second] = &mut self.halves;
        let loss = first.sums(at, self.x, y, parts[0]);
        let loss = match sent {
            Some(partner) => {
                let Some(job) = partner.receive() else {
                    return f64::NAN;
                };
                add_layers(&mut self.grads, &first.grads, &job.grads);
                loss + job.loss
            }
            None => {
                let second_loss = second.sums(at, self.x, y, parts[1]);
                add_layers(&mut self.grads, &first.grads, &second.grads);
                loss + second_loss
            }
        };
        finish_gradients(layers, self.alpha, chunk.len(), loss, &mut self.grads)
    }
}

/// The best loss so far (validation, else training) and the epochs since it improved by
/// `tol`, as sklearn's `_update_no_improvement_count`; with validation, the best layers.
struct Watch {
    best: f64,
    best_layers: Vec<Layer>,
    best_epoch: usize,
    no_improvement: usize,
}

impl Watch {
    fn new(layers: &[Layer]) -> Self {
        Watch {
            best: f64::INFINITY,
            best_layers: layers.to_vec(),
            best_epoch: 0,
            no_improvement: 0,
        }
    }

    /// Counts `watched`, the loss after `epoch`, lower being better (a NaN loss counts as
    /// no progress); keeps the best `layers` when `keep_layers`.
    fn update(
        &mut self,
        watched: f64,
        tol: f64,
        keep_layers: bool,
        layers: &[Layer],
        epoch: usize,
    ) {
        if watched < self.best - tol {
            self.no_improvement = 0;
        } else {
            self.no_improvement += 1;
        }
        if watched < self.best {
            self.best = watched;
            if keep_layers {
                self.best_layers.clone_from_slice(layers);
                self.best_epoch = epoch;
            }
        }
    }
}

/// Activations of one batch: `outputs[l]` holds the output of layer l (hidden layers after
/// their activation, the last one the logits), `deltas[l]` ∂L/∂(pre-activation of layer l).
struct Workspace {
    outputs: Vec<Vec<f64>>,
    deltas: Vec<Vec<f64>>,
}

impl Workspace {
    fn new(layers: &[Layer], rows: usize) -> Self {
        let buffers =
            || -> Vec<Vec<f64>> { layers.iter().map(|l| vec![0.0; rows * l.outputs]).collect() };
        Workspace {
            outputs: buffers(),
            deltas: buffers(),
        }
    }
}

/// Forward pass of `rows` rows of `input` through `layers`, filling `outputs`.
fn forward(
    layers: &[Layer],
    activation: Activation,
    input: Batch,
    rows: usize,
    outputs: &mut [Vec<f64>],
) {
    for (l, layer) in layers.iter().enumerate() {
        let (before, after) = outputs.split_at_mut(l);
        let out = &mut after[0][..rows * layer.outputs];
        match (l, input) {
            (0, Batch::Dense(inp)) => layer.forward(inp, rows, out, Zeros::Skip),
            (0, Batch::Sparse(x, which)) => layer.forward_sparse(x, which, out),
            _ => layer.forward(&before[l - 1][..rows * layer.inputs], rows, out, Zeros::Add),
        }
        if l + 1 < layers.len() {
            activation.apply(out);
        }
    }
}

/// [`logits`] of features as the preprocessor gives them: sparse rows are read sparsely
/// by the first layer (the same sums, whose zero inputs add nothing).
fn logits_of(layers: &[Layer], activation: Activation, x: &Features) -> Vec<f64> {
    const BLOCK: usize = 256;
    let rows = match x {
        Features::Dense(m) => return logits(layers, activation, m),
        Features::Sparse(rows) => rows,
    };
    let n = rows.n_rows();
    let mut workspace = Workspace::new(layers, BLOCK.min(n));
    let mut z = Vec::with_capacity(n);
    let which: Vec<usize> = (0..n).collect();
    for block in which.chunks(BLOCK) {
        forward(
            layers,
            activation,
            Batch::Sparse(rows, block),
            block.len(),
            &mut workspace.outputs,
        );
        let last = workspace
            .outputs
            .last()
            .expect("a network has an output layer");
        z.extend_from_slice(&last[..block.len()]);
    }
    z
}

/// Output logits of every row of `x`, computed in blocks of 256 contiguous rows.
fn logits(layers: &[Layer], activation: Activation, x: &Matrix) -> Vec<f64> {
    const BLOCK: usize = 256;
    let x = x.row_major();
    let mut workspace = Workspace::new(layers, BLOCK.min(x.rows));
    let mut z = Vec::with_capacity(x.rows);
    let mut start = 0;
    while start < x.rows {
        let rows = BLOCK.min(x.rows - start);
        let input = &x.data[start * x.cols..(start + rows) * x.cols];
        forward(
            layers,
            activation,
            Batch::Dense(input),
            rows,
            &mut workspace.outputs,
        );
        let last = workspace
            .outputs
            .last()
            .expect("a network has an output layer");
        z.extend_from_slice(&last[..rows]);
        start += rows;
    }
    z
}

/// Loss of one batch (`xb` row-major, `yb.len()` rows) at `layers` and its gradients, written
/// into `grads`: sklearn's `_backprop` for a logistic output and log loss. The fit makes it
/// of the same two steps ([`MiniBatches::epoch`]); the tests check it against sklearn.
#[cfg(test)]
fn loss_and_gradients(
    layers: &[Layer],
    activation: Activation,
    alpha: f64,
    xb: &[f64],
    yb: &[u8],
    ws: &mut Workspace,
    grads: &mut [Layer],
) -> f64 {
    let data_loss = batch_sums(layers, activation, (Batch::Dense(xb), yb), ws, grads);
    finish_gradients(layers, alpha, yb.len(), data_loss, grads)
}

/// From the sums of a batch of `m` rows (`data_loss` and the gradients' sums in `grads`),
/// the batch's loss and, in `grads`, its gradients with the L2 penalty `alpha`.
fn finish_gradients(
    layers: &[Layer],
    alpha: f64,
    m: usize,
    data_loss: f64,
    grads: &mut [Layer],
) -> f64 {
    let inv_m = 1.0 / m as f64;
    let squared_weights: f64 = layers
        .iter()
        .map(|l| l.weights.iter().map(|w| w * w).sum::<f64>())
        .sum();
    for (grad, layer) in grads.iter_mut().zip(layers) {
        for (g, &w) in grad.weights.iter_mut().zip(&layer.weights) {
            *g = (*g + alpha * w) * inv_m;
        }
        grad.biases.iter_mut().for_each(|g| *g *= inv_m);
    }
    data_loss * inv_m + 0.5 * alpha * squared_weights * inv_m
}

/// The summed log loss of the rows `(xb, yb)` (`xb` row-major) at `layers`, and in `grads`
/// the sums over the rows of each parameter's gradient (no penalty, not divided by the
/// rows): sklearn's `_backprop` before its averaging.
fn batch_sums(
    layers: &[Layer],
    activation: Activation,
    (xb, yb): (Batch, &[u8]),
    ws: &mut Workspace,
    grads: &mut [Layer],
) -> f64 {
    let m = yb.len();
    forward(layers, activation, xb, m, &mut ws.outputs);

    let last = layers.len() - 1;
    let z = &ws.outputs[last][..m];
    let delta_out = &mut ws.deltas[last][..m];
    let mut data_loss = 0.0;
    for ((d, &zi), &yi) in delta_out.iter_mut().zip(z).zip(yb) {
        let yi = f64::from(yi);
        let (plus, p) = softplus_and_sigmoid(zi);
        data_loss += plus - yi * zi;
        *d = p - yi;
    }

    for l in (0..layers.len()).rev() {
        let layer = &layers[l];
        let (d, h) = (layer.inputs, layer.outputs);
        let (below, here) = ws.deltas.split_at_mut(l);
        let delta = &here[0][..m * h];
        let grad = &mut grads[l];
        let hidden = &ws.outputs[l.max(1) - 1][..if l > 0 { m * d } else { 0 }];
        match (l, xb) {
            (0, Batch::Sparse(x, rows)) => {
                weight_sums_sparse((x, rows), delta, (d, h), &mut grad.weights)
            }
            (0, Batch::Dense(input)) => {
                weight_sums((input, delta), (m, d, h), &mut grad.weights, Zeros::Skip)
            }
            _ => weight_sums((hidden, delta), (m, d, h), &mut grad.weights, Zeros::Add),
        }
        grad.biases.iter_mut().for_each(|g| *g = 0.0);
        for delta_row in delta.chunks_exact(h) {
            for (g, &e) in grad.biases.iter_mut().zip(delta_row) {
                *g += e;
            }
        }

        if l > 0 {
            let delta_below = &mut below[l - 1][..m * d];
            for b in 0..m {
                let delta_row = &delta[b * h..(b + 1) * h];
                let below_row = &mut delta_below[b * d..(b + 1) * d];
                if let [e] = delta_row {
                    // One output (the logit): `dot` of one term is that term.
                    for (out, &w) in below_row.iter_mut().zip(&layer.weights) {
                        *out = e * w;
                    }
                    continue;
                }
                for (k, out) in below_row.iter_mut().enumerate() {
                    *out = crate::matrix::dot(delta_row, &layer.weights[k * h..(k + 1) * h]);
                }
            }
            activation.backprop(hidden, delta_below);
        }
    }
    data_loss
}

/// Adam's state: step count and both moments of every parameter.
struct Adam {
    learning_rate_init: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    t: u32,
    first: Vec<Layer>,
    second: Vec<Layer>,
}

impl Adam {
    fn new(
        layers: &[Layer],
        learning_rate_init: f64,
        beta1: f64,
        beta2: f64,
        epsilon: f64,
    ) -> Self {
        let zeros = || zero_layers(layers);
        Adam {
            learning_rate_init,
            beta1,
            beta2,
            epsilon,
            t: 0,
            first: zeros(),
            second: zeros(),
        }
    }

    /// sklearn's `AdamOptimizer._get_updates` followed by `param += update`, in its order of
    /// floating-point operations.
    fn step(&mut self, params: &mut [Layer], grads: &[Layer]) {
        self.t += 1;
        let t = f64::from(self.t);
        let (b1, b2, eps) = (self.beta1, self.beta2, self.epsilon);
        let rate = self.learning_rate_init * (1.0 - b2.powf(t)).sqrt() / (1.0 - b1.powf(t));
        for (((p, g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.first)
            .zip(&mut self.second)
        {
            let p = p.weights.iter_mut().chain(p.biases.iter_mut());
            let g = g.weights.iter().chain(&g.biases);
            let m = m.weights.iter_mut().chain(m.biases.iter_mut());
            let v = v.weights.iter_mut().chain(v.biases.iter_mut());
            for (((p, &g), m), v) in p.zip(g).zip(m).zip(v) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * (g * g);
                *p += -rate * *m / (v.sqrt() + eps);
            }
        }
    }
}

/// A fitted neural network classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMlp {
    /// Hidden layers then the one-unit output layer.
    pub layers: Vec<Layer>,
    pub activation: Activation,
    /// Epochs trained.
    pub epochs: usize,
    /// The epoch whose weights are kept: the best on validation with early stopping, else the last.
    pub best_epoch: usize,
    /// Whether the no-improvement rule stopped training before the epoch cap.
    pub stopped_early: bool,
    /// Validation log loss of the kept weights (with early stopping).
    pub validation_loss: Option<f64>,
    /// Average training loss (penalty included) of every epoch, as sklearn's `loss_curve_`.
    pub loss_curve: Vec<f64>,
    /// Validation log loss after every epoch (empty without early stopping).
    pub validation_curve: Vec<f64>,
}

impl FittedMlp {
    /// [`Self::predict_proba`] of features as the preprocessor gives them (the same
    /// probabilities to the bit).
    ///
    /// # Panics
    /// If `x` does not have as many columns as the training features.
    pub fn predict_features(&self, x: &Features) -> Vec<f64> {
        let rows = match x {
            Features::Dense(m) => return self.predict_proba(m),
            Features::Sparse(rows) => rows,
        };
        let inputs = self.layers.first().map_or(0, |l| l.inputs);
        assert_eq!(
            rows.cols(),
            inputs,
            "the network was trained on {inputs} features"
        );
        logits_of(&self.layers, self.activation, x)
            .into_iter()
            .map(sigmoid)
            .collect()
    }

    /// Probability of the positive class for each row of `x`.
    ///
    /// # Panics
    /// If `x` does not have as many columns as the training features.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        let inputs = self.layers.first().map_or(0, |l| l.inputs);
        let x = standard_layout(x);
        assert_eq!(
            x.ncols(),
            inputs,
            "the network was trained on {inputs} features"
        );
        logits(&self.layers, self.activation, &x)
            .into_iter()
            .map(sigmoid)
            .collect()
    }

    /// Checks the layers chain from `n_features` inputs to one output, each holding
    /// `inputs x outputs` weights and `outputs` biases.
    pub fn check(&self, n_features: usize) -> Result<()> {
        let mut width = n_features;
        for (k, layer) in self.layers.iter().enumerate() {
            let weights = layer.inputs.checked_mul(layer.outputs);
            if layer.inputs != width
                || layer.outputs == 0
                || weights != Some(layer.weights.len())
                || layer.biases.len() != layer.outputs
            {
                return Err(super::invalid(format!(
                    "layer {k} takes {} inputs to {} outputs with {} weights and {} biases, after {width} values",
                    layer.inputs,
                    layer.outputs,
                    layer.weights.len(),
                    layer.biases.len()
                )));
            }
            width = layer.outputs;
        }
        if self.layers.is_empty() || width != 1 {
            return Err(super::invalid(format!(
                "the network ends in {width} outputs after {} layers, not one",
                self.layers.len()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluating::metrics::roc_auc;
    use crate::modelling::models::LogisticRegressionParams;

    /// Six rows, two features: the X and y of the scikit-learn references below.
    fn tiny() -> (Vec<f64>, Vec<u8>) {
        let x = vec![
            0.5, 1.2, -1.0, 0.3, 1.5, -0.7, 2.0, 1.1, -0.3, -1.5, 0.8, 0.4,
        ];
        (x, vec![1, 0, 1, 1, 0, 0])
    }

    fn layer(inputs: usize, outputs: usize, weights: &[f64], biases: &[f64]) -> Layer {
        Layer {
            inputs,
            outputs,
            weights: weights.to_vec(),
            biases: biases.to_vec(),
        }
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < tol, "{what}: {got:?} vs {want:?}");
        }
    }

    /// Checks loss, gradients and probabilities at fixed weights against scikit-learn 1.9.1:
    /// `m = MLPClassifier(hidden_layer_sizes=H, activation=A, alpha=ALPHA, max_iter=1,
    /// random_state=0).fit(X, y)`, then `m.coefs_`/`m.intercepts_` set to the weights here and
    /// `m._backprop(X, y.reshape(-1, 1).astype(float), None, [X] + [None] * L, [None] * L,
    /// [None] * L, [None] * L)` and `m.predict_proba(X)[:, 1]`, X and y from [`tiny`].
    fn check_against_sklearn(
        layers: Vec<Layer>,
        activation: Activation,
        alpha: f64,
        loss: f64,
        grads: &[(&[f64], &[f64])],
        proba: &[f64],
    ) {
        let (x, y) = tiny();
        let mut ws = Workspace::new(&layers, y.len());
        let mut got: Vec<Layer> = layers
            .iter()
            .map(|l| Layer::zeros(l.inputs, l.outputs))
            .collect();
        let got_loss = loss_and_gradients(&layers, activation, alpha, &x, &y, &mut ws, &mut got);
        assert!((got_loss - loss).abs() < 1e-10, "loss {got_loss} vs {loss}");
        for (l, (weights, biases)) in grads.iter().enumerate() {
            assert_close(&got[l].weights, weights, 1e-10, "coef_grads");
            assert_close(&got[l].biases, biases, 1e-10, "intercept_grads");
        }
        let model = FittedMlp {
            layers,
            activation,
            epochs: 0,
            best_epoch: 0,
            stopped_early: false,
            validation_loss: None,
            loss_curve: vec![],
            validation_curve: vec![],
        };
        let x = crate::matrix::from_row_major(6, 2, x);
        assert_close(&model.predict_proba(&x), proba, 1e-12, "predict_proba");
    }

    const W1: [f64; 6] = [0.3, -0.6, 0.9, 0.7, 0.2, -0.4];
    const B1: [f64; 3] = [0.1, -0.2, 0.05];

    #[test]
    fn loss_and_gradients_match_sklearn_backprop_one_relu_layer() {
        // H = (3,), A = "relu", ALPHA = 0.01; coefs_ = [W1 (2x3), [[0.8], [-0.5], [1.1]]],
        // intercepts_ = [B1, [-0.3]].
        check_against_sklearn(
            vec![
                layer(2, 3, &W1, &B1),
                layer(3, 1, &[0.8, -0.5, 1.1], &[-0.3]),
            ],
            Activation::Relu,
            0.01,
            0.5277632463707886,
            &[
                (
                    &[
                        -0.053104324766916844,
                        0.030032057153911464,
                        -0.03305604079277293,
                        0.0005308238042343168,
                        -0.008976283812840106,
                        -0.1676252082084302,
                    ],
                    &[
                        0.06281465429087725,
                        -0.031032057153911465,
                        0.115168357167576,
                    ],
                ),
                (
                    &[
                        -0.011472819172529116,
                        0.027716159248265215,
                        0.03950733129841385,
                    ],
                    &[0.16676262082380108],
                ),
            ],
            &[
                0.6442824041997938,
                0.37238468584693757,
                0.8314585872598447,
                0.9188631526711621,
                0.529465817761227,
                0.7041210772038413,
            ],
        );
    }

    #[test]
    fn loss_and_gradients_match_sklearn_backprop_two_tanh_layers() {
        // H = (3, 2), A = "tanh", ALPHA = 0.1; coefs_ = [W1, [[0.8, -0.3], [-0.5, 0.6],
        // [1.1, 0.4]], [[0.9], [-1.2]]], intercepts_ = [B1, [0.2, -0.1], [0.15]].
        check_against_sklearn(
            vec![
                layer(2, 3, &W1, &B1),
                layer(3, 2, &[0.8, -0.3, -0.5, 0.6, 1.1, 0.4], &[0.2, -0.1]),
                layer(2, 1, &[0.9, -1.2], &[0.15]),
            ],
            Activation::Tanh,
            0.1,
            0.6576315899019541,
            &[
                (
                    &[
                        -0.05613130805587496,
                        0.05290526824225488,
                        -0.011264287645706757,
                        -0.012575511788501444,
                        0.13020964471737126,
                        -0.07397422026586738,
                    ],
                    &[
                        0.1072431082758812,
                        -0.17945999421775527,
                        0.019962885942102094,
                    ],
                ),
                (
                    &[
                        -0.04786770962949107,
                        0.05190134820548973,
                        -0.022042978853198333,
                        0.018028920254829574,
                        0.028090520963585455,
                        0.016202322184238185,
                    ],
                    &[0.11721738021168172, -0.231612736739878],
                ),
                (
                    &[0.012431802040163894, -0.03186291102251503],
                    &[0.19672544505965628],
                ),
            ],
            &[
                0.7972707168947772,
                0.4278559142689204,
                0.7837724107530506,
                0.8316851505400478,
                0.5390767781508036,
                0.800691699750338,
            ],
        );
    }

    #[test]
    fn blocked_forward_equals_the_plain_sum() {
        // 20 outputs (two blocks of eight and a tail of four: whole tiles and a padded
        // one), 3 (a padded tile) or one (the logit, eight rows at a time); 11 rows (two
        // tiles of four or groups of two or eight, and the rest alone); a quarter of the
        // inputs zero.
        let mut rng = Rng::new(3);
        let (d, rows) = (7, 11);
        let input: Vec<f64> = (0..rows * d)
            .map(|_| if rng.chance(0.25) { 0.0 } else { rng.normal() })
            .collect();
        for h in [20, 3, 1] {
            let l = layer(
                d,
                h,
                &(0..d * h).map(|_| rng.normal()).collect::<Vec<_>>(),
                &(0..h).map(|_| rng.normal()).collect::<Vec<_>>(),
            );
            // The CPU's own path (tiles where it has them) and the plain two rows.
            let cases = [
                (Zeros::Skip, false),
                (Zeros::Add, false),
                (Zeros::Skip, true),
            ];
            for (zeros, plain) in cases {
                let mut out = vec![0.0; rows * h];
                if plain {
                    l.forward_by::<2>(&input, 0..rows, &mut out, zeros);
                } else {
                    l.forward(&input, rows, &mut out, zeros);
                }
                for b in 0..rows {
                    for j in 0..h {
                        let mut s = l.biases[j];
                        for k in 0..d {
                            s += input[b * d + k] * l.weights[k * h + j];
                        }
                        // Same terms in the same order (adding 0 * w changes nothing): exact.
                        assert_eq!(out[b * h + j], s, "{h}, {zeros:?}: row {b} output {j}");
                    }
                }
            }
        }
    }

    /// 600 rows of 7 standard normal features (seed 3), churn when `x0 − x1·x2` plus noise
    /// is positive.
    fn halves_data() -> (Matrix, Vec<u8>) {
        let mut rng = crate::rng::Rng::new(3);
        let rows: Vec<f64> = (0..600 * 7).map(|_| rng.normal()).collect();
        let y = rows
            .chunks(7)
            .map(|r| u8::from(r[0] - r[1] * r[2] + 0.5 * rng.normal() > 0.0))
            .collect();
        (crate::matrix::from_row_major(600, 7, rows), y)
    }

    #[test]
    fn a_batch_summed_by_halves_equals_one_pass() {
        let (x, y) = halves_data();
        let params = MlpParams::new().hidden(vec![9, 5]).alpha(0.01);
        let layers = params.initial_layers(7, &mut crate::rng::Rng::new(5));
        let x = x.row_major();
        let order: Vec<usize> = (0..200).map(|i| (i * 7) % 600).collect();
        let mut batches = MiniBatches::new(&params, &layers, Inputs::Dense(x), 600);
        let halves_loss = batches.halves_loss_and_gradients(&layers, &order, &y, None);
        let halves = batches.grads.clone();
        let xb: Vec<f64> = order.iter().flat_map(|&i| x.row(i).to_vec()).collect();
        let yb: Vec<u8> = order.iter().map(|&i| y[i]).collect();
        let mut ws = Workspace::new(&layers, 200);
        let mut one = zero_layers(&layers);
        let loss = loss_and_gradients(
            &layers,
            params.activation,
            0.01,
            &xb,
            &yb,
            &mut ws,
            &mut one,
        );
        // The same terms summed in another grouping (two halves, then their sum): equal up
        // to rounding, far below 1e-12 at these magnitudes (losses and gradients of order 1).
        assert!(
            (halves_loss - loss).abs() < 1e-12,
            "{halves_loss} vs {loss}"
        );
        for (a, b) in halves.iter().zip(&one) {
            assert_close(&a.weights, &b.weights, 1e-12, "weights");
            assert_close(&a.biases, &b.biases, 1e-12, "biases");
        }
    }

    /// Two hidden layers of 120 on 7 inputs: 15,601 parameters, times batches of 200 rows
    /// enough for the helper thread ([`PARTNER_FROM`]).
    fn partnered() -> MlpParams {
        let params = MlpParams::new().hidden(vec![120, 120]);
        let layers = params.initial_layers(7, &mut Rng::new(1));
        let count: usize = layers
            .iter()
            .map(|l| l.weights.len() + l.biases.len())
            .sum();
        assert!(200 * count >= PARTNER_FROM, "{count} parameters");
        params
    }

    #[test]
    fn one_thread_and_two_fit_the_same_network() {
        let (x, y) = halves_data();
        let params = partnered().max_epochs(15);
        let fit = |threads: usize| {
            crate::parallel::set_threads(threads);
            let model = params.fit(&x, &y, |_| true).expect("fit");
            crate::parallel::set_threads(0);
            serde_json::to_string(&model).expect("json")
        };
        assert_eq!(fit(1), fit(2));
    }

    /// 600 rows of one number and two one-hot columns of 40 and 25 levels (3 non-zero
    /// cells of 66), the label from the levels and the number, seeded.
    fn one_hot_data() -> (Matrix, Vec<u8>) {
        let mut rng = Rng::new(11);
        let mut cells = Vec::with_capacity(600 * 66);
        let mut y = Vec::with_capacity(600);
        for _ in 0..600 {
            let (a, b, v) = (rng.below(40), rng.below(25), rng.uniform() * 2.0 - 1.0);
            let mut row = vec![0.0; 66];
            row[0] = v;
            row[1 + a] = 1.0;
            row[41 + b] = 1.0;
            cells.extend(row);
            y.push(u8::from((a % 3 == 0) ^ (b % 4 == 0) ^ (v > 0.6)));
        }
        (crate::matrix::from_row_major(600, 66, cells), y)
    }

    #[test]
    fn sparse_inputs_fit_the_network_the_dense_inputs_fit() {
        let (x, y) = one_hot_data();
        assert!(
            SparseRows::of(x.row_major(), SPARSE_SHARE).is_some(),
            "read sparsely"
        );
        // Early stopping's held-out rows too, and the helper thread on two (partnered).
        let params = partnered().max_epochs(8);
        let _guard = crate::parallel::tests::THREAD_SETTING.lock();
        let fit = |threads: usize, share: f64| {
            crate::parallel::set_threads(threads);
            let model = params.fit_reading(&x, &y, |_| true, share).expect("fit");
            crate::parallel::set_threads(0);
            serde_json::to_string(&model).expect("json")
        };
        let dense = fit(1, 0.0);
        assert_eq!(dense, fit(1, SPARSE_SHARE), "one thread");
        assert_eq!(dense, fit(2, SPARSE_SHARE), "two threads");
        // Given as the preprocessor's sparse features (validation rows kept sparse too),
        // the same network, scoring every row to the same bit.
        let sparse = Features::Sparse(SparseRows::of(x.row_major(), 1.0).expect("rows"));
        let from_sparse = params.fit_features(&sparse, &y, |_| true).expect("fit");
        assert_eq!(dense, serde_json::to_string(&from_sparse).expect("json"));
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(
            bits(from_sparse.predict_proba(&x)),
            bits(from_sparse.predict_features(&sparse))
        );
        // The network learnt something, so the equality is not of two untouched networks.
        let model = params.fit(&x, &y, |_| true).expect("fit");
        assert!(model.loss_curve[0] > *model.loss_curve.last().expect("epochs"));
    }

    #[test]
    fn a_fit_cancelled_on_two_threads_ends_its_helper() {
        let (x, y) = halves_data();
        crate::parallel::set_threads(2);
        let mut epochs = 0;
        let result = partnered().fit(&x, &y, |_| {
            epochs += 1;
            epochs < 3
        });
        crate::parallel::set_threads(0);
        assert!(matches!(result, Err(ModelError::Cancelled)), "{result:?}");
        assert_eq!(epochs, 3);
    }

    #[test]
    fn blocked_weight_sums_equal_the_plain_sums() {
        // 7 inputs (blocks of four or two and the rest alone), 20 outputs (two blocks of
        // eight and a padded tail of four), 3 (a padded tile) or one (the logit's row-by-row
        // sums), 9 rows, a quarter of the inputs zero; seed 5.
        let mut rng = Rng::new(5);
        let (d, m) = (7, 9);
        let input: Vec<f64> = (0..m * d)
            .map(|_| if rng.chance(0.25) { 0.0 } else { rng.normal() })
            .collect();
        // The CPU's own path (AVX's four inputs where it has it) and the plain two inputs.
        let cases = [
            (20, Zeros::Skip, false),
            (20, Zeros::Add, false),
            (1, Zeros::Add, false),
        ];
        for (h, zeros, plain) in cases.into_iter().chain([(20, Zeros::Skip, true)]) {
            let delta: Vec<f64> = (0..m * h).map(|_| rng.normal()).collect();
            let mut grads = vec![f64::NAN; d * h];
            if plain {
                weight_sums_by::<2>((&input, &delta), (m, d, h), &mut grads, zeros, 0);
            } else {
                weight_sums((&input, &delta), (m, d, h), &mut grads, zeros);
            }
            for k in 0..d {
                for j in 0..h {
                    let mut s = 0.0;
                    for b in 0..m {
                        s += input[b * d + k] * delta[b * h + j];
                    }
                    // Same terms in the same order (adding 0 * e changes nothing): exact.
                    assert_eq!(grads[k * h + j], s, "{zeros:?}, {h}: input {k} output {j}");
                }
            }
        }
    }

    #[test]
    fn adam_steps_match_sklearn_adam_optimizer() {
        // scikit-learn 1.9.1: p = [np.array([[0.3, -0.6], [0.7, 0.2]]), np.array([0.1, -0.2])];
        // opt = AdamOptimizer(p, 0.001, 0.9, 0.999, 1e-8); opt.update_params(p, g1), then
        // opt.update_params(p, g2), with g1, g2 as below; p flattened after each step.
        let mut params = vec![layer(2, 2, &[0.3, -0.6, 0.7, 0.2], &[0.1, -0.2])];
        let g1 = vec![layer(2, 2, &[0.05, -0.02, 0.4, -1e-5], &[0.0, 3.0])];
        let g2 = vec![layer(2, 2, &[-0.05, 0.01, 0.1, 2e-5], &[0.5, -1.0])];
        let mut adam = Adam::new(&params, 0.001, 0.9, 0.999, 1e-8);
        let flat = |p: &[Layer]| [p[0].weights.clone(), p[0].biases.clone()].concat();
        adam.step(&mut params, &g1);
        assert_close(
            &flat(&params),
            &[
                0.2990000063245153,
                -0.5990000158111383,
                0.6990000007905688,
                0.2009693465699683,
                0.1,
                -0.20099999989459078,
            ],
            1e-12,
            "after one step",
        );
        adam.step(&mut params, &g2);
        assert_close(
            &flat(&params),
            &[
                0.29905263766802925,
                -0.5987336825395067,
                0.698169403894232,
                0.20060834883250006,
                0.09925586364706618,
                -0.20140021842650532,
            ],
            1e-12,
            "after two steps",
        );
    }

    #[test]
    fn initial_weights_are_glorot_uniform() {
        // sklearn's `_init_coef` for relu: uniform in ±sqrt(6 / (fan_in + fan_out)).
        let params = MlpParams::new().hidden(vec![20, 7]);
        let layers = params.initial_layers(5, &mut Rng::new(1));
        let shapes: Vec<(usize, usize)> = layers.iter().map(|l| (l.inputs, l.outputs)).collect();
        assert_eq!(shapes, [(5, 20), (20, 7), (7, 1)]);
        for l in &layers {
            let bound = (6.0 / (l.inputs + l.outputs) as f64).sqrt();
            let all: Vec<f64> = l.weights.iter().chain(&l.biases).copied().collect();
            assert!(all.iter().all(|w| w.abs() <= bound));
            // Hand bound: 100+ draws uniform on ±bound reach beyond half of it on both sides.
            if all.len() > 100 {
                assert!(
                    all.iter().any(|&w| w > bound / 2.0) && all.iter().any(|&w| w < -bound / 2.0)
                );
            }
        }
    }

    /// 400 points uniform on [-1, 1]², labelled 1 in the first and third quadrants (x₁x₂ > 0).
    /// By symmetry no linear score separates them: every line leaves half of each class on
    /// each side, so a linear model ranks at chance (hand argument, checked below).
    fn xor(seed: u64) -> (Matrix, Vec<u8>) {
        let mut rng = Rng::new(seed);
        let rows: Vec<Vec<f64>> = (0..400)
            .map(|_| vec![2.0 * rng.uniform() - 1.0, 2.0 * rng.uniform() - 1.0])
            .collect();
        let y = rows.iter().map(|r| u8::from(r[0] * r[1] > 0.0)).collect();
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn learns_xor_that_a_linear_model_cannot() {
        let (x, y) = xor(7);
        let linear = LogisticRegressionParams::new()
            .fit(&x, &y, |_| true)
            .expect("fit");
        let linear_auc = roc_auc(&y, &linear.predict_proba(&x)).expect("auc");
        assert!(linear_auc < 0.6, "linear AUC {linear_auc}");

        let model = MlpParams::new()
            .hidden(vec![16])
            .learning_rate_init(0.01)
            .batch_size(50)
            .early_stopping(false)
            .max_epochs(300)
            .fit(&x, &y, |_| true)
            .expect("fit");
        let p = model.predict_proba(&x);
        let accuracy = p
            .iter()
            .zip(&y)
            .filter(|(&pi, &yi)| (pi > 0.5) == (yi == 1))
            .count() as f64
            / 400.0;
        assert!(accuracy > 0.95, "training accuracy {accuracy}");
        // Fresh points from another seed: the network generalises the quadrant rule.
        let (xt, yt) = xor(8);
        let auc = roc_auc(&yt, &model.predict_proba(&xt)).expect("auc");
        assert!(auc > 0.97, "test AUC {auc}");
    }

    #[test]
    fn same_seed_same_model_other_seed_other_model() {
        let (x, y) = xor(3);
        let params = MlpParams::new().hidden(vec![8, 4]).max_epochs(15);
        let a = params.fit(&x, &y, |_| true).expect("fit");
        let b = params.fit(&x, &y, |_| true).expect("fit");
        assert_eq!(a, b);
        let c = params.clone().seed(43).fit(&x, &y, |_| true).expect("fit");
        assert_ne!(a.layers, c.layers);
    }

    /// 1000 rows of 5 standard normal features and labels drawn independently of them.
    fn noise() -> (Matrix, Vec<u8>) {
        let mut rng = Rng::new(11);
        let rows: Vec<Vec<f64>> = (0..1000)
            .map(|_| (0..5).map(|_| rng.normal()).collect())
            .collect();
        let y = (0..1000).map(|_| u8::from(rng.chance(0.3))).collect();
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn early_stopping_stops_on_noise_and_restores_the_best_weights() {
        let (x, y) = noise();
        let params = MlpParams::new();
        let model = params.fit(&x, &y, |_| true).expect("fit");
        assert!(
            model.stopped_early && model.epochs < 200,
            "{} epochs",
            model.epochs
        );
        assert!(model.best_epoch < model.epochs);
        let best = model.validation_loss.expect("early stopping on");
        assert_eq!(model.validation_curve[model.best_epoch - 1], best);
        assert!(model.validation_curve.iter().all(|&v| v >= best));
        // Training stops on the 11th epoch without progress of 1e-4 (sklearn's rule).
        assert!(model.epochs - model.best_epoch <= 11);
        // The kept weights are those after `best_epoch` epochs: training exactly that long
        // (same seed, same split, same shuffles) ends on the same weights.
        let short = params
            .max_epochs(model.best_epoch)
            .fit(&x, &y, |_| true)
            .expect("fit");
        assert_eq!(short.layers, model.layers);
    }

    #[test]
    fn cancel_stops_with_cancelled() {
        let (x, y) = noise();
        let mut seen = Vec::new();
        let result = MlpParams::new().hidden(vec![4]).fit(&x, &y, |p| {
            seen.push((p.iteration, p.max_iterations));
            assert!(p.loss.is_finite() && p.loss > 0.0);
            p.iteration < 3
        });
        assert!(matches!(result, Err(ModelError::Cancelled)));
        assert_eq!(seen, [(1, 200), (2, 200), (3, 200)]);
    }

    #[test]
    fn rejects_bad_params_and_data() {
        let (x, y) = xor(1);
        let bad = [
            MlpParams::new().hidden(vec![]),
            MlpParams::new().hidden(vec![4, 4, 4]),
            MlpParams::new().hidden(vec![4, 0]),
            MlpParams::new().alpha(-1.0),
            MlpParams::new().alpha(f64::NAN),
            MlpParams::new().learning_rate_init(0.0),
            MlpParams::new().beta1(1.0),
            MlpParams::new().beta2(-0.1),
            MlpParams::new().epsilon(0.0),
            MlpParams::new().batch_size(0),
            MlpParams::new().max_epochs(0),
            MlpParams::new().validation_fraction(0.0),
            MlpParams::new().validation_fraction(1.0),
            MlpParams::new().tol(-1e-4),
            MlpParams::new().n_iter_no_change(0),
        ];
        for params in bad {
            assert!(
                matches!(
                    params.fit(&x, &y, |_| true),
                    Err(ModelError::InvalidParameter(_))
                ),
                "{params:?}"
            );
        }
        let mut nan = x.clone();
        nan[[2, 1]] = f64::NAN;
        assert!(matches!(
            MlpParams::new().fit(&nan, &y, |_| true),
            Err(ModelError::NonFinite {
                row: 2,
                feature: 1,
                ..
            })
        ));
        assert!(matches!(
            MlpParams::new().fit(&x, &vec![1; 400], |_| true),
            Err(ModelError::SingleClassTarget)
        ));
        // Four rows leave round(0.1 * 2) = 0 of each class for validation.
        let four = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]);
        assert!(matches!(
            MlpParams::new().fit(&four, &[0, 1, 0, 1], |_| true),
            Err(ModelError::InvalidParameter(_))
        ));
    }

    #[test]
    fn validation_split_is_stratified() {
        // 1000 rows with 300 positives: round(0.1 * 700) = 70 and round(0.1 * 300) = 30 held out.
        let (_, y) = noise();
        let positives = y.iter().filter(|&&v| v == 1).count();
        let (train, val) = stratified_split(&y, 0.1, &mut Rng::new(5));
        assert_eq!(train.len() + val.len(), 1000);
        let val_pos = val.iter().filter(|&&i| y[i] == 1).count();
        assert_eq!(val_pos, (positives as f64 * 0.1).round() as usize);
        assert_eq!(
            val.len() - val_pos,
            ((1000 - positives) as f64 * 0.1).round() as usize
        );
    }

    /// Time per batch of the network's kernels at the default shape (200 rows, 30 inputs,
    /// 100 hidden units, one logit; random data, seed 11), for profiling. Run with
    /// `cargo test -p churnscope-engine --lib --profile native mlp_speed -- --ignored
    /// --nocapture`; with `MLP_FIT_ONLY=1` it only fits (20 epochs on one thread), for
    /// `perf record`.
    #[test]
    #[ignore = "a timing printout, not a check"]
    fn mlp_speed() {
        let (m, d, h, reps) = (200, 30, 100, 2_000);
        let mut rng = Rng::new(11);
        let xb: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let yb: Vec<u8> = (0..m).map(|_| u8::from(rng.chance(0.5))).collect();
        let layers = MlpParams::new().initial_layers(d, &mut rng);
        let mut ws = Workspace::new(&layers, m);
        let mut grads = zero_layers(&layers);
        let time = |what: &str, f: &mut dyn FnMut()| {
            let start = std::time::Instant::now();
            for _ in 0..reps {
                f();
            }
            let per = start.elapsed().as_secs_f64() / reps as f64;
            println!("{what:<28} {:>8.1} µs per batch", per * 1e6);
        };
        let mut out0 = vec![0.0; m * h];
        let mut out1 = vec![0.0; m];
        // 72,000 rows (a 100,000-row file's training rows after the validation share) of
        // the same shape for whole fits, labelled by x0 + x1·x2 > 0.
        let n = 72_000;
        let x: Vec<f64> = (0..n * d).map(|_| rng.normal()).collect();
        let y: Vec<u8> = x
            .chunks(d)
            .map(|r| u8::from(r[0] + r[1] * r[2] > 0.0))
            .collect();
        let x = crate::matrix::from_row_major(n, d, x);
        if std::env::var("MLP_FIT_ONLY").is_ok() {
            crate::parallel::set_threads(1);
            MlpParams::new()
                .early_stopping(false)
                .max_epochs(20)
                .fit(&x, &y, |_| true)
                .expect("fit");
            return;
        }
        time("forward, hidden layer", &mut || {
            layers[0].forward(&xb, m, &mut out0, Zeros::Skip)
        });
        Activation::Relu.apply(&mut out0);
        time("forward, output layer", &mut || {
            layers[1].forward(&out0, m, &mut out1, Zeros::Add)
        });
        let delta0: Vec<f64> = (0..m * h).map(|_| rng.normal()).collect();
        let delta1: Vec<f64> = (0..m).map(|_| rng.normal()).collect();
        let mut g0 = vec![0.0; d * h];
        let mut g1 = vec![0.0; h];
        time("weight sums, hidden layer", &mut || {
            weight_sums((&xb, &delta0), (m, d, h), &mut g0, Zeros::Skip)
        });
        time("weight sums, output layer", &mut || {
            weight_sums((&out0, &delta1), (m, h, 1), &mut g1, Zeros::Add)
        });
        time("batch_sums, whole", &mut || {
            batch_sums(
                &layers,
                Activation::Relu,
                (Batch::Dense(&xb), &yb),
                &mut ws,
                &mut grads,
            );
        });
        let params = MlpParams::new().early_stopping(false).max_epochs(5);
        for threads in [1, 2] {
            crate::parallel::set_threads(threads);
            let start = std::time::Instant::now();
            params.fit(&x, &y, |_| true).expect("fit");
            let per = start.elapsed().as_secs_f64() / (5 * n.div_ceil(m)) as f64;
            let what = format!("fit, 72,000 rows, {threads} thread(s)");
            println!("{what:<28} {:>8.1} µs per batch", per * 1e6);
        }
        crate::parallel::set_threads(0);
    }

    proptest::proptest! {
        #[test]
        fn probabilities_are_in_unit_interval(
            rows in proptest::collection::vec(
                (proptest::collection::vec(-1e3f64..1e3, 3), proptest::bool::ANY), 4..40)
        ) {
            let x = Matrix::from_rows(&rows.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>());
            let mut y: Vec<u8> = rows.iter().map(|(_, c)| u8::from(*c)).collect();
            y[0] = 0;
            y[1] = 1;
            let model = MlpParams::new()
                .hidden(vec![5])
                .early_stopping(false)
                .max_epochs(3)
                .fit(&x, &y, |_| true)
                .expect("finite values, both classes");
            for p in model.predict_proba(&x) {
                proptest::prop_assert!((0.0..=1.0).contains(&p), "{}", p);
            }
        }
    }
}
