//! The GPU engine's speed on a loaded model, measured one way for the CLI (`mindseye bench model`)
//! and for the browser (the app's `#/bench` page, which `scripts/browser_bench.mjs` runs next to
//! wllama): one warm-up token, then the prompt in one call up to its argmax on the host (the first
//! new token), then greedy decode steps, each submitting the next step before reading its token
//! back (as the app decodes), and the same steps again one at a time (each token read back before
//! the next is recorded), for what submitting ahead gains; then the steps sampling with top-k from
//! the GPU's ranking and from the logits read back, for what ranking on the GPU gains.
//!
//! The page is driven by its URL: `#/bench/model=URL&prompt-tokens=N&decode-tokens=M`, or
//! `prompt=TEXT` for a given prompt instead of `prompt-tokens`, `batch=B` to build the model for
//! prompt batches of B tokens (`bench model --batch`), and `profile=1` to time each kernel kind
//! afterwards ([`profile`]); [`Request::parse`] reads that.

use super::{AdapterSummary, BATCH_LIMIT, DEFAULT_BATCH, GpuError, GpuModel, Output, Profile, Timing, Want};
use crate::sampling::{Sampler, SamplingConfig};
use crate::tokenizer::Tokenizer;
use std::fmt;

/// Prompts longer than this are refused (the page's model has a 2,048-token context).
pub const MAX_PROMPT_TOKENS: usize = 1024;
/// Decode steps beyond this are refused.
pub const MAX_DECODE_STEPS: usize = 1024;

/// What one run measured, in seconds of the caller's clock.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// One token on the freshly loaded model: where drivers compile and upload lazily.
    pub warmup_s: f64,
    pub prompt_tokens: usize,
    /// Prompt tokens per command buffer ([`GpuModel::batch_size`]).
    pub batch: usize,
    /// The whole prompt in one call until its argmax is on the host: the time to the first token.
    pub prefill_s: f64,
    pub decode_steps: usize,
    /// The decode steps as the app runs them: each call submits the next before reading back.
    pub decode_s: f64,
    /// The same steps again, each token read back before the next is recorded.
    pub decode_one_at_a_time_s: f64,
    /// The steps again sampling with top-k [`SAMPLED_TOP_K`] (temperature 1, seed 0), from the
    /// GPU's ranking of the top k ...
    pub sampled_ranked_s: f64,
    /// ... and from the logits read back (the same draws).
    pub sampled_logits_s: f64,
    /// The greedy tokens: the prompt's argmax, then one per decode step.
    pub tokens: Vec<u32>,
}

/// The top-k of the benchmark's sampled decoding.
pub const SAMPLED_TOP_K: u32 = 40;

impl Measurement {
    pub fn prefill_tokens_per_s(&self) -> f64 {
        self.prompt_tokens as f64 / self.prefill_s
    }

    pub fn decode_tokens_per_s(&self) -> f64 {
        self.decode_steps as f64 / self.decode_s
    }

    pub fn decode_one_at_a_time_tokens_per_s(&self) -> f64 {
        self.decode_steps as f64 / self.decode_one_at_a_time_s
    }

    /// A line on what submitting each decode step ahead gains.
    pub fn ahead_line(&self) -> String {
        format!(
            "decode, each step submitted before the last token is read back: {:.2} tok/s; one token at a time: {:.2} tok/s ({:.2}x)",
            self.decode_tokens_per_s(),
            self.decode_one_at_a_time_tokens_per_s(),
            self.decode_one_at_a_time_s / self.decode_s
        )
    }

    /// A line on what ranking the top k on the GPU gains when sampling.
    pub fn sampled_line(&self) -> String {
        let rate = |s: f64| self.decode_steps as f64 / s;
        format!(
            "decode sampling top-{SAMPLED_TOP_K}: from the GPU's ranking {:.2} tok/s; from the logits read back {:.2} tok/s ({:.2}x)",
            rate(self.sampled_ranked_s),
            rate(self.sampled_logits_s),
            self.sampled_logits_s / self.sampled_ranked_s
        )
    }
}

