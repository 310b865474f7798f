//! Karel as in Jin & Rinard (ICML 2024): an 8x8 world whose border is wall, straight-line programs
//! of five actions, and the quirks their data encodes (blocked moves and empty picks are silent
//! no-ops, the robot hides the markers under it, counts of 10+ draw as their first digit).
//!
//! Beyond the paper: worlds up to 16x16, `repeat`/`while`/`if`/`ifelse` with `not(...)`, Bunel et
//! al.'s crashing semantics and the probing papers' reinterpreted actions, all as named options.

mod answer;
mod check;
mod diff;
mod edit;
mod generator;
mod grammar;
mod highlight;
mod interpreter;
mod parser;
mod program;
mod prompt;
mod task;
mod view;
mod world;

pub use answer::{Answer, Skipped, parse_answer};
pub use check::{CheckReport, ExampleCheck, check};
pub use diff::differing_cells;
pub use edit::{CellEdit, with_input};
pub use generator::{Generator, GeneratorConfig};
pub use grammar::{LineState, StraightLineGrammar};
pub use highlight::{Token, TokenClass, highlight};
pub use interpreter::{ActionMap, DEFAULT_STEP_LIMIT, Effect, RunError, Semantics, Settings, Step, Trace, run, trace};
pub use parser::{MAX_DEPTH, ParseError};
pub use program::{Action, Condition, Layout, Program, Span, Stmt, StmtId, StmtKind};
pub use prompt::{grid_tokens, instruction_prompt, model_prompt, synthesis_prompt, synthesis_prompt_with_program};
pub use task::{EXAMPLES, Example, SPEC_EXAMPLES, Task, TaskError, parse_jsonl};
pub use view::{KarelView, MAX_TEXT_BYTES, TaskChoice, ViewError, generated_task};
pub use world::{Direction, MAX_SIZE, Position, World, WorldError};
