//! `mindseye`: the native command-line face of the engine (tests, benchmarks, batch evaluation).
//! Each subcommand lives in its own module; this file only dispatches.

mod backend;
mod bench;
mod bench_model;
mod gpu_info;
mod inspect;
mod karel;
mod model_file;
mod run;
mod sgp;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "mindseye", version, about = "Mind's Eye: small language models trying to see programs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the GPU adapter wgpu finds, its limits and features, and run a compute self-test.
    GpuInfo,
    /// Benchmarks: `bench kernels` measures the GPU kernels against a copy kernel.
    Bench(bench::Args),
    /// Karel: check the paper's JSONL, generate tasks, benchmark the interpreter.
    Karel(karel::Args),
    /// SGP-Bench: check question files, render their SVG programs.
    Sgp(sgp::Args),
    /// Summarise a GGUF model file (version, architecture, metadata, tensor types) from its header alone.
    Inspect {
        /// The .gguf file.
        model: PathBuf,
        /// Also list every tensor with its type, dimensions and data offset.
        #[arg(long)]
        tensors: bool,
    },
    /// Generate text from a GGUF model, printing tokens as they come and the speed at the end.
    Run(run::RunArgs),
    /// Rank multiple-choice options by the log-likelihood the model gives them after a prompt.
    Score(run::ScoreArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::GpuInfo => gpu_info::run(),
        Command::Bench(args) => bench::run(args),
        Command::Karel(args) => karel::run(args),
        Command::Sgp(args) => sgp::run(args),
        Command::Inspect { model, tensors } => inspect::run(&model, tensors),
        Command::Run(args) => run::run(args),
        Command::Score(args) => run::score(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mindseye: {message}");
            ExitCode::FAILURE
        }
    }
}
