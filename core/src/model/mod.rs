//! Transformer language models from GGUF files: their configuration ([`Config`]), which tensors they
//! hold ([`Weights`]), a CPU reference forward pass ([`CpuModel`]) and generation ([`Generator`]).
//!
//! The CPU pass is the oracle for the GPU runtime: it is checked against llama.cpp's logits on the
//! fixture models in `tests/golden/models` (see `tests/model_parity.rs`).

mod config;
mod cpu;
mod generator;
pub mod ops;
mod weights;

pub use config::{Arch, Config, ConfigError, MAX_CONTEXT, MIN_CONTEXT, Rope, RopeLayout};
pub use cpu::{CpuModel, KvCache};
pub use generator::{GenerateError, Generator, Limits, Step, StopReason};
pub use ops::Rounding;
pub use weights::{Layer, Weights};

/// Why a model could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("tensor {name}: {reason}")]
    Tensor { name: String, reason: String },
    #[error("reading the model failed: {0}")]
    Io(String),
}

/// Why a forward pass was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForwardError {
    #[error("token {token} is outside the vocabulary of {n_vocab} tokens")]
    TokenOutOfRange { token: u32, n_vocab: usize },
    #[error("the context is full ({n_ctx} tokens)")]
    ContextFull { n_ctx: usize },
    #[error("layer {layer} lacks Gemma 2's post-attention or post-feed-forward norm")]
    MissingPostNorms { layer: usize },
}

#[cfg(test)]
mod tests;
