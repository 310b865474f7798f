//! Multiple-choice scoring on the GPU: the shared prompt runs once, then each option's tokens after
//! it, the KV cache cut back to the prompt between options. The arithmetic is
//! [`crate::sampling::score_options`]'s, so the CPU reference and the GPU give the same scores.

use super::{GpuError, GpuModel, Output, Want};
use crate::sampling::{OptionScores, ScoringError, check_request, option_log_likelihood};

/// Why options could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Scoring(#[from] ScoringError),
}

impl GpuModel {
    /// Scores each option as the continuation of `prompt` (see [`crate::sampling::score_options`]).
    /// Runs `prompt.len() + Σ (option.len() - 1)` positions; the cache holds the prompt afterwards.
    pub async fn score_options(&mut self, prompt: &[u32], options: &[Vec<u32>]) -> Result<OptionScores, ScoreError> {
        check_request(prompt, options)?;
        let longest = options.iter().map(Vec::len).max().unwrap_or(0);
        if prompt.len() + longest > self.capacity() {
            return Err(GpuError::Shape(format!(
                "the prompt and an option take {} tokens, more than the {}-token context",
                prompt.len() + longest,
                self.capacity()
            ))
            .into());
        }
        self.truncate(0);
        let after_prompt = self.logits(prompt).await?;
        let mut scored = Vec::with_capacity(options.len());
        for (option, tokens) in options.iter().enumerate() {
            self.truncate(prompt.len());
            // The last option token predicts nothing that is scored, so it never runs.
            let mut later = Vec::with_capacity(tokens.len() - 1);
            for &token in &tokens[..tokens.len() - 1] {
                later.push(self.logits(&[token]).await?);
            }
            let rows: Vec<&[f32]> =
                std::iter::once(after_prompt.as_slice()).chain(later.iter().map(Vec::as_slice)).collect();
            scored.push((option_log_likelihood(option, tokens, &rows)?, tokens.len()));
        }
        self.truncate(prompt.len());
        Ok(OptionScores::from_log_likelihoods(&scored)?)
    }

    async fn logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>, GpuError> {
        match self.forward(tokens, Want::Logits).await? {
            Output::Logits(row) => Ok(row),
            Output::Token(_) => Err(GpuError::Readback("the GPU returned a token where logits were asked for".into())),
        }
    }
}
