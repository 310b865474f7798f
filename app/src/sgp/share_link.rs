//! "Copy link": the selected question (and its answer, and an edited program) as `#/sgp/<token>`.

use super::session::{FileId, SgpSession};
use crate::browser;
use leptos::prelude::*;
use mindseye_core::sgp::{MAX_SHARED_SVG_BYTES, QuestionKey, SharedAnswer, SharedView};

/// The link state for what is on screen, or why there can be none.
fn current_view(session: SgpSession) -> Result<SharedView, String> {
    let FileId::Sample(file) = session.file.get_untracked() else {
        return Err("Links can only point to the bundled samples: your own file never leaves this browser.".into());
    };
    let QuestionKey { subject, index } = session.selected.get_untracked().ok_or("Select a question first.")?;
    let key = QuestionKey { subject: subject.clone(), index };
    let at = (FileId::Sample(file), key);
    let answer = session.answers.with_untracked(|a| a.get(&at).cloned());
    let provenance = session.provenance.with_untracked(|p| p.get(&at).cloned());
    let svg = session.edited_svg.get_untracked();
    if svg.as_ref().is_some_and(|s| s.len() > MAX_SHARED_SVG_BYTES) {
        return Err(format!("The edited program is over {} KiB, too large for a link.", MAX_SHARED_SVG_BYTES / 1024));
    }
    let model = session.model.get_untracked();
    let answer = answer.map(|text| SharedAnswer { model, text, provenance });
    Ok(SharedView { file, subject, index, answer, svg })
}

/// Restores a decoded link; `false` when the question is not in the bundled file.
pub fn apply(session: SgpSession, view: SharedView) -> bool {
    let file = FileId::Sample(view.file);
    let key = view.key();
    let exists = session.questions_of(file).iter().any(|q| q.key() == key);
    if !exists {
        return false;
    }
    session.file.set(file);
    session.select(key.clone());
    if let Some(answer) = view.answer {
        session.model.set(answer.model);
        session.set_answer(file, key, answer.text, answer.provenance);
    }
    session.edited_svg.set(view.svg);
    true
}

fn select_all(ev: leptos::ev::FocusEvent) {
    let input: web_sys::HtmlInputElement = event_target(&ev);
    input.select();
}

#[component]
pub fn ShareButton(session: SgpSession) -> impl IntoView {
    let link = RwSignal::new(None::<Result<String, String>>);
    let copied = RwSignal::new(false);
    let make = move |_| {
        let made = current_view(session).map(|v| format!("{}#/sgp/{}", browser::page_address(), v.encode()));
        copied.set(false);
        if let Ok(url) = &made {
            let url = url.clone();
            leptos::task::spawn_local(async move { copied.set(browser::copy_text(&url).await.is_ok()) });
        }
        link.set(Some(made));
    };
    view! {
        <div class="sgp-share">
            <button class="sgp-button primary" on:click=make>
                "Copy link"
            </button>
            {move || match link.get() {
                None => ().into_any(),
                Some(Ok(url)) => {
                    view! {
                        <input
                            class="sgp-share-link"
                            type="text"
                            readonly
                            aria-label="Share link"
                            prop:value=url
                            on:focus=select_all
                        />
                        <span class="sgp-hint" role="status">
                            {move || if copied.get() { "Copied." } else { "Copy it from the field." }}
                        </span>
                    }
                        .into_any()
                }
                Some(Err(why)) => view! { <span class="error-text" role="alert">{why}</span> }.into_any(),
            }}
        </div>
    }
}
