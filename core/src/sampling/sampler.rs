//! One token from one row of logits.

use super::SamplingConfig;
use super::penalty::penalize_repeats;
use crate::random::SplitMix64;

/// Why no token could be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SamplingError {
    #[error("temperature must be finite and >= 0, got {0}")]
    InvalidTemperature(f32),
    #[error("top_k must be at least 1")]
    ZeroTopK,
    #[error("top_p must be in (0, 1], got {0}")]
    InvalidTopP(f32),
    #[error("repetition penalty must be finite and > 0, got {0}")]
    InvalidRepetitionPenalty(f32),
    #[error("no logits to sample from")]
    EmptyLogits,
    /// Any NaN or +inf is refused, not skipped: it means the forward pass went wrong, and silently
    /// sampling around it would hide that.
    #[error("logit of token {id} is {value}")]
    NonFiniteLogit { id: usize, value: f32 },
    #[error("every logit is -inf: no token is allowed")]
    NoAllowedToken,
}

/// Samples tokens with a fixed [`SamplingConfig`] and its own PRNG, seeded from the config.
///
/// The PRNG is integer-only (SplitMix64), so a seed gives the same random stream on native and wasm;
/// the probabilities come from `f64::exp`, so a draw could only differ across targets if it landed
/// within rounding error of a boundary between two tokens.
#[derive(Clone, Debug)]
pub struct Sampler {
    config: SamplingConfig,
    rng: SplitMix64,
}

impl Sampler {
    pub fn new(config: SamplingConfig) -> Result<Self, SamplingError> {
        config.validate()?;
        Ok(Sampler { rng: SplitMix64::new(config.seed), config })
    }

    /// Whether every draw is the argmax (temperature 0, no repetition penalty).
    pub fn is_greedy(&self) -> bool {
        self.config.temperature == 0.0 && self.config.repetition_penalty.is_none()
    }

    /// `Some(k)` when the k most likely tokens are all a draw depends on (sampling with top-k and no
    /// repetition penalty): [`Sampler::sample_ranked`] on them then draws what
    /// [`Sampler::sample`] would on all the logits.
    pub fn top_k_suffices(&self) -> Option<usize> {
        match self.config {
            SamplingConfig { temperature, top_k: Some(k), repetition_penalty: None, .. } if temperature > 0.0 => {
                Some(k)
            }
            _ => None,
        }
    }

    /// The next token id given the logits over the vocabulary and the tokens so far (for the repetition
    /// penalty). Greedy picks the lowest id among equal maxima. Tokens whose logit is `-inf` (masked) are
    /// never chosen. Ids are `u32`, so logits past index `u32::MAX` are ignored.
    pub fn sample(&mut self, logits: &[f32], history: &[u32]) -> Result<u32, SamplingError> {
        if logits.is_empty() {
            return Err(SamplingError::EmptyLogits);
        }
        if let Some((id, &value)) = logits.iter().enumerate().find(|(_, l)| l.is_nan() || **l == f32::INFINITY) {
            return Err(SamplingError::NonFiniteLogit { id, value });
        }
        // f64 so that penalties and temperatures cannot overflow a finite f32 logit to infinity.
        let mut logits: Vec<f64> = logits.iter().map(|&l| f64::from(l)).collect();
        if let Some((penalty, window)) = self.config.repetition_penalty {
            penalize_repeats(&mut logits, history, f64::from(penalty), window);
        }
        let mut candidates: Vec<(u32, f64)> =
            (0..=u32::MAX).zip(logits).filter(|&(_, logit)| logit > f64::NEG_INFINITY).collect();
        // Only the candidates a draw can reach are put in order: the first k of a vocabulary.
        let reachable = match (self.config.temperature, self.config.top_k) {
            (0.0, _) => 1,
            (_, Some(k)) => k,
            _ => candidates.len(),
        };
        if reachable < candidates.len() {
            candidates.select_nth_unstable_by(reachable, ranking);
            candidates.truncate(reachable);
        }
        candidates.sort_by(ranking);
        self.choose(&candidates)
    }

    /// A draw from the most likely tokens, most likely first and the lower id first among equal
    /// logits (as `gpu::TopK` ranks them): the same draw as [`Sampler::sample`] on all the logits
    /// when these are at least the [`Sampler::top_k_suffices`] first.
    pub fn sample_ranked(&mut self, ranked: &[(u32, f32)]) -> Result<u32, SamplingError> {
        if ranked.is_empty() {
            return Err(SamplingError::EmptyLogits);
        }
        if let Some(&(id, value)) = ranked.iter().find(|(_, l)| l.is_nan() || *l == f32::INFINITY) {
            return Err(SamplingError::NonFiniteLogit { id: id as usize, value });
        }
        let candidates: Vec<(u32, f64)> = ranked
            .iter()
            .map(|&(id, logit)| (id, f64::from(logit)))
            .filter(|&(_, logit)| logit > f64::NEG_INFINITY)
            .collect();
        self.choose(&candidates)
    }

