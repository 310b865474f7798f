//! Where an answer came from: the model file and the settings it was generated with. A pane keeps
//! this beside every answer, and a share link carries it, so that a recipient sees which model said
//! what, with which settings, and can re-run the same request on their own GPU.
//!
//! Everything here may arrive from a share link, so [`Provenance::validate`] bounds every field.

use crate::chat::{Message, Template};
use crate::sampling::SamplingConfig;
use crate::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

/// The longest answer a pane asks for; the official SGP-Bench harness allows 2,048 new tokens.
pub const MAX_NEW_TOKENS: u32 = 2048;
const MAX_NAME_CHARS: usize = 200;

/// Which model file produced an answer. Two files with the same size and SHA-256 are the same model;
/// without a hash, the file name and size identify it as well as anything can.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdentity {
    /// The name shown to people (the catalog's name, or the file name).
    pub name: String,
    /// The GGUF file's name.
    pub file: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The catalog entry's id, when the model came from the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// The file's SHA-256 (64 lowercase hex digits), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl ModelIdentity {
    /// Whether `other` is the same model file: by SHA-256 when both know it, else by file name and
    /// size (a renamed copy then counts as another model, and that is the safe side to err on).
    pub fn same_model(&self, other: &ModelIdentity) -> bool {
        match (&self.sha256, &other.sha256) {
            (Some(a), Some(b)) => a == b,
            _ => self.file == other.file && self.size == other.size,
        }
    }

    /// "Qwen2.5 0.5B Instruct (Qwen2.5-0.5B-Instruct-Q4_0.gguf, 352 MB)": what to look for under Models.
    pub fn describe(&self) -> String {
        let size = crate::models::format::bytes(self.size);
        if self.name == self.file {
            format!("{} ({size})", self.file)
        } else {
            format!("{} ({}, {size})", self.name, self.file)
        }
    }
}

/// How the prompt reached the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptStyle {
    /// As a user turn in the model's chat template (instruct models).
    Chat,
    /// As raw text to continue (base models).
    Raw,
}

/// How the panes' prompts become tokens, the same in the app and the CLI: a user turn in the model's
/// chat template when it has one, else the raw text. A pane's prompt is data (a question, a task):
/// outside the template, its text never becomes control tokens.
pub struct PromptEncoder<'a> {
    pub tokenizer: &'a Tokenizer,
    pub template: Option<&'a Template>,
}

impl PromptEncoder<'_> {
    pub fn style(&self) -> PromptStyle {
        if self.template.is_some() { PromptStyle::Chat } else { PromptStyle::Raw }
    }

    /// The prompt's tokens, ready for the model's reply.
    pub fn prompt(&self, prompt: &str) -> Result<Vec<u32>, String> {
        match self.template {
            Some(template) => {
                template.encode(self.tokenizer, &[Message::user(prompt)]).map_err(|e| format!("chat template: {e}"))
            }
            None => Ok(self.tokenizer.encode_untrusted(prompt, true)),
        }
    }

    /// A continuation's tokens (a scored answer line), encoded on its own without BOS.
    pub fn continuation(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode_untrusted(text, false)
    }
}

/// The generation settings of one answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub max_tokens: u32,
    /// 0 is greedy decoding; then `top_k`, `top_p` and `seed` do not matter.
    pub temperature: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub seed: u64,
    /// Decoding was constrained to a grammar (Karel: straight-line programs).
    #[serde(default)]
    pub constrained: bool,
}

impl Settings {
    /// Greedy decoding of at most `max_tokens` tokens, unconstrained.
    pub fn greedy(max_tokens: u32) -> Settings {
        Settings { max_tokens, temperature: 0.0, top_k: None, top_p: None, seed: 0, constrained: false }
    }

    /// The sampler's configuration for these settings.
    pub fn sampling(&self) -> SamplingConfig {
        SamplingConfig {
            temperature: self.temperature,
            top_k: self.top_k.map(|k| k as usize),
            top_p: self.top_p,
            repetition_penalty: None,
            seed: self.seed,
        }
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }

    /// A one-line description, e.g. "greedy, at most 256 tokens" or "temperature 0.7, top-p 0.9, seed 3".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.is_greedy() {
            parts.push("greedy".to_string());
        } else {
            parts.push(format!("temperature {}", self.temperature));
            if let Some(k) = self.top_k {
                parts.push(format!("top-k {k}"));
            }
            if let Some(p) = self.top_p {
                parts.push(format!("top-p {p}"));
            }
            parts.push(format!("seed {}", self.seed));
        }
        if self.constrained {
            parts.push("grammar-constrained".into());
        }
        parts.push(format!("at most {} tokens", self.max_tokens));
        parts.join(", ")
    }
}

/// The model and settings behind an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub model: ModelIdentity,
    pub prompt: PromptStyle,
    pub settings: Settings,
}

impl PromptStyle {
    /// "the prompt as a chat turn" / "the prompt as raw text".
    pub fn describe(self) -> &'static str {
        match self {
            PromptStyle::Chat => "the prompt as a chat turn",
            PromptStyle::Raw => "the prompt as raw text",
        }
    }
}

impl Provenance {
    /// How the answer was made, after the model: "the prompt as a chat turn; greedy, at most 256 tokens".
    pub fn describe_settings(&self) -> String {
        format!("{}; {}", self.prompt.describe(), self.settings.describe())
    }

