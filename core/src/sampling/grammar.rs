//! Grammar-constrained decoding over any tokenizer. The grammar is a language over bytes, given as a
//! prefix automaton ([`ByteGrammar`]); a token may come next when its text keeps the output a valid
//! prefix. Token texts are computed once per model ([`TokenTexts`]) and indexed by their first byte,
//! so a step only walks the tokens that start with a byte the grammar accepts there.
//!
//! Ending within the budget: a token is only allowed when what remains can still be completed in the
//! tokens left. Every byte of the grammar's alphabet must be a one-byte token (byte-level BPE and
//! SentencePiece byte fallback have all 256), so `n` bytes to go never need more than `n` tokens.

use super::{AllowedTokens, ConstraintError, TokenConstraint};
use crate::tokenizer::{TokenType, Tokenizer};
use std::sync::Arc;

/// A language over bytes, read one byte at a time.
pub trait ByteGrammar {
    type State: Clone;

    fn start(&self) -> Self::State;
    /// The state after `byte`, or `None` when no sentence of the language continues this way.
    fn step(&self, state: &Self::State, byte: u8) -> Option<Self::State>;
    /// Whether the bytes so far are a whole sentence.
    fn is_complete(&self, state: &Self::State) -> bool;
    /// The fewest bytes that complete a sentence from `state` (0 when it is complete).
    fn bytes_to_complete(&self, state: &Self::State) -> usize;
    /// Every byte a sentence may contain.
    fn alphabet(&self) -> Vec<u8>;
}

/// The bytes every token decodes to, computed once per model.
#[derive(Debug)]
pub struct TokenTexts {
    /// `None` for tokens decoding never emits on its own: control and unused tokens, empty pieces.
    pieces: Vec<Option<Box<[u8]>>>,
    /// Token ids by the first byte of their piece.
    by_first_byte: Vec<Vec<u32>>,
    /// SentencePiece with a space prefix: the first generated token's leading space is not shown.
    strip_first_space: bool,
}

impl TokenTexts {
    pub fn new(tokenizer: &Tokenizer) -> TokenTexts {
        let pieces = (0..tokenizer.vocab_size() as u32).map(|id| {
            let usable = !matches!(
                tokenizer.token_type(id),
                Some(TokenType::Control | TokenType::Unknown | TokenType::Unused) | None
            );
            tokenizer.token_to_piece(id).filter(|_| usable).map(<[u8]>::to_vec)
        });
        TokenTexts::from_pieces(pieces, tokenizer.strips_first_space())
    }

    /// From each token's bytes in id order (`None`: never allowed).
    pub fn from_pieces(pieces: impl IntoIterator<Item = Option<Vec<u8>>>, strip_first_space: bool) -> TokenTexts {
        let pieces: Vec<Option<Box<[u8]>>> =
            pieces.into_iter().map(|p| p.filter(|p| !p.is_empty()).map(Vec::into_boxed_slice)).collect();
        let mut by_first_byte = vec![Vec::new(); 256];
        for (id, piece) in (0u32..).zip(&pieces) {
            if let Some(&first) = piece.as_deref().and_then(<[u8]>::first) {
                by_first_byte[usize::from(first)].push(id);
            }
        }
        TokenTexts { pieces, by_first_byte, strip_first_space }
    }

    /// The bytes `token` adds to the output; `first` for the first generated token.
    fn text(&self, token: u32, first: bool) -> Option<&[u8]> {
        let piece = self.pieces.get(token as usize)?.as_deref()?;
        Some(if first && self.strip_first_space { piece.strip_prefix(b" ").unwrap_or(piece) } else { piece })
    }

    fn has_single_byte(&self, byte: u8) -> bool {
        self.by_first_byte[usize::from(byte)].iter().any(|&id| self.text(id, false).is_some_and(|t| t.len() == 1))
    }
}

/// Decoding restricted to `grammar`'s sentences, over the tokens of `texts`.
pub struct GrammarConstraint<G> {
    grammar: G,
    texts: Arc<TokenTexts>,
}

impl<G: ByteGrammar> GrammarConstraint<G> {
    /// Refuses a vocabulary that cannot spell the grammar one byte at a time (see the module notes).
    pub fn new(grammar: G, texts: Arc<TokenTexts>) -> Result<GrammarConstraint<G>, ConstraintError> {
        if let Some(&byte) = grammar.alphabet().iter().find(|&&b| !texts.has_single_byte(b)) {
            return Err(ConstraintError::Unspellable(char::from(byte)));
        }
        Ok(GrammarConstraint { grammar, texts })
    }

    /// The grammar's state after the text of `generated`.
    fn replay(&self, generated: &[u32]) -> Result<G::State, ConstraintError> {
        let mut state = self.grammar.start();
        for (position, &token) in generated.iter().enumerate() {
            let outside = ConstraintError::OutsideConstraint { position, token };
            let text = self.texts.text(token, position == 0).ok_or(outside.clone())?;
            state = self.walk(state, text).ok_or(outside)?;
        }
        Ok(state)
    }

    fn walk(&self, mut state: G::State, bytes: &[u8]) -> Option<G::State> {
        for &byte in bytes {
            state = self.grammar.step(&state, byte)?;
        }
        Some(state)
    }

    /// Whether `token` may come next from `state` with `left` tokens to follow it.
    fn fits(&self, state: &G::State, token: u32, first: bool, left: usize) -> bool {
        let after = self.texts.text(token, first).and_then(|text| self.walk(state.clone(), text));
        after.is_some_and(|after| self.grammar.bytes_to_complete(&after) <= left)
    }
}