    /// A draw from `candidates` in [`ranking`] order, as the configuration says.
    fn choose(&mut self, candidates: &[(u32, f64)]) -> Result<u32, SamplingError> {
        let Some(&(best, _)) = candidates.first() else {
            return Err(SamplingError::NoAllowedToken);
        };
        if self.config.temperature == 0.0 {
            return Ok(best);
        }
        let candidates = match self.config.top_k {
            Some(k) => &candidates[..k.min(candidates.len())],
            None => candidates,
        };
        let probabilities = softmax(candidates.iter().map(|&(_, logit)| logit), f64::from(self.config.temperature));
        let kept = match self.config.top_p {
            Some(p) => nucleus_len(&probabilities, f64::from(p)),
            None => probabilities.len(),
        };
        let kept_probabilities = probabilities.get(..kept).unwrap_or(&probabilities);
        let index = self.draw(kept_probabilities);
        Ok(candidates.get(index).map_or(best, |&(id, _)| id))
    }

    /// An index drawn with the given (not necessarily normalised) weights.
    fn draw(&mut self, weights: &[f64]) -> usize {
        // 53 random bits: a uniform f64 in [0, 1), exact on every target.
        let unit = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let target = unit * weights.iter().sum::<f64>();
        let mut cumulative = 0.0;
        for (index, weight) in weights.iter().enumerate() {
            cumulative += weight;
            if target < cumulative {
                return index;
            }
        }
        // Rounding can leave `target` at the very top of the range: it belongs to the last token.
        weights.len().saturating_sub(1)
    }
}

