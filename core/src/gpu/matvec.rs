//! Weight times activations: [`Matvec`] for one token (decode), [`Matmul`] for many (prefill), and
//! [`MatvecGlu`], the feed-forward block's gate and up projections with their activation.
//! One pipeline per weight type, each built from that type's `shaders/weights_*.wgsl` library and
//! the kernel; a split weight records one dispatch per chunk, each writing its own rows of y.

use super::kernels::{Dispatch, check_storage, f32_bytes, grid, pipeline, placeholder, storage_params, uniform};
use super::step::STEP_WGSL;
use super::weight::{WeightChunk, format, row_steps};
use super::{Activation, Context, GpuError, Step, Weight};
use crate::quant::Type;

/// `WG * R` in shaders/matvec_rows.wgsl.
const MATVEC_ROWS_ROWS_PER_GROUP: u32 = 64;
const MATMUL_TILE: u32 = 64;
/// `WG * ROWS` in shaders/matmul_rows.wgsl.
const MATMUL_ROWS_ROWS_PER_GROUP: u32 = 64;
/// The uniform binding through which the CPU-adapter kernels read x (`array<vec4<f32>, 4096>`).
pub(crate) const X_WINDOW_BYTES: u64 = 64 << 10;

/// Source of a kernel for weight type `ty`: the `before` libraries, its format library, then the
/// kernel files.
fn source(ty: Type, before: &[&str], kernel: &[&str], subgroups: bool) -> String {
    let mut s = String::new();
    // Browsers require the directive; naga (native) rejects it and needs none.
    if subgroups && cfg!(target_arch = "wasm32") {
        s.push_str("enable subgroups;\n");
    }
    s.push_str(&before.concat());
    s.push_str(format(ty).map(|(lib, _)| lib).unwrap_or_default());
    s.push_str(&kernel.concat());
    s
}

/// Where a projection's rows land in its output buffer: row r of token t at
/// `t * stride + offset + r` (a part of a wider row, such as q in a stacked QKV row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputRows {
    pub offset: u32,
    pub stride: u32,
}

impl OutputRows {
    /// The rows fill the output rows: offset 0, stride `weight.rows()`.
    pub fn whole(weight: &Weight) -> Self {
        Self { offset: 0, stride: weight.rows() }
    }

    fn check(&self, weight: &Weight) -> Result<(), GpuError> {
        if self.offset.checked_add(weight.rows()).is_none_or(|end| end > self.stride) {
            return Err(GpuError::Shape(format!(
                "{} rows at offset {} of output rows {} floats long",
                weight.rows(),
                self.offset,
                self.stride
            )));
        }
        Ok(())
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatvecParams {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    has_bias: u32,
    out_offset: u32,
    act: u32,
    _pad: u32,
}

const MATVEC_COMMON: &str = include_str!("../../../shaders/matvec_common.wgsl");
const MATVEC: &str = include_str!("../../../shaders/matvec.wgsl");
const MATVEC_ROWS: &str = include_str!("../../../shaders/matvec_rows.wgsl");
const MATMUL: &str = include_str!("../../../shaders/matmul.wgsl");
const MATMUL_ROWS: &str = include_str!("../../../shaders/matmul_rows.wgsl");

/// The reduction library matvec.wgsl's kernels end with.
fn reduction(ctx: &Context) -> &'static str {
    if ctx.uses_subgroups() {
        include_str!("../../../shaders/matvec_subgroup.wgsl")
    } else {
        include_str!("../../../shaders/matvec_tree.wgsl")
    }
}

/// matvec.wgsl's workgroup shape for rows of `units` 32-element units: (WG threads, ROWS rows).
/// A workgroup's threads split each row's units, so long rows get more threads and fewer rows
/// per workgroup, keeping the workgroup count high for the few long rows of a feed-forward down
/// projection. On an H200 (Vulkan), 4864 -> 896 took 44 us in Q4_0 and 63 to 109 us in the other
/// types with 32 x 8, and 16 to 38 us with 128 x 2; 64 x 4 did no better than 32 x 8 at 2048 -> 8192.
fn gpu_shape(units: u32) -> (u32, u32) {
    if units <= 96 { (32, 8) } else { (128, 2) }
}

/// A matrix-vector kernel's pipelines, each compiled when a weight first needs it (through the
/// context's cache, so a model compiles only its own weight types): the GPU layout (matvec.wgsl)
/// per weight type and workgroup shape, and on CPU adapters the row-per-invocation layout
/// (matvec_rows.wgsl) per weight type.
struct MatvecPipelines {
    label: &'static str,
    entry: &'static str,
    before: &'static [&'static str],
    gpu_extra: &'static str,
    /// The file after matvec_rows.wgsl, on a context that uses the CPU kernels.
    cpu_extra: Option<&'static str>,
    /// Output rows per workgroup are the shape's ROWS divided by this (the fused kernel pairs rows).
    rows_divisor: u32,
    cpu_rows: u32,
}

