//! Keeping an eye on a saved model: what the training data looked like, in aggregates only
//! ([`reference`](mod@reference)), and how far a new export has moved from it ([`drift`],
//! with the distribution functions its tests need in [`stats`]).

pub mod drift;
pub mod reference;
pub mod stats;
