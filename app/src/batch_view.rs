//! Batch runs in both panes: the loop that asks the loaded model one item after another, browser
//! storage of every run (one record per run identity), and the progress line with its controls.
//! What a run is (items, results, state, clock, stored form) lives in `mindseye_core::batch`; each
//! pane says how to ask about an item and how to grade the answer.

use crate::engine::{Engine, EngineState};
use leptos::prelude::*;
use mindseye_core::batch::karel::KarelAnswer;
use mindseye_core::batch::sgp::SgpAnswer;
use mindseye_core::batch::{Batch, Benchmark, ItemResult, RunIdentity, RunState, storage_key};
use mindseye_core::generation::{MAX_NEW_TOKENS, PromptStyle, Provenance, Settings};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

/// Stored runs that could not be read are moved under this prefix, so that nothing is lost unseen.
const SET_ASIDE_PREFIX: &str = "mindseye.batch-unreadable.";

/// What the model said to an item (the text and its tokens), or why it could not answer.
pub type Answer<'a> = Result<(&'a str, u32), &'a str>;

/// A pane's half of a run. `prompt` builds an item's prompt for the model's prompt style; `grade`
/// turns an [`Answer`] into a result. Either returns `None` when the item is not in the data loaded now.
pub struct Asker<R> {
    pub prompt: Prompter,
    pub grade: Grader<R>,
}

pub type Prompter = Box<dyn Fn(&str, PromptStyle) -> Option<String>>;
pub type Grader<R> = Box<dyn Fn(&str, Answer<'_>) -> Option<R>>;

/// A saved run, as the list of saved runs names it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedRun {
    pub key: String,
    pub label: String,
    saved_at: f64,
}

/// One benchmark's run: the one shown (and maybe running), what it says, and the saved ones.
pub struct Runner<R: Send + Sync + 'static> {
    benchmark: Benchmark,
    pub run: RwSignal<Option<Batch<R>>>,
    /// The storage key of the shown run.
    shown: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    /// What the item being asked is doing, e.g. "Asking animal #3: 12 tokens".
    pub live: RwSignal<String>,
    /// The clock the progress line reads; moved on by every token and every event.
    pub now: RwSignal<f64>,
    pub saved: RwSignal<Vec<SavedRun>>,
    /// Whether the asking loop is alive; there is never more than one.
    driving: RwSignal<bool>,
}

impl<R: Send + Sync + 'static> Clone for Runner<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Send + Sync + 'static> Copy for Runner<R> {}

/// Both panes' runners, owned by the app shell so that a run goes on while another tab is open.
#[derive(Clone, Copy)]
pub struct Runners {
    pub sgp: Runner<SgpAnswer>,
    pub karel: Runner<KarelAnswer>,
}

impl Runners {
    /// Provides the runners, each showing its newest saved run.
    pub fn provide() {
        let runners = Runners { sgp: Runner::new(Benchmark::Sgp), karel: Runner::new(Benchmark::Karel) };
        runners.sgp.show_newest();
        runners.karel.show_newest();
        provide_context(runners);
    }

    pub fn expect() -> Runners {
        expect_context::<Runners>()
    }

    /// Opens the run `describe` names for the loaded model with `settings` (its identity and
    /// items), then starts or resumes it through `resume` when the model can answer. Whether a
    /// run is shown after.
    pub fn start<R: ItemResult + Send + Sync + 'static>(
        self,
        runner: Runner<R>,
        settings: &Settings,
        describe: impl FnOnce(Provenance) -> (RunIdentity, Vec<String>),
        resume: Callback<bool>,
    ) -> bool {
        let engine = Engine::expect();
        if let Some(why) = self.busy() {
            runner.notice.set(Some(why));
            return false;
        }
        let Some(provenance) = engine.provenance(settings) else {
            runner.notice.set(Some("Load a model under Models first.".into()));
            return false;
        };
        let (identity, items) = describe(provenance);
        match runner.open(identity, items) {
            Ok(()) => {
                if untrack(|| runner.can_resume(engine).is_ok()) {
                    resume.run(false);
                }
                true
            }
            Err(why) => {
                runner.notice.set(Some(why));
                false
            }
        }
    }

    /// Why no run may start now: the model answers one run at a time.
    fn busy(self) -> Option<String> {
        let running = |active: bool, what: &str| {
            active.then(|| format!("The {what} run is going on: pause or stop it before starting another."))
        };
        running(self.sgp.is_active_untracked(), "SGP-Bench")
            .or_else(|| running(self.karel.is_active_untracked(), "Karel"))
    }
}