/// Runs the benchmark on `model` (its cache is cleared first): a warm-up token, `prompt`, then
/// `decode_steps` greedy steps submitted ahead and the same one at a time, then as many sampled
/// steps from the GPU's top-k ranking and from the logits; each pair must choose the same tokens.
/// `clock` gives seconds from any fixed origin.
pub async fn measure(
    model: &mut GpuModel,
    prompt: &[u32],
    decode_steps: usize,
    clock: impl Fn() -> f64,
) -> Result<Measurement, GpuError> {
    let Some(first) = prompt.first() else { return Err(GpuError::Shape("the prompt is empty".into())) };
    let started = clock();
    model.truncate(0);
    argmax(model, &[*first]).await?;
    let warmup_s = clock() - started;

    model.truncate(0);
    let started = clock();
    let token = argmax(model, prompt).await?;
    let prefill_s = clock() - started;

    let (decode_s, tokens) = decode(model, token, decode_steps, &clock).await?;
    model.truncate(prompt.len());
    model.set_submit_ahead(false);
    let again = decode(model, token, decode_steps, &clock).await;
    model.set_submit_ahead(true);
    let (decode_one_at_a_time_s, again) = again?;
    if again != tokens {
        return Err(GpuError::Readback(format!(
            "decoding one token at a time chose {again:?}, submitting ahead {tokens:?}"
        )));
    }
    let mut sampled = Vec::new();
    for want in [Want::TopK(SAMPLED_TOP_K), Want::Logits] {
        model.truncate(prompt.len());
        sampled.push(sample(model, want, token, decode_steps, &clock).await?);
    }
    let [(sampled_ranked_s, ranked), (sampled_logits_s, from_logits)] = &sampled[..] else {
        unreachable!("two ways of sampling")
    };
    if ranked != from_logits {
        return Err(GpuError::Readback(format!(
            "sampling from the logits chose {from_logits:?}, from the GPU's ranking {ranked:?}"
        )));
    }
    let batch = model.batch_size();
    Ok(Measurement {
        warmup_s,
        prompt_tokens: prompt.len(),
        batch,
        prefill_s,
        decode_steps,
        decode_s,
        decode_one_at_a_time_s,
        sampled_ranked_s: *sampled_ranked_s,
        sampled_logits_s: *sampled_logits_s,
        tokens,
    })
}

/// `steps` steps from `first` sampling with top-k [`SAMPLED_TOP_K`] from what `want` reads back:
/// their seconds and the tokens drawn.
async fn sample(
    model: &mut GpuModel,
    want: Want,
    first: u32,
    steps: usize,
    clock: &impl Fn() -> f64,
) -> Result<(f64, Vec<u32>), GpuError> {
    let config = SamplingConfig { temperature: 1.0, top_k: Some(SAMPLED_TOP_K as usize), ..SamplingConfig::greedy() };
    let mut sampler = Sampler::new(config).map_err(|e| GpuError::Shape(e.to_string()))?;
    let mut tokens = vec![first];
    let started = clock();
    for _ in 0..steps {
        let drawn = match model.forward(&tokens[tokens.len() - 1..], want).await? {
            Output::Ranked(ranked) => sampler.sample_ranked(&ranked),
            Output::Logits(logits) => sampler.sample(&logits, &[]),
            Output::Token(_) => return Err(GpuError::Shape("asked for a ranking or logits, got a token".into())),
        };
        tokens.push(drawn.map_err(|e| GpuError::Readback(e.to_string()))?);
    }
    Ok((clock() - started, tokens))
}

/// `steps` greedy steps from `first`: their seconds, and `first` with the tokens they chose.
async fn decode(
    model: &mut GpuModel,
    first: u32,
    steps: usize,
    clock: &impl Fn() -> f64,
) -> Result<(f64, Vec<u32>), GpuError> {
    let mut tokens = vec![first];
    let started = clock();
    for _ in 0..steps {
        tokens.push(argmax(model, &tokens[tokens.len() - 1..]).await?);
    }
    Ok((clock() - started, tokens))
}

/// Where the time of the prompt's first batch (up to [`GpuModel::batch_size`] tokens) and of one
/// decoded token after it goes, kernel kind by kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Profiles {
    pub prefill: Profile,
    pub decode: Profile,
}

/// Both tables under their headings, as `mindseye bench model --profile` and the browser
/// benchmark print them.
impl fmt::Display for Profiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.prefill.n_tokens;
        writeln!(f, "prefill of {n} tokens at position 0:\n{}\n", self.prefill)?;
        write!(f, "one decoded token at position {n}:\n{}", self.decode)
    }
}

