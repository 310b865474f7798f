//! Typed wrappers around the WGSL kernels: each owns its pipeline (compiled once, in `new`) and
//! knows its own bindings and dispatch shape. `bind` checks sizes and builds the bind group and
//! uniform buffers once; the returned `Bound*` value only records dispatches, so the per-token path
//! allocates nothing. Values that change per token come from the shared [`Step`] buffer.
//!
//! This file holds the shared plumbing and the element-wise and per-row kernels.

use super::{Context, ELEMENTWISE_WORKGROUP, GpuError, Step};
use wgpu::util::DeviceExt;

const MAX_GROUPS_PER_DIM: u32 = 65_535;

/// Splits `groups` workgroups into a 2-D grid that respects the per-dimension limit; the shaders
/// rebuild the flat index as `y * num_workgroups.x + x` and skip the overshoot.
pub(crate) fn grid(groups: u32) -> (u32, u32) {
    let groups = groups.max(1);
    if groups <= MAX_GROUPS_PER_DIM { (groups, 1) } else { (MAX_GROUPS_PER_DIM, groups.div_ceil(MAX_GROUPS_PER_DIM)) }
}

/// Splits `n` elements, one per thread, into workgroups of [`ELEMENTWISE_WORKGROUP`].
fn elementwise_grid(n: u32) -> (u32, u32) {
    grid(n.div_ceil(ELEMENTWISE_WORKGROUP))
}

/// Compiles `entry` of `source`, once per context (see [`Context::pipeline`]).
pub(crate) fn pipeline(ctx: &Context, label: &str, source: &str, entry: &str) -> wgpu::ComputePipeline {
    ctx.pipeline(source, entry, || {
        let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    })
}

pub(crate) fn uniform<T: bytemuck::Pod>(ctx: &Context, label: &str, value: &T) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(value),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A storage buffer standing in for an optional input the shader reads only behind a flag
/// (auto-derived layouts still need something bound there).
pub(crate) fn placeholder(ctx: &Context, label: &str) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: 16,
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: false,
    })
}

/// Binds whole buffers to bindings 0, 1, 2, ... of group 0.
pub(crate) fn bind_group(
    ctx: &Context,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// Checks that a storage buffer fits one binding on this adapter and holds at least `min_bytes`.
pub(crate) fn check_storage(ctx: &Context, what: &str, buffer: &wgpu::Buffer, min_bytes: u64) -> Result<(), GpuError> {
    let limit = ctx.summary.max_storage_binding;
    if buffer.size() > limit {
        return Err(GpuError::TooLarge { what: what.to_string(), needed: buffer.size(), limit });
    }
    if buffer.size() < min_bytes {
        return Err(GpuError::Shape(format!("{what} holds {} bytes, at least {min_bytes} are needed", buffer.size())));
    }
    Ok(())
}

/// Bytes of `n` f32 values.
pub(crate) fn f32_bytes(n: u32) -> u64 {
    u64::from(n) * 4
}

/// A pipeline with its bind group: one recorded dispatch.
#[derive(Clone, Debug)]
pub(crate) struct Dispatch {
    pub pipeline: wgpu::ComputePipeline,
    pub bind_group: wgpu::BindGroup,
}

impl Dispatch {
    pub fn new(ctx: &Context, label: &str, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> Self {
        Self { pipeline: pipeline.clone(), bind_group: bind_group(ctx, label, pipeline, buffers) }
    }

    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>, (x, y): (u32, u32)) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct WidthParams {
    width: u32,
    extra: u32,
    _pad: [u32; 2],
}

/// `x += y` over `n_tokens` rows of `width` floats (shaders/residual_add.wgsl).
pub struct ResidualAdd {
    pipeline: wgpu::ComputePipeline,
}

/// A [`ResidualAdd`] bound to its buffers.
#[derive(Clone, Debug)]
pub struct BoundResidualAdd {
    dispatch: Dispatch,
    width: u32,
}

impl ResidualAdd {
    pub fn new(ctx: &Context) -> Self {
        let source = include_str!("../../../shaders/residual_add.wgsl");
        Self { pipeline: pipeline(ctx, "residual_add", source, "main") }
    }

    /// `x` and `y` hold `[n_tokens][width]` floats for the largest `n_tokens` you will encode.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        width: u32,
    ) -> Result<BoundResidualAdd, GpuError> {
        check_storage(ctx, "residual_add x", x, f32_bytes(width))?;
        check_storage(ctx, "residual_add y", y, f32_bytes(width))?;
        let params = uniform(ctx, "residual_add.params", &WidthParams { width, extra: 0, _pad: [0; 2] });
        let dispatch = Dispatch::new(ctx, "residual_add", &self.pipeline, &[x, y, &params, step.buffer()]);
        Ok(BoundResidualAdd { dispatch, width })
    }
}

impl BoundResidualAdd {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, elementwise_grid(n_tokens.saturating_mul(self.width)));
    }
}

