//! The KV cache of one layer, the kernel that fills it (with RoPE), and attention over it.

use super::kernels::{
    Dispatch, check_storage, elementwise_grid, f32_bytes, grid, pipeline, placeholder, storage_params, uniform,
};
use super::step::STEP_WGSL;
use super::{Context, GpuError, Step};

/// Largest head_dim attention.wgsl handles (4 output dimensions per thread, 64 threads).
pub const MAX_HEAD_DIM: u32 = 256;

/// Keys and values of one layer, laid out `[n_ctx][n_kv_heads][head_dim]`: one position is
/// `n_kv_heads * head_dim` contiguous values, exactly a token's k (or v) projection. The values are
/// f16 when the context uses `shader-f16` (half the memory and half attention's reads, as
/// llama.cpp's default cache), f32 otherwise.
pub struct KvCache {
    k: wgpu::Buffer,
    v: wgpu::Buffer,
    n_ctx: u32,
    n_kv_heads: u32,
    head_dim: u32,
    f16: bool,
}

/// `kernel` (rope_kv.wgsl or attention.wgsl) with the cache's element type `kv` defined ahead of it.
fn with_kv_type(f16: bool, kernel: &str) -> String {
    let prefix = if f16 { "enable f16;\nalias kv = f16;\n" } else { "alias kv = f32;\n" };
    format!("{prefix}{kernel}")
}

/// Refuses a cache whose element type is not the one a kernel was compiled for (a cache and a
/// kernel made from contexts with different `shader-f16` settings).
fn check_kv_type(kernel: &str, f16: bool, cache: &KvCache) -> Result<(), GpuError> {
    if f16 == cache.f16 {
        return Ok(());
    }
    let name = |f16| if f16 { "f16" } else { "f32" };
    Err(GpuError::Shape(format!("{kernel} compiled for an {} KV cache, given an {} one", name(f16), name(cache.f16))))
}

impl KvCache {
    pub fn new(ctx: &Context, label: &str, n_ctx: u32, n_kv_heads: u32, head_dim: u32) -> Result<Self, GpuError> {
        if n_ctx == 0 || n_kv_heads == 0 || head_dim == 0 || !head_dim.is_multiple_of(4) || head_dim > MAX_HEAD_DIM {
            return Err(GpuError::Shape(format!(
                "{label}: a KV cache of {n_ctx} positions x {n_kv_heads} heads x {head_dim} dimensions \
                 (head_dim must be a multiple of 4, at most {MAX_HEAD_DIM})"
            )));
        }
        let f16 = ctx.uses_f16();
        let element = if f16 { 2 } else { 4 };
        let bytes = u64::from(n_ctx) * u64::from(n_kv_heads) * u64::from(head_dim) * element;
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
        Ok(Self { k: buffer("k"), v: buffer("v"), n_ctx, n_kv_heads, head_dim, f16 })
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

    /// Whether the values are f16 (else f32).
    pub fn is_f16(&self) -> bool {
        self.f16
    }

    /// Bytes of the keys and values together.
    pub fn bytes(&self) -> u64 {
        self.k.size() + self.v.size()
    }
}

pub use crate::model::RopeLayout;

/// A model's RoPE settings (GGUF `*.rope.*` keys).
#[derive(Clone, Copy, Debug)]
pub struct RopeConfig<'a> {
    /// Query heads (the key heads are the cache's).
    pub n_heads: u32,
    /// Rotated dimensions (`rope.dimension_count`), at most the cache's head_dim.
    pub n_rot: u32,
    pub layout: RopeLayout,
    pub freq_base: f32,
    /// Linear position scaling (1 / `rope.scaling.factor`); 1 for none.
    pub freq_scale: f32,
    /// `rope_freqs.weight` (Llama 3.x): `n_rot / 2` floats dividing each pair's frequency.
    pub freq_factors: Option<&'a wgpu::Buffer>,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RopeKvParams {
    n_heads: u32,
    n_kv_heads: u32,
    head_dim: u32,
    n_rot: u32,
    neox: u32,
    theta_scale: f32,
    freq_scale: f32,
    has_factors: u32,
    stride: u32,
    n_ctx: u32,
    _pad: [u32; 2],
}

