//! The model's answer: a response text (streamed from the loaded model, or pasted), graded by the
//! official rule against the key, with the model and settings behind it.

use crate::provenance::AnswerProvenance;
use leptos::prelude::*;
use mindseye_core::generation::Provenance;
use mindseye_core::sgp::{GradedAnswer, Protocol, Question};

/// The verdict on `response`: the extracted answer, and correct / wrong / no answer found.
#[component]
pub fn AnswerVerdict(question: Question, #[prop(into)] response: Signal<String>) -> impl IntoView {
    let graded = Memo::new(move |_| {
        let text = response.get();
        (!text.trim().is_empty()).then(|| GradedAnswer::grade(&question, &text))
    });
    move || {
        graded.get().map(|g| {
            let (state, verdict) = match (&g.extracted, g.correct) {
                (None, _) => (
                    "none",
                    "No answer found: the response has no \"Answer: X\" line, which counts as wrong.".to_string(),
                ),
                (Some(letter), true) => ("correct", format!("Correct: answered {letter}, the key is {}.", g.key)),
                (Some(letter), false) => ("wrong", format!("Wrong: answered {letter}, the key is {}.", g.key)),
            };
            view! {
                <p class="sgp-verdict" data-state=state data-testid="verdict" role="status">
                    {verdict}
                </p>
            }
        })
    }
}

/// Where a response streams in or is pasted, with the model's name and the verdict.
#[component]
pub fn AnswerArea(
    question: Question,
    #[prop(into)] response: Signal<String>,
    #[prop(into)] provenance: Signal<Option<Provenance>>,
    /// A new response text, with the model and settings that made it (`None`: typed, or still streaming).
    on_response: Callback<(String, Option<Provenance>)>,
    model: RwSignal<String>,
) -> impl IntoView {
    let engine = crate::engine::Engine::expect();
    let prompt = Callback::new({
        let question = question.clone();
        move |_chats: bool| Protocol::of(&question).prompt(&question)
    });
    let on_text = Callback::new(move |text: String| {
        if let Some(name) = engine.model_name() {
            model.try_set(name);
        }
        on_response.run((text, None))
    });
    let on_done = Callback::new(move |report: crate::engine::Report| {
        on_response.run((response.get_untracked(), Some(report.provenance)))
    });
    view! {
        <section class="sgp-answer" aria-labelledby="sgp-answer-title">
            <h4 id="sgp-answer-title">"Model's answer"</h4>
            <p class="sgp-hint">
                "Ask the loaded model, or paste a model's response: its first \"Answer: X\" line is graded, as in "
                "the official harness."
            </p>
            <crate::engine::AskModel prompt=prompt on_text=on_text on_done=on_done />
            <label class="sgp-field">
                <span>"Model"</span>
                <input
                    type="text"
                    maxlength="120"
                    prop:value=move || model.get()
                    on:input=move |ev| model.set(event_target_value(&ev))
                />
            </label>
            <textarea
                class="sgp-response"
                aria-label="Model response"
                placeholder="… so the object is a heart.\nAnswer: A"
                prop:value=move || response.get()
                on:input=move |ev| on_response.run((event_target_value(&ev), None))
            ></textarea>
            <AnswerProvenance provenance=provenance prompt=prompt on_text=on_text on_done=on_done />
            <AnswerVerdict question=question response=response />
        </section>
    }
}
