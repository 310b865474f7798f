//! Tokenizers stored in GGUF files: byte-level BPE (`gpt2`: Llama 3, Qwen2, SmolLM) and SentencePiece BPE
//! (`llama`: Gemma, Llama 2), read from llama.cpp's `tokenizer.ggml.*` metadata and encoding exactly as
//! the `tokenizers` crate does on the models' own `tokenizer.json` files.
//!
//! Encoding never fails and never panics: every input maps to some tokens.

mod bpe;
mod error;
mod load;
mod pretokenizer;
mod special;
mod spm;
mod stream;
#[cfg(test)]
pub(crate) mod tests;

pub use error::TokenizerError;
pub use pretokenizer::PreTokenizer;
pub use stream::StreamDecoder;

use crate::gguf;
use special::Fragment;
use std::ops::Range;

/// llama.cpp's token types (`tokenizer.ggml.token_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Normal = 1,
    Unknown = 2,
    /// Special tokens such as `<|begin_of_text|>`, matched in text only when parsing specials.
    Control = 3,
    /// Added tokens matched in text even when specials are not parsed.
    UserDefined = 4,
    Unused = 5,
    /// SentencePiece byte fallback, `<0xNN>`.
    Byte = 6,
}

impl TokenType {
    pub fn from_id(id: i32) -> Option<TokenType> {
        use TokenType::*;
        [Normal, Unknown, Control, UserDefined, Unused, Byte].get(usize::try_from(id).ok()?.checked_sub(1)?).copied()
    }
}

#[derive(Debug, Clone)]
enum Model {
    Bpe(bpe::Bpe),
    Spm(spm::Spm),
}

/// A model's tokenizer: text to token ids and back.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    types: Vec<TokenType>,
    /// The bytes each token decodes to.
    pieces: Vec<Vec<u8>>,
    model: Model,
    specials: special::Matcher,
    bos: Option<u32>,
    eos: Option<u32>,
    pad: Option<u32>,
    unknown: Option<u32>,
    add_bos: bool,
    add_eos: bool,
}

impl Tokenizer {
    pub fn from_gguf(file: &gguf::File) -> Result<Tokenizer, TokenizerError> {
        load::from_gguf(file)
    }

    /// Encodes trusted text: special tokens written in it (`<|im_start|>`) become those tokens.
    /// `add_special` adds BOS/EOS where the file asks for them.
    pub fn encode(&self, text: &str, add_special: bool) -> Vec<u32> {
        self.encode_with(text, add_special, true, &[])
    }

    /// Encodes text that is trusted except for the byte ranges `untrusted` (user input placed in a
    /// template): control-token texts are honoured outside those ranges only.
    pub fn encode_with_untrusted(&self, text: &str, add_special: bool, untrusted: &[Range<usize>]) -> Vec<u32> {
        self.encode_with(text, add_special, true, untrusted)
    }

    /// Encodes untrusted text (user input): control-token texts in it are encoded as plain text, so a user
    /// cannot forge turn boundaries. User-defined tokens are still matched, as llama.cpp does.
    pub fn encode_untrusted(&self, text: &str, add_special: bool) -> Vec<u32> {
        self.encode_with(text, add_special, false, &[])
    }

    /// Whether `text` spells a control token that [`Tokenizer::encode`] would turn into that token.
    pub fn mentions_control_tokens(&self, text: &str) -> bool {
        let tokens =
            |parse| self.specials.split(text, parse, &[]).iter().filter(|f| matches!(f, Fragment::Token(_))).count();
        tokens(true) > tokens(false)
    }

    fn encode_with(&self, text: &str, add_special: bool, parse_special: bool, untrusted: &[Range<usize>]) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        if add_special && self.add_bos {
            out.extend(self.bos);
        }
        let mut after_special = true;
        for fragment in self.specials.split(text, parse_special, untrusted) {
            match fragment {
                Fragment::Token(id) => {
                    out.push(id);
                    after_special = true;
                }
                Fragment::Text(text) => {
                    match &self.model {
                        Model::Bpe(bpe) => bpe.encode(text, &mut out),
                        Model::Spm(spm) => spm.encode(text, after_special, &mut out),
                    }
                    after_special = false;
                }
            }
        }
        if add_special && self.add_eos {
            out.extend(self.eos);
        }
        out
    }

    /// The text of `tokens`; invalid UTF-8 (a cut-off character) becomes U+FFFD. Special tokens appear as
    /// their text. A SentencePiece space prefix on the first token is removed, undoing `encode`.
    pub fn decode(&self, tokens: &[u32]) -> String {
        let mut bytes = Vec::with_capacity(tokens.len() * 4);
        for (i, &token) in tokens.iter().enumerate() {
            let piece = self.token_to_piece(token).unwrap_or_default();
            bytes.extend_from_slice(if i == 0 { self.strip_prefix_space(piece) } else { piece });
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Whether decoding drops the first token's leading space (SentencePiece with a space prefix).
    pub(crate) fn strips_first_space(&self) -> bool {
        self.strip_prefix_space(b" ").is_empty()
    }

    fn strip_prefix_space<'a>(&self, piece: &'a [u8]) -> &'a [u8] {
        match &self.model {
            Model::Spm(spm) if spm.add_space_prefix() => piece.strip_prefix(b" ").unwrap_or(piece),
            _ => piece,
        }
    }

    /// The bytes `token` decodes to, which need not be whole UTF-8 characters; `None` outside the vocabulary.
    pub fn token_to_piece(&self, token: u32) -> Option<&[u8]> {
        self.pieces.get(token as usize).map(Vec::as_slice)
    }

    /// The token's text as stored in the file (byte-level BPE tokens spell bytes as `Ġ`, `Ċ`, ...).
    pub fn token_text(&self, token: u32) -> Option<&str> {
        self.tokens.get(token as usize).map(String::as_str)
    }

    pub fn token_type(&self, token: u32) -> Option<TokenType> {
        self.types.get(token as usize).copied()
    }

    /// Control tokens: BOS, EOS, chat-turn markers and the like.
    pub fn is_special(&self, token: u32) -> bool {
        self.token_type(token) == Some(TokenType::Control)
    }

    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    pub fn eos(&self) -> Option<u32> {
        self.eos
    }

    pub fn pad(&self) -> Option<u32> {
        self.pad
    }

    pub fn unknown(&self) -> Option<u32> {
        self.unknown
    }

    /// Tokens that end a reply: EOS, plus the control tokens chat templates close a turn with, found by
    /// their text as llama.cpp does (files often name only one of them as EOS).
    pub fn end_of_generation(&self) -> Vec<u32> {
        const TURN_ENDS: [&str; 6] =
            ["<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|eom_id|>"];
        let mut ids: Vec<u32> = self.eos.into_iter().collect();
        for (id, text) in (0u32..).zip(&self.tokens) {
            if self.is_special(id) && TURN_ENDS.contains(&text.as_str()) && !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    pub fn stream_decoder(&self) -> StreamDecoder<'_> {
        StreamDecoder::new(self)
    }
}
