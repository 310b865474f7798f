//! The grammar of the paper's constrained decoding: straight-line programs only, in the layout of
//! the synthesis prompt (`Layout::Lines`), which is how the prompt's `Code:` continues:
//!
//! ```text
//! def run() {
//!   move()
//!   turn_left()
//! }
//! ```
//!
//! At least one action, each on its own line indented by two spaces, then the closing brace, and
//! nothing after it. Every sentence parses as a straight-line [`Program`](super::Program).

use super::program::Action;
use crate::sampling::{ByteGrammar, ConstraintError, GrammarConstraint, TokenConstraint, TokenTexts};
use std::sync::Arc;

const HEADER: &[u8] = b"def run() {\n";
const CLOSE: u8 = b'}';

/// Straight-line Karel programs, byte by byte.
#[derive(Clone, Debug)]
pub struct StraightLineGrammar {
    /// `  move()\n` and the other four statements' lines, in [`Action::ALL`]'s order.
    lines: Vec<Vec<u8>>,
    shortest_line: usize,
}

/// Where a program's text stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineState {
    /// This many bytes of `def run() {\n` are written.
    Header(usize),
    /// Inside the body: `statements` lines done, `at` bytes into the next one, which is one of
    /// `candidates` (a bit per action; all five at the start of a line).
    Body { statements: usize, at: usize, candidates: u8 },
    /// The closing brace is written: the program is complete.
    Closed,
}

const ALL_ACTIONS: u8 = (1 << Action::ALL.len()) - 1;

impl StraightLineGrammar {
    pub fn new() -> StraightLineGrammar {
        let lines: Vec<Vec<u8>> = Action::ALL.iter().map(|a| format!("  {a}\n").into_bytes()).collect();
        let shortest_line = lines.iter().map(Vec::len).min().unwrap_or(0);
        StraightLineGrammar { lines, shortest_line }
    }

    /// A constraint for decoding with the tokens of `texts`.
    pub fn constraint(texts: Arc<TokenTexts>) -> Result<Box<dyn TokenConstraint>, ConstraintError> {
        Ok(Box::new(GrammarConstraint::new(StraightLineGrammar::new(), texts)?))
    }

    fn body_start(statements: usize) -> LineState {
        LineState::Body { statements, at: 0, candidates: ALL_ACTIONS }
    }
}

impl Default for StraightLineGrammar {
    fn default() -> Self {
        StraightLineGrammar::new()
    }
}

impl ByteGrammar for StraightLineGrammar {
    type State = LineState;

    fn start(&self) -> LineState {
        LineState::Header(0)
    }

    fn step(&self, state: &LineState, byte: u8) -> Option<LineState> {
        match *state {
            LineState::Header(at) => (HEADER.get(at) == Some(&byte))
                .then(|| if at + 1 == HEADER.len() { Self::body_start(0) } else { LineState::Header(at + 1) }),
            LineState::Body { statements, at: 0, .. } if byte == CLOSE => (statements > 0).then_some(LineState::Closed),
            LineState::Body { statements, at, candidates } => {
                let mut next = 0u8;
                for (i, line) in self.lines.iter().enumerate() {
                    if candidates & (1 << i) != 0 && line.get(at) == Some(&byte) {
                        // No line is a prefix of another, so a finished line is the only candidate.
                        if at + 1 == line.len() {
                            return Some(Self::body_start(statements + 1));
                        }
                        next |= 1 << i;
                    }
                }
                (next != 0).then_some(LineState::Body { statements, at: at + 1, candidates: next })
            }
            LineState::Closed => None,
        }
    }

    fn is_complete(&self, state: &LineState) -> bool {
        *state == LineState::Closed
    }

    fn bytes_to_complete(&self, state: &LineState) -> usize {
        let close = 1;
        match *state {
            LineState::Header(at) => HEADER.len() - at + self.shortest_line + close,
            LineState::Body { statements, at: 0, .. } if statements > 0 => close,
            LineState::Body { at, candidates, .. } => {
                let rest = self.lines.iter().enumerate().filter(|(i, _)| candidates & (1 << i) != 0);
                rest.map(|(_, line)| line.len() - at).min().unwrap_or(0) + close
            }
            LineState::Closed => 0,
        }
    }

    fn alphabet(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = HEADER.iter().chain(self.lines.iter().flatten()).copied().chain([CLOSE]).collect();
        bytes.sort_unstable();
        bytes.dedup();
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::karel::Program;

    fn run(grammar: &StraightLineGrammar, text: &str) -> Option<LineState> {
        text.bytes().try_fold(grammar.start(), |state, byte| grammar.step(&state, byte))
    }

    #[test]
    fn a_program_in_the_prompts_layout_is_a_sentence() {
        let g = StraightLineGrammar::new();
        let text = "def run() {\n  move()\n  turn_left()\n  put_marker()\n}";
        assert_eq!(run(&g, text), Some(LineState::Closed));
        assert!(Program::parse(text).unwrap().actions().is_some());
    }

    #[test]
    fn every_prefix_of_a_sentence_is_accepted_and_needs_no_more_bytes_than_the_sentence_has_left() {
        let g = StraightLineGrammar::new();
        let text = "def run() {\n  pick_marker()\n  turn_right()\n}";
        for end in 0..=text.len() {
            let state = run(&g, &text[..end]).unwrap_or_else(|| panic!("prefix {:?} refused", &text[..end]));
            assert!(g.bytes_to_complete(&state) <= text.len() - end, "at {end}");
        }
        assert_eq!(g.bytes_to_complete(&LineState::Closed), 0);
    }

    #[test]
    fn the_shortest_program_is_one_move() {
        let g = StraightLineGrammar::new();
        assert_eq!(g.bytes_to_complete(&g.start()), "def run() {\n  move()\n}".len());
    }

    #[test]
    fn an_empty_body_cannot_be_closed() {
        assert_eq!(run(&StraightLineGrammar::new(), "def run() {\n}"), None);
    }

    #[test]
    fn control_flow_other_layouts_and_trailing_text_are_refused() {
        let g = StraightLineGrammar::new();
        for text in [
            "def run() {\n  repeat(2) {",
            "def run() { move() }",
            "def run() {\n  move(); turn_left()\n}",
            "def run() {\n    move()\n}",
            "def run() {\n  move()\n}\n",
            "```karel\ndef run() {",
        ] {
            assert_eq!(run(&g, text), None, "{text:?}");
        }
    }

    #[test]
    fn the_alphabet_is_the_bytes_of_the_header_the_statements_and_the_brace() {
        let alphabet = StraightLineGrammar::new().alphabet();
        assert_eq!(String::from_utf8(alphabet).unwrap(), "\n ()_acdefghiklmnoprtuv{}");
    }
}
