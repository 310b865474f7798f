//! Choosing tokens from a model's logits, and scoring answers with them.
//!
//! [`Sampler`] turns one row of logits into a token: greedy, or repetition penalty, top-k, temperature
//! softmax and top-p, drawn with a seeded PRNG whose integer stream is the same on native and wasm.
//! [`Constraint`] restricts generation to a fixed set of token sequences (multiple-choice letters, a
//! grammar's keywords) by masking logits. [`score_options`] ranks multiple-choice answers by
//! log-likelihood, the way lm-evaluation-harness does.

mod choice;
mod config;
mod constraint;
mod penalty;
mod sampler;

pub use choice::{OptionScores, ScoringError, check_request, option_log_likelihood, score_options};
pub use config::SamplingConfig;
pub use constraint::{AllowedTokens, Constraint, ConstraintError, mask_logits};
pub use sampler::{Sampler, SamplingError};
