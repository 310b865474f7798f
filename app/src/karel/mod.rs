//! The Karel pane: pick a task, edit the program, step through its run on each example, edit
//! worlds, check a model's answer and share all of it as a link. The logic lives in
//! `mindseye_core::karel`; these components hold signals and draw.

mod answer;
mod batch;
mod controls;
mod editor;
mod examples;
mod grid;
mod picker;
mod share;
mod speed;
mod stage;

use crate::route::{Route, Tab};
use answer::ModelAnswer;
use controls::{Playback, PlaybackControls};
use editor::CodeEditor;
use examples::ExampleList;
use leptos::prelude::*;
use mindseye_core::generation::Provenance;
use mindseye_core::karel::{
    ActionMap, CheckReport, KarelView, Layout, ParseError, Program, Semantics, Settings, Span, Task, TaskChoice, Trace,
    check, parse_jsonl, trace,
};
use picker::TaskPicker;
use share::ShareLink;
use stage::Stage;

/// Relative, so the app works under any sub-path; the service worker precaches it.
const BUNDLED_TASKS_URL: &str = "data/karel-tasks.jsonl";

/// Everything the pane shows, as signals owned here and handed down.
#[derive(Clone, Copy)]
pub struct KarelState {
    pub bundled: RwSignal<Vec<Task>>,
    pub choice: RwSignal<TaskChoice>,
    pub source: RwSignal<String>,
    pub answer: RwSignal<String>,
    /// The model and settings behind `answer`, when the loaded model (or a shared link's) made it.
    pub provenance: RwSignal<Option<Provenance>>,
    pub example: RwSignal<usize>,
    pub step: RwSignal<usize>,
    pub semantics: RwSignal<Semantics>,
    pub action_map: RwSignal<ActionMap>,
    pub paper_view: RwSignal<bool>,
    pub task: Memo<Result<Task, String>>,
    pub settings: Memo<Settings>,
    pub parsed: Memo<Result<Program, ParseError>>,
    pub report: Memo<Option<CheckReport>>,
    pub trace: Memo<Option<Trace>>,
}

impl KarelState {
    fn new() -> KarelState {
        let bundled = RwSignal::new(Vec::<Task>::new());
        let choice = RwSignal::new(TaskChoice::Bundled(0));
        let source = RwSignal::new(String::new());
        let example = RwSignal::new(0);
        let semantics = RwSignal::new(Semantics::Emergent);
        let action_map = RwSignal::new(ActionMap::Identity);
        let task = Memo::new(move |_| bundled.with(|b| choice.with(|c| c.resolve(b).map_err(|e| e.to_string()))));
        let settings = Memo::new(move |_| Settings {
            semantics: semantics.get(),
            action_map: action_map.get(),
            ..Settings::default()
        });
        let parsed = Memo::new(move |_| source.with(|s| Program::parse(s)));
        let report = Memo::new(move |_| {
            let settings = settings.get();
            task.with(|t| parsed.with(|p| Some(check(p.as_ref().ok()?, t.as_ref().ok()?, &settings))))
        });
        let trace = Memo::new(move |_| {
            let settings = settings.get();
            let k = example.get();
            task.with(|t| {
                parsed.with(|p| Some(trace(p.as_ref().ok()?, &t.as_ref().ok()?.examples.get(k)?.input, &settings)))
            })
        });
        KarelState {
            bundled,
            choice,
            source,
            answer: RwSignal::new(String::new()),
            provenance: RwSignal::new(None),
            example,
            step: RwSignal::new(0),
            semantics,
            action_map,
            paper_view: RwSignal::new(false),
            task,
            settings,
            parsed,
            report,
            trace,
        }
    }

    /// The state as a share link carries it.
    pub fn view(&self) -> KarelView {
        KarelView {
            task: self.choice.get(),
            program: self.source.get(),
            answer: self.answer.get(),
            provenance: self.provenance.get(),
            example: self.example.get(),
            step: self.step.get(),
            semantics: self.semantics.get(),
            action_map: self.action_map.get(),
            paper_view: self.paper_view.get(),
        }
    }

    fn apply(&self, view: KarelView) {
        self.choice.set(view.task);
        self.source.set(view.program);
        self.answer.set(view.answer);
        self.provenance.set(view.provenance);
        self.example.set(view.example);
        self.step.set(view.step);
        self.semantics.set(view.semantics);
        self.action_map.set(view.action_map);
        self.paper_view.set(view.paper_view);
    }

    /// Shows `choice` with its reference program from the start.
    pub fn open_task(&self, choice: TaskChoice) {
        let program = self.bundled.with_untracked(|b| choice.resolve(b)).map(|t| t.program.format(Layout::Lines));
        self.choice.set(choice);
        self.source.set(program.unwrap_or_default());
        self.example.set(0);
        self.step.set(0);
    }