    /// Checks every field of a provenance that came from outside (a share link, stored results).
    pub fn validate(&self) -> Result<(), String> {
        let m = &self.model;
        for (what, text) in [("model name", &m.name), ("file name", &m.file)] {
            if text.trim().is_empty() || text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                return Err(format!("the {what} must be 1 to {MAX_NAME_CHARS} printable characters"));
            }
        }
        if let Some(id) = &m.catalog_id
            && (id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            return Err("the catalog id must be letters, digits, '-', '_' or '.'".into());
        }
        if let Some(sha) = &m.sha256
            && !(sha.len() == 64 && sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
        {
            return Err("the SHA-256 must be 64 lowercase hex digits".into());
        }
        let s = &self.settings;
        if s.max_tokens == 0 || s.max_tokens > MAX_NEW_TOKENS {
            return Err(format!("at most 1 to {MAX_NEW_TOKENS} new tokens may be asked for, not {}", s.max_tokens));
        }
        if s.top_k == Some(0) || s.top_k.is_some_and(|k| k > 1_000_000) {
            return Err("top-k must be between 1 and 1,000,000".into());
        }
        s.sampling().validate().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provenance() -> Provenance {
        Provenance {
            model: ModelIdentity {
                name: "Qwen2.5 0.5B Instruct".into(),
                file: "Qwen2.5-0.5B-Instruct-Q4_0.gguf".into(),
                size: 352_000_000,
                catalog_id: Some("qwen2.5-0.5b-instruct-q4_0".into()),
                sha256: Some("2870b7ccba920d5bdd7625c05feef9ccd2d4d2e96352808dc78d434509a5ee8c".into()),
            },
            prompt: PromptStyle::Chat,
            settings: Settings::greedy(256),
        }
    }

    #[test]
    fn a_well_formed_provenance_is_valid() {
        assert_eq!(provenance().validate(), Ok(()));
    }

    #[test]
    fn provenance_round_trips_through_json() {
        let p = Provenance {
            settings: Settings { temperature: 0.7, top_p: Some(0.9), seed: 3, ..Settings::greedy(64) },
            ..provenance()
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Provenance>(&json).unwrap(), p);
    }

    #[test]
    fn an_empty_or_control_character_name_is_refused() {
        let mut p = provenance();
        p.model.name = " ".into();
        assert!(p.validate().is_err());
        p.model.name = "a\u{1b}[31m".into();
        assert!(p.validate().is_err());
    }

    #[test]
    fn a_malformed_hash_is_refused() {
        let mut p = provenance();
        p.model.sha256 = Some("ABC".into());
        assert!(p.validate().unwrap_err().contains("SHA-256"));
    }

    #[test]
    fn a_catalog_id_with_path_characters_is_refused() {
        let mut p = provenance();
        p.model.catalog_id = Some("../../etc".into());
        assert!(p.validate().is_err());
    }

    #[test]
    fn token_budgets_outside_the_allowed_range_are_refused() {
        let mut p = provenance();
        p.settings.max_tokens = 0;
        assert!(p.validate().is_err());
        p.settings.max_tokens = MAX_NEW_TOKENS + 1;
        assert!(p.validate().is_err());
    }

    #[test]
    fn invalid_sampling_is_refused() {
        let mut p = provenance();
        p.settings.temperature = f32::NAN;
        assert!(p.validate().is_err());
        p.settings = Settings { temperature: 1.0, top_p: Some(1.5), ..Settings::greedy(8) };
        assert!(p.validate().is_err());
    }

    #[test]
    fn the_same_hash_is_the_same_model_whatever_the_file_is_called() {
        let shared = provenance().model;
        let renamed = ModelIdentity { file: "renamed.gguf".into(), name: "mine".into(), ..shared.clone() };
        assert!(shared.same_model(&renamed));
    }

    #[test]
    fn different_hashes_are_different_models_even_with_the_same_name_and_size() {
        let shared = provenance().model;
        let other = ModelIdentity { sha256: Some("0".repeat(64)), ..shared.clone() };
        assert!(!shared.same_model(&other));
    }

    #[test]
    fn without_a_hash_on_either_side_the_file_name_and_size_decide() {
        let shared = provenance().model;
        let opened = ModelIdentity { name: "local".into(), catalog_id: None, sha256: None, ..shared.clone() };
        assert!(shared.same_model(&opened));
        assert!(opened.same_model(&shared));
        assert!(!shared.same_model(&ModelIdentity { size: shared.size + 1, ..opened.clone() }));
        assert!(!shared.same_model(&ModelIdentity { file: "other.gguf".into(), ..opened }));
    }

    #[test]
    fn an_identity_describes_itself_with_name_file_and_size() {
        let model = provenance().model;
        assert_eq!(model.describe(), "Qwen2.5 0.5B Instruct (Qwen2.5-0.5B-Instruct-Q4_0.gguf, 352 MB)");
        let opened = ModelIdentity { name: model.file.clone(), ..model };
        assert_eq!(opened.describe(), "Qwen2.5-0.5B-Instruct-Q4_0.gguf (352 MB)");
    }

    #[test]
    fn a_provenance_describes_its_prompt_style_and_settings() {
        assert_eq!(provenance().describe_settings(), "the prompt as a chat turn; greedy, at most 256 tokens");
    }

    #[test]
    fn settings_describe_themselves_in_words() {
        assert_eq!(Settings::greedy(256).describe(), "greedy, at most 256 tokens");
        let s = Settings { temperature: 0.7, top_k: Some(40), seed: 3, constrained: true, ..Settings::greedy(64) };
        assert_eq!(s.describe(), "temperature 0.7, top-k 40, seed 3, grammar-constrained, at most 64 tokens");
    }
}
