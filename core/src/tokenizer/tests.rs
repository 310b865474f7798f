use super::bpe::byte_chars;
use super::*;
use crate::gguf::{self, Value, Writer};

/// A byte-level vocabulary: the 256 byte tokens, then `extra` normal tokens, then the control token
/// `<|eot|>`; merges as given.
pub(crate) fn bpe_writer(extra: &[&str], merges: &[&str]) -> Writer {
    let mut tokens: Vec<String> = byte_chars().iter().map(char::to_string).collect();
    tokens.extend(extra.iter().map(|t| t.to_string()));
    tokens.push("<|eot|>".into());
    let mut types = vec![1i32; tokens.len()];
    *types.last_mut().unwrap() = 3;
    Writer::new()
        .metadata("tokenizer.ggml.model", "gpt2")
        .metadata("tokenizer.ggml.pre", "qwen2")
        .metadata("tokenizer.ggml.eos_token_id", tokens.len() as u32 - 1)
        .metadata("tokenizer.ggml.tokens", tokens)
        .metadata("tokenizer.ggml.token_type", types)
        .metadata("tokenizer.ggml.merges", merges.iter().map(|m| m.to_string()).collect::<Vec<_>>())
}

/// A SentencePiece vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then `(text, score)` pieces.
fn spm_writer(pieces: &[(&str, f32)]) -> Writer {
    let mut tokens: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    let mut types = vec![2, 3, 3];
    tokens.extend((0..=255).map(|b| format!("<0x{b:02X}>")));
    types.extend([6; 256]);
    let mut scores = vec![0.0f32; tokens.len()];
    for (text, score) in pieces {
        tokens.push(text.to_string());
        types.push(1);
        scores.push(*score);
    }
    Writer::new()
        .metadata("tokenizer.ggml.model", "llama")
        .metadata("tokenizer.ggml.bos_token_id", 1u32)
        .metadata("tokenizer.ggml.eos_token_id", 2u32)
        .metadata("tokenizer.ggml.unknown_token_id", 0u32)
        .metadata("tokenizer.ggml.tokens", tokens)
        .metadata("tokenizer.ggml.token_type", types)
        .metadata("tokenizer.ggml.scores", scores)
}

fn load(writer: Writer) -> Result<Tokenizer, TokenizerError> {
    Tokenizer::from_gguf(&gguf::File::parse(&writer.to_bytes()).unwrap())
}

fn texts(tokenizer: &Tokenizer, ids: &[u32]) -> Vec<String> {
    ids.iter().map(|&id| tokenizer.token_text(id).unwrap().to_owned()).collect()
}

#[test]
fn bpe_applies_the_lowest_ranked_merge_first() {
    // "ab" outranks "bc", so "abc" becomes "ab" + "c" although "bc" is also a token.
    let t = load(bpe_writer(&["ab", "bc", "abc"], &["a b", "b c", "ab c"])).unwrap();
    assert_eq!(texts(&t, &t.encode("abc", false)), ["abc"]);
    let t = load(bpe_writer(&["ab", "bc", "abc"], &["b c", "a b", "ab c"])).unwrap();
    assert_eq!(texts(&t, &t.encode("abc", false)), ["a", "bc"]);
}

#[test]
fn bpe_spells_spaces_and_newlines_with_byte_characters() {
    let t = load(bpe_writer(&["Ġa"], &["Ġ a"])).unwrap();
    assert_eq!(texts(&t, &t.encode("a a\n", false)), ["a", "Ġa", "Ċ"]);
}

#[test]
fn qwen2_splits_every_digit() {
    let t = load(bpe_writer(&["12"], &["1 2"])).unwrap();
    assert_eq!(texts(&t, &t.encode("12", false)), ["1", "2"]);
}

#[test]
fn llama3_takes_whole_words_from_the_vocabulary_without_merging() {
    // No merge path leads to "xyz", but Llama 3 ignores merges for words in the vocabulary.
    let t = load(bpe_writer(&["xyz"], &[]).metadata("tokenizer.ggml.pre", "llama-bpe")).unwrap();
    assert_eq!(texts(&t, &t.encode("xyz", false)), ["xyz"]);
}

