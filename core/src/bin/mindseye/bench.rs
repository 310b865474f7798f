//! `mindseye bench kernels`: matvec bandwidth per weight type at model-like sizes, next to a plain
//! copy kernel on the same adapter, plus one matmul (prefill) figure and decode attention over a long
//! context with the KV cache in f32 and in f16.

use clap::Subcommand;
use mindseye_core::gpu::{
    Attention, AttentionConfig, BATCH_LIMIT, Context, KvCache, Matmul, Matvec, SUPPORTED_TYPES, Step, Weight,
    storage_zeroed, wgpu,
};
use mindseye_core::quant::{self, Type};
use mindseye_core::random::SplitMix64;
use std::process::ExitCode;
use std::time::Instant;
use wgpu::util::DeviceExt;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// A model's load time, prefill and decode tokens/s, time to first token and peak memory, next
    /// to llama.cpp on the same file.
    Model(super::bench_model::Args),
    /// Matvec GB/s per weight type against a copy kernel, and matmul GFLOP/s at 64 tokens (or
    /// --matmul-tokens) against as many matvecs.
    Kernels {
        /// Timed runs per figure (the median is reported), after two warm-up runs.
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Use the portable kernels even if the adapter has subgroups.
        #[arg(long)]
        portable: bool,
        /// Use the GPU matrix-vector kernels even on a CPU adapter (lavapipe).
        #[arg(long)]
        gpu_kernels: bool,
        /// Each run streams at least this many MiB of distinct buffers, so a CPU adapter's caches
        /// cannot hold them (lavapipe on a 32 MiB L3).
        #[arg(long, default_value_t = 96)]
        footprint_mib: u64,
        /// Only these weight types (e.g. `q4_0,q8_0`); all when absent.
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        /// Matrix shapes as COLSxROWS (e.g. `896x4864,4864x896`); Qwen2.5-0.5B's and Llama 3.2
        /// 1B's feed-forward matrices when absent.
        #[arg(long, value_delimiter = ',', value_parser = parse_shape)]
        shapes: Vec<(u32, u32)>,
        /// Skip the matmul figures.
        #[arg(long)]
        no_matmul: bool,
        /// Tokens per matmul figure, one figure per count (e.g. `64,128,256`): the prompt batch a
        /// model built with `bench model --batch` would run; each from 1 to 512.
        #[arg(long, value_delimiter = ',', default_value = "64",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(BATCH_LIMIT)))]
        matmul_tokens: Vec<u32>,
        /// Skip the attention figures.
        #[arg(long)]
        no_attention: bool,
        /// Force the GPU matvec kernels' workgroup shape, THREADSxROWS (e.g. `64x4`), instead of
        /// the engine's choice by row length (32x8 up to 96 units a row, 128x2 beyond).
        #[arg(long, value_parser = parse_shape)]
        matvec_shape: Option<(u32, u32)>,
    },
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        BenchCommand::Model(args) => super::bench_model::run(args),
        BenchCommand::Kernels {
            runs,
            portable,
            gpu_kernels,
            footprint_mib,
            types,
            shapes,
            no_matmul,
            matmul_tokens,
            no_attention,
            matvec_shape,
        } => {
            let types = if types.is_empty() {
                SUPPORTED_TYPES.to_vec()
            } else {
                types
                    .iter()
                    .map(|name| {
                        SUPPORTED_TYPES.iter().copied().find(|t| t.name().eq_ignore_ascii_case(name)).ok_or_else(|| {
                            let names: Vec<&str> = SUPPORTED_TYPES.iter().map(|t| t.name()).collect();
                            format!("unknown weight type {name}; choose from {}", names.join(", "))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            // The adapter with the kernels these flags ask for (the attention figures open it twice).
            let open = || -> Result<Context, String> {
                let ctx = pollster::block_on(Context::new()).map_err(|e| e.to_string())?;
                let ctx = if portable { ctx.without_subgroups() } else { ctx };
                Ok(if gpu_kernels { ctx.without_cpu_kernels() } else { ctx })
            };
            let ctx = open()?;
            let ctx = match matvec_shape {
                Some((threads, rows)) => ctx.with_matvec_shape(threads, rows).map_err(|e| e.to_string())?,
                None => ctx,
            };
            let (runs, footprint) = (runs.max(1), footprint_mib << 20);
            let shapes = if shapes.is_empty() { SHAPES.to_vec() } else { shapes };
            let matmul_tokens = if no_matmul { Vec::new() } else { matmul_tokens };
            kernels(&ctx, runs, footprint, &types, &shapes, &matmul_tokens)?;
            if !no_attention {
                attention(&ctx, &open()?.without_f16(), runs, footprint)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// (cols, rows): Qwen2.5-0.5B's ffn_up (896 -> 4864) and ffn_down (4864 -> 896), Llama 3.2 1B's
/// ffn_up (2048 -> 8192).
const SHAPES: [(u32, u32); 3] = [(896, 4864), (2048, 8192), (4864, 896)];
const WARMUP: usize = 2;
/// Dispatches per pass when timing the cost of a dispatch itself.
const FLOOR_DISPATCHES: usize = 256;

/// "COLSxROWS", both from 1 to 65,536.
fn parse_shape(s: &str) -> Result<(u32, u32), String> {
    let side = |v: &str| v.trim().parse::<u32>().ok().filter(|n| (1..=65_536).contains(n));
    match s.split_once(['x', 'X']) {
        Some((cols, rows)) => match (side(cols), side(rows)) {
            (Some(cols), Some(rows)) => Ok((cols, rows)),
            _ => Err(format!("{s}: each side must be a whole number from 1 to 65536")),
        },
        None => Err(format!("{s}: write a shape as COLSxROWS, e.g. 896x4864")),
    }
}

/// Times one compute pass: GPU timestamps when the adapter has them, else wall time from submit to
/// completion (then many dispatches per pass keep the submit overhead small).
struct Timer {
    queries: Option<(wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer)>,
    period_ns: f64,
}

impl Timer {
    fn new(ctx: &Context) -> Self {
        let queries = ctx.summary.timestamps.then(|| {
            let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("bench"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let buffer = |usage| {
                ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: None,
                    size: 16,
                    usage,
                    mapped_at_creation: false,
                })
            };
            let resolve = buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
            let read = buffer(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            (set, resolve, read)
        });
        Self { queries, period_ns: f64::from(ctx.queue.get_timestamp_period()) }
    }

    fn method(&self) -> &'static str {
        if self.queries.is_some() { "GPU timestamp queries" } else { "wall time per submission" }
    }

    /// Seconds taken by the pass that `record` fills.
    fn time(&self, ctx: &Context, record: &dyn Fn(&mut wgpu::ComputePass<'_>)) -> Result<f64, String> {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let timestamp_writes = self.queries.as_ref().map(|(set, _, _)| wgpu::ComputePassTimestampWrites {
            query_set: set,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
            record(&mut pass);
        }
        if let Some((set, resolve, read)) = &self.queries {
            encoder.resolve_query_set(set, 0..2, resolve, 0);
            encoder.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
        }
        let start = Instant::now();
        ctx.queue.submit([encoder.finish()]);
        let Some((_, _, read)) = &self.queries else {
            ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| e.to_string())?;
            return Ok(start.elapsed().as_secs_f64());
        };
        read.map_async(wgpu::MapMode::Read, .., |_| {});
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| e.to_string())?;
        let ticks: Vec<u64> = {
            let view = read.get_mapped_range(..).map_err(|e| e.to_string())?;
            view.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())).collect()
        };
        read.unmap();
        Ok(ticks[1].saturating_sub(ticks[0]) as f64 * self.period_ns * 1e-9)
    }

    /// Median seconds per repetition over `runs` timed passes of `reps` repetitions each.
    fn median(
        &self,
        ctx: &Context,
        runs: usize,
        reps: usize,
        record: &dyn Fn(&mut wgpu::ComputePass<'_>),
    ) -> Result<f64, String> {
        let mut times = Vec::with_capacity(runs);
        for i in 0..WARMUP + runs {
            let t = self.time(ctx, record)?;
            if i >= WARMUP {
                times.push(t / reps as f64);
            }
        }
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    }
}

/// How a run's dispatches relate. wgpu puts a barrier between two dispatches that write the same
/// buffer, so the GPU runs them one after the other; dispatches that write different buffers may
/// overlap. A decode step is chained (each kernel reads what the one before wrote); independent
/// dispatches show what a kernel pulls when the GPU is kept full.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Each dispatch writes its own output.
    Independent,
    /// Every dispatch writes the same output.
    Chained,
}

/// `dst = src` over vec4<u32> (shaders/copy.wgsl), one bind group per source, each with its own
/// destination or all with one ([`Order`]).
struct CopyKernel {
    pipeline: wgpu::ComputePipeline,
    bind_groups: Vec<wgpu::BindGroup>,
    groups: (u32, u32),
}

impl CopyKernel {
    fn new(ctx: &Context, bytes: u64, pairs: usize, order: Order) -> Self {
        let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("copy"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../../../shaders/copy.wgsl").into()),
        });
        let pipeline = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("copy"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let quads = bytes.div_ceil(16) as u32;
        let params = ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("copy.params"),
            contents: bytemuck::cast_slice(&[quads, 0, 0, 0]),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let shared_dst = (order == Order::Chained).then(|| storage_zeroed(ctx, "copy.dst", quads as usize * 4));
        let bind_groups = (0..pairs)
            .map(|_| {
                let src = storage_zeroed(ctx, "copy.src", quads as usize * 4);
                let dst = shared_dst.clone().unwrap_or_else(|| storage_zeroed(ctx, "copy.dst", quads as usize * 4));
                ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("copy"),
                    layout: &pipeline.get_bind_group_layout(0),
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: src.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: dst.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 2, resource: params.as_entire_binding() },
                    ],
                })
            })
            .collect();
        let groups = quads.div_ceil(256);
        let groups = if groups <= 65_535 { (groups, 1) } else { (65_535, groups.div_ceil(65_535)) };
        Self { pipeline, bind_groups, groups }
    }

    fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        for bind_group in &self.bind_groups {
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
        }
    }
}

