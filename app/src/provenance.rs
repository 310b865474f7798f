//! Beside an answer: which model and settings produced it, and a way to produce it again here. A
//! shared answer shows this without downloading anything; "Re-run on my GPU" asks again, with the
//! shared settings, only when the same model file is loaded (`ModelIdentity::same_model`).

use crate::engine::{Asking, Engine, EngineState, Report};
use leptos::prelude::*;
use mindseye_core::generation::Provenance;

#[component]
pub fn AnswerProvenance(
    #[prop(into)] provenance: Signal<Option<Provenance>>,
    /// Builds the prompt to re-run, given whether the model chats.
    prompt: Callback<bool, String>,
    /// Receives the re-run answer as it grows.
    on_text: Callback<String>,
    #[prop(optional)] on_done: Option<Callback<Report>>,
) -> impl IntoView {
    let engine = Engine::expect();
    let status = RwSignal::new(String::new());
    let rerun = move |_| {
        if let Some(p) = provenance.get_untracked() {
            engine.ask(Asking { prompt, on_text, on_done, status }, p.settings);
        }
    };
    let same_model_loaded = move || {
        provenance.with(|p| p.as_ref().zip(engine.identity()).is_some_and(|(p, loaded)| loaded.same_model(&p.model)))
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    move || {
        provenance.get().map(|p| {
            let wanted = p.model.describe();
            view! {
                <div class="answer-provenance" data-testid="provenance">
                    <p>
                        "Answered by "
                        <strong data-testid="provenance-model">{p.model.describe()}</strong>
                        ", "
                        <span data-testid="provenance-settings">{p.describe_settings()}</span>
                        "."
                    </p>
                    <Show
                        when=same_model_loaded
                        fallback=move || {
                            view! {
                                <p class="muted" data-testid="rerun-hint">
                                    "To re-run it on your GPU, load " {wanted.clone()} " under "
                                    <a href="#/models">"Models"</a> "."
                                </p>
                            }
                        }
                    >
                        <button type="button" on:click=rerun disabled=move || !ready() data-testid="rerun">
                            "Re-run on my GPU"
                        </button>
                        <span class="muted" role="status">{move || status.get()}</span>
                    </Show>
                </div>
            }
        })
    }
}
