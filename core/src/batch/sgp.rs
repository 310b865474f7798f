//! SGP-Bench runs: every question asked with the official prompt and graded by the official rule
//! (the first `Answer: X`; none counts as wrong), kept per question with the response's end.

use super::{Batch, ItemResult, bounded, check_label, check_length, items_csv, run_json};
use crate::sgp::{GradedAnswer, Outcome, Question, QuestionFilter, QuestionKey, QuestionType, Results};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The prompt every SGP run uses, in words.
pub const PROMPT: &str = "SGP-Bench official prompt (zero-shot chain of thought)";
/// How much of each response is kept: its end, where the answer line is. Bounded so that a run
/// over a whole split (4,340 questions) still fits in browser storage.
pub const RESPONSE_TAIL_CHARS: usize = 600;
const MAX_ERROR_CHARS: usize = 500;
const MAX_EXTRACTED_CHARS: usize = 200;

/// One question's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgpAnswer {
    pub subject: Option<String>,
    pub index: u64,
    #[serde(rename = "type", with = "type_name")]
    pub question_type: QuestionType,
    /// The expected answer, as the data writes it.
    pub key: String,
    /// What the official pattern took from the response.
    pub extracted: Option<String>,
    pub correct: bool,
    /// The response, or its last [`RESPONSE_TAIL_CHARS`] characters when `truncated`.
    pub response_tail: String,
    pub truncated: bool,
    /// Tokens generated.
    pub tokens: u32,
    /// Why the model gave no response (e.g. the prompt did not fit its context); graded wrong.
    pub error: Option<String>,
}

impl SgpAnswer {
    /// Grades `response` to `question` by the official rule.
    pub fn grade(question: &Question, response: &str, tokens: u32) -> SgpAnswer {
        let graded = GradedAnswer::grade(question, response);
        let (response_tail, truncated) = bounded(response, RESPONSE_TAIL_CHARS, true);
        SgpAnswer {
            subject: graded.subject,
            index: graded.index,
            question_type: graded.question_type,
            key: graded.key,
            extracted: graded.extracted.map(|e| bounded(&e, MAX_EXTRACTED_CHARS, false).0),
            correct: graded.correct,
            response_tail,
            truncated,
            tokens,
            error: None,
        }
    }

    /// A question the model could not answer, for `error`; it counts as wrong.
    pub fn failed(question: &Question, error: &str) -> SgpAnswer {
        SgpAnswer { error: Some(bounded(error, MAX_ERROR_CHARS, false).0), ..SgpAnswer::grade(question, "", 0) }
    }

    pub fn graded(&self) -> GradedAnswer {
        GradedAnswer {
            subject: self.subject.clone(),
            index: self.index,
            question_type: self.question_type,
            key: self.key.clone(),
            extracted: self.extracted.clone(),
            correct: self.correct,
        }
    }

    pub fn outcome(&self) -> Outcome {
        self.graded().outcome()
    }
}

impl ItemResult for SgpAnswer {
    fn validate(&self) -> Result<(), String> {
        if let Some(subject) = &self.subject {
            check_label("Subject", subject)?;
        }
        let key_ok = matches!(self.key.as_str(), "A" | "B" | "C" | "D")
            || (self.key.len() == 1 && self.key.chars().all(|c| c.is_ascii_digit()));
        if !key_ok {
            return Err("the key must be a letter A-D or a digit".into());
        }
        check_length("extracted answer", self.extracted.as_deref().unwrap_or(""), MAX_EXTRACTED_CHARS)?;
        check_length("response", &self.response_tail, RESPONSE_TAIL_CHARS)?;
        check_length("error", self.error.as_deref().unwrap_or(""), MAX_ERROR_CHARS)?;
        if self.correct && (self.extracted.is_none() || self.error.is_some()) {
            return Err("an answer without an extracted letter cannot be correct".into());
        }
        Ok(())
    }
}

/// The item name of a question in a run: its Subject and index, e.g. "animal #12".
pub fn item_key(key: &QuestionKey) -> String {
    match &key.subject {
        Some(subject) => format!("{subject} #{}", key.index),
        None => format!("#{}", key.index),
    }
}