impl<R: ItemResult + Send + Sync + 'static> Runner<R> {
    fn new(benchmark: Benchmark) -> Runner<R> {
        Runner {
            benchmark,
            run: RwSignal::new(None),
            shown: RwSignal::new(None),
            notice: RwSignal::new(None),
            live: RwSignal::new(String::new()),
            now: RwSignal::new(crate::browser::now_ms()),
            saved: RwSignal::new(Vec::new()),
            driving: RwSignal::new(false),
        }
    }

    /// The shown run's state. Tracked.
    pub fn state(self) -> Option<RunState> {
        self.run.with(|r| r.as_ref().map(Batch::state))
    }

    fn is_active_untracked(self) -> bool {
        self.run.with_untracked(|r| r.as_ref().is_some_and(|b| b.state().is_active()))
    }

    fn tick(self) -> f64 {
        let now = crate::browser::now_ms();
        self.now.set(now);
        now
    }

    /// Changes the shown run at the current time, then saves it.
    fn update(self, change: impl FnOnce(&mut Batch<R>, f64)) {
        let now = self.tick();
        self.run.update(|r| {
            if let Some(batch) = r {
                change(batch, now);
            }
        });
        self.save();
    }

    /// Writes the shown run to storage; a failure is said, and the results stay in this tab.
    fn save(self) {
        let now = self.now.get_untracked();
        let Some((key, json)) =
            self.run.with_untracked(|r| r.as_ref().map(|b| (b.storage_key(), b.to_json(now, js_sys::Date::now()))))
        else {
            return;
        };
        if let Err(why) = storage().and_then(|s| s.set_item(&key, &json).map_err(|e| describe(&e))) {
            self.notice.set(Some(format!(
                "The results could not be saved in this browser ({why}); they stay in this tab until it is closed."
            )));
        }
    }

    /// Shows the saved run of `identity` over `items`, or a new one. A saved record that cannot be
    /// read is set aside, said, and replaced by a new run.
    pub fn open(self, identity: RunIdentity, items: Vec<String>) -> Result<(), String> {
        if self.is_active_untracked() {
            return Err("A run is going on: pause or stop it first.".into());
        }
        let key = storage_key(&identity, &items);
        let stored = match read::<R>(&key) {
            Ok(Some(batch)) if *batch.identity() == identity && batch.items() == items.as_slice() => Some(batch),
            Ok(_) => None,
            Err(why) => {
                self.notice.set(Some(why));
                None
            }
        };
        let batch = match stored {
            Some(batch) => batch,
            None => Batch::new(identity, items)?,
        };
        self.show(batch, key);
        self.save();
        self.refresh_saved();
        Ok(())
    }

    fn show(self, batch: Batch<R>, key: String) {
        self.run.set(Some(batch));
        self.shown.set(Some(key));
    }

    /// Shows the saved run stored under `key` (not while a run is going on).
    pub fn show_saved(self, key: &str) {
        if self.is_active_untracked() {
            return;
        }
        match read::<R>(key) {
            Ok(Some(batch)) => {
                self.notice.set(None);
                self.show(batch, key.to_string());
            }
            Ok(None) => self.notice.set(Some("That saved run is gone (deleted in another tab?).".into())),
            Err(why) => self.notice.set(Some(why)),
        }
        self.refresh_saved();
    }

    fn show_newest(self) {
        self.refresh_saved();
        if let Some(newest) = self.saved.with_untracked(|s| s.first().map(|s| s.key.clone())) {
            self.show_saved(&newest);
        }
    }

    /// Lists this benchmark's saved runs, newest first; unreadable ones are set aside and said.
    fn refresh_saved(self) {
        let prefix = self.benchmark.storage_prefix();
        let mut saved = Vec::new();
        for key in storage_keys(&prefix) {
            match read_with_time::<R>(&key) {
                Ok(Some((batch, saved_at))) => {
                    let label = format!("{} ({} items)", batch.identity().describe(), batch.items().len());
                    saved.push(SavedRun { key, label, saved_at });
                }
                Ok(None) => {}
                Err(why) => self.notice.set(Some(why)),
            }
        }
        saved.sort_by(|a, b| b.saved_at.total_cmp(&a.saved_at));
        self.saved.set(saved);
    }

    /// Starts or goes on with the shown run (finished items are skipped), asking with `asker`.
    pub fn resume(self, engine: Engine, asker: Asker<R>) {
        if let Err(why) = self.can_resume(engine) {
            self.notice.set((!why.is_empty()).then_some(why));
            return;
        }
        self.notice.set(None);
        let mut resumed = false;
        self.update(|b, now| resumed = b.resume(now));
        if resumed && !self.driving.get_untracked() {
            self.driving.set(true);
            leptos::task::spawn_local(self.drive(engine, asker));
        }
    }

    /// Throws the shown run's results away and runs it again from the first item.
    pub fn start_over(self, engine: Engine, asker: Asker<R>) {
        if self.is_active_untracked() {
            return;
        }
        let fresh =
            self.run.with_untracked(|r| r.as_ref().map(|b| Batch::new(b.identity().clone(), b.items().to_vec())));
        match fresh {
            Some(Ok(batch)) => {
                let key = batch.storage_key();
                self.show(batch, key);
                self.resume(engine, asker);
            }
            Some(Err(why)) => self.notice.set(Some(why)),
            None => {}
        }
    }

    /// Pauses once the item being asked is answered.
    pub fn pause(self) {
        self.update(|b, now| b.pause(now));
    }

    /// Stops now; the answer being generated is dropped.
    pub fn stop(self, engine: Engine) {
        self.update(|b, now| b.cancel(now));
        if self.driving.get_untracked() && matches!(engine.state.get_untracked(), EngineState::Generating { .. }) {
            engine.stop();
        }
    }

    /// Deletes the shown run from storage.
    pub fn delete(self) {
        if self.is_active_untracked() {
            return;
        }
        if let (Some(key), Ok(storage)) = (self.shown.get_untracked(), storage()) {
            let _ = storage.remove_item(&key);
        }
        self.run.set(None);
        self.shown.set(None);
        self.notice.set(None);
        self.refresh_saved();
    }

    /// Whether the shown run can go on with the loaded model: `Err` says why not (empty when
    /// there is nothing to resume). Tracked.
    pub fn can_resume(self, engine: Engine) -> Result<(), String> {
        match self.state() {
            None => Err(String::new()),
            Some(RunState::Pausing) => Ok(()),
            Some(state) if !state.can_resume() => Err(String::new()),
            Some(_) => self.model_blocker(engine).map_or(Ok(()), Err),
        }
    }

    /// Why the loaded model cannot answer for the shown run now (busy, or not the run's model). Tracked.
    pub fn model_blocker(self, engine: Engine) -> Option<String> {
        if matches!(engine.state.get(), EngineState::Loading { .. } | EngineState::Generating { .. }) {
            return Some("The model is busy; the run can go on once it is done.".into());
        }
        self.run.with(|r| {
            let wanted = &r.as_ref()?.identity().provenance;
            (engine.provenance(&wanted.settings).as_ref() != Some(wanted))
                .then(|| format!("Load {} under Models to go on with this run.", wanted.model.name))
        })
    }

    /// Asks item after item until the run pauses, stops or finishes. Between items it yields to
    /// the page, and before each it checks that the loaded model is still the run's.
    async fn drive(self, engine: Engine, asker: Asker<R>) {
        loop {
            // Each item starts in a task of its own, so that the page draws and takes input
            // between items (and the click that started the run returns at once).
            crate::browser::sleep(0).await;
            // A single answer asked in the pane finishes first.
            while engine.is_busy() && self.state_untracked() == Some(RunState::Running) {
                crate::browser::sleep(200).await;
            }
            let running = self.run.with_untracked(|r| {
                r.as_ref().filter(|b| b.state() == RunState::Running).map(|b| b.identity().provenance.clone())
            });
            let Some(wanted) = running else { break };
            if engine.provenance(&wanted.settings).as_ref() != Some(&wanted) {
                self.halt(format!("{} is no longer the loaded model; load it again to go on.", wanted.model.name));
                break;
            }
            let now = self.tick();
            let next = self.run.try_update(|r| r.as_mut()?.next(now).map(|(_, item)| item.to_string())).flatten();
            let Some(item) = next else { break };
            let Some(prompt) = (asker.prompt)(&item, wanted.prompt) else {
                self.halt(format!("“{item}” is not in the data loaded now; the run stopped before it."));
                break;
            };
            self.live.set(format!("Asking {item}\u{2026}"));
            let text = Rc::new(RefCell::new(String::new()));
            let tokens = Rc::new(Cell::new(0_u32));
            let on_text = {
                let (text, tokens, item) = (text.clone(), tokens.clone(), item.clone());
                move |t: String| {
                    tokens.set(tokens.get() + 1);
                    *text.borrow_mut() = t;
                    self.live.set(format!("Asking {item}: {} tokens", tokens.get()));
                    // The clocks on screen move once a second, not with every token.
                    let now = crate::browser::now_ms();
                    if now - self.now.get_untracked() >= 1000.0 {
                        self.now.set(now);
                    }
                }
            };
            let answer = engine.generate(&prompt, &wanted.settings, on_text).await;
            let graded = match answer {
                // "Stop", here or beside a single answer, ends the run; the partial answer is dropped.
                Ok(report) if report.stopped_by_user => {
                    self.update(|b, now| b.cancel(now));
                    break;
                }
                Ok(report) if report.provenance != wanted => None,
                Ok(report) => (asker.grade)(&item, Ok((&text.borrow(), report.tokens as u32))),
                Err(why) if matches!(engine.state.get_untracked(), EngineState::Lost { .. }) => {
                    self.halt(format!("{why} The run stopped; it goes on from “{item}” once the model is back."));
                    break;
                }
                Err(why) => (asker.grade)(&item, Err(&why)),
            };
            let Some(result) = graded else {
                self.halt(format!("The answer to “{item}” could not be kept (the model or data changed)."));
                break;
            };
            self.update(|b, now| {
                // Refused only when the run was stopped meanwhile: the answer then belongs to no run.
                let _ = b.record(&item, result, now);
            });
        }
        self.driving.set(false);
        self.live.set(String::new());
    }

    fn state_untracked(self) -> Option<RunState> {
        self.run.with_untracked(|r| r.as_ref().map(Batch::state))
    }

    /// Stops the run and says why.
    fn halt(self, why: String) {
        self.update(|b, now| b.cancel(now));
        self.notice.set(Some(why));
    }
}

