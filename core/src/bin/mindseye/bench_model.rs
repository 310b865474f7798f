//! `mindseye bench model MODEL.gguf`: load time, prefill and decode speed, time to first token and
//! peak host memory of the GPU engine, next to llama.cpp on the same file in the same run when a
//! Python with `llama-cpp-python` is given (`--llama-cpp`, or `MINDSEYE_LLAMA_PYTHON`).

use super::backend::Backend;
use mindseye_core::gpu::{BATCH_LIMIT, Capacity, DEFAULT_BATCH, GpuModel, Timing, bench};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    model: PathBuf,
    #[arg(long, default_value_t = 64)]
    prompt_tokens: usize,
    #[arg(long, default_value_t = 32)]
    decode_tokens: usize,
    /// Prompt tokens per command buffer (from 1 to 512; llama.cpp's side runs batches of 512).
    #[arg(
        long,
        default_value_t = DEFAULT_BATCH,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(BATCH_LIMIT))
    )]
    batch: u32,
    /// A Python interpreter with llama-cpp-python, to run llama.cpp on the same file as the peer.
    #[arg(long)]
    llama_cpp: Option<PathBuf>,
    /// Threads for llama.cpp (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Layers llama.cpp offloads to its GPU backend (0: its CPU backend; needs a GPU build of
    /// llama-cpp-python, e.g. CUDA).
    #[arg(long, default_value_t = 0)]
    llama_cpp_gpu_layers: i32,
    /// Also time each kernel kind for one prefill batch and one decoded token: by GPU timestamps
    /// when the adapter has them (`auto`), or by the wall clock, one submission per kernel (`wall`).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "auto")]
    profile: Option<ProfileTiming>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ProfileTiming {
    Auto,
    Wall,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let n_ctx = u32::try_from(args.prompt_tokens + args.decode_tokens + 8).map_err(|_| "too many tokens".to_owned())?;
    let capacity = Capacity { n_ctx, batch: args.batch };
    let mut rss_device_open = None;
    let (_, tokenizer, mut backend) = Backend::open_gpu(&args.model, capacity, || rss_device_open = rss_mib("VmRSS"))?;
    let load_s = started.elapsed().as_secs_f64();
    let Backend::Gpu(model) = &mut backend else { unreachable!("opened on the GPU") };
    let n_vocab = model.config.n_vocab;
    // The same deterministic prompt as scripts/llama_cpp_bench.py: ids spread over the vocabulary.
    let mut prompt: Vec<u32> = (0..args.prompt_tokens).map(|i| ((i * 7919 + 13) % n_vocab) as u32).collect();
    if let (Some(bos), Some(first)) = (tokenizer.bos(), prompt.first_mut()) {
        *first = bos;
    }
    let clock = Instant::now();
    let run = bench::measure(model, &prompt, args.decode_tokens, || clock.elapsed().as_secs_f64());
    let measured = pollster::block_on(run).map_err(|e| e.to_string())?;

    println!(
        "model:    {} ({} {} layers, n_embd {}, vocab {n_vocab})",
        args.model.display(),
        model.config.arch,
        model.config.n_layer,
        model.config.n_embd
    );
    println!("device:   {}", model.adapter_name());
    println!("kernels:  {} dispatches per decoded token, one command buffer", model.dispatches_per_token());
    println!("prompt:   {} tokens, in command buffers of up to {}", prompt.len(), model.batch_size());
    let ours = Figures {
        load_s,
        prefill_tok_s: measured.prefill_tokens_per_s(),
        ttft_s: measured.prefill_s,
        decode_tok_s: measured.decode_tokens_per_s(),
    };
    println!("{:<34} {:>8} {:>13} {:>10} {:>12}", "engine", "load s", "prefill tok/s", "TTFT s", "decode tok/s");
    ours.print("mindseye (wgpu)");
    println!("{}", measured.ahead_line());
    println!("{}", measured.sampled_line());
    if let (Some(peak), Some(device_open)) = (rss_mib("VmHWM"), rss_device_open) {
        // The bound is on what loading adds: the driver's own memory comes with the device.
        println!(
            "peak host memory (mindseye): {peak:.0} MiB; {device_open:.0} MiB once the device was open, so loading \
             added at most {:.0} MiB; file {:.0} MiB (on a CPU adapter GPU buffers are host memory too)",
            peak - device_open,
            file_mib(&args.model)
        );
    }
    if let Some(timing) = args.profile {
        let timing = match timing {
            ProfileTiming::Auto => Timing::best(model.context()),
            ProfileTiming::Wall => Timing::WallTime,
        };
        profile(model, &prompt, timing, ours.decode_tok_s)?;
    }
    let python = args.llama_cpp.clone().or_else(|| std::env::var_os("MINDSEYE_LLAMA_PYTHON").map(PathBuf::from));
    if let Some(python) = &python {
        let peer = llama_cpp(python, &args)?;
        let backend = if args.llama_cpp_gpu_layers == 0 { "CPU" } else { "GPU offload" };
        peer.print(&format!("llama.cpp ({backend}, llama-cpp-python)"));
        println!(
            "ratio mindseye / llama.cpp: prefill {:.2}x, decode {:.2}x",
            ours.prefill_tok_s / peer.prefill_tok_s,
            ours.decode_tok_s / peer.decode_tok_s
        );
    }
    Ok(ExitCode::SUCCESS)
}

