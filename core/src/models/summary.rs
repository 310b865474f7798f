//! What a GGUF header says about its model, for people: name, architecture, quantization, size,
//! tokenizer, chat template; and what it needs from the device, for the fit check.

use super::fit::{Needs, Shape};
use super::format;
use crate::gguf::File;
use crate::gpu::SUPPORTED_TYPES;
use std::collections::BTreeMap;

/// Architectures the engine is being written for.
pub const SUPPORTED_ARCHITECTURES: [&str; 3] = ["llama", "qwen2", "gemma2"];

/// A parsed header, summarised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSummary {
    pub name: String,
    pub architecture: String,
    /// `general.file_type` as llama.cpp names it (`Q4_K_M`), else the type holding most bytes.
    pub quant: String,
    pub file_size: u64,
    pub params: u64,
    pub tensor_count: usize,
    pub gguf_version: u32,
    pub context: Option<u64>,
    pub layers: Option<u64>,
    pub embedding: Option<u64>,
    pub heads: Option<u64>,
    pub kv_heads: Option<u64>,
    /// `tokenizer.ggml.model` (`gpt2`, `llama`), if present.
    pub tokenizer: Option<String>,
    /// `tokenizer.ggml.pre`, the pre-tokenizer name of byte-level BPE vocabularies.
    pub pre_tokenizer: Option<String>,
    pub vocab: Option<u64>,
    pub chat_template: bool,
    /// Bytes per tensor type, largest first.
    pub tensor_types: Vec<(String, u64)>,
    pub needs: Needs,
    /// Keys the fit estimate needed but did not find.
    pub missing: Vec<String>,
}

impl ModelSummary {
    pub fn supported(&self) -> bool {
        SUPPORTED_ARCHITECTURES.contains(&self.architecture.as_str())
    }

    /// Tensor types of the file that the GPU engine cannot read, most bytes first: loading would
    /// stop at the first tensor of one.
    pub fn unreadable_types(&self) -> Vec<&str> {
        let readable = |ty: &str| SUPPORTED_TYPES.iter().any(|t| t.name() == ty);
        self.tensor_types.iter().map(|(ty, _)| ty.as_str()).filter(|ty| !readable(ty)).collect()
    }

    /// The quantization, and which of its tensor types the GPU engine cannot read, if any:
    /// "Q5_K_M (the GPU engine cannot read its Q5_K tensors; it reads F32, F16, ...)".
    pub fn quant_text(&self) -> String {
        let unreadable = self.unreadable_types();
        if unreadable.is_empty() {
            return self.quant.clone();
        }
        let readable: Vec<&str> = SUPPORTED_TYPES.iter().map(|t| t.name()).collect();
        format!(
            "{} (the GPU engine cannot read its {} tensors; it reads {})",
            self.quant,
            unreadable.join(", "),
            readable.join(", ")
        )
    }

    /// "SentencePiece (llama), 32,000 tokens" / "byte-level BPE (gpt2, pre-tokenizer smollm), 49,152 tokens".
    pub fn tokenizer_text(&self) -> String {
        let kind = match self.tokenizer.as_deref() {
            Some("gpt2") => "byte-level BPE (gpt2".to_string(),
            Some("llama") => "SentencePiece (llama".to_string(),
            Some(other) => format!("{other} ("),
            None => return "none in the file".to_string(),
        };
        let kind = kind.trim_end_matches(" (").to_string();
        let pre = self.pre_tokenizer.as_deref().map(|p| format!(", pre-tokenizer {p}")).unwrap_or_default();
        let close = if kind.contains('(') { ")" } else { "" };
        let vocab = self.vocab.map(|v| format!(", {} tokens", format::count(v))).unwrap_or_default();
        format!("{kind}{pre}{close}{vocab}")
    }
}

/// llama.cpp's `LLAMA_FTYPE_*` names.
pub fn file_type_name(id: u64) -> Option<&'static str> {
    Some(match id {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        _ => return None,
    })
}

