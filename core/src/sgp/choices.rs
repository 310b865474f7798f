//! "Score the options": instead of generating an answer, compare how likely the model finds each
//! possible answer line right after the official prompt.
//!
//! What is scored: the official prompt asks for a last line `Answer: $LETTER`, so each option is
//! scored as exactly that line, `Answer: A` ... `Answer: D` (SGP-MNIST: `Answer: 0` ... `Answer: 9`),
//! as the first thing the model says. For a chat model the prompt is the user turn and the line is
//! the start of the assistant turn; a base model continues the raw prompt, so its line follows a
//! blank line (`\n\nAnswer: A`), as a reply under the options would. This measures the model's
//! immediate pick, without the chain of thought the official harness allows; the letters share the
//! `Answer:` prefix, so the comparison rests on the letter.

use super::{Answer, Protocol, Question};
use crate::generation::PromptStyle;
use crate::sampling::OptionScores;

/// What to score for one question: the prompt and one continuation per possible answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceScoring {
    /// The official prompt (a user turn when the model chats).
    pub prompt: String,
    /// The answers in the protocol's order: `A`-`D`, or the digits `0`-`9`.
    pub labels: Vec<String>,
    /// The text scored after the prompt for each label.
    pub continuations: Vec<String>,
    key: String,
}

/// One bar of the chart: an answer, its probability among the answers, and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceBar {
    pub label: String,
    /// The option's text (multiple choice), to show beside the letter.
    pub text: Option<String>,
    pub probability: f64,
    /// The probability as people read it: "41.2%", "< 0.1%".
    pub percent: String,
    pub is_key: bool,
    /// The model's most likely answer.
    pub is_best: bool,
}

impl ChoiceScoring {
    pub fn of(question: &Question, style: PromptStyle) -> ChoiceScoring {
        let labels: Vec<String> = match question.answer {
            Answer::Letter(_) => ['A', 'B', 'C', 'D'].iter().map(char::to_string).collect(),
            Answer::Digit(_) => (0..10).map(|d| d.to_string()).collect(),
        };
        let lead = match style {
            PromptStyle::Chat => "",
            PromptStyle::Raw => "\n\n",
        };
        let continuations = labels.iter().map(|label| format!("{lead}Answer: {label}")).collect();
        ChoiceScoring {
            prompt: Protocol::of(question).prompt(question),
            labels,
            continuations,
            key: question.answer.to_string(),
        }
    }

    /// The bars for `scores` (computed on [`ChoiceScoring::continuations`], in order).
    pub fn bars(&self, question: &Question, scores: &OptionScores) -> Vec<ChoiceBar> {
        let best = scores.best();
        let texts = question.options.as_ref();
        self.labels
            .iter()
            .zip(&scores.probabilities)
            .enumerate()
            .map(|(i, (label, &probability))| ChoiceBar {
                label: label.clone(),
                text: texts.and_then(|t| t.get(i)).cloned(),
                probability,
                percent: percent(probability),
                is_key: *label == self.key,
                is_best: best == Some(i),
            })
            .collect()
    }

    /// One sentence: the model's pick, how likely it found it, and whether it is the key.
    pub fn verdict(&self, scores: &OptionScores) -> String {
        let best = scores.best().and_then(|i| Some((self.labels.get(i)?, *scores.probabilities.get(i)?)));
        let Some((label, p)) = best else { return "No option could be scored.".into() };
        let outcome = if *label == self.key { "the key".to_string() } else { format!("the key is {}", self.key) };
        format!("The model's most likely answer is {label} ({}); {outcome}.", percent(p))
    }
}

/// A probability as a percentage with one decimal; tiny ones say so instead of "0.0%".
fn percent(p: f64) -> String {
    if p > 0.0 && p < 0.0005 { "< 0.1%".to_string() } else { format!("{:.1}%", p * 100.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sgp::{Dataset, Format};

    fn question() -> Question {
        let csv = ",Question,A,B,C,D,Answer,Subject\n\
                   0,\"Examine this.\n<svg viewBox=\"\"0 0 1 1\"\"><rect width=\"\"1\"\" height=\"\"1\"\"/></svg>\nQuestion: What is it?\",a square,a circle,a star,a heart,A,tool\n";
        Dataset::load(csv.as_bytes(), Format::Csv).unwrap().questions.remove(0)
    }

    fn scores(probabilities: [f64; 4]) -> OptionScores {
        let log_likelihoods: Vec<f64> = probabilities.iter().map(|p| p.ln()).collect();
        OptionScores { per_token: log_likelihoods.clone(), log_likelihoods, probabilities: probabilities.to_vec() }
    }

    #[test]
    fn a_chat_model_is_scored_on_the_answer_line_that_opens_its_reply() {
        let q = question();
        let scoring = ChoiceScoring::of(&q, PromptStyle::Chat);
        assert_eq!(scoring.prompt, Protocol::MultipleChoice.prompt(&q));
        assert_eq!(scoring.continuations, ["Answer: A", "Answer: B", "Answer: C", "Answer: D"]);
    }

    #[test]
    fn a_base_model_is_scored_on_the_answer_line_after_a_blank_line() {
        let scoring = ChoiceScoring::of(&question(), PromptStyle::Raw);
        assert_eq!(scoring.continuations[3], "\n\nAnswer: D");
    }

    #[test]
    fn the_bars_mark_the_key_and_the_models_pick() {
        let q = question();
        let scoring = ChoiceScoring::of(&q, PromptStyle::Chat);
        let bars = scoring.bars(&q, &scores([0.1, 0.6, 0.2999, 0.0001]));
        let marks: Vec<(&str, bool, bool)> = bars.iter().map(|b| (b.label.as_str(), b.is_key, b.is_best)).collect();
        assert_eq!(marks, [("A", true, false), ("B", false, true), ("C", false, false), ("D", false, false)]);
        assert_eq!(bars[1].text.as_deref(), Some("a circle"));
        let percents: Vec<&str> = bars.iter().map(|b| b.percent.as_str()).collect();
        assert_eq!(percents, ["10.0%", "60.0%", "30.0%", "< 0.1%"]);
    }

    #[test]
    fn the_verdict_names_the_pick_and_the_key() {
        let scoring = ChoiceScoring::of(&question(), PromptStyle::Chat);
        assert_eq!(
            scoring.verdict(&scores([0.1, 0.6, 0.2, 0.1])),
            "The model's most likely answer is B (60.0%); the key is A."
        );
        assert_eq!(
            scoring.verdict(&scores([0.7, 0.1, 0.1, 0.1])),
            "The model's most likely answer is A (70.0%); the key."
        );
    }
}