#[test]
fn special_tokens_split_the_text_when_parsed() {
    let t = load(bpe_writer(&[], &[])).unwrap();
    let eot = t.eos().unwrap();
    assert_eq!(t.encode("a<|eot|>b", false), [t.encode("a", false)[0], eot, t.encode("b", false)[0]]);
    assert!(!t.encode_untrusted("a<|eot|>b", false).contains(&eot));
    assert_eq!(t.decode(&t.encode_untrusted("a<|eot|>b", false)), "a<|eot|>b");
}

#[test]
fn the_longest_special_token_wins_at_the_same_position() {
    let t = load(bpe_writer(&["<|eot|>x"], &[]).metadata("tokenizer.ggml.token_type", {
        let mut types = vec![1i32; 256 + 2];
        types[256] = 4;
        types[257] = 3;
        types
    }))
    .unwrap();
    assert_eq!(texts(&t, &t.encode("<|eot|>x", false)), ["<|eot|>x"]);
    assert_eq!(texts(&t, &t.encode("<|eot|>y", false)), ["<|eot|>", "y"]);
}

#[test]
fn bos_and_eos_are_added_only_where_the_file_asks() {
    let writer = spm_writer(&[("▁a", -1.0)]);
    let t = load(writer.clone()).unwrap();
    assert_eq!(t.encode("a", true), [1, t.encode("a", false)[0]]);
    let t = load(writer.metadata("tokenizer.ggml.add_bos_token", false).metadata("tokenizer.ggml.add_eos_token", true))
        .unwrap();
    assert_eq!(t.encode("a", true), [t.encode("a", false)[0], 2]);
}

#[test]
fn spm_merges_the_highest_scoring_pair_first() {
    let pieces = [("▁", -5.0), ("▁a", -1.0), ("bc", -2.0), ("ab", -0.5), ("▁ab", -3.0), ("abc", -0.1)];
    let t = load(spm_writer(&pieces)).unwrap();
    // "ab" (-0.5) beats "▁a" (-1) and "bc" (-2); then "abc" (-0.1) beats "▁ab" (-3).
    assert_eq!(texts(&t, &t.encode("abc", false)), ["▁", "abc"]);
}

#[test]
fn spm_prefixes_a_space_unless_the_file_says_not_to() {
    let pieces = [("▁", -1.0), ("▁a", -1.0)];
    let t = load(spm_writer(&pieces)).unwrap();
    assert_eq!(texts(&t, &t.encode("a a", false)), ["▁a", "▁a"]);
    let t = load(spm_writer(&pieces).metadata("tokenizer.ggml.add_space_prefix", false)).unwrap();
    assert_eq!(texts(&t, &t.encode("a a", false)), ["<0x61>", "▁a"]);
}

#[test]
fn spm_falls_back_to_bytes_for_characters_outside_the_vocabulary() {
    let t = load(spm_writer(&[("▁", -1.0)]).metadata("tokenizer.ggml.add_space_prefix", false)).unwrap();
    assert_eq!(texts(&t, &t.encode("é", false)), ["<0xC3>", "<0xA9>"]);
    assert_eq!(t.decode(&t.encode("é", false)), "é");
}

#[test]
fn spm_decode_removes_the_space_prefix_it_added() {
    let t = load(spm_writer(&[("▁", -1.0), ("▁a", -1.0)])).unwrap();
    assert_eq!(t.decode(&t.encode(" a a", false)), " a a");
}

#[test]
fn stream_decoder_holds_back_a_partial_character() {
    let t = load(spm_writer(&[]).metadata("tokenizer.ggml.add_space_prefix", false)).unwrap();
    let ids = t.encode("€", false);
    assert_eq!(ids.len(), 3);
    let mut stream = t.stream_decoder();
    assert_eq!(stream.push(ids[0]), "");
    assert_eq!(stream.push(ids[1]), "");
    assert_eq!(stream.push(ids[2]), "€");
    assert_eq!(stream.finish(), "");
}