/// Summarises `file`, a header of a file of `file_size` bytes. `fallback_name` (the file name) is
/// used when the header carries no `general.name`. Never fails: what is missing is reported.
pub fn summarize(file: &File, file_size: u64, fallback_name: &str) -> ModelSummary {
    let architecture = file.architecture().unwrap_or("unknown").to_string();
    let arch_u64 = |key: &str| file.get_u64(&format!("{architecture}.{key}")).ok();
    let text = |key: &str| file.get_str(key).ok().map(|s| s.chars().take(200).collect::<String>());

    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for t in file.tensors() {
        *by_type.entry(t.ty().name().to_string()).or_default() += t.n_bytes();
    }
    let mut tensor_types: Vec<(String, u64)> = by_type.into_iter().collect();
    tensor_types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let quant = match file.get_u64("general.file_type").ok().and_then(file_type_name) {
        Some(name) => name.to_string(),
        None => tensor_types.first().map_or_else(|| "no tensors".to_string(), |(ty, _)| format!("mostly {ty}")),
    };

    let vocab = file.get_array("tokenizer.ggml.tokens").ok().map(|a| a.len() as u64).or_else(|| arch_u64("vocab_size"));
    let heads = arch_u64("attention.head_count");
    let embedding = arch_u64("embedding_length");
    let kv_heads = arch_u64("attention.head_count_kv").or(heads);

    let (needs, missing) = needs(file, &architecture, vocab);
    let name = text("general.name").filter(|n| !n.trim().is_empty()).unwrap_or_else(|| fallback_name.to_string());
    ModelSummary {
        name,
        quant,
        file_size,
        params: file.tensors().iter().map(|t| t.n_elements()).fold(0u64, u64::saturating_add),
        tensor_count: file.tensors().len(),
        gguf_version: file.version(),
        context: arch_u64("context_length"),
        layers: arch_u64("block_count"),
        embedding,
        heads,
        kv_heads,
        tokenizer: text("tokenizer.ggml.model"),
        pre_tokenizer: text("tokenizer.ggml.pre"),
        vocab,
        chat_template: file.get_str("tokenizer.chat_template").is_ok_and(|t| !t.trim().is_empty()),
        tensor_types,
        needs,
        missing,
        architecture,
    }
}

