//! Finding control and user-defined tokens written literally in the text, before the model sees it.

use super::TokenType;
use std::collections::HashMap;
use std::ops::Range;

/// A piece of the input: plain text for the model, or a token matched by its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fragment<'a> {
    Text(&'a str),
    Token(u32),
}

/// Leftmost-longest matching, as the `tokenizers` crate's added-token trie does.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    /// Token text -> (id, matched even when specials are not parsed).
    by_text: HashMap<Box<[u8]>, (u32, bool)>,
    /// The distinct lengths of the texts starting with each byte, longest first: Gemma has thousands
    /// of `<unused…>` tokens, so one hash lookup per length beats comparing every candidate.
    lengths: Vec<Vec<usize>>,
}

impl Matcher {
    /// Control and unknown tokens are matched only when parsing specials; user-defined ones always (llama.cpp).
    pub(super) fn new(tokens: &[String], types: &[TokenType]) -> Matcher {
        let mut by_text = HashMap::new();
        let mut lengths = vec![Vec::new(); 256];
        for (id, (text, ty)) in tokens.iter().zip(types).enumerate() {
            let always = match ty {
                TokenType::UserDefined => true,
                TokenType::Control | TokenType::Unknown => false,
                _ => continue,
            };
            if let Some(&first) = text.as_bytes().first() {
                // The lowest id wins among duplicate texts.
                by_text.entry(text.as_bytes().into()).or_insert((id as u32, always));
                lengths[first as usize].push(text.len());
            }
        }
        for lengths in &mut lengths {
            lengths.sort_unstable_by(|a, b| b.cmp(a));
            lengths.dedup();
        }
        Matcher { by_text, lengths }
    }

    /// Splits `text` at the token texts it contains. Control tokens are matched only when
    /// `parse_special`, and never where they would overlap one of the `untrusted` byte ranges.
    pub(super) fn split<'a>(
        &self,
        text: &'a str,
        parse_special: bool,
        untrusted: &[Range<usize>],
    ) -> Vec<Fragment<'a>> {
        let bytes = text.as_bytes();
        let mut fragments = Vec::new();
        let (mut start, mut at) = (0, 0);
        while at < bytes.len() {
            let found = self.lengths[bytes[at] as usize].iter().find_map(|&len| {
                let &(id, always) = self.by_text.get(bytes.get(at..at + len)?)?;
                let trusted = parse_special && !untrusted.iter().any(|r| r.start < at + len && at < r.end);
                (trusted || always).then_some((id, len))
            });
            match found {
                // Token texts start with a leading UTF-8 byte, so `at` is a char boundary.
                Some((id, len)) => {
                    if at > start {
                        fragments.push(Fragment::Text(&text[start..at]));
                    }
                    fragments.push(Fragment::Token(id));
                    at += len;
                    start = at;
                }
                None => at += 1,
            }
        }
        if start < bytes.len() {
            fragments.push(Fragment::Text(&text[start..]));
        }
        fragments
    }
}
