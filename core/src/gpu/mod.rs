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
//! Activations are f32; a layer's KV cache ([`KvCache`]) is `[n_ctx][n_kv_heads][head_dim]`, f16 where
//! the adapter has `shader-f16`, else f32.
//!
//! One decoded token, sketched (bind everything once, before the first token; `GpuModel` records
//! it through `record::Recorder`):
//!
//! ```ignore
//! step.write(ctx, pos, 1);
//! let mut encoder = ctx.device.create_command_encoder(&Default::default());
//! {
//!     let mut pass = encoder.begin_compute_pass(&Default::default());
//!     embed.encode(&mut pass, 1);
//!     first_norm.encode(&mut pass, 1);
//!     for layer in &layers {
//!         layer.qkv.encode(&mut pass); // one matvec over the stacked [q; k; v] weight
//!         layer.rope_kv.encode(&mut pass, 1); // RoPE on q and k, k and v into the cache
//!         layer.attention.encode(&mut pass, 1);
//!         layer.o.encode(&mut pass);
//!         layer.attn_add_norm.encode(&mut pass, 1); // residual add + the FFN norm
//!         layer.gate_up_glu.encode(&mut pass); // MatvecGlu over the stacked [gate; up] weight
//!         layer.down.encode(&mut pass);
//!         layer.ffn_add_norm.encode(&mut pass, 1); // residual add + the next layer's norm
//!     }
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
pub mod bench;
mod buffers;
mod embedding;
mod kernels;
mod matvec;
mod model;
mod profile;
mod record;
mod score;
mod self_test;
mod step;
mod top_k;
mod weight;

pub use adapter::{AdapterSummary, Context, GpuError};
pub use attention::{
    ATTENTION_SPLIT_MIN_KEYS, ATTENTION_SPLITS, Attention, AttentionConfig, BoundAttention, BoundRopeKv, KvCache,
    MAX_HEAD_DIM, RopeConfig, RopeKv, RopeLayout,
};
pub use buffers::{read_f32, read_u32, storage_f32, storage_u32, storage_zeroed};
pub use embedding::{BoundEmbedding, Embedding};
pub use kernels::{
    Activation, BoundGlu, BoundResidualAdd, BoundRmsNorm, BoundSoftcap, Glu, ResidualAdd, RmsNorm, Softcap,
};
pub use matvec::{BoundMatmul, BoundMatvec, BoundMatvecGlu, Matmul, Matvec, MatvecGlu, OutputRows};
pub use model::{
    BATCH_LIMIT, Capacity, DEFAULT_BATCH, GpuLoader, GpuModel, GpuTensor, Output, TOP_K_LIMIT, Want, load_chunks,
};
pub use profile::{KindTime, Profile, Timing};
pub use record::KernelKind;
pub use score::ScoreError;
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
