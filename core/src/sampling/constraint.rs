//! Constrained decoding: at each step a [`TokenConstraint`] says which tokens may come next. Two
//! kinds exist: [`Constraint`], a fixed set of token sequences (a trie), and
//! [`GrammarConstraint`](super::GrammarConstraint), a language over bytes checked against every
//! token's text, which works with any tokenizer.

use std::collections::BTreeMap;

/// What decoding may produce, asked once per generated token.
pub trait TokenConstraint {
    /// What may follow `generated` (the tokens produced so far under this constraint) when at most
    /// `budget` more tokens may be generated (`budget >= 1`). A constraint that can guarantee to end
    /// within the budget only allows tokens after which it still can.
    fn allowed(&self, generated: &[u32], budget: usize) -> Result<AllowedTokens, ConstraintError>;
}

/// The allowed complete continuations, as a trie of token ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    root: Node,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Node {
    children: BTreeMap<u32, Node>,
    /// A sequence ends here.
    complete: bool,
}

/// What may come after a generated prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedTokens {
    /// The prefix is incomplete: one of these ids (ascending) must follow.
    Next(Vec<u32>),
    /// The prefix is a complete sequence and nothing longer is allowed: stop.
    Done,
    /// The prefix is a complete sequence, but one of these ids (ascending) may extend it.
    Either(Vec<u32>),
}

impl AllowedTokens {
    /// The ids that may come next (none when [`AllowedTokens::Done`]).
    pub fn tokens(&self) -> &[u32] {
        match self {
            AllowedTokens::Next(ids) | AllowedTokens::Either(ids) => ids,
            AllowedTokens::Done => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    #[error("a constraint needs at least one allowed sequence")]
    NoSequences,
    #[error("token {token} at position {position} leaves every allowed sequence")]
    OutsideConstraint { position: usize, token: u32 },
    #[error("no allowed answer can be completed within {budget} more tokens")]
    CannotFinish { budget: usize },
    #[error("the model's vocabulary has no one-byte token for {0:?}, so a constrained answer might not fit its budget")]
    Unspellable(char),
}

impl Constraint {
    /// A constraint allowing exactly `sequences`. An empty sequence makes stopping at once allowed.
    pub fn new(sequences: &[Vec<u32>]) -> Result<Self, ConstraintError> {
        if sequences.is_empty() {
            return Err(ConstraintError::NoSequences);
        }
        let mut root = Node::default();
        for sequence in sequences {
            let end = sequence.iter().fold(&mut root, |node, &token| node.children.entry(token).or_default());
            end.complete = true;
        }
        Ok(Constraint { root })
    }
}

/// The trie does not look at the budget: its sequences are short, fixed answers.
impl TokenConstraint for Constraint {
    fn allowed(&self, generated: &[u32], _budget: usize) -> Result<AllowedTokens, ConstraintError> {
        let mut node = &self.root;
        for (position, &token) in generated.iter().enumerate() {
            node = node.children.get(&token).ok_or(ConstraintError::OutsideConstraint { position, token })?;
        }
        let next: Vec<u32> = node.children.keys().copied().collect();
        Ok(match (node.complete, next.is_empty()) {
            (true, true) => AllowedTokens::Done,
            (true, false) => AllowedTokens::Either(next),
            // Only the root of an empty set could be neither, and `new` refuses that.
            (false, _) => AllowedTokens::Next(next),
        })
    }
}

/// Sets every logit whose id is not in `allowed` to `-inf`, so no sampler can pick it.
/// Allowed ids outside the vocabulary are ignored.
pub fn mask_logits(logits: &mut [f32], allowed: &[u32]) {
    let mut keep = vec![false; logits.len()];
    for &id in allowed {
        if let Some(k) = keep.get_mut(id as usize) {
            *k = true;
        }
    }
    for (logit, keep) in logits.iter_mut().zip(keep) {
        if !keep {
            *logit = f32::NEG_INFINITY;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{Sampler, SamplingConfig};

    // A tiny vocabulary: " A" = 10, " B" = 11, " C" = 12, " D" = 13; "turn" = 20, "Left" = 21, "Right" = 22.
    fn letters() -> Constraint {
        Constraint::new(&[vec![10], vec![11], vec![12], vec![13]]).unwrap()
    }

    #[test]
    fn single_token_options_allow_exactly_those_tokens_first() {
        assert_eq!(letters().allowed(&[], 8), Ok(AllowedTokens::Next(vec![10, 11, 12, 13])));
    }

    #[test]
    fn a_complete_option_without_continuation_is_done() {
        assert_eq!(letters().allowed(&[12], 8), Ok(AllowedTokens::Done));
    }

    #[test]
    fn options_sharing_a_prefix_branch_after_it() {
        let c = Constraint::new(&[vec![20, 21], vec![20, 22]]).unwrap();
        assert_eq!(c.allowed(&[20], 8), Ok(AllowedTokens::Next(vec![21, 22])));
        assert_eq!(c.allowed(&[20, 22], 8), Ok(AllowedTokens::Done));
    }

    #[test]
    fn an_option_that_is_a_prefix_of_another_may_stop_or_continue() {
        let c = Constraint::new(&[vec![20], vec![20, 21]]).unwrap();
        assert_eq!(c.allowed(&[20], 8), Ok(AllowedTokens::Either(vec![21])));
        assert_eq!(c.allowed(&[20], 8).unwrap().tokens(), &[21]);
    }

    #[test]
    fn a_prefix_outside_the_trie_is_an_error() {
        let c = Constraint::new(&[vec![20, 21]]).unwrap();
        assert_eq!(c.allowed(&[20, 22], 8), Err(ConstraintError::OutsideConstraint { position: 1, token: 22 }));
        assert_eq!(letters().allowed(&[10, 10], 8), Err(ConstraintError::OutsideConstraint { position: 1, token: 10 }));
    }

    #[test]
    fn an_empty_set_of_sequences_is_an_error() {
        assert_eq!(Constraint::new(&[]), Err(ConstraintError::NoSequences));
    }

    #[test]
    fn masking_sets_disallowed_logits_to_negative_infinity() {
        let mut logits = [1.0, 2.0, 3.0, 4.0];
        mask_logits(&mut logits, &[1, 3, 99]);
        assert_eq!(logits, [f32::NEG_INFINITY, 2.0, f32::NEG_INFINITY, 4.0]);
    }

    #[test]
    fn masked_greedy_decoding_picks_the_best_allowed_letter() {
        let mut logits = vec![0.0; 16];
        logits[5] = 9.0; // a likelier token that is not an option
        logits[11] = 1.0;
        logits[13] = 2.0;
        mask_logits(&mut logits, letters().allowed(&[], 8).unwrap().tokens());
        assert_eq!(Sampler::new(SamplingConfig::greedy()).unwrap().sample(&logits, &[]), Ok(13));
    }
}
