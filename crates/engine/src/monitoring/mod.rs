//! Keeping an eye on a saved model: what the training data looked like, in aggregates only
//! ([`reference`]), and how far a new export has moved from it ([`drift`]).

pub mod drift;
pub mod model_file;
pub mod reference;
pub mod scoring;
