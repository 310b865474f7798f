//! `mindseye run MODEL.gguf --prompt "..."`: generate, printing each token as it comes, then a summary
//! line with the prompt and generation speeds. `mindseye score` ranks multiple-choice options.

use super::backend::Backend;
use super::sgp;
use mindseye_core::chat::{Message, Template};
use mindseye_core::generation::PromptEncoder;
use mindseye_core::karel::{self, StraightLineGrammar};
use mindseye_core::model::MAX_CONTEXT;
use mindseye_core::model::{CpuModel, ForwardError, Generator, Limits, Step, StopReason};
use mindseye_core::sampling::{SamplingConfig, ScoringError, TokenTexts, score_options};
use mindseye_core::sgp::ChoiceScoring;
use mindseye_core::tokenizer::Tokenizer;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct RunArgs {
    /// The .gguf model file.
    model: PathBuf,
    /// The text to continue (or, with --chat, the user's message).
    #[arg(long, required_unless_present = "karel", conflicts_with = "karel")]
    prompt: Option<String>,
    /// Ask a Karel task as the app's Karel pane does: the chat prompt as a user turn when the model
    /// has a chat template, else the paper's synthesis prompt as raw text.
    #[arg(long, value_name = "TASKS.jsonl", requires = "task")]
    karel: Option<PathBuf>,
    /// With --karel: which task, counting the file's tasks from 1.
    #[arg(long)]
    task: Option<usize>,
    /// Constrain decoding to straight-line Karel programs (`def run() {`, one action per line, `}`).
    #[arg(long)]
    karel_grammar: bool,
    /// Wrap the prompt in the model's chat template as one user turn.
    #[arg(long)]
    chat: bool,
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    /// 0 is greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    #[arg(long)]
    top_k: Option<usize>,
    #[arg(long)]
    top_p: Option<f32>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Context size to allocate (prompt plus generated tokens).
    #[arg(long, default_value_t = 2048)]
    ctx: usize,
    /// Run on the CPU reference forward pass instead of the GPU.
    #[arg(long)]
    cpu: bool,
    /// Print the token ids instead of their text.
    #[arg(long)]
    ids: bool,
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    model: PathBuf,
    /// The text the options follow (or, with --chat, the user's message).
    #[arg(long, required_unless_present = "sgp", conflicts_with = "sgp")]
    prompt: Option<String>,
    #[arg(long)]
    chat: bool,
    /// An answer option, as it would follow the prompt (e.g. " A"); repeat for each.
    #[arg(long = "option", required_unless_present = "sgp", conflicts_with = "sgp")]
    options: Vec<String>,
    /// Score an SGP-Bench question as the app's "Score the options" does: the official prompt (a
    /// user turn when the model has a chat template) and the answer lines "Answer: A" ... "Answer: D".
    #[arg(long, value_name = "QUESTIONS.csv", requires = "row")]
    sgp: Option<PathBuf>,
    /// With --sgp: the 1-based data row (the header is not a row).
    #[arg(long)]
    row: Option<usize>,
    /// Run on the CPU reference forward pass instead of the GPU.
    #[arg(long)]
    cpu: bool,
}

pub fn run(args: RunArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let (file, tokenizer, mut backend) = Backend::open(&args.model, args.cpu, args.ctx)?;
    let loaded = started.elapsed();
    let config = backend.config().clone();
    let prompt = match (&args.karel, args.task) {
        (Some(path), Some(number)) => {
            let template = Template::declared_in(&file);
            let encoder = PromptEncoder { tokenizer: &tokenizer, template: template.as_ref() };
            encoder.prompt(&karel::model_prompt(&karel_task(path, number)?, encoder.style()))?
        }
        _ => prompt_tokens(&file, &tokenizer, args.prompt.as_deref().unwrap_or_default(), args.chat)?,
    };
    let constraint = match args.karel_grammar {
        true => {
            Some(StraightLineGrammar::constraint(Arc::new(TokenTexts::new(&tokenizer))).map_err(|e| e.to_string())?)
        }
        false => None,
    };
    let sampling = SamplingConfig {
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        repetition_penalty: None,
        seed: args.seed,
    };
    let limits = Limits { max_tokens: args.max_tokens, stop_tokens: tokenizer.end_of_generation() };
    let n_prompt = prompt.len();
    let mut generator =
        Generator::new(prompt, config.n_vocab, sampling, limits, constraint).map_err(|e| e.to_string())?;
    eprintln!(
        "{}: {} {} layers, {} prompt tokens, loaded in {:.2} s ({})",
        args.model.display(),
        config.arch,
        config.n_layer,
        n_prompt,
        loaded.as_secs_f64(),
        backend.name()
    );

    let mut decoder = tokenizer.stream_decoder();
    let mut out = std::io::stdout();
    let prefill_start = Instant::now();
    let mut prefill = None;
    let reason = loop {
        if let Some(reason) = generator.stop_reason() {
            break reason;
        }
        let step = backend.step(&mut generator)?;
        prefill.get_or_insert_with(|| prefill_start.elapsed());
        match step {
            Step::Token(id) if args.ids => print!("{id} "),
            Step::Token(id) => print!("{}", decoder.push(id)),
            Step::Done(reason) => break reason,
        }
        let _ = out.flush();
    };
    print!("{}", decoder.finish());
    println!();
    let prefill = prefill.unwrap_or_default();
    let decode = prefill_start.elapsed().saturating_sub(prefill);
    let n_gen = generator.generated().len();
    // The first token comes from the prefill; each later one costs one decode step.
    let n_decode = n_gen.saturating_sub(1);
    eprintln!(
        "prompt: {n_prompt} tokens in {:.2} s ({:.1} tok/s); generated: {n_gen} tokens, {n_decode} decode steps in {:.2} s ({:.1} tok/s); stopped: {}",
        prefill.as_secs_f64(),
        n_prompt as f64 / prefill.as_secs_f64().max(1e-9),
        decode.as_secs_f64(),
        n_decode as f64 / decode.as_secs_f64().max(1e-9),
        describe(reason, &tokenizer),
    );
    Ok(ExitCode::SUCCESS)
}

