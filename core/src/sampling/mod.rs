//! Choosing tokens from a model's logits, and scoring answers with them.
//!
//! [`Sampler`] turns one row of logits into a token: greedy, or repetition penalty, top-k, temperature
//! softmax and top-p, drawn with a seeded PRNG whose integer stream is the same on native and wasm.
//! A [`TokenConstraint`] masks the logits each step: [`Constraint`] to a fixed set of token sequences
//! (multiple-choice letters), [`GrammarConstraint`] to a language over bytes with any tokenizer. [`score_options`] ranks multiple-choice answers by
//! log-likelihood, the way lm-evaluation-harness does.

mod choice;
mod config;
mod constraint;
mod grammar;
mod penalty;
mod sampler;

pub use choice::{OptionScores, ScoringError, check_request, option_log_likelihood, score_options};
pub use config::SamplingConfig;
pub use constraint::{AllowedTokens, Constraint, ConstraintError, TokenConstraint, mask_logits};
pub use grammar::{ByteGrammar, GrammarConstraint, TokenTexts};
pub use sampler::{Sampler, SamplingError};