fn storage() -> Result<web_sys::Storage, String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or_else(|| "this browser does not let the page keep data (a private window, or storage turned off)".into())
}

/// "QuotaExceededError" in words; anything else keeps the browser's words.
fn describe(error: &JsValue) -> String {
    match error.dyn_ref::<web_sys::DomException>() {
        Some(e) if e.name() == "QuotaExceededError" => "the browser's storage for this site is full".into(),
        Some(e) => e.message(),
        None => error.as_string().unwrap_or_else(|| "the browser refused".into()),
    }
}

fn storage_keys(prefix: &str) -> Vec<String> {
    let Ok(storage) = storage() else { return Vec::new() };
    let count = storage.length().unwrap_or(0);
    (0..count).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(prefix)).collect()
}

fn read<R: ItemResult>(key: &str) -> Result<Option<Batch<R>>, String> {
    read_with_time(key).map(|r| r.map(|(batch, _)| batch))
}

/// The run stored under `key`, if any. A record that cannot be read is moved aside (kept, under
/// another key) and the error says so in words.
fn read_with_time<R: ItemResult>(key: &str) -> Result<Option<(Batch<R>, f64)>, String> {
    let storage = storage()?;
    let Some(text) = storage.get_item(key).map_err(|e| describe(&e))? else { return Ok(None) };
    Batch::from_json(&text).map(Some).map_err(|why| {
        let aside = format!("{SET_ASIDE_PREFIX}{}", key.trim_start_matches(mindseye_core::batch::STORAGE_PREFIX));
        let kept = storage.set_item(&aside, &text).is_ok();
        let _ = storage.remove_item(key);
        let where_kept = if kept {
            format!("it was kept aside in this browser's storage as “{aside}”")
        } else {
            "there was no room to keep it aside, so it was removed".into()
        };
        format!("Saved results could not be read: {why}. A new run starts instead; {where_kept}.")
    })
}

