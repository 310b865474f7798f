//! The SGP-Bench pane: pick a question, see its program drawn, ask (for now: paste) a model's
//! answer, compare the translated copies, and total the results. Untrusted data (SVG programs,
//! question files, share links) only ever reaches the page as text or canvas pixels.

mod answer;
mod batch;
mod canvas;
mod choices;
mod data;
mod invariance;
mod list;
mod question_view;
mod results;
mod session;
mod share_link;
mod source;

use data::FileLoader;
use leptos::prelude::*;
use list::QuestionList;
use mindseye_core::sgp::{SampleFile, SharedView};
use question_view::QuestionView;
use results::ResultsView;
pub use session::SgpSession;
use share_link::ShareButton;

/// `link` is the route's state after `#/sgp/`: a share token, or empty.
#[component]
pub fn SgpPane(session: SgpSession, #[prop(into)] link: Signal<String>) -> impl IntoView {
    let load_error = RwSignal::new(None::<String>);
    let link_error = RwSignal::new(None::<String>);
    if session.samples.with_untracked(|s| s.is_empty()) {
        leptos::task::spawn_local(async move { load_error.set(data::load_samples(session).await.err()) });
    }

    // A link is applied once, when every sample it may point into has arrived.
    let applied = StoredValue::new(String::new());
    Effect::new(move |_| {
        let token = link.get();
        let ready = session.samples.with(|s| s.len() == SampleFile::ALL.len());
        if !ready || token.is_empty() || applied.with_value(|a| *a == token) {
            return;
        }
        applied.set_value(token.clone());
        let fallback = "Showing the first question instead.";
        link_error.set(match SharedView::decode(&token).map(|view| share_link::apply(session, view)) {
            Ok(true) => None,
            Ok(false) => {
                Some(format!("This share link points to a question that is not in the bundled samples. {fallback}"))
            }
            Err(why) => Some(format!("This share link could not be opened: {why}. {fallback}")),
        });
    });

    // Something is always selected once the file has questions.
    Effect::new(move |_| {
        let questions = session.questions();
        let valid = session.selected.with(|s| s.as_ref().is_some_and(|k| questions.iter().any(|q| q.key() == *k)));
        if !valid && let Some(first) = questions.first() {
            session.select(first.key());
        }
    });

    let current = Memo::new(move |_| {
        let file = session.file.get();
        let key = session.selected.get()?;
        session.questions_of(file).iter().find(|q| q.key() == key).cloned().map(|q| (file, q))
    });

    view! {
        <section class="pane sgp-pane" aria-labelledby="sgp-title">
            <div class="pane-head sgp-head">
                <div>
                    <h2 id="sgp-title">"SGP-Bench"</h2>
                    <p class="lede">
                        "Can a language model tell what an SVG program draws without seeing it? Each question "
                        "shows the program, the image it renders, four options and the key."
                    </p>
                </div>
                <div class="sgp-toolbar">
                    <FileLoader session=session />
                    <ShareButton session=session />
                </div>
            </div>
            {move || {
                link_error
                    .get()
                    .map(|why| view! { <p class="sgp-alert" role="alert" data-testid="link-error">{why}</p> })
            }}
            {move || load_error.get().map(|why| view! { <p class="sgp-alert" role="alert">{why}</p> })}
            <div class="sgp-layout">
                <QuestionList session=session />
                <div class="sgp-main">
                    {move || match current.get() {
                        Some((file, question)) => {
                            view! { <QuestionView session=session question=question file=file /> }.into_any()
                        }
                        None => view! { <p class="sgp-hint">"Loading the questions…"</p> }.into_any(),
                    }}
                </div>
            </div>
            <batch::BatchPanel session=session />
            <ResultsView session=session />
        </section>
    }
}