pub fn score(args: ScoreArgs) -> Result<ExitCode, String> {
    // The context only needs the prompt and the longest option; the official prompts are a few
    // thousand tokens at most.
    let (file, tokenizer, backend) = Backend::open(&args.model, args.cpu, MAX_CONTEXT as usize)?;
    let (prompt, labels, options): (_, _, Vec<Vec<u32>>) = match (&args.sgp, args.row) {
        (Some(path), Some(row)) => {
            let template = Template::declared_in(&file);
            let encoder = PromptEncoder { tokenizer: &tokenizer, template: template.as_ref() };
            let question = sgp::load_row(path, row)?;
            let scoring = ChoiceScoring::of(&question, encoder.style());
            println!("scoring row {row} as {:?}: {}", encoder.style(), question.question());
            let options = scoring.continuations.iter().map(|c| encoder.continuation(c)).collect();
            (encoder.prompt(&scoring.prompt)?, scoring.labels, options)
        }
        _ => {
            let text = args.prompt.as_deref().unwrap_or_default();
            let prompt = prompt_tokens(&file, &tokenizer, text, args.chat)?;
            let options = args.options.iter().map(|o| tokenizer.encode_untrusted(o, false)).collect();
            (prompt, args.options.iter().map(|o| format!("{o:?}")).collect(), options)
        }
    };
    let scores = match backend {
        Backend::Cpu(model, _) => score_with(&model, &prompt, &options)?,
        Backend::Gpu(mut model) => {
            pollster::block_on(model.score_options(&prompt, &options)).map_err(|e| e.to_string())?
        }
    };
    for (i, label) in labels.iter().enumerate() {
        println!(
            "{label}: p = {:.6}, log-likelihood {:.6} ({} tokens)",
            scores.probabilities[i],
            scores.log_likelihoods[i],
            options[i].len()
        );
    }
    if let Some(best) = scores.best() {
        println!("best: {}", labels[best]);
    }
    Ok(ExitCode::SUCCESS)
}

/// Log-likelihood scoring, running the shared prompt once and each option after it.
pub fn score_with(
    model: &CpuModel,
    prompt: &[u32],
    options: &[Vec<u32>],
) -> Result<mindseye_core::sampling::OptionScores, String> {
    #[derive(Debug)]
    enum Failure {
        Scoring(ScoringError),
        Forward(ForwardError),
    }
    impl From<ScoringError> for Failure {
        fn from(e: ScoringError) -> Self {
            Failure::Scoring(e)
        }
    }
    let longest = options.iter().map(Vec::len).max().unwrap_or(0);
    let mut cache = model.cache(prompt.len() + longest);
    let mut prompt_rows = Vec::new();
    let result = score_options(prompt, options, |sequence: &[u32]| -> Result<Vec<Vec<f32>>, Failure> {
        if prompt_rows.is_empty() {
            for &t in prompt {
                prompt_rows.push(model.forward(&mut cache, t).map_err(Failure::Forward)?);
            }
        }
        cache.truncate(prompt.len());
        let mut rows = prompt_rows.clone();
        for &t in &sequence[prompt.len()..] {
            rows.push(model.forward(&mut cache, t).map_err(Failure::Forward)?);
        }
        Ok(rows)
    });
    result.map_err(|e| match e {
        Failure::Scoring(e) => e.to_string(),
        Failure::Forward(e) => e.to_string(),
    })
}

/// Task `number` (from 1) of a JSONL task file, counting only the tasks that load, as the pane does.
fn karel_task(path: &std::path::Path, number: usize) -> Result<karel::Task, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let tasks: Vec<karel::Task> = karel::parse_jsonl(&text).into_iter().filter_map(|(_, t)| t.ok()).collect();
    let count = tasks.len();
    number
        .checked_sub(1)
        .and_then(|i| tasks.into_iter().nth(i))
        .ok_or_else(|| format!("{} has {count} tasks; there is no task {number}", path.display()))
}

fn prompt_tokens(
    file: &mindseye_core::gguf::File,
    tokenizer: &Tokenizer,
    prompt: &str,
    chat: bool,
) -> Result<Vec<u32>, String> {
    if !chat {
        // The operator's own text: special-token texts in it are honoured, as llama.cpp's CLI does.
        return Ok(tokenizer.encode(prompt, true));
    }
    let template = Template::from_gguf(file).map_err(|e| format!("chat template: {e}"))?;
    template.encode(tokenizer, &[Message::user(prompt)]).map_err(|e| format!("chat template: {e}"))
}

fn describe(reason: StopReason, tokenizer: &Tokenizer) -> String {
    match reason {
        StopReason::StopToken(id) => format!("end token {}", tokenizer.token_text(id).unwrap_or("?")),
        StopReason::MaxTokens => "max tokens".into(),
        StopReason::ConstraintComplete => "answer complete".into(),
    }
}
