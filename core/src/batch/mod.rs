//! Batch evaluation: one model over a list of items (SGP-Bench questions, Karel tasks), one at a
//! time, pausable, resumable after a reload, and never mixing results of different runs.
//!
//! Sans-IO: [`Batch`] is a state machine that is told the time and the results, and hands out the
//! next item; the app asks the model and keeps the [`Batch::to_json`] snapshot in browser storage
//! under [`storage_key`]. A run is identified by its [`RunIdentity`] (the model, the settings, the
//! prompt, the data and filter) and its item list: a different model or settings is another run.
//!
//! What the snapshot reads back from storage is bounded and validated: a corrupt or tampered
//! record is an error in words, never a panic or a silently wrong table.
//!
//! [`sgp`] and [`karel`] hold each benchmark's item result, scores and exports.

pub mod karel;
mod run;
pub mod sgp;

use crate::generation::Provenance;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use run::{Batch, Done, MAX_ITEM_KEY_CHARS, MAX_ITEMS, MAX_SNAPSHOT_BYTES, Progress, RunState, clock};

/// Where runs are kept in browser storage: this prefix, the benchmark and a hash of the run.
pub const STORAGE_PREFIX: &str = "mindseye.batch.";
const MAX_LABEL_CHARS: usize = 200;

/// Which benchmark a run evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benchmark {
    Sgp,
    Karel,
}

impl Benchmark {
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Sgp => "sgp",
            Benchmark::Karel => "karel",
        }
    }

    /// The storage key prefix of this benchmark's runs.
    pub fn storage_prefix(self) -> String {
        format!("{STORAGE_PREFIX}{}.", self.name())
    }
}

/// Everything that makes two runs comparable: the same model file, prompt and settings over the
/// same data, filtered the same way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub benchmark: Benchmark,
    /// The model, how the prompt reached it (chat turn or raw text) and the generation settings.
    pub provenance: Provenance,
    /// Which prompt template, in words (e.g. "official zero-shot chain of thought").
    pub prompt: String,
    /// The data file or generator, e.g. "sgp-sample.csv".
    pub dataset: String,
    /// How the items were chosen from it, e.g. "type count" or "all questions".
    pub filter: String,
}

impl RunIdentity {
    /// Checks a run identity read back from storage.
    pub fn validate(&self) -> Result<(), String> {
        self.provenance.validate()?;
        for (what, text) in [("prompt", &self.prompt), ("data set", &self.dataset), ("filter", &self.filter)] {
            check_label(what, text)?;
        }
        Ok(())
    }

    /// One line naming the run, e.g. "qwen2-q8_0.gguf on sgp-sample.csv (type count), greedy, at most 8 tokens".
    pub fn describe(&self) -> String {
        format!(
            "{} on {} ({}), {}",
            self.provenance.model.name,
            self.dataset,
            self.filter,
            self.provenance.settings.describe()
        )
    }
}

/// The storage key of the run of `identity` over `items`: two runs share a key only when both are
/// equal (up to a 64-bit hash; [`Batch::from_json`]'s caller compares the stored identity too).
pub fn storage_key(identity: &RunIdentity, items: &[String]) -> String {
    // Serialising plain data cannot fail; were it to, the items alone still separate most runs.
    let mut text = serde_json::to_string(identity).unwrap_or_default();
    for item in items {
        text.push('\n');
        text.push_str(item);
    }
    format!("{}{:016x}", identity.benchmark.storage_prefix(), crate::models::store::fnv1a(text.as_bytes()))
}

/// One item's result, as a benchmark defines it; checked when read back from storage.
pub trait ItemResult: Clone + Serialize + DeserializeOwned {
    fn validate(&self) -> Result<(), String>;
}

/// A printable label of 1 to 200 characters.
fn check_label(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() || text.chars().count() > MAX_LABEL_CHARS || text.chars().any(char::is_control) {
        return Err(format!("the {what} must be 1 to {MAX_LABEL_CHARS} printable characters"));
    }
    Ok(())
}

/// At most `max` characters of `text` (its end when `keep_end`, else its start), and whether any
/// were dropped. Stored texts are bounded so that a long run still fits in browser storage.
fn bounded(text: &str, max: usize, keep_end: bool) -> (String, bool) {
    let count = text.chars().count();
    if count <= max {
        return (text.to_string(), false);
    }
    let kept = if keep_end { text.chars().skip(count - max).collect() } else { text.chars().take(max).collect() };
    (kept, true)
}

/// Fails when `text` is longer than `max` characters.
fn check_length(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("the {what} is longer than {max} characters"));
    }
    Ok(())
}

