//! The GPU engine in the page: one loaded model at a time, shared by both panes. Loading streams the
//! selected model's file into the GPU chunk by chunk; generation runs the same `Generator` as the
//! CLI, one command buffer per token, awaiting each read-back so the page stays responsive.

use crate::models::ModelSource;
use leptos::prelude::*;
use mindseye_core::chat::Template;
use mindseye_core::generation::{ModelIdentity, PromptEncoder, Provenance, Settings};
use mindseye_core::gpu::bench::{self, Measurement, Profiles, Prompt};
use mindseye_core::gpu::{
    AdapterSummary, Capacity, Context, DEFAULT_BATCH, GpuError, GpuLoader, GpuModel, ScoreError, Timing,
};
use mindseye_core::karel::StraightLineGrammar;
use mindseye_core::model::{Config, Generator, Limits, Step};
use mindseye_core::sampling::{OptionScores, TokenConstraint, TokenTexts};
use mindseye_core::tokenizer::Tokenizer;
use std::sync::Arc;

/// Bytes read from the model file per step while loading.
const CHUNK: u64 = 4 << 20;
/// GPU memory the KV cache may take; the context is as long as fits (see `Config::context_within`).
const KV_BUDGET: u64 = 256 << 20;

/// The panes' default budget for one answer.
pub const ANSWER_TOKENS: u32 = 256;

/// What the engine is doing, for the views.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineState {
    Empty,
    Loading {
        name: String,
        done: u64,
        total: u64,
    },
    Ready {
        name: String,
    },
    Generating {
        name: String,
    },
    Failed(String),
    /// The GPU device was lost (driver reset, GPU process crash): the model must be loaded again.
    Lost {
        name: String,
        why: String,
    },
}

struct Loaded {
    name: String,
    identity: ModelIdentity,
    model: GpuModel,
    tokenizer: Tokenizer,
    template: Option<Template>,
    /// Every token's bytes for grammar-constrained decoding, computed on its first use.
    texts: Option<Arc<TokenTexts>>,
    /// What the KV cache holds after the last answer, so that a prompt beginning the same way (the
    /// same question asked again, re-run, or constrained) does not run those tokens again.
    cached: Vec<u32>,
}

impl Loaded {
    fn encoder(&self) -> PromptEncoder<'_> {
        PromptEncoder { tokenizer: &self.tokenizer, template: self.template.as_ref() }
    }

    /// The constraint `settings` ask for: Karel's straight-line programs when constrained.
    fn constraint(&mut self, settings: &Settings) -> Result<Option<Box<dyn TokenConstraint>>, String> {
        if !settings.constrained {
            return Ok(None);
        }
        let tokenizer = &self.tokenizer;
        let texts = self.texts.get_or_insert_with(|| Arc::new(TokenTexts::new(tokenizer))).clone();
        StraightLineGrammar::constraint(texts).map(Some).map_err(|e| format!("Constrained decoding: {e}."))
    }

    fn provenance(&self, settings: &Settings) -> Provenance {
        Provenance { model: self.identity.clone(), prompt: self.encoder().style(), settings: settings.clone() }
    }
}

/// The engine's handle, provided by the app shell as context.
#[derive(Clone, Copy)]
pub struct Engine {
    pub state: RwSignal<EngineState>,
    /// Taken out while an answer is generated, and put back after.
    loaded: StoredValue<Option<Loaded>, LocalStorage>,
    /// The last model loaded, so that a lost device can be recovered from with one button.
    last_source: StoredValue<Option<ModelSource>, LocalStorage>,
    context: StoredValue<Option<Arc<Context>>, LocalStorage>,
    stop: RwSignal<bool>,
}

/// How a finished generation ended, for the views.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub model: String,
    pub provenance: Provenance,
    pub tokens: usize,
    pub seconds: f64,
    pub stopped_by_user: bool,
}

impl Engine {
    pub fn provide() -> Engine {
        let engine = Engine {
            state: RwSignal::new(EngineState::Empty),
            loaded: StoredValue::new_local(None),
            last_source: StoredValue::new_local(None),
            context: StoredValue::new_local(None),
            stop: RwSignal::new(false),
        };
        provide_context(engine);
        engine
    }

    pub fn expect() -> Engine {
        expect_context::<Engine>()
    }

