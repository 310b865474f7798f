//! The KV cache of one layer, the kernel that appends to it, and attention over it.

use super::kernels::{Dispatch, check_storage, f32_bytes, grid, pipeline, uniform};
use super::{Context, ELEMENTWISE_WORKGROUP, GpuError, Step};

/// Largest head_dim attention.wgsl handles (4 output dimensions per thread, 64 threads).
pub const MAX_HEAD_DIM: u32 = 256;

/// Keys and values of one layer, f32, laid out `[n_ctx][n_kv_heads][head_dim]`: one position is
/// `n_kv_heads * head_dim` contiguous floats, exactly a token's k (or v) projection.
pub struct KvCache {
    k: wgpu::Buffer,
    v: wgpu::Buffer,
    n_ctx: u32,
    n_kv_heads: u32,
    head_dim: u32,
}

impl KvCache {
    pub fn new(ctx: &Context, label: &str, n_ctx: u32, n_kv_heads: u32, head_dim: u32) -> Result<Self, GpuError> {
        if n_ctx == 0 || n_kv_heads == 0 || head_dim == 0 || !head_dim.is_multiple_of(4) || head_dim > MAX_HEAD_DIM {
            return Err(GpuError::Shape(format!(
                "{label}: a KV cache of {n_ctx} positions x {n_kv_heads} heads x {head_dim} dimensions \
                 (head_dim must be a multiple of 4, at most {MAX_HEAD_DIM})"
            )));
        }
        let bytes = u64::from(n_ctx) * u64::from(n_kv_heads) * u64::from(head_dim) * 4;
        let limit = ctx.summary.max_storage_binding.min(ctx.summary.max_buffer);
        if bytes > limit {
            return Err(GpuError::TooLarge {
                what: format!("{label} ({n_ctx} positions; use a shorter context)"),
                needed: bytes,
                limit,
            });
        }
        let buffer = |suffix: &str| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("{label}.{suffix}")),
                size: bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        Ok(Self { k: buffer("k"), v: buffer("v"), n_ctx, n_kv_heads, head_dim })
    }

    pub fn keys(&self) -> &wgpu::Buffer {
        &self.k
    }

    pub fn values(&self) -> &wgpu::Buffer {
        &self.v
    }

    pub fn n_ctx(&self) -> u32 {
        self.n_ctx
    }

    pub fn n_kv_heads(&self) -> u32 {
        self.n_kv_heads
    }

    pub fn head_dim(&self) -> u32 {
        self.head_dim
    }

    /// Floats per position.
    fn width(&self) -> u32 {
        self.n_kv_heads * self.head_dim
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct KvWriteParams {
    quads: u32,
    n_ctx: u32,
    _pad: [u32; 2],
}

/// Stores the k and v of tokens `0..n_tokens` at cache positions `pos0..` (shaders/kv_write.wgsl).
pub struct KvWrite {
    pipeline: wgpu::ComputePipeline,
}

/// A [`KvWrite`] bound to a layer's projections and cache.
#[derive(Clone, Debug)]
pub struct BoundKvWrite {
    dispatch: Dispatch,
    quads: u32,
}

impl KvWrite {
    pub fn new(ctx: &Context) -> Self {
        Self { pipeline: pipeline(ctx, "kv_write", include_str!("../../../shaders/kv_write.wgsl"), "main") }
    }

    /// `k` and `v` hold `[n_tokens][n_kv_heads * head_dim]` floats.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        k: &wgpu::Buffer,
        v: &wgpu::Buffer,
        cache: &KvCache,
    ) -> Result<BoundKvWrite, GpuError> {
        check_storage(ctx, "kv_write k", k, f32_bytes(cache.width()))?;
        check_storage(ctx, "kv_write v", v, f32_bytes(cache.width()))?;
        let quads = cache.width() / 4;
        let params = uniform(ctx, "kv_write.params", &KvWriteParams { quads, n_ctx: cache.n_ctx, _pad: [0; 2] });
        let dispatch =
            Dispatch::new(ctx, "kv_write", &self.pipeline, &[k, v, &cache.k, &cache.v, &params, step.buffer()]);
        Ok(BoundKvWrite { dispatch, quads })
    }
}

impl BoundKvWrite {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, grid(n_tokens.saturating_mul(self.quads).div_ceil(ELEMENTWISE_WORKGROUP)));
    }
}

/// A layer's attention settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionConfig {
    /// Query heads; a multiple of the cache's kv heads (grouped-query attention).
    pub n_heads: u32,
    /// Multiplies q.k: 1 / sqrt(head_dim), or Gemma 2's 1 / sqrt(query_pre_attn_scalar).
    pub scale: f32,
    /// Logit soft-capping `cap * tanh(s / cap)` (Gemma 2: 50).
    pub softcap: Option<f32>,
    /// Sliding window: a query at position p sees keys at p - window < j <= p (Gemma 2's even layers).
    pub window: Option<u32>,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct AttentionParams {
    n_heads: u32,
    n_kv_heads: u32,
    head_dim: u32,
    n_ctx: u32,
    scale: f32,
    softcap: f32,
    window: u32,
    _pad: u32,
}

/// Causal attention of `n_tokens` queries at positions `pos0..` over a layer's KV cache
/// (shaders/attention.wgsl). Decode is `n_tokens = 1`.
pub struct Attention {
    pipeline: wgpu::ComputePipeline,
}

/// An [`Attention`] bound to a layer's queries, cache and output.
#[derive(Clone, Debug)]
pub struct BoundAttention {
    dispatch: Dispatch,
    n_heads: u32,
}

impl Attention {
    pub fn new(ctx: &Context) -> Self {
        Self { pipeline: pipeline(ctx, "attention", include_str!("../../../shaders/attention.wgsl"), "main") }
    }

    /// `q` and `out` hold `[n_tokens][n_heads][head_dim]` floats. The tokens' keys and values must
    /// already be in the cache (record [`BoundKvWrite::encode`] first).
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        q: &wgpu::Buffer,
        cache: &KvCache,
        out: &wgpu::Buffer,
        config: &AttentionConfig,
    ) -> Result<BoundAttention, GpuError> {
        let AttentionConfig { n_heads, scale, softcap, window } = *config;
        if n_heads == 0 || !n_heads.is_multiple_of(cache.n_kv_heads) {
            return Err(GpuError::Shape(format!(
                "{n_heads} query heads cannot share {} kv heads evenly",
                cache.n_kv_heads
            )));
        }
        if let Some(cap) = softcap
            && !(cap > 0.0 && cap.is_finite())
        {
            return Err(GpuError::Shape(format!("soft-capping needs a positive cap, not {cap}")));
        }
        if window == Some(0) {
            return Err(GpuError::Shape("a sliding window of 0 positions".into()));
        }
        let row = n_heads * cache.head_dim;
        check_storage(ctx, "attention q", q, f32_bytes(row))?;
        check_storage(ctx, "attention out", out, f32_bytes(row))?;
        let params = AttentionParams {
            n_heads,
            n_kv_heads: cache.n_kv_heads,
            head_dim: cache.head_dim,
            n_ctx: cache.n_ctx,
            scale,
            softcap: softcap.unwrap_or(0.0),
            window: window.unwrap_or(0),
            _pad: 0,
        };
        let params = uniform(ctx, "attention.params", &params);
        let buffers = [q, &cache.k, &cache.v, out, &params, step.buffer()];
        Ok(BoundAttention { dispatch: Dispatch::new(ctx, "attention", &self.pipeline, &buffers), n_heads })
    }
}

impl BoundAttention {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, grid(n_tokens.saturating_mul(self.n_heads)));
    }
}
