//! Karel runs: each task's specification shown to the model, the program read from its answer and
//! run on the examples under the paper's semantics, scored as the paper does: correct on the five
//! specification examples, and (stricter) on all ten.

use super::{Batch, ItemResult, bounded, check_length, items_csv, run_json};
use crate::generation::PromptStyle;
use crate::karel::{EXAMPLES, SPEC_EXAMPLES, Settings, Task, TaskChoice, check, parse_answer};
use crate::sgp::Tally;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How much of an answer is kept: its start, where the program is.
pub const ANSWER_CHARS: usize = 2000;
const MAX_CODE_CHARS: usize = 4000;
const MAX_ERROR_CHARS: usize = 500;
/// The most tasks one run generates from seeds.
pub const MAX_SEEDED: usize = 1000;

/// Which tasks a run asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The first `count` tasks of the bundled file (of `available`).
    Bundled { count: usize, available: usize },
    /// `count` tasks from the paper's generator, seeds `first`, `first + 1`, ...
    Seeded { first: u64, count: usize },
}

impl Selection {
    /// The run's items: "task 1", "task 2", ... or "seed 17", "seed 18", ...
    pub fn items(self) -> Vec<String> {
        match self {
            Selection::Bundled { count, available } => {
                (1..=count.min(available)).map(|n| format!("task {n}")).collect()
            }
            Selection::Seeded { first, count } => (0..count.min(MAX_SEEDED) as u64)
                .filter_map(|i| first.checked_add(i))
                .map(|s| format!("seed {s}"))
                .collect(),
        }
    }

    /// The data set, for the run's identity.
    pub fn dataset(self) -> &'static str {
        match self {
            Selection::Bundled { .. } => "karel-tasks.jsonl (bundled, from the paper's data)",
            Selection::Seeded { .. } => "tasks from the paper's generator",
        }
    }

    /// Which of them, for the run's identity.
    pub fn filter(self) -> String {
        let items = self.items();
        let (first, last) = (items.first().cloned().unwrap_or_default(), items.last().cloned().unwrap_or_default());
        match items.len() {
            0 => "no tasks".into(),
            1 => first,
            n => format!("{n} tasks, {first} to {last}"),
        }
    }
}

/// The task an item names: "task 3" is the third bundled task, "seed 17" the generator's task.
pub fn task_choice(item: &str) -> Option<TaskChoice> {
    if let Some(n) = item.strip_prefix("task ") {
        let n: usize = n.parse().ok()?;
        return Some(TaskChoice::Bundled(n.checked_sub(1)?));
    }
    item.strip_prefix("seed ")?.parse().ok().map(TaskChoice::Generated)
}

/// Chat models get the instruction prompt; base models continue the paper's synthesis prompt.
pub fn prompt(task: &Task, style: PromptStyle) -> String {
    match style {
        PromptStyle::Chat => crate::karel::instruction_prompt(task),
        PromptStyle::Raw => crate::karel::synthesis_prompt(task),
    }
}

/// The prompt's name, for the run's identity.
pub fn prompt_name(style: PromptStyle) -> &'static str {
    match style {
        PromptStyle::Chat => "Karel instruction prompt",
        PromptStyle::Raw => "the paper's synthesis prompt",
    }
}

/// One task's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KarelAnswer {
    /// The model's answer, or its first [`ANSWER_CHARS`] characters when `truncated`.
    pub answer: String,
    pub truncated: bool,
    /// The program read from the answer, one statement per line; empty when none could be read.
    pub code: String,
    /// Per example, whether the program's final drawing matched: [`EXAMPLES`] entries, or none
    /// when no program was read.
    pub passed: Vec<bool>,
    pub tokens: u32,
    /// Why the model gave no answer (e.g. the prompt did not fit its context); counted wrong.
    pub error: Option<String>,
}

impl KarelAnswer {
    /// Reads the program from `answer` and runs it on every example under the paper's semantics.
    pub fn check(task: &Task, answer: &str, tokens: u32) -> KarelAnswer {
        let parsed = parse_answer(answer);
        let passed = parsed
            .program
            .as_ref()
            .map(|program| check(program, task, &Settings::default()).examples.iter().map(|e| e.passed).collect())
            .unwrap_or_default();
        let (answer, truncated) = bounded(answer, ANSWER_CHARS, false);
        KarelAnswer {
            answer,
            truncated,
            code: bounded(&parsed.code, MAX_CODE_CHARS, false).0,
            passed,
            tokens,
            error: None,
        }
    }