/// Rotary position embedding of the queries and keys of tokens `0..n_tokens`, and their keys and
/// values into a layer's cache at positions `pos0..` (shaders/rope_kv.wgsl). Each token's
/// projections are one stacked row `[q: n_heads][k: n_kv_heads][v: n_kv_heads]` of head_dim
/// floats; the queries are rotated in place.
pub struct RopeKv {
    pipeline: wgpu::ComputePipeline,
    no_factors: wgpu::Buffer,
    f16: bool,
}

/// A [`RopeKv`] bound to a layer's projections and cache.
#[derive(Clone, Debug)]
pub struct BoundRopeKv {
    dispatch: Dispatch,
    pairs_per_token: u32,
}

impl RopeKv {
    pub fn new(ctx: &Context) -> Self {
        let f16 = ctx.uses_f16();
        let source = with_kv_type(f16, &[STEP_WGSL, include_str!("../../../shaders/rope_kv.wgsl")].concat());
        Self {
            pipeline: pipeline(ctx, "rope_kv", &source, "main"),
            no_factors: placeholder(ctx, "rope_kv.no_factors"),
            f16,
        }
    }

    /// `qkv` holds `[n_tokens][(n_heads + 2 n_kv_heads) * head_dim]` floats, with the cache's
    /// n_kv_heads and head_dim.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        qkv: &wgpu::Buffer,
        cache: &KvCache,
        config: &RopeConfig<'_>,
    ) -> Result<BoundRopeKv, GpuError> {
        let &RopeConfig { n_heads, n_rot, layout, freq_base, freq_scale, freq_factors } = config;
        check_kv_type("rope_kv", self.f16, cache)?;
        let head_dim = cache.head_dim;
        if n_rot == 0 || !n_rot.is_multiple_of(2) || n_rot > head_dim {
            return Err(GpuError::Shape(format!("RoPE over {n_rot} of {head_dim} dimensions")));
        }
        let heads = n_heads + 2 * cache.n_kv_heads;
        check_storage(ctx, "rope_kv qkv", qkv, f32_bytes(heads * head_dim))?;
        if let Some(f) = freq_factors {
            check_storage(ctx, "rope_kv frequency factors", f, f32_bytes(n_rot / 2))?;
        }
        let params = RopeKvParams {
            n_heads,
            n_kv_heads: cache.n_kv_heads,
            head_dim,
            n_rot,
            neox: u32::from(layout == RopeLayout::NeoX),
            // ggml: powf(freq_base, -2.0f / n_dims)
            theta_scale: freq_base.powf(-2.0 / n_rot as f32),
            freq_scale,
            has_factors: u32::from(freq_factors.is_some()),
            stride: heads * head_dim,
            n_ctx: cache.n_ctx,
            _pad: [0; 2],
        };
        let params = uniform(ctx, "rope_kv.params", &params);
        let factors = freq_factors.unwrap_or(&self.no_factors);
        let buffers = [qkv, factors, &cache.k, &cache.v, &params, step.buffer()];
        let dispatch = Dispatch::new(ctx, "rope_kv", &self.pipeline, &buffers);
        Ok(BoundRopeKv { dispatch, pairs_per_token: heads * head_dim / 2 })
    }
}

impl BoundRopeKv {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, elementwise_grid(n_tokens.saturating_mul(self.pairs_per_token)));
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
    /// Floats from one token's queries to the next: `None` when the queries fill their buffer
    /// (`n_heads * head_dim`), more when they start a stacked QKV row.
    pub q_stride: Option<u32>,
}

/// What both attention kernels share (the WGSL twin of [`AttentionParams`], soft-capping's tanh),
/// put ahead of each kernel after the step's struct.
const ATTENTION_COMMON: &str = include_str!("../../../shaders/attention_common.wgsl");

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
    q_stride: u32,
}

