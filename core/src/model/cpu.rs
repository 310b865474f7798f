//! The CPU reference forward pass: one token at a time, f32 activations, weights dequantized row by
//! row as they are used. It is the oracle the GPU engine is checked
//! against, so it is written to be read, one function per architecture.

use super::config::{Arch, Config, ConfigError};
use super::ops::{self, Rounding, Tensor, add_in_place, gelu, gelu_like_ggml, rms_norm, silu, softcap};
use super::weights::{Layer, Weights};
use super::{ForwardError, LoadError};
use crate::gguf::{self, TensorInfo};

/// A model held in memory as its GGUF tensors.
pub struct CpuModel {
    pub config: Config,
    pub weights: Weights<Tensor>,
    /// Small vectors (norms, biases, RoPE factors) dequantized once at load.
    vectors: Vectors,
    rounding: Rounding,
}

struct Vectors {
    layers: Vec<LayerVectors>,
    output_norm: Vec<f32>,
    rope_freqs: Option<Vec<f32>>,
}

struct LayerVectors {
    attn_norm: Vec<f32>,
    bq: Option<Vec<f32>>,
    bk: Option<Vec<f32>>,
    bv: Option<Vec<f32>>,
    attn_post_norm: Option<Vec<f32>>,
    ffn_norm: Vec<f32>,
    ffn_post_norm: Option<Vec<f32>>,
}

impl CpuModel {
    /// Loads every tensor through `read`, which returns the bytes of one tensor (in any order).
    pub fn load(
        file: &gguf::File,
        mut read: impl FnMut(&TensorInfo) -> Result<Vec<u8>, LoadError>,
    ) -> Result<CpuModel, LoadError> {
        let config = Config::from_gguf(file)?;
        let weights = Weights::load(&config, file, |info| {
            let bytes = read(info)?;
            let (cols, rows) = match info.dims() {
                [cols] => (*cols, 1),
                [cols, rows, ..] => (*cols, *rows),
                [] => (1, 1),
            };
            Tensor::new(info.ty(), cols as usize, rows as usize, bytes)
                .map_err(|e| LoadError::Tensor { name: info.name().to_owned(), reason: e.to_string() })
        })?;
        let v = |t: &Tensor| t.to_f32();
        let vectors = Vectors {
            layers: weights
                .layers
                .iter()
                .map(|l| LayerVectors {
                    attn_norm: v(&l.attn_norm),
                    bq: l.bq.as_ref().map(v),
                    bk: l.bk.as_ref().map(v),
                    bv: l.bv.as_ref().map(v),
                    attn_post_norm: l.attn_post_norm.as_ref().map(v),
                    ffn_norm: v(&l.ffn_norm),
                    ffn_post_norm: l.ffn_post_norm.as_ref().map(v),
                })
                .collect(),
            output_norm: v(&weights.output_norm),
            rope_freqs: weights.rope_freqs.as_ref().map(v),
        };
        Ok(CpuModel { config, weights, vectors, rounding: Rounding::F32 })
    }