impl<G: ByteGrammar> TokenConstraint for GrammarConstraint<G> {
    fn allowed(&self, generated: &[u32], budget: usize) -> Result<AllowedTokens, ConstraintError> {
        let state = self.replay(generated)?;
        let first = generated.is_empty();
        let left = budget.saturating_sub(1);
        let mut ids: Vec<u32> = if first && self.texts.strip_first_space {
            // The first token's text loses its space, so the first-byte index does not apply: scan all,
            // once per answer.
            (0..self.texts.pieces.len() as u32).filter(|&id| self.fits(&state, id, true, left)).collect()
        } else {
            (0..=u8::MAX)
                .filter(|&byte| self.grammar.step(&state, byte).is_some())
                .flat_map(|byte| &self.texts.by_first_byte[usize::from(byte)])
                .copied()
                .filter(|&id| self.fits(&state, id, first, left))
                .collect()
        };
        ids.sort_unstable();
        Ok(match (self.grammar.is_complete(&state), ids.is_empty()) {
            (true, true) => AllowedTokens::Done,
            (true, false) => AllowedTokens::Either(ids),
            (false, false) => AllowedTokens::Next(ids),
            (false, true) => return Err(ConstraintError::CannotFinish { budget }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a+b`: one or more `a`, then one `b`.
    struct AsThenB;

    impl ByteGrammar for AsThenB {
        /// (a's so far, b seen)
        type State = (usize, bool);
        fn start(&self) -> (usize, bool) {
            (0, false)
        }
        fn step(&self, &(a, b): &(usize, bool), byte: u8) -> Option<(usize, bool)> {
            match (byte, b) {
                (b'a', false) => Some((a + 1, false)),
                (b'b', false) if a > 0 => Some((a, true)),
                _ => None,
            }
        }
        fn is_complete(&self, &(_, b): &(usize, bool)) -> bool {
            b
        }
        fn bytes_to_complete(&self, &(a, b): &(usize, bool)) -> usize {
            if b {
                0
            } else if a > 0 {
                1
            } else {
                2
            }
        }
        fn alphabet(&self) -> Vec<u8> {
            b"ab".to_vec()
        }
    }

    /// Ids: 0 "a", 1 "b", 2 "aa", 3 "ab", 4 "ba", 5 "x", 6 a control token, 7 " a".
    fn texts(strip_first_space: bool) -> Arc<TokenTexts> {
        let pieces = ["a", "b", "aa", "ab", "ba", "x"].map(|p| Some(p.as_bytes().to_vec()));
        let pieces = pieces.into_iter().chain([None, Some(b" a".to_vec())]);
        Arc::new(TokenTexts::from_pieces(pieces, strip_first_space))
    }

    fn constraint() -> GrammarConstraint<AsThenB> {
        GrammarConstraint::new(AsThenB, texts(false)).unwrap()
    }

    #[test]
    fn tokens_whose_text_keeps_a_valid_prefix_are_allowed() {
        assert_eq!(constraint().allowed(&[], 8), Ok(AllowedTokens::Next(vec![0, 2, 3])));
        assert_eq!(constraint().allowed(&[0], 8), Ok(AllowedTokens::Next(vec![0, 1, 2, 3])));
    }

    #[test]
    fn a_complete_sentence_that_cannot_go_on_is_done() {
        assert_eq!(constraint().allowed(&[2, 1], 8), Ok(AllowedTokens::Done));
        assert_eq!(constraint().allowed(&[3], 8), Ok(AllowedTokens::Done));
    }

    #[test]
    fn with_one_token_left_only_tokens_that_finish_are_allowed() {
        assert_eq!(constraint().allowed(&[], 1), Ok(AllowedTokens::Next(vec![3])));
        assert_eq!(constraint().allowed(&[0], 1), Ok(AllowedTokens::Next(vec![1, 3])));
    }

    #[test]
    fn with_two_tokens_left_the_answer_can_still_be_finished_one_byte_at_a_time() {
        assert_eq!(constraint().allowed(&[], 2), Ok(AllowedTokens::Next(vec![0, 2, 3])));
    }

    #[test]
    fn a_generated_token_outside_the_grammar_is_an_error() {
        assert_eq!(constraint().allowed(&[4], 8), Err(ConstraintError::OutsideConstraint { position: 0, token: 4 }));
        assert_eq!(constraint().allowed(&[0, 6], 8), Err(ConstraintError::OutsideConstraint { position: 1, token: 6 }));
    }

    #[test]
    fn the_first_tokens_space_is_dropped_where_the_decoder_drops_it() {
        let spm = GrammarConstraint::new(AsThenB, texts(true)).unwrap();
        assert_eq!(spm.allowed(&[], 8), Ok(AllowedTokens::Next(vec![0, 2, 3, 7])));
        assert_eq!(spm.allowed(&[7], 8), Ok(AllowedTokens::Next(vec![0, 1, 2, 3])));
        // Later, " a" keeps its space, which the grammar refuses.
        assert_eq!(spm.allowed(&[0], 8), Ok(AllowedTokens::Next(vec![0, 1, 2, 3])));
    }

    #[test]
    fn a_vocabulary_without_one_byte_tokens_for_the_alphabet_is_refused() {
        let pieces = [Some(b"a".to_vec()), Some(b"ab".to_vec())];
        let texts = Arc::new(TokenTexts::from_pieces(pieces, false));
        assert!(matches!(GrammarConstraint::new(AsThenB, texts), Err(ConstraintError::Unspellable('b'))));
    }
}
