//! What an SGP-Bench share link carries, and how it is checked before the pane uses it.

use super::{Limits, QuestionKey, Svg, SvgError};
use crate::generation::Provenance;
use crate::share::{self, ShareError};
use serde::{Deserialize, Serialize};

/// The question files bundled with the app (a link can only point into these: a file the user
/// loaded never leaves their browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SampleFile {
    #[serde(rename = "inv")]
    Inv,
    #[serde(rename = "inv_t0")]
    InvT0,
    #[serde(rename = "inv_t1")]
    InvT1,
}

impl SampleFile {
    pub const ALL: [SampleFile; 3] = [SampleFile::Inv, SampleFile::InvT0, SampleFile::InvT1];

    /// Relative to the page, so the app works under any sub-path.
    pub fn url(self) -> &'static str {
        match self {
            SampleFile::Inv => "data/sgp-sample.csv",
            SampleFile::InvT0 => "data/sgp-sample-t0.csv",
            SampleFile::InvT1 => "data/sgp-sample-t1.csv",
        }
    }

    /// The paper's split name.
    pub fn name(self) -> &'static str {
        match self {
            SampleFile::Inv => "inv",
            SampleFile::InvT0 => "inv_t0",
            SampleFile::InvT1 => "inv_t1",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SampleFile::Inv => "Sample (inv)",
            SampleFile::InvT0 => "Sample, translated (inv_t0)",
            SampleFile::InvT1 => "Sample, translated (inv_t1)",
        }
    }

    pub fn from_name(name: &str) -> Option<SampleFile> {
        SampleFile::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A model's answer carried by a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedAnswer {
    pub model: String,
    pub text: String,
    /// The model file and settings that produced `text`, when the loaded model did (not for pasted
    /// answers, nor in links made before answers carried it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// The state behind `#/sgp/<token>`: a bundled question, and optionally an answer to it and an
/// edited SVG program shown in its place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedView {
    pub file: SampleFile,
    pub subject: Option<String>,
    pub index: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<SharedAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
}

/// A shared program may be edited, but stays about the size of the benchmark's (at most ~6 KiB).
pub const MAX_SHARED_SVG_BYTES: usize = 32 * 1024;
/// The official harness allows 2,048 new tokens: a few KiB of text.
pub const MAX_SHARED_ANSWER_BYTES: usize = 32 * 1024;
pub const MAX_MODEL_NAME_CHARS: usize = 120;

impl SharedView {
    pub fn key(&self) -> QuestionKey {
        QuestionKey { subject: self.subject.clone(), index: self.index }
    }

    pub fn encode(&self) -> String {
        share::encode(self)
    }

    /// Decodes a link and checks everything a link could smuggle in: sizes, and that a custom
    /// program is an SVG the renderer accepts under the shared-program limits.
    pub fn decode(token: &str) -> Result<SharedView, ShareError> {
        let view: SharedView = share::decode(token)?;
        view.validate().map_err(ShareError::Invalid)?;
        Ok(view)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(answer) = &self.answer {
            if answer.text.len() > MAX_SHARED_ANSWER_BYTES {
                return Err(format!("its answer is over {} KiB", MAX_SHARED_ANSWER_BYTES / 1024));
            }
            if answer.model.chars().count() > MAX_MODEL_NAME_CHARS {
                return Err(format!("its model name is over {MAX_MODEL_NAME_CHARS} characters"));
            }
            if let Some(provenance) = &answer.provenance {
                provenance.validate().map_err(|e| format!("its answer's provenance is invalid: {e}"))?;
            }
        }
        if let Some(svg) = &self.svg {
            shared_svg(svg).map_err(|e| format!("its SVG program cannot be used: {e}"))?;
        }
        Ok(())
    }
}