/// Workgroups per head of split decode attention (attention.wgsl's `SPLITS`): with 14 query heads
/// (Qwen2.5-0.5B) one workgroup per head leaves most of a GPU idle.
pub const ATTENTION_SPLITS: u32 = 16;
/// Keys past which GPU decode splits its keys: four 64-key chunks, below which a split kernel
/// and its merge cost more than one walk.
pub const ATTENTION_SPLIT_MIN_KEYS: u32 = 256;

/// Causal attention of `n_tokens` queries at positions `pos0..` over a layer's KV cache
/// (shaders/attention.wgsl; on CPU adapters shaders/attention_rows.wgsl, compiled per head size
/// when first bound). Decode is `n_tokens = 1`; on the GPU kernel, decode over more than
/// [`ATTENTION_SPLIT_MIN_KEYS`] keys shares them out among [`ATTENTION_SPLITS`] workgroups per
/// head, then shaders/attention_merge.wgsl combines their results.
pub struct Attention {
    pipeline: wgpu::ComputePipeline,
    f16: bool,
    cpu: bool,
}

/// An [`Attention`] bound to a layer's queries, cache and output.
#[derive(Clone, Debug)]
pub struct BoundAttention {
    dispatch: Dispatch,
    /// Split decode (GPU kernel only): the partial results' kernel and the merge.
    split: Option<(Dispatch, Dispatch)>,
    n_heads: u32,
    n_ctx: u32,
    window: Option<u32>,
    cpu: bool,
}

impl Attention {
    pub fn new(ctx: &Context) -> Self {
        let f16 = ctx.uses_f16();
        Self { pipeline: Self::gpu_pipeline(ctx, f16, 1), f16, cpu: ctx.uses_cpu_kernels() }
    }

    /// attention.wgsl for `splits` workgroups per (token, head).
    fn gpu_pipeline(ctx: &Context, f16: bool, splits: u32) -> wgpu::ComputePipeline {
        let kernel = include_str!("../../../shaders/attention.wgsl");
        let source =
            with_kv_type(f16, &format!("const SPLITS: u32 = {splits}u;\n{STEP_WGSL}{ATTENTION_COMMON}{kernel}"));
        pipeline(ctx, &format!("attention.{splits}"), &source, "main")
    }

    /// The split kernel and its merge, bound to a buffer of partial results for one token.
    fn bind_split(
        &self,
        ctx: &Context,
        buffers: &[&wgpu::Buffer; 6],
        n_heads: u32,
        head_dim: u32,
    ) -> (Dispatch, Dispatch) {
        let floats = n_heads as usize * ATTENTION_SPLITS as usize * (head_dim as usize + 2);
        let partial = super::storage_zeroed(ctx, "attention.partial", floats);
        let [q, k, v, out, params, step] = *buffers;
        let split = Self::gpu_pipeline(ctx, self.f16, ATTENTION_SPLITS);
        let split = Dispatch::new(ctx, "attention.split", &split, &[q, k, v, out, params, step, &partial]);
        let kernel = include_str!("../../../shaders/attention_merge.wgsl");
        let source = format!("const SPLITS: u32 = {ATTENTION_SPLITS}u;\n{STEP_WGSL}{ATTENTION_COMMON}{kernel}");
        let merge = pipeline(ctx, "attention_merge", &source, "main");
        let merge = Dispatch::new(ctx, "attention_merge", &merge, &[&partial, out, params, step]);
        (split, merge)
    }

    /// The CPU-adapter kernel for heads of `head_dim` dimensions, reading the cache type this
    /// kernel was made for.
    fn cpu_pipeline(&self, ctx: &Context, head_dim: u32) -> wgpu::ComputePipeline {
        let reader = if self.f16 {
            include_str!("../../../shaders/attention_rows_f16.wgsl")
        } else {
            include_str!("../../../shaders/attention_rows_f32.wgsl")
        };
        let kernel = include_str!("../../../shaders/attention_rows.wgsl");
        let source = format!("const HEAD_DIM: u32 = {head_dim}u;\n{STEP_WGSL}{ATTENTION_COMMON}{reader}{kernel}");
        pipeline(ctx, &format!("attention_rows.{head_dim}"), &source, "main")
    }