/// The list's filter in words, for the run's identity: "all questions", or e.g.
/// "Subject animal, type count, search “heart”".
pub fn describe_filter(filter: &QuestionFilter) -> String {
    let mut parts = Vec::new();
    if let Some(subject) = &filter.subject {
        parts.push(format!("Subject {subject}"));
    }
    if let Some(t) = filter.question_type {
        parts.push(format!("type {}", t.name()));
    }
    if let Some(o) = filter.outcome {
        parts.push(format!("pasted result {}", o.name()));
    }
    let search = filter.search.split_whitespace().collect::<Vec<_>>().join(" ");
    if !search.is_empty() {
        parts.push(format!("search “{search}”"));
    }
    if parts.is_empty() { "all questions".to_string() } else { bounded(&parts.join(", "), 200, false).0 }
}

/// The run's graded answers, for the accuracy table and its exports.
pub fn results(batch: &Batch<SgpAnswer>) -> Results {
    Results {
        model: batch.identity().provenance.model.name.clone(),
        file: batch.identity().dataset.clone(),
        answers: batch.results().map(|(_, done)| done.result.graded()).collect(),
    }
}

/// How many answers failed outright (no response at all), for the progress line.
pub fn failures(batch: &Batch<SgpAnswer>) -> usize {
    batch.results().filter(|(_, d)| d.result.error.is_some()).count()
}

/// One row per answered question, each with the run's provenance.
pub fn to_csv(batch: &Batch<SgpAnswer>) -> String {
    let columns = ["subject", "index", "type", "key", "extracted", "correct", "error", "tokens", "response_tail"];
    items_csv(batch, &columns, |a| {
        vec![
            a.subject.clone().unwrap_or_default(),
            a.index.to_string(),
            a.question_type.name().to_string(),
            a.key.clone(),
            a.extracted.clone().unwrap_or_default(),
            a.correct.to_string(),
            a.error.clone().unwrap_or_default(),
            a.tokens.to_string(),
            a.response_tail.clone(),
        ]
    })
}