/// The pipeline a binding uses, how it binds x, and the output rows per workgroup.
struct Chosen<'a> {
    pipeline: wgpu::ComputePipeline,
    x: wgpu::BufferBinding<'a>,
    rows_per_group: u32,
    cpu: bool,
}

impl MatvecPipelines {
    /// `before`: libraries ahead of the format library; `gpu_extra` and `cpu_extra`: files after
    /// matvec.wgsl and matvec_rows.wgsl.
    fn new(
        ctx: &Context,
        (label, entry): (&'static str, &'static str),
        before: &'static [&'static str],
        [gpu_extra, cpu_extra]: [&'static str; 2],
        [rows_divisor, cpu_rows]: [u32; 2],
    ) -> Self {
        let cpu_extra = ctx.uses_cpu_kernels().then_some(cpu_extra);
        Self { label, entry, before, gpu_extra, cpu_extra, rows_divisor, cpu_rows }
    }

    /// The CPU layout when the context has it and x can be bound as its 64 KiB uniform window
    /// (a buffer with UNIFORM usage, at least 64 KiB, and at most 16,384 columns); else the GPU
    /// layout in the workgroup shape for rows of `units` units.
    fn choose<'a>(
        &self,
        ctx: &Context,
        ty: Type,
        x: &'a wgpu::Buffer,
        cols: u32,
        units: u32,
    ) -> Result<Chosen<'a>, GpuError> {
        let window = x.usage().contains(wgpu::BufferUsages::UNIFORM)
            && x.size() >= X_WINDOW_BYTES
            && f32_bytes(cols) <= X_WINDOW_BYTES;
        if format(ty).is_none() {
            return Err(GpuError::Unsupported(format!("{ty} weights")));
        }
        if let (Some(cpu_extra), true) = (self.cpu_extra, window) {
            let x = wgpu::BufferBinding { buffer: x, offset: 0, size: wgpu::BufferSize::new(X_WINDOW_BYTES) };
            let source = source(ty, self.before, &[row_steps(ty), MATVEC_COMMON, MATVEC_ROWS, cpu_extra], false);
            let pipeline = pipeline(ctx, &format!("{}.cpu.{ty}", self.label), &source, self.entry);
            return Ok(Chosen { pipeline, x, rows_per_group: self.cpu_rows, cpu: true });
        }
        let (wg, rows) = ctx.matvec_shape().unwrap_or(gpu_shape(units));
        let shape = format!("const WG: u32 = {wg}u;\nconst ROWS: u32 = {rows}u;\n");
        let before: Vec<&str> = std::iter::once(shape.as_str()).chain(self.before.iter().copied()).collect();
        let kernel = [MATVEC_COMMON, MATVEC, self.gpu_extra, reduction(ctx)];
        let source = source(ty, &before, &kernel, ctx.uses_subgroups());
        let pipeline = pipeline(ctx, &format!("{}.{ty}.{wg}x{rows}", self.label), &source, self.entry);
        let x = x.as_entire_buffer_binding();
        Ok(Chosen { pipeline, x, rows_per_group: rows / self.rows_divisor, cpu: false })
    }
}

