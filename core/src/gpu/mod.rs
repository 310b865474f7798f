//! The wgpu runtime: one [`Context`] per adapter, [`Weight`] tensors in GPU layouts, and small typed
//! wrappers around the WGSL kernels in `shaders/` that hide the dispatch arithmetic.
//!
//! Every kernel follows the same pattern: `Kernel::new(ctx)` compiles its pipelines once;
//! `kernel.bind(ctx, ...)` checks shapes and builds the bind group and uniforms once, returning a
//! `Bound*` value; `bound.encode(&mut pass, n_tokens)` only records dispatches into a compute pass,
//! so a whole token's forward pass can be one pass with no allocations. What changes per call
//! (position, token count) lives in the shared [`Step`] buffer, written once per call.
//!
//! Weights ([`Weight`]) keep the GGUF convention: dims `[cols, rows]` map x[cols] to y[rows]. A
//! tensor larger than one storage binding (128 MiB on lavapipe and many phones) is split by whole
//! rows into several buffers; matvec, matmul and embedding record one dispatch per buffer.
//! Activations are f32; a layer's KV cache ([`KvCache`]) is f32 `[n_ctx][n_kv_heads][head_dim]`.
//!
//! One decoded token, sketched (bind everything once, before the first token):
//!
//! ```ignore
//! step.write(ctx, pos, 1);
//! let mut encoder = ctx.device.create_command_encoder(&Default::default());
//! {
//!     let mut pass = encoder.begin_compute_pass(&Default::default());
//!     embed.encode(&mut pass, 1);
//!     for layer in &layers {
//!         layer.attn_norm.encode(&mut pass, 1);
//!         layer.q.encode(&mut pass); // BoundMatvec; Matmul for prefill
//!         layer.k.encode(&mut pass);
//!         layer.v.encode(&mut pass);
//!         layer.rope_q.encode(&mut pass, 1);
//!         layer.rope_k.encode(&mut pass, 1);
//!         layer.kv_write.encode(&mut pass, 1);
//!         layer.attention.encode(&mut pass, 1);
//!         // ... output projection, residual add, FFN norm, gate/up, glu, down, residual add
//!     }
//!     output_norm.encode(&mut pass, 1);
//!     logits.encode(&mut pass);
//!     argmax.encode(&mut pass);
//! }
//! argmax.copy_result(&mut encoder);
//! ctx.queue.submit([encoder.finish()]);
//! let next = argmax.read(ctx).await?.indices[0];
//! ```
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
mod profile;
mod record;
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
pub use profile::{KindTime, Profile, Timing};
pub use record::KernelKind;
pub use self_test::{SelfTestReport, self_test};
pub use step::Step;
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
