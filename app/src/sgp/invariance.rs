//! The same question in the translated copies of the program (inv, inv_t0, inv_t1): a model that
//! really sees the picture should answer them alike. The loaded model can be asked on every copy
//! in turn, and the answers are compared with the paper's consistency measure.

use super::canvas::SvgCanvas;
use super::session::{FileId, SgpSession};
use crate::engine::{ANSWER_TOKENS, Engine, EngineState};
use leptos::prelude::*;
use mindseye_core::generation::Settings;
use mindseye_core::sgp::{AnswerSet, Consistency, GradedAnswer, Protocol, Question, SampleFile};

/// Asks the loaded model the question on each copy in turn, streaming each answer into the session.
async fn ask_every_copy(session: SgpSession, copies: Vec<(SampleFile, Question)>, status: RwSignal<String>) {
    let engine = Engine::expect();
    let settings = Settings::greedy(ANSWER_TOKENS);
    let total = copies.len();
    for (i, (sample, question)) in copies.into_iter().enumerate() {
        status.try_set(format!("Asking on {} ({} of {total})\u{2026}", sample.name(), i + 1));
        let (file, key) = (FileId::Sample(sample), question.key());
        let prompt = Protocol::of(&question).prompt(&question);
        let stream = |text: String| session.set_answer(file, key.clone(), text, None);
        let report = match engine.generate(&prompt, &settings, stream).await {
            Ok(report) => report,
            Err(why) => {
                status.try_set(why);
                return;
            }
        };
        let text = session.answers.with_untracked(|a| a.get(&(file, key.clone())).cloned()).unwrap_or_default();
        let stopped = report.stopped_by_user;
        session.set_answer(file, key, text, Some(report.provenance));
        if stopped {
            status.try_set(format!("Stopped on {}.", sample.name()));
            return;
        }
    }
    status.try_set(format!("Asked on all {total} copies."));
}

#[component]
pub fn InvarianceView(session: SgpSession, question: Question) -> impl IntoView {
    let key = question.key();
    let copies = {
        let key = key.clone();
        move || {
            SampleFile::ALL
                .into_iter()
                .filter_map(|sample| {
                    let questions = session.questions_of(FileId::Sample(sample));
                    questions.iter().find(|q| q.key() == key).cloned().map(|q| (sample, q))
                })
                .collect::<Vec<_>>()
        }
    };
    let graded = {
        let copies = copies.clone();
        move || {
            copies()
                .into_iter()
                .map(|(sample, q)| (sample, session.grade(FileId::Sample(sample), &q)))
                .collect::<Vec<(SampleFile, Option<GradedAnswer>)>>()
        }
    };
    let consistency = {
        let graded = graded.clone();
        let key = key.clone();
        move || {
            let answered: Vec<AnswerSet> = graded()
                .into_iter()
                .filter_map(|(_, g)| g)
                .map(|g| AnswerSet::from([(key.clone(), g.extracted)]))
                .collect();
            if answered.len() < 2 {
                return "Ask the model (or paste answers) on at least two of the copies to compare them.".to_string();
            }
            let measured = Consistency::measure(&answered);
            let sets = answered.len();
            if measured.consistent == 1 {
                format!("Consistent: the same answer in all {sets} answered copies.")
            } else {
                format!(
                    "Inconsistent: the answers differ across the {sets} answered copies (majority agreement {:.0}%).",
                    measured.majority_rate * 100.0
                )
            }
        }
    };
    let engine = Engine::expect();
    let run_status = RwSignal::new(String::new());
    let ask_all = {
        let copies = copies.clone();
        move |_| {
            let copies = copies();
            leptos::task::spawn_local(ask_every_copy(session, copies, run_status));
        }
    };
    let ready = move || matches!(engine.state.get(), EngineState::Ready { .. });
    let generating = move || matches!(engine.state.get(), EngineState::Generating { .. });
    view! {
        <details class="sgp-panel" open>
            <summary>"Invariance: the same question, the program translated"</summary>
            <p class="sgp-hint">
                "inv_t0 and inv_t1 move the drawing with a different program; the picture and the question are the same."
            </p>
            <div class="sgp-panel-tools">
                <button class="sgp-button primary" on:click=ask_all disabled=move || !ready() data-testid="ask-every-copy">
                    "Ask the model on every copy"
                </button>
                <button class="sgp-button" on:click=move |_| engine.stop() disabled=move || !generating()>
                    "Stop"
                </button>
                <span class="sgp-hint" role="status" data-testid="copies-status">{move || run_status.get()}</span>
            </div>
            <div class="sgp-copies">
                {move || {
                    copies()
                        .into_iter()
                        .map(|(sample, q)| {
                            let file = FileId::Sample(sample);
                            let label = format!(
                                "Rendered image of question {} ({}) in {}",
                                q.index,
                                q.subject.clone().unwrap_or_default(),
                                sample.name(),
                            );
                            let answer = {
                                let q = q.clone();
                                move || match session.grade(file, &q) {
                                    None => "not answered".to_string(),
                                    Some(g) => {
                                        let said = g.extracted.unwrap_or_else(|| "no answer".into());
                                        format!("answered {said} ({})", if g.correct { "correct" } else { "wrong" })
                                    }
                                }
                            };
                            let response = {
                                let key = q.key();
                                move || session.answers.with(|a| a.get(&(file, key.clone())).cloned())
                            };
                            let key = q.key();
                            let current = move || session.file.get() == file;
                            view! {
                                <div class="sgp-copy" class:is-current=current>
                                    <SvgCanvas source=q.svg().to_string() css_size=150u32 label=label />
                                    <p class="sgp-copy-name">{sample.name()}</p>
                                    <p class="sgp-hint" data-testid="copy-answer">{answer}</p>
                                    {move || response().map(|text| view! {
                                        <details class="sgp-copy-response">
                                            <summary>"Response"</summary>
                                            <pre>{text}</pre>
                                        </details>
                                    })}
                                    <button
                                        class="sgp-button"
                                        disabled=current
                                        on:click=move |_| {
                                            session.file.set(file);
                                            session.select(key.clone());
                                        }
                                    >
                                        {move || if current() { "Shown above" } else { "Open this copy" }}
                                    </button>
                                </div>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <p class="sgp-consistency" role="status" data-testid="consistency">
                {consistency}
            </p>
        </details>
    }
}