    /// A task the model could not answer, for `error`.
    pub fn failed(error: &str) -> KarelAnswer {
        KarelAnswer {
            answer: String::new(),
            truncated: false,
            code: String::new(),
            passed: Vec::new(),
            tokens: 0,
            error: Some(bounded(error, MAX_ERROR_CHARS, false).0),
        }
    }

    /// The paper's metric: the five specification examples pass.
    pub fn correct_on_spec(&self) -> bool {
        self.passed.len() == EXAMPLES && self.passed[..SPEC_EXAMPLES].iter().all(|p| *p)
    }

    /// The stricter metric: all ten pass.
    pub fn correct_on_all(&self) -> bool {
        self.passed.len() == EXAMPLES && self.passed.iter().all(|p| *p)
    }
}

impl ItemResult for KarelAnswer {
    fn validate(&self) -> Result<(), String> {
        check_length("answer", &self.answer, ANSWER_CHARS)?;
        check_length("program", &self.code, MAX_CODE_CHARS)?;
        check_length("error", self.error.as_deref().unwrap_or(""), MAX_ERROR_CHARS)?;
        if !(self.passed.is_empty() || self.passed.len() == EXAMPLES) {
            return Err(format!("a task has {EXAMPLES} examples, not {}", self.passed.len()));
        }
        Ok(())
    }
}

/// A run's two accuracies over the tasks done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scores {
    /// Correct on the five specification examples (the paper's main figure).
    pub on_spec: Tally,
    /// Correct on all ten.
    pub on_all: Tally,
    /// Tasks where the model gave no answer at all.
    pub failed: usize,
}

pub fn scores(batch: &Batch<KarelAnswer>) -> Scores {
    batch.results().fold(Scores::default(), |mut s, (_, done)| {
        let a = &done.result;
        s.on_spec = Tally { correct: s.on_spec.correct + usize::from(a.correct_on_spec()), total: s.on_spec.total + 1 };
        s.on_all = Tally { correct: s.on_all.correct + usize::from(a.correct_on_all()), total: s.on_all.total + 1 };
        s.failed += usize::from(a.error.is_some());
        s
    })
}

/// One row per task, each with the run's provenance.
pub fn to_csv(batch: &Batch<KarelAnswer>) -> String {
    let columns = ["correct_on_spec", "correct_on_all", "examples_passed", "program", "error", "tokens", "answer"];
    items_csv(batch, &columns, |a| {
        vec![
            a.correct_on_spec().to_string(),
            a.correct_on_all().to_string(),
            a.passed.iter().filter(|p| **p).count().to_string(),
            a.code.clone(),
            a.error.clone().unwrap_or_default(),
            a.tokens.to_string(),
            a.answer.clone(),
        ]
    })
}