    pub fn is_busy(self) -> bool {
        matches!(self.state.get_untracked(), EngineState::Loading { .. } | EngineState::Generating { .. })
    }

    /// Asks a running generation to stop after the current token.
    pub fn stop(self) {
        self.stop.set(true);
    }

    /// Streams `source` into the GPU. Replaces the loaded model only once the new one is ready.
    pub async fn load(self, source: ModelSource) -> Result<String, String> {
        self.load_for_batch(source, DEFAULT_BATCH).await
    }

    /// [`Engine::load`], with the model built for prompt batches of `batch` tokens (the benchmark
    /// page's `batch=`).
    pub async fn load_for_batch(self, source: ModelSource, batch: u32) -> Result<String, String> {
        let name = source.name.clone();
        let total = source.size();
        self.last_source.set_value(Some(source.clone()));
        self.state.set(EngineState::Loading { name: name.clone(), done: 0, total });
        match self.load_inner(source, total, batch).await {
            Ok(loaded) => {
                let message = format!(
                    "{name} is on the GPU ({} {} layers, {} tokens of context).",
                    loaded.model.config.arch,
                    loaded.model.config.n_layer,
                    loaded.model.capacity()
                );
                self.loaded.set_value(Some(loaded));
                self.state.set(EngineState::Ready { name });
                Ok(message)
            }
            Err(e) => {
                let message = format!("{name} could not be loaded: {e}");
                self.state.set(self.idle_state(Some(message.clone())));
                Err(message)
            }
        }
    }

    async fn load_inner(self, source: ModelSource, total: u64, batch: u32) -> Result<Loaded, String> {
        let ctx = self.context().await?;
        let mut reader = mindseye_core::gguf::StreamReader::new();
        let mut chunks = source.chunks(CHUNK);
        let mut loader: Option<GpuLoader<'_>> = None;
        let mut header = None;
        while let Some(chunk) = chunks.next().await {
            let (at, bytes) = chunk?;
            let pushed = reader.push(&bytes).map_err(|e| e.to_string())?;
            if let Some(file) = pushed.header {
                header = Some(file.clone());
                loader = Some(GpuLoader::new(&ctx, file).map_err(|e| e.to_string())?);
            }
            if let Some(loader) = loader.as_mut() {
                for piece in &pushed.pieces {
                    loader.push(piece).map_err(|e| e.to_string())?;
                }
            }
            let done = at + bytes.len() as u64;
            self.state.set(EngineState::Loading { name: source.name.clone(), done, total });
        }
        reader.finish().map_err(|e| e.to_string())?;
        let (Some(loader), Some(file)) = (loader, header) else {
            return Err("the file ended before its header".into());
        };
        let tokenizer = Tokenizer::from_gguf(&file).map_err(|e| format!("tokenizer: {e}"))?;
        let template = Template::declared_in(&file);
        let context = Config::from_gguf(&file).map_err(|e| e.to_string())?.context_within(KV_BUDGET);
        let capacity = Capacity { n_ctx: context, batch };
        let model = loader.finish(ctx.clone(), capacity).map_err(|e| e.to_string())?;
        Ok(Loaded {
            name: source.name.clone(),
            identity: source.identity.clone(),
            model,
            tokenizer,
            template,
            texts: None,
            cached: Vec::new(),
        })
    }

    /// The GPU context, kept across loads so that a second model reuses the compiled pipelines
    /// (compiling is most of a first load on a software adapter); a new one after the device is lost.
    async fn context(self) -> Result<Arc<Context>, String> {
        if let Some(ctx) = self.context.get_value().filter(|c| c.lost().is_none()) {
            return Ok(ctx);
        }
        // The engine's API shares the context through an Arc; in the page it never leaves this thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let ctx = Arc::new(Context::new().await.map_err(|e| e.to_string())?);
        self.context.set_value(Some(ctx.clone()));
        Ok(ctx)
    }

    /// Loads the last model again, after its device was lost.
    pub async fn reload(self) -> Result<String, String> {
        match self.last_source.get_value() {
            Some(source) => self.load(source).await,
            None => Err("No model was loaded before.".into()),
        }
    }

    fn idle_state(self, failure: Option<String>) -> EngineState {
        match (failure, self.loaded.with_value(|l| l.as_ref().map(|l| l.name.clone()))) {
            (Some(message), _) => EngineState::Failed(message),
            (None, Some(name)) => EngineState::Ready { name },
            (None, None) => EngineState::Empty,
        }
    }

