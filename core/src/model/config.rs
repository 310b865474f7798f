//! A model's hyperparameters, read from the `{arch}.*` keys of its GGUF metadata.

use crate::gguf::{self, Value};
use std::fmt;

/// The transformer families Mind's Eye runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// Llama 3.x and SmolLM2.
    Llama,
    /// Qwen2 and Qwen2.5: Llama plus biases on q, k and v, and NeoX RoPE.
    Qwen2,
    /// Gemma 2: scaled embeddings, pre- and post-norms, GeGLU, soft-capping and sliding-window layers.
    Gemma2,
}

impl Arch {
    pub const ALL: [Arch; 3] = [Arch::Llama, Arch::Qwen2, Arch::Gemma2];

    /// The `general.architecture` value, which is also the prefix of the hyperparameter keys.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
            Arch::Gemma2 => "gemma2",
        }
    }

    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.into_iter().find(|a| a.name() == name)
    }

    /// How RoPE pairs the dimensions of a head, as llama.cpp assigns it per architecture.
    pub fn rope_layout(self) -> RopeLayout {
        match self {
            Arch::Llama => RopeLayout::Interleaved,
            Arch::Qwen2 | Arch::Gemma2 => RopeLayout::NeoX,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which dimensions RoPE rotates together (ggml's rope modes 0 and 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RopeLayout {
    /// Pairs `(2i, 2i + 1)`: Llama.
    Interleaved,
    /// Pairs `(i, i + n_rot / 2)`: GPT-NeoX, Qwen2, Gemma.
    NeoX,
}

/// Everything the forward pass needs to know besides the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub arch: Arch,
    pub n_vocab: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    /// Per-head width of queries and keys (`attention.key_length`).
    pub head_dim: usize,
    /// Per-head width of values (`attention.value_length`).
    pub head_dim_v: usize,
    /// Longest context the model was trained for.
    pub n_ctx_train: usize,
    pub rms_eps: f32,
    pub rope: Rope,
    /// Queries are multiplied by this before the dot product with the keys.
    pub attn_scale: f32,
    /// Gemma 2: attention scores become `cap * tanh(score / cap)` before the softmax.
    pub attn_softcap: Option<f32>,
    /// Gemma 2: logits become `cap * tanh(logit / cap)`.
    pub final_softcap: Option<f32>,
    /// Gemma 2: the sliding-window layers see only the last `window` positions, themselves included.
    pub sliding_window: Option<usize>,
    /// Gemma 2: embeddings are multiplied by `sqrt(n_embd)`.
    pub embd_scale: Option<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rope {
    pub layout: RopeLayout,
    /// Dimensions rotated at the start of each head (`rope.dimension_count`), the rest pass through.
    pub n_rot: usize,
    pub freq_base: f32,
}

/// Why a file's metadata does not describe a model we can run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("architecture {0:?} is not supported (supported: llama, qwen2, gemma2)")]
    UnsupportedArch(String),
    #[error(transparent)]
    Metadata(#[from] gguf::Error),
    #[error("{key} is {value}, which is out of range ({why})")]
    OutOfRange { key: String, value: String, why: &'static str },
    #[error("tensor {0} is missing")]
    MissingTensor(String),
    #[error("{key} is a per-layer array; only one value for all layers is supported")]
    PerLayer { key: String },
}

/// Cap on every size so that products of them cannot overflow and absurd files are refused early.
const MAX_DIM: u64 = 1 << 20;

/// The smallest context the app allocates: an SGP-Bench prompt and its answer.
pub const MIN_CONTEXT: u32 = 2048;
/// The largest context the app allocates: a Karel synthesis prompt is up to ~4,000 tokens with a small
/// vocabulary, and the answer comes after it.
pub const MAX_CONTEXT: u32 = 8192;

impl Config {
    pub fn from_gguf(file: &gguf::File) -> Result<Config, ConfigError> {
        let name = file.architecture()?;
        let arch = Arch::from_name(name).ok_or_else(|| ConfigError::UnsupportedArch(name.to_owned()))?;
        let key = |suffix: &str| format!("{name}.{suffix}");
        let size = |suffix: &str| -> Result<usize, ConfigError> { dim(file, &key(suffix)) };
        let size_or = |suffix: &str, default: usize| -> Result<usize, ConfigError> {
            if file.get(&key(suffix)).is_some() { size(suffix) } else { Ok(default) }
        };
        let float_or = |suffix: &str, default: f32| -> Result<f32, ConfigError> {
            match file.get(&key(suffix)) {
                Some(_) => Ok(file.get_f32(&key(suffix))?),
                None => Ok(default),
            }
        };

        let n_embd = size("embedding_length")?;
        let n_head = size("attention.head_count")?;
        let n_head_kv = size_or("attention.head_count_kv", n_head)?;
        if !n_embd.is_multiple_of(n_head) && file.get(&key("attention.key_length")).is_none() {
            return out_of_range(key("attention.head_count"), n_head, "must divide embedding_length");
        }
        let head_dim = size_or("attention.key_length", n_embd / n_head)?;
        let head_dim_v = size_or("attention.value_length", head_dim)?;
        if !n_head.is_multiple_of(n_head_kv) {
            return out_of_range(key("attention.head_count_kv"), n_head_kv, "must divide head_count");
        }
        let n_rot = size_or("rope.dimension_count", head_dim)?;
        if n_rot > head_dim || !n_rot.is_multiple_of(2) {
            return out_of_range(key("rope.dimension_count"), n_rot, "must be even and at most the head size");
        }
        let embd = file.tensor("token_embd.weight").ok_or(ConfigError::MissingTensor("token_embd.weight".into()))?;
        let n_vocab = match embd.dims() {
            [cols, rows] if *cols == n_embd as u64 && *rows <= MAX_DIM => *rows as usize,
            dims => {
                return Err(ConfigError::OutOfRange {
                    key: "token_embd.weight".into(),
                    value: format!("{dims:?}"),
                    why: "must be [embedding_length, vocabulary size]",
                });
            }
        };
        let rms_eps = float_or("attention.layer_norm_rms_epsilon", 1e-5)?;
        if !(rms_eps.is_finite() && rms_eps >= 0.0) {
            return out_of_range(key("attention.layer_norm_rms_epsilon"), rms_eps, "must be finite and >= 0");
        }
        let freq_base = float_or("rope.freq_base", 10_000.0)?;
        if !(freq_base.is_finite() && freq_base > 0.0) {
            return out_of_range(key("rope.freq_base"), freq_base, "must be finite and > 0");
        }

        let mut config = Config {
            arch,
            n_vocab,
            n_embd,
            n_layer: size("block_count")?,
            n_ff: size("feed_forward_length")?,
            n_head,
            n_head_kv,
            head_dim,
            head_dim_v,
            n_ctx_train: size_or("context_length", 4096)?,
            rms_eps,
            rope: Rope { layout: arch.rope_layout(), n_rot, freq_base },
            attn_scale: 1.0 / (head_dim as f32).sqrt(),
            attn_softcap: None,
            final_softcap: None,
            sliding_window: None,
            embd_scale: None,
        };
        if arch == Arch::Gemma2 {
            let cap = |suffix: &str, default: f32| -> Result<Option<f32>, ConfigError> {
                let cap = float_or(suffix, default)?;
                if !cap.is_finite() || cap < 0.0 {
                    return out_of_range(key(suffix), cap, "must be finite and >= 0");
                }
                Ok((cap > 0.0).then_some(cap))
            };
            config.attn_softcap = cap("attn_logit_softcapping", 50.0)?;
            config.final_softcap = cap("final_logit_softcapping", 30.0)?;
            config.sliding_window = Some(size_or("attention.sliding_window", 4096)?).filter(|&w| w > 0);
            config.embd_scale = Some((n_embd as f32).sqrt());
            // llama.cpp: Gemma 2 27B scales queries by 1/sqrt(n_embd / n_head), the others by 1/sqrt(head_dim).
            if n_layer_is_27b(&config) {
                config.attn_scale = 1.0 / ((n_embd / n_head) as f32).sqrt();
            }
        }
        Ok(config)
    }

    /// Width of all query heads together.
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    /// Width of all key heads together (one KV cache row per layer per position).
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    pub fn v_dim(&self) -> usize {
        self.n_head_kv * self.head_dim_v
    }

    /// Bytes of KV cache one position takes: keys and values of every layer, as f32.
    pub fn kv_bytes_per_position(&self) -> u64 {
        (self.n_layer * (self.kv_dim() + self.v_dim()) * 4) as u64
    }

    /// How many positions of context to allocate within `budget` bytes of KV cache: as many as fit,
    /// in steps of 256, between [`MIN_CONTEXT`] and [`MAX_CONTEXT`]. Below the minimum the panes'
    /// prompts would not fit at all, so a large model gets the minimum and its memory estimate says so.
    pub fn context_within(&self, budget: u64) -> u32 {
        let fits = budget / self.kv_bytes_per_position().max(1);
        (fits / 256 * 256).clamp(u64::from(MIN_CONTEXT), u64::from(MAX_CONTEXT)) as u32
    }

    /// Whether `layer` attends only within the sliding window (Gemma 2: the even layers).
    pub fn is_sliding(&self, layer: usize) -> bool {
        self.sliding_window.is_some() && layer.is_multiple_of(2)
    }
}

/// llama.cpp identifies Gemma 2 27B by its 46 layers.
fn n_layer_is_27b(config: &Config) -> bool {
    config.n_layer == 46
}

fn out_of_range<T>(key: String, value: impl fmt::Display, why: &'static str) -> Result<T, ConfigError> {
    Err(ConfigError::OutOfRange { key, value: value.to_string(), why })
}

/// A positive size no larger than [`MAX_DIM`].
fn dim(file: &gguf::File, key: &str) -> Result<usize, ConfigError> {
    if let Some(Value::Array(_)) = file.get(key) {
        return Err(ConfigError::PerLayer { key: key.to_owned() });
    }
    let value = file.get_u64(key)?;
    if value == 0 || value > MAX_DIM {
        return out_of_range(key.to_owned(), value, "must be between 1 and 2^20");
    }
    Ok(value as usize)
}