/// Profiles `model` (its cache is cleared first) on the start of `prompt`, then on the token that
/// batch chose.
pub async fn profile(model: &mut GpuModel, prompt: &[u32], timing: Timing) -> Result<Profiles, GpuError> {
    model.truncate(0);
    let batch = &prompt[..prompt.len().min(model.batch_size())];
    let prefill = model.profile(batch, timing).await?;
    let decode = model.profile(&[prefill.token], timing).await?;
    Ok(Profiles { prefill, decode })
}

/// How much of a decoded token's time the GPU is busy, as a line to print: the profiled token's GPU
/// time as run ([`Profile::as_run_s`]) against the seconds per token at `decode_tok_s`. None
/// without timestamps.
pub fn gpu_busy(decode: &Profile, decode_tok_s: f64) -> Option<String> {
    let as_run = decode.as_run_s?;
    let per_token = 1.0 / decode_tok_s;
    Some(format!(
        "GPU busy: {:.2} ms of GPU time for that token as run, against {:.2} ms a token while decoding: {:.0}%; \
         the rest is the host recording, submitting and reading back each token",
        as_run * 1e3,
        per_token * 1e3,
        100.0 * as_run / per_token
    ))
}

async fn argmax(model: &mut GpuModel, tokens: &[u32]) -> Result<u32, GpuError> {
    match model.forward(tokens, Want::Argmax).await? {
        Output::Token(t) => Ok(t),
        _ => Err(GpuError::Shape("asked for the argmax, got something else".into())),
    }
}

/// Plain English, repeated to make prompts of any length.
const PASSAGE: &str = "Karel the robot walks through a small grid world, picking up and putting down \
    markers, turning left and moving ahead while a language model reads its program and tries to \
    picture the drawing it leaves behind.";

/// A plain-English prompt that `tokenizer` encodes (BOS included where the model adds one) to
/// `n` tokens or, where the last word takes several, a few more: [`PASSAGE`] repeated and cut after
/// the first word that reaches `n`. Text, so that engines that take only text (wllama) run the same
/// tokens when their tokenizer agrees with ours.
pub fn text_prompt(tokenizer: &Tokenizer, n: usize) -> String {
    let mut text = String::new();
    // Every word adds at least one token, so this ends within `n` words.
    for word in PASSAGE.split_whitespace().cycle().take(n.max(1)) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word);
        if tokenizer.encode(&text, true).len() >= n {
            break;
        }
    }
    text
}

/// What the page is asked to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Where to fetch the GGUF file from (any URL the page may fetch).
    pub model: String,
    pub prompt: Prompt,
    pub decode_steps: usize,
    /// Prompt tokens per command buffer the model is built for: `batch=B`, 1 to [`BATCH_LIMIT`].
    pub batch: u32,
    /// Also time each kernel kind ([`profile`]): `profile=1`.
    pub profile: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// This text, encoded with special tokens parsed and BOS added where the model wants one.
    Text(String),
    /// About this many tokens of [`text_prompt`].
    Tokens(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the benchmark needs a model: add model=URL to the address")]
    NoModel,
    #[error("{key} must be a whole number from 1 to {max}, not {value:?}")]
    BadCount { key: &'static str, value: String, max: usize },
    #[error("{0} is not percent-encoded UTF-8")]
    BadEncoding(String),
    #[error("profile must be 1 or 0, not {0:?}")]
    BadProfile(String),
    #[error("unknown benchmark setting {0:?} (expected model, prompt, prompt-tokens, decode-tokens, batch or profile)")]
    Unknown(String),
}

impl Request {
    /// Reads `model=URL&prompt-tokens=N&decode-tokens=M` (or `prompt=TEXT` for a given prompt),
    /// form-encoded as `URLSearchParams` writes it; the counts default to 64 and 32 and the batch
    /// to [`DEFAULT_BATCH`], as in the CLI.
    pub fn parse(query: &str) -> Result<Request, RequestError> {
        let mut model = None;
        let mut prompt = Prompt::Tokens(64);
        let mut decode_steps = 32;
        let mut batch = DEFAULT_BATCH;
        let mut profile = false;
        for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = form_decode(key).ok_or_else(|| RequestError::BadEncoding(key.to_string()))?;
            let value = form_decode(value).ok_or_else(|| RequestError::BadEncoding(key.clone()))?;
            match key.as_str() {
                "model" if !value.is_empty() => model = Some(value),
                "model" => return Err(RequestError::NoModel),
                "prompt" => prompt = Prompt::Text(value),
                "prompt-tokens" => prompt = Prompt::Tokens(count("prompt-tokens", &value, MAX_PROMPT_TOKENS)?),
                "decode-tokens" => decode_steps = count("decode-tokens", &value, MAX_DECODE_STEPS)?,
                "batch" => batch = count("batch", &value, BATCH_LIMIT as usize)? as u32,
                "profile" => {
                    profile = match value.as_str() {
                        "1" => true,
                        "0" => false,
                        _ => return Err(RequestError::BadProfile(value)),
                    }
                }
                _ => return Err(RequestError::Unknown(key)),
            }
        }
        Ok(Request { model: model.ok_or(RequestError::NoModel)?, prompt, decode_steps, batch, profile })
    }
}

