//! `mindseye sgp ...`: check SGP-Bench files end to end and render single programs.

use mindseye_core::sgp::{Dataset, Format, Limits, Question, Svg, SvgError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Load every row and render every SVG; print each problem (parse error, render error, blank
    /// image), the render time per SVG, and `N passed, M failed` over rows.
    Check {
        /// A `.csv`, `.json` or `.jsonl` question file.
        file: PathBuf,
        /// Render each SVG into a SIZE x SIZE image.
        #[arg(long, default_value_t = 256)]
        size: u32,
        /// Time each SVG this many times and keep the fastest (steadier on a busy machine).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// Render one row's SVG to a PNG.
    Render {
        file: PathBuf,
        /// 1-based data row (the header is not a row), as `check` reports them.
        #[arg(long)]
        row: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 512)]
        size: u32,
    },
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        Command::Check { file, size, repeat } => check(&load(&file)?, size, repeat),
        Command::Render { file, row, out, size } => {
            let dataset = load(&file)?;
            let question = find(&dataset, row)?;
            let image = Svg::prepare(question.svg(), Limits::default())
                .and_then(|svg| svg.render(size, size))
                .map_err(|e| format!("row {row}: {e}"))?;
            let png = image.to_png().map_err(|e| format!("cannot encode the PNG: {e}"))?;
            std::fs::write(&out, png).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("row {row}: {} -> {} ({size}x{size})", question.question(), out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load(file: &Path) -> Result<Dataset, String> {
    let name = file.to_string_lossy();
    let format = Format::from_file_name(&name).ok_or_else(|| format!("{name}: not a .csv, .json or .jsonl file"))?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {name}: {e}"))?;
    Dataset::load(&bytes, format).map_err(|e| format!("{name}: {e}"))
}

/// One question of a question file, by its 1-based data row.
pub fn load_row(file: &Path, row: usize) -> Result<Question, String> {
    find(&load(file)?, row).cloned()
}

fn find(dataset: &Dataset, row: usize) -> Result<&Question, String> {
    if let Some(question) = dataset.questions.iter().find(|q| q.row == row) {
        return Ok(question);
    }
    match dataset.errors.iter().find(|e| e.row == row) {
        Some(error) => Err(format!("row {row} cannot be loaded: {}", error.reason)),
        None => Err(format!("there is no row {row} (rows are numbered from 1, the header excluded)")),
    }
}

fn check(dataset: &Dataset, size: u32, repeat: u32) -> Result<ExitCode, String> {
    // Problems are printed in row order, whichever stage found them.
    let mut problems: Vec<(usize, String)> =
        dataset.errors.iter().map(|e| (e.row, format!("parse error: {}", e.reason))).collect();
    let mut times = Vec::with_capacity(dataset.questions.len());
    for question in &dataset.questions {
        let mut fastest = Duration::MAX;
        let mut rendered = Err(SvgError::Unusable("not rendered".into()));
        for _ in 0..repeat {
            let started = Instant::now();
            rendered = Svg::prepare(question.svg(), Limits::default()).and_then(|svg| svg.render(size, size));
            fastest = fastest.min(started.elapsed());
        }
        times.push(fastest);
        match rendered {
            Err(e) => problems.push((question.row, format!("render error: {e}"))),
            Ok(image) if image.is_blank() => problems.push((question.row, "blank image".to_string())),
            Ok(_) => {}
        }
    }
    problems.sort_by_key(|(row, _)| *row);
    for (row, problem) in &problems {
        println!("row {row}: {problem}");
    }
    if let (Some(median), Some(p95)) = (percentile(&mut times, 0.5), percentile(&mut times, 0.95)) {
        println!(
            "render time per SVG (parse + render at {size}x{size}, {} SVGs, fastest of {repeat}): median {:.3} ms, p95 {:.3} ms",
            times.len(),
            median.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3
        );
    }
    let rows = dataset.questions.len() + dataset.errors.len();
    let failed = problems.iter().map(|(row, _)| row).collect::<std::collections::BTreeSet<_>>().len();
    println!("{} passed, {failed} failed", rows - failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Nearest-rank percentile.
fn percentile(times: &mut [Duration], fraction: f64) -> Option<Duration> {
    times.sort_unstable();
    let rank = (fraction * times.len() as f64).ceil() as usize;
    times.get(rank.saturating_sub(1)).copied()
}