/// The fit check's view of a header; keys it cannot find count as zero and are listed.
fn needs(file: &File, arch: &str, vocab: Option<u64>) -> (Needs, Vec<String>) {
    let mut missing = Vec::new();
    let mut get = |key: &str| -> Option<u32> {
        let full = format!("{arch}.{key}");
        let value = file.get_u32(&full).ok();
        if value.is_none() {
            missing.push(full);
        }
        value
    };
    let layers = get("block_count").unwrap_or(0);
    let embedding = get("embedding_length").unwrap_or(0);
    let heads = get("attention.head_count").unwrap_or(0);
    let feed_forward = get("feed_forward_length").unwrap_or(0);
    let context = get("context_length").unwrap_or(0);
    let kv_heads = file.get_u32(&format!("{arch}.attention.head_count_kv")).unwrap_or(heads);
    let head_dim = file
        .get_u32(&format!("{arch}.attention.key_length"))
        .ok()
        .or_else(|| (heads > 0).then(|| embedding / heads))
        .unwrap_or(0);
    let vocab = vocab.and_then(|v| u32::try_from(v).ok()).unwrap_or_else(|| {
        missing.push("tokenizer.ggml.tokens".into());
        0
    });
    let largest = file.tensors().iter().max_by_key(|t| t.n_bytes());
    let needs = Needs {
        weights: file.data_len(),
        largest_tensor: largest.map_or(0, |t| t.n_bytes()),
        largest_tensor_name: largest.map(|t| t.name().to_string()),
        shape: Shape { layers, embedding, heads, kv_heads, head_dim, feed_forward, vocab, context },
    };
    (needs, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{Value, Writer};
    use crate::quant::Type;

    fn tiny(extra: impl FnOnce(Writer) -> Writer) -> File {
        let w = Writer::new()
            .metadata("general.architecture", "llama")
            .metadata("general.name", "Tiny Llama")
            .metadata("general.file_type", 7u32)
            .metadata("llama.block_count", 2u32)
            .metadata("llama.embedding_length", 64u32)
            .metadata("llama.feed_forward_length", 128u32)
            .metadata("llama.attention.head_count", 4u32)
            .metadata("llama.attention.head_count_kv", 2u32)
            .metadata("llama.context_length", 2048u64)
            .metadata("tokenizer.ggml.model", "gpt2")
            .metadata("tokenizer.ggml.pre", "smollm")
            .metadata("tokenizer.ggml.tokens", Value::from(vec!["a".to_string(), "b".into(), "c".into()]))
            .tensor("token_embd.weight", &[64, 3], Type::F32, &[0; 64 * 3 * 4])
            .unwrap()
            .tensor("blk.0.attn_q.weight", &[64, 2], Type::Q8_0, &[0; 2 * 2 * 34])
            .unwrap();
        File::parse(&extra(w).to_bytes()).unwrap()
    }

    #[test]
    fn the_summary_names_model_arch_quant_and_shape() {
        let s = summarize(&tiny(|w| w), 5000, "tiny.gguf");
        assert_eq!(s.name, "Tiny Llama");
        assert_eq!(s.architecture, "llama");
        assert_eq!(s.quant, "Q8_0");
        assert_eq!(s.params, 64 * 3 + 64 * 2);
        assert_eq!(s.tensor_count, 2);
        assert_eq!(s.context, Some(2048));
        assert_eq!((s.layers, s.heads, s.kv_heads), (Some(2), Some(4), Some(2)));
        assert_eq!(s.vocab, Some(3));
        assert!(s.supported());
        assert!(s.missing.is_empty(), "{:?}", s.missing);
    }

    #[test]
    fn a_file_the_gpu_engine_reads_shows_its_quantization_alone() {
        let s = summarize(&tiny(|w| w), 5000, "tiny.gguf");
        assert!(s.unreadable_types().is_empty());
        assert_eq!(s.quant_text(), "Q8_0");
    }

    #[test]
    fn tensor_types_the_gpu_engine_cannot_read_are_named_with_those_it_can() {
        let w = |w: Writer| w.tensor("blk.0.ffn_down.weight", &[256, 1], Type::TQ1_0, &[0; 54]).unwrap();
        let s = summarize(&tiny(w), 5000, "tiny.gguf");
        assert_eq!(s.unreadable_types(), ["TQ1_0"]);
        assert_eq!(
            s.quant_text(),
            "Q8_0 (the GPU engine cannot read its TQ1_0 tensors; it reads F32, F16, BF16, Q8_0, Q5_1, Q5_0, Q4_1, \
             Q4_0, IQ4_NL, IQ4_XS, Q6_K, Q5_K, Q4_K, Q3_K, IQ3_S, IQ3_XXS, Q2_K, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S)"
        );
    }

    #[test]
    fn the_tokenizer_is_described_with_its_pre_tokenizer_and_size() {
        let s = summarize(&tiny(|w| w), 5000, "tiny.gguf");
        assert_eq!(s.tokenizer_text(), "byte-level BPE (gpt2, pre-tokenizer smollm), 3 tokens");
        let s = summarize(&tiny(|w| w.metadata("tokenizer.ggml.model", "llama")), 5000, "t");
        assert!(s.tokenizer_text().starts_with("SentencePiece (llama"));
    }

    #[test]
    fn a_chat_template_is_detected() {
        assert!(!summarize(&tiny(|w| w), 1, "t").chat_template);
        let s = summarize(&tiny(|w| w.metadata("tokenizer.chat_template", "{{ messages }}")), 1, "t");
        assert!(s.chat_template);
    }

    #[test]
    fn without_a_file_type_the_quant_is_the_type_with_most_bytes() {
        let file = tiny(|w| w.metadata("general.file_type", 999u32));
        let s = summarize(&file, 1, "t");
        assert_eq!(s.quant, "mostly F32");
        assert_eq!(s.tensor_types[0], ("F32".to_string(), 64 * 3 * 4));
    }

    #[test]
    fn without_a_name_the_file_name_is_used() {
        let s = summarize(&tiny(|w| w.metadata("general.name", "  ")), 1, "my-model.gguf");
        assert_eq!(s.name, "my-model.gguf");
    }

    #[test]
    fn needs_come_from_the_header() {
        let s = summarize(&tiny(|w| w), 1, "t");
        assert_eq!(s.needs.largest_tensor, 64 * 3 * 4);
        assert_eq!(s.needs.largest_tensor_name.as_deref(), Some("token_embd.weight"));
        assert_eq!(s.needs.shape.head_dim, 16, "embedding / heads when key_length is absent");
        assert_eq!(s.needs.shape.vocab, 3);
        assert_eq!(s.needs.weights, s.needs.largest_tensor + 2 * 2 * 34, "768 is already aligned");
    }

    #[test]
    fn missing_hyperparameters_are_listed_not_fatal() {
        let file = File::parse(&Writer::new().metadata("general.architecture", "mamba").to_bytes()).unwrap();
        let s = summarize(&file, 100, "m.gguf");
        assert!(!s.supported());
        assert_eq!(s.quant, "no tensors");
        assert!(s.missing.contains(&"mamba.block_count".to_string()), "{:?}", s.missing);
        assert_eq!(s.tokenizer_text(), "none in the file");
    }

    #[test]
    fn llama_cpp_file_types_have_their_names() {
        assert_eq!(file_type_name(15), Some("Q4_K_M"));
        assert_eq!(file_type_name(2), Some("Q4_0"));
        assert_eq!(file_type_name(4), None);
    }
}