/// `y = W x (+ bias)` for one token (shaders/matvec.wgsl, reducing with matvec_subgroup.wgsl when
/// the context uses subgroups, else matvec_tree.wgsl; shaders/matvec_rows.wgsl on CPU adapters).
pub struct Matvec {
    pipelines: MatvecPipelines,
    no_bias: wgpu::Buffer,
}

/// A [`Matvec`] bound to a weight and its input and output buffers.
#[derive(Clone, Debug)]
pub struct BoundMatvec {
    ty: Type,
    cpu: bool,
    dispatches: Vec<(Dispatch, (u32, u32))>,
}

impl Matvec {
    pub fn new(ctx: &Context) -> Self {
        Self {
            pipelines: MatvecPipelines::new(ctx, ("matvec", "main"), &[], ["", ""], [1, MATVEC_ROWS_ROWS_PER_GROUP]),
            no_bias: placeholder(ctx, "matvec.no_bias"),
        }
    }

    /// `x` holds `weight.cols()` floats and `bias` `weight.rows()`; `y` holds the rows (`out`
    /// places them inside a wider row; `None`: `y` holds just them). On a CPU adapter, an `x` of at
    /// least 64 KiB made with UNIFORM usage (as `storage_zeroed` and `storage_f32` make them) gets
    /// the CPU kernel.
    pub fn bind(
        &self,
        ctx: &Context,
        weight: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        out: Option<OutputRows>,
    ) -> Result<BoundMatvec, GpuError> {
        let chosen = self.pipelines.choose(ctx, weight.ty(), x, weight.cols(), weight.units())?;
        let out = out.unwrap_or(OutputRows::whole(weight));
        out.check(weight)?;
        check_storage(ctx, "matvec x", x, f32_bytes(weight.cols()))?;
        check_storage(ctx, "matvec y", y, f32_bytes(out.stride))?;
        if let Some(b) = bias {
            check_storage(ctx, "matvec bias", b, f32_bytes(weight.rows()))?;
        }
        let dispatches = weight
            .chunks()
            .iter()
            .map(|chunk| {
                let params = MatvecParams {
                    rows: chunk.rows,
                    units: weight.units(),
                    row_words: weight.row_words(),
                    first_row: chunk.first_row,
                    has_bias: u32::from(bias.is_some()),
                    out_offset: out.offset,
                    act: 0,
                    _pad: 0,
                };
                let params = uniform(ctx, "matvec.params", &params);
                let bias = bias.unwrap_or(&self.no_bias);
                let buffers = [&chunk.buffer, y, bias, &params].map(wgpu::Buffer::as_entire_buffer_binding);
                let [weights, y, bias, params] = buffers;
                let bindings = [(0, weights), (1, chosen.x.clone()), (2, y), (3, bias), (4, params)];
                let dispatch = Dispatch::with_bindings(ctx, "matvec", &chosen.pipeline, &bindings);
                (dispatch, grid(chunk.rows.div_ceil(chosen.rows_per_group)))
            })
            .collect();
        Ok(BoundMatvec { ty: weight.ty(), cpu: chosen.cpu, dispatches })
    }
}

impl BoundMatvec {
    pub fn weight_type(&self) -> Type {
        self.ty
    }

    /// Whether it runs the CPU-adapter kernel (shaders/matvec_rows.wgsl).
    pub fn uses_cpu_kernel(&self) -> bool {
        self.cpu
    }

    /// One dispatch per weight buffer.
    pub fn dispatch_count(&self) -> usize {
        self.dispatches.len()
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        for (dispatch, groups) in &self.dispatches {
            dispatch.record(pass, *groups);
        }
    }
}

