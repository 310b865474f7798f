//! Multiple-choice scoring by log-likelihood, as lm-evaluation-harness does it: each option is scored by
//! the log-probability the model gives its tokens after the prompt, not by what the model would generate.

/// Scores of the options, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionScores {
    /// Sum of ln P(token | prompt, earlier option tokens) over each option's tokens (lm-eval's `acc`).
    pub log_likelihoods: Vec<f64>,
    /// `log_likelihoods` divided by each option's token count, so long options are not penalised for length.
    pub per_token: Vec<f64>,
    /// Softmax over `log_likelihoods`: the options' relative probabilities, summing to 1.
    pub probabilities: Vec<f64>,
}

impl OptionScores {
    /// The option with the highest log-likelihood; the first among equals.
    pub fn best(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (index, &ll) in self.log_likelihoods.iter().enumerate() {
            if best.is_none_or(|(_, top)| ll > top) {
                best = Some((index, ll));
            }
        }
        best.map(|(index, _)| index)
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScoringError {
    #[error("no options to score")]
    NoOptions,
    /// The first option token needs a position to be predicted from.
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("option {option} has no tokens")]
    EmptyOption { option: usize },
    #[error("option {option}: no logits for position {position}")]
    MissingLogits { option: usize, position: usize },
    #[error("option {option}: token {token} is outside the vocabulary of the logits")]
    TokenOutsideVocabulary { option: usize, token: u32 },
    #[error("option {option}: a logit at position {position} is NaN or +inf")]
    NonFiniteLogit { option: usize, position: usize },
    #[error("every option has probability zero")]
    AllOptionsImpossible,
}

/// Scores each option as a continuation of `prompt`. `logits_for(tokens)` runs the model over the whole
/// sequence and returns one row of logits per position, row `i` predicting token `i + 1`; it is called
/// once per option with `prompt ++ option`. A backend that cannot be called back synchronously (the GPU
/// in the browser) checks the request with [`check_request`], gathers each option's rows itself and
/// combines them with [`option_log_likelihood`] and [`OptionScores::from_log_likelihoods`].
pub fn score_options<E: From<ScoringError>>(
    prompt: &[u32],
    options: &[Vec<u32>],
    mut logits_for: impl FnMut(&[u32]) -> Result<Vec<Vec<f32>>, E>,
) -> Result<OptionScores, E> {
    check_request(prompt, options)?;
    let mut scored = Vec::with_capacity(options.len());
    for (option, tokens) in options.iter().enumerate() {
        let sequence: Vec<u32> = prompt.iter().chain(tokens).copied().collect();
        let rows = logits_for(&sequence)?;
        // Row `prompt.len() - 1` predicts the option's first token.
        let first = prompt.len() - 1;
        let needed = rows
            .get(first..first + tokens.len())
            .ok_or_else(|| ScoringError::MissingLogits { option, position: rows.len().max(first) })?;
        let needed: Vec<&[f32]> = needed.iter().map(Vec::as_slice).collect();
        let log_likelihood = option_log_likelihood(option, tokens, &needed).map_err(|e| match e {
            // Positions are reported in the whole sequence, as `logits_for` numbers them.
            ScoringError::NonFiniteLogit { option, position } => {
                ScoringError::NonFiniteLogit { option, position: first + position }
            }
            other => other,
        })?;
        scored.push((log_likelihood, tokens.len()));
    }
    Ok(OptionScores::from_log_likelihoods(&scored)?)
}

/// Refuses what cannot be scored: no options, an empty prompt (nothing predicts the first option
/// token) or an empty option.
pub fn check_request(prompt: &[u32], options: &[Vec<u32>]) -> Result<(), ScoringError> {
    if options.is_empty() {
        return Err(ScoringError::NoOptions);
    }
    if prompt.is_empty() {
        return Err(ScoringError::EmptyPrompt);
    }
    match options.iter().position(Vec::is_empty) {
        Some(option) => Err(ScoringError::EmptyOption { option }),
        None => Ok(()),
    }
}

/// ln P(option | prompt): the sum over the option's tokens of their log-softmax probability, where
/// `rows[k]` is the logits row that predicts `tokens[k]` (the prompt's last position for `k = 0`).
/// Errors name `option` and the position `k` within it.
pub fn option_log_likelihood(option: usize, tokens: &[u32], rows: &[&[f32]]) -> Result<f64, ScoringError> {
    if tokens.is_empty() {
        return Err(ScoringError::EmptyOption { option });
    }
    let mut total = 0.0;
    for (position, &token) in tokens.iter().enumerate() {
        let row = rows.get(position).ok_or(ScoringError::MissingLogits { option, position })?;
        total += log_softmax_at(row, token).map_err(|kind| match kind {
            RowProblem::NonFinite => ScoringError::NonFiniteLogit { option, position },
            RowProblem::OutsideVocabulary => ScoringError::TokenOutsideVocabulary { option, token },
        })?;
    }
    Ok(total)
}

impl OptionScores {
    /// The scores from each option's `(log-likelihood, token count)`.
    pub fn from_log_likelihoods(scored: &[(f64, usize)]) -> Result<OptionScores, ScoringError> {
        if scored.is_empty() {
            return Err(ScoringError::NoOptions);
        }
        if let Some(option) = scored.iter().position(|&(_, n)| n == 0) {
            return Err(ScoringError::EmptyOption { option });
        }
        let log_likelihoods: Vec<f64> = scored.iter().map(|&(ll, _)| ll).collect();
        let normaliser = log_sum_exp(&log_likelihoods);
        if normaliser == f64::NEG_INFINITY {
            return Err(ScoringError::AllOptionsImpossible);
        }
        let per_token = scored.iter().map(|&(ll, n)| ll / n as f64).collect();
        let probabilities = log_likelihoods.iter().map(|ll| (ll - normaliser).exp()).collect();
        Ok(OptionScores { log_likelihoods, per_token, probabilities })
    }
}

enum RowProblem {
    NonFinite,
    OutsideVocabulary,
}

/// ln softmax(row)[token]; `-inf` logits (masked tokens) are allowed and have probability zero.
fn log_softmax_at(row: &[f32], token: u32) -> Result<f64, RowProblem> {
    if row.iter().any(|l| l.is_nan() || *l == f32::INFINITY) {
        return Err(RowProblem::NonFinite);
    }
    let logit = usize::try_from(token).ok().and_then(|i| row.get(i)).ok_or(RowProblem::OutsideVocabulary)?;
    let row: Vec<f64> = row.iter().map(|&l| f64::from(l)).collect();
    Ok(f64::from(*logit) - log_sum_exp(&row))
}

/// ln Σ exp(x), stable because the maximum is factored out; `-inf` for no terms or all `-inf`.
fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bigram "model" over 3 tokens: the logits after a token depend only on that token.
    /// After 0: P = [1/4, 1/2, 1/4]. After 1: P = [1/4, 1/4, 1/2]. After 2: uniform.
    fn bigram(tokens: &[u32]) -> Result<Vec<Vec<f32>>, ScoringError> {
        let ln = |x: f32| x.ln();
        Ok(tokens
            .iter()
            .map(|&t| match t {
                0 => vec![ln(1.0), ln(2.0), ln(1.0)],
                1 => vec![ln(1.0), ln(1.0), ln(2.0)],
                _ => vec![0.0, 0.0, 0.0],
            })
            .collect())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn an_option_scores_the_sum_of_its_token_log_probabilities() {
        let scores = score_options(&[0], &[vec![1], vec![2], vec![1, 2]], bigram).unwrap();
        let expected = [0.5f64.ln(), 0.25f64.ln(), 0.5f64.ln() + 0.5f64.ln()];
        assert!(scores.log_likelihoods.iter().zip(expected).all(|(&got, want)| close(got, want)), "{scores:?}");
    }

    #[test]
    fn per_token_scores_divide_by_option_length() {
        let scores = score_options(&[0], &[vec![1], vec![2], vec![1, 2]], bigram).unwrap();
        let expected = [0.5f64.ln(), 0.25f64.ln(), 0.5f64.ln()];
        assert!(scores.per_token.iter().zip(expected).all(|(&got, want)| close(got, want)), "{scores:?}");
    }

    #[test]
    fn option_probabilities_are_the_softmax_of_log_likelihoods() {
        // Likelihoods 1/2, 1/4, 1/4 already sum to 1.
        let scores = score_options(&[0], &[vec![1], vec![2], vec![1, 2]], bigram).unwrap();
        assert!(scores.probabilities.iter().zip([0.5, 0.25, 0.25]).all(|(&got, want)| close(got, want)));
        assert_eq!(scores.best(), Some(0));
    }

    #[test]
    fn only_the_last_prompt_token_and_option_tokens_condition_the_score() {
        // After prompt [2, 1]: token 2 has probability 1/2, token 0 has 1/4.
        let scores = score_options(&[2, 1], &[vec![0], vec![2]], bigram).unwrap();
        assert!(close(scores.log_likelihoods[0], 0.25f64.ln()));
        assert!(close(scores.log_likelihoods[1], 0.5f64.ln()));
        assert_eq!(scores.best(), Some(1));
    }

    #[test]
    fn the_model_error_is_passed_through() {
        let failing = |_: &[u32]| -> Result<Vec<Vec<f32>>, ScoringError> { Err(ScoringError::NoOptions) };
        assert_eq!(score_options(&[0], &[vec![1]], failing), Err(ScoringError::NoOptions));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(score_options(&[0], &[], bigram), Err(ScoringError::NoOptions));
        assert_eq!(score_options(&[], &[vec![1]], bigram), Err(ScoringError::EmptyPrompt));
        assert_eq!(score_options(&[0], &[vec![1], vec![]], bigram), Err(ScoringError::EmptyOption { option: 1 }));
        assert_eq!(
            score_options(&[0], &[vec![7]], bigram),
            Err(ScoringError::TokenOutsideVocabulary { option: 0, token: 7 })
        );
        let short = |_: &[u32]| Ok(vec![vec![0.0f32; 3]]);
        assert_eq!(
            score_options(&[0], &[vec![1, 2]], short),
            Err(ScoringError::MissingLogits { option: 0, position: 1 })
        );
        let nan = |t: &[u32]| Ok(vec![vec![f32::NAN; 3]; t.len()]);
        assert_eq!(score_options(&[0], &[vec![1]], nan), Err(ScoringError::NonFiniteLogit { option: 0, position: 0 }));
    }

    #[test]
    fn masked_options_get_probability_zero_unless_all_are() {
        let masked = |t: &[u32]| Ok(vec![vec![0.0, f32::NEG_INFINITY]; t.len()]);
        let scores = score_options(&[0], &[vec![0], vec![1]], masked).unwrap();
        assert_eq!(scores.probabilities, vec![1.0, 0.0]);
        assert_eq!(score_options(&[0], &[vec![1]], masked), Err(ScoringError::AllOptionsImpossible));
    }

    #[test]
    fn the_building_blocks_give_the_same_scores_as_score_options() {
        // Prompt [0]; option [1, 2]: row 0 (after 0) predicts 1, row 1 (after 1) predicts 2.
        let rows = bigram(&[0, 1]).unwrap();
        let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let ll = option_log_likelihood(0, &[1, 2], &rows).unwrap();
        let single = option_log_likelihood(1, &[2], &rows[..1]).unwrap();
        let blocks = OptionScores::from_log_likelihoods(&[(ll, 2), (single, 1)]).unwrap();
        assert_eq!(blocks, score_options(&[0], &[vec![1, 2], vec![2]], bigram).unwrap());
    }

    #[test]
    fn an_option_without_a_row_for_each_token_is_an_error() {
        let rows = bigram(&[0]).unwrap();
        let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        assert_eq!(
            option_log_likelihood(3, &[1, 2], &rows),
            Err(ScoringError::MissingLogits { option: 3, position: 1 })
        );
    }

    #[test]
    fn a_request_is_checked_before_any_model_runs() {
        assert_eq!(check_request(&[0], &[vec![1]]), Ok(()));
        assert_eq!(check_request(&[], &[vec![1]]), Err(ScoringError::EmptyPrompt));
        assert_eq!(check_request(&[0], &[vec![1], vec![]]), Err(ScoringError::EmptyOption { option: 1 }));
    }

    #[test]
    fn large_logits_do_not_overflow() {
        let huge = |t: &[u32]| Ok::<_, ScoringError>(vec![vec![f32::MAX, f32::MAX]; t.len()]);
        let scores = score_options(&[0], &[vec![0], vec![1]], huge).unwrap();
        assert!(scores.probabilities.iter().all(|&p| close(p, 0.5)));
    }
}
