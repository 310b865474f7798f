//! Which tensors each architecture has, with their expected shapes, gathered into one structure.
//!
//! [`Weights`] is generic over how a tensor is held, so the CPU reference (bytes in memory) and the GPU
//! runtime (buffers) share the same names, shapes and checks.

use super::config::{Arch, Config, ConfigError};
use crate::gguf::{self, TensorInfo};

/// A model's tensors, as `T`s.
#[derive(Debug)]
pub struct Weights<T> {
    pub token_embd: T,
    pub layers: Vec<Layer<T>>,
    pub output_norm: T,
    /// `None` when the output projection is tied to `token_embd` (Qwen2.5-0.5B, Gemma 2, Llama 3.2 1B).
    pub output: Option<T>,
    /// Llama 3.1+ long-context RoPE: each frequency is divided by its factor.
    pub rope_freqs: Option<T>,
}

#[derive(Debug)]
pub struct Layer<T> {
    pub attn_norm: T,
    pub wq: T,
    pub wk: T,
    pub wv: T,
    pub wo: T,
    /// Qwen2's attention biases.
    pub bq: Option<T>,
    pub bk: Option<T>,
    pub bv: Option<T>,
    /// Gemma 2's norm after attention, before the residual add.
    pub attn_post_norm: Option<T>,
    pub ffn_norm: T,
    pub ffn_gate: T,
    pub ffn_up: T,
    pub ffn_down: T,
    /// Gemma 2's norm after the feed-forward, before the residual add.
    pub ffn_post_norm: Option<T>,
}

impl<T> Weights<T> {
    /// Finds every tensor `config.arch` needs in `file`, checks its shape, and hands it to `load`,
    /// which turns it into a `T` (reads its bytes, uploads it...).
    pub fn load<E: From<ConfigError>>(
        config: &Config,
        file: &gguf::File,
        mut load: impl FnMut(&TensorInfo) -> Result<T, E>,
    ) -> Result<Weights<T>, E> {
        let c = config;
        let gemma = c.arch == Arch::Gemma2;
        let qwen = c.arch == Arch::Qwen2;
        let mut get = |name: &str, dims: &[usize], required: bool| -> Result<Option<T>, E> {
            let Some(info) = file.tensor(name) else {
                return if required { Err(ConfigError::MissingTensor(name.to_owned()).into()) } else { Ok(None) };
            };
            let expected: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
            // ggml drops trailing dimensions of 1, and some writers keep them.
            let found: Vec<u64> = {
                let mut d = info.dims().to_vec();
                while d.len() > expected.len() && d.last() == Some(&1) {
                    d.pop();
                }
                d
            };
            if found != expected {
                return Err(ConfigError::OutOfRange {
                    key: name.to_owned(),
                    value: format!("{:?}", info.dims()),
                    why: "the tensor's shape does not match the model's hyperparameters",
                }
                .into());
            }
            load(info).map(Some)
        };
        // `get` with `required` set never returns `Ok(None)`; this turns that into the type.
        let must = |found: Option<T>, name: &str| -> Result<T, E> {
            found.ok_or_else(|| ConfigError::MissingTensor(name.to_owned()).into())
        };
        macro_rules! need {
            ($name:expr, $dims:expr) => {{
                let name = $name;
                must(get(&name, $dims, true)?, &name)?
            }};
        }

        let token_embd = need!("token_embd.weight", &[c.n_embd, c.n_vocab]);
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let name = |suffix: &str| format!("blk.{i}.{suffix}");
            layers.push(Layer {
                attn_norm: need!(name("attn_norm.weight"), &[c.n_embd]),
                wq: need!(name("attn_q.weight"), &[c.n_embd, c.q_dim()]),
                wk: need!(name("attn_k.weight"), &[c.n_embd, c.kv_dim()]),
                wv: need!(name("attn_v.weight"), &[c.n_embd, c.v_dim()]),
                wo: need!(name("attn_output.weight"), &[c.n_head * c.head_dim_v, c.n_embd]),
                bq: get(&name("attn_q.bias"), &[c.q_dim()], qwen)?,
                bk: get(&name("attn_k.bias"), &[c.kv_dim()], qwen)?,
                bv: get(&name("attn_v.bias"), &[c.v_dim()], qwen)?,
                attn_post_norm: get(&name("post_attention_norm.weight"), &[c.n_embd], gemma)?,
                ffn_norm: need!(name("ffn_norm.weight"), &[c.n_embd]),
                ffn_gate: need!(name("ffn_gate.weight"), &[c.n_embd, c.n_ff]),
                ffn_up: need!(name("ffn_up.weight"), &[c.n_embd, c.n_ff]),
                ffn_down: need!(name("ffn_down.weight"), &[c.n_ff, c.n_embd]),
                ffn_post_norm: get(&name("post_ffw_norm.weight"), &[c.n_embd], gemma)?,
            });
        }
        Ok(Weights {
            token_embd,
            layers,
            output_norm: need!("output_norm.weight", &[c.n_embd]),
            output: get("output.weight", &[c.n_embd, c.n_vocab], false)?,
            rope_freqs: get("rope_freqs.weight", &[c.rope.n_rot / 2], false)?,
        })
    }

    /// Every tensor present, in a fixed order.
    pub fn tensors(&self) -> Vec<&T> {
        let mut all = vec![&self.token_embd];
        for l in &self.layers {
            all.extend([&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_norm, &l.ffn_gate, &l.ffn_up, &l.ffn_down]);
            all.extend([&l.bq, &l.bk, &l.bv, &l.attn_post_norm, &l.ffn_post_norm].into_iter().flatten());
        }
        all.push(&self.output_norm);
        all.extend(self.output.iter().chain(&self.rope_freqs));
        all
    }

    /// The same structure with each tensor converted by `f` (e.g. tensor indices into GPU buffers).
    pub fn try_map<U, E>(self, mut f: impl FnMut(T) -> Result<U, E>) -> Result<Weights<U>, E> {
        fn opt<T, U, E>(f: &mut impl FnMut(T) -> Result<U, E>, t: Option<T>) -> Result<Option<U>, E> {
            t.map(f).transpose()
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in self.layers {
            layers.push(Layer {
                attn_norm: f(l.attn_norm)?,
                wq: f(l.wq)?,
                wk: f(l.wk)?,
                wv: f(l.wv)?,
                wo: f(l.wo)?,
                bq: opt(&mut f, l.bq)?,
                bk: opt(&mut f, l.bk)?,
                bv: opt(&mut f, l.bv)?,
                attn_post_norm: opt(&mut f, l.attn_post_norm)?,
                ffn_norm: f(l.ffn_norm)?,
                ffn_gate: f(l.ffn_gate)?,
                ffn_up: f(l.ffn_up)?,
                ffn_down: f(l.ffn_down)?,
                ffn_post_norm: opt(&mut f, l.ffn_post_norm)?,
            });
        }
        Ok(Weights {
            token_embd: f(self.token_embd)?,
            layers,
            output_norm: f(self.output_norm)?,
            output: opt(&mut f, self.output)?,
            rope_freqs: opt(&mut f, self.rope_freqs)?,
        })
    }
}
