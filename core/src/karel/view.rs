//! The Karel pane's state as a share link carries it: which task, the program text, the model
//! answer and the view (example, step, settings). Decoding validates every field and rebuilds
//! worlds through [`World`]'s own constructors, so a crafted link yields an error, never a bad state.

use super::generator::{Generator, GeneratorConfig};
use super::interpreter::{ActionMap, DEFAULT_STEP_LIMIT, Semantics, Settings};
use super::parser::ParseError;
use super::program::Program;
use super::task::{EXAMPLES, Example, Task};
use super::world::{MAX_SIZE, Position, World, WorldError};
use crate::generation::Provenance;
use crate::share::{self, ShareError};
use serde::{Deserialize, Serialize};

/// Longest program or answer text a link may carry, in bytes; far beyond any real Karel program.
pub const MAX_TEXT_BYTES: usize = 20_000;

/// Which task the pane shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskChoice {
    /// A task of the bundled file, by 0-based index.
    Bundled(usize),
    /// The generator's first task for a seed, with the paper's distributions.
    Generated(u64),
    /// A task whose worlds were edited in the pane.
    Custom(Task),
}

impl TaskChoice {
    /// The task itself, looking bundled ones up in `bundled`.
    pub fn resolve(&self, bundled: &[Task]) -> Result<Task, ViewError> {
        match self {
            TaskChoice::Bundled(index) => {
                bundled.get(*index).cloned().ok_or(ViewError::TaskIndex { index: *index, count: bundled.len() })
            }
            TaskChoice::Generated(seed) => generated_task(*seed),
            TaskChoice::Custom(task) => Ok(task.clone()),
        }
    }
}

/// The generator's first task for `seed`.
pub fn generated_task(seed: u64) -> Result<Task, ViewError> {
    let fail = |reason: String| ViewError::Generator { seed, reason };
    Generator::new(seed, GeneratorConfig::default())
        .map_err(|e| fail(e.to_string()))?
        .task()
        .map_err(|e| fail(e.to_string()))
}

#[derive(Clone, Debug, PartialEq)]
pub struct KarelView {
    pub task: TaskChoice,
    /// The editor's text, which need not parse.
    pub program: String,
    /// The model answer's free text.
    pub answer: String,
    /// The model and settings that produced `answer`, when the loaded model did (links made before
    /// answers carried it have none).
    pub provenance: Option<Provenance>,
    /// The selected example, `0..EXAMPLES`.
    pub example: usize,
    /// Actions taken so far in the selected example's trace.
    pub step: usize,
    pub semantics: Semantics,
    pub action_map: ActionMap,
    /// The paper's drawing, where the robot hides the markers under it.
    pub paper_view: bool,
}

impl KarelView {
    /// The pane's defaults for a task: its reference program, example 0, the paper's semantics.
    pub fn new(task: TaskChoice, program: String) -> KarelView {
        KarelView {
            task,
            program,
            answer: String::new(),
            provenance: None,
            example: 0,
            step: 0,
            semantics: Semantics::Emergent,
            action_map: ActionMap::Identity,
            paper_view: false,
        }
    }

    pub fn settings(&self) -> Settings {
        Settings { semantics: self.semantics, action_map: self.action_map, step_limit: DEFAULT_STEP_LIMIT }
    }

    /// A URL-fragment-safe token (see [`crate::share`]).
    pub fn encode(&self) -> String {
        let task = match &self.task {
            TaskChoice::Bundled(index) => TaskWire::Bundled { index: *index },
            TaskChoice::Generated(seed) => TaskWire::Generated { seed: *seed },
            TaskChoice::Custom(task) => TaskWire::Custom {
                examples: task
                    .examples
                    .iter()
                    .map(|e| ExampleWire { input: WorldWire::from(&e.input), output: WorldWire::from(&e.output) })
                    .collect(),
                program: task.program.to_string(),
            },
        };
        share::encode(&ViewWire {
            task,
            program: self.program.clone(),
            answer: self.answer.clone(),
            provenance: self.provenance.clone(),
            example: self.example,
            step: self.step,
            semantics: self.semantics,
            action_map: self.action_map,
            paper_view: self.paper_view,
        })
    }