    /// `q` holds each token's `[n_heads][head_dim]` queries, `q_stride` floats apart, and `out`
    /// `[n_tokens][n_heads][head_dim]` floats. The tokens' keys and values must already be in the
    /// cache (record [`BoundRopeKv::encode`] first).
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        q: &wgpu::Buffer,
        cache: &KvCache,
        out: &wgpu::Buffer,
        config: &AttentionConfig,
    ) -> Result<BoundAttention, GpuError> {
        let AttentionConfig { n_heads, scale, softcap, window, q_stride } = *config;
        check_kv_type("attention", self.f16, cache)?;
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
        let q_stride = q_stride.unwrap_or(row);
        if q_stride < row || !q_stride.is_multiple_of(4) {
            return Err(GpuError::Shape(format!("queries {q_stride} floats apart, {row} floats each")));
        }
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
            q_stride,
        };
        let params = storage_params(ctx, "attention.params", &params);
        let buffers = [q, &cache.k, &cache.v, out, &params, step.buffer()];
        // The CPU kernel reads eight values a load.
        let cpu = self.cpu && cache.head_dim.is_multiple_of(8);
        let (dispatch, split) = if cpu {
            (Dispatch::new(ctx, "attention_rows", &self.cpu_pipeline(ctx, cache.head_dim), &buffers), None)
        } else {
            let unused = placeholder(ctx, "attention.partial.unused");
            let [q, k, v, out, params, step] = buffers;
            let dispatch = Dispatch::new(ctx, "attention", &self.pipeline, &[q, k, v, out, params, step, &unused]);
            (dispatch, Some(self.bind_split(ctx, &buffers, n_heads, cache.head_dim)))
        };
        Ok(BoundAttention { dispatch, split, n_heads, n_ctx: cache.n_ctx, window, cpu })
    }
}

impl BoundAttention {
    /// Whether it runs the CPU-adapter kernel (shaders/attention_rows.wgsl).
    pub fn uses_cpu_kernel(&self) -> bool {
        self.cpu
    }

    /// Whether `n_tokens` queries from position `pos0` on take the split kernel and its merge.
    fn splits(&self, n_tokens: u32, pos0: u32) -> bool {
        let end = pos0.saturating_add(1).min(self.n_ctx);
        let keys = self.window.map_or(end, |w| end.min(w));
        self.split.is_some() && n_tokens == 1 && keys > ATTENTION_SPLIT_MIN_KEYS
    }

    /// The dispatches [`BoundAttention::encode`] records for these queries.
    pub fn dispatch_count(&self, n_tokens: u32, pos0: u32) -> usize {
        if self.splits(n_tokens, pos0) { 2 } else { 1 }
    }

    /// Records attention for `n_tokens` queries from position `pos0` on: the position the step
    /// buffer will hold when this runs (it picks the split kernel for long decodes).
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32, pos0: u32) {
        let heads = n_tokens.saturating_mul(self.n_heads);
        match &self.split {
            Some((split, merge)) if self.splits(n_tokens, pos0) => {
                split.record(pass, grid(heads * ATTENTION_SPLITS));
                merge.record(pass, grid(heads));
            }
            _ => self.dispatch.record(pass, grid(heads)),
        }
    }

    /// Records the kernel that walks all of each head's keys in one workgroup, whatever the
    /// position (the benchmark's peer for the split kernel).
    pub fn encode_one_walk(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, grid(n_tokens.saturating_mul(self.n_heads)));
    }

    /// This attention for the queries at `pos0..`, as the forward pass records it.
    pub(crate) fn at(&self, pos0: u32) -> AttentionAt<'_> {
        AttentionAt { attention: self, pos0 }
    }
}

/// A [`BoundAttention`] with the position its queries start at: a kernel whose dispatches depend
/// on it (see [`BoundAttention::encode`]).
pub(crate) struct AttentionAt<'a> {
    pub attention: &'a BoundAttention,
    pub pos0: u32,
}
