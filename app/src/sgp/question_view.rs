//! One question: the image (zoomable), the question with its options and key, the model's answer,
//! the official prompt, the SVG program (readable or editable) and the translated copies.

use super::answer::AnswerArea;
use super::canvas::SvgCanvas;
use super::invariance::InvarianceView;
use super::session::{FileId, SgpSession};
use super::source::{SourceEditor, SourceView};
use leptos::prelude::*;
use mindseye_core::sgp::{Answer, Protocol, Question};

/// Zoom steps, in percent of the base image size.
const ZOOM_STEPS: [u32; 5] = [100, 150, 200, 300, 400];
const BASE_IMAGE_PX: u32 = 320;

#[component]
pub fn QuestionView(session: SgpSession, question: Question, file: FileId) -> impl IntoView {
    let key = question.key();
    let original = question.svg().to_string();
    let source = {
        let original = original.clone();
        Signal::derive(move || session.edited_svg.get().unwrap_or_else(|| original.clone()))
    };
    let zoom = RwSignal::new(0usize);
    let css_size = Signal::derive(move || BASE_IMAGE_PX * ZOOM_STEPS[zoom.get()] / 100);
    let subject = question.subject.clone().unwrap_or_else(|| "SGP-MNIST".into());
    let label = {
        let subject = subject.clone();
        let index = question.index;
        Signal::derive(move || {
            let edited = if session.edited_svg.with(Option::is_some) { ", edited" } else { "" };
            format!("Rendered image of question {index} ({subject}{edited})")
        })
    };
    let response = {
        let key = key.clone();
        Signal::derive(move || session.answers.with(|a| a.get(&(file, key.clone())).cloned().unwrap_or_default()))
    };
    let provenance = {
        let key = key.clone();
        Signal::derive(move || session.provenance.with(|p| p.get(&(file, key.clone())).cloned()))
    };
    let on_response = {
        let key = key.clone();
        Callback::new(move |(text, made_by): (String, Option<mindseye_core::generation::Provenance>)| {
            session.set_answer(file, key.clone(), text, made_by)
        })
    };
    let heading = format!("Question {} · {subject} · {}", question.index, question.question_type().name());
    view! {
        <article class="sgp-question" aria-labelledby="sgp-question-title">
            <h3 id="sgp-question-title" class="sgp-question-title">{heading}</h3>
            <div class="sgp-question-grid">
                <div class="sgp-image-column">
                    <SvgCanvas source=source css_size=css_size label=label test_id="sgp-canvas" />
                    <ZoomControls zoom=zoom />
                </div>
                <div class="sgp-qa">
                    <QuestionText question=question.clone() />
                    <AnswerArea
                        question=question.clone()
                        response=response
                        provenance=provenance
                        on_response=on_response
                        model=session.model
                    />
                    <super::choices::ScoreOptions question=question.clone() />
                </div>
            </div>
            <ProgramPanel session=session original=original />
            <PromptPanel question=question.clone() />
            <InvarianceView session=session question=question />
        </article>
    }
}

#[component]
fn ZoomControls(zoom: RwSignal<usize>) -> impl IntoView {
    let last = ZOOM_STEPS.len() - 1;
    view! {
        <div class="sgp-zoom" role="group" aria-label="Zoom">
            <button
                class="sgp-button icon"
                aria-label="Zoom out"
                disabled=move || zoom.get() == 0
                on:click=move |_| zoom.update(|z| *z = z.saturating_sub(1))
            >
                "−"
            </button>
            <input
                type="range"
                min="0"
                max=last.to_string()
                step="1"
                aria-label="Zoom level"
                aria-valuetext=move || format!("{}%", ZOOM_STEPS[zoom.get()])
                prop:value=move || zoom.get().to_string()
                on:input=move |ev| {
                    if let Ok(step) = event_target_value(&ev).parse::<usize>() {
                        zoom.set(step.min(last));
                    }
                }
            />
            <button
                class="sgp-button icon"
                aria-label="Zoom in"
                disabled=move || zoom.get() == last
                on:click=move |_| zoom.update(|z| *z = (*z + 1).min(last))
            >
                "+"
            </button>
            <output class="sgp-zoom-level">{move || format!("{}%", ZOOM_STEPS[zoom.get()])}</output>
        </div>
    }
}

