//! Typed wrappers around the WGSL kernels: each owns its pipeline (compiled once, in `new`) and
//! knows its own bindings and dispatch shape. `bind` checks sizes and builds the bind group and
//! uniform buffers once; the returned `Bound*` value only records dispatches, so the per-token path
//! allocates nothing. Values that change per token come from the shared [`Step`] buffer.
//!
//! This file holds the shared plumbing and the element-wise and per-row kernels.

use super::step::STEP_WGSL;
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
pub(crate) fn elementwise_grid(n: u32) -> (u32, u32) {
    grid(n.div_ceil(ELEMENTWISE_WORKGROUP))
}

/// Compiles `entry` of `source`, once per context (see [`Context::pipeline`]).
pub(crate) fn pipeline(ctx: &Context, label: &str, source: &str, entry: &str) -> wgpu::ComputePipeline {
    ctx.pipeline(source, entry, || {
        let descriptor =
            wgpu::ShaderModuleDescriptor { label: Some(label), source: wgpu::ShaderSource::Wgsl(source.into()) };
        // Without the loop guard naga adds to every loop (a counter tested on each iteration,
        // 10-15% of a quantized matvec on lavapipe); bounds checks stay. Browsers apply their own.
        let mut checks = wgpu::ShaderRuntimeChecks::checked();
        checks.force_loop_bounding = false;
        // SAFETY: the guard exists for untrusted shaders whose loops might not end. These are
        // ours, compiled in from shaders/, and every loop in them counts towards a bound by a
        // non-zero constant step or halves a stride down to zero.
        let module = unsafe { ctx.device.create_shader_module_trusted(descriptor, checks) };
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

/// A kernel's parameters in a uniform buffer.
pub(crate) fn uniform<T: bytemuck::Pod>(ctx: &Context, label: &str, value: &T) -> wgpu::Buffer {
    params_buffer(ctx, label, value, wgpu::BufferUsages::UNIFORM)
}

/// A kernel's parameters in a read-only storage buffer rather than a uniform one. Lavapipe inlines
/// uniform values that a shader's control flow reads into a specialised copy of the shader; with
/// its parameters as a uniform, the attention kernel at 32 query heads (Llama 3.2 1B) ran 10x
/// slower on lavapipe (1.5 ms a layer at 8 positions, not 0.15) and the process grew by about
/// 4 MiB per decoded token inside lavapipe. Both are gone with the parameters in storage.
pub(crate) fn storage_params<T: bytemuck::Pod>(ctx: &Context, label: &str, value: &T) -> wgpu::Buffer {
    params_buffer(ctx, label, value, wgpu::BufferUsages::STORAGE)
}

fn params_buffer<T: bytemuck::Pod>(ctx: &Context, label: &str, value: &T, usage: wgpu::BufferUsages) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(value),
        usage,
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

/// Binds buffers (or ranges of them) to the given bindings of group 0.
pub(crate) fn bind_group(
    ctx: &Context,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[(u32, wgpu::BufferBinding<'_>)],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .map(|(binding, b)| wgpu::BindGroupEntry {
            binding: *binding,
            resource: wgpu::BindingResource::Buffer(b.clone()),
        })
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
    /// Binds whole `buffers` to bindings 0, 1, 2, ...
    pub fn new(ctx: &Context, label: &str, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> Self {
        let numbered: Vec<_> =
            buffers.iter().enumerate().map(|(i, b)| (i as u32, b.as_entire_buffer_binding())).collect();
        Self::with_bindings(ctx, label, pipeline, &numbered)
    }

    /// Binds each buffer (or range) to the binding it names: a kernel that leaves some of its
    /// module's bindings unused, or binds part of a buffer.
    pub fn with_bindings(
        ctx: &Context,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[(u32, wgpu::BufferBinding<'_>)],
    ) -> Self {
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
        let source = [STEP_WGSL, include_str!("../../../shaders/residual_add.wgsl")].concat();
        Self { pipeline: pipeline(ctx, "residual_add", &source, "main") }
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

impl Activation {
    /// `act` in shaders/activation.wgsl.
    pub(crate) fn code(self) -> u32 {
        match self {
            Activation::Silu => 0,
            Activation::GeluTanh => 1,
        }
    }
}

/// `out[t] = act(gate[t]) * up[t]` over `n_tokens` tokens, each token's gate and up projections
/// side by side in one row of `2 * width` floats (shaders/glu.wgsl).
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
        let source =
            [STEP_WGSL, include_str!("../../../shaders/activation.wgsl"), include_str!("../../../shaders/glu.wgsl")];
        Self { pipeline: pipeline(ctx, "glu", &source.concat(), "main") }
    }

    /// `gate_up` holds `[n_tokens][gate: width][up: width]` floats and `out` `[n_tokens][width]`.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        gate_up: &wgpu::Buffer,
        out: &wgpu::Buffer,
        width: u32,
        activation: Activation,
    ) -> Result<BoundGlu, GpuError> {
        check_storage(ctx, "glu gate and up", gate_up, 2 * f32_bytes(width))?;
        check_storage(ctx, "glu out", out, f32_bytes(width))?;
        let params = uniform(ctx, "glu.params", &WidthParams { width, extra: activation.code(), _pad: [0; 2] });
        let dispatch = Dispatch::new(ctx, "glu", &self.pipeline, &[gate_up, out, &params, step.buffer()]);
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
    add: u32,
    _pad: u32,
}

/// `y = x / sqrt(mean(x^2) + eps) * w` per row of `n` floats, over `n_tokens` rows, optionally
/// after `x += residual` (shaders/rms_norm.wgsl): a residual add and the norm after it in one
/// dispatch.
pub struct RmsNorm {
    pipeline: wgpu::ComputePipeline,
    no_residual: wgpu::Buffer,
}

/// An [`RmsNorm`] bound to its buffers.
#[derive(Clone, Debug)]
pub struct BoundRmsNorm {
    dispatch: Dispatch,
    adds: bool,
}

impl RmsNorm {
    pub fn new(ctx: &Context) -> Self {
        Self {
            pipeline: pipeline(
                ctx,
                "rms_norm",
                &[STEP_WGSL, include_str!("../../../shaders/rms_norm.wgsl")].concat(),
                "main",
            ),
            no_residual: placeholder(ctx, "rms_norm.no_residual"),
        }
    }

    /// `x` (updated in place when there is a residual), `residual` and `y` hold `[n_tokens][n]`
    /// floats, `y` apart from the others; `weight` holds `n` floats.
    #[allow(clippy::too_many_arguments)] // each is one binding or one model constant
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        x: &wgpu::Buffer,
        residual: Option<&wgpu::Buffer>,
        weight: &wgpu::Buffer,
        y: &wgpu::Buffer,
        n: u32,
        eps: f32,
    ) -> Result<BoundRmsNorm, GpuError> {
        check_storage(ctx, "rms_norm x", x, f32_bytes(n))?;
        check_storage(ctx, "rms_norm weight", weight, f32_bytes(n))?;
        check_storage(ctx, "rms_norm y", y, f32_bytes(n))?;
        if let Some(r) = residual {
            check_storage(ctx, "rms_norm residual", r, f32_bytes(n))?;
        }
        let add = u32::from(residual.is_some());
        let params = uniform(ctx, "rms_norm.params", &RmsNormParams { n, eps, add, _pad: 0 });
        let r = residual.unwrap_or(&self.no_residual);
        let dispatch = Dispatch::new(ctx, "rms_norm", &self.pipeline, &[x, r, weight, y, &params, step.buffer()]);
        Ok(BoundRmsNorm { dispatch, adds: residual.is_some() })
    }
}

impl BoundRmsNorm {
    /// Whether it adds a residual first.
    pub fn adds_residual(&self) -> bool {
        self.adds
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        self.dispatch.record(pass, grid(n_tokens));
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