/// `y[r] = act(dot(W[r], x)) * dot(W[rows + r], x)` for one token, with W the stacked
/// `[gate; up]` weight of the feed-forward block in one buffer (shaders/matvec_glu.wgsl, or
/// matvec_rows_glu.wgsl on CPU adapters): both projections and the activation in one dispatch.
pub struct MatvecGlu {
    pipelines: MatvecPipelines,
}

/// A [`MatvecGlu`] bound to its stacked weight, input and output.
#[derive(Clone, Debug)]
pub struct BoundMatvecGlu {
    ty: Type,
    cpu: bool,
    dispatch: Dispatch,
    groups: (u32, u32),
}

impl MatvecGlu {
    pub fn new(ctx: &Context) -> Self {
        const BEFORE: &[&str] = &[include_str!("../../../shaders/activation.wgsl")];
        let extra =
            [include_str!("../../../shaders/matvec_glu.wgsl"), include_str!("../../../shaders/matvec_rows_glu.wgsl")];
        // Each workgroup pairs half its rows' gate with their up.
        let rows = [2, MATVEC_ROWS_ROWS_PER_GROUP / 2];
        Self { pipelines: MatvecPipelines::new(ctx, ("matvec_glu", "main_glu"), BEFORE, extra, rows) }
    }

    /// `gate_up` stacks the gate's rows over the up projection's (an even number of rows, in one
    /// buffer); `x` holds `gate_up.cols()` floats and `y` half its rows. `x` picks the kernel as in
    /// [`Matvec::bind`].
    pub fn bind(
        &self,
        ctx: &Context,
        gate_up: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        activation: Activation,
    ) -> Result<BoundMatvecGlu, GpuError> {
        let chosen = self.pipelines.choose(ctx, gate_up.ty(), x, gate_up.cols(), gate_up.units())?;
        let [chunk] = gate_up.chunks() else {
            return Err(GpuError::Unsupported(format!(
                "a fused gate and up projection split over {} buffers",
                gate_up.chunk_count()
            )));
        };
        if !gate_up.rows().is_multiple_of(2) {
            return Err(GpuError::Shape(format!("{} rows cannot stack two equal projections", gate_up.rows())));
        }
        let rows = gate_up.rows() / 2;
        check_storage(ctx, "matvec_glu x", x, f32_bytes(gate_up.cols()))?;
        check_storage(ctx, "matvec_glu y", y, f32_bytes(rows))?;
        let params = MatvecParams {
            rows,
            units: gate_up.units(),
            row_words: gate_up.row_words(),
            first_row: 0,
            has_bias: 0,
            out_offset: 0,
            act: activation.code(),
            _pad: 0,
        };
        let params = uniform(ctx, "matvec_glu.params", &params);
        // Binding 3 (bias) is matvec_common.wgsl's and unused here.
        let buffers = [
            (0, chunk.buffer.as_entire_buffer_binding()),
            (1, chosen.x),
            (2, y.as_entire_buffer_binding()),
            (4, params.as_entire_buffer_binding()),
        ];
        let dispatch = Dispatch::with_bindings(ctx, "matvec_glu", &chosen.pipeline, &buffers);
        let groups = grid(rows.div_ceil(chosen.rows_per_group));
        Ok(BoundMatvecGlu { ty: gate_up.ty(), cpu: chosen.cpu, dispatch, groups })
    }
}

impl BoundMatvecGlu {
    pub fn weight_type(&self) -> Type {
        self.ty
    }