    /// Reads a token made by [`KarelView::encode`]; `bundled` is how many bundled tasks exist.
    pub fn decode(token: &str, bundled: usize) -> Result<KarelView, ViewError> {
        let wire: ViewWire = share::decode(token)?;
        for text in [&wire.program, &wire.answer] {
            if text.len() > MAX_TEXT_BYTES {
                return Err(ViewError::TextTooLong(text.len()));
            }
        }
        if wire.example >= EXAMPLES {
            return Err(ViewError::Example(wire.example));
        }
        if wire.step as u64 > DEFAULT_STEP_LIMIT {
            return Err(ViewError::Step(wire.step));
        }
        if let Some(provenance) = &wire.provenance {
            provenance.validate().map_err(ViewError::Provenance)?;
        }
        let task = match wire.task {
            TaskWire::Bundled { index } if index < bundled => TaskChoice::Bundled(index),
            TaskWire::Bundled { index } => return Err(ViewError::TaskIndex { index, count: bundled }),
            TaskWire::Generated { seed } => TaskChoice::Generated(seed),
            TaskWire::Custom { examples, program } => TaskChoice::Custom(custom_task(examples, &program)?),
        };
        Ok(KarelView {
            task,
            program: wire.program,
            answer: wire.answer,
            provenance: wire.provenance,
            example: wire.example,
            step: wire.step,
            semantics: wire.semantics,
            action_map: wire.action_map,
            paper_view: wire.paper_view,
        })
    }
}

