//! The transformer forward pass on the GPU: the same steps as the CPU reference
//! ([`crate::model::CpuModel`]), recorded as kernels into one command buffer per call.
//!
//! Everything is bound once at load: activation buffers sized for a batch of tokens, one KV cache
//! per layer, and each kernel's bind group. A call writes the token ids and the step uniform
//! (position, token count), records the layers, and reads back either the chosen token (4 bytes,
//! on-GPU argmax) or the last position's logits. Greedy decoding keeps a step queued: each argmax
//! call submits the next token's step (its id copied on the GPU) before reading its own token, so
//! the GPU need not wait for the host between tokens.

use super::profile::{Profile, TimestampRecorder, Timing, as_run_queries, as_run_seconds};
use super::{
    Activation, AdapterSummary, Attention, AttentionConfig, BoundAttention, BoundEmbedding, BoundGlu, BoundMatmul,
    BoundMatvec, BoundMatvecGlu, BoundRmsNorm, BoundRopeKv, BoundSoftcap, BoundTopK, Context, Embedding, Glu, GpuError,
    KvCache, Matmul, Matvec, MatvecGlu, OutputRows, RmsNorm, RopeConfig, RopeKv, Softcap, Step, TopK, Weight,
    WeightUpload,
    buffers::{Mapping, map_read},
    record::{Counter, Kernel, KernelKind, PassRecorder, Recorder},
    storage_f32, storage_zeroed,
};
use crate::gguf::{self, Piece};
use crate::model::{Arch, Config, GenerateError, Generator, LoadError, Step as GenerationStep, Weights};
use crate::quant;
use std::sync::Arc;

/// Prompt tokens processed per command buffer unless [`Capacity::batch`] says otherwise; longer
/// prompts go in several.
pub const DEFAULT_BATCH: u32 = 64;

/// The largest batch a model can be built for (its activations grow with it: 48 MiB at 512
/// tokens for Llama 3.2 1B's feed-forward width).
pub const BATCH_LIMIT: u32 = 512;

/// What a model is built to hold: KV-cache positions, and prompt tokens per command buffer (the
/// activation buffers hold that many tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub n_ctx: u32,
    pub batch: u32,
}

/// A cache of `n_ctx` positions with the default batch.
impl From<u32> for Capacity {
    fn from(n_ctx: u32) -> Capacity {
        Capacity { n_ctx, batch: DEFAULT_BATCH }
    }
}

const X_WINDOW_FLOATS: usize = (super::matvec::X_WINDOW_BYTES / 4) as usize;

/// A tensor on the GPU: a matrix in the kernels' layout, rows of a matrix stacked with others of
/// the same type (q, k and v; gate and up), or a small f32 vector (norms, biases).
pub enum GpuTensor {
    Matrix(Weight),
    /// Rows `first_row .. first_row + rows` of `weight`, which holds the whole stack.
    Stacked {
        weight: Weight,
        first_row: u32,
        rows: u32,
    },
    Vector(wgpu::Buffer),
}

impl GpuTensor {
    fn matrix(&self, name: &str) -> Result<&Weight, GpuError> {
        match self {
            GpuTensor::Matrix(w) => Ok(w),
            _ => Err(GpuError::Shape(format!("{name} should be a matrix"))),
        }
    }

    fn vector(&self, name: &str) -> Result<&wgpu::Buffer, GpuError> {
        match self {
            GpuTensor::Vector(v) => Ok(v),
            _ => Err(GpuError::Shape(format!("{name} should be a vector"))),
        }
    }
}

/// The weight that `parts` were stacked into at load, when they were (in this order, covering it).
fn stack<'a>(parts: &[&'a GpuTensor]) -> Option<&'a Weight> {
    let Some(GpuTensor::Stacked { weight, .. }) = parts.first() else { return None };
    let mut next = 0;
    for part in parts {
        match part {
            GpuTensor::Stacked { weight: w, first_row, rows } if *first_row == next && w.same_buffers(weight) => {
                next += rows;
            }
            _ => return None,
        }
    }
    (next == weight.rows()).then_some(weight)
}

/// Streams a GGUF file's tensors to the GPU as their bytes arrive, in file order and in pieces of
/// any size, so no second copy of the file is ever held in memory.
pub struct GpuLoader<'a> {
    ctx: &'a Context,
    config: Config,
    /// Tensor index (in the file) of every tensor the model uses.
    plan: Weights<usize>,
    slots: Vec<Slot<'a>>,
}

