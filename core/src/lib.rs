//! Mind's Eye engine. Pure Rust, no browser APIs: compiles for native and wasm32.
pub mod batch;
pub mod chat;
pub mod generation;
pub mod gguf;
pub mod gpu;
pub mod karel;
pub mod model;
pub mod models;
pub mod quant;
pub mod random;
pub mod sampling;
pub mod sgp;
pub mod share;
pub mod tokenizer;

/// The model catalog, at the crate root for discoverability: `mindseye_core::catalog`.
pub use models::catalog;
