//! Evaluate the loaded model on many tasks: each task's specification is shown to the model (the
//! chat prompt, or the paper's synthesis prompt for base models), the program is read from the
//! answer and run on the examples, and the paper's two figures are totalled: correct on the five
//! specification examples, and on all ten.

use super::KarelState;
use crate::batch_view::{Answer, Asker, MaxTokensField, RunStatus, Runners, SavedRuns, not_asked};
use crate::engine::{Engine, EngineState};
use leptos::prelude::*;
use mindseye_core::batch::karel::{self as run, KarelAnswer, Selection};
use mindseye_core::batch::{Benchmark, RunIdentity};
use mindseye_core::generation::{MAX_NEW_TOKENS, Provenance, Settings};
use mindseye_core::karel::{EXAMPLES, SPEC_EXAMPLES, Task};
use mindseye_core::sgp::Tally;

/// The paper decodes at most 48 tokens of a synthesis continuation; a chat answer wraps the same
/// program in a code fence and needs more.
const DEFAULT_MAX_TOKENS: u32 = 128;

#[component]
pub fn BatchPanel(state: KarelState) -> impl IntoView {
    let engine = Engine::expect();
    let runners = Runners::expect();
    let runner = runners.karel;
    let seeded = RwSignal::new(false);
    let count = RwSignal::new(state.bundled.with_untracked(Vec::len).max(1));
    let first_seed = RwSignal::new(1_u64);
    let max_tokens = RwSignal::new(DEFAULT_MAX_TOKENS);
    let selection = Memo::new(move |_| match seeded.get() {
        true => Selection::Seeded { first: first_seed.get(), count: count.get() },
        false => Selection::Bundled { count: count.get(), available: state.bundled.with(Vec::len) },
    });
    let resume = Callback::new(move |fresh: bool| {
        let asker = asker(state.bundled.get_untracked());
        if fresh { runner.start_over(engine, asker) } else { runner.resume(engine, asker) }
    });
    let start = move |_| {
        let settings = Settings::greedy(max_tokens.get_untracked().clamp(1, MAX_NEW_TOKENS));
        let selection = selection.get_untracked();
        let describe = |provenance: Provenance| {
            let identity = RunIdentity {
                benchmark: Benchmark::Karel,
                prompt: run::prompt_name(provenance.prompt).into(),
                provenance,
                dataset: selection.dataset().into(),
                filter: selection.filter(),
            };
            (identity, selection.items())
        };
        runners.start(runner, &settings, describe, resume);
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    let scores = Memo::new(move |_| runner.run.with(|r| r.as_ref().map(run::scores)).unwrap_or_default());
    let summary = Signal::derive(move || {
        let s = scores.get();
        format!(
            "correct on the {SPEC_EXAMPLES} specification examples {}, on all {EXAMPLES} {}{}",
            share(s.on_spec),
            share(s.on_all),
            not_asked(s.failed)
        )
    });
    view! {
        <section class="batch karel-batch" aria-labelledby="karel-batch-title" data-testid="karel-batch">
            <h3 id="karel-batch-title">"Evaluate a model on many tasks"</h3>
            <p class="muted">
                "Asks the loaded model for each task's program (greedy decoding; the chat prompt for instruct "
                "models, the paper's synthesis prompt for base models), runs what it answers on the ten examples "
                "with the paper's semantics, and totals the paper's two figures. Results are kept in this browser "
                "per model, settings and task set."
            </p>
            <div class="batch-start">
                <label class="batch-field">
                    <span>"Tasks"</span>
                    <select
                        aria-label="Which tasks"
                        on:change=move |ev| seeded.set(event_target_value(&ev) == "seeded")
                    >
                        <option value="bundled" prop:selected=move || !seeded.get()>"Bundled (the paper's data)"</option>
                        <option value="seeded" prop:selected=move || seeded.get()>"Generated from seeds"</option>
                    </select>
                </label>
                <label class="batch-field">
                    <span>"How many"</span>
                    <input
                        type="number"
                        min="1"
                        max=run::MAX_SEEDED.to_string()
                        aria-label="How many tasks"
                        prop:value=move || count.get().to_string()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).trim().parse::<usize>() {
                                count.set(n.clamp(1, run::MAX_SEEDED));
                            }
                        }
                    />
                </label>
                <Show when=move || seeded.get()>
                    <label class="batch-field">
                        <span>"First seed"</span>
                        <input
                            type="number"
                            min="0"
                            aria-label="First seed"
                            prop:value=move || first_seed.get().to_string()
                            on:change=move |ev| {
                                if let Ok(s) = event_target_value(&ev).trim().parse::<u64>() {
                                    first_seed.set(s);
                                }
                            }
                        />
                    </label>
                </Show>
                <MaxTokensField value=max_tokens />
                <button type="button" class="primary" data-testid="karel-batch-start" disabled=move || !ready() on:click=start>
                    {move || format!("Evaluate {} tasks", selection.get().items().len())}
                </button>
                {move || (!ready()).then(|| view! { <span class="muted">"Load a model under Models to evaluate it."</span> })}
            </div>
            <SavedRuns runner=runner />
            <RunStatus runner=runner summary=summary on_resume=resume csv=run::to_csv json=run::to_json stem="karel-run" />
            <Show when=move || scores.with(|s| s.on_spec.total > 0)>
                <dl class="batch-figures" data-testid="karel-batch-accuracy">
                    <div>
                        <dt>{format!("Correct on the {SPEC_EXAMPLES} specification examples")}</dt>
                        <dd>{move || share(scores.get().on_spec)}</dd>
                    </div>
                    <div>
                        <dt>{format!("Correct on all {EXAMPLES} examples")}</dt>
                        <dd>{move || share(scores.get().on_all)}</dd>
                    </div>
                </dl>
            </Show>
            <TaskList state=state />
        </section>
    }
}