fn count(key: &'static str, value: &str, max: usize) -> Result<usize, RequestError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(RequestError::BadCount { key, value: value.to_string(), max }),
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; `None` for a
/// broken escape or bytes that are not UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut input = s.bytes();
    while let Some(b) = input.next() {
        bytes.push(match b {
            b'+' => b' ',
            b'%' => {
                let hex = [input.next()?, input.next()?];
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            b => b,
        });
    }
    String::from_utf8(bytes).ok()
}

/// What the page shows (as JSON) when the run is done.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub engine: String,
    pub adapter: AdapterSummary,
    pub model: String,
    pub file_bytes: u64,
    /// Fetching the file into a `Blob`.
    pub fetch_s: f64,
    /// Streaming it into the GPU (parsing, repacking, uploading).
    pub load_s: f64,
    pub prompt: String,
    #[serde(flatten)]
    pub measurement: Measurement,
    /// When the request asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profiles>,
}

impl Report {
    /// The report, with the profile's tables and the GPU's busy share ([`gpu_busy`]) also as text
    /// (`profile_text`), so a script prints what the CLI does without laying them out again.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct WithText<'a> {
            #[serde(flatten)]
            report: &'a Report,
            #[serde(skip_serializing_if = "Option::is_none")]
            profile_text: Option<String>,
        }
        let profile_text = self.profile.as_ref().map(|profiles| {
            let busy = gpu_busy(&profiles.decode, self.measurement.decode_tokens_per_s());
            busy.map_or_else(|| profiles.to_string(), |busy| format!("{profiles}\n\n{busy}"))
        });
        let with_text = WithText { report: self, profile_text };
        // Plain data with string keys: serialising it cannot fail; "{}" keeps this total anyway.
        serde_json::to_string_pretty(&with_text).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf;
    use crate::tokenizer::tests::bpe_writer;

    /// Byte-level BPE without merges: one token per byte, no BOS.
    fn bytes_tokenizer() -> Tokenizer {
        Tokenizer::from_gguf(&gguf::File::parse(&bpe_writer(&[], &[]).to_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn profiles_print_the_prefill_and_decode_tables_under_their_headings() {
        use crate::gpu::record::KernelKind;
        use crate::quant::Type;
        let call =
            |n_tokens, kind, token| Profile::new(Timing::Timestamps, n_tokens, vec![(kind, 3, 0.002)], token, None);
        let profiles = Profiles {
            prefill: call(16, KernelKind::Matmul(Type::Q8_0), 7),
            decode: call(1, KernelKind::Matvec(Type::Q8_0), 9),
        };
        let text = profiles.to_string();
        let (prefill, decode) = text.split_once("\n\n").expect("a blank line between the tables");
        assert_eq!(prefill, format!("prefill of 16 tokens at position 0:\n{}", profiles.prefill));
        assert_eq!(decode, format!("one decoded token at position 16:\n{}", profiles.decode));
        assert!(decode.contains("matvec Q8_0"), "{decode}");
    }

    #[test]
    fn the_gpu_busy_share_is_the_token_s_gpu_time_as_run_over_the_time_per_decoded_token() {
        use crate::gpu::record::KernelKind;
        let decode = |as_run_s| Profile::new(Timing::Timestamps, 1, vec![(KernelKind::RmsNorm, 1, 0.001)], 0, as_run_s);
        // 4 ms of GPU time at 125 tokens/s (8 ms a token).
        let line = gpu_busy(&decode(Some(0.004)), 125.0).expect("timed as run");
        assert!(line.starts_with("GPU busy: 4.00 ms of GPU time"), "{line}");
        assert!(line.contains("against 8.00 ms a token while decoding: 50%"), "{line}");
        assert_eq!(gpu_busy(&decode(None), 125.0), None);
    }

    #[test]
    fn the_text_prompt_reaches_the_asked_length_at_a_word_boundary() {
        let t = bytes_tokenizer();
        let text = text_prompt(&t, 20);
        // One token per byte: "Karel the robot walks" is 21 bytes, the first prefix of 20 or more.
        assert_eq!(text, "Karel the robot walks");
        assert_eq!(t.encode(&text, true).len(), 21);
    }

    #[test]
    fn long_text_prompts_repeat_the_passage() {
        let t = bytes_tokenizer();
        let text = text_prompt(&t, PASSAGE.len() + 10);
        assert!(text.starts_with(PASSAGE.split_whitespace().collect::<Vec<_>>().join(" ").as_str()));
        assert!(text.ends_with("Karel the"));
    }

    #[test]
    fn a_request_reads_the_model_and_both_counts() {
        let r = Request::parse("model=%2Fbench%2Fmodel.gguf&prompt-tokens=16&decode-tokens=8").unwrap();
        let want = Request {
            model: "/bench/model.gguf".into(),
            prompt: Prompt::Tokens(16),
            decode_steps: 8,
            batch: DEFAULT_BATCH,
            profile: false,
        };
        assert_eq!(r, want);
    }

    #[test]
    fn a_request_builds_the_model_for_the_batch_it_names() {
        assert_eq!(Request::parse("model=m&batch=256").unwrap().batch, 256);
        for bad in ["0", "513", "lots"] {
            let err = Request::parse(&format!("model=m&batch={bad}")).unwrap_err();
            assert_eq!(err, RequestError::BadCount { key: "batch", value: bad.into(), max: BATCH_LIMIT as usize });
        }
    }

    #[test]
    fn a_request_asks_for_a_profile_with_profile_1() {
        assert!(Request::parse("model=m&profile=1").unwrap().profile);
        assert!(!Request::parse("model=m&profile=0").unwrap().profile);
        for bad in ["", "yes", "2"] {
            let err = Request::parse(&format!("model=m&profile={bad}")).unwrap_err();
            assert_eq!(err, RequestError::BadProfile(bad.into()));
        }
    }

    #[test]
    fn a_request_takes_a_form_encoded_prompt_text() {
        let r = Request::parse("model=m.gguf&prompt=def+run%28%29%3A+move%28%29").unwrap();
        assert_eq!(r.prompt, Prompt::Text("def run(): move()".into()));
        assert_eq!(r.decode_steps, 32);
    }

    #[test]
    fn a_request_without_a_model_says_how_to_give_one() {
        assert_eq!(Request::parse("prompt-tokens=4"), Err(RequestError::NoModel));
        assert_eq!(Request::parse("model=&prompt-tokens=4"), Err(RequestError::NoModel));
    }

    #[test]
    fn counts_out_of_range_or_not_numbers_are_refused() {
        for bad in ["0", "-3", "many", "1025"] {
            let err = Request::parse(&format!("model=m&decode-tokens={bad}")).unwrap_err();
            assert_eq!(err, RequestError::BadCount { key: "decode-tokens", value: bad.into(), max: MAX_DECODE_STEPS });
        }
    }

    #[test]
    fn broken_escapes_and_unknown_settings_are_refused() {
        assert_eq!(Request::parse("model=%E2%28"), Err(RequestError::BadEncoding("model".into())));
        assert_eq!(Request::parse("model=%4"), Err(RequestError::BadEncoding("model".into())));
        assert_eq!(Request::parse("model=m&temperature=1"), Err(RequestError::Unknown("temperature".into())));
    }

    #[test]
    fn rates_divide_tokens_by_seconds() {
        let m = Measurement {
            warmup_s: 1.0,
            prompt_tokens: 16,
            batch: 64,
            prefill_s: 0.5,
            decode_steps: 8,
            decode_s: 2.0,
            decode_one_at_a_time_s: 2.5,
            sampled_ranked_s: 2.0,
            sampled_logits_s: 4.0,
            tokens: vec![0; 9],
        };
        assert_eq!((m.prefill_tokens_per_s(), m.decode_tokens_per_s()), (32.0, 4.0));
        assert_eq!(m.decode_one_at_a_time_tokens_per_s(), 3.2);
        assert!(m.ahead_line().ends_with("4.00 tok/s; one token at a time: 3.20 tok/s (1.25x)"), "{}", m.ahead_line());
        assert!(m.sampled_line().ends_with("ranking 4.00 tok/s; from the logits read back 2.00 tok/s (2.00x)"));
    }
}