struct Figures {
    load_s: f64,
    prefill_tok_s: f64,
    ttft_s: f64,
    decode_tok_s: f64,
}

impl Figures {
    fn print(&self, engine: &str) {
        println!(
            "{engine:<34} {:>8.2} {:>13.1} {:>10.3} {:>12.1}",
            self.load_s, self.prefill_tok_s, self.ttft_s, self.decode_tok_s
        );
    }
}

/// Prints where the time of the prompt's first batch and of one decoded token goes, and how much
/// of a decoded token's time (at `decode_tok_s`) the GPU is busy.
fn profile(model: &mut GpuModel, prompt: &[u32], timing: Timing, decode_tok_s: f64) -> Result<(), String> {
    println!();
    println!("profile timing: {timing}");
    let profiles = pollster::block_on(bench::profile(model, prompt, timing)).map_err(|e| e.to_string())?;
    println!("\n{profiles}");
    if let Some(busy) = bench::gpu_busy(&profiles.decode, decode_tok_s) {
        println!("\n{busy}");
    }
    Ok(())
}

fn llama_cpp(python: &Path, args: &Args) -> Result<Figures, String> {
    // The script beside the sources this was built from, else in the current directory (a binary
    // copied to another machine, run from a checkout there).
    let built_from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/llama_cpp_bench.py");
    let script = if built_from.exists() { built_from } else { PathBuf::from("scripts/llama_cpp_bench.py") };
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg(&args.model)
        .args(["--prompt-tokens", &args.prompt_tokens.to_string()])
        .args(["--decode-tokens", &args.decode_tokens.to_string()]);
    if let Some(threads) = args.threads {
        command.args(["--threads", &threads.to_string()]);
    }
    command.args(["--gpu-layers", &args.llama_cpp_gpu_layers.to_string()]);
    let output = command.output().map_err(|e| format!("{}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!("llama.cpp peer failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("llama.cpp peer printed no JSON: {e}"))?;
    let f = |key: &str| json[key].as_f64().ok_or_else(|| format!("llama.cpp peer: no {key}"));
    Ok(Figures {
        load_s: f("load_s")?,
        prefill_tok_s: f("prefill_tok_s")?,
        ttft_s: f("prefill_s")?,
        decode_tok_s: f("decode_tok_s")?,
    })
}

/// Resident memory of this process from Linux's /proc/self/status: `VmRSS` now, `VmHWM` its peak.
fn rss_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.strip_prefix(key).is_some_and(|rest| rest.starts_with(':')))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn file_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(0.0)
}