    /// The loaded model's name, if any.
    pub fn model_name(self) -> Option<String> {
        self.loaded.with_value(|l| l.as_ref().map(|l| l.name.clone()))
    }

    /// Whether the loaded model has a chat template (an instruct model), so prompts become a user turn.
    pub fn chats(self) -> bool {
        self.loaded.with_value(|l| l.as_ref().is_some_and(|l| l.template.is_some()))
    }

    /// The provenance an answer with `settings` would carry now, or `None` while no model is
    /// loaded (or one is answering): batch runs compare it with their own before every item.
    pub fn provenance(self, settings: &Settings) -> Option<Provenance> {
        self.loaded.with_value(|l| l.as_ref().map(|l| l.provenance(settings)))
    }

    /// Generates a reply to `prompt` (a user turn in the model's chat template when it has one,
    /// else the raw text) with `settings`, calling `on_text` with the text so far after every token.
    pub async fn generate(self, prompt: &str, settings: &Settings, on_text: impl Fn(String)) -> Result<Report, String> {
        let stop = self.stop;
        let started = crate::browser::now_ms();
        let (name, (provenance, tokens, stopped_by_user)) = self
            .with_model(async |loaded: &mut Loaded| {
                let provenance = loaded.provenance(settings);
                let (tokens, stopped_by_user) = run(loaded, prompt, settings, stop, &on_text).await?;
                Ok((provenance, tokens, stopped_by_user))
            })
            .await?;
        let seconds = (crate::browser::now_ms() - started) / 1000.0;
        Ok(Report { model: name, provenance, tokens, seconds, stopped_by_user })
    }

    /// Scores `options` (one text per answer, as [`PromptEncoder::continuation`] encodes it) as the
    /// continuation of `prompt`: the prompt runs once, then each option after it.
    pub async fn score(self, prompt: &str, options: &[String]) -> Result<OptionScores, String> {
        let (_, scores) = self
            .with_model(async |loaded: &mut Loaded| {
                let encoder = loaded.encoder();
                let prompt = encoder.prompt(prompt)?;
                let options: Vec<Vec<u32>> = options.iter().map(|o| encoder.continuation(o)).collect();
                loaded.cached.clear();
                let scores = loaded.model.score_options(&prompt, &options).await.map_err(|e| match e {
                    ScoreError::Gpu(e) => Failure::from(e),
                    ScoreError::Scoring(e) => Failure::Other(e.to_string()),
                })?;
                // Scoring leaves the prompt in the cache.
                loaded.cached = prompt;
                Ok(scores)
            })
            .await?;
        Ok(scores)
    }

    /// Measures the loaded model's speed on `prompt` (plain text, BOS added where the model wants
    /// one; see `mindseye_core::gpu::bench`), then, if asked, profiles it by GPU timestamps.
    /// Returns the prompt's text with the measurement and the profile.
    pub async fn bench(
        self,
        prompt: &Prompt,
        decode_steps: usize,
        profile: bool,
    ) -> Result<(String, Measurement, Option<Profiles>), String> {
        let (_, measured) = self
            .with_model(async |loaded: &mut Loaded| {
                let text = match prompt {
                    Prompt::Text(text) => text.clone(),
                    Prompt::Tokens(n) => bench::text_prompt(&loaded.tokenizer, *n),
                };
                let tokens = loaded.tokenizer.encode(&text, true);
                let clock = || crate::browser::now_ms() / 1000.0;
                // The measurement rewrites the cache.
                loaded.cached.clear();
                let measured = bench::measure(&mut loaded.model, &tokens, decode_steps, clock).await?;
                let profiled = match profile {
                    true => Some(bench::profile(&mut loaded.model, &tokens, Timing::Timestamps).await?),
                    false => None,
                };
                Ok((text, measured, profiled))
            })
            .await?;
        Ok(measured)
    }

    /// The adapter of the loaded model's GPU.
    pub fn adapter(self) -> Option<AdapterSummary> {
        self.loaded.with_value(|l| l.as_ref().map(|l| l.model.adapter().clone()))
    }