fn kernels(
    ctx: &Context,
    runs: usize,
    footprint: u64,
    types: &[Type],
    shapes: &[(u32, u32)],
    matmul_tokens: &[u32],
) -> Result<(), String> {
    let s = &ctx.summary;
    println!("adapter:   {} ({}, {}; {})", s.name, s.backend, s.device_type, s.driver);
    let timer = Timer::new(ctx);
    let kernel = if ctx.uses_cpu_kernels() {
        "matvec_rows.wgsl (CPU adapter: a row per invocation, x from a uniform buffer)"
    } else if ctx.uses_subgroups() {
        "matvec.wgsl, reduction by subgroupAdd"
    } else {
        "matvec.wgsl, reduction by a workgroup-memory tree (portable)"
    };
    let kernel = match ctx.matvec_shape() {
        Some((threads, rows)) if !ctx.uses_cpu_kernels() => format!("{kernel}, workgroups of {threads} x {rows} rows"),
        _ => kernel.to_string(),
    };
    println!("timing:    {}, median of {runs} runs after {WARMUP} warm-up runs", timer.method());
    println!("matvec:    {kernel}; each run cycles through >= {} MiB of distinct copies", footprint >> 20);
    println!("copy:      shaders/copy.wgsl over the same bytes and copy count; GB/s counts bytes read + written");
    println!("order:     each copy writes its own output, so a GPU may overlap the dispatches; chained: all");
    println!("           write one (wgpu puts a barrier between them, as between a decode step's kernels),");
    println!("           the matvec and the copy alike");
    // What a decode step pays per kernel before any work: a step is ~200 chained dispatches.
    let floor = |order| {
        let copy = CopyKernel::new(ctx, 16, FLOOR_DISPATCHES, order);
        timer.median(ctx, runs, FLOOR_DISPATCHES, &|pass| copy.record(pass))
    };
    println!(
        "dispatch:  {:.1} us chained, {:.1} us independent (a 16-byte copy, {FLOOR_DISPATCHES} in a pass): the floor of every kernel",
        floor(Order::Chained)? * 1e6,
        floor(Order::Independent)? * 1e6
    );
    println!();
    println!(
        "{:<7} {:>13} {:>9} {:>7} {:>10} {:>9} {:>10} {:>7} {:>11} {:>8}",
        "type", "cols -> rows", "MiB", "copies", "us/matvec", "GB/s", "copy GB/s", "ratio", "chained us", "ratio"
    );

    let matvec = Matvec::new(ctx);
    let mut rng = SplitMix64::new(1);
    // Seconds per matvec, the peer of the matmul figures below.
    let mut matvec_times = Vec::new();
    for &ty in types {
        for &(cols, rows) in shapes {
            let shape = format!("{cols} -> {rows}");
            // Whole 32-element units, and for K-quants whole super-blocks.
            let multiple = ty.block_size().max(32);
            if !(cols as usize).is_multiple_of(multiple) {
                println!(
                    "{:<7} {shape:>13}   n/a: {cols} columns are not whole {multiple}-element super-blocks",
                    ty.name()
                );
                continue;
            }
            let bytes =
                quant::random_weights(ty, rows as usize * cols as usize, &mut rng).map_err(|e| e.to_string())?;
            let first = Weight::from_bytes(ctx, "bench", ty, rows, cols, &bytes).map_err(|e| e.to_string())?;
            let weight_bytes = first.gpu_bytes();
            let copies = footprint.div_ceil(weight_bytes).clamp(1, 64) as usize;
            let mut weights = vec![first];
            for _ in 1..copies {
                weights.push(Weight::from_bytes(ctx, "bench", ty, rows, cols, &bytes).map_err(|e| e.to_string())?);
            }
            // 64 KiB at least, as the model's activations: a CPU adapter's kernel reads x as a uniform.
            let x = storage_zeroed(ctx, "x", (cols as usize).max(16 << 10));
            let shared_y = storage_zeroed(ctx, "y", rows as usize);
            let own_ys: Vec<_> = weights.iter().map(|_| storage_zeroed(ctx, "y", rows as usize)).collect();
            // Seconds per matvec and per copy, in `order`.
            let time = |order| -> Result<(f64, f64), String> {
                let bound = weights
                    .iter()
                    .zip(&own_ys)
                    .map(|(w, own_y)| {
                        let y = if order == Order::Chained { &shared_y } else { own_y };
                        matvec.bind(ctx, w, &x, y, None, None)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let t = timer.median(ctx, runs, copies, &|pass| bound.iter().for_each(|b| b.encode(pass)))?;
                let copy = CopyKernel::new(ctx, weight_bytes, copies, order);
                Ok((t, timer.median(ctx, runs, copies, &|pass| copy.record(pass))?))
            };
            let (t, t_copy) = time(Order::Independent)?;
            let (t_chained, t_copy_chained) = time(Order::Chained)?;
            drop((weights, own_ys));
            matvec_times.push((ty, (cols, rows), t_chained));
            let gbps = weight_bytes as f64 / t * 1e-9;
            let copy_gbps = 2.0 * weight_bytes as f64 / t_copy * 1e-9;
            // Bytes per second over copy bytes per second, the same bytes: a ratio of times.
            let chained_ratio = 2.0 * t_copy_chained / t_chained;
            println!(
                "{:<7} {shape:>13} {:>9.2} {copies:>7} {:>10.1} {gbps:>9.2} {copy_gbps:>10.2} {:>7.2} {:>11.1} {chained_ratio:>8.2}",
                ty.name(),
                weight_bytes as f64 / (1 << 20) as f64,
                t * 1e6,
                gbps / copy_gbps,
                t_chained * 1e6,
            );
        }
    }

    if matmul_tokens.is_empty() {
        return Ok(());
    }
    let step = Step::new(ctx);
    let kernels = Matmul::new(ctx);
    println!();
    println!("matmul:    TOKENS tokens through one copy of the weight; x matvec = TOKENS matvecs' time / this");
    println!(
        "{:<7} {:>13} {:>6} {:>9} {:>9} {:>9}  kernel",
        "type", "cols -> rows", "tokens", "ms", "GFLOP/s", "x matvec"
    );
    for (ty, (cols, rows), t_matvec) in matvec_times {
        let bytes = quant::random_weights(ty, rows as usize * cols as usize, &mut rng).map_err(|e| e.to_string())?;
        let weight = Weight::from_bytes(ctx, "bench", ty, rows, cols, &bytes).map_err(|e| e.to_string())?;
        for &n_tokens in matmul_tokens {
            step.write(ctx, 0, n_tokens);
            // 64 KiB past the tokens, as the model's activations: a CPU adapter's kernel reads x
            // through a uniform window from each group of tokens.
            let x = storage_zeroed(ctx, "x", (cols * n_tokens) as usize + (16 << 10));
            let y = storage_zeroed(ctx, "y", (rows * n_tokens) as usize);
            let bound = kernels.bind(ctx, &step, &weight, &x, &y, None, None, n_tokens).map_err(|e| e.to_string())?;
            let t = timer.median(ctx, runs.min(5), 1, &|pass| bound.encode(pass, n_tokens))?;
            let flops = 2.0 * f64::from(n_tokens) * f64::from(cols) * f64::from(rows);
            let kernel = if bound.uses_cpu_kernel() { "matmul_rows.wgsl (CPU adapter)" } else { "matmul.wgsl" };
            println!(
                "{:<7} {:>13} {n_tokens:>6} {:>9.1} {:>9.2} {:>9.2}  {kernel}",
                ty.name(),
                format!("{cols} -> {rows}"),
                t * 1e3,
                flops / t * 1e-9,
                f64::from(n_tokens) * t_matvec / t
            );
        }
    }
    Ok(())
}

/// (model, query heads, kv heads), each head of 64 dimensions.
const ATTENTION_SHAPES: [(&str, u32, u32); 2] = [("Qwen2.5-0.5B", 14, 2), ("Llama 3.2 1B", 32, 8)];
/// A short and a long context.
const ATTENTION_POSITIONS: [u32; 2] = [16, 4096];

/// Decode attention for one token at the end of each context of [`ATTENTION_POSITIONS`], with each
/// model's heads of [`ATTENTION_SHAPES`].
fn attention(ctx: &Context, f32_ctx: &Context, runs: usize, footprint: u64) -> Result<(), String> {
    for (model, n_heads, n_kv) in ATTENTION_SHAPES {
        for positions in ATTENTION_POSITIONS {
            attention_at(ctx, f32_ctx, runs, footprint, model, (n_heads, n_kv), positions)?;
        }
    }
    if !ctx.uses_f16() {
        println!("(no shader-f16 on this adapter: the engine keeps its KV cache in f32)");
    }
    Ok(())
}

/// One model's heads at one context length: first with an f32 KV cache (`f32_ctx`), then with the
/// f16 cache `ctx` uses when the adapter has `shader-f16`. GB/s counts the keys and values read.
fn attention_at(
    ctx: &Context,
    f32_ctx: &Context,
    runs: usize,
    footprint: u64,
    model: &str,
    (n_heads, n_kv): (u32, u32),
    positions: u32,
) -> Result<(), String> {
    let head_dim = 64u32;
    println!();
    println!(
        "attention, decode at position {positions}: {n_heads} query heads over {n_kv} kv heads of {head_dim} ({model})"
    );
    println!(
        "{:<10} {:>9} {:>7} {:>10} {:>9} {:>12} {:>13} {:>9}",
        "cache", "MiB", "copies", "us/layer", "GB/s", "time vs f32", "one walk us", "speed-up"
    );
    let mut f32_time = None;
    let contexts = [Some(f32_ctx), ctx.uses_f16().then_some(ctx)];
    for ctx in contexts.into_iter().flatten() {
        let timer = Timer::new(ctx);
        let new_cache = || KvCache::new(ctx, "bench", positions, n_kv, head_dim).map_err(|e| e.to_string());
        let first = new_cache()?;
        let bytes = first.bytes();
        let copies = footprint.div_ceil(bytes).clamp(1, 64) as usize;
        let mut caches = vec![first];
        for _ in 1..copies {
            caches.push(new_cache()?);
        }
        let step = Step::new(ctx);
        step.write(ctx, positions - 1, 1);
        let q = storage_zeroed(ctx, "q", (n_heads * head_dim) as usize);
        let out = storage_zeroed(ctx, "out", (n_heads * head_dim) as usize);
        let config = AttentionConfig { n_heads, scale: 0.125, softcap: None, window: None, q_stride: None };
        let kernel = Attention::new(ctx);
        let bound = caches
            .iter()
            .map(|cache| kernel.bind(ctx, &step, &q, cache, &out, &config))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let t = timer.median(ctx, runs, copies, &|pass| bound.iter().for_each(|b| b.encode(pass, 1, positions - 1)))?;
        // The same heads walked by one workgroup each, as before decode split its keys.
        let t_walk = timer.median(ctx, runs, copies, &|pass| bound.iter().for_each(|b| b.encode_one_walk(pass, 1)))?;
        let name = if caches[0].is_f16() { "f16" } else { "f32" };
        let versus = f32_time.map_or("1.00".to_string(), |f: f64| format!("{:.2}", t / f));
        f32_time.get_or_insert(t);
        println!(
            "{name:<10} {:>9.2} {copies:>7} {:>10.1} {:>9.2} {versus:>12} {:>13.1} {:>8.2}x",
            bytes as f64 / (1 << 20) as f64,
            t * 1e6,
            bytes as f64 / t * 1e-9,
            t_walk * 1e6,
            t_walk / t
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_shape;

    #[test]
    fn a_shape_reads_columns_then_rows() {
        assert_eq!(parse_shape("896x4864"), Ok((896, 4864)));
        assert_eq!(parse_shape("2048X8192"), Ok((2048, 8192)));
    }

    #[test]
    fn a_shape_without_two_sides_in_range_is_refused() {
        assert!(parse_shape("896").unwrap_err().contains("COLSxROWS"));
        assert!(parse_shape("0x10").unwrap_err().contains("from 1 to 65536"));
        assert!(parse_shape("10x70000").is_err());
        assert!(parse_shape("ax10").is_err());
    }
}