/// Prepares a program under the (tighter) limits for shared programs.
pub fn shared_svg(source: &str) -> Result<Svg, SvgError> {
    Svg::prepare(source, Limits { max_source_bytes: MAX_SHARED_SVG_BYTES, ..Limits::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> SharedView {
        SharedView { file: SampleFile::InvT0, subject: Some("accessory".into()), index: 4, answer: None, svg: None }
    }

    #[test]
    fn a_question_reference_round_trips() {
        assert_eq!(SharedView::decode(&view().encode()), Ok(view()));
    }

    #[test]
    fn an_answer_and_a_custom_program_round_trip() {
        let shared = SharedView {
            answer: Some(SharedAnswer {
                model: "pasted".into(),
                text: "It is a heart.\nAnswer: A".into(),
                provenance: None,
            }),
            svg: Some(r#"<svg viewBox="0 0 4 4"><rect width="2" height="2" fill="red"/></svg>"#.into()),
            ..view()
        };
        assert_eq!(SharedView::decode(&shared.encode()), Ok(shared));
    }

    #[test]
    fn a_question_reference_stays_short() {
        assert!(view().encode().len() < 120, "{}", view().encode());
    }

    #[test]
    fn an_unknown_file_is_invalid() {
        let token = share::encode(&serde_json::json!({ "file": "svg_full", "subject": "tool", "index": 1 }));
        assert!(matches!(SharedView::decode(&token), Err(ShareError::Invalid(_))));
    }

    #[test]
    fn an_oversized_program_is_refused() {
        let big = format!("<svg>{}</svg>", "<g/>".repeat(MAX_SHARED_SVG_BYTES / 4));
        let token = SharedView { svg: Some(big), ..view() }.encode();
        let Err(ShareError::Invalid(why)) = SharedView::decode(&token) else { panic!("accepted") };
        assert!(why.contains("SVG program"), "{why}");
    }

    #[test]
    fn a_hostile_program_is_refused() {
        let svg = r#"<svg><image href="https://example.com/x.png"/></svg>"#;
        let token = SharedView { svg: Some(svg.into()), ..view() }.encode();
        assert!(matches!(SharedView::decode(&token), Err(ShareError::Invalid(_))));
    }

    #[test]
    fn an_oversized_answer_is_refused() {
        let answer =
            SharedAnswer { model: "m".into(), text: "x".repeat(MAX_SHARED_ANSWER_BYTES + 1), provenance: None };
        let token = SharedView { answer: Some(answer), ..view() }.encode();
        assert!(matches!(SharedView::decode(&token), Err(ShareError::Invalid(_))));
    }

    fn provenance() -> Provenance {
        use crate::generation::{ModelIdentity, PromptStyle, Settings};
        let model = ModelIdentity {
            name: "SmolLM2 135M Instruct".into(),
            file: "SmolLM2-135M-Instruct-Q8_0.gguf".into(),
            size: 145_000_000,
            catalog_id: Some("smollm2-135m-instruct-q8_0".into()),
            sha256: Some("ab".repeat(32)),
        };
        Provenance { model, prompt: PromptStyle::Chat, settings: Settings::greedy(256) }
    }

    #[test]
    fn an_answer_round_trips_with_its_provenance() {
        let answer = SharedAnswer { model: "SmolLM2".into(), text: "Answer: C".into(), provenance: Some(provenance()) };
        let shared = SharedView { answer: Some(answer), ..view() };
        assert_eq!(SharedView::decode(&shared.encode()), Ok(shared));
    }

    #[test]
    fn a_link_made_before_answers_carried_provenance_still_opens() {
        // Made by the previous version: inv_t0, accessory 4, answered by "qwen2-q8_0.gguf".
        let old = "1.HYzNCoMwEAZfJXxnK1J6KLm1t75DQdK42oiu6K5_iO9u9DrMzIYyNASLwFOuGRLI-KvJa0TOexLphjXSwAUtsI8EjmWmAXZD2xXURK-fie-3_plnaVWNZbSVlnPwURPEOPN3mn75dYXWvLHvBw";
        let answer = SharedView::decode(old).unwrap().answer.unwrap();
        assert_eq!(answer.model, "qwen2-q8_0.gguf");
        assert_eq!(answer.text, "It is a hat.\nAnswer: B");
        assert_eq!(answer.provenance, None);
    }

    #[test]
    fn an_answer_with_an_invalid_provenance_is_refused() {
        let mut bad = provenance();
        bad.settings.max_tokens = 0;
        let answer = SharedAnswer { model: "m".into(), text: "Answer: A".into(), provenance: Some(bad) };
        let token = SharedView { answer: Some(answer), ..view() }.encode();
        let Err(ShareError::Invalid(why)) = SharedView::decode(&token) else { panic!("accepted") };
        assert!(why.contains("provenance"), "{why}");
    }

    #[test]
    fn a_garbled_link_is_an_error() {
        assert!(SharedView::decode("1.garbled!").is_err());
    }

    #[test]
    fn sample_files_are_relative_urls_named_like_the_paper_splits() {
        for file in SampleFile::ALL {
            assert!(file.url().starts_with("data/"));
            assert_eq!(SampleFile::from_name(file.name()), Some(file));
        }
    }
}