    /// Whether it runs the CPU-adapter kernel (shaders/matvec_rows_glu.wgsl).
    pub fn uses_cpu_kernel(&self) -> bool {
        self.cpu
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.dispatch.record(pass, self.groups);
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulParams {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    stride: u32,
    has_bias: u32,
    out_offset: u32,
    _pad: u32,
}

impl MatmulParams {
    fn new(weight: &Weight, chunk: &WeightChunk, out: OutputRows, has_bias: u32) -> Self {
        Self {
            rows: chunk.rows,
            units: weight.units(),
            row_words: weight.row_words(),
            first_row: chunk.first_row,
            stride: out.stride,
            has_bias,
            out_offset: out.offset,
            _pad: 0,
        }
    }
}

/// shaders/matmul_rows.wgsl's parameters: matmul.wgsl's, where its token group starts and where
/// in each of its windows of x the group's tokens start.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulRowsParams {
    matmul: MatmulParams,
    tok0: u32,
    _pad: [u32; 3],
    x_first: [u32; MATMUL_ROWS_WINDOWS],
}

/// Most tokens per dispatch of shaders/matmul_rows.wgsl: past 8 its registers spill (lavapipe at
/// Qwen2.5-0.5B's shapes: 16 tokens a dispatch took 4x longer per token than 8).
const MATMUL_ROWS_MAX_TOKENS: u32 = 8;
/// The uniform windows of x shaders/matmul_rows.wgsl reads (`WINDOWS`; WebGPU guarantees 12
/// uniform bindings a stage): 8 tokens of rows up to 8,192 columns long, at least 4 up to 16,384.
const MATMUL_ROWS_WINDOWS: usize = 4;

/// How shaders/matmul_rows.wgsl covers `max_tokens` tokens of `cols` columns through 64 KiB
/// windows of x starting on `align`-byte boundaries. `None` when not even one token fits a window.
#[derive(Debug, PartialEq)]
struct RowsPlan {
    /// Tokens per dispatch (`TOK`).
    tokens: u32,
    /// Tokens per window (`TPW`).
    per_window: u32,
    /// Per dispatch, each window's byte offset and the vec4 index of its first token in it; the
    /// windows its tokens do not reach repeat the first.
    groups: Vec<[(u64, u32); MATMUL_ROWS_WINDOWS]>,
}

fn matmul_rows_plan(cols: u32, max_tokens: u32, align: u64) -> Option<RowsPlan> {
    let max_tokens = max_tokens.max(1);
    let token_bytes = f32_bytes(cols);
    let slack = if token_bytes.is_multiple_of(align) { 0 } else { align - 4 };
    let fit = X_WINDOW_BYTES.checked_sub(slack)? / token_bytes;
    let per_window = fit.min(u64::from(MATMUL_ROWS_MAX_TOKENS)) as u32;
    if per_window == 0 {
        return None;
    }
    let tokens = (per_window * MATMUL_ROWS_WINDOWS as u32).min(MATMUL_ROWS_MAX_TOKENS).min(max_tokens);
    let window = |first_token: u32| {
        let start = u64::from(first_token) * token_bytes;
        let offset = start / align * align;
        (offset, ((start - offset) / 16) as u32)
    };
    let groups = (0..max_tokens.div_ceil(tokens))
        .map(|g| {
            let tok0 = g * tokens;
            let mut windows = [window(tok0); MATMUL_ROWS_WINDOWS];
            for (w, slot) in (0u32..).zip(windows.iter_mut()) {
                let first = tok0 + w * per_window;
                if first < (tok0 + tokens).min(max_tokens) {
                    *slot = window(first);
                }
            }
            windows
        })
        .collect();
    Some(RowsPlan { tokens, per_window: per_window.min(tokens), groups })
}

/// `Y[t] = W X[t] (+ bias)` for `n_tokens` tokens: prompt prefill. On GPUs shaders/matmul.wgsl,
/// reading each weight tile once per 64 tokens through workgroup memory; on CPU adapters
/// shaders/matmul_rows.wgsl, loading each weight unit once per 8 tokens into registers.
pub struct Matmul {
    no_bias: wgpu::Buffer,
}

/// A [`Matmul`] bound to a weight and its input and output buffers.
#[derive(Clone, Debug)]
pub struct BoundMatmul {
    ty: Type,
    dispatches: MatmulDispatches,
}

#[derive(Clone, Debug)]
enum MatmulDispatches {
    /// matmul.wgsl: per weight chunk, its dispatch and row tiles.
    Tiles(Vec<(Dispatch, u32)>),
    /// matmul_rows.wgsl: per group of `tokens` tokens and weight chunk, the group's index, its
    /// dispatch and workgroups.
    Rows { tokens: u32, max_tokens: u32, dispatches: Vec<(u32, Dispatch, (u32, u32))> },
}

impl Matmul {
    pub fn new(ctx: &Context) -> Self {
        Self { no_bias: placeholder(ctx, "matmul.no_bias") }
    }

