//! Keeping an eye on a saved model: what the training data looked like, in aggregates only
//! ([`reference`](mod@reference)), the model file that carries it ([`model_file`]), a new
//! export's columns matched to the model's ([`scoring`]), and how far the export has moved
//! from the reference ([`drift`], with the distribution functions its tests need in
//! [`stats`]).

pub mod drift;
pub mod model_file;
pub mod reference;
pub mod report;
pub mod scoring;
pub mod stats;