/// The gate activation of a gated feed-forward block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// SwiGLU (llama, qwen2): silu(gate) * up.
    Silu,
    /// GeGLU (gemma2): gelu(gate) * up, with the tanh approximation of GELU.
    GeluTanh,
}

/// `gate = act(gate) * up` in place over `n_tokens` rows of `width` floats (shaders/glu.wgsl).
pub struct Glu {
    pipeline: wgpu::ComputePipeline,
}

/// A [`Glu`] bound to its buffers.
#[derive(Clone, Debug)]
pub struct BoundGlu {
    dispatch: Dispatch,
    width: u32,
}

impl Glu {
    pub fn new(ctx: &Context) -> Self {
        Self { pipeline: pipeline(ctx, "glu", include_str!("../../../shaders/glu.wgsl"), "main") }
    }

    /// `gate` (overwritten with the result) and `up` hold `[n_tokens][width]` floats.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        gate: &wgpu::Buffer,
        up: &wgpu::Buffer,
        width: u32,
        activation: Activation,
    ) -> Result<BoundGlu, GpuError> {
        check_storage(ctx, "glu gate", gate, f32_bytes(width))?;
        check_storage(ctx, "glu up", up, f32_bytes(width))?;
        let act = match activation {
            Activation::Silu => 0,
            Activation::GeluTanh => 1,
        };
        let params = uniform(ctx, "glu.params", &WidthParams { width, extra: act, _pad: [0; 2] });
        let dispatch = Dispatch::new(ctx, "glu", &self.pipeline, &[gate, up, &params, step.buffer()]);
        Ok(BoundGlu { dispatch, width })
    }
}

impl BoundGlu {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, elementwise_grid(n_tokens.saturating_mul(self.width)));
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SoftcapParams {
    n: u32,
    cap: f32,
    _pad: [u32; 2],
}

/// `x = cap * tanh(x / cap)` in place over `n` floats (shaders/softcap.wgsl): Gemma 2's final
/// logits (cap 30).
pub struct Softcap {
    pipeline: wgpu::ComputePipeline,
}

/// A [`Softcap`] bound to its buffer.
#[derive(Clone, Debug)]
pub struct BoundSoftcap {
    dispatch: Dispatch,
    n: u32,
}

impl Softcap {
    pub fn new(ctx: &Context) -> Self {
        Self { pipeline: pipeline(ctx, "softcap", include_str!("../../../shaders/softcap.wgsl"), "main") }
    }

    pub fn bind(&self, ctx: &Context, x: &wgpu::Buffer, n: u32, cap: f32) -> Result<BoundSoftcap, GpuError> {
        check_storage(ctx, "softcap x", x, f32_bytes(n))?;
        if !(cap > 0.0 && cap.is_finite()) {
            return Err(GpuError::Shape(format!("soft-capping needs a positive cap, not {cap}")));
        }
        let params = uniform(ctx, "softcap.params", &SoftcapParams { n, cap, _pad: [0; 2] });
        let dispatch = Dispatch::new(ctx, "softcap", &self.pipeline, &[x, &params]);
        Ok(BoundSoftcap { dispatch, n })
    }
}

impl BoundSoftcap {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.dispatch.record(pass, elementwise_grid(self.n));
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RmsNormParams {
    n: u32,
    eps: f32,
    _pad: [u32; 2],
}

/// `y = x / sqrt(mean(x^2) + eps) * w` per row of `n` floats, over `n_tokens` rows
/// (shaders/rms_norm.wgsl).
pub struct RmsNorm {
    pipeline: wgpu::ComputePipeline,
}

/// An [`RmsNorm`] bound to its buffers.
#[derive(Clone, Debug)]
pub struct BoundRmsNorm {
    dispatch: Dispatch,
}

impl RmsNorm {
    pub fn new(ctx: &Context) -> Self {
        Self { pipeline: pipeline(ctx, "rms_norm", include_str!("../../../shaders/rms_norm.wgsl"), "main") }
    }