/// The progress bar, the line under it and the controls of a runner's shown run.
#[component]
pub fn RunStatus<R: ItemResult + Send + Sync + 'static>(
    runner: Runner<R>,
    /// The accuracy so far, in words.
    #[prop(into)]
    summary: Signal<String>,
    /// Resume (`false`) or start over (`true`): the pane builds the asker.
    on_resume: Callback<bool>,
    /// The shown run as CSV, and as JSON at a time, for the downloads.
    csv: fn(&Batch<R>) -> String,
    json: fn(&Batch<R>, f64) -> String,
    /// The downloads' file name stem, e.g. "sgp-run".
    stem: &'static str,
) -> impl IntoView {
    let engine = Engine::expect();
    let state = move || runner.state();
    let active = move || state().is_some_and(RunState::is_active);
    let blocker = Memo::new(move |_| runner.can_resume(engine).err());
    let download = move |as_json: bool| {
        let now = runner.now.get_untracked();
        let text = runner.run.with_untracked(|r| r.as_ref().map(|b| if as_json { json(b, now) } else { csv(b) }));
        if let Some(text) = text {
            let (name, mime) = if as_json {
                (format!("{stem}.json"), "application/json")
            } else {
                (format!("{stem}.csv"), "text/csv")
            };
            if let Err(why) = crate::browser::download(&name, mime, &text) {
                runner.notice.set(Some(format!("The download failed: {why}.")));
            }
        }
    };
    let progress = Memo::new(move |_| {
        let now = runner.now.get();
        runner.run.with(|r| r.as_ref().map(|b| b.progress(now)))
    });
    let name = Memo::new(move |_| runner.run.with(|r| r.as_ref().map(|b| b.identity().describe())));
    // Built once per run shown; a token only changes the texts and the bar's value.
    view! {
        {move || runner.notice.get().map(|n| view! { <p class="batch-notice" role="alert" data-testid="batch-notice">{n}</p> })}
        <Show when=move || name.with(Option::is_some)>
            <div class="batch-status" data-state=move || state().map(|s| format!("{s:?}").to_lowercase())>
                <p class="batch-run-name">{move || name.get()}</p>
                <progress
                    max=move || progress.with(|p| p.map_or(1, |p| p.total))
                    value=move || progress.with(|p| p.map_or(0, |p| p.done))
                    aria-label="Items done"
                ></progress>
                <p class="batch-progress" role="status" data-testid="batch-progress">
                    {move || progress.get().map(|p| format!("{} · {}", p.summary(), summary.get()))}
                </p>
            </div>
        </Show>
        <p class="batch-live" aria-live="off">{move || runner.live.get()}</p>
        <Show when=move || state().is_some()>
            <div class="batch-controls">
                <button
                    type="button"
                    class="batch-button primary"
                    data-testid="batch-resume"
                    disabled=move || blocker.with(Option::is_some)
                    on:click=move |_| on_resume.run(false)
                >
                    {move || if state() == Some(RunState::New) { "Start" } else { "Resume" }}
                </button>
                <button
                    type="button"
                    class="batch-button"
                    data-testid="batch-pause"
                    disabled=move || state() != Some(RunState::Running)
                    on:click=move |_| runner.pause()
                >
                    "Pause"
                </button>
                <button
                    type="button"
                    class="batch-button"
                    data-testid="batch-stop"
                    disabled=move || !matches!(state(), Some(RunState::Running | RunState::Pausing | RunState::Paused))
                    on:click=move |_| runner.stop(engine)
                >
                    "Stop"
                </button>
                <button
                    type="button"
                    class="batch-button"
                    disabled=move || active() || runner.model_blocker(engine).is_some()
                    on:click=move |_| on_resume.run(true)
                >
                    "Start over"
                </button>
                <button type="button" class="batch-button" on:click=move |_| download(false)>
                    "Download run CSV"
                </button>
                <button type="button" class="batch-button" on:click=move |_| download(true)>
                    "Download run JSON"
                </button>
                <button type="button" class="batch-button" disabled=active on:click=move |_| runner.delete()>
                    "Delete run"
                </button>
            </div>
            {move || blocker.get().filter(|b| !b.is_empty()).map(|b| view! { <p class="batch-hint">{b}</p> })}
        </Show>
    }
}