/// The run, both accuracies and every task's answer, pretty-printed.
pub fn to_json(batch: &Batch<KarelAnswer>, now: f64) -> String {
    let s = scores(batch);
    let tally = |t: Tally| json!({ "correct": t.correct, "total": t.total, "accuracy": t.accuracy() });
    let document = json!({
        "benchmark": "Karel (Jin & Rinard 2024)",
        "run": run_json(batch, now),
        "correct_on_spec": tally(s.on_spec),
        "correct_on_all": tally(s.on_all),
        "failed": s.failed,
        "tasks": batch.results().map(|(item, done)| json!({
            "item": item,
            "seconds": done.ms / 1000.0,
            "correct_on_spec": done.result.correct_on_spec(),
            "correct_on_all": done.result.correct_on_all(),
            "answer": done.result,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::identity;
    use crate::batch::{Benchmark, RunIdentity};
    use crate::karel::{Example, Program, World};

    /// Ten corridor examples solved by `move(); move()`.
    fn corridor() -> Task {
        let input = World::from_drawing("#####\n#>..#\n#####").unwrap();
        let output = World::from_drawing("#####\n#..>#\n#####").unwrap();
        Task {
            examples: vec![Example { input, output }; EXAMPLES],
            program: Program::parse("def run() { move(); move() }").unwrap(),
        }
    }

    /// The corridor, but held-out example 7 expects one move only.
    fn task() -> Task {
        let mut task = corridor();
        task.examples[7].output = World::from_drawing("#####\n#.>.#\n#####").unwrap();
        task
    }

    fn karel_identity() -> RunIdentity {
        let s = Selection::Bundled { count: 3, available: 40 };
        RunIdentity { dataset: s.dataset().into(), filter: s.filter(), ..identity(Benchmark::Karel) }
    }

    /// Three tasks: right on all, right on the spec only, no answer.
    fn run() -> Batch<KarelAnswer> {
        let all_right = KarelAnswer::check(&corridor(), "  move()\n  move()\n}", 3);
        let answers = [
            all_right,
            KarelAnswer::check(&task(), "```karel\ndef run() { move(); move() }\n```", 12),
            KarelAnswer::failed("too long"),
        ];
        let mut batch = Batch::new(karel_identity(), Selection::Bundled { count: 3, available: 40 }.items()).unwrap();
        batch.resume(0.0);
        for (n, answer) in answers.into_iter().enumerate() {
            let item = batch.next(n as f64).unwrap().1.to_string();
            batch.record(&item, answer, n as f64 + 0.5).unwrap();
        }
        batch
    }

    #[test]
    fn a_program_passing_the_spec_but_not_a_held_out_example_counts_once() {
        let a = KarelAnswer::check(&task(), "Here:\n```karel\ndef run() {\n  move()\n  move()\n}\n```", 20);
        assert_eq!(a.code, "def run() {\n  move()\n  move()\n}");
        assert_eq!(a.passed.iter().filter(|p| !**p).count(), 1);
        assert!(a.correct_on_spec() && !a.correct_on_all());
    }

    #[test]
    fn an_answer_without_a_program_passes_nothing() {
        let a = KarelAnswer::check(&task(), "I do not know.", 5);
        assert!(a.passed.is_empty() && !a.correct_on_spec());
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn scores_count_both_metrics_and_failures() {
        let s = scores(&run());
        assert_eq!(s.on_spec, Tally { correct: 2, total: 3 });
        assert_eq!(s.on_all, Tally { correct: 1, total: 3 });
        assert_eq!(s.failed, 1);
    }

    #[test]
    fn items_name_bundled_tasks_from_one_and_seeds_as_given() {
        assert_eq!(Selection::Bundled { count: 50, available: 2 }.items(), ["task 1", "task 2"]);
        assert_eq!(Selection::Seeded { first: 7, count: 2 }.items(), ["seed 7", "seed 8"]);
        assert_eq!(task_choice("task 3"), Some(TaskChoice::Bundled(2)));
        assert_eq!(task_choice("seed 8"), Some(TaskChoice::Generated(8)));
        assert_eq!(task_choice("task 0"), None);
        assert_eq!(task_choice("anything"), None);
    }

    #[test]
    fn selections_describe_themselves() {
        assert_eq!(Selection::Bundled { count: 40, available: 40 }.filter(), "40 tasks, task 1 to task 40");
        assert_eq!(Selection::Seeded { first: 5, count: 1 }.filter(), "seed 5");
        assert_eq!(Selection::Seeded { first: u64::MAX, count: 3 }.items(), [format!("seed {}", u64::MAX)]);
    }

    #[test]
    fn chat_models_get_the_instruction_prompt_and_base_models_the_synthesis_prompt() {
        assert!(prompt(&task(), PromptStyle::Chat).starts_with("Karel is a robot"));
        assert!(prompt(&task(), PromptStyle::Raw).ends_with("\n\nCode:\n"));
    }

    #[test]
    fn answers_survive_storage_and_tampering_is_refused() {
        let batch = run();
        let json = batch.to_json(3.0, 0.0);
        let (back, _) = Batch::<KarelAnswer>::from_json(&json).unwrap();
        assert_eq!(scores(&back), scores(&batch));
        let tampered = json.replacen("[true,true,true,true,true,true,true,true,true,true]", "[true]", 1);
        assert!(Batch::<KarelAnswer>::from_json(&tampered).unwrap_err().contains("10 examples"));
    }

    #[test]
    fn csv_has_a_row_per_task_with_the_provenance() {
        let csv = to_csv(&run());
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0]
                .starts_with("item,correct_on_spec,correct_on_all,examples_passed,program,error,tokens,answer,seconds")
        );
        assert!(lines[0].ends_with(",model,model_file,model_bytes,model_sha256,prompt,settings,dataset,filter"));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!((&rows[1][0], &rows[1][1], &rows[1][2], &rows[1][3]), ("task 2", "true", "false", "9"));
        assert_eq!(&rows[2][5], "too long");
    }

    #[test]
    fn json_has_both_accuracies_and_every_task() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&run(), 3.0)).unwrap();
        assert_eq!(json["correct_on_spec"]["correct"], 2);
        assert_eq!(json["correct_on_all"]["correct"], 1);
        assert_eq!(json["tasks"][1]["answer"]["code"], "def run() {\n  move()\n  move()\n}");
        assert_eq!(json["run"]["identity"]["filter"], "3 tasks, task 1 to task 3");
    }
}
