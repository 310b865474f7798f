//! Recording a forward pass through a [`Recorder`], so the same description of the work drives the
//! normal path (every kernel in one compute pass, one command buffer), the dispatch count, and the
//! per-kernel profiler (`profile.rs`), which cannot drift apart.

use super::attention::AttentionAt;
use super::{
    BoundEmbedding, BoundGlu, BoundMatmul, BoundMatvec, BoundMatvecGlu, BoundRmsNorm, BoundRopeKv, BoundSoftcap,
    BoundTopK,
};
use crate::quant::Type;
use std::fmt;

/// What a kernel computes, as the profiler groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KernelKind {
    Embedding,
    RmsNorm,
    /// Residual add and RMS norm in one.
    AddRmsNorm,
    /// Matrix-vector product (decode) over weights of this type.
    Matvec(Type),
    /// Gate and up matrix-vector products with the activation (decode) over weights of this type.
    MatvecGlu(Type),
    /// Matrix-matrix product (prefill) over weights of this type.
    Matmul(Type),
    /// RoPE on queries and keys, and the KV cache write.
    RopeKv,
    Attention,
    Glu,
    Softcap,
    /// Top-k over the logits (argmax when decoding greedily).
    TopK,
}

impl fmt::Display for KernelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelKind::Embedding => write!(f, "embedding"),
            KernelKind::RmsNorm => write!(f, "rms_norm"),
            KernelKind::AddRmsNorm => write!(f, "add_rms_norm"),
            KernelKind::Matvec(ty) => write!(f, "matvec {ty}"),
            KernelKind::MatvecGlu(ty) => write!(f, "matvec_glu {ty}"),
            KernelKind::Matmul(ty) => write!(f, "matmul {ty}"),
            KernelKind::RopeKv => write!(f, "rope_kv"),
            KernelKind::Attention => write!(f, "attention"),
            KernelKind::Glu => write!(f, "glu"),
            KernelKind::Softcap => write!(f, "softcap"),
            KernelKind::TopK => write!(f, "top_k"),
        }
    }
}

/// A bound kernel as one step of a forward pass: it records `dispatches()` dispatches.
pub(crate) trait Kernel {
    fn kind(&self, n_tokens: u32) -> KernelKind;
    fn dispatches(&self, n_tokens: u32) -> usize;
    fn record(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32);
}

/// Where the steps of a forward pass go.
pub(crate) trait Recorder {
    fn kernel(&mut self, kernel: &dyn Kernel, n_tokens: u32);
    /// Work outside compute passes (buffer copies), in order with the kernels.
    fn copy(&mut self, encode: impl FnOnce(&mut wgpu::CommandEncoder));
}

/// The normal path: consecutive kernels share one compute pass; copies end it. Timed (for the
/// profiler's `as_run_s`), pass k also writes timestamps `2k` and `2k + 1` at its start and end.
pub(crate) struct PassRecorder {
    encoder: wgpu::CommandEncoder,
    pass: Option<wgpu::ComputePass<'static>>,
    /// The query set of a timed recording, and the passes opened so far.
    timed: Option<(wgpu::QuerySet, u32)>,
}

impl PassRecorder {
    pub fn new(device: &wgpu::Device) -> Self {
        Self { encoder: device.create_command_encoder(&Default::default()), pass: None, timed: None }
    }

    /// Records into `queries` too, which must hold two timestamps per pass the recording opens.
    pub fn timed(device: &wgpu::Device, queries: wgpu::QuerySet) -> Self {
        Self { timed: Some((queries, 0)), ..Self::new(device) }
    }

    pub fn finish(self) -> wgpu::CommandBuffer {
        self.end().0.finish()
    }

    /// Ends the last pass; gives back the encoder and the passes timed (0 unless timed).
    pub fn end(mut self) -> (wgpu::CommandEncoder, u32) {
        self.pass = None;
        (self.encoder, self.timed.map_or(0, |(_, passes)| passes))
    }
}

impl Recorder for PassRecorder {
    fn kernel(&mut self, kernel: &dyn Kernel, n_tokens: u32) {
        let Self { encoder, pass, timed } = self;
        let pass = pass.get_or_insert_with(|| {
            // An index past the query set is a validation error, which the caller's scope reports.
            let timestamp_writes = timed.as_mut().map(|(queries, passes)| {
                *passes += 1;
                wgpu::ComputePassTimestampWrites {
                    query_set: queries,
                    beginning_of_pass_write_index: Some(*passes * 2 - 2),
                    end_of_pass_write_index: Some(*passes * 2 - 1),
                }
            });
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes }).forget_lifetime()
        });
        kernel.record(pass, n_tokens);
    }

    fn copy(&mut self, encode: impl FnOnce(&mut wgpu::CommandEncoder)) {
        self.pass = None; // ends the pass
        encode(&mut self.encoder);
    }
}

/// Counts kernels, dispatches and copies without recording anything.
#[derive(Default)]
pub(crate) struct Counter {
    pub kernels: usize,
    pub dispatches: usize,
    pub copies: usize,
}

impl Recorder for Counter {
    fn kernel(&mut self, kernel: &dyn Kernel, n_tokens: u32) {
        self.kernels += 1;
        self.dispatches += kernel.dispatches(n_tokens);
    }

    fn copy(&mut self, _: impl FnOnce(&mut wgpu::CommandEncoder)) {
        self.copies += 1;
    }
}

/// `Kernel` for the bound kernels: `$k` is the kernel, `$pass` the pass and `$n` the token count.
macro_rules! kernels {
    ($($bound:ty => |$k:ident, $pass:ident, $n:ident| $kind:expr, $dispatches:expr, $record:expr;)*) => {$(
        impl Kernel for $bound {
            #[allow(unused_variables)]
            fn kind(&self, $n: u32) -> KernelKind {
                let $k = self;
                $kind
            }

            #[allow(unused_variables)]
            fn dispatches(&self, $n: u32) -> usize {
                let $k = self;
                $dispatches
            }

            #[allow(unused_variables)]
            fn record(&self, $pass: &mut wgpu::ComputePass<'_>, $n: u32) {
                let $k = self;
                $record
            }
        }
    )*};
}

// The output head (matvec, soft-capping, top-k) runs on one token whatever the batch.
kernels! {
    BoundRmsNorm => |k, pass, n| if k.adds_residual() { KernelKind::AddRmsNorm } else { KernelKind::RmsNorm }, 1, k.encode(pass, n);
    BoundRopeKv => |k, pass, n| KernelKind::RopeKv, 1, k.encode(pass, n);
    AttentionAt<'_> => |k, pass, n| KernelKind::Attention, k.attention.dispatch_count(n, k.pos0), k.attention.encode(pass, n, k.pos0);
    BoundGlu => |k, pass, n| KernelKind::Glu, 1, k.encode(pass, n);
    BoundMatvecGlu => |k, pass, n| KernelKind::MatvecGlu(k.weight_type()), 1, k.encode(pass);
    BoundEmbedding => |k, pass, n| KernelKind::Embedding, k.dispatch_count(), k.encode(pass, n);
    BoundMatvec => |k, pass, n| KernelKind::Matvec(k.weight_type()), k.dispatch_count(), k.encode(pass);
    BoundMatmul => |k, pass, n| KernelKind::Matmul(k.weight_type()), k.dispatch_count(n), k.encode(pass, n);
    BoundSoftcap => |k, pass, n| KernelKind::Softcap, 1, k.encode(pass);
    BoundTopK => |k, pass, n| KernelKind::TopK, k.dispatch_count(), k.encode(pass);
}
