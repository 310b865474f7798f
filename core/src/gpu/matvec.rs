//! Weight times activations: [`Matvec`] for one token (decode), [`Matmul`] for many (prefill).
//! One pipeline per weight type, each built from that type's `shaders/weights_*.wgsl` library and
//! the kernel; a split weight records one dispatch per chunk, each writing its own rows of y.

use super::kernels::{Dispatch, check_storage, f32_bytes, grid, pipeline, placeholder, uniform};
use super::weight::{SUPPORTED_TYPES, format};
use super::{Context, GpuError, Step, Weight};
use crate::quant::Type;

/// `ROWS` in shaders/matvec.wgsl.
const MATVEC_ROWS_PER_GROUP: u32 = 8;
const MATMUL_TILE: u32 = 64;

/// Source of a kernel for weight type `ty`: its format library, then the kernel files.
fn source(ty: Type, kernel: &[&str], subgroups: bool) -> String {
    let mut s = String::new();
    // Browsers require the directive; naga (native) rejects it and needs none.
    if subgroups && cfg!(target_arch = "wasm32") {
        s.push_str("enable subgroups;\n");
    }
    s.push_str(format(ty).map(|(lib, _)| lib).unwrap_or_default());
    for part in kernel {
        s.push_str(part);
    }
    s
}

fn pipeline_for(pipelines: &[(Type, wgpu::ComputePipeline)], ty: Type) -> Result<&wgpu::ComputePipeline, GpuError> {
    pipelines
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, p)| p)
        .ok_or_else(|| GpuError::Unsupported(format!("{ty} weights")))
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatvecParams {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    has_bias: u32,
    _pad: [u32; 3],
}

/// `y = W x (+ bias)` for one token (shaders/matvec.wgsl, and matvec_subgroup.wgsl when the
/// context uses subgroups).
pub struct Matvec {
    pipelines: Vec<(Type, wgpu::ComputePipeline)>,
    no_bias: wgpu::Buffer,
}

/// A [`Matvec`] bound to a weight and its input and output buffers.
#[derive(Clone, Debug)]
pub struct BoundMatvec {
    ty: Type,
    dispatches: Vec<(Dispatch, (u32, u32))>,
}

impl Matvec {
    pub fn new(ctx: &Context) -> Self {
        let subgroups = ctx.uses_subgroups();
        let mut kernel = vec![include_str!("../../../shaders/matvec.wgsl")];
        if subgroups {
            kernel.push(include_str!("../../../shaders/matvec_subgroup.wgsl"));
        }
        let entry = if subgroups { "main_subgroup" } else { "main" };
        let pipelines = SUPPORTED_TYPES
            .iter()
            .map(|&ty| (ty, pipeline(ctx, &format!("matvec.{ty}"), &source(ty, &kernel, subgroups), entry)))
            .collect();
        Self { pipelines, no_bias: placeholder(ctx, "matvec.no_bias") }
    }

    /// `x` holds `weight.cols()` floats, `y` (and `bias`) `weight.rows()`.
    pub fn bind(
        &self,
        ctx: &Context,
        weight: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
    ) -> Result<BoundMatvec, GpuError> {
        let pipeline = pipeline_for(&self.pipelines, weight.ty())?;
        check_storage(ctx, "matvec x", x, f32_bytes(weight.cols()))?;
        check_storage(ctx, "matvec y", y, f32_bytes(weight.rows()))?;
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
                    _pad: [0; 3],
                };
                let params = uniform(ctx, "matvec.params", &params);
                let bias = bias.unwrap_or(&self.no_bias);
                let dispatch = Dispatch::new(ctx, "matvec", pipeline, &[&chunk.buffer, x, y, bias, &params]);
                (dispatch, grid(chunk.rows.div_ceil(MATVEC_ROWS_PER_GROUP)))
            })
            .collect();
        Ok(BoundMatvec { ty: weight.ty(), dispatches })
    }
}

impl BoundMatvec {
    pub fn weight_type(&self) -> Type {
        self.ty
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

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulParams {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    total_rows: u32,
    has_bias: u32,
    _pad: [u32; 2],
}

/// `Y[t] = W X[t] (+ bias)` for `n_tokens` tokens (shaders/matmul.wgsl): prompt prefill, reading
/// each weight tile once per 64 tokens.
pub struct Matmul {
    pipelines: Vec<(Type, wgpu::ComputePipeline)>,
    no_bias: wgpu::Buffer,
}

/// A [`Matmul`] bound to a weight and its input and output buffers.
#[derive(Clone, Debug)]
pub struct BoundMatmul {
    ty: Type,
    dispatches: Vec<(Dispatch, u32)>,
}

impl Matmul {
    pub fn new(ctx: &Context) -> Self {
        let kernel = [include_str!("../../../shaders/matmul.wgsl")];
        let pipelines = SUPPORTED_TYPES
            .iter()
            .map(|&ty| (ty, pipeline(ctx, &format!("matmul.{ty}"), &source(ty, &kernel, false), "main")))
            .collect();
        Self { pipelines, no_bias: placeholder(ctx, "matmul.no_bias") }
    }

    /// `x` holds `[n_tokens][weight.cols()]` floats and `y` `[n_tokens][weight.rows()]` for the
    /// largest `n_tokens` you will encode; `bias` holds `weight.rows()` floats.
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        weight: &Weight,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
    ) -> Result<BoundMatmul, GpuError> {
        let pipeline = pipeline_for(&self.pipelines, weight.ty())?;
        check_storage(ctx, "matmul x", x, f32_bytes(weight.cols()))?;
        check_storage(ctx, "matmul y", y, f32_bytes(weight.rows()))?;
        if let Some(b) = bias {
            check_storage(ctx, "matmul bias", b, f32_bytes(weight.rows()))?;
        }
        let mut dispatches = Vec::new();
        for chunk in weight.chunks() {
            let row_tiles = chunk.rows.div_ceil(MATMUL_TILE);
            if row_tiles > 65_535 {
                return Err(GpuError::Unsupported(format!("matmul over {} rows in one buffer", chunk.rows)));
            }
            let params = MatmulParams {
                rows: chunk.rows,
                units: weight.units(),
                row_words: weight.row_words(),
                first_row: chunk.first_row,
                total_rows: weight.rows(),
                has_bias: u32::from(bias.is_some()),
                _pad: [0; 2],
            };
            let params = uniform(ctx, "matmul.params", &params);
            let bias = bias.unwrap_or(&self.no_bias);
            let buffers = [&chunk.buffer, x, y, bias, &params, step.buffer()];
            dispatches.push((Dispatch::new(ctx, "matmul", pipeline, &buffers), row_tiles));
        }
        Ok(BoundMatmul { ty: weight.ty(), dispatches })
    }
}

impl BoundMatmul {
    pub fn weight_type(&self) -> Type {
        self.ty
    }

    /// One dispatch per weight buffer.
    pub fn dispatch_count(&self) -> usize {
        self.dispatches.len()
    }

    /// `n_tokens` must be at most 64 * 65,535.
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        let token_tiles = n_tokens.div_ceil(MATMUL_TILE).clamp(1, 65_535);
        for (dispatch, row_tiles) in &self.dispatches {
            dispatch.record(pass, (*row_tiles, token_tiles));
        }
    }
}
