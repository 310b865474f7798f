//! Accuracy of the answers given so far, beside the paper's published figures, exportable as
//! CSV and JSON; and a render-time measurement over the loaded file.

use super::session::{ResultsSource, SgpSession};
use crate::browser;
use leptos::prelude::*;
use mindseye_core::batch::sgp as batch_run;
use mindseye_core::sgp::{GradedAnswer, Limits, QuestionType, Results, Svg, Tally, TimingSummary, published};

#[component]
pub fn ResultsView(session: SgpSession) -> impl IntoView {
    let runner = crate::batch_view::Runners::expect().sgp;
    let has_run = move || runner.run.with(Option::is_some);
    let from_batch = Memo::new(move |_| session.results_source.get() == ResultsSource::Batch && has_run());
    let results = Memo::new(move |_| {
        if from_batch.get()
            && let Some(results) = runner.run.with(|r| r.as_ref().map(batch_run::results))
        {
            return results;
        }
        let file = session.file.get();
        let questions = session.questions_of(file);
        let answers = session.answers.with(|book| {
            questions
                .iter()
                .filter_map(|q| book.get(&(file, q.key())).map(|text| GradedAnswer::grade(q, text)))
                .collect::<Vec<_>>()
        });
        Results { model: session.model.get(), file: session.file_name(file), answers }
    });
    let export_error = RwSignal::new(None::<String>);
    let export = move |extension: &'static str| {
        let results = results.get_untracked();
        let stem =
            results.file.trim_end_matches(".csv").trim_end_matches(".jsonl").trim_end_matches(".json").to_string();
        let (text, mime) = match extension {
            "csv" => (results.to_csv(), "text/csv"),
            _ => (results.to_json(), "application/json"),
        };
        export_error.set(browser::download(&format!("{stem}-results.{extension}"), mime, &text).err());
    };
    let rows = move || {
        let scores = results.with(Results::scores);
        let mut rows = vec![("Overall".to_string(), "overall", scores.overall, published_overall())];
        rows.extend(QuestionType::ALL.iter().filter_map(|t| {
            scores.by_type.get(t).map(|tally| (t.name().to_string(), "type", *tally, published_for(*t)))
        }));
        rows.extend(scores.by_subject.iter().map(|(s, tally)| (s.clone(), "subject", *tally, String::new())));
        rows
    };
    view! {
        <section class="sgp-results" aria-labelledby="sgp-results-title">
            <h3 id="sgp-results-title">"Results"</h3>
            <Show when=has_run>
                <fieldset class="sgp-source">
                    <legend>"Totals of"</legend>
                    <label>
                        <input
                            type="radio"
                            name="sgp-results-source"
                            prop:checked=move || !from_batch.get()
                            on:change=move |_| session.results_source.set(ResultsSource::Pasted)
                        />
                        "answers given one by one"
                    </label>
                    <label>
                        <input
                            type="radio"
                            name="sgp-results-source"
                            data-testid="results-source-batch"
                            prop:checked=move || from_batch.get()
                            on:change=move |_| session.results_source.set(ResultsSource::Batch)
                        />
                        "the batch run"
                    </label>
                </fieldset>
            </Show>
            <p class="sgp-hint" data-testid="results-source">
                {move || {
                    let source = match from_batch.get() {
                        true => runner.run.with(|r| {
                            r.as_ref().map_or(String::new(), |b| {
                                format!("Source: batch run of {}.", b.identity().describe())
                            })
                        }),
                        false => "Source: answers pasted or asked one by one.".to_string(),
                    };
                    results
                        .with(|r| {
                            format!(
                                "{source} {} answered in {} by {}. Chance is 25%. Paper figures: Qiu et al. 2024, full SVG split.",
                                r.answers.len(),
                                r.file,
                                if r.model.is_empty() { "an unnamed model" } else { &r.model },
                            )
                        })
                }}
            </p>
            <div class="sgp-results-grid">
                <div class="sgp-table-wrap">
                <table class="sgp-table" data-testid="results-table">
                    <thead>
                        <tr>
                            <th scope="col">"Group"</th>
                            <th scope="col">"Accuracy"</th>
                            <th scope="col">"Correct / questions"</th>
                            <th scope="col">"Paper: Gemma 2B · Claude 3.5"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            rows()
                                .into_iter()
                                .map(|(name, scope, tally, paper)| {
                                    view! {
                                        <tr data-scope=scope>
                                            <th scope="row">{name}</th>
                                            <td>
                                                <AccuracyBar tally=tally />
                                            </td>
                                            <td class="num">{format!("{} / {}", tally.correct, tally.total)}</td>
                                            <td class="muted">{paper}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
                </div>
                <PublishedChart current=Signal::derive(move || {
                    let label = if from_batch.get() { "This run" } else { "These answers" };
                    let overall = results.with(|r| r.scores().overall);
                    (overall.total > 0).then_some((label, overall))
                }) />
            </div>
            <div class="sgp-panel-tools">
                <button class="sgp-button" on:click=move |_| export("csv")>
                    "Download CSV"
                </button>
                <button class="sgp-button" on:click=move |_| export("json")>
                    "Download JSON"
                </button>
                {move || export_error.get().map(|e| view! { <span class="error-text" role="alert">{e}</span> })}
            </div>
            <RenderTiming session=session />
        </section>
    }
}

#[component]
fn AccuracyBar(tally: Tally) -> impl IntoView {
    let percent = tally.accuracy().map(|a| a * 100.0);
    view! {
        <div class="sgp-bar-cell">
            <span class="sgp-bar" aria-hidden="true">
                <span class="sgp-bar-fill" style:width=format!("{:.1}%", percent.unwrap_or(0.0))></span>
                <span class="sgp-bar-chance"></span>
            </span>
            <span class="num">{percent.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".into())}</span>
        </div>
    }
}

fn published_overall() -> String {
    paper_pair(|p| Some(p.overall))
}

fn published_for(question_type: QuestionType) -> String {
    paper_pair(|p| p.for_type(question_type))
}

/// The two models the paper breaks down per type: the smallest (Gemma-1.1-2B-IT) and the best.
fn paper_pair(figure: impl Fn(&published::Published) -> Option<f32>) -> String {
    let find = |model: &str| published::SVG.iter().find(|p| p.model == model).and_then(&figure);
    match (find("Gemma-1.1-2B-IT"), find("Claude 3.5 Sonnet")) {
        (Some(small), Some(best)) => format!("{small:.1}% · {best:.1}%"),
        _ => String::new(),
    }
}

/// The paper's overall SVG accuracies as bars, under the table's own overall figure.
#[component]
fn PublishedChart(#[prop(into)] current: Signal<Option<(&'static str, Tally)>>) -> impl IntoView {
    view! {
        <figure class="sgp-published">
            <figcaption>"Published overall accuracy (SVG split, 4,340 questions)"</figcaption>
            <ul>
                {move || {
                    current
                        .get()
                        .map(|(label, tally)| {
                            let percent = tally.accuracy().unwrap_or(0.0) * 100.0;
                            view! {
                                <li class="sgp-published-current" data-testid="chart-current">
                                    <span class="sgp-published-model">{label}</span>
                                    <span class="sgp-bar" aria-hidden="true">
                                        <span class="sgp-bar-fill" style:width=format!("{percent:.1}%")></span>
                                        <span class="sgp-bar-chance"></span>
                                    </span>
                                    <span class="num">{format!("{percent:.1}%")}</span>
                                </li>
                            }
                        })
                }}
                {published::SVG
                    .iter()
                    .map(|p| {
                        view! {
                            <li>
                                <span class="sgp-published-model">{p.model}</span>
                                <span class="sgp-bar" aria-hidden="true">
                                    <span class="sgp-bar-fill muted" style:width=format!("{:.1}%", p.overall)></span>
                                    <span class="sgp-bar-chance"></span>
                                </span>
                                <span class="num">{format!("{:.1}%", p.overall)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </figure>
    }
}

/// Parse + render time of every program in the current file, at two sizes, in this browser.
#[component]
fn RenderTiming(session: SgpSession) -> impl IntoView {
    let report = RwSignal::new(None::<String>);
    let run = move |_| {
        let questions = session.questions();
        let mut lines = Vec::new();
        for size in [256u32, 512] {
            let mut times = Vec::with_capacity(questions.len());
            let mut failures = 0;
            for question in questions.iter() {
                let start = browser::now_ms();
                let rendered = Svg::prepare(question.svg(), Limits::default()).and_then(|svg| svg.render(size, size));
                times.push(browser::now_ms() - start);
                failures += usize::from(rendered.is_err());
            }
            if let Some(t) = TimingSummary::of(times) {
                lines.push(format!(
                    "{size}×{size}: median {:.1} ms, p95 {:.1} ms over {} programs{}",
                    t.median,
                    t.p95,
                    t.count,
                    if failures > 0 { format!(" ({failures} failed)") } else { String::new() }
                ));
            }
        }
        report.set(Some(if lines.is_empty() { "No programs to time.".into() } else { lines.join("; ") }));
    };
    view! {
        <div class="sgp-panel-tools">
            <button class="sgp-button" on:click=run>
                "Measure render time"
            </button>
            <span class="sgp-hint" role="status" data-testid="render-timing">
                {move || report.get()}
            </span>
        </div>
    }
}