    /// `x` and `y` (distinct buffers) hold `[n_tokens][n]` floats; `weight` holds `n` floats.
    #[allow(clippy::too_many_arguments)] // each is one binding or one model constant
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        y: &wgpu::Buffer,
        n: u32,
        eps: f32,
    ) -> Result<BoundRmsNorm, GpuError> {
        check_storage(ctx, "rms_norm x", x, f32_bytes(n))?;
        check_storage(ctx, "rms_norm weight", weight, f32_bytes(n))?;
        check_storage(ctx, "rms_norm y", y, f32_bytes(n))?;
        let params = uniform(ctx, "rms_norm.params", &RmsNormParams { n, eps, _pad: [0; 2] });
        let dispatch = Dispatch::new(ctx, "rms_norm", &self.pipeline, &[x, weight, y, &params, step.buffer()]);
        Ok(BoundRmsNorm { dispatch })
    }
}

impl BoundRmsNorm {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, grid(n_tokens));
    }
}

pub use crate::model::RopeLayout;

/// A model's RoPE settings (GGUF `*.rope.*` keys).
#[derive(Clone, Copy, Debug)]
pub struct RopeConfig<'a> {
    pub n_heads: u32,
    pub head_dim: u32,
    /// Rotated dimensions (`rope.dimension_count`), usually `head_dim`.
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
struct RopeParams {
    n_heads: u32,
    head_dim: u32,
    n_rot: u32,
    neox: u32,
    theta_scale: f32,
    freq_scale: f32,
    has_factors: u32,
    _pad: u32,
}

/// Rotary position embedding in place on `[n_tokens][n_heads][head_dim]`, token t at position
/// `pos0 + t` from the step buffer (shaders/rope.wgsl).
pub struct Rope {
    pipeline: wgpu::ComputePipeline,
    no_factors: wgpu::Buffer,
}

/// A [`Rope`] bound to its buffer.
#[derive(Clone, Debug)]
pub struct BoundRope {
    dispatch: Dispatch,
    pairs_per_token: u32,
}

impl Rope {
    pub fn new(ctx: &Context) -> Self {
        Self {
            pipeline: pipeline(ctx, "rope", include_str!("../../../shaders/rope.wgsl"), "main"),
            no_factors: placeholder(ctx, "rope.no_factors"),
        }
    }

    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        x: &wgpu::Buffer,
        config: &RopeConfig<'_>,
    ) -> Result<BoundRope, GpuError> {
        let &RopeConfig { n_heads, head_dim, n_rot, layout, freq_base, freq_scale, freq_factors } = config;
        if n_rot == 0 || !n_rot.is_multiple_of(2) || n_rot > head_dim {
            return Err(GpuError::Shape(format!("RoPE over {n_rot} of {head_dim} dimensions")));
        }
        check_storage(ctx, "rope x", x, f32_bytes(n_heads * head_dim))?;
        if let Some(f) = freq_factors {
            check_storage(ctx, "rope frequency factors", f, f32_bytes(n_rot / 2))?;
        }
        let params = RopeParams {
            n_heads,
            head_dim,
            n_rot,
            neox: u32::from(layout == RopeLayout::NeoX),
            // ggml: powf(freq_base, -2.0f / n_dims)
            theta_scale: freq_base.powf(-2.0 / n_rot as f32),
            freq_scale,
            has_factors: u32::from(freq_factors.is_some()),
            _pad: 0,
        };
        let params = uniform(ctx, "rope.params", &params);
        let factors = freq_factors.unwrap_or(&self.no_factors);
        let dispatch = Dispatch::new(ctx, "rope", &self.pipeline, &[x, factors, &params, step.buffer()]);
        Ok(BoundRope { dispatch, pairs_per_token: n_heads * (n_rot / 2) })
    }
}

impl BoundRope {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, elementwise_grid(n_tokens.saturating_mul(self.pairs_per_token)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sizes_use_one_row_of_workgroups() {
        assert_eq!(elementwise_grid(1), (1, 1));
        assert_eq!(elementwise_grid(256), (1, 1));
        assert_eq!(elementwise_grid(257), (2, 1));
    }

    #[test]
    fn huge_sizes_fold_into_a_second_dimension() {
        let n = 256 * 65_535 + 1;
        let (gx, gy) = elementwise_grid(n);
        assert_eq!((gx, gy), (65_535, 2));
        assert!(u64::from(gx) * u64::from(gy) * 256 >= u64::from(n));
    }
}
