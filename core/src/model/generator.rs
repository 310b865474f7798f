//! Generation as a state machine that owns no model: the backend asks what to feed, runs it, and hands
//! back the logits of the last position. The CPU reference (synchronous) and the GPU runtime
//! (asynchronous on the web) drive the same [`Generator`], and stopping early is simply not calling it
//! again, so cancellation needs no support from the backend.

use crate::sampling::{
    AllowedTokens, ConstraintError, Sampler, SamplingConfig, SamplingError, TokenConstraint, mask_logits,
};

/// What the generator does after each token.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Stop after this many generated tokens.
    pub max_tokens: usize,
    /// Stop when one of these is generated (end-of-sequence, end-of-turn); it is not emitted.
    pub stop_tokens: Vec<u32>,
}

/// The outcome of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A new token; unless [`Generator::stop_reason`] now says otherwise, feed [`Generator::pending`]
    /// and call [`Generator::next`] again.
    Token(u32),
    Done(StopReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A stop token came up.
    StopToken(u32),
    MaxTokens,
    /// The constraint allows nothing longer.
    ConstraintComplete,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GenerateError {
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    #[error("the logits have {found} entries but the model's vocabulary has {expected}")]
    LogitsWidth { expected: usize, found: usize },
    #[error("generation has already finished")]
    Finished,
    #[error("this generation samples from the logits; an argmax alone is not enough")]
    NeedsLogits,
    #[error("sampling needs the {needed} most likely tokens, but only {found} were ranked")]
    TooFewRanked { needed: usize, found: usize },
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
}

pub struct Generator {
    tokens: Vec<u32>,
    /// Tokens already run through the model (the KV cache's length).
    fed: usize,
    prompt_len: usize,
    n_vocab: usize,
    sampler: Sampler,
    limits: Limits,
    constraint: Option<Box<dyn TokenConstraint>>,
    done: Option<StopReason>,
}

impl Generator {
    pub fn new(
        prompt: Vec<u32>,
        n_vocab: usize,
        sampling: SamplingConfig,
        limits: Limits,
        constraint: Option<Box<dyn TokenConstraint>>,
    ) -> Result<Generator, GenerateError> {
        if prompt.is_empty() {
            return Err(GenerateError::EmptyPrompt);
        }
        Ok(Generator {
            prompt_len: prompt.len(),
            tokens: prompt,
            fed: 0,
            n_vocab,
            sampler: Sampler::new(sampling)?,
            limits,
            constraint,
            done: None,
        })
    }

    /// Tokens the model has not seen yet: the whole prompt first, then the last generated token.
    pub fn pending(&self) -> &[u32] {
        &self.tokens[self.fed..]
    }

    /// Before the first step: skips the prompt's first tokens that `cached` (what the model's KV
    /// cache holds from an earlier request) begins with, so they are not run again. Returns how many:
    /// the length to cut the cache to. The prompt's last token always runs, since its logits choose
    /// the first new token.
    pub fn reuse_cache(&mut self, cached: &[u32]) -> usize {
        if self.fed == 0 {
            let prefix = &self.tokens[..self.prompt_len - 1];
            self.fed = cached.iter().zip(prefix).take_while(|(a, b)| a == b).count();
        }
        self.fed
    }

    /// The tokens the model has run, in order: what its KV cache holds now.
    pub fn fed(&self) -> &[u32] {
        &self.tokens[..self.fed]
    }

    /// Takes the logits the model produced for the last pending token and chooses the next token.
    pub fn next(&mut self, logits: &[f32]) -> Result<Step, GenerateError> {
        if self.done.is_some() {
            return Err(GenerateError::Finished);
        }
        if logits.len() != self.n_vocab {
            return Err(GenerateError::LogitsWidth { expected: self.n_vocab, found: logits.len() });
        }
        self.fed = self.tokens.len();
        if self.generated().len() >= self.limits.max_tokens {
            return Ok(self.finish(StopReason::MaxTokens));
        }
        let token = match &self.constraint {
            None => self.sampler.sample(logits, &self.tokens)?,
            Some(constraint) => {
                let budget = self.limits.max_tokens - self.generated().len();
                let allowed = constraint.allowed(self.generated(), budget)?;
                if allowed == AllowedTokens::Done {
                    return Ok(self.finish(StopReason::ConstraintComplete));
                }
                let mut masked = logits.to_vec();
                let mut ids = allowed.tokens().to_vec();
                if matches!(allowed, AllowedTokens::Either(_)) {
                    ids.extend(&self.limits.stop_tokens);
                }
                mask_logits(&mut masked, &ids);
                self.sampler.sample(&masked, &self.tokens)?
            }
        };
        Ok(self.accept(token))
    }

    /// Whether [`Generator::next`] needs the logits. When it does not (greedy, unconstrained), a GPU
    /// backend can pick the argmax itself and call [`Generator::next_argmax`], reading back 4 bytes.
    pub fn needs_logits(&self) -> bool {
        self.constraint.is_some() || !self.sampler.is_greedy()
    }

    /// [`Generator::next`] when the backend already chose the most likely token.
    pub fn next_argmax(&mut self, token: u32) -> Result<Step, GenerateError> {
        if self.done.is_some() {
            return Err(GenerateError::Finished);
        }
        if self.needs_logits() {
            return Err(GenerateError::NeedsLogits);
        }
        self.choose(|_| Ok(token))
    }

    /// `Some(k)` when the k most likely tokens are all [`Generator::next`] needs (sampling with
    /// top-k, unconstrained): a GPU backend can then rank them itself and call
    /// [`Generator::next_ranked`], reading back k pairs instead of the whole vocabulary.
    pub fn top_k_suffices(&self) -> Option<usize> {
        self.constraint.is_none().then(|| self.sampler.top_k_suffices()).flatten()
    }

    /// [`Generator::next`] given at least the [`Generator::top_k_suffices`] most likely tokens as
    /// `(id, logit)`, most likely first and the lower id first among equal logits: the same token.
    pub fn next_ranked(&mut self, ranked: &[(u32, f32)]) -> Result<Step, GenerateError> {
        if self.done.is_some() {
            return Err(GenerateError::Finished);
        }
        let Some(k) = self.top_k_suffices() else { return Err(GenerateError::NeedsLogits) };
        let needed = k.min(self.n_vocab);
        if ranked.len() < needed {
            return Err(GenerateError::TooFewRanked { needed, found: ranked.len() });
        }
        self.choose(|sampler| sampler.sample_ranked(ranked))
    }

    /// Counts the pending tokens as fed, then takes the token `pick` chooses unless the limit was
    /// reached.
    fn choose(&mut self, pick: impl FnOnce(&mut Sampler) -> Result<u32, SamplingError>) -> Result<Step, GenerateError> {
        self.fed = self.tokens.len();
        if self.generated().len() >= self.limits.max_tokens {
            return Ok(self.finish(StopReason::MaxTokens));
        }
        let token = pick(&mut self.sampler)?;
        Ok(self.accept(token))
    }

    fn accept(&mut self, token: u32) -> Step {
        if self.limits.stop_tokens.contains(&token) {
            return self.finish(StopReason::StopToken(token));
        }
        self.tokens.push(token);
        // Finished now, so that no forward pass is spent on a token nothing will follow.
        if self.generated().len() >= self.limits.max_tokens {
            self.done = Some(StopReason::MaxTokens);
        }
        Step::Token(token)
    }

    /// Tokens generated so far (the prompt excluded).
    pub fn generated(&self) -> &[u32] {
        &self.tokens[self.prompt_len..]
    }

    pub fn stop_reason(&self) -> Option<StopReason> {
        self.done
    }

    fn finish(&mut self, reason: StopReason) -> Step {
        self.done = Some(reason);
        Step::Done(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Constraint;

    fn limits(max_tokens: usize) -> Limits {
        Limits { max_tokens, stop_tokens: vec![0] }
    }

    /// Logits over a vocabulary of 5 that make `best` the argmax.
    fn favouring(best: usize) -> Vec<f32> {
        (0..5).map(|i| if i == best { 1.0 } else { 0.0 }).collect()
    }

    fn greedy(prompt: Vec<u32>, limits: Limits) -> Generator {
        Generator::new(prompt, 5, SamplingConfig::greedy(), limits, None).unwrap()
    }

    #[test]
    fn the_whole_prompt_is_pending_first_then_only_the_newest_token() {
        let mut g = greedy(vec![3, 4], limits(8));
        assert_eq!(g.pending(), &[3, 4]);
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(2)));
        assert_eq!(g.pending(), &[2]);
        assert_eq!(g.generated(), &[2]);
    }

    #[test]
    fn a_stop_token_ends_generation_without_being_emitted() {
        let mut g = greedy(vec![3], limits(8));
        assert_eq!(g.next(&favouring(0)), Ok(Step::Done(StopReason::StopToken(0))));
        assert!(g.generated().is_empty());
        assert_eq!(g.next(&favouring(1)), Err(GenerateError::Finished));
    }

    #[test]
    fn reaching_max_tokens_finishes_with_the_last_token_so_no_forward_pass_is_wasted() {
        let mut g = greedy(vec![3], limits(2));
        assert_eq!(g.next(&favouring(1)), Ok(Step::Token(1)));
        assert_eq!(g.stop_reason(), None);
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(2)));
        assert_eq!(g.stop_reason(), Some(StopReason::MaxTokens));
    }

    #[test]
    fn a_constraint_forces_an_allowed_sequence_and_stops_at_its_end() {
        let constraint = Box::new(Constraint::new(&[vec![4, 3]]).unwrap());
        let mut g = Generator::new(vec![1], 5, SamplingConfig::greedy(), limits(8), Some(constraint)).unwrap();
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(4)));
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(3)));
        assert_eq!(g.next(&favouring(2)), Ok(Step::Done(StopReason::ConstraintComplete)));
    }

    #[test]
    fn a_cached_prefix_of_the_prompt_is_not_run_again() {
        let mut g = greedy(vec![3, 4, 2, 1], limits(8));
        assert_eq!(g.reuse_cache(&[3, 4, 1, 1, 1]), 2);
        assert_eq!(g.pending(), &[2, 1]);
        assert_eq!(g.fed(), &[3, 4]);
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(2)));
        assert_eq!(g.fed(), &[3, 4, 2, 1]);
    }

    #[test]
    fn the_last_prompt_token_runs_even_when_the_whole_prompt_is_cached() {
        let mut g = greedy(vec![3, 4], limits(8));
        assert_eq!(g.reuse_cache(&[3, 4, 2]), 1);
        assert_eq!(g.pending(), &[4]);
    }

    #[test]
    fn a_cache_is_only_reused_before_the_first_step() {
        let mut g = greedy(vec![3, 4], limits(8));
        assert_eq!(g.next(&favouring(2)), Ok(Step::Token(2)));
        assert_eq!(g.reuse_cache(&[3]), 2);
        assert_eq!(g.pending(), &[2]);
    }

    #[test]
    fn logits_of_the_wrong_width_are_refused() {
        let mut g = greedy(vec![1], limits(8));
        assert_eq!(g.next(&[0.0; 4]), Err(GenerateError::LogitsWidth { expected: 5, found: 4 }));
    }

    fn top_k(k: usize, seed: u64) -> Generator {
        let config = SamplingConfig { temperature: 1.0, top_k: Some(k), seed, ..SamplingConfig::greedy() };
        Generator::new(vec![1], 5, config, Limits { max_tokens: 50, stop_tokens: vec![] }, None).unwrap()
    }

    #[test]
    fn sampling_from_the_ranked_top_k_follows_sampling_from_the_logits() {
        let logits = [0.5, 1.5, 1.0, 0.25, 1.5];
        let ranked = [(1, 1.5), (4, 1.5), (2, 1.0)];
        let (mut from_logits, mut from_ranked) = (top_k(3, 11), top_k(3, 11));
        assert_eq!(from_ranked.top_k_suffices(), Some(3));
        for _ in 0..50 {
            assert_eq!(from_logits.next(&logits), from_ranked.next_ranked(&ranked));
        }
        assert_eq!(from_logits.generated(), from_ranked.generated());
    }

    #[test]
    fn a_ranking_shorter_than_top_k_is_refused() {
        let mut g = top_k(3, 0);
        assert_eq!(g.next_ranked(&[(1, 1.5), (4, 1.5)]), Err(GenerateError::TooFewRanked { needed: 3, found: 2 }));
        assert!(g.generated().is_empty());
    }

    #[test]
    fn a_ranking_is_refused_where_sampling_needs_every_logit() {
        let sampled = SamplingConfig { temperature: 1.0, ..SamplingConfig::greedy() };
        let mut g = Generator::new(vec![1], 5, sampled, limits(8), None).unwrap();
        assert_eq!(g.top_k_suffices(), None);
        assert_eq!(g.next_ranked(&[(1, 1.0)]), Err(GenerateError::NeedsLogits));
        assert_eq!(greedy(vec![1], limits(8)).top_k_suffices(), None);
    }

    #[test]
    fn an_empty_prompt_is_refused() {
        assert!(matches!(
            Generator::new(vec![], 5, SamplingConfig::greedy(), limits(8), None),
            Err(GenerateError::EmptyPrompt)
        ));
    }
}