#[component]
fn QuestionText(question: Question) -> impl IntoView {
    let key = question.answer;
    let options = question.options.clone().map(|options| {
        ['A', 'B', 'C', 'D']
            .into_iter()
            .zip(options)
            .map(|(letter, text)| {
                let is_key = key == Answer::Letter(letter);
                view! {
                    <li class="sgp-option" class:is-key=is_key>
                        <span class="sgp-letter">{letter.to_string()}</span>
                        <span>{text}</span>
                        {is_key.then(|| view! { <span class="sgp-key-badge">"key"</span> })}
                    </li>
                }
            })
            .collect_view()
    });
    view! {
        <p class="sgp-question-text" data-testid="question-text">{question.question().to_string()}</p>
        <ol class="sgp-options">{options}</ol>
        <p class="sgp-key" data-testid="answer-key">
            "Key: "
            <strong>{key.to_string()}</strong>
        </p>
    }
}

/// The program as highlighted text, or an editor whose changes redraw the image.
#[component]
fn ProgramPanel(session: SgpSession, original: String) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(session.edited_svg.get_untracked().unwrap_or_else(|| original.clone()));
    let shown = Signal::derive({
        let original = original.clone();
        move || session.edited_svg.get().unwrap_or_else(|| original.clone())
    });
    let summary = move || {
        let lines = shown.with(|s| s.lines().count());
        let bytes = shown.with(String::len);
        let edited = if session.edited_svg.with(Option::is_some) { ", edited" } else { "" };
        format!("SVG program ({lines} lines, {bytes} bytes{edited})")
    };
    let commit = {
        let original = original.clone();
        Callback::new(move |text: String| session.edited_svg.set((text != original).then_some(text)))
    };
    let reset = move |_| {
        draft.set(original.clone());
        session.edited_svg.set(None);
    };
    view! {
        <details class="sgp-panel" open>
            <summary>{summary}</summary>
            <div class="sgp-panel-tools">
                <button
                    class="sgp-button"
                    aria-pressed=move || editing.get().to_string()
                    on:click=move |_| {
                        if !editing.get_untracked() {
                            draft.set(shown.get_untracked());
                        }
                        editing.update(|e| *e = !*e);
                    }
                >
                    {move || if editing.get() { "Done editing" } else { "Edit program" }}
                </button>
                <Show when=move || session.edited_svg.with(Option::is_some)>
                    <button class="sgp-button" on:click=reset.clone()>
                        "Restore the original"
                    </button>
                </Show>
                <span class="sgp-hint">
                    {move || if editing.get() { "The image redraws as you type." } else { "" }}
                </span>
            </div>
            {move || {
                if editing.get() {
                    view! { <SourceEditor draft=draft commit=commit /> }.into_any()
                } else {
                    view! { <SourceView source=shown /> }.into_any()
                }
            }}
        </details>
    }
}

/// The exact message a model is sent.
#[component]
fn PromptPanel(question: Question) -> impl IntoView {
    let prompt = Protocol::of(&question).prompt(&question);
    let copied = RwSignal::new(false);
    let copy = {
        let prompt = prompt.clone();
        move |_| {
            let prompt = prompt.clone();
            leptos::task::spawn_local(async move {
                copied.set(crate::browser::copy_text(&prompt).await.is_ok());
            });
        }
    };
    view! {
        <details class="sgp-panel">
            <summary>"Official prompt (what a model is asked)"</summary>
            <div class="sgp-panel-tools">
                <button class="sgp-button" on:click=copy>
                    "Copy prompt"
                </button>
                <span class="sgp-hint" role="status">
                    {move || if copied.get() { "Copied." } else { "" }}
                </span>
            </div>
            <pre class="sgp-prompt" data-testid="prompt">{prompt}</pre>
        </details>
    }
}
