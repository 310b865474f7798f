//! SGP-Bench (Qiu et al. 2024): can a language model "see" the picture an SVG program draws?
//!
//! - [`Dataset`] loads the official CSV files (and the Hugging Face JSON/JSONL exports) into
//!   [`Question`]s, reporting malformed rows instead of failing the whole file.
//! - [`Svg`] repairs the programs' known quirks, enforces [`Limits`] against hostile input, and
//!   renders to an RGBA [`Image`] with resvg (never touching the filesystem or the network).
//! - [`Protocol`] is the official harness: prompt templates byte for byte and answer extraction.
//! - [`QuestionType`] classifies questions into the paper's five types by their wording.
//! - [`Scores`] and [`Consistency`] aggregate graded answers; [`published`] holds the paper's figures.
//! - [`QuestionFilter`], [`Results`] (graded answers, exported as CSV/JSON), [`highlight`] and
//!   [`SharedView`] (share links) are the playground pane's logic, kept here to be tested natively.

mod choices;
mod consistency;
mod dataset;
mod filter;
mod highlight;
mod image;
mod protocol;
pub mod published;
mod question;
mod question_type;
mod results;
mod scores;
mod svg;
mod timing;
mod view;

pub use choices::{ChoiceBar, ChoiceScoring};
pub use consistency::{AnswerSet, Consistency};
pub use dataset::{Dataset, Format, LoadError, RowError};
pub use filter::{Outcome, QuestionFilter, subjects};
pub use highlight::{TokenKind, highlight};
pub use image::Image;
pub use protocol::Protocol;
pub use question::{Answer, Question, QuestionKey};
pub use question_type::QuestionType;
pub use results::{GradedAnswer, Results};
pub use scores::{Scores, Tally};
pub use svg::{Limits, Svg, SvgError};
pub use timing::TimingSummary;
pub use view::{MAX_SHARED_SVG_BYTES, SampleFile, SharedAnswer, SharedView, shared_svg};
