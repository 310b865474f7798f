//! The run itself: which items are done, which one is being asked, and the clock.

use super::{ItemResult, RunIdentity, check_label};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// More items than any SGP-Bench split (4,340 questions) or sensible Karel run.
pub const MAX_ITEMS: usize = 10_000;
/// An item key names a question or a task; it never needs to be long.
pub const MAX_ITEM_KEY_CHARS: usize = 120;
/// A stored run larger than this is refused before parsing (browser storage holds a few MiB).
pub const MAX_SNAPSHOT_BYTES: usize = 16 << 20;
/// The format of [`Batch::to_json`]; a stored run of another version is not read.
const VERSION: u32 = 1;
/// One item taking longer than a day means a broken clock, not a slow model.
const MAX_ITEM_MS: f64 = 86_400_000.0;

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Made, never started.
    New,
    Running,
    /// Asked to pause: the item being asked finishes first.
    Pausing,
    Paused,
    /// Stopped by the user (or by a lost GPU); the item being asked was dropped.
    Stopped,
    /// Was running when the page went away (a reload, a closed tab).
    Interrupted,
    Finished,
}

impl RunState {
    /// Whether [`Batch::resume`] goes on from here.
    pub fn can_resume(self) -> bool {
        matches!(self, RunState::New | RunState::Pausing | RunState::Paused | RunState::Stopped | RunState::Interrupted)
    }

    /// Whether an item may be being asked (the app's loop is alive).
    pub fn is_active(self) -> bool {
        matches!(self, RunState::Running | RunState::Pausing)
    }

    pub fn describe(self) -> &'static str {
        match self {
            RunState::New => "not started",
            RunState::Running => "running",
            RunState::Pausing => "pausing after this item",
            RunState::Paused => "paused",
            RunState::Stopped => "stopped",
            RunState::Interrupted => "interrupted (the page was closed or reloaded)",
            RunState::Finished => "finished",
        }
    }
}

/// One finished item: its result and how long it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Done<R> {
    pub result: R,
    pub ms: f64,
}

/// How far a run is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    /// Time spent running, in milliseconds: paused, stopped and closed time does not count.
    pub active_ms: f64,
    /// The remaining items times this run's mean time per item (less the current item's time so
    /// far); `None` before any item is done, `Some(0)` once all are.
    pub eta_ms: Option<f64>,
    pub state: RunState,
}

impl Progress {
    /// One line, e.g. "2 of 3 done · 0:12 running · about 0:06 left" (and the state when not running).
    pub fn summary(&self) -> String {
        let mut parts =
            vec![format!("{} of {} done", self.done, self.total), format!("{} running", clock(self.active_ms))];
        if let Some(eta) = self.eta_ms.filter(|_| self.done < self.total) {
            parts.push(format!("about {} left", clock(eta)));
        }
        if self.state != RunState::Running {
            parts.push(self.state.describe().to_string());
        }
        parts.join(" · ")
    }
}

/// A duration as a clock: "0:05", "12:34", "1:02:03" (whole seconds, rounded up so that a
/// running item never shows "0:00 left").
pub fn clock(ms: f64) -> String {
    let seconds = if ms.is_finite() { (ms.max(0.0) / 1000.0).ceil() as u64 } else { 0 };
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// A batch run over `items`, each done once. Times are milliseconds from the caller's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<R> {
    identity: RunIdentity,
    items: Vec<String>,
    results: Vec<Option<Done<R>>>,
    state: RunState,
    /// Active time before `since`.
    active_ms: f64,
    /// When the clock last started (while running or pausing).
    since: Option<f64>,
    /// The item being asked, and when it was handed out.
    current: Option<(usize, f64)>,
}

/// The stored form. Everything in it is checked by [`Batch::from_json`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot<R> {
    version: u32,
    identity: RunIdentity,
    items: Vec<String>,
    results: Vec<StoredResult<R>>,
    state: RunState,
    active_ms: f64,
    /// Wall-clock time of the save (ms since 1970), to list saved runs newest first.
    saved_at_ms: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredResult<R> {
    item: String,
    ms: f64,
    result: R,
}

impl<R: ItemResult> Batch<R> {
    /// A new run; the items must be 1 to [`MAX_ITEMS`] distinct printable keys.
    pub fn new(identity: RunIdentity, items: Vec<String>) -> Result<Batch<R>, String> {
        check_items(&items)?;
        let results = vec![None; items.len()];
        Ok(Batch { identity, items, results, state: RunState::New, active_ms: 0.0, since: None, current: None })
    }

