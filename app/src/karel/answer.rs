//! A model's answer, checked like the paper checks a generated program: streamed from the loaded
//! model (optionally constrained to straight-line programs, as the paper decodes) or pasted.

use super::examples::Metrics;
use crate::engine::{ANSWER_TOKENS, AskModel, Report};
use crate::provenance::AnswerProvenance;
use leptos::prelude::*;
use mindseye_core::generation::{PromptStyle, Provenance, Settings as Generation};
use mindseye_core::karel::{Settings, Task, check, model_prompt, parse_answer};

#[component]
pub fn ModelAnswer(
    text: RwSignal<String>,
    /// Who made `text` (`None` once it is typed over).
    provenance: RwSignal<Option<Provenance>>,
    #[prop(into)] task: Signal<Result<Task, String>>,
    #[prop(into)] settings: Signal<Settings>,
    /// Receives the extracted program, to open it in the editor.
    #[prop(into)]
    on_use: Callback<String>,
) -> impl IntoView {
    let answer = Memo::new(move |_| text.with(|t| parse_answer(t)));
    let constrained = RwSignal::new(false);
    let generation =
        Signal::derive(move || Generation { constrained: constrained.get(), ..Generation::greedy(ANSWER_TOKENS) });
    let prompt = Callback::new(move |chats: bool| {
        let style = if chats { PromptStyle::Chat } else { PromptStyle::Raw };
        task.with_untracked(|t| t.as_ref().map(|t| model_prompt(t, style)).unwrap_or_default())
    });
    let on_text = Callback::new(move |answer: String| {
        provenance.try_set(None);
        text.try_set(answer);
    });
    let on_done = Callback::new(move |report: Report| {
        provenance.try_set(Some(report.provenance));
    });
    let report = Signal::derive(move || {
        if text.with(|t| t.trim().is_empty()) {
            return None;
        }
        let settings = settings.get();
        answer.with(|a| task.with(|t| Some(check(a.program.as_ref()?, t.as_ref().ok()?, &settings))))
    });
    view! {
        <section class="model-answer" aria-labelledby="karel-answer-title">
            <h3 id="karel-answer-title">"Model answer"</h3>
            <p class="muted">
                "Ask the loaded model, or paste a model's reply (prose, code fences and all). The program is "
                "extracted as the paper's checker would read it and run on all ten examples."
            </p>
            <AskModel prompt=prompt on_text=on_text on_done=on_done settings=generation>
                <label class="ask-option">
                    <input
                        type="checkbox"
                        prop:checked=move || constrained.get()
                        on:change=move |ev| constrained.set(event_target_checked(&ev))
                        data-testid="karel-grammar"
                    />
                    "Only straight-line programs (grammar-constrained)"
                </label>
            </AskModel>
            <label class="editor-label" for="karel-answer">"Answer text"</label>
            <textarea
                id="karel-answer"
                class="answer-text"
                rows="6"
                spellcheck="false"
                placeholder="Here is the program:\n```karel\ndef run() {\n  move()\n}\n```"
                prop:value=move || text.get()
                on:input=move |ev| {
                    provenance.set(None);
                    text.set(event_target_value(&ev));
                }
            ></textarea>
            <AnswerProvenance provenance=provenance prompt=prompt on_text=on_text on_done=on_done />
            {move || {
                answer.with(|a| {
                    if text.with(|t| t.trim().is_empty()) {
                        return None;
                    }
                    let code = a.code.clone();
                    let extracted = match a.program.is_some() {
                        true => view! {
                            <div class="answer-extracted">
                                <div class="answer-extracted-head">
                                    <h4>"Extracted program"</h4>
                                    <button type="button" on:click=move |_| on_use.run(code.clone())>"Open in editor"</button>
                                </div>
                                <pre data-testid="answer-code">{a.code.clone()}</pre>
                            </div>
                        }
                            .into_any(),
                        false => view! { <p class="error-text" role="alert">"No program could be read from this answer."</p> }.into_any(),
                    };
                    let skipped = (!a.skipped.is_empty()).then(|| {
                        let items = a
                            .skipped
                            .iter()
                            .map(|s| view! { <li><span class="skip-reason">{s.reason.clone()}</span><code>{s.text.clone()}</code></li> })
                            .collect_view();
                        view! {
                            <h4>"Skipped"</h4>
                            <ul class="answer-skipped" data-testid="answer-skipped">{items}</ul>
                        }
                    });
                    Some(view! {
                        {extracted}
                        {skipped}
                    })
                })
            }}
            {move || report.get().map(|r| {
                let chips = r
                    .examples
                    .iter()
                    .enumerate()
                    .map(|(k, e)| {
                        let label = format!("{k}: {}", if e.passed { "pass" } else { "fail" });
                        view! { <li class="chip" class:ok=e.passed class:bad=!e.passed>{label}</li> }
                    })
                    .collect_view();
                view! { <ul class="answer-results" aria-label="Per-example results" data-testid="answer-results">{chips}</ul> }
            })}
            <Metrics report=report />
        </section>
    }
}