enum Slot<'a> {
    Unused,
    Matrix(WeightUpload<'a>),
    Part { upload: WeightUpload<'a>, first_row: u32, rows: u32 },
    Vector { ty: quant::Type, len: usize, bytes: Vec<u8> },
    Done(GpuTensor),
}

/// `[cols, rows]` of a 2-D tensor with more than one row.
fn matrix_dims(info: &gguf::TensorInfo) -> Result<Option<(u32, u32)>, LoadError> {
    let [cols, rows] = info.dims() else { return Ok(None) };
    if *rows <= 1 {
        return Ok(None);
    }
    match (u32::try_from(*cols), u32::try_from(*rows)) {
        (Ok(cols), Ok(rows)) => Ok(Some((cols, rows))),
        _ => Err(LoadError::Tensor { name: info.name().to_owned(), reason: "too large".into() }),
    }
}

impl<'a> GpuLoader<'a> {
    /// Checks the header describes a model we can run, and allocates its GPU buffers.
    pub fn new(ctx: &'a Context, file: &gguf::File) -> Result<GpuLoader<'a>, LoadError> {
        let config = Config::from_gguf(file)?;
        let index = |info: &gguf::TensorInfo| {
            file.tensors().iter().position(|t| t.name() == info.name()).ok_or(LoadError::Io("tensor index".into()))
        };
        let plan = Weights::load(&config, file, index)?;
        let mut slots: Vec<Slot<'a>> = file.tensors().iter().map(|_| Slot::Unused).collect();
        // Projections that read the same input are stacked into one weight when their types
        // match, so one dispatch computes them all.
        let stacks = plan.layers.iter().flat_map(|l| [vec![l.wq, l.wk, l.wv], vec![l.ffn_gate, l.ffn_up]]);
        for group in stacks {
            let infos: Vec<&gguf::TensorInfo> = group.iter().map(|&i| &file.tensors()[i]).collect();
            let dims = infos.iter().map(|info| matrix_dims(info)).collect::<Result<Option<Vec<_>>, _>>()?;
            let Some(dims) = dims else { continue };
            if infos.iter().any(|i| i.ty() != infos[0].ty()) || dims.iter().any(|d| d.0 != dims[0].0) {
                continue;
            }
            let label = infos.iter().map(|i| i.name()).collect::<Vec<_>>().join("+");
            let parts: Vec<u32> = dims.iter().map(|d| d.1).collect();
            let gpu = |e: GpuError| LoadError::Tensor { name: label.clone(), reason: e.to_string() };
            let uploads = Weight::upload_stacked(ctx, &label, infos[0].ty(), &parts, dims[0].0).map_err(gpu)?;
            let mut first_row = 0;
            for ((&i, upload), rows) in group.iter().zip(uploads).zip(parts) {
                slots[i] = Slot::Part { upload, first_row, rows };
                first_row += rows;
            }
        }
        for &i in plan.tensors() {
            if !matches!(slots[i], Slot::Unused) {
                continue;
            }
            let info = &file.tensors()[i];
            let gpu = |e: GpuError| LoadError::Tensor { name: info.name().to_owned(), reason: e.to_string() };
            slots[i] = match matrix_dims(info)? {
                Some((cols, rows)) => {
                    Slot::Matrix(Weight::upload(ctx, info.name(), info.ty(), rows, cols).map_err(gpu)?)
                }
                None => Slot::Vector {
                    ty: info.ty(),
                    len: info.n_elements() as usize,
                    bytes: Vec::with_capacity(info.n_bytes() as usize),
                },
            };
        }
        Ok(GpuLoader { ctx, config, plan, slots })
    }

    /// Bytes of one tensor, as the stream reader routes them (in order within each tensor).
    pub fn push(&mut self, piece: &Piece<'_>) -> Result<(), LoadError> {
        let upload = match self.slots.get_mut(piece.tensor) {
            Some(Slot::Matrix(upload) | Slot::Part { upload, .. }) => upload,
            Some(Slot::Vector { bytes, .. }) => {
                bytes.extend_from_slice(piece.bytes);
                return Ok(());
            }
            _ => return Ok(()),
        };
        upload
            .push(piece.bytes)
            .map_err(|e| LoadError::Tensor { name: format!("#{}", piece.tensor), reason: e.to_string() })
    }

    /// Finishes the uploads and builds the model with the KV cache and batch of `capacity` (a
    /// bare `n_ctx` for the default batch).
    pub fn finish(mut self, ctx: Arc<Context>, capacity: impl Into<Capacity>) -> Result<GpuModel, LoadError> {
        let gpu = |name: &str, e: GpuError| LoadError::Tensor { name: name.to_owned(), reason: e.to_string() };
        for slot in &mut self.slots {
            *slot = match std::mem::replace(slot, Slot::Unused) {
                Slot::Matrix(upload) => Slot::Done(GpuTensor::Matrix(upload.finish().map_err(|e| gpu("weight", e))?)),
                Slot::Part { upload, first_row, rows } => {
                    let weight = upload.finish().map_err(|e| gpu("weight", e))?;
                    Slot::Done(GpuTensor::Stacked { weight, first_row, rows })
                }
                Slot::Vector { ty, len, bytes } => {
                    let mut values = vec![0.0; len];
                    quant::dequantize(ty, &bytes, &mut values)
                        .map_err(|e| LoadError::Tensor { name: "vector".into(), reason: e.to_string() })?;
                    Slot::Done(GpuTensor::Vector(storage_f32(self.ctx, "vector", &values)))
                }
                other => other,
            };
        }
        let mut slots = self.slots;
        let weights = self.plan.try_map(|i| match std::mem::replace(&mut slots[i], Slot::Unused) {
            Slot::Done(t) => Ok(t),
            _ => Err(LoadError::Io(format!("tensor #{i} was used twice or never arrived"))),
        })?;
        GpuModel::new(ctx, self.config, weights, capacity.into()).map_err(|e| LoadError::Io(e.to_string()))
    }
}

/// What a forward call reads back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The most likely next token, chosen on the GPU (4 bytes back).
    Argmax,
    /// The k most likely next tokens with their logits, ranked on the GPU (8k bytes back), for
    /// k up to [`TOP_K_LIMIT`].
    TopK(u32),
    /// The logits of the last position (the whole vocabulary back).
    Logits,
}

/// The most tokens [`Want::TopK`] ranks.
pub const TOP_K_LIMIT: u32 = super::top_k::MAX_K;

impl Want {
    /// The least `generator` needs to choose its next token: the argmax when it decodes greedily,
    /// the top k when it samples from them, else the logits.
    pub fn for_generator(generator: &Generator) -> Want {
        match generator.top_k_suffices() {
            Some(k) if k <= TOP_K_LIMIT as usize => Want::TopK(k as u32),
            _ if generator.needs_logits() => Want::Logits,
            _ => Want::Argmax,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Token(u32),
    /// `(id, logit)`, most likely first, the lower id first among equal logits.
    Ranked(Vec<(u32, f32)>),
    Logits(Vec<f32>),
}

impl Output {
    /// Hands the output to `generator` ([`Want::for_generator`] says what to ask for).
    pub fn choose(self, generator: &mut Generator) -> Result<GenerationStep, GenerateError> {
        match self {
            Output::Token(token) => generator.next_argmax(token),
            Output::Ranked(ranked) => generator.next_ranked(&ranked),
            Output::Logits(logits) => generator.next(&logits),
        }
    }
}

pub struct GpuModel {
    pub config: Config,
    ctx: Arc<Context>,
    /// Kept alive for the bind groups, which reference their buffers.
    _weights: Weights<GpuTensor>,
    _caches: Vec<KvCache>,
    _stacked_biases: Vec<wgpu::Buffer>,
    buffers: Buffers,
    step: Step,
    plan: Plan,
    n_ctx: u32,
    /// Tokens the activation buffers hold: the most one command buffer runs.
    batch: u32,
    /// Positions in the KV cache.
    len: u32,
    /// Greedy decoding's next step, already submitted (see [`GpuModel::forward`]).
    ahead: Option<Ahead>,
    /// Whether argmax calls submit the next step ahead ([`GpuModel::set_submit_ahead`]).
    submit_ahead: bool,
    /// Argmax calls answered by a step submitted ahead.
    taken_ahead: u64,
}

/// A decode step submitted before anyone asked for it: one token at position `GpuModel::len`,
/// whose id the GPU copied from the argmax of the call before. Its cache entries are not counted
/// in `len` until a call for exactly that token takes it; any other call runs over them.
struct Ahead {
    /// The token it ran: the argmax of the call before.
    input: u32,
    /// The read-back buffer its argmax goes to.
    slot: usize,
    submission: wgpu::SubmissionIndex,
}

/// What a recorded call ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// Nothing: a prompt's earlier batches.
    Nothing,
    /// The last position's argmax, copied into the read-back buffer `slot`.
    Token { slot: usize },
    /// The last position's top-k ranking ([`TOP_K_LIMIT`] of them), copied into its read-back buffer.
    Ranked,
    /// The last position's logits, copied into the read-back buffer.
    Logits,
}

/// Activations for up to `GpuModel::batch` tokens, each `[tokens][width]` f32.
struct Buffers {
    ids: wgpu::Buffer,
    /// The residual stream.
    x: wgpu::Buffer,
    /// The normed residual stream, input of the projections.
    h: wgpu::Buffer,
    /// `[q | k | v]` per token.
    qkv: wgpu::Buffer,
    att: wgpu::Buffer,
    o: wgpu::Buffer,
    o_normed: wgpu::Buffer,
    /// `[gate | up]` per token (prefill).
    gate_up: wgpu::Buffer,
    /// The gated activation, input of ffn_down.
    act: wgpu::Buffer,
    last: wgpu::Buffer,
    logits: wgpu::Buffer,
    logits_staging: wgpu::Buffer,
    /// Read-back buffers for the argmax: one for the call being read, one for the call ahead.
    token_staging: [wgpu::Buffer; 2],
}

/// Every kernel of the forward pass, bound to its buffers.
struct Plan {
    embed: BoundEmbedding,
    /// The first layer's attention norm; every later norm is fused with the residual add before it.
    first_norm: BoundRmsNorm,
    layers: Vec<LayerPlan>,
    output: BoundMatvec,
    final_softcap: Option<BoundSoftcap>,
    argmax: BoundTopK,
    /// The [`TOP_K_LIMIT`] most likely tokens (fewer for a smaller vocabulary).
    top_k: BoundTopK,
}

struct LayerPlan {
    /// One projection over the stacked q, k and v weights, or one each when their types differ.
    qkv: Vec<Projection>,
    rope_kv: BoundRopeKv,
    attention: BoundAttention,
    o: Projection,
    attn_post_norm: Option<BoundRmsNorm>,
    /// Residual add, then the FFN norm.
    attn_add_norm: BoundRmsNorm,
    /// Into `gate_up`: the stacked gate and up weights, or one projection each.
    gate_up: Vec<Projection>,
    glu: BoundGlu,
    /// Gate, up and activation in one dispatch (decode), when gate and up share one buffer.
    gate_up_glu: Option<BoundMatvecGlu>,
    down: Projection,
    ffn_post_norm: Option<BoundRmsNorm>,
    /// Residual add, then the next layer's attention norm (the output norm after the last).
    ffn_add_norm: BoundRmsNorm,
}

impl Plan {
    fn matmuls_use_cpu_kernel(&self) -> bool {
        self.layers.iter().all(|l| {
            let projections = l.qkv.iter().chain(&l.gate_up).chain([&l.o, &l.down]);
            projections.into_iter().all(|p| p.many.uses_cpu_kernel())
        })
    }
}

/// A weight bound twice: matrix-vector for one token, matrix-matrix for a batch.
struct Projection {
    one: BoundMatvec,
    many: BoundMatmul,
}

impl Kernel for Projection {
    fn kind(&self, n_tokens: u32) -> KernelKind {
        if n_tokens == 1 { self.one.kind(n_tokens) } else { self.many.kind(n_tokens) }
    }

    fn dispatches(&self, n_tokens: u32) -> usize {
        if n_tokens == 1 { self.one.dispatch_count() } else { self.many.dispatch_count(n_tokens) }
    }

    fn record(&self, pass: &mut wgpu::ComputePass<'_>, n_tokens: u32) {
        if n_tokens == 1 { self.one.encode(pass) } else { self.many.encode(pass, n_tokens) }
    }
}

/// The kernels, compiled once per model.
struct Kernels {
    matvec: Matvec,
    matmul: Matmul,
    matvec_glu: MatvecGlu,
    rms_norm: RmsNorm,
    rope_kv: RopeKv,
    attention: Attention,
    glu: Glu,
}

/// One bias over the stacked q, k and v rows (zeros for the parts without one), or `None` when no
/// part has a bias.
fn stacked_bias(ctx: &Context, parts: [(&Option<GpuTensor>, u32); 3]) -> Result<Option<wgpu::Buffer>, GpuError> {
    if parts.iter().all(|(bias, _)| bias.is_none()) {
        return Ok(None);
    }
    let rows: u32 = parts.iter().map(|(_, rows)| rows).sum();
    let stacked = storage_zeroed(ctx, "attn_qkv.bias", rows as usize);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let mut offset = 0;
    for (bias, rows) in parts {
        if let Some(bias) = bias {
            let bytes = u64::from(rows) * 4;
            encoder.copy_buffer_to_buffer(bias.vector("attention bias")?, 0, &stacked, offset, bytes);
        }
        offset += u64::from(rows) * 4;
    }
    ctx.queue.submit([encoder.finish()]);
    Ok(Some(stacked))
}

impl GpuModel {
    fn new(
        ctx: Arc<Context>,
        config: Config,
        weights: Weights<GpuTensor>,
        capacity: Capacity,
    ) -> Result<GpuModel, GpuError> {
        let c = &config;
        let n_ctx = capacity.n_ctx.max(1);
        let batch = capacity.batch;
        if !(1..=BATCH_LIMIT).contains(&batch) {
            return Err(GpuError::Shape(format!("a batch of {batch} tokens (it must be from 1 to {BATCH_LIMIT})")));
        }
        let b = batch as usize;
        let dims = |n: usize| -> Result<u32, GpuError> {
            u32::try_from(n).map_err(|_| GpuError::Shape(format!("{n} does not fit in 32 bits")))
        };
        if c.head_dim_v != c.head_dim {
            return Err(GpuError::Unsupported(format!(
                "values of {} dimensions next to keys of {}",
                c.head_dim_v, c.head_dim
            )));
        }
        let (d, q_dim, kv_dim, ff, vocab) =
            (dims(c.n_embd)?, dims(c.q_dim())?, dims(c.kv_dim())?, dims(c.n_ff)?, dims(c.n_vocab)?);
        let qkv_rows = q_dim + 2 * kv_dim;
        // 64 KiB past the last token, so every matrix input can be read through the CPU kernels'
        // uniform window from any of its tokens.
        let zeroed = |label: &str, floats: usize| storage_zeroed(&ctx, label, floats + X_WINDOW_FLOATS);
        let staging = |label: &str, size: u64| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let buffers = Buffers {
            ids: zeroed("ids", b),
            x: zeroed("x", b * c.n_embd),
            h: zeroed("h", b * c.n_embd),
            qkv: zeroed("qkv", b * qkv_rows as usize),
            att: zeroed("att", b * c.q_dim()),
            o: zeroed("o", b * c.n_embd),
            o_normed: zeroed("o_normed", b * c.n_embd),
            gate_up: zeroed("gate_up", b * 2 * c.n_ff),
            act: zeroed("act", b * c.n_ff),
            last: zeroed("last", c.n_embd),
            logits: zeroed("logits", c.n_vocab),
            logits_staging: staging("logits.staging", u64::from(vocab) * 4),
            token_staging: [staging("token.staging.0", 4), staging("token.staging.1", 4)],
        };
        let caches = (0..c.n_layer)
            .map(|i| KvCache::new(&ctx, &format!("kv.{i}"), n_ctx, dims(c.n_head_kv)?, dims(c.head_dim)?))
            .collect::<Result<Vec<_>, _>>()?;
        let step = Step::new(&ctx);
        let k = Kernels {
            matvec: Matvec::new(&ctx),
            matmul: Matmul::new(&ctx),
            matvec_glu: MatvecGlu::new(&ctx),
            rms_norm: RmsNorm::new(&ctx),
            rope_kv: RopeKv::new(&ctx),
            attention: Attention::new(&ctx),
            glu: Glu::new(&ctx),
        };
        let bf = &buffers;
        let project = |w: &Weight, x: &wgpu::Buffer, y: &wgpu::Buffer, bias: Option<&wgpu::Buffer>, out| {
            Ok::<_, GpuError>(Projection {
                one: k.matvec.bind(&ctx, w, x, y, bias, Some(out))?,
                many: k.matmul.bind(&ctx, &step, w, x, y, bias, Some(out), batch)?,
            })
        };
        let whole = |w: &GpuTensor, name: &str, x: &wgpu::Buffer, y: &wgpu::Buffer| {
            let w = w.matrix(name)?;
            project(w, x, y, None, OutputRows::whole(w))
        };
        // Each of `parts` (with its bias) into its place in `y`'s rows of `stride` floats; one
        // projection when they were stacked at load.
        let stacked_bias_buffers = std::cell::RefCell::new(Vec::new());
        let projections = |parts: &[(&GpuTensor, &Option<GpuTensor>, u32)], name: &str, y: &wgpu::Buffer| {
            let stride = parts.iter().map(|p| p.2).sum();
            let tensors: Vec<&GpuTensor> = parts.iter().map(|p| p.0).collect();
            if let Some(weight) = stack(&tensors) {
                let bias = match parts {
                    [q, k, v] => stacked_bias(&ctx, [(q.1, q.2), (k.1, k.2), (v.1, v.2)])?,
                    _ => None,
                };
                let projection = project(weight, &bf.h, y, bias.as_ref(), OutputRows::whole(weight))?;
                stacked_bias_buffers.borrow_mut().extend(bias);
                return Ok(vec![projection]);
            }
            let mut offset = 0;
            let mut out = Vec::new();
            for &(tensor, bias, rows) in parts {
                let bias = bias.as_ref().map(|t| t.vector(name)).transpose()?;
                out.push(project(tensor.matrix(name)?, &bf.h, y, bias, OutputRows { offset, stride })?);
                offset += rows;
            }
            Ok::<_, GpuError>(out)
        };
        let norm = |w: &GpuTensor, x: &wgpu::Buffer, y: &wgpu::Buffer| {
            k.rms_norm.bind(&ctx, &step, x, None, w.vector("norm")?, y, d, c.rms_eps)
        };
        // The residual stream x += `out`, then h = its norm.
        let add_norm = |out: &wgpu::Buffer, w: &GpuTensor| {
            k.rms_norm.bind(&ctx, &step, &bf.x, Some(out), w.vector("norm")?, &bf.h, d, c.rms_eps)
        };
        let rope = RopeConfig {
            n_heads: dims(c.n_head)?,
            n_rot: dims(c.rope.n_rot)?,
            layout: c.rope.layout,
            freq_base: c.rope.freq_base,
            freq_scale: 1.0,
            freq_factors: weights.rope_freqs.as_ref().map(|t| t.vector("rope_freqs")).transpose()?,
        };
        let activation = if c.arch == Arch::Gemma2 { Activation::GeluTanh } else { Activation::Silu };
        let Some(first) = weights.layers.first() else {
            return Err(GpuError::Shape("a model without layers".into()));
        };
        let mut layers = Vec::with_capacity(c.n_layer);
        for (i, (w, cache)) in weights.layers.iter().zip(&caches).enumerate() {
            let post = |t: &Option<GpuTensor>| t.as_ref().map(|t| norm(t, &bf.o, &bf.o_normed)).transpose();
            let attn_post_norm = post(&w.attn_post_norm)?;
            let ffn_post_norm = post(&w.ffn_post_norm)?;
            // With a post-norm the residual adds the normed output.
            let attn_out = if attn_post_norm.is_some() { &bf.o_normed } else { &bf.o };
            let ffn_out = if ffn_post_norm.is_some() { &bf.o_normed } else { &bf.o };
            let window = c.sliding_window.filter(|_| c.is_sliding(i)).map(dims).transpose()?;
            let attention = AttentionConfig {
                n_heads: dims(c.n_head)?,
                scale: c.attn_scale,
                softcap: c.attn_softcap,
                window,
                q_stride: Some(qkv_rows),
            };
            let next_norm = weights.layers.get(i + 1).map_or(&weights.output_norm, |next| &next.attn_norm);
            let qkv = [(&w.wq, &w.bq, q_dim), (&w.wk, &w.bk, kv_dim), (&w.wv, &w.bv, kv_dim)];
            let no_bias = None;
            let gate_up = [(&w.ffn_gate, &no_bias, ff), (&w.ffn_up, &no_bias, ff)];
            let gate_up_glu = match stack(&[&w.ffn_gate, &w.ffn_up]) {
                Some(weight) if weight.chunk_count() == 1 => {
                    Some(k.matvec_glu.bind(&ctx, weight, &bf.h, &bf.act, activation)?)
                }
                _ => None,
            };
            layers.push(LayerPlan {
                qkv: projections(&qkv, "attn_qkv", &bf.qkv)?,
                rope_kv: k.rope_kv.bind(&ctx, &step, &bf.qkv, cache, &rope)?,
                attention: k.attention.bind(&ctx, &step, &bf.qkv, cache, &bf.att, &attention)?,
                o: whole(&w.wo, "attn_output", &bf.att, &bf.o)?,
                attn_post_norm,
                attn_add_norm: add_norm(attn_out, &w.ffn_norm)?,
                gate_up: projections(&gate_up, "ffn_gate_up", &bf.gate_up)?,
                glu: k.glu.bind(&ctx, &step, &bf.gate_up, &bf.act, ff, activation)?,
                gate_up_glu,
                down: whole(&w.ffn_down, "ffn_down", &bf.act, &bf.o)?,
                ffn_post_norm,
                ffn_add_norm: add_norm(ffn_out, next_norm)?,
            });
        }
        let embd_scale = c.embd_scale.unwrap_or(1.0);
        let embedding = weights.token_embd.matrix("token_embd")?;
        let output = weights.output.as_ref().unwrap_or(&weights.token_embd).matrix("output")?;
        let plan = Plan {
            embed: Embedding::new(&ctx).bind(&ctx, &step, embedding, &bf.ids, &bf.x, embd_scale)?,
            first_norm: norm(&first.attn_norm, &bf.x, &bf.h)?,
            layers,
            output: k.matvec.bind(&ctx, output, &bf.last, &bf.logits, None, None)?,
            final_softcap: c
                .final_softcap
                .map(|cap| Softcap::new(&ctx).bind(&ctx, &bf.logits, vocab, cap))
                .transpose()?,
            argmax: TopK::new(&ctx).bind(&ctx, &bf.logits, vocab, 1)?,
            top_k: TopK::new(&ctx).bind(&ctx, &bf.logits, vocab, TOP_K_LIMIT.min(vocab))?,
        };
        let stacked_biases = stacked_bias_buffers.into_inner();
        Ok(GpuModel {
            config,
            ctx,
            _weights: weights,
            _caches: caches,
            _stacked_biases: stacked_biases,
            buffers,
            step,
            plan,
            n_ctx,
            batch,
            len: 0,
            ahead: None,
            submit_ahead: true,
            taken_ahead: 0,
        })
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn adapter_name(&self) -> &str {
        &self.ctx.summary.name
    }

    /// What the model's GPU is (name, backend, driver, limits).
    pub fn adapter(&self) -> &AdapterSummary {
        &self.ctx.summary
    }

    /// Kernel dispatches recorded for one decoded token (the dispatch overhead a small model pays).
    pub fn dispatches_per_token(&self) -> usize {
        let mut counter = Counter::default();
        self.record(&mut counter, 1, Tail::Token { slot: 0 });
        counter.dispatches
    }

    /// Positions in the KV cache.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.n_ctx as usize
    }

    /// Forgets every position from `len` on (the cache keeps the prefix).
    pub fn truncate(&mut self, len: usize) {
        self.ahead = None;
        self.len = self.len.min(u32::try_from(len).unwrap_or(u32::MAX));
    }

    /// Whether argmax calls submit the next decode step before reading their token back (on by
    /// default; off, each token is read back before the next is recorded). `mindseye bench model`
    /// measures decoding both ways.
    pub fn set_submit_ahead(&mut self, on: bool) {
        self.submit_ahead = on;
        self.ahead = None;
    }

    /// What to ask [`GpuModel::forward`] for to step `generator`: [`Want::for_generator`], except
    /// that on a software adapter top-k sampling reads the logits, since ranking the top k there (k
    /// rounds of selection, each ending in a workgroup barrier tree) costs more than reading the
    /// logits back and selecting on the host.
    pub fn want_for(&self, generator: &Generator) -> Want {
        match Want::for_generator(generator) {
            Want::TopK(_) if self.ctx.summary.is_software() => Want::Logits,
            want => want,
        }
    }

    /// Argmax calls so far that a step submitted ahead answered (see [`GpuModel::forward`]).
    pub fn steps_taken_ahead(&self) -> u64 {
        self.taken_ahead
    }

    /// Runs `tokens` at the next positions and reads back what `want` asks for about the last one.
    ///
    /// An argmax call also submits the next greedy step before it waits for its own token: that
    /// token at the next position, its id copied on the GPU, so the GPU has the step to run while
    /// the host reads back, returns and records. When the next call is for that one token (greedy
    /// decoding), it only reads the step's token back (and submits the one after); any other call
    /// runs over it.
    pub async fn forward(&mut self, tokens: &[u32], want: Want) -> Result<Output, GpuError> {
        match want {
            Want::Argmax => self.argmax(tokens).await.map(Output::Token),
            Want::TopK(k) => self.top_k(tokens, k).await.map(Output::Ranked),
            Want::Logits => self.logits(tokens).await.map(Output::Logits),
        }
    }

    /// [`Want::Argmax`]: takes the step submitted ahead when it ran `tokens`, and submits the next.
    async fn argmax(&mut self, tokens: &[u32]) -> Result<u32, GpuError> {
        let (slot, submission) = match self.ahead.take() {
            Some(ahead) if tokens == [ahead.input] => {
                self.len += 1;
                self.taken_ahead += 1;
                (ahead.slot, Some(ahead.submission))
            }
            _ => (0, self.run(tokens, Tail::Token { slot: 0 }).await?),
        };
        // Mapped before the next step is submitted, so that the browser need not wait for that too.
        let mapping = Mapping::start(&self.buffers.token_staging[slot]);
        let next_slot = 1 - slot;
        let next = match self.submit_ahead && self.len < self.n_ctx {
            true => Some(self.submit_next(next_slot).await),
            false => None,
        };
        // Read even when the step ahead failed, so the buffer is not left mapping.
        let token = mapping.bytes(&self.ctx, submission).await.and_then(|bytes| token_id(&bytes));
        let (token, next) = (token?, next.transpose()?);
        self.ahead = next.map(|submission| Ahead { input: token, slot: next_slot, submission });
        Ok(token)
    }

    /// [`Want::TopK`]: `(id, logit)` of the k most likely tokens.
    async fn top_k(&mut self, tokens: &[u32], k: u32) -> Result<Vec<(u32, f32)>, GpuError> {
        let limit = self.plan.top_k.k();
        if k == 0 || k > limit {
            return Err(GpuError::Unsupported(format!("ranking the top {k} tokens (1 to {limit} here)")));
        }
        self.run(tokens, Tail::Ranked).await?;
        let ranked = self.plan.top_k.read(&self.ctx).await?;
        Ok(ranked.indices.into_iter().zip(ranked.values).take(k as usize).collect())
    }

    /// [`Want::Logits`].
    pub(super) async fn logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>, GpuError> {
        self.run(tokens, Tail::Logits).await?;
        let bytes = map_read(&self.ctx, &self.buffers.logits_staging).await?;
        Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    /// Submits the step after the last call: its argmax as the one token at position `len`,
    /// copied on the GPU, with the argmax of that step going to read-back buffer `slot`.
    async fn submit_next(&self, slot: usize) -> Result<wgpu::SubmissionIndex, GpuError> {
        let scope = self.ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.step.write(&self.ctx, self.len, 1);
        let mut recorder = PassRecorder::new(&self.ctx.device);
        let (ids, argmax) = (&self.buffers.ids, self.plan.argmax.result());
        recorder.copy(|e| e.copy_buffer_to_buffer(argmax, 0, ids, 0, 4));
        self.record(&mut recorder, 1, Tail::Token { slot });
        let submission = self.ctx.queue.submit([recorder.finish()]);
        if let Some(error) = scope.pop().await {
            self.ctx.check_alive()?;
            return Err(GpuError::Rejected(error.to_string()));
        }
        Ok(submission)
    }

    /// Runs `tokens` at the next positions and reads nothing back: the first part of a long prompt,
    /// so that a page can give the main thread back between parts (recording a batch takes a few
    /// milliseconds there). The last part then goes through [`GpuModel::forward`].
    pub async fn prefill(&mut self, tokens: &[u32]) -> Result<(), GpuError> {
        self.run(tokens, Tail::Nothing).await.map(|_| ())
    }

    /// Tokens per recorded batch: the model's [`Capacity::batch`]. On a CPU adapter whose
    /// projections could not all bind the CPU-adapter matmul kernel (rows longer than its 64 KiB
    /// window), a prompt runs one token at a time through the matrix-vector kernels, which
    /// lavapipe runs about three times faster per token than the GPU's matmul.wgsl.
    pub fn batch_size(&self) -> usize {
        let slow_matmul = self.ctx.uses_cpu_kernels() && !self.plan.matmuls_use_cpu_kernel();
        if slow_matmul { 1 } else { self.batch as usize }
    }

    /// Records and submits `tokens` in batches of `batch_size` tokens; only the last batch ends
    /// with `tail`. Returns the last submission.
    async fn run(&mut self, tokens: &[u32], tail: Tail) -> Result<Option<wgpu::SubmissionIndex>, GpuError> {
        self.ahead = None;
        self.ctx.check_alive()?;
        self.check_tokens(tokens)?;
        // WebGPU reports invalid work asynchronously and otherwise computes zeros: catch it here.
        let scope = self.ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let batches: Vec<&[u32]> = tokens.chunks(self.batch_size()).collect();
        let mut submission = None;
        for (i, batch) in batches.iter().enumerate() {
            let last = i + 1 == batches.len();
            self.start(batch);
            let mut recorder = PassRecorder::new(&self.ctx.device);
            self.record(&mut recorder, batch.len() as u32, if last { tail } else { Tail::Nothing });
            submission = Some(self.ctx.queue.submit([recorder.finish()]));
            self.len += batch.len() as u32;
        }
        if let Some(error) = scope.pop().await {
            self.ctx.check_alive()?;
            return Err(GpuError::Rejected(error.to_string()));
        }
        Ok(submission)
    }

    /// Runs up to [`Capacity::batch`] tokens at the next positions like `forward(tokens, Want::Argmax)`,
    /// timing each kernel (see [`Profile`]).
    pub async fn profile(&mut self, tokens: &[u32], timing: Timing) -> Result<Profile, GpuError> {
        self.ahead = None;
        self.check_tokens(tokens)?;
        if tokens.len() > self.batch as usize {
            return Err(GpuError::Shape(format!(
                "profiling {} tokens in one call (at most the batch, {})",
                tokens.len(),
                self.batch
            )));
        }
        if timing == Timing::Timestamps && !self.ctx.summary.timestamps {
            return Err(GpuError::Unsupported("timestamp queries on this adapter".into()));
        }
        let n = tokens.len() as u32;
        let tail = Tail::Token { slot: 0 };
        let scope = self.ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.start(tokens);
        let mut as_run = None;
        let times = match timing {
            Timing::Timestamps => {
                let mut counter = Counter::default();
                self.record(&mut counter, n, tail);
                // The call as forward records it, then kernel by kernel: both write the same cache
                // entries and outputs.
                let queries = as_run_queries(&self.ctx, counter.copies + 1)?;
                let mut recorder = PassRecorder::timed(&self.ctx.device, queries.clone());
                self.record(&mut recorder, n, tail);
                as_run = Some(as_run_seconds(&self.ctx, recorder, &queries).await?);
                let mut recorder = TimestampRecorder::new(&self.ctx, counter.kernels)?;
                self.record(&mut recorder, n, tail);
                recorder.finish().await
            }
            #[cfg(not(target_arch = "wasm32"))]
            Timing::WallTime => super::profile::wall_times(&self.ctx, |recorder| self.record(recorder, n, tail)),
            #[cfg(target_arch = "wasm32")]
            Timing::WallTime => {
                Err(GpuError::Unsupported("wall-time profiling in the browser (it cannot wait for the GPU)".into()))
            }
        };
        self.len += n;
        if let Some(error) = scope.pop().await {
            return Err(GpuError::Rejected(error.to_string()));
        }
        let token = token_id(&map_read(&self.ctx, &self.buffers.token_staging[0]).await?)?;
        Ok(Profile::new(timing, n, times?, token, as_run))
    }

    fn check_tokens(&self, tokens: &[u32]) -> Result<(), GpuError> {
        if tokens.is_empty() {
            return Err(GpuError::Shape("no tokens to run".into()));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.config.n_vocab) {
            return Err(GpuError::Shape(format!("token {t} is outside the vocabulary of {}", self.config.n_vocab)));
        }
        if self.len as usize + tokens.len() > self.n_ctx as usize {
            return Err(GpuError::Shape(format!("the context is full ({} tokens)", self.n_ctx)));
        }
        Ok(())
    }

    /// Writes a batch's token ids and the step uniform, before its commands are submitted.
    fn start(&self, tokens: &[u32]) {
        self.ctx.queue.write_buffer(&self.buffers.ids, 0, bytemuck::cast_slice(tokens));
        self.step.write(&self.ctx, self.len, tokens.len() as u32);
    }

    /// Records one batch of `n` tokens: the layers over all its tokens, then (unless the tail is
    /// nothing) the output head on its last token and the read-back copy.
    fn record(&self, r: &mut impl Recorder, n: u32, tail: Tail) {
        let (b, p) = (&self.buffers, &self.plan);
        r.kernel(&p.embed, n);
        r.kernel(&p.first_norm, n);
        for l in &p.layers {
            for projection in &l.qkv {
                r.kernel(projection, n);
            }
            r.kernel(&l.rope_kv, n);
            r.kernel(&l.attention.at(self.len), n);
            r.kernel(&l.o, n);
            if let Some(norm) = &l.attn_post_norm {
                r.kernel(norm, n);
            }
            r.kernel(&l.attn_add_norm, n);
            match &l.gate_up_glu {
                Some(fused) if n == 1 => r.kernel(fused, n),
                _ => {
                    for projection in &l.gate_up {
                        r.kernel(projection, n);
                    }
                    r.kernel(&l.glu, n);
                }
            }
            r.kernel(&l.down, n);
            if let Some(norm) = &l.ffn_post_norm {
                r.kernel(norm, n);
            }
            r.kernel(&l.ffn_add_norm, n);
        }
        if tail == Tail::Nothing {
            return;
        }
        let row = self.config.n_embd as u64 * 4;
        r.copy(|e| e.copy_buffer_to_buffer(&b.h, u64::from(n - 1) * row, &b.last, 0, row));
        r.kernel(&p.output, 1);
        if let Some(cap) = &p.final_softcap {
            r.kernel(cap, 1);
        }
        match tail {
            Tail::Token { slot } => {
                r.kernel(&p.argmax, 1);
                r.copy(|e| e.copy_buffer_to_buffer(p.argmax.result(), 0, &b.token_staging[slot], 0, 4));
            }
            Tail::Ranked => {
                r.kernel(&p.top_k, 1);
                r.copy(|e| p.top_k.copy_result(e));
            }
            Tail::Logits => {
                r.copy(|e| e.copy_buffer_to_buffer(&b.logits, 0, &b.logits_staging, 0, b.logits_staging.size()))
            }
            Tail::Nothing => {}
        }
    }
}

/// The token id in an argmax read-back buffer's bytes.
fn token_id(bytes: &[u8]) -> Result<u32, GpuError> {
    let word = bytes.first_chunk::<4>().ok_or_else(|| GpuError::Readback("no argmax".into()))?;
    Ok(u32::from_le_bytes(*word))
}

/// Loads a model from its file's bytes, given in order as chunks of any size (a native file read in
/// pieces, or test fixtures); the browser drives [`GpuLoader`] itself as its download streams in.
pub fn load_chunks<I>(ctx: Arc<Context>, chunks: I, capacity: impl Into<Capacity>) -> Result<GpuModel, LoadError>
where
    I: IntoIterator<Item = Result<Vec<u8>, LoadError>>,
{
    let mut reader = gguf::StreamReader::new();
    let mut loader: Option<GpuLoader<'_>> = None;
    let header_error = |e: gguf::Error| LoadError::Config(e.into());
    for chunk in chunks {
        let chunk = chunk?;
        let pushed = reader.push(&chunk).map_err(header_error)?;
        if let Some(file) = pushed.header {
            loader = Some(GpuLoader::new(&ctx, file)?);
        }
        if let Some(loader) = loader.as_mut() {
            for piece in &pushed.pieces {
                loader.push(piece)?;
            }
        }
    }
    let pushed = reader.finish().map_err(header_error)?;
    if let Some(file) = pushed.header {
        loader = Some(GpuLoader::new(&ctx, file)?);
    }
    let mut loader = loader.ok_or_else(|| LoadError::Io("the file ended before its header".into()))?;
    for piece in &pushed.pieces {
        loader.push(piece)?;
    }
    loader.finish(ctx.clone(), capacity)
}