    pub fn identity(&self) -> &RunIdentity {
        &self.identity
    }

    pub fn items(&self) -> &[String] {
        &self.items
    }

    pub fn state(&self) -> RunState {
        self.state
    }

    /// The storage key of this run.
    pub fn storage_key(&self) -> String {
        super::storage_key(&self.identity, &self.items)
    }

    /// The item being asked, if any.
    pub fn current(&self) -> Option<&str> {
        self.current.and_then(|(i, _)| self.items.get(i)).map(String::as_str)
    }

    /// Finished items in item order.
    pub fn results(&self) -> impl Iterator<Item = (&str, &Done<R>)> {
        self.items.iter().zip(&self.results).filter_map(|(item, done)| Some((item.as_str(), done.as_ref()?)))
    }

    pub fn result(&self, item: &str) -> Option<&Done<R>> {
        let at = self.items.iter().position(|i| i == item)?;
        self.results.get(at)?.as_ref()
    }

    /// Starts, or goes on after a pause, a stop or a reload; finished items are skipped. A pause
    /// not yet taken is called off. Returns whether the run is now running.
    pub fn resume(&mut self, now: f64) -> bool {
        if !self.state.can_resume() {
            return false;
        }
        self.state = RunState::Running;
        self.since.get_or_insert(now);
        self.settle(now);
        self.state == RunState::Running
    }

    /// Pauses once the current item is done (at once when none is being asked).
    pub fn pause(&mut self, now: f64) {
        if self.state == RunState::Running {
            self.state = RunState::Pausing;
            if self.current.is_none() {
                self.halt(RunState::Paused, now);
            }
        }
    }

    /// Stops now: the item being asked is dropped (it is asked again if the run is resumed).
    pub fn cancel(&mut self, now: f64) {
        if matches!(self.state, RunState::Running | RunState::Pausing | RunState::Paused | RunState::Interrupted) {
            self.current = None;
            self.halt(RunState::Stopped, now);
        }
    }

    /// The next item to ask while running, in item order, skipping finished ones; `None` when an
    /// item is already being asked, the run is not running, or all are done.
    pub fn next(&mut self, now: f64) -> Option<(usize, &str)> {
        if self.state != RunState::Running || self.current.is_some() {
            return None;
        }
        let at = self.results.iter().position(Option::is_none)?;
        self.current = Some((at, now));
        Some((at, self.items[at].as_str()))
    }

    /// Records the result of the item handed out by [`Batch::next`]; anything else is refused
    /// (a result that arrives after a stop belongs to no run).
    pub fn record(&mut self, item: &str, result: R, now: f64) -> Result<(), String> {
        let Some((at, started)) = self.current.filter(|(at, _)| self.items[*at] == item) else {
            return Err(format!("“{item}” is not the item being asked"));
        };
        self.results[at] = Some(Done { result, ms: (now - started).max(0.0) });
        self.current = None;
        if self.state == RunState::Pausing {
            self.halt(RunState::Paused, now);
        }
        self.settle(now);
        Ok(())
    }

    pub fn progress(&self, now: f64) -> Progress {
        let done = self.results.iter().flatten().count();
        let total = self.items.len();
        let eta_ms = match done {
            0 => None,
            _ if done == total => Some(0.0),
            _ => {
                let mean = self.results.iter().flatten().map(|d| d.ms).sum::<f64>() / done as f64;
                let asking = self.current.map_or(0.0, |(_, started)| (now - started).max(0.0));
                Some((mean * (total - done) as f64 - asking).max(0.0))
            }
        };
        Progress { done, total, active_ms: self.active_at(now), eta_ms, state: self.state }
    }

    /// The run as JSON for browser storage. A running run is stored as interrupted, so that a
    /// reload finds it resumable; `saved_at_ms` is the wall clock, for listing runs.
    pub fn to_json(&self, now: f64, saved_at_ms: f64) -> String {
        let state = if self.state.is_active() { RunState::Interrupted } else { self.state };
        let results = self
            .results()
            .map(|(item, done)| StoredResult { item: item.to_string(), ms: done.ms, result: done.result.clone() })
            .collect();
        let snapshot = Snapshot {
            version: VERSION,
            identity: self.identity.clone(),
            items: self.items.clone(),
            results,
            state,
            active_ms: self.active_at(now),
            saved_at_ms,
        };
        // Plain data serialises; an empty record would read back as an error, not as a run.
        serde_json::to_string(&snapshot).unwrap_or_default()
    }