    /// Actions taken so far, clamped to the current trace.
    pub fn current_step(&self) -> usize {
        let len = self.trace.with(|t| t.as_ref().map_or(0, |t| t.steps.len()));
        self.step.get().min(len)
    }

    /// The statement that produced the current step (or where the run stopped), for the editor.
    pub fn current_span(&self) -> Option<Span> {
        let n = self.current_step();
        self.trace.with(|t| {
            let t = t.as_ref()?;
            match n.checked_sub(1) {
                Some(i) if n == t.steps.len() => crash_span(t).or(t.steps.get(i).map(|s| s.span)),
                Some(i) => t.steps.get(i).map(|s| s.span),
                None if t.steps.is_empty() => crash_span(t),
                None => None,
            }
        })
    }
}

fn crash_span(trace: &Trace) -> Option<Span> {
    match &trace.result {
        Err(mindseye_core::karel::RunError::Crash { span, .. }) => Some(*span),
        _ => None,
    }
}

/// The pane's state and whether the bundled tasks have been read, owned by the app shell so that a
/// program, an answer or a step survive switching to another tab and back.
#[derive(Clone, Copy)]
pub struct KarelSession {
    state: KarelState,
    load_error: RwSignal<Option<String>>,
    ready: RwSignal<bool>,
}

impl KarelSession {
    pub fn new() -> KarelSession {
        KarelSession { state: KarelState::new(), load_error: RwSignal::new(None), ready: RwSignal::new(false) }
    }
}

#[component]
pub fn KarelPane(session: KarelSession) -> impl IntoView {
    let KarelSession { state, load_error, ready } = session;
    let link_error = RwSignal::new(None::<String>);
    let playback = Playback::new(state);

    // Opens the state a `#/karel/<token>` link carries, or the first task; a bad link says why.
    let open_route = move || {
        let rest = Route::current().rest;
        let count = state.bundled.with_untracked(Vec::len);
        let default = || state.open_task(if count > 0 { TaskChoice::Bundled(0) } else { TaskChoice::Generated(1) });
        if rest.is_empty() {
            link_error.set(None);
            default();
            return;
        }
        match KarelView::decode(&rest, count) {
            Ok(view) => {
                link_error.set(None);
                state.apply(view);
            }
            Err(error) => {
                link_error
                    .set(Some(format!("This link could not be opened: {error}. Showing the first task instead.")));
                default();
            }
        }
    };

    if ready.get_untracked() {
        // Back from another tab: keep what was here, unless the address carries a link.
        if !Route::current().rest.is_empty() {
            open_route();
        }
    } else {
        leptos::task::spawn_local(async move {
            match crate::browser::fetch_text(BUNDLED_TASKS_URL).await {
                Ok(text) => {
                    let mut tasks = Vec::new();
                    let mut problems = Vec::new();
                    for (line, result) in parse_jsonl(&text) {
                        match result {
                            Ok(task) => tasks.push(task),
                            Err(error) => problems.push(format!("line {line}: {error}")),
                        }
                    }
                    if !problems.is_empty() {
                        load_error.set(Some(format!("Some bundled tasks were skipped ({})", problems.join("; "))));
                    }
                    state.bundled.set(tasks);
                }
                Err(error) => load_error.set(Some(format!("The bundled tasks could not be loaded: {error}."))),
            }
            open_route();
            ready.set(true);
        });
    }

    // A pasted link while the pane is open is opened too.
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        if ready.get_untracked() && Route::current().tab == Tab::Karel {
            open_route();
        }
    });
    on_cleanup(move || listener.remove());

    view! {
        <section class="pane karel" aria-labelledby="karel-title">
            <div class="pane-head">
                <h2 id="karel-title">"Karel"</h2>
                <p class="lede">
                    "A robot on a grid, five actions, and ten input/output examples: can a model write the "
                    "program that turns every input into its output?"
                </p>
            </div>
            {move || link_error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            {move || load_error.get().map(|message| view! { <p class="notice warn" role="status">{message}</p> })}
            <Show when=move || ready.get() fallback=|| view! { <p class="muted">"Loading tasks…"</p> }>
                <div class="karel-toolbar">
                    <TaskPicker state=state />
                    <ShareLink state=state />
                </div>
                {move || state.task.get().err().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
                <div class="karel-bench">
                    <div class="karel-code">
                        <CodeEditor state=state />
                        <PlaybackControls state=state playback=playback />
                    </div>
                    <Stage state=state />
                </div>
                <ExampleList state=state />
                <ModelAnswer text=state.answer provenance=state.provenance task=state.task settings=state.settings on_use=move |code: String| {
                    state.source.set(code);
                    state.step.set(0);
                } />
                <batch::BatchPanel state=state />
            </Show>
        </section>
    }
}
