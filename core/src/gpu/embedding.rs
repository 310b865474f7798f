//! Token embedding lookup from a (possibly row-split) `token_embd` weight of any supported type.

use super::kernels::{Dispatch, check_storage, f32_bytes, grid, pipeline, uniform};
use super::step::STEP_WGSL;
use super::weight::format;
use super::{Context, ELEMENTWISE_WORKGROUP, GpuError, Step, Weight};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EmbeddingParams {
    rows: u32,
    units: u32,
    row_words: u32,
    first_row: u32,
    vocab: u32,
    first_chunk: u32,
    scale: f32,
    _pad: u32,
}

/// `out[t] = W[ids[t]] * scale` for `n_tokens` token ids (shaders/embedding.wgsl); ids past the
/// vocabulary give zero rows.
pub struct Embedding;

/// An [`Embedding`] bound to its table, ids and output.
#[derive(Clone, Debug)]
pub struct BoundEmbedding {
    dispatches: Vec<Dispatch>,
    parts_per_token: u32,
}

impl Embedding {
    pub fn new(_ctx: &Context) -> Self {
        Embedding
    }

    /// `ids` holds `n_tokens` u32 token ids and `out` `[n_tokens][table.cols()]` floats. `scale`
    /// multiplies every value (Gemma: sqrt(n_embd); others: 1).
    pub fn bind(
        &self,
        ctx: &Context,
        step: &Step,
        table: &Weight,
        ids: &wgpu::Buffer,
        out: &wgpu::Buffer,
        scale: f32,
    ) -> Result<BoundEmbedding, GpuError> {
        let ty = table.ty();
        let (library, _) = format(ty).ok_or_else(|| GpuError::Unsupported(format!("{ty} embeddings")))?;
        // Compiled when a table of this type is first bound (the context caches it).
        let kernel = include_str!("../../../shaders/embedding.wgsl");
        let pipeline = &pipeline(ctx, &format!("embedding.{ty}"), &format!("{STEP_WGSL}{library}{kernel}"), "main");
        check_storage(ctx, "embedding ids", ids, 4)?;
        check_storage(ctx, "embedding out", out, f32_bytes(table.cols()))?;
        let dispatches = table
            .chunks()
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let params = EmbeddingParams {
                    rows: chunk.rows,
                    units: table.units(),
                    row_words: table.row_words(),
                    first_row: chunk.first_row,
                    vocab: table.rows(),
                    first_chunk: u32::from(i == 0),
                    scale,
                    _pad: 0,
                };
                let params = uniform(ctx, "embedding.params", &params);
                Dispatch::new(ctx, "embedding", pipeline, &[&chunk.buffer, ids, out, &params, step.buffer()])
            })
            .collect();
        Ok(BoundEmbedding { dispatches, parts_per_token: table.units() * 4 })
    }
}

impl BoundEmbedding {
    pub fn dispatch_count(&self) -> usize {
        self.dispatches.len()
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        let groups = grid(n_tokens.saturating_mul(self.parts_per_token).div_ceil(ELEMENTWISE_WORKGROUP));
        for dispatch in &self.dispatches {
            dispatch.record(pass, groups);
        }
    }
}