/// The provenance as CSV columns, repeated on every row of an export so that each row says
/// which model and settings produced it.
fn provenance_columns(identity: &RunIdentity) -> [(&'static str, String); 8] {
    let p = &identity.provenance;
    [
        ("model", p.model.name.clone()),
        ("model_file", p.model.file.clone()),
        ("model_bytes", p.model.size.to_string()),
        ("model_sha256", p.model.sha256.clone().unwrap_or_default()),
        ("prompt", format!("{} ({})", identity.prompt, prompt_style(p))),
        ("settings", p.settings.describe()),
        ("dataset", identity.dataset.clone()),
        ("filter", identity.filter.clone()),
    ]
}

fn prompt_style(p: &Provenance) -> &'static str {
    match p.prompt {
        crate::generation::PromptStyle::Chat => "chat turn",
        crate::generation::PromptStyle::Raw => "raw text",
    }
}

/// One CSV row per finished item: `item`, the benchmark's `columns` (filled by `fields`),
/// `seconds`, then the provenance columns.
fn items_csv<R: ItemResult>(batch: &Batch<R>, columns: &[&str], fields: impl Fn(&R) -> Vec<String>) -> String {
    let provenance = provenance_columns(batch.identity());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once("item").chain(columns.iter().copied()).chain(std::iter::once("seconds"));
    // Writing to a Vec cannot fail; an error would only lose a row, never panic.
    let _ = writer.write_record(header.chain(provenance.iter().map(|(name, _)| *name)));
    for (item, done) in batch.results() {
        let mut row = vec![item.to_string()];
        row.extend(fields(&done.result));
        row.push(format!("{:.3}", done.ms / 1000.0));
        row.extend(provenance.iter().map(|(_, value)| value.clone()));
        let _ = writer.write_record(&row);
    }
    writer.into_inner().map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default()
}

/// The run's identity and progress, for the JSON exports.
fn run_json<R: ItemResult>(batch: &Batch<R>, now: f64) -> serde_json::Value {
    let progress = batch.progress(now);
    serde_json::json!({
        "identity": batch.identity(),
        "state": progress.state,
        "done": progress.done,
        "total": progress.total,
        "active_seconds": progress.active_ms / 1000.0,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::generation::{ModelIdentity, PromptStyle, Settings};

    pub(crate) fn identity(benchmark: Benchmark) -> RunIdentity {
        RunIdentity {
            benchmark,
            provenance: Provenance {
                model: ModelIdentity {
                    name: "Qwen2.5 0.5B Instruct".into(),
                    file: "qwen2.5-0.5b-instruct-q4_0.gguf".into(),
                    size: 352_000_000,
                    catalog_id: None,
                    sha256: None,
                },
                prompt: PromptStyle::Chat,
                settings: Settings::greedy(2048),
            },
            prompt: "official zero-shot chain of thought".into(),
            dataset: "sgp-sample.csv".into(),
            filter: "all questions".into(),
        }
    }

    #[test]
    fn the_same_run_has_the_same_key() {
        let items = vec!["animal:1".to_string(), "animal:2".to_string()];
        let a = identity(Benchmark::Sgp);
        assert_eq!(storage_key(&a, &items), storage_key(&a.clone(), &items.clone()));
        assert!(storage_key(&a, &items).starts_with("mindseye.batch.sgp."));
    }

    #[test]
    fn another_model_settings_filter_or_item_list_is_another_key() {
        let items = vec!["animal:1".to_string(), "animal:2".to_string()];
        let base = identity(Benchmark::Sgp);
        let key = storage_key(&base, &items);
        let mut model = base.clone();
        model.provenance.model.size += 1;
        let mut settings = base.clone();
        settings.provenance.settings.max_tokens = 256;
        let mut style = base.clone();
        style.provenance.prompt = PromptStyle::Raw;
        let mut filter = base.clone();
        filter.filter = "type count".into();
        for other in [model, settings, style, filter] {
            assert_ne!(storage_key(&other, &items), key);
        }
        assert_ne!(storage_key(&base, &items[..1]), key);
    }

    #[test]
    fn identity_labels_must_be_printable_and_short() {
        let mut id = identity(Benchmark::Karel);
        assert_eq!(id.validate(), Ok(()));
        id.filter = "x".repeat(201);
        assert!(id.validate().unwrap_err().contains("filter"));
        id.filter = "tab\there".into();
        assert!(id.validate().is_err());
    }

    #[test]
    fn an_identity_describes_itself_in_one_line() {
        assert_eq!(
            identity(Benchmark::Sgp).describe(),
            "Qwen2.5 0.5B Instruct on sgp-sample.csv (all questions), greedy, at most 2048 tokens"
        );
    }

    #[test]
    fn bounded_text_keeps_the_start_or_the_end() {
        assert_eq!(bounded("héllo", 5, true), ("héllo".to_string(), false));
        assert_eq!(bounded("héllo world", 5, true), ("world".to_string(), true));
        assert_eq!(bounded("héllo world", 2, false), ("hé".to_string(), true));
    }
}