/// The run (identity and provenance, progress), its accuracy overall, per Subject and per type,
/// and every answer, pretty-printed.
pub fn to_json(batch: &Batch<SgpAnswer>, now: f64) -> String {
    let mut document: Value = serde_json::from_str(&results(batch).to_json()).unwrap_or_else(|_| json!({}));
    document["run"] = run_json(batch, now);
    document["answers"] = batch
        .results()
        .map(|(item, done)| json!({ "item": item, "seconds": done.ms / 1000.0, "answer": done.result }))
        .collect();
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// [`QuestionType`] by its name in stored runs.
mod type_name {
    use crate::sgp::QuestionType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &QuestionType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<QuestionType, D::Error> {
        let name = String::deserialize(d)?;
        QuestionType::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown question type “{name}”")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::identity;
    use crate::batch::{Batch, Benchmark};
    use crate::sgp::{Dataset, Format};

    fn questions() -> Vec<Question> {
        let text = ",Question,A,B,C,D,Answer,Subject\n\
            0,<svg></svg> Question: How many legs?,1,2,3,4,D,animal\n\
            1,<svg></svg> Question: What color is it?,r,g,b,y,B,animal\n\
            2,<svg></svg> Question: How many wheels?,1,2,3,4,C,\"land, crafts\"\n";
        Dataset::load(text.as_bytes(), Format::Csv).unwrap().questions
    }

    /// A run over the three questions, answered "D" (right), nothing (wrong), and failed.
    fn run() -> Batch<SgpAnswer> {
        let qs = questions();
        let items = qs.iter().map(|q| item_key(&q.key())).collect();
        let mut batch = Batch::new(identity(Benchmark::Sgp), items).unwrap();
        batch.resume(0.0);
        let answers = [
            SgpAnswer::grade(&qs[0], "Four legs.\nAnswer: D", 5),
            SgpAnswer::grade(&qs[1], "I cannot tell.", 4),
            SgpAnswer::failed(&qs[2], "The prompt is 3000 tokens, too long for the 2048-token context."),
        ];
        for (n, answer) in answers.into_iter().enumerate() {
            let item = batch.next(n as f64 * 1000.0).unwrap().1.to_string();
            batch.record(&item, answer, (n + 1) as f64 * 1000.0).unwrap();
        }
        batch
    }

    #[test]
    fn answers_are_graded_by_the_official_rule() {
        let qs = questions();
        let right = SgpAnswer::grade(&qs[0], "Four legs.\nAnswer: D", 5);
        assert_eq!((right.extracted.as_deref(), right.correct), (Some("D"), true));
        let none = SgpAnswer::grade(&qs[1], "I cannot tell.", 4);
        assert_eq!((none.extracted.as_deref(), none.outcome()), (None, Outcome::Wrong));
    }

    #[test]
    fn a_failed_question_counts_wrong_and_says_why() {
        let failed = SgpAnswer::failed(&questions()[2], "too long");
        assert_eq!((failed.correct, failed.error.as_deref()), (false, Some("too long")));
        assert_eq!(failed.validate(), Ok(()));
    }

    #[test]
    fn only_the_end_of_a_long_response_is_kept() {
        let response = format!("{}Answer: D", "x".repeat(5000));
        let a = SgpAnswer::grade(&questions()[0], &response, 2000);
        assert!(a.truncated && a.correct);
        assert_eq!(a.response_tail.chars().count(), RESPONSE_TAIL_CHARS);
        assert!(a.response_tail.ends_with("Answer: D"));
    }

    #[test]
    fn questions_are_named_by_subject_and_index() {
        let key = QuestionKey { subject: Some("animal".into()), index: 12 };
        assert_eq!(item_key(&key), "animal #12");
        assert_eq!(item_key(&QuestionKey { subject: None, index: 3 }), "#3");
    }

    #[test]
    fn filters_are_described_in_words() {
        assert_eq!(describe_filter(&QuestionFilter::default()), "all questions");
        let filter = QuestionFilter {
            subject: Some("animal".into()),
            question_type: Some(QuestionType::Count),
            outcome: None,
            search: "  how   many ".into(),
        };
        assert_eq!(describe_filter(&filter), "Subject animal, type count, search “how many”");
    }

    #[test]
    fn results_feed_the_accuracy_table() {
        let scores = results(&run()).scores();
        assert_eq!((scores.overall.correct, scores.overall.total), (1, 3));
        assert_eq!(scores.by_subject["animal"].total, 2);
        assert_eq!(scores.by_type[&QuestionType::Count].correct, 1);
        assert_eq!(failures(&run()), 1);
    }

    #[test]
    fn answers_survive_storage() {
        let batch = run();
        let (back, _) = Batch::<SgpAnswer>::from_json(&batch.to_json(3000.0, 0.0)).unwrap();
        assert_eq!(back.results().collect::<Vec<_>>(), batch.results().collect::<Vec<_>>());
    }

    #[test]
    fn tampered_answers_are_refused() {
        let mut answer = SgpAnswer::grade(&questions()[1], "I cannot tell.", 4);
        answer.correct = true;
        assert!(answer.validate().is_err());
        let mut answer = SgpAnswer::grade(&questions()[1], "Answer: A", 4);
        answer.key = "<script>".into();
        assert!(answer.validate().is_err());
        answer.key = "B".into();
        answer.response_tail = "x".repeat(RESPONSE_TAIL_CHARS + 1);
        assert!(answer.validate().is_err());
    }

    #[test]
    fn csv_has_a_row_per_answer_with_the_provenance() {
        let csv = to_csv(&run());
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let field =
            |row: &csv::StringRecord, name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
        assert_eq!(field(&rows[0], "item"), "animal #0");
        assert_eq!(field(&rows[0], "correct"), "true");
        assert_eq!(field(&rows[0], "seconds"), "1.000");
        assert_eq!(field(&rows[2], "subject"), "land, crafts");
        assert!(field(&rows[2], "error").contains("too long"));
        assert_eq!(field(&rows[1], "model_file"), "qwen2.5-0.5b-instruct-q4_0.gguf");
        assert_eq!(field(&rows[1], "settings"), "greedy, at most 2048 tokens");
        assert_eq!(field(&rows[1], "prompt"), "official zero-shot chain of thought (chat turn)");
    }

    #[test]
    fn json_has_the_run_the_figures_and_every_answer() {
        let json: Value = serde_json::from_str(&to_json(&run(), 3000.0)).unwrap();
        assert_eq!(json["overall"]["correct"], 1);
        assert_eq!(json["by_type"]["count"]["total"], 2);
        assert_eq!(json["run"]["identity"]["provenance"]["model"]["size"], 352_000_000);
        assert_eq!(json["run"]["state"], "finished");
        assert_eq!(json["run"]["done"], 3);
        assert_eq!(json["answers"][0]["answer"]["extracted"], "D");
        assert_eq!(json["answers"][2]["seconds"], 1.0);
    }
}
