//! Keeping an eye on a saved model: what the training data looked like, in aggregates only
//! ([`reference`](mod@reference)), the model file that carries it ([`model_file`]), a new
//! export's columns matched to the model's ([`scoring`]), and how far the export has moved
//! from the reference ([`drift`], with the distribution functions its tests need in
//! [`stats`]), and the same settings trained again on a new labelled export beside the
//! saved model ([`retrain`](mod@retrain)).

pub mod drift;
pub mod model_file;
pub mod reference;
pub mod report;
pub mod retrain;
pub mod scoring;
pub mod stats;