fn custom_task(examples: Vec<ExampleWire>, program: &str) -> Result<Task, ViewError> {
    if examples.len() != EXAMPLES {
        return Err(ViewError::ExampleCount(examples.len()));
    }
    if program.len() > MAX_TEXT_BYTES {
        return Err(ViewError::TextTooLong(program.len()));
    }
    let program = Program::parse(program).map_err(ViewError::Program)?;
    let examples = examples
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            let world = |w: WorldWire| w.into_world().map_err(|error| ViewError::World { index, error });
            Ok(Example { input: world(e.input)?, output: world(e.output)? })
        })
        .collect::<Result<Vec<_>, ViewError>>()?;
    Ok(Task { examples, program })
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error(transparent)]
    Share(#[from] ShareError),
    #[error("the link names task {} but only {count} tasks are bundled", .index + 1)]
    TaskIndex { index: usize, count: usize },
    #[error("the link carries a text of {0} bytes; at most {MAX_TEXT_BYTES} are allowed")]
    TextTooLong(usize),
    #[error("the link selects example {0}; a task has {EXAMPLES}")]
    Example(usize),
    #[error("the link selects step {0}, beyond the step limit of {DEFAULT_STEP_LIMIT}")]
    Step(usize),
    #[error("the link's custom task has {0} examples instead of {EXAMPLES}")]
    ExampleCount(usize),
    #[error("the link's custom task program does not parse: {0}")]
    Program(ParseError),
    #[error("the link's custom task, example {index}: {error}")]
    World { index: usize, error: WorldError },
    #[error("task from seed {seed}: {reason}")]
    Generator { seed: u64, reason: String },
    #[error("the link's answer names an invalid model or settings: {0}")]
    Provenance(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewWire {
    task: TaskWire,
    program: String,
    #[serde(default)]
    answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provenance: Option<Provenance>,
    example: usize,
    step: usize,
    semantics: Semantics,
    action_map: ActionMap,
    paper_view: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum TaskWire {
    Bundled { index: usize },
    Generated { seed: u64 },
    Custom { examples: Vec<ExampleWire>, program: String },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleWire {
    input: WorldWire,
    output: WorldWire,
}

/// A drawing for walls and the robot, plus exact marker counts: a drawing alone loses the markers
/// under the robot and piles of 10 or more.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldWire {
    drawing: String,
    /// `(x, y, count)` for every cell with markers.
    markers: Vec<(usize, usize, u16)>,
}

impl From<&World> for WorldWire {
    fn from(world: &World) -> Self {
        let markers = (0..world.height())
            .flat_map(|y| (0..world.width()).map(move |x| Position::new(x, y)))
            .filter_map(|at| Some((at.x, at.y, world.markers(at))).filter(|&(_, _, count)| count > 0))
            .collect();
        WorldWire { drawing: world.drawing(), markers }
    }
}

impl WorldWire {
    fn into_world(self) -> Result<World, WorldError> {
        if self.drawing.len() > MAX_SIZE * (MAX_SIZE + 2) {
            return Err(WorldError::Size { width: self.drawing.len(), height: 0 });
        }
        let mut world = World::from_drawing(&self.drawing)?;
        // The drawing's digits are replaced by the exact counts.
        for y in 0..world.height() {
            for x in 0..world.width() {
                let at = Position::new(x, y);
                if !world.is_wall(at) {
                    world.set_markers(at, 0)?;
                }
            }
        }
        for (x, y, count) in self.markers.into_iter().take(MAX_SIZE * MAX_SIZE + 1) {
            world.set_markers(Position::new(x, y), count)?;
        }
        Ok(world)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: &str = "def run() {\n  move()\n}";

    fn view(task: TaskChoice) -> KarelView {
        KarelView {
            answer: "Sure! ```karel\ndef run() { move() }\n```".into(),
            example: 7,
            step: 3,
            semantics: Semantics::Crash,
            action_map: ActionMap::Flip,
            paper_view: true,
            ..KarelView::new(task, PROGRAM.into())
        }
    }

    fn custom() -> Task {
        let mut task = generated_task(5).unwrap();
        let input = &mut task.examples[2].input;
        *input = input.resized(12, 9).unwrap();
        input.put_marker();
        input.set_markers(Position::new(9, 6), 27).unwrap();
        task
    }

    #[test]
    fn a_bundled_view_round_trips() {
        let v = view(TaskChoice::Bundled(39));
        assert_eq!(KarelView::decode(&v.encode(), 40), Ok(v));
    }

    #[test]
    fn a_generated_view_round_trips_and_resolves_to_the_generators_task() {
        let v = view(TaskChoice::Generated(u64::MAX));
        let back = KarelView::decode(&v.encode(), 0).unwrap();
        assert_eq!(back, v);
        assert_eq!(back.task.resolve(&[]), generated_task(u64::MAX));
    }

    #[test]
    fn a_custom_task_round_trips_with_markers_under_the_robot_and_large_piles() {
        let v = view(TaskChoice::Custom(custom()));
        let back = KarelView::decode(&v.encode(), 0).unwrap();
        let TaskChoice::Custom(task) = &back.task else { panic!("not custom") };
        let input = &task.examples[2].input;
        assert_eq!((input.width(), input.height()), (12, 9));
        assert_eq!(input.markers(input.robot()), 1);
        assert_eq!(input.markers(Position::new(9, 6)), 27);
        assert_eq!(back, v);
    }

    #[test]
    fn a_bundled_index_beyond_the_bundle_is_refused() {
        let token = view(TaskChoice::Bundled(40)).encode();
        assert_eq!(KarelView::decode(&token, 40), Err(ViewError::TaskIndex { index: 40, count: 40 }));
    }

    #[test]
    fn an_example_beyond_the_tenth_is_refused() {
        let token = KarelView { example: 10, ..view(TaskChoice::Bundled(0)) }.encode();
        assert_eq!(KarelView::decode(&token, 40), Err(ViewError::Example(10)));
    }

    #[test]
    fn a_step_beyond_the_step_limit_is_refused() {
        let token = KarelView { step: 10_001, ..view(TaskChoice::Bundled(0)) }.encode();
        assert_eq!(KarelView::decode(&token, 40), Err(ViewError::Step(10_001)));
    }

    #[test]
    fn an_oversized_program_is_refused() {
        let token = KarelView { program: "x".repeat(MAX_TEXT_BYTES + 1), ..view(TaskChoice::Bundled(0)) }.encode();
        assert_eq!(KarelView::decode(&token, 40), Err(ViewError::TextTooLong(MAX_TEXT_BYTES + 1)));
    }

    #[test]
    fn a_custom_world_with_a_marker_on_a_wall_is_refused() {
        let mut wire: serde_json::Value = share::decode(&view(TaskChoice::Custom(custom())).encode()).unwrap();
        wire["task"]["examples"][0]["input"]["markers"] = serde_json::json!([[0, 0, 1]]);
        let err = KarelView::decode(&share::encode(&wire), 0).unwrap_err();
        assert_eq!(err, ViewError::World { index: 0, error: WorldError::Wall { x: 0, y: 0 } });
    }

    #[test]
    fn a_custom_task_without_ten_examples_is_refused() {
        let mut task = custom();
        task.examples.pop();
        let token = view(TaskChoice::Custom(task)).encode();
        assert_eq!(KarelView::decode(&token, 0), Err(ViewError::ExampleCount(9)));
    }

    #[test]
    fn a_garbled_token_is_a_share_error() {
        assert!(matches!(KarelView::decode("1.garbled!!", 40), Err(ViewError::Share(_))));
    }

    fn provenance() -> Provenance {
        use crate::generation::{ModelIdentity, PromptStyle, Settings};
        Provenance {
            model: ModelIdentity {
                name: "qwen2-q8_0.gguf".into(),
                file: "qwen2-q8_0.gguf".into(),
                size: 1_002_240,
                catalog_id: None,
                sha256: None,
            },
            prompt: PromptStyle::Chat,
            settings: Settings { constrained: true, ..Settings::greedy(256) },
        }
    }

    #[test]
    fn an_answer_round_trips_with_its_provenance() {
        let v = KarelView { provenance: Some(provenance()), ..view(TaskChoice::Bundled(2)) };
        assert_eq!(KarelView::decode(&v.encode(), 40), Ok(v));
    }

    #[test]
    fn a_link_made_before_answers_carried_provenance_still_opens() {
        // Made by the previous version: task 4 with an answer, no provenance field.
        let old = "1.dcw9CsMwDAXgqxhNCWQodPPeoXcwJGqsBBNbMbbzU4LvXpXO3aSnT--CgnkBfcHi2IKG18bWk4UOZKcT9L12ENM6JwxytjSptHHTqsuwUmHdqWkNV_HI-aAkZhiGBRN5w_-0YTHyQieG6An0rYNcKP4GCsjFjVmqHoHSTFy-9WNxK_cBRcHTSujKW_KIkVK_OzpAT-gz1Q8";
        let v = KarelView::decode(old, 40).unwrap();
        assert_eq!((v.task, v.provenance), (TaskChoice::Bundled(3), None));
        assert_eq!(v.answer, "```karel\ndef run() {\n  move()\n}\n```");
    }

    #[test]
    fn an_invalid_provenance_is_refused() {
        let mut bad = provenance();
        bad.model.name = "\u{1b}[2J".into();
        let token = KarelView { provenance: Some(bad), ..view(TaskChoice::Bundled(0)) }.encode();
        assert!(matches!(KarelView::decode(&token, 40), Err(ViewError::Provenance(_))));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut wire: serde_json::Value = share::decode(&view(TaskChoice::Bundled(0)).encode()).unwrap();
        wire["script"] = serde_json::json!("alert(1)");
        assert!(matches!(KarelView::decode(&share::encode(&wire), 40), Err(ViewError::Share(ShareError::Invalid(_)))));
    }
}