/// " · 2 could not be asked (counted wrong)", or nothing.
pub fn not_asked(failed: usize) -> String {
    if failed == 0 { String::new() } else { format!(" · {failed} could not be asked (counted wrong)") }
}

/// The token budget of a run's answers.
#[component]
pub fn MaxTokensField(value: RwSignal<u32>) -> impl IntoView {
    view! {
        <label class="batch-field">
            <span>"Most new tokens"</span>
            <input
                type="number"
                min="1"
                max=MAX_NEW_TOKENS.to_string()
                aria-label="Most new tokens per answer"
                prop:value=move || value.get().to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                        value.set(n.clamp(1, MAX_NEW_TOKENS));
                    }
                }
            />
        </label>
    }
}

/// Picks which saved run to show.
#[component]
pub fn SavedRuns<R: ItemResult + Send + Sync + 'static>(runner: Runner<R>) -> impl IntoView {
    let active = move || runner.state().is_some_and(RunState::is_active);
    view! {
        <Show when=move || runner.saved.with(|s| !s.is_empty())>
            <label class="batch-field batch-saved">
                <span>"Saved runs"</span>
                <select
                    aria-label="Saved runs"
                    disabled=active
                    prop:value=move || runner.shown.get().unwrap_or_default()
                    on:change=move |ev| runner.show_saved(&event_target_value(&ev))
                >
                    <option value="" disabled=true>"Choose a saved run"</option>
                    {move || {
                        runner
                            .saved
                            .get()
                            .into_iter()
                            .map(|s| view! { <option value=s.key>{s.label}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
        </Show>
    }
}
