//! The GPU engine in the page: one loaded model at a time, shared by both panes. Loading streams the
//! selected model's file into the GPU chunk by chunk; generation runs the same `Generator` as the
//! CLI, one command buffer per token, awaiting each read-back so the page stays responsive.

use crate::models::ModelSource;
use leptos::prelude::*;
use mindseye_core::chat::{Message, Template};
use mindseye_core::generation::{ModelIdentity, PromptStyle, Provenance, Settings};
use mindseye_core::gpu::{Context, GpuError, GpuLoader, GpuModel, Output, Want};
use mindseye_core::model::{Config, Generator, Limits, Step};
use mindseye_core::tokenizer::Tokenizer;
use std::sync::Arc;

/// Bytes read from the model file per step while loading.
const CHUNK: u64 = 4 << 20;
/// GPU memory the KV cache may take; the context is as long as fits (see `Config::context_within`).
const KV_BUDGET: u64 = 256 << 20;

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
}

/// The engine's handle, provided by the app shell as context.
#[derive(Clone, Copy)]
pub struct Engine {
    pub state: RwSignal<EngineState>,
    /// Taken out while an answer is generated, and put back after.
    loaded: StoredValue<Option<Loaded>, LocalStorage>,
    /// The last model loaded, so that a lost device can be recovered from with one button.
    last_source: StoredValue<Option<ModelSource>, LocalStorage>,
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
        let name = source.name.clone();
        let total = source.size();
        self.last_source.set_value(Some(source.clone()));
        self.state.set(EngineState::Loading { name: name.clone(), done: 0, total });
        match self.load_inner(source, total).await {
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

    async fn load_inner(self, source: ModelSource, total: u64) -> Result<Loaded, String> {
        // The engine's API shares the context through an Arc; in the page it never leaves this thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let ctx = Arc::new(Context::new().await.map_err(|e| e.to_string())?);
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
        let template = file.get("tokenizer.chat_template").and_then(|_| Template::from_gguf(&file).ok());
        let context = Config::from_gguf(&file).map_err(|e| e.to_string())?.context_within(KV_BUDGET);
        let model = loader.finish(ctx.clone(), context).map_err(|e| e.to_string())?;
        Ok(Loaded { name: source.name.clone(), identity: source.identity.clone(), model, tokenizer, template })
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
        self.loaded.with_value(|l| {
            let l = l.as_ref()?;
            let prompt = if l.template.is_some() { PromptStyle::Chat } else { PromptStyle::Raw };
            Some(Provenance { model: l.identity.clone(), prompt, settings: settings.clone() })
        })
    }

    /// Generates a reply to `prompt` (a user turn in the model's chat template when it has one,
    /// else the raw text) with `settings`, calling `on_text` with the text so far after every token.
    pub async fn generate(self, prompt: &str, settings: &Settings, on_text: impl Fn(String)) -> Result<Report, String> {
        if self.is_busy() {
            return Err("The model is busy; stop the running answer first.".into());
        }
        let Some(mut loaded) = self.loaded.try_update_value(Option::take).flatten() else {
            return Err(
                "No model is loaded: choose one under Models and press \u{201c}Load into the GPU\u{201d}.".into()
            );
        };
        let name = loaded.name.clone();
        let provenance = Provenance {
            model: loaded.identity.clone(),
            prompt: if loaded.template.is_some() { PromptStyle::Chat } else { PromptStyle::Raw },
            settings: settings.clone(),
        };
        self.stop.set(false);
        self.state.set(EngineState::Generating { name: name.clone() });
        let started = crate::browser::now_ms();
        let result = run(&mut loaded, prompt, settings, self.stop, &on_text).await;
        let seconds = (crate::browser::now_ms() - started) / 1000.0;
        match result {
            Err(Failure::Lost(why)) => {
                // Nothing on a lost device can be used again; the source stays for `reload`.
                drop(loaded);
                self.state.set(EngineState::Lost { name, why: why.clone() });
                Err(format!("The GPU stopped working ({why}). Press \u{201c}Reload the model\u{201d} to go on."))
            }
            other => {
                self.loaded.set_value(Some(loaded));
                // A failed answer (a prompt too long, a rejected dispatch) leaves the model loaded and
                // usable; the error goes back to the caller to show.
                self.state.set(self.idle_state(None));
                other.map_err(|f| f.to_string()).map(|(tokens, stopped_by_user)| Report {
                    model: name,
                    provenance,
                    tokens,
                    seconds,
                    stopped_by_user,
                })
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
    let Loaded { model, tokenizer, template, .. } = loaded;
    let max_tokens = settings.max_tokens as usize;
    let tokens = match template {
        Some(template) => template.encode(tokenizer, &[Message::user(prompt)]).map_err(|e| e.to_string())?,
        // The prompt is data (a question, a program): its text never becomes control tokens.
        None => tokenizer.encode_untrusted(prompt, true),
    };
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
    model.truncate(0);
    let limits = Limits { max_tokens, stop_tokens: tokenizer.end_of_generation() };
    let mut generator =
        Generator::new(tokens, model.config.n_vocab, settings.sampling(), limits, None).map_err(|e| e.to_string())?;
    let mut decoder = tokenizer.stream_decoder();
    let mut text = String::new();
    while generator.stop_reason().is_none() {
        if stop.get_untracked() {
            return Ok((generator.generated().len(), true));
        }
        // Only greedy, unconstrained decoding can take the GPU's argmax (4 bytes read back).
        let want = if generator.needs_logits() { Want::Logits } else { Want::Argmax };
        let step = match model.forward(generator.pending(), want).await? {
            Output::Token(token) => generator.next_argmax(token),
            Output::Logits(logits) => generator.next(&logits),
        };
        match step.map_err(|e| e.to_string())? {
            Step::Token(id) => {
                text.push_str(&decoder.push(id));
                on_text(text.clone());
            }
            Step::Done(_) => break,
        }
    }
    text.push_str(&decoder.finish());
    on_text(text);
    Ok((generator.generated().len(), false))
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
    #[prop(into, default = Signal::stored(Settings::greedy(256)))]
    settings: Signal<Settings>,
    /// Told how a finished (or stopped) answer was made.
    #[prop(optional)]
    on_done: Option<Callback<Report>>,
) -> impl IntoView {
    let engine = Engine::expect();
    let status = RwSignal::new(String::new());
    let ask = move |_| {
        let prompt = prompt.run(engine.chats());
        let settings = settings.get_untracked();
        on_text.run(String::new());
        status.set("Thinking\u{2026}".into());
        leptos::task::spawn_local(async move {
            let result = engine.generate(&prompt, &settings, move |t| on_text.run(t)).await;
            status.try_set(match &result {
                Ok(r) => r.summary(),
                Err(e) => e.clone(),
            });
            if let (Ok(report), Some(on_done)) = (result, on_done) {
                on_done.run(report);
            }
        });
    };
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