    /// Reads a stored run back, checking every field; with it, when it was saved (wall clock).
    /// The error says in words what is wrong.
    pub fn from_json(text: &str) -> Result<(Batch<R>, f64), String> {
        if text.len() > MAX_SNAPSHOT_BYTES {
            return Err(format!("it is {} MiB, more than a saved run can be", text.len() >> 20));
        }
        let snapshot: Snapshot<R> =
            serde_json::from_str(text).map_err(|e| format!("it is not a saved run of this version ({e})"))?;
        if snapshot.version != VERSION {
            return Err(format!("it was saved in format {}, not {VERSION}", snapshot.version));
        }
        snapshot.identity.validate()?;
        let mut batch = Batch::new(snapshot.identity, snapshot.items)?;
        for stored in snapshot.results {
            let Some(at) = batch.items.iter().position(|i| *i == stored.item) else {
                return Err(format!("it has a result for “{}”, which is not one of its items", stored.item));
            };
            if batch.results[at].is_some() {
                return Err(format!("it has two results for “{}”", stored.item));
            }
            if !(0.0..=MAX_ITEM_MS).contains(&stored.ms) {
                return Err(format!("the time of “{}” is not a duration", stored.item));
            }
            stored.result.validate().map_err(|e| format!("the result of “{}” is invalid: {e}", stored.item))?;
            batch.results[at] = Some(Done { result: stored.result, ms: stored.ms });
        }
        if !(snapshot.active_ms.is_finite() && snapshot.active_ms >= 0.0) {
            return Err("its running time is not a duration".into());
        }
        batch.active_ms = snapshot.active_ms;
        // The state follows from the results where it can: a full run is finished, whatever it says.
        let complete = batch.results.iter().all(Option::is_some);
        batch.state = match snapshot.state {
            _ if complete => RunState::Finished,
            RunState::Running | RunState::Pausing | RunState::Finished => RunState::Interrupted,
            other => other,
        };
        let saved_at = if snapshot.saved_at_ms.is_finite() { snapshot.saved_at_ms } else { 0.0 };
        Ok((batch, saved_at))
    }

    fn active_at(&self, now: f64) -> f64 {
        self.active_ms + self.since.map_or(0.0, |since| (now - since).max(0.0))
    }

    /// Stops the clock in `state`.
    fn halt(&mut self, state: RunState, now: f64) {
        self.active_ms = self.active_at(now);
        self.since = None;
        self.state = state;
    }

    /// Finishes the run once every item is done.
    fn settle(&mut self, now: f64) {
        if self.results.iter().all(Option::is_some) {
            self.halt(RunState::Finished, now);
        }
    }
}

