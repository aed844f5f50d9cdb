//! Drift between a reference profile and a new export (see the module above).