    /// Loads a whole GGUF file held in memory.
    pub fn from_bytes(bytes: &[u8]) -> Result<CpuModel, LoadError> {
        let file = gguf::File::parse(bytes).map_err(ConfigError::from)?;
        CpuModel::load(&file, |info| {
            file.tensor_data(bytes, info)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| LoadError::Tensor { name: info.name().to_owned(), reason: "outside the file".into() })
        })
    }

    /// Rounds activations like llama.cpp's CPU backend, to show what separates the two (see [`Rounding`]).
    pub fn with_rounding(mut self, rounding: Rounding) -> CpuModel {
        self.rounding = rounding;
        self
    }

    /// An empty KV cache for up to `n_ctx` positions.
    pub fn cache(&self, n_ctx: usize) -> KvCache {
        let c = &self.config;
        KvCache {
            n_ctx,
            len: 0,
            k: (0..c.n_layer).map(|_| vec![0.0; n_ctx * c.kv_dim()]).collect(),
            v: (0..c.n_layer).map(|_| vec![0.0; n_ctx * c.v_dim()]).collect(),
        }
    }

    /// Runs one token at the next position of `cache` and returns the logits for the token after it.
    pub fn forward(&self, cache: &mut KvCache, token: u32) -> Result<Vec<f32>, ForwardError> {
        if token as usize >= self.config.n_vocab {
            return Err(ForwardError::TokenOutOfRange { token, n_vocab: self.config.n_vocab });
        }
        if cache.len >= cache.n_ctx {
            return Err(ForwardError::ContextFull { n_ctx: cache.n_ctx });
        }
        let logits = match self.config.arch {
            Arch::Llama | Arch::Qwen2 => self.forward_llama(cache, token),
            Arch::Gemma2 => self.forward_gemma2(cache, token)?,
        };
        cache.len += 1;
        Ok(logits)
    }

    /// Llama and Qwen2 (which only adds q/k/v biases): pre-norm attention and SwiGLU feed-forward.
    fn forward_llama(&self, cache: &mut KvCache, token: u32) -> Vec<f32> {
        let c = &self.config;
        let mut x = self.embed(token);
        for (i, (layer, v)) in self.weights.layers.iter().zip(&self.vectors.layers).enumerate() {
            let h = rms_norm(&x, &v.attn_norm, c.rms_eps);
            let attn = self.attention(i, layer, v, &h, cache);
            add_in_place(&mut x, &attn);

            let h = rms_norm(&x, &v.ffn_norm, c.rms_eps);
            let ffn = self.feed_forward(layer, &h, silu);
            add_in_place(&mut x, &ffn);
        }
        self.logits(&x)
    }

    /// Gemma 2: scaled embeddings, norms before and after both attention and the GeGLU feed-forward,
    /// and soft-capped logits. (GGUF stores Gemma's norm weights with the `1 +` already added.)
    fn forward_gemma2(&self, cache: &mut KvCache, token: u32) -> Result<Vec<f32>, ForwardError> {
        let c = &self.config;
        let mut x = self.embed(token);
        for (i, (layer, v)) in self.weights.layers.iter().zip(&self.vectors.layers).enumerate() {
            let (Some(attn_post_norm), Some(ffn_post_norm)) = (&v.attn_post_norm, &v.ffn_post_norm) else {
                return Err(ForwardError::MissingPostNorms { layer: i });
            };
            let h = rms_norm(&x, &v.attn_norm, c.rms_eps);
            let attn = self.attention(i, layer, v, &h, cache);
            let attn = rms_norm(&attn, attn_post_norm, c.rms_eps);
            add_in_place(&mut x, &attn);

            let h = rms_norm(&x, &v.ffn_norm, c.rms_eps);
            let gelu = if self.rounding == Rounding::LikeGgmlCpu { gelu_like_ggml } else { gelu };
            let ffn = self.feed_forward(layer, &h, gelu);
            let ffn = rms_norm(&ffn, ffn_post_norm, c.rms_eps);
            add_in_place(&mut x, &ffn);
        }
        Ok(self.logits(&x))
    }

    /// The token's embedding row, scaled by `sqrt(n_embd)` for Gemma.
    fn embed(&self, token: u32) -> Vec<f32> {
        let mut x = vec![0.0; self.config.n_embd];
        self.weights.token_embd.row(token as usize, &mut x);
        if let Some(scale) = self.config.embd_scale {
            x.iter_mut().for_each(|v| *v *= scale);
        }
        x
    }

    /// Final norm, output projection (tied to the embeddings when there is none), optional soft-cap.
    fn logits(&self, x: &[f32]) -> Vec<f32> {
        let h = rms_norm(x, &self.vectors.output_norm, self.config.rms_eps);
        let output = self.weights.output.as_ref().unwrap_or(&self.weights.token_embd);
        let mut logits = output.matvec_rounded(&h, self.rounding);
        if let Some(cap) = self.config.final_softcap {
            logits.iter_mut().for_each(|l| *l = softcap(*l, cap));
        }
        logits
    }

    /// Self-attention of the newest position over the cache: project, rotate, append to the cache,
    /// attend per head (grouped-query: several query heads share a key/value head), project back.
    fn attention(&self, i: usize, layer: &Layer<Tensor>, v: &LayerVectors, h: &[f32], cache: &mut KvCache) -> Vec<f32> {
        let c = &self.config;
        let pos = cache.len;
        let mut q = with_bias(layer.wq.matvec_rounded(h, self.rounding), v.bq.as_deref());
        let mut k = with_bias(layer.wk.matvec_rounded(h, self.rounding), v.bk.as_deref());
        let val = with_bias(layer.wv.matvec_rounded(h, self.rounding), v.bv.as_deref());
        let factors = self.vectors.rope_freqs.as_deref();
        ops::rope(&mut q, c.head_dim, pos, &c.rope, factors);
        ops::rope(&mut k, c.head_dim, pos, &c.rope, factors);
        cache.k[i][pos * c.kv_dim()..(pos + 1) * c.kv_dim()].copy_from_slice(&k);
        cache.v[i][pos * c.v_dim()..(pos + 1) * c.v_dim()].copy_from_slice(&val);

        let first = match c.sliding_window {
            Some(window) if c.is_sliding(i) => (pos + 1).saturating_sub(window),
            _ => 0,
        };
        let group = c.n_head / c.n_head_kv;
        let mut out = vec![0.0; c.n_head * c.head_dim_v];
        for head in 0..c.n_head {
            let kv_head = head / group;
            let q = &q[head * c.head_dim..(head + 1) * c.head_dim];
            let mut scores: Vec<f32> = (first..=pos)
                .map(|p| {
                    let k = &cache.k[i][p * c.kv_dim() + kv_head * c.head_dim..][..c.head_dim];
                    let s = ops::dot(q, k) * c.attn_scale;
                    c.attn_softcap.map_or(s, |cap| softcap(s, cap))
                })
                .collect();
            ops::softmax(&mut scores);
            let out = &mut out[head * c.head_dim_v..(head + 1) * c.head_dim_v];
            for (p, weight) in (first..=pos).zip(&scores) {
                let v = &cache.v[i][p * c.v_dim() + kv_head * c.head_dim_v..][..c.head_dim_v];
                for (o, v) in out.iter_mut().zip(v) {
                    *o += weight * v;
                }
            }
        }
        layer.wo.matvec_rounded(&out, self.rounding)
    }

    /// Gated feed-forward: `down(act(gate(h)) * up(h))`; SiLU makes it SwiGLU, GELU makes it GeGLU.
    fn feed_forward(&self, layer: &Layer<Tensor>, h: &[f32], act: fn(f32) -> f32) -> Vec<f32> {
        let gate = layer.ffn_gate.matvec_rounded(h, self.rounding);
        let up = layer.ffn_up.matvec_rounded(h, self.rounding);
        let gated: Vec<f32> = gate.iter().zip(&up).map(|(&g, &u)| act(g) * u).collect();
        layer.ffn_down.matvec_rounded(&gated, self.rounding)
    }
}

fn with_bias(mut x: Vec<f32>, bias: Option<&[f32]>) -> Vec<f32> {
    if let Some(b) = bias {
        add_in_place(&mut x, b);
    }
    x
}

/// Keys and values of every position seen so far, per layer: `[n_ctx][n_head_kv * head_dim]`.
pub struct KvCache {
    n_ctx: usize,
    len: usize,
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl KvCache {
    /// Positions filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.n_ctx
    }

    /// Forgets every position from `len` on, keeping the shared prefix (scoring options after one prompt).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}
