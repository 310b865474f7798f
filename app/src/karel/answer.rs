//! A model's answer, checked like the paper checks a generated program. The text is a signal, so
//! a model's streamed output can later feed the same component that pasted text feeds now.

use super::examples::Metrics;
use leptos::prelude::*;
use mindseye_core::karel::{Settings, Task, check, parse_answer};

#[component]
pub fn ModelAnswer(
    text: RwSignal<String>,
    #[prop(into)] task: Signal<Result<Task, String>>,
    #[prop(into)] settings: Signal<Settings>,
    /// Receives the extracted program, to open it in the editor.
    #[prop(into)]
    on_use: Callback<String>,
) -> impl IntoView {
    let answer = Memo::new(move |_| text.with(|t| parse_answer(t)));
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
            <crate::engine::AskModel
                prompt=Callback::new(move |chats: bool| {
                    task.with_untracked(|t| match t {
                        // Instruct models get the chat prompt; base models the paper's synthesis prompt.
                        Ok(t) if chats => mindseye_core::karel::instruction_prompt(t),
                        Ok(t) => mindseye_core::karel::synthesis_prompt(t),
                        Err(_) => String::new(),
                    })
                })
                on_text=Callback::new(move |answer: String| {
                    text.try_set(answer);
                })
            />
            <label class="editor-label" for="karel-answer">"Answer text"</label>
            <textarea
                id="karel-answer"
                class="answer-text"
                rows="6"
                spellcheck="false"
                placeholder="Here is the program:\n```karel\ndef run() {\n  move()\n}\n```"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
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