    /// For up to `max_tokens` tokens an encode: `x` holds `[max_tokens][weight.cols()]` floats and
    /// `y` each token's rows (`out` places them inside wider rows; `None`:
    /// `[max_tokens][weight.rows()]`); `bias` holds `weight.rows()` floats. On a CPU adapter, an `x`
    /// made with UNIFORM usage (as `storage_zeroed` and `storage_f32` make them) and 64 KiB longer
    /// than its tokens gets the CPU kernel (as the model allocates its activations).
    #[allow(clippy::too_many_arguments)] // each is one binding, the output layout or the batch size
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        weight: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        out: Option<OutputRows>,
        max_tokens: u32,
    ) -> Result<BoundMatmul, GpuError> {
        let out = out.unwrap_or(OutputRows::whole(weight));
        out.check(weight)?;
        let max_tokens = max_tokens.max(1);
        check_storage(ctx, "matmul x", x, f32_bytes(weight.cols()) * u64::from(max_tokens))?;
        check_storage(ctx, "matmul y", y, f32_bytes(out.stride) * u64::from(max_tokens))?;
        if let Some(b) = bias {
            check_storage(ctx, "matmul bias", b, f32_bytes(weight.rows()))?;
        }
        if let Some(rows) = self.bind_rows(ctx, step, weight, x, y, bias, out, max_tokens)? {
            return Ok(rows);
        }
        let has_bias = u32::from(bias.is_some());
        let bias = bias.unwrap_or(&self.no_bias);
        let ty = weight.ty();
        if format(ty).is_none() {
            return Err(GpuError::Unsupported(format!("{ty} weights")));
        }
        // Compiled when a weight of this type is first bound (the context caches it).
        let pipeline = &pipeline(ctx, &format!("matmul.{ty}"), &source(ty, &[STEP_WGSL], &[MATMUL], false), "main");
        let mut dispatches = Vec::new();
        for chunk in weight.chunks() {
            let row_tiles = chunk.rows.div_ceil(MATMUL_TILE);
            if row_tiles > 65_535 {
                return Err(GpuError::Unsupported(format!("matmul over {} rows in one buffer", chunk.rows)));
            }
            let params = uniform(ctx, "matmul.params", &MatmulParams::new(weight, chunk, out, has_bias));
            let buffers = [&chunk.buffer, x, y, bias, &params, step.buffer()];
            dispatches.push((Dispatch::new(ctx, "matmul", pipeline, &buffers), row_tiles));
        }
        Ok(BoundMatmul { ty: weight.ty(), dispatches: MatmulDispatches::Tiles(dispatches) })
    }

