//! The wgpu runtime: one [`Context`] per adapter, [`Weight`] tensors in GPU layouts, and small typed
//! wrappers around the WGSL kernels in `shaders/` that hide the dispatch arithmetic.
//!
//! Every kernel follows the same pattern: `Kernel::new(ctx)` compiles its pipelines once;
//! `kernel.bind(ctx, ...)` checks shapes and builds the bind group and uniforms once, returning a
//! `Bound*` value; `bound.encode(&mut pass, n_tokens)` only records dispatches into a compute pass,
//! so a whole token's forward pass can be one pass with no allocations. What changes per call
//! (position, token count) lives in the shared [`Step`] buffer, written once per call.
//!
//! The same code runs natively (Vulkan, Metal, DX12; lavapipe in tests) and in the browser
//! (WebGPU). Nothing here blocks on wasm: every wait is an `async` map of a buffer.

mod adapter;
mod attention;
mod buffers;
mod embedding;
mod kernels;
mod matvec;
mod model;
mod self_test;
mod step;
mod top_k;
mod weight;

pub use adapter::{AdapterSummary, Context, GpuError};
pub use attention::{Attention, AttentionConfig, BoundAttention, BoundKvWrite, KvCache, KvWrite, MAX_HEAD_DIM};
pub use buffers::{read_f32, read_u32, storage_f32, storage_u32, storage_zeroed};
pub use embedding::{BoundEmbedding, Embedding};
pub use kernels::{
    Activation, BoundGlu, BoundResidualAdd, BoundRmsNorm, BoundRope, BoundSoftcap, Glu, ResidualAdd, RmsNorm, Rope,
    RopeConfig, RopeLayout, Softcap,
};
pub use matvec::{BoundMatmul, BoundMatvec, Matmul, Matvec};
pub use model::{GpuLoader, GpuModel, GpuTensor, MAX_BATCH, Output, Want, load_chunks};
pub use self_test::{SelfTestReport, self_test};
pub use step::{Step, StepValues};
pub use top_k::{BoundTopK, MAX_K, Ranked, TopK};
pub use weight::{SUPPORTED_TYPES, Weight, WeightUpload};
/// The wgpu this module is built on, so callers name the same `Buffer` and `ComputePass` types.
pub use wgpu;

/// Threads per workgroup for the element-wise kernels.
pub(crate) const ELEMENTWISE_WORKGROUP: u32 = 256;

/// Records `f` into one compute pass, submits it, and returns immediately (read results with
/// [`read_f32`] and friends, which wait).
pub fn submit_pass(ctx: &Context, f: impl FnOnce(&mut wgpu::ComputePass<'_>)) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        f(&mut pass);
    }
    ctx.queue.submit([encoder.finish()]);
}
