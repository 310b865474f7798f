//! Top-k (and argmax, k = 1) of a logits vector on the GPU, so decoding reads back a few bytes.

use super::buffers::map_read;
use super::kernels::{Dispatch, check_storage, f32_bytes, pipeline, uniform};
use super::{Context, GpuError};

/// Largest k [`TopK`] accepts.
pub const MAX_K: u32 = 64;
/// Elements ranked by one workgroup of the first pass (16 per thread).
const SLICE: u32 = 4096;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct TopKParams {
    n: u32,
    k: u32,
    slice: u32,
    n_partials: u32,
}

/// The k largest values, largest first (the lower index first among equal values).
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// Top-k of `n` floats in two passes (shaders/top_k.wgsl): slices of 4,096 ranked by many
/// workgroups, then their candidates merged by one.
pub struct TopK {
    partial: wgpu::ComputePipeline,
    merge: wgpu::ComputePipeline,
}

/// A [`TopK`] bound to a logits buffer, with its own result and read-back buffers.
#[derive(Clone, Debug)]
pub struct BoundTopK {
    partial: Dispatch,
    merge: Dispatch,
    n_partials: u32,
    k: u32,
    result: wgpu::Buffer,
    staging: wgpu::Buffer,
}

impl TopK {
    pub fn new(ctx: &Context) -> Self {
        let source = include_str!("../../../shaders/top_k.wgsl");
        Self {
            partial: pipeline(ctx, "top_k.partial", source, "partial"),
            merge: pipeline(ctx, "top_k.merge", source, "merge"),
        }
    }

    /// Ranks the first `n` floats of `x`; `1 <= k <= min(n, 64)`. k = 1 is argmax.
    pub fn bind(&self, ctx: &Context, x: &wgpu::Buffer, n: u32, k: u32) -> Result<BoundTopK, GpuError> {
        if k == 0 || k > MAX_K || k > n {
            return Err(GpuError::Unsupported(format!("top-k with k = {k} of {n} values (1 <= k <= min(n, {MAX_K}))")));
        }
        check_storage(ctx, "top_k input", x, f32_bytes(n))?;
        let n_partials = n.div_ceil(SLICE);
        if n_partials > 65_535 {
            return Err(GpuError::Unsupported(format!("top-k over {n} values (at most {})", 65_535 * SLICE)));
        }
        let storage = |label: &str, bytes: u64, extra: wgpu::BufferUsages| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage: wgpu::BufferUsages::STORAGE | extra,
                mapped_at_creation: false,
            })
        };
        let candidates = u64::from(n_partials) * u64::from(k) * 4;
        let part_values = storage("top_k.part_values", candidates, wgpu::BufferUsages::empty());
        let part_indices = storage("top_k.part_indices", candidates, wgpu::BufferUsages::empty());
        let result = storage("top_k.result", u64::from(k) * 8, wgpu::BufferUsages::COPY_SRC);
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("top_k.staging"),
            size: u64::from(k) * 8,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let params = uniform(ctx, "top_k.params", &TopKParams { n, k, slice: SLICE, n_partials });
        let buffers = [x, &part_values, &part_indices, &result, &params];
        Ok(BoundTopK {
            partial: Dispatch::new(ctx, "top_k.partial", &self.partial, &buffers),
            merge: Dispatch::new(ctx, "top_k.merge", &self.merge, &buffers),
            n_partials,
            k,
            result,
            staging,
        })
    }
}

impl BoundTopK {
    /// How many it ranks.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// The partial pass and the merge.
    pub fn dispatch_count(&self) -> usize {
        2
    }

    /// Records both passes; the ranking lands in [`BoundTopK::result`].
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.partial.record(pass, (self.n_partials, 1));
        self.merge.record(pass, (1, 1));
    }

    /// `k` u32 indices, then the `k` values as f32.
    pub fn result(&self) -> &wgpu::Buffer {
        &self.result
    }

    /// Records the copy of the result into the read-back buffer (after the compute pass ends).
    pub fn copy_result(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.copy_buffer_to_buffer(&self.result, 0, &self.staging, 0, self.result.size());
    }

    /// Reads the ranking copied by [`BoundTopK::copy_result`] once its commands are submitted.
    pub async fn read(&self, ctx: &Context) -> Result<Ranked, GpuError> {
        let bytes = map_read(ctx, &self.staging).await?;
        let words: Vec<u32> = bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let (indices, values) = words.split_at(self.k as usize);
        Ok(Ranked { indices: indices.to_vec(), values: values.iter().map(|&w| f32::from_bits(w)).collect() })
    }
}