    /// The CPU-adapter binding (shaders/matmul_rows.wgsl), when the context uses the CPU kernels
    /// and every token group's 64 KiB window of `x` lies inside it; else `None`.
    #[allow(clippy::too_many_arguments)]
    fn bind_rows(
        &self,
        ctx: &Context,
        step: &Step,
        weight: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        out: OutputRows,
        max_tokens: u32,
    ) -> Result<Option<BoundMatmul>, GpuError> {
        let align = u64::from(ctx.device.limits().min_uniform_buffer_offset_alignment);
        let plan = matmul_rows_plan(weight.cols(), max_tokens, align);
        let Some(RowsPlan { tokens, per_window, groups }) = plan.filter(|_| ctx.uses_cpu_kernels()) else {
            return Ok(None);
        };
        let fits = |&(offset, _): &(u64, u32)| offset + X_WINDOW_BYTES <= x.size();
        if !x.usage().contains(wgpu::BufferUsages::UNIFORM) || !groups.iter().flatten().all(fits) {
            return Ok(None);
        }
        let Some((lib, _)) = format(weight.ty()) else {
            return Err(GpuError::Unsupported(format!("{} weights", weight.ty())));
        };
        let consts = format!("const TOK: u32 = {tokens}u;\nconst TPW: u32 = {per_window}u;\n");
        let source = [&consts, STEP_WGSL, lib, MATMUL_ROWS].concat();
        let label = format!("matmul_rows.{}.{tokens}.{per_window}", weight.ty());
        let pipeline = pipeline(ctx, &label, &source, "main");
        let has_bias = u32::from(bias.is_some());
        let bias = bias.unwrap_or(&self.no_bias);
        let mut dispatches = Vec::new();
        for (g, windows) in (0u32..).zip(&groups) {
            for chunk in weight.chunks() {
                let params = MatmulRowsParams {
                    matmul: MatmulParams::new(weight, chunk, out, has_bias),
                    tok0: g * tokens,
                    _pad: [0; 3],
                    x_first: windows.map(|(_, first)| first),
                };
                let params = storage_params(ctx, "matmul_rows.params", &params);
                let window = |w: usize| wgpu::BufferBinding {
                    buffer: x,
                    offset: windows[w].0,
                    size: wgpu::BufferSize::new(X_WINDOW_BYTES),
                };
                let bindings = [
                    (0, chunk.buffer.as_entire_buffer_binding()),
                    (1, window(0)),
                    (2, y.as_entire_buffer_binding()),
                    (3, bias.as_entire_buffer_binding()),
                    (4, params.as_entire_buffer_binding()),
                    (5, step.buffer().as_entire_buffer_binding()),
                    (6, window(1)),
                    (7, window(2)),
                    (8, window(3)),
                ];
                let dispatch = Dispatch::with_bindings(ctx, "matmul_rows", &pipeline, &bindings);
                dispatches.push((g, dispatch, grid(chunk.rows.div_ceil(MATMUL_ROWS_ROWS_PER_GROUP))));
            }
        }
        let dispatches = MatmulDispatches::Rows { tokens, max_tokens, dispatches };
        Ok(Some(BoundMatmul { ty: weight.ty(), dispatches }))
    }
}

impl BoundMatmul {
    pub fn weight_type(&self) -> Type {
        self.ty
    }

    /// Whether it runs the CPU-adapter kernel (shaders/matmul_rows.wgsl).
    pub fn uses_cpu_kernel(&self) -> bool {
        matches!(self.dispatches, MatmulDispatches::Rows { .. })
    }

    /// The dispatches `encode(pass, n_tokens)` records: one per weight buffer, and on a CPU
    /// adapter that per group of up to 8 tokens.
    pub fn dispatch_count(&self, n_tokens: u32) -> usize {
        match &self.dispatches {
            MatmulDispatches::Tiles(dispatches) => dispatches.len(),
            MatmulDispatches::Rows { .. } => self.rows_dispatches(n_tokens).count(),
        }
    }

    fn rows_dispatches(&self, n_tokens: u32) -> impl Iterator<Item = (&Dispatch, (u32, u32))> {
        let (tokens, dispatches) = match &self.dispatches {
            MatmulDispatches::Rows { tokens, dispatches, .. } => (*tokens, dispatches.as_slice()),
            MatmulDispatches::Tiles(_) => (1, &[][..]),
        };
        let groups = n_tokens.max(1).div_ceil(tokens);
        dispatches.iter().filter(move |(g, ..)| *g < groups).map(|(_, d, grid)| (d, *grid))
    }