    /// Lends the loaded model to `work`, marked busy meanwhile. A lost device drops the model (the
    /// source stays for [`Engine::reload`]); any other failure leaves it loaded and usable, and the
    /// error goes back to the caller to show.
    async fn with_model<T>(
        self,
        work: impl AsyncFnOnce(&mut Loaded) -> Result<T, Failure>,
    ) -> Result<(String, T), String> {
        if self.is_busy() {
            return Err("The model is busy; stop the running answer first.".into());
        }
        let Some(mut loaded) = self.loaded.try_update_value(Option::take).flatten() else {
            return Err(
                "No model is loaded: choose one under Models and press \u{201c}Load into the GPU\u{201d}.".into()
            );
        };
        let name = loaded.name.clone();
        self.stop.set(false);
        self.state.set(EngineState::Generating { name: name.clone() });
        let result = work(&mut loaded).await;
        match result {
            Err(Failure::Lost(why)) => {
                drop(loaded);
                self.state.set(EngineState::Lost { name, why: why.clone() });
                Err(format!("The GPU stopped working ({why}). Press \u{201c}Reload the model\u{201d} to go on."))
            }
            other => {
                self.loaded.set_value(Some(loaded));
                self.state.set(self.idle_state(None));
                other.map_err(|f| f.to_string()).map(|value| (name, value))
            }
        }
    }
}

/// Why an answer failed: the device is gone, or anything else (said in words).
enum Failure {
    Lost(String),
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Lost(why) => write!(f, "the GPU device was lost ({why})"),
            Failure::Other(message) => f.write_str(message),
        }
    }
}

impl From<GpuError> for Failure {
    fn from(e: GpuError) -> Self {
        match e {
            GpuError::DeviceLost(why) => Failure::Lost(why),
            other => Failure::Other(other.to_string()),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Other(message)
    }
}

async fn run(
    loaded: &mut Loaded,
    prompt: &str,
    settings: &Settings,
    stop: RwSignal<bool>,
    on_text: &impl Fn(String),
) -> Result<(usize, bool), Failure> {
    let tokens = loaded.encoder().prompt(prompt)?;
    let constraint = loaded.constraint(settings)?;
    let Loaded { model, tokenizer, cached, .. } = loaded;
    let max_tokens = settings.max_tokens as usize;
    if tokens.len() + max_tokens > model.capacity() {
        return Err(Failure::Other(format!(
            "The prompt is {} tokens, too long for the {}-token context.",
            tokens.len(),
            model.capacity()
        )));
    }
    // Encoding a long prompt and recording its prefill each take tens of milliseconds in the page:
    // run them in separate tasks so that neither holds the main thread for long.
    crate::browser::sleep(0).await;
    let limits = Limits { max_tokens, stop_tokens: tokenizer.end_of_generation() };
    let mut generator = Generator::new(tokens, model.config.n_vocab, settings.sampling(), limits, constraint)
        .map_err(|e| e.to_string())?;
    model.truncate(generator.reuse_cache(cached));
    // Until this answer ends well, the cache's contents are not known.
    cached.clear();
    let mut decoder = tokenizer.stream_decoder();
    let mut text = String::new();
    while generator.stop_reason().is_none() {
        if stop.get_untracked() {
            *cached = generator.fed().to_vec();
            return Ok((generator.generated().len(), true));
        }
        // Greedy decoding reads back the GPU's argmax (4 bytes) and top-k sampling its ranking;
        // the rest, the whole vocabulary's logits.
        let want = model.want_for(&generator);
        // A long prompt goes in batches, each in its own task, so the page stays responsive.
        let pending = generator.pending();
        let batch_size = model.batch_size();
        let (head, last) = pending.split_at(pending.len().saturating_sub(1) / batch_size * batch_size);
        for batch in head.chunks(batch_size) {
            model.prefill(batch).await?;
            crate::browser::sleep(0).await;
        }
        let output = model.forward(last, want).await?;
        match output.choose(&mut generator).map_err(|e| e.to_string())? {
            Step::Token(id) => {
                text.push_str(&decoder.push(id));
                on_text(text.clone());
            }
            Step::Done(_) => break,
        }
    }
    text.push_str(&decoder.finish());
    on_text(text);
    *cached = generator.fed().to_vec();
    Ok((generator.generated().len(), false))
}

/// What a button that asks the model hands over: how to build the prompt, where the answer goes.
#[derive(Clone, Copy)]
pub struct Asking {
    /// Builds the prompt; given whether the model chats (has a template).
    pub prompt: Callback<bool, String>,
    /// Receives the answer text as it grows (first an empty text).
    pub on_text: Callback<String>,
    /// Told how a finished (or stopped) answer was made.
    pub on_done: Option<Callback<Report>>,
    /// One line for the user: thinking, then the summary or the error.
    pub status: RwSignal<String>,
}

impl Engine {
    /// Starts an answer in the background (see [`Asking`]).
    pub fn ask(self, asking: Asking, settings: Settings) {
        let Asking { prompt, on_text, on_done, status } = asking;
        let prompt = prompt.run(self.chats());
        on_text.run(String::new());
        status.set("Thinking\u{2026}".into());
        leptos::task::spawn_local(async move {
            let result = self.generate(&prompt, &settings, move |t| on_text.run(t)).await;
            status.try_set(match &result {
                Ok(r) => r.summary(),
                Err(e) => e.clone(),
            });
            if let (Ok(report), Some(on_done)) = (result, on_done) {
                on_done.run(report);
            }
        });
    }