/// "3 of 40 (7.5%)".
fn share(tally: Tally) -> String {
    match tally.accuracy() {
        Some(a) => format!("{} of {} ({:.1}%)", tally.correct, tally.total, a * 100.0),
        None => "none yet".into(),
    }
}

/// Every answered task; a click opens it with the model's answer and program.
#[component]
fn TaskList(state: KarelState) -> impl IntoView {
    let runner = Runners::expect().karel;
    let rows = move || {
        runner.run.with(|r| {
            r.as_ref()
                .map(|b| b.results().map(|(item, done)| (item.to_string(), done.result.clone())).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let open = move |item: &str, answer: &KarelAnswer| {
        let Some(choice) = run::task_choice(item) else { return };
        state.open_task(choice);
        state.answer.set(answer.answer.clone());
        if !answer.code.is_empty() {
            state.source.set(answer.code.clone());
        }
    };
    view! {
        <ol class="batch-tasks" aria-label="Tasks answered">
            {move || {
                rows()
                    .into_iter()
                    .map(|(item, answer)| {
                        let verdict = match (&answer.error, answer.passed.is_empty()) {
                            (Some(why), _) => format!("not asked: {why}"),
                            (None, true) => "no program in the answer".to_string(),
                            (None, false) => format!(
                                "spec {} · all ten {} · {} of {EXAMPLES} examples",
                                mark(answer.correct_on_spec()),
                                mark(answer.correct_on_all()),
                                answer.passed.iter().filter(|p| **p).count()
                            ),
                        };
                        let ok = answer.correct_on_spec();
                        let label = format!("{item}: {verdict}");
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="link"
                                    class:ok-text=ok
                                    data-testid="karel-batch-task"
                                    title="Open this task with the model's answer"
                                    on:click=move |_| open(&item, &answer)
                                >
                                    {label}
                                </button>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}

fn mark(passed: bool) -> &'static str {
    if passed { "✓" } else { "✗" }
}

/// Asks about tasks of `bundled` (or generated from seeds).
fn asker(bundled: Vec<Task>) -> Asker<KarelAnswer> {
    let bundled = std::rc::Rc::new(bundled);
    let resolve = {
        let bundled = bundled.clone();
        move |item: &str| run::task_choice(item)?.resolve(&bundled).ok()
    };
    let prompt = {
        let resolve = resolve.clone();
        Box::new(move |item: &str, style| resolve(item).map(|task| run::prompt(&task, style)))
    };
    let grade = Box::new(move |item: &str, answer: Answer<'_>| match answer {
        Ok((text, tokens)) => resolve(item).map(|task| KarelAnswer::check(&task, text, tokens)),
        Err(why) => Some(KarelAnswer::failed(why)),
    });
    Asker { prompt, grade }
}