    /// `n_tokens` must be at most the `max_tokens` it was bound for (and 64 * 65,535).
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        match &self.dispatches {
            MatmulDispatches::Tiles(dispatches) => {
                let token_tiles = n_tokens.div_ceil(MATMUL_TILE).clamp(1, 65_535);
                for (dispatch, row_tiles) in dispatches {
                    dispatch.record(pass, (*row_tiles, token_tiles));
                }
            }
            MatmulDispatches::Rows { max_tokens, .. } => {
                debug_assert!(n_tokens <= *max_tokens, "{n_tokens} tokens through a matmul bound for {max_tokens}");
                for (dispatch, groups) in self.rows_dispatches(n_tokens) {
                    dispatch.record(pass, groups);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_rows_go_eight_tokens_through_one_window() {
        let plan = matmul_rows_plan(896, 64, 256).unwrap();
        assert_eq!((plan.tokens, plan.per_window), (8, 8));
        let starts: Vec<u64> = (0..8).map(|g| g * 8 * 896 * 4).collect();
        assert_eq!(plan.groups, starts.into_iter().map(|s| [(s, 0); 4]).collect::<Vec<_>>());
    }

    #[test]
    fn long_rows_spread_eight_tokens_over_several_windows() {
        // Qwen2.5-0.5B's ffn_down: 4,864 columns, 19,456 bytes a token, 3 tokens a window.
        let plan = matmul_rows_plan(4864, 64, 256).unwrap();
        assert_eq!((plan.tokens, plan.per_window, plan.groups.len()), (8, 3, 8));
        let window = |token: u64| (token * 19_456 / 256 * 256, (token * 19_456 % 256 / 16) as u32);
        assert_eq!(plan.groups[1], [window(8), window(11), window(14), window(8)]);
    }

    #[test]
    fn rows_of_8192_columns_take_two_tokens_a_window_and_all_four_windows() {
        // Llama 3.2 1B's ffn_down.
        let plan = matmul_rows_plan(8192, 64, 256).unwrap();
        assert_eq!((plan.tokens, plan.per_window), (8, 2));
        assert_eq!(plan.groups[0], [(0, 0), (65_536, 0), (131_072, 0), (196_608, 0)]);
    }

    #[test]
    fn windows_start_on_the_alignment_before_their_first_token() {
        // 2,080 columns: 8,320 bytes a token, 7 tokens a window (the 252-byte slack keeps 8 out).
        let plan = matmul_rows_plan(2080, 16, 256).unwrap();
        assert_eq!((plan.tokens, plan.per_window), (8, 7));
        // Token 7 starts at 58,240 = 58,112 + 8 vec4s, token 8 at 66,560 = 66,560 + 0, token 15
        // at 124,800 = 124,672 + 8.
        assert_eq!(plan.groups[0], [(0, 0), (58_112, 8), (0, 0), (0, 0)]);
        assert_eq!(plan.groups[1], [(66_560, 0), (66_560 + 58_112, 8), (66_560, 0), (66_560, 0)]);
    }

    #[test]
    fn a_batch_smaller_than_a_dispatch_is_one_group() {
        let plan = matmul_rows_plan(896, 3, 256).unwrap();
        assert_eq!((plan.tokens, plan.per_window, plan.groups), (3, 3, vec![[(0, 0); 4]]));
    }

    #[test]
    fn the_last_group_binds_only_windows_its_tokens_reach() {
        // 10 tokens of 8,192 columns: the second group's tokens 8 and 9 fill its first window.
        let plan = matmul_rows_plan(8192, 10, 256).unwrap();
        assert_eq!(plan.groups[1], [(8 * 32_768, 0); 4]);
    }

    #[test]
    fn rows_longer_than_a_window_have_no_plan() {
        assert_eq!(matmul_rows_plan(16_416, 64, 256), None);
    }
}
