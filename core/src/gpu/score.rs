//! Multiple-choice scoring on the GPU: the shared prompt runs once, then the tokens all options begin
//! with ("Answer:"), then each option's own tokens after them, the KV cache cut back to the shared
//! part between options. The arithmetic is [`crate::sampling::score_options`]'s, so the CPU
//! reference and the GPU give the same scores.

use super::{GpuError, GpuModel};
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
    /// Each position runs once: the prompt, the options' common first tokens, then every option's
    /// remaining tokens but its last (nothing after it is scored). The cache holds the prompt afterwards.
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
        // `shared[k]` predicts token `k` of every option: all options begin with the same `k` tokens.
        let mut shared = vec![self.logits(prompt).await?];
        // Row `common` is only needed if some option is longer than the common part.
        let needed = common_prefix(options).min(longest - 1);
        for &token in &options[0][..needed] {
            shared.push(self.logits(&[token]).await?);
        }
        let mut scored = Vec::with_capacity(options.len());
        for (option, tokens) in options.iter().enumerate() {
            self.truncate(prompt.len() + needed);
            // The last option token predicts nothing that is scored, so it never runs.
            let mut own = Vec::new();
            for &token in tokens.get(needed..tokens.len() - 1).unwrap_or_default() {
                own.push(self.logits(&[token]).await?);
            }
            let rows: Vec<&[f32]> = shared.iter().chain(&own).map(Vec::as_slice).take(tokens.len()).collect();
            scored.push((option_log_likelihood(option, tokens, &rows)?, tokens.len()));
        }
        self.truncate(prompt.len());
        Ok(OptionScores::from_log_likelihoods(&scored)?)
    }
}

/// How many first tokens all options share.
fn common_prefix(options: &[Vec<u32>]) -> usize {
    let Some((first, rest)) = options.split_first() else { return 0 };
    (0..first.len()).take_while(|&k| rest.iter().all(|o| o.get(k) == first.get(k))).count()
}
