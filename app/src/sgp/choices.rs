//! "Score the options": the loaded model's probability for each answer line after the official
//! prompt (see `mindseye_core::sgp::ChoiceScoring` for what is scored), drawn as a bar chart that
//! is also a table, so the numbers are there as text for everyone.

use crate::engine::{Engine, EngineState};
use leptos::prelude::*;
use mindseye_core::generation::PromptStyle;
use mindseye_core::sgp::{ChoiceBar, ChoiceScoring, Question};

#[component]
pub fn ScoreOptions(question: Question) -> impl IntoView {
    let engine = Engine::expect();
    let result = RwSignal::new(None::<Result<(Vec<ChoiceBar>, String), String>>);
    let busy = RwSignal::new(false);
    let score = move |_| {
        let style = if engine.chats() { PromptStyle::Chat } else { PromptStyle::Raw };
        let scoring = ChoiceScoring::of(&question, style);
        let question = question.clone();
        busy.set(true);
        result.set(None);
        leptos::task::spawn_local(async move {
            let scored = engine.score(&scoring.prompt, &scoring.continuations).await;
            busy.try_set(false);
            result.try_set(Some(scored.map(|s| (scoring.bars(&question, &s), scoring.verdict(&s)))));
        });
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    view! {
        <section class="sgp-answer" aria-labelledby="sgp-choices-title">
            <div class="sgp-choices-head">
                <h4 id="sgp-choices-title">"Option probabilities"</h4>
                <button class="sgp-button" on:click=score disabled=move || !ready() data-testid="score-options">
                    "Score the options"
                </button>
            </div>
            <p class="sgp-hint">
                "How likely the loaded model finds each answer line (\u{201c}Answer: A\u{201d} \u{2026}) as the first "
                "thing it says after the official prompt: its immediate pick, without thinking step by step."
            </p>
            <p class="sgp-hint" role="status">{move || if busy.get() { "Scoring\u{2026}" } else { "" }}</p>
            {move || result.get().map(|r| match r {
                Ok((bars, verdict)) => view! { <ChoiceChart bars=bars verdict=verdict /> }.into_any(),
                Err(why) => view! { <p class="error-text" role="alert">{why}</p> }.into_any(),
            })}
        </section>
    }
}

/// One row per answer: the label and option text, a bar as wide as its probability, the percentage,
/// and words for the key and the model's pick (never colour alone).
#[component]
fn ChoiceChart(bars: Vec<ChoiceBar>, verdict: String) -> impl IntoView {
    let rows = bars
        .into_iter()
        .map(|bar| {
            let width = format!("width: {:.2}%", (bar.probability * 100.0).clamp(0.0, 100.0));
            let marks = [(bar.is_key, "key"), (bar.is_best, "model's pick")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, mark)| view! { <span class="sgp-choice-mark">{mark}</span> })
                .collect_view();
            view! {
                <tr class:is-key=bar.is_key class:is-best=bar.is_best data-testid="choice-row">
                    <th scope="row">
                        <span class="sgp-letter">{bar.label}</span>
                        // A space, so the row reads "B Triangle" rather than "BTriangle".
                        " "
                        {bar.text.map(|t| view! { <span class="sgp-choice-text">{t}</span> })}
                    </th>
                    <td class="sgp-choice-bar-cell" aria-hidden="true">
                        <span class="sgp-choice-bar" style=width></span>
                    </td>
                    <td class="sgp-choice-percent" data-testid="choice-percent" data-p=bar.probability.to_string()>
                        {bar.percent}
                    </td>
                    <td>{marks}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="sgp-choice-chart" data-testid="choice-chart">
            <caption>{verdict}</caption>
            <thead>
                <tr>
                    <th scope="col">"Answer"</th>
                    <th scope="col" aria-hidden="true"></th>
                    <th scope="col">"Probability"</th>
                    <th scope="col">"Note"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
