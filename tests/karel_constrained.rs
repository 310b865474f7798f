//! Grammar-constrained decoding of Karel programs with the fixture models (random weights, real
//! tokenizers: Llama 3 and Qwen3 byte-level BPE, Llama 2 SentencePiece): whatever the weights prefer,
//! greedy output under `StraightLineGrammar` is a straight-line program in the prompt's layout that
//! ends with its closing brace, within the token budget, on the CPU reference and on the GPU alike.
#![cfg(not(target_arch = "wasm32"))] // reads files; the browser runs the same constraint in the app

use mindseye_core::gguf::File;
use mindseye_core::gpu::{Context, Output, Want, load_chunks};
use mindseye_core::karel::{Program, StraightLineGrammar};
use mindseye_core::model::{CpuModel, Generator, Limits, LoadError, Step, StopReason};
use mindseye_core::sampling::{SamplingConfig, TokenTexts};
use mindseye_core::tokenizer::Tokenizer;
use mindseye_tests::models::gguf;
use std::sync::Arc;

mod vocabulary;

const FIXTURES: [&str; 3] = ["llama-q4_0", "qwen2-q8_0", "gemma2-q4_k_m"];
/// The synthesis prompt ends here; the program follows.
const PROMPT: &str = "Examples:\n\nCode:\n";

fn tokenizer(name: &str) -> Tokenizer {
    Tokenizer::from_gguf(&File::parse(&gguf(name)).expect("the fixture parses")).expect("its tokenizer loads")
}

fn generator(tokenizer: &Tokenizer, n_vocab: usize, max_tokens: usize) -> Generator {
    let constraint = StraightLineGrammar::constraint(Arc::new(TokenTexts::new(tokenizer))).expect("spellable");
    let limits = Limits { max_tokens, stop_tokens: tokenizer.end_of_generation() };
    Generator::new(tokenizer.encode(PROMPT, true), n_vocab, SamplingConfig::greedy(), limits, Some(constraint))
        .expect("a generator")
}

/// Greedy constrained decoding on the CPU reference: the generated tokens and why it stopped.
fn cpu_program(name: &str, max_tokens: usize) -> (Vec<u32>, StopReason) {
    let (model, tokenizer) = (CpuModel::from_bytes(&gguf(name)).unwrap(), tokenizer(name));
    let mut generator = generator(&tokenizer, model.config.n_vocab, max_tokens);
    let mut cache = model.cache(generator.pending().len() + max_tokens);
    loop {
        let logits = generator.pending().to_vec().iter().map(|&t| model.forward(&mut cache, t).unwrap()).last();
        if let Step::Done(reason) = generator.next(&logits.unwrap()).unwrap() {
            return (generator.generated().to_vec(), reason);
        }
        if let Some(reason) = generator.stop_reason() {
            return (generator.generated().to_vec(), reason);
        }
    }
}

fn assert_straight_line(name: &str, tokens: &[u32], reason: StopReason, max_tokens: usize) {
    let text = tokenizer(name).decode(tokens);
    assert_eq!(reason, StopReason::ConstraintComplete, "{name}: {text:?}");
    assert!(tokens.len() <= max_tokens, "{name}: {} tokens", tokens.len());
    assert!(text.starts_with("def run() {\n  ") && text.ends_with("\n}"), "{name}: {text:?}");
    let program = Program::parse(&text).unwrap_or_else(|e| panic!("{name}: {text:?} does not parse: {e}"));
    assert!(program.actions().is_some_and(|a| !a.is_empty()), "{name}: {text:?} is not straight-line");
}

#[test]
fn constrained_greedy_output_parses_as_a_straight_line_program_on_the_cpu() {
    // The paper decodes at most 48 new tokens.
    for name in FIXTURES {
        let (tokens, reason) = cpu_program(name, 48);
        assert_straight_line(name, &tokens, reason, 48);
    }
}

#[test]
fn a_budget_as_small_as_the_shortest_program_still_ends_with_a_closing_brace() {
    // "def run() {\n  move()\n}" is 22 bytes: spelled one byte per token at worst.
    for name in FIXTURES {
        let (tokens, reason) = cpu_program(name, 22);
        assert_straight_line(name, &tokens, reason, 22);
    }
}

#[test]
fn the_gpu_generates_the_same_constrained_program_as_the_cpu() {
    let ctx = Arc::new(pollster::block_on(Context::new()).expect("a native GPU adapter (lavapipe in CI)"));
    for name in FIXTURES {
        let bytes = gguf(name);
        let chunks = bytes.chunks(64 << 10).map(|c| Ok::<_, LoadError>(c.to_vec())).collect::<Vec<_>>();
        let mut model = load_chunks(ctx.clone(), chunks, 256).expect("the fixture loads on the GPU");
        let tokenizer = tokenizer(name);
        let mut generator = generator(&tokenizer, model.config.n_vocab, 48);
        assert!(generator.needs_logits(), "constrained decoding masks the logits, so the GPU's argmax cannot do");
        while generator.stop_reason().is_none() {
            let Output::Logits(logits) = pollster::block_on(model.forward(generator.pending(), Want::Logits)).unwrap()
            else {
                unreachable!("asked for logits")
            };
            if let Step::Done(_) = generator.next(&logits).unwrap() {
                break;
            }
        }
        let (expected, _) = cpu_program(name, 48);
        assert_eq!(generator.generated(), expected.as_slice(), "{name}");
        assert_straight_line(name, generator.generated(), generator.stop_reason().unwrap(), 48);
    }
}

#[test]
fn each_constrained_step_over_qwen3s_151669_tokens_takes_milliseconds() {
    use vocabulary::{TEN_STATEMENTS, qwen3_pieces, write_under};
    let pieces = qwen3_pieces();
    let started = std::time::Instant::now();
    let texts = Arc::new(TokenTexts::from_pieces(pieces.clone(), false));
    let setup = started.elapsed().as_secs_f64() * 1e3;
    let constraint = StraightLineGrammar::constraint(texts).unwrap();
    let clock = std::time::Instant::now();
    let now = || clock.elapsed().as_secs_f64() * 1e3;
    let mut times = write_under(constraint.as_ref(), &pieces, TEN_STATEMENTS, 48, now);
    times.sort_by(f64::total_cmp);
    let (median, worst) = (times[times.len() / 2], times[times.len() - 1]);
    println!(
        "{} tokens: token texts {setup:.1} ms once; per step median {median:.2} ms, worst {worst:.2} ms",
        pieces.len()
    );
    // Generous for a debug build on a shared CPU; the release and browser figures are far lower.
    assert!(worst < 500.0, "a step took {worst:.1} ms");
}