fn check_items(items: &[String]) -> Result<(), String> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(format!("a run has 1 to {MAX_ITEMS} items, not {}", items.len()));
    }
    let mut seen = HashSet::new();
    for item in items {
        if item.chars().count() > MAX_ITEM_KEY_CHARS {
            return Err(format!("an item name is longer than {MAX_ITEM_KEY_CHARS} characters"));
        }
        check_label("item name", item)?;
        if !seen.insert(item.as_str()) {
            return Err(format!("the item “{item}” appears twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Benchmark;
    use crate::batch::tests::identity;

    /// A result that is valid when it is not negative.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Score(i32);

    impl ItemResult for Score {
        fn validate(&self) -> Result<(), String> {
            if self.0 < 0 { Err("negative".into()) } else { Ok(()) }
        }
    }

    fn batch(n: usize) -> Batch<Score> {
        Batch::new(identity(Benchmark::Sgp), (0..n).map(|i| format!("q{i}")).collect()).unwrap()
    }

    /// Asks the next item at `start` and records `score` at `end`.
    fn answer(b: &mut Batch<Score>, start: f64, end: f64, score: i32) -> String {
        let item = b.next(start).map(|(_, item)| item.to_string()).expect("an item to ask");
        b.record(&item, Score(score), end).unwrap();
        item
    }

    #[test]
    fn items_are_handed_out_in_order_one_at_a_time() {
        let mut b = batch(3);
        assert_eq!(b.next(0.0), None, "a new run waits for resume");
        assert!(b.resume(0.0));
        assert_eq!(b.next(0.0), Some((0, "q0")));
        assert_eq!(b.next(1.0), None, "q0 is still being asked");
        b.record("q0", Score(1), 2.0).unwrap();
        assert_eq!(b.next(2.0), Some((1, "q1")));
    }

    #[test]
    fn the_last_result_finishes_the_run() {
        let mut b = batch(2);
        b.resume(0.0);
        answer(&mut b, 0.0, 10.0, 1);
        answer(&mut b, 10.0, 30.0, 0);
        assert_eq!(b.state(), RunState::Finished);
        assert_eq!(b.next(30.0), None);
        assert_eq!(b.results().map(|(i, d)| (i, d.ms)).collect::<Vec<_>>(), [("q0", 10.0), ("q1", 20.0)]);
    }

    #[test]
    fn a_result_for_an_item_not_being_asked_is_refused() {
        let mut b = batch(2);
        b.resume(0.0);
        assert!(b.record("q0", Score(1), 1.0).is_err());
        b.next(0.0);
        assert!(b.record("q1", Score(1), 1.0).is_err());
        assert!(b.result("q1").is_none());
    }

    #[test]
    fn pause_waits_for_the_current_item_then_holds() {
        let mut b = batch(3);
        b.resume(0.0);
        b.next(0.0);
        b.pause(5.0);
        assert_eq!(b.state(), RunState::Pausing);
        b.record("q0", Score(1), 10.0).unwrap();
        assert_eq!(b.state(), RunState::Paused);
        assert_eq!(b.next(11.0), None);
    }

    #[test]
    fn resume_skips_finished_items() {
        let mut b = batch(3);
        b.resume(0.0);
        answer(&mut b, 0.0, 1.0, 1);
        b.pause(1.0);
        assert!(b.resume(100.0));
        assert_eq!(b.next(100.0), Some((1, "q1")));
    }

    #[test]
    fn resuming_while_pausing_calls_the_pause_off() {
        let mut b = batch(3);
        b.resume(0.0);
        b.next(0.0);
        b.pause(1.0);
        assert!(b.resume(2.0));
        b.record("q0", Score(1), 3.0).unwrap();
        assert_eq!(b.state(), RunState::Running);
    }

    #[test]
    fn cancel_drops_the_item_being_asked() {
        let mut b = batch(2);
        b.resume(0.0);
        b.next(0.0);
        b.cancel(5.0);
        assert_eq!(b.state(), RunState::Stopped);
        assert!(b.record("q0", Score(1), 6.0).is_err(), "a late answer is not recorded");
        assert!(b.resume(10.0));
        assert_eq!(b.next(10.0), Some((0, "q0")), "the dropped item is asked again");
    }

    #[test]
    fn a_finished_run_does_not_resume() {
        let mut b = batch(1);
        b.resume(0.0);
        answer(&mut b, 0.0, 1.0, 1);
        assert!(!b.resume(2.0));
        b.cancel(3.0);
        assert_eq!(b.state(), RunState::Finished);
    }

    #[test]
    fn elapsed_time_counts_only_while_running() {
        let mut b = batch(3);
        b.resume(1000.0);
        answer(&mut b, 1000.0, 1100.0, 1);
        b.pause(1100.0);
        assert_eq!(b.progress(5000.0).active_ms, 100.0, "paused time does not count");
        b.resume(5000.0);
        assert_eq!(b.progress(5050.0).active_ms, 150.0);
    }

    #[test]
    fn eta_is_the_mean_item_time_times_the_items_left() {
        let mut b = batch(4);
        b.resume(0.0);
        assert_eq!(b.progress(0.0).eta_ms, None);
        answer(&mut b, 0.0, 100.0, 1);
        answer(&mut b, 100.0, 400.0, 1);
        let p = b.progress(400.0);
        assert_eq!((p.done, p.total, p.eta_ms), (2, 4, Some(400.0)));
        b.next(400.0);
        assert_eq!(b.progress(450.0).eta_ms, Some(350.0), "the current item's time so far is taken off");
    }

    #[test]
    fn progress_reads_as_one_line() {
        let mut b = batch(3);
        b.resume(0.0);
        answer(&mut b, 0.0, 4000.0, 1);
        assert_eq!(b.progress(4000.0).summary(), "1 of 3 done · 0:04 running · about 0:08 left");
        b.pause(4000.0);
        assert_eq!(b.progress(9000.0).summary(), "1 of 3 done · 0:04 running · about 0:08 left · paused");
    }

    #[test]
    fn clocks_show_minutes_and_hours() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(4001.0), "0:05");
        assert_eq!(clock(754_000.0), "12:34");
        assert_eq!(clock(3_723_000.0), "1:02:03");
        assert_eq!(clock(f64::NAN), "0:00");
    }

    #[test]
    fn a_snapshot_round_trips_and_a_running_run_reads_back_interrupted() {
        let mut b = batch(3);
        b.resume(0.0);
        answer(&mut b, 0.0, 40.0, 7);
        b.next(40.0);
        let (back, saved_at) = Batch::<Score>::from_json(&b.to_json(50.0, 1.7e12)).unwrap();
        assert_eq!(saved_at, 1.7e12);
        assert_eq!(back.state(), RunState::Interrupted);
        assert_eq!(back.result("q0"), Some(&Done { result: Score(7), ms: 40.0 }));
        assert_eq!(back.current(), None);
        let p = back.progress(0.0);
        assert_eq!((p.done, p.total, p.active_ms), (1, 3, 50.0));
        assert_eq!(back.storage_key(), b.storage_key());
    }

    #[test]
    fn a_resumed_snapshot_asks_only_the_missing_items() {
        let mut b = batch(3);
        b.resume(0.0);
        answer(&mut b, 0.0, 1.0, 1);
        let (mut back, _) = Batch::<Score>::from_json(&b.to_json(1.0, 0.0)).unwrap();
        assert!(back.resume(0.0));
        assert_eq!(back.next(0.0), Some((1, "q1")));
    }

    fn stored(mut edit: impl FnMut(&mut serde_json::Value)) -> Result<(Batch<Score>, f64), String> {
        let mut b = batch(2);
        b.resume(0.0);
        answer(&mut b, 0.0, 1.0, 3);
        let mut json: serde_json::Value = serde_json::from_str(&b.to_json(1.0, 0.0)).unwrap();
        edit(&mut json);
        Batch::from_json(&json.to_string())
    }

    #[test]
    fn corrupt_stored_runs_are_refused_in_words() {
        assert!(Batch::<Score>::from_json("{\"version\":1,").unwrap_err().contains("not a saved run"));
        assert!(stored(|j| j["version"] = 2.into()).unwrap_err().contains("format 2"));
        assert!(stored(|j| j["results"][0]["item"] = "q9".into()).unwrap_err().contains("not one of its items"));
        assert!(stored(|j| j["results"][0]["ms"] = (-1.0).into()).unwrap_err().contains("not a duration"));
        assert!(stored(|j| j["results"][0]["result"] = (-5).into()).unwrap_err().contains("negative"));
        assert!(stored(|j| j["items"][1] = "q0".into()).unwrap_err().contains("appears twice"));
        assert!(stored(|j| j["items"] = serde_json::json!([])).unwrap_err().contains("1 to"));
        assert!(stored(|j| j["identity"]["provenance"]["settings"]["max_tokens"] = 0.into()).is_err());
        assert!(stored(|j| j["extra"] = 1.into()).unwrap_err().contains("unknown field"));
    }

    #[test]
    fn a_duplicated_result_is_refused() {
        let err = stored(|j| {
            let first = j["results"][0].clone();
            j["results"].as_array_mut().unwrap().push(first);
        });
        assert!(err.unwrap_err().contains("two results"));
    }

    #[test]
    fn an_oversized_record_is_refused_before_parsing() {
        let huge = " ".repeat(MAX_SNAPSHOT_BYTES + 1);
        assert!(Batch::<Score>::from_json(&huge).unwrap_err().contains("MiB"));
    }

    #[test]
    fn a_stored_state_that_contradicts_the_results_is_corrected() {
        let finished_early = stored(|j| j["state"] = "finished".into()).unwrap().0;
        assert_eq!(finished_early.state(), RunState::Interrupted);
        let complete = stored(|j| {
            j["items"] = serde_json::json!(["q0"]);
            j["state"] = "paused".into();
        });
        assert_eq!(complete.unwrap().0.state(), RunState::Finished);
    }

    #[test]
    fn item_lists_are_bounded() {
        let id = identity(Benchmark::Karel);
        assert!(Batch::<Score>::new(id.clone(), vec!["x".repeat(MAX_ITEM_KEY_CHARS + 1)]).is_err());
        assert!(Batch::<Score>::new(id.clone(), vec!["a\nb".into()]).is_err());
        assert!(Batch::<Score>::new(id, (0..=MAX_ITEMS).map(|i| i.to_string()).collect()).is_err());
    }
}
