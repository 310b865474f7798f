//! "Evaluate the filtered questions": the loaded model over the questions the list shows, with
//! greedy decoding, the official prompt and the official grading; resumable, and kept in this
//! browser with the model and settings that produced it.

use super::session::{FileId, ResultsSource, SgpSession};
use crate::batch_view::{Answer, Asker, MaxTokensField, RunStatus, Runners, SavedRuns, not_asked};
use crate::engine::{Engine, EngineState};
use leptos::prelude::*;
use mindseye_core::batch::sgp::{self as run, SgpAnswer};
use mindseye_core::batch::{Benchmark, RunIdentity};
use mindseye_core::generation::{MAX_NEW_TOKENS, Settings};
use mindseye_core::sgp::{Protocol, Question, SampleFile};
use std::collections::HashMap;
use std::sync::Arc;

#[component]
pub fn BatchPanel(session: SgpSession) -> impl IntoView {
    let engine = Engine::expect();
    let runners = Runners::expect();
    let runner = runners.sgp;
    let max_tokens = RwSignal::new(MAX_NEW_TOKENS);
    let filtered = Memo::new(move |_| {
        let file = session.file.get();
        let questions = session.questions_of(file);
        session.filter.with(|f| f.apply(&questions, |q| session.outcome(file, q)).len())
    });
    let resume = Callback::new(move |fresh: bool| {
        let Some(asker) =
            asker(session, runner.run.with_untracked(|r| r.as_ref().map(|b| b.identity().dataset.clone())))
        else {
            return;
        };
        match asker {
            Ok(asker) if fresh => runner.start_over(engine, asker),
            Ok(asker) => runner.resume(engine, asker),
            Err(why) => runner.notice.set(Some(why)),
        }
        session.results_source.set(ResultsSource::Batch);
    });
    let start = move |_| {
        let settings = Settings::greedy(max_tokens.get_untracked().clamp(1, MAX_NEW_TOKENS));
        let describe = |provenance| {
            untrack(|| {
                let file = session.file.get();
                let questions = session.questions_of(file);
                let filter = session.filter.get();
                let items: Vec<String> = filter
                    .apply(&questions, |q| session.outcome(file, q))
                    .into_iter()
                    .filter_map(|i| questions.get(i).map(|q| run::item_key(&q.key())))
                    .collect();
                let identity = RunIdentity {
                    benchmark: Benchmark::Sgp,
                    provenance,
                    prompt: run::PROMPT.into(),
                    dataset: session.file_name(file),
                    filter: run::describe_filter(&filter),
                };
                (identity, items)
            })
        };
        if runners.start(runner, &settings, describe, resume) {
            session.results_source.set(ResultsSource::Batch);
        }
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    let summary = Signal::derive(move || {
        runner.run.with(|r| {
            let Some(batch) = r else { return String::new() };
            let overall = run::results(batch).scores().overall;
            let failed = run::failures(batch);
            let accuracy = match overall.accuracy() {
                Some(a) => format!("accuracy so far {} of {} ({:.1}%)", overall.correct, overall.total, a * 100.0),
                None => "no answers yet".to_string(),
            };
            accuracy + &not_asked(failed)
        })
    });
    view! {
        <section class="batch sgp-batch" aria-labelledby="sgp-batch-title" data-testid="sgp-batch">
            <h3 id="sgp-batch-title">"Evaluate a model"</h3>
            <p class="sgp-hint">
                "Asks the loaded model every question the list shows, one after another, with greedy decoding "
                "and the official harness's prompt and grading (the first \u{201c}Answer: X\u{201d} counts; none is "
                "wrong). Results are kept in this browser per model, settings and question set, so a run can be "
                "paused, and resumed after a reload."
            </p>
            <div class="batch-start">
                <MaxTokensField value=max_tokens />
                <button
                    type="button"
                    class="sgp-button primary"
                    data-testid="batch-start"
                    disabled=move || !ready() || filtered.get() == 0
                    on:click=start
                >
                    {move || format!("Evaluate the {} filtered questions", filtered.get())}
                </button>
                <span class="sgp-hint">
                    {move || {
                        if ready() {
                            "The official harness allows 2,048 new tokens; fewer is faster but may cut answers short."
                        } else {
                            "Load a model under Models to evaluate it."
                        }
                    }}
                </span>
            </div>
            <SavedRuns runner=runner />
            <RunStatus runner=runner summary=summary on_resume=resume csv=run::to_csv json=run::to_json stem="sgp-run" />
        </section>
    }
}

/// The asker for a run over `dataset`, or why its questions are not at hand.
fn asker(session: SgpSession, dataset: Option<String>) -> Option<Result<Asker<SgpAnswer>, String>> {
    let dataset = dataset?;
    let Some(questions) = questions_named(session, &dataset) else {
        return Some(Err(format!("This run's questions are in \u{201c}{dataset}\u{201d}: load that file to go on.")));
    };
    let by_item: HashMap<String, usize> =
        questions.iter().enumerate().map(|(i, q)| (run::item_key(&q.key()), i)).collect();
    let find = {
        let questions = questions.clone();
        move |item: &str| by_item.get(item).and_then(|&i| questions.get(i).cloned())
    };
    let find = Arc::new(find);
    let prompt = {
        let find = find.clone();
        Box::new(move |item: &str, _| find(item).map(|q: Question| Protocol::of(&q).prompt(&q)))
    };
    let grade = Box::new(move |item: &str, answer: Answer<'_>| {
        let q = find(item)?;
        Some(match answer {
            Ok((text, tokens)) => SgpAnswer::grade(&q, text, tokens),
            Err(why) => SgpAnswer::failed(&q, why),
        })
    });
    Some(Ok(Asker { prompt, grade }))
}

/// The questions of the file named `name`: a bundled sample, or the file loaded now.
fn questions_named(session: SgpSession, name: &str) -> Option<Arc<Vec<Question>>> {
    untrack(|| {
        SampleFile::ALL
            .into_iter()
            .map(FileId::Sample)
            .find(|&f| session.file_name(f) == name)
            .map(|f| session.questions_of(f))
            .filter(|q| !q.is_empty())
            .or_else(|| session.loaded.with(|l| l.as_ref().filter(|l| l.name == name).map(|l| l.questions.clone())))
    })
}