    /// The loaded model's identity, tracked through the engine's state (a new load changes both).
    pub fn identity(self) -> Option<ModelIdentity> {
        self.state.track();
        self.loaded.with_value(|l| l.as_ref().map(|l| l.identity.clone()))
    }
}

/// "Ask the model" with its stop button and a one-line status, for either pane. When the GPU is
/// lost it offers to load the model again.
#[component]
pub fn AskModel(
    /// Builds the prompt when the button is pressed; given whether the model chats (has a template).
    prompt: Callback<bool, String>,
    /// Receives the answer text as it grows.
    on_text: Callback<String>,
    /// The generation settings, read when the button is pressed.
    #[prop(into, default = Signal::stored(Settings::greedy(ANSWER_TOKENS)))]
    settings: Signal<Settings>,
    /// Told how a finished (or stopped) answer was made.
    #[prop(optional)]
    on_done: Option<Callback<Report>>,
    /// Options shown beside the buttons (e.g. Karel's grammar constraint).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let engine = Engine::expect();
    let status = RwSignal::new(String::new());
    let ask = move |_| engine.ask(Asking { prompt, on_text, on_done, status }, settings.get_untracked());
    let reload = move |_| {
        status.set(String::new());
        leptos::task::spawn_local(async move {
            if let Err(e) = engine.reload().await {
                status.try_set(e);
            }
        });
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    let generating = move || matches!(engine.state.get(), EngineState::Generating { .. });
    let lost = move || matches!(engine.state.get(), EngineState::Lost { .. });
    view! {
        <div class="ask-model" data-testid="ask-model">
            <button type="button" class="primary" on:click=ask disabled=move || !ready() data-testid="ask">
                "Ask the model"
            </button>
            <button type="button" on:click=move |_| engine.stop() disabled=move || !generating() data-testid="stop">
                "Stop"
            </button>
            {children.map(|c| c())}
            <Show when=lost>
                <button type="button" on:click=reload data-testid="reload-model">
                    "Reload the model"
                </button>
            </Show>
            <span class="ask-status" role="status" data-testid="ask-status">
                {move || {
                    let s = status.get();
                    if !s.is_empty() {
                        return s;
                    }
                    match engine.state.get() {
                        EngineState::Ready { name } => format!("{name} is ready."),
                        EngineState::Loading { name, done, total } => {
                            format!("Loading {name}: {} of {} MB\u{2026}", done >> 20, total >> 20)
                        }
                        EngineState::Lost { name, why } => {
                            format!("The GPU stopped working ({why}); {name} must be loaded again.")
                        }
                        _ => "Load a model under Models to ask it.".to_string(),
                    }
                }}
            </span>
        </div>
    }
}

impl Report {
    /// One line for the status: how many tokens, from which model, how fast.
    pub fn summary(&self) -> String {
        format!(
            "{}{} tokens from {} in {:.1} s ({:.1} tokens/s; {}).",
            if self.stopped_by_user { "Stopped: " } else { "" },
            self.tokens,
            self.model,
            self.seconds,
            self.tokens as f64 / self.seconds.max(1e-3),
            self.provenance.settings.describe()
        )
    }
}