#[test]
fn stream_decoder_replaces_invalid_bytes_as_decode_does() {
    let t = load(spm_writer(&[]).metadata("tokenizer.ggml.add_space_prefix", false)).unwrap();
    // Byte tokens follow <unk>, <s> and </s>.
    let byte = |b: u8| 3 + b as u32;
    let ids = [byte(0xE2), byte(0x41), byte(0xE2), byte(0x82)];
    let mut stream = t.stream_decoder();
    let streamed: String = ids.iter().map(|&id| stream.push(id)).collect::<String>() + &stream.finish();
    assert_eq!(streamed, t.decode(&ids));
    assert_eq!(streamed, "\u{FFFD}A\u{FFFD}");
}

#[test]
fn unknown_model_is_named() {
    let err = load(bpe_writer(&[], &[]).metadata("tokenizer.ggml.model", "bert")).unwrap_err();
    assert_eq!(err, TokenizerError::UnsupportedModel("bert".into()));
}

#[test]
fn unsupported_pre_tokenizer_is_named() {
    let err = load(bpe_writer(&[], &[]).metadata("tokenizer.ggml.pre", "deepseek-coder")).unwrap_err();
    assert_eq!(err, TokenizerError::UnsupportedPreTokenizer("deepseek-coder".into()));
}

#[test]
fn merge_of_an_unknown_token_is_refused() {
    let err = load(bpe_writer(&["ab"], &["a b", "ab zz"])).unwrap_err();
    assert_eq!(err, TokenizerError::MergeUnknownToken { index: 1, merge: "ab zz".into(), token: "abzz".into() });
}

#[test]
fn merge_without_a_space_is_refused() {
    let err = load(bpe_writer(&[], &["ab"])).unwrap_err();
    assert_eq!(err, TokenizerError::MalformedMerge { index: 0, merge: "ab".into() });
}

#[test]
fn scores_of_the_wrong_length_are_refused() {
    let err = load(spm_writer(&[]).metadata("tokenizer.ggml.scores", vec![0.0f32; 3])).unwrap_err();
    assert_eq!(err, TokenizerError::LengthMismatch { key: "tokenizer.ggml.scores", expected: 259, found: 3 });
}

#[test]
fn token_ids_beyond_the_vocabulary_are_refused() {
    let err = load(spm_writer(&[]).metadata("tokenizer.ggml.eos_token_id", 9999u32)).unwrap_err();
    assert_eq!(err, TokenizerError::TokenIdOutOfRange { key: "tokenizer.ggml.eos_token_id", id: 9999, n_vocab: 259 });
}

#[test]
fn unknown_token_types_are_refused() {
    let err = load(spm_writer(&[]).metadata("tokenizer.ggml.token_type", vec![9i32; 259])).unwrap_err();
    assert_eq!(err, TokenizerError::UnknownTokenType { id: 0, value: 9 });
}

#[test]
fn byte_level_vocabulary_needs_every_byte() {
    let writer = Writer::new()
        .metadata("tokenizer.ggml.model", "gpt2")
        .metadata("tokenizer.ggml.pre", "llama-bpe")
        .metadata("tokenizer.ggml.tokens", Value::from(vec!["a".to_string()]))
        .metadata("tokenizer.ggml.merges", Value::from(Vec::<String>::new()));
    let err = load(writer).unwrap_err();
    assert_eq!(err, TokenizerError::MissingByteToken(0));
}

#[test]
fn missing_vocabulary_is_a_metadata_error() {
    let err = Tokenizer::from_gguf(
        &gguf::File::parse(&Writer::new().metadata("tokenizer.ggml.model", "gpt2").to_bytes()).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err, TokenizerError::Metadata(gguf::Error::MissingKey("tokenizer.ggml.tokens".into())));
}
