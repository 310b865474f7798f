//! The pane's state, owned by the app shell so that answers survive switching tabs.

use leptos::prelude::*;
use mindseye_core::generation::Provenance;
use mindseye_core::sgp::{GradedAnswer, Outcome, Question, QuestionFilter, QuestionKey, SampleFile};
use std::collections::HashMap;
use std::sync::Arc;

/// Which question file a question or an answer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileId {
    Sample(SampleFile),
    /// The n-th file the user loaded: a newer load never inherits the older one's answers.
    Loaded(u32),
}

#[derive(Clone, Debug)]
pub struct LoadedFile {
    pub id: u32,
    pub name: String,
    pub questions: Arc<Vec<Question>>,
}

/// A model's pasted (later: streamed) response to one question.
pub type AnswerBook = HashMap<(FileId, QuestionKey), String>;

/// Which answers the results table totals: those pasted (or asked) one by one, or a batch run's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultsSource {
    Pasted,
    Batch,
}

#[derive(Clone, Copy)]
pub struct SgpSession {
    pub samples: RwSignal<HashMap<SampleFile, Arc<Vec<Question>>>>,
    pub loaded: RwSignal<Option<LoadedFile>>,
    pub file: RwSignal<FileId>,
    pub selected: RwSignal<Option<QuestionKey>>,
    pub answers: RwSignal<AnswerBook>,
    /// The model and settings behind each answer the loaded model gave (none for pasted ones).
    pub provenance: RwSignal<HashMap<(FileId, QuestionKey), Provenance>>,
    /// Who gave the answers, for the results export and share links.
    pub model: RwSignal<String>,
    /// An edited program shown instead of the selected question's own.
    pub edited_svg: RwSignal<Option<String>>,
    pub filter: RwSignal<QuestionFilter>,
    pub results_source: RwSignal<ResultsSource>,
}

impl SgpSession {
    pub fn new() -> SgpSession {
        SgpSession {
            samples: RwSignal::new(HashMap::new()),
            loaded: RwSignal::new(None),
            file: RwSignal::new(FileId::Sample(SampleFile::Inv)),
            selected: RwSignal::new(None),
            answers: RwSignal::new(HashMap::new()),
            provenance: RwSignal::new(HashMap::new()),
            model: RwSignal::new("pasted answer".into()),
            edited_svg: RwSignal::new(None),
            filter: RwSignal::new(QuestionFilter::default()),
            results_source: RwSignal::new(ResultsSource::Pasted),
        }
    }

    /// The questions of `file` (empty until loaded). Tracked.
    pub fn questions_of(self, file: FileId) -> Arc<Vec<Question>> {
        match file {
            FileId::Sample(sample) => self.samples.with(|s| s.get(&sample).cloned()).unwrap_or_default(),
            FileId::Loaded(id) => {
                self.loaded.with(|l| l.as_ref().filter(|l| l.id == id).map(|l| l.questions.clone())).unwrap_or_default()
            }
        }
    }

    pub fn questions(self) -> Arc<Vec<Question>> {
        self.questions_of(self.file.get())
    }

    pub fn file_name(self, file: FileId) -> String {
        match file {
            FileId::Sample(sample) => sample.url().trim_start_matches("data/").to_string(),
            FileId::Loaded(_) => self.loaded.with(|l| l.as_ref().map(|l| l.name.clone())).unwrap_or_default(),
        }
    }

    pub fn select(self, key: QuestionKey) {
        if self.selected.get_untracked().as_ref() != Some(&key) {
            self.edited_svg.set(None);
            self.selected.set(Some(key));
        }
    }

    /// Records `text` as the answer to `key` in `file`, made by `provenance` (`None`: typed or
    /// pasted); an empty text forgets the answer.
    pub fn set_answer(self, file: FileId, key: QuestionKey, text: String, provenance: Option<Provenance>) {
        let at = (file, key);
        self.provenance.update(|p| match provenance {
            Some(made_by) if !text.is_empty() => {
                p.insert(at.clone(), made_by);
            }
            _ => {
                p.remove(&at);
            }
        });
        self.answers.update(|a| {
            if text.is_empty() {
                a.remove(&at);
            } else {
                a.insert(at, text);
            }
        });
    }

    pub fn grade(self, file: FileId, question: &Question) -> Option<GradedAnswer> {
        self.answers.with(|a| a.get(&(file, question.key())).map(|text| GradedAnswer::grade(question, text)))
    }

    pub fn outcome(self, file: FileId, question: &Question) -> Outcome {
        self.grade(file, question).map_or(Outcome::Unanswered, |g| g.outcome())
    }
}
