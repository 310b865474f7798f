//! The selected model: its parsed header in plain facts, the fit check against this GPU, the engine
//! hook's Load button; and the chip in the header that names it from every tab.

use super::{Current, Models, Opening, Origin};
use crate::engine::Engine;
use crate::gpu_status::GpuState;
use leptos::prelude::*;
use mindseye_core::models::fit::{FitReport, Verdict};
use mindseye_core::models::format;
use mindseye_core::models::store::Verified;

/// The header chip: the selected model's name, linking to the Models tab.
#[component]
pub fn ModelChip(models: Models) -> impl IntoView {
    let name = move || models.current.with(|c| c.as_ref().map(|c| format!("{} · {}", c.summary.name, c.summary.quant)));
    let label = move || match name() {
        Some(n) => format!("Selected model: {n}. Manage models"),
        None => "No model selected. Manage models".to_string(),
    };
    view! {
        <a class="model-chip" href="#/models" data-testid="model-chip" aria-label=label title=name>
            <span class="model-chip-kind" aria-hidden="true">
                "Model"
            </span>
            <span class="model-chip-name">{move || name().unwrap_or_else(|| "Choose a model".into())}</span>
        </a>
    }
}

/// The selected model's facts, or what is being opened, or why opening failed.
#[component]
pub fn CurrentModel(models: Models) -> impl IntoView {
    view! {
        <section class="models-current" aria-labelledby="current-title">
            <h3 id="current-title">"Selected model"</h3>
            {move || {
                models
                    .opening
                    .get()
                    .map(|o| match o {
                        Opening::Reading(name) => {
                            view! {
                                <p class="models-hint" role="status">
                                    {format!("Reading the header of \u{201c}{name}\u{201d}\u{2026}")}
                                </p>
                            }
                                .into_any()
                        }
                        Opening::Failed(why) => {
                            view! {
                                <p class="models-alert" role="alert" data-testid="open-error">
                                    {why}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
            {move || match models.current.get() {
                None => {
                    view! {
                        <p class="models-hint" data-testid="no-model">
                            "No model selected yet. Download one from the catalog below, or open a GGUF file."
                        </p>
                    }
                        .into_any()
                }
                Some(current) => view! { <CurrentFacts models=models current=current /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn CurrentFacts(models: Models, current: Current) -> impl IntoView {
    let s = current.summary;
    let arch = if s.supported() {
        s.architecture.clone()
    } else {
        format!("{} (the engine supports llama, qwen2 and gemma2 only)", s.architecture)
    };
    let origin = match &current.origin {
        Origin::Stored { .. } => "in this browser's storage",
        Origin::Local => "a file on your disk, read in place",
    };
    let shape = match (s.layers, s.heads, s.kv_heads) {
        (Some(l), Some(h), Some(kv)) if kv != h => {
            format!("{l} layers, {h} attention heads ({kv} for keys and values)")
        }
        (Some(l), Some(h), _) => format!("{l} layers, {h} attention heads"),
        _ => "not in the header".to_string(),
    };
    let context = s.context.map_or_else(|| "not in the header".to_string(), |c| format!("{} tokens", format::count(c)));
    let template = if s.chat_template { "present in the file" } else { "none (a built-in template will be used)" };
    let checked = current.verified.map(|v| match v {
        Verified::Sha256 => "size and SHA-256 checksum verified".to_string(),
        Verified::Size => "size verified (the catalog has no checksum)".to_string(),
        Verified::Mismatch(why) => why,
        Verified::No => "not checked".to_string(),
    });
    let needs = s.needs.clone();
    let fit = Signal::derive(move || models.fit(&needs));
    let missing = (!s.missing.is_empty()).then(|| format!("Not in the header: {}.", s.missing.join(", ")));
    let load_result = RwSignal::new(None::<Result<String, String>>);
    let engine = Engine::expect();
    let load = move |_| {
        let Some(source) = models.selected_source() else { return };
        leptos::task::spawn_local(async move {
            let result = engine.load(source).await;
            load_result.try_set(Some(result));
        });
    };
    view! {
        <div class="models-current-card" data-testid="current-model">
            <p class="models-current-name" data-testid="current-name">
                {s.name.clone()}
            </p>
            <dl class="facts models-facts" data-testid="current-facts">
                <dt>"Architecture"</dt>
                <dd data-testid="fact-arch">{arch}</dd>
                <dt>"Quantization"</dt>
                <dd data-testid="fact-quant">{s.quant_text()}</dd>
                <dt>"File"</dt>
                <dd data-testid="fact-file">
                    {format!("{} · {} · {origin}", current.file_name, format::bytes(s.file_size))}
                </dd>
                <dt>"Parameters"</dt>
                <dd>{format!("{} ({})", format::params(s.params), format::count(s.params))}</dd>
                <dt>"Context"</dt>
                <dd>{context}</dd>
                <dt>"Shape"</dt>
                <dd>{shape}</dd>
                <dt>"Tokenizer"</dt>
                <dd data-testid="fact-tokenizer">{s.tokenizer_text()}</dd>
                <dt>"Chat template"</dt>
                <dd data-testid="fact-template">{template}</dd>
                <dt>"GGUF"</dt>
                <dd>{format!("version {}, {} tensors", s.gguf_version, format::count(s.tensor_count as u64))}</dd>
                <dt>"Header read in"</dt>
                <dd data-testid="fact-parse-ms">{format!("{:.0} ms", current.parse_ms)}</dd>
                {checked
                    .map(|c| {
                        view! {
                            <dt>"Download check"</dt>
                            <dd data-testid="fact-verified">{c}</dd>
                        }
                    })}
            </dl>
            {missing.map(|m| view! { <p class="models-hint">{m}</p> })}
            <FitLine gpu=models.gpu report=fit />
            <div class="models-actions">
                <button type="button" class="models-button primary" on:click=load>
                    "Load into the GPU"
                </button>
            </div>
            {move || {
                load_result
                    .get()
                    .map(|r| match r {
                        Ok(text) => {
                            view! {
                                <p class="models-ok" role="status" data-testid="load-result">
                                    {text}
                                </p>
                            }
                                .into_any()
                        }
                        Err(text) => {
                            view! {
                                <p class="models-note" role="status" data-testid="load-result">
                                    {text}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </div>
    }
}

/// The fit verdict in one sentence, with the memory breakdown and further reasons below it
/// (folded away when `compact`); before the GPU probe ends, says so.
#[component]
pub fn FitLine(
    gpu: RwSignal<GpuState>,
    #[prop(into)] report: Signal<Option<FitReport>>,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    move || match (report.get(), gpu.get()) {
        (Some(report), _) => {
            let (class, label) = match report.verdict {
                Verdict::Fits => ("fits", "Fits"),
                Verdict::Tight => ("tight", "Tight"),
                Verdict::WontFit => ("wont-fit", "Too big"),
            };
            let list = view! {
                <ul class="models-fit-details">
                    {report.details().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                </ul>
            };
            let details = if compact {
                view! {
                    <details class="models-fit-more">
                        <summary>"Memory and details"</summary>
                        {list}
                    </details>
                }
                .into_any()
            } else {
                list.into_any()
            };
            view! {
                <div class="models-fit" data-verdict=class data-testid="fit">
                    <p>
                        <span class="models-verdict">{label}</span>
                        " "
                        {report.summary()}
                    </p>
                    {details}
                </div>
            }
            .into_any()
        }
        (None, GpuState::Checking) => {
            view! { <p class="models-fit models-hint" data-testid="fit">"Checking this GPU\u{2026}"</p> }.into_any()
        }
        (None, GpuState::Missing(_) | GpuState::Failed(_)) => view! {
            <p class="models-fit models-hint" data-testid="fit">
                "No usable WebGPU here: models can be downloaded and inspected, but not run in this browser."
            </p>
        }
        .into_any(),
        (None, GpuState::Ready { .. }) => ().into_any(),
    }
}