/// Descending logit, ties by ascending id: the first candidate is the greedy choice. A total order,
/// so the first k after a partial selection are those of a full sort.
fn ranking(a: &(u32, f64), b: &(u32, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Softmax of `logits / temperature`, stable because the maximum is subtracted first. Expects the
/// logits sorted descending, so the maximum is the first.
fn softmax(logits: impl Iterator<Item = f64> + Clone, temperature: f64) -> Vec<f64> {
    let max = logits.clone().next().unwrap_or(0.0);
    let weights: Vec<f64> = logits.map(|logit| ((logit - max) / temperature).exp()).collect();
    // The maximum contributes exp(0) = 1, so the sum is at least 1.
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// How many of the (descending) probabilities form the smallest prefix whose mass reaches `p`; at least one.
fn nucleus_len(probabilities: &[f64], p: f64) -> usize {
    let mut mass = 0.0;
    for (index, probability) in probabilities.iter().enumerate() {
        mass += probability;
        if mass >= p {
            return index + 1;
        }
    }
    probabilities.len().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(change: impl FnOnce(&mut SamplingConfig)) -> Sampler {
        let mut config = SamplingConfig { temperature: 1.0, ..SamplingConfig::greedy() };
        change(&mut config);
        Sampler::new(config).expect("valid config")
    }

    fn draws(sampler: &mut Sampler, logits: &[f32], n: usize) -> Vec<u32> {
        (0..n).map(|_| sampler.sample(logits, &[]).expect("sampled")).collect()
    }

    #[test]
    fn greedy_picks_the_argmax() {
        let mut greedy = Sampler::new(SamplingConfig::greedy()).unwrap();
        assert_eq!(greedy.sample(&[0.1, 3.0, -2.0, 2.9], &[]), Ok(1));
    }

    #[test]
    fn greedy_breaks_ties_by_the_lowest_id() {
        let mut greedy = Sampler::new(SamplingConfig::greedy()).unwrap();
        assert_eq!(greedy.sample(&[1.0, 5.0, 5.0, 5.0], &[]), Ok(1));
    }

    #[test]
    fn temperature_zero_ignores_the_seed_and_is_greedy() {
        let logits = [0.5, 0.4, 0.6, 0.1];
        for seed in 0..20 {
            let mut s = sampler(|c| {
                c.temperature = 0.0;
                c.seed = seed;
                c.top_p = Some(0.9);
            });
            assert_eq!(s.sample(&logits, &[]), Ok(2));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let logits = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5];
        let a = draws(&mut sampler(|c| c.seed = 42), &logits, 100);
        let b = draws(&mut sampler(|c| c.seed = 42), &logits, 100);
        assert_eq!(a, b);
    }

    #[test]
    fn different_seeds_give_different_sequences() {
        let logits = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5];
        let a = draws(&mut sampler(|c| c.seed = 1), &logits, 100);
        let b = draws(&mut sampler(|c| c.seed = 2), &logits, 100);
        assert_ne!(a, b);
    }

    #[test]
    fn uniform_logits_draw_straight_from_the_seeded_splitmix64_stream() {
        // Pins the draw to the PRNG stream, so a change that would alter every shared seed's tokens is noticed.
        let got = draws(&mut sampler(|c| c.seed = 7), &[0.0, 0.0, 0.0, 0.0], 8);
        let mut rng = SplitMix64::new(7);
        let expected: Vec<u32> =
            (0..8).map(|_| ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 4.0) as u32).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn top_k_one_is_greedy() {
        let logits = [0.5, 0.4, 0.6, 0.1];
        let mut s = sampler(|c| c.top_k = Some(1));
        assert!(draws(&mut s, &logits, 200).iter().all(|&id| id == 2));
    }

    #[test]
    fn top_k_keeps_only_the_k_most_likely() {
        let logits = [0.5, 0.4, 0.6, 0.1];
        let seen = draws(&mut sampler(|c| c.top_k = Some(2)), &logits, 500);
        assert!(seen.iter().all(|&id| id == 0 || id == 2));
        assert!(seen.contains(&0) && seen.contains(&2));
    }

    #[test]
    fn top_p_keeps_the_minimal_nucleus() {
        assert_eq!(nucleus_len(&[0.5, 0.3, 0.2], 0.5), 1);
        assert_eq!(nucleus_len(&[0.5, 0.3, 0.2], 0.7), 2);
        assert_eq!(nucleus_len(&[0.5, 0.3, 0.2], 0.81), 3);
        assert_eq!(nucleus_len(&[0.5, 0.3, 0.2], 1.0), 3);
    }

    #[test]
    fn top_p_sampling_never_leaves_the_nucleus() {
        let logits = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let seen = draws(&mut sampler(|c| c.top_p = Some(0.7)), &logits, 1000);
        assert!(!seen.contains(&2));
        assert!(seen.contains(&0) && seen.contains(&1));
    }

    #[test]
    fn top_p_below_the_largest_probability_keeps_one_token() {
        let logits = [0.3f32.ln(), 0.5f32.ln(), 0.2f32.ln()];
        assert!(draws(&mut sampler(|c| c.top_p = Some(0.01)), &logits, 200).iter().all(|&id| id == 1));
    }

    #[test]
    fn repetition_penalty_lowers_a_repeated_positive_logit() {
        let mut s = sampler(|c| {
            c.temperature = 0.0;
            c.repetition_penalty = Some((2.0, 4));
        });
        // 3.0 / 2 = 1.5 < 2.0
        assert_eq!(s.sample(&[3.0, 2.0], &[0]), Ok(1));
    }

    #[test]
    fn repetition_penalty_lowers_a_repeated_negative_logit() {
        let mut s = sampler(|c| {
            c.temperature = 0.0;
            c.repetition_penalty = Some((2.0, 4));
        });
        // -1.0 * 2 = -2.0 < -1.5
        assert_eq!(s.sample(&[-1.0, -1.5], &[0]), Ok(1));
    }

    #[test]
    fn masked_tokens_are_never_sampled() {
        let logits = [f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY, 0.0];
        assert!(draws(&mut sampler(|c| c.seed = 3), &logits, 500).iter().all(|&id| id == 1 || id == 3));
    }

    /// Logits with many ties, from a seeded stream.
    fn tied_logits(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n).map(|_| (rng.next_u64() % 16) as f32 * 0.25).collect()
    }

    /// The `k` most likely of `logits`, most likely first and the lower id first among equals,
    /// by a full sort.
    fn top_k_sorted(logits: &[f32], k: usize) -> Vec<(u32, f32)> {
        let mut all: Vec<(u32, f32)> = (0..).zip(logits.iter().copied()).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn sampling_the_top_k_draws_what_sampling_all_the_logits_does() {
        for (k, top_p, seed) in [(1, None, 1), (5, None, 2), (40, Some(0.9), 3), (64, Some(0.5), 4), (3, Some(1.0), 5)]
        {
            let logits = tied_logits(1000, seed);
            let config = |c: &mut SamplingConfig| {
                c.temperature = 0.8;
                c.top_k = Some(k);
                c.top_p = top_p;
                c.seed = seed;
            };
            let (mut all, mut ranked) = (sampler(config), sampler(config));
            assert_eq!(all.top_k_suffices(), Some(k));
            let top = top_k_sorted(&logits, k);
            for _ in 0..50 {
                assert_eq!(all.sample(&logits, &[]), ranked.sample_ranked(&top), "top-{k}");
            }
        }
    }

    #[test]
    fn sampling_from_more_ranked_tokens_than_top_k_keeps_only_k() {
        let logits = tied_logits(300, 9);
        let config = |c: &mut SamplingConfig| c.top_k = Some(3);
        let (mut all, mut ranked) = (sampler(config), sampler(config));
        let top = top_k_sorted(&logits, 64);
        for _ in 0..50 {
            assert_eq!(all.sample(&logits, &[]), ranked.sample_ranked(&top));
        }
    }

    #[test]
    fn the_top_k_suffices_only_when_sampling_with_top_k_and_no_repetition_penalty() {
        assert_eq!(sampler(|c| c.top_k = Some(8)).top_k_suffices(), Some(8));
        assert_eq!(sampler(|_| {}).top_k_suffices(), None);
        assert_eq!(
            Sampler::new(SamplingConfig { top_k: Some(8), ..SamplingConfig::greedy() }).unwrap().top_k_suffices(),
            None
        );
        let penalised = sampler(|c| {
            c.top_k = Some(8);
            c.repetition_penalty = Some((1.1, 16));
        });
        assert_eq!(penalised.top_k_suffices(), None);
    }

    #[test]
    fn a_ranked_nan_is_an_error() {
        let ranked = [(4, 1.0), (2, f32::NAN)];
        assert_eq!(
            sampler(|c| c.top_k = Some(2)).sample_ranked(&ranked).map_err(|e| e.to_string()),
            Err("logit of token 2 is NaN".to_string())
        );
    }

    #[test]
    fn empty_logits_are_an_error() {
        assert_eq!(sampler(|_| {}).sample(&[], &[]), Err(SamplingError::EmptyLogits));
    }

    #[test]
    fn any_nan_logit_is_an_error() {
        let err = sampler(|_| {}).sample(&[0.0, f32::NAN, 1.0], &[]).unwrap_err();
        assert!(matches!(err, SamplingError::NonFiniteLogit { id: 1, .. }));
    }

    #[test]
    fn a_positive_infinite_logit_is_an_error() {
        let err = sampler(|_| {}).sample(&[0.0, f32::INFINITY], &[]).unwrap_err();
        assert!(matches!(err, SamplingError::NonFiniteLogit { id: 1, .. }));
    }

    #[test]
    fn all_masked_logits_are_an_error() {
        let logits = [f32::NEG_INFINITY; 3];
        assert_eq!(sampler(|_| {}).sample(&logits, &[]), Err(SamplingError::NoAllowedToken));
        let mut greedy = Sampler::new(SamplingConfig::greedy()).unwrap();
        assert_eq!(greedy.sample(&logits, &[]), Err(SamplingError::NoAllowedToken));
    }

    #[test]
    fn extreme_logits_and_temperatures_still_sample() {
        let logits = [f32::MAX, -f32::MAX, 0.0];
        for temperature in [1e-30, 1.0, f32::MAX] {
            let mut s = sampler(|c| {
                c.temperature = temperature;
                c.repetition_penalty = Some((1e-30, 4));
            });
            assert!(s.sample(&logits, &[0, 1, 2]).is_ok());
        }
    }

    #[test]
    fn temperature_one_matches_softmax_frequencies() {
        let logits = [1.0f32, 2.0, 0.5, -1.0];
        let total: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
        let expected: Vec<f64> = logits.iter().map(|&l| f64::from(l).exp() / total).collect();
        let n = 20_000;
        let mut counts = [0usize; 4];
        for id in draws(&mut sampler(|c| c.seed = 2024), &logits, n) {
            counts[id as usize] += 1;
        }
        let chi_square: f64 = counts
            .iter()
            .zip(&expected)
            .map(|(&count, p)| {
                let e = p * n as f64;
                (count as f64 - e).powi(2) / e
            })
            .sum();
        // 3 degrees of freedom: 16.27 is the 0.1% critical value.
        assert!(chi_square < 16.27, "chi-square {chi_square}, counts {counts:?}");
    }

    #[test]
    fn higher_temperature_flattens_the_distribution() {
        let logits = [2.0, 0.0];
        let count_best = |temperature: f32| {
            draws(&mut sampler(|c| c.temperature = temperature), &logits, 4000).iter().filter(|&&id| id == 0).count()
        };
        assert!(count_best(0.5) > count_best(1.0));
        assert!(count_best(1.0) > count_best(4.0));
    }
}
