//! Prompts that show a task's specification to a language model.

use super::program::Layout;
use super::task::{SPEC_EXAMPLES, Task};
use super::world::{Position, World};
use crate::generation::PromptStyle;

/// The token the paper's model sees for one drawn cell.
fn cell_token(glyph: char) -> String {
    match glyph {
        '#' => "__wall__".to_string(),
        '^' => "__up__".to_string(),
        'v' => "__down__".to_string(),
        '<' => "__left__".to_string(),
        '>' => "__right__".to_string(),
        // Counts of 10 or more follow the drawing, which shows their first digit.
        '1'..='9' => format!("__{glyph}_Marker__"),
        _ => "__space__".to_string(),
    }
}

/// The inner cells (the border is always wall, so the paper leaves it out), one line per row,
/// each cell a space and a token.
pub fn grid_tokens(world: &World) -> String {
    let rows = 1..world.height().saturating_sub(1);
    rows.map(|y| {
        (1..world.width().saturating_sub(1))
            .map(|x| format!(" {}", cell_token(world.glyph(Position::new(x, y)))))
            .collect()
    })
    .collect::<Vec<String>>()
    .join("\n")
}

fn examples(task: &Task) -> String {
    let blocks = task.examples.iter().take(SPEC_EXAMPLES).enumerate().map(|(k, example)| {
        format!("Input{k}\n{}\nOutput{k}\n{}", grid_tokens(&example.input), grid_tokens(&example.output))
    });
    format!("Examples:\n\n{}", blocks.collect::<Vec<_>>().join("\n"))
}

/// The paper's synthesis prompt, ending with `Code:\n` where the model continues.
pub fn synthesis_prompt(task: &Task) -> String {
    format!("{}\n\nCode:\n", examples(task))
}

/// The synthesis prompt followed by the reference program, one statement per line (a training
/// sequence, as in `prompt_synthesis_example.txt`).
pub fn synthesis_prompt_with_program(task: &Task) -> String {
    synthesis_prompt(task) + &task.program.format(Layout::Lines)
}

/// What the Karel pane asks a model: instruct models (a chat turn) get [`instruction_prompt`], base
/// models the paper's [`synthesis_prompt`], which they continue with the program.
pub fn model_prompt(task: &Task, style: PromptStyle) -> String {
    match style {
        PromptStyle::Chat => instruction_prompt(task),
        PromptStyle::Raw => synthesis_prompt(task),
    }
}

/// A prompt for chat models: the same grids, what the five actions do and the answer format.
pub fn instruction_prompt(task: &Task) -> String {
    format!(
        "Karel is a robot on a 6x6 grid. Each grid below is drawn row by row from the top; each cell is a token:\n\
         __wall__ is a wall, __space__ is empty, __1_Marker__ to __9_Marker__ hold that many markers, and\n\
         __up__, __down__, __left__ or __right__ is the robot facing that way (it hides any markers under it).\n\
         Everything outside the grid is wall.\n\n\
         Karel has five actions:\n\
         - move(): step one cell forward; if a wall is in the way, nothing happens.\n\
         - turn_left(): turn 90 degrees to the left without moving.\n\
         - turn_right(): turn 90 degrees to the right without moving.\n\
         - pick_marker(): pick up one marker from the robot's cell; if there is none, nothing happens.\n\
         - put_marker(): put one marker on the robot's cell.\n\n\
         Write one program, a list of actions with no loops or conditions, that turns every input below into\n\
         its output.\n\n\
         {}\n\n\
         Answer with the program inside a ```karel code fence, one action per line, like this:\n\
         ```karel\ndef run() {{\n  move()\n  turn_left()\n}}\n```\n",
        examples(task)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_show_the_inner_cells_as_tokens() {
        let world = World::from_drawing("#####\n#>#.#\n#1.2#\n#####").unwrap();
        assert_eq!(grid_tokens(&world), " __right__ __wall__ __space__\n __1_Marker__ __space__ __2_Marker__");
    }

    #[test]
    fn ten_or_more_markers_show_as_their_drawn_digit() {
        let mut world = World::from_drawing("####\n#>.#\n####").unwrap();
        world.set_markers(Position::new(2, 1), 12).unwrap();
        assert_eq!(grid_tokens(&world), " __right__ __1_Marker__");
    }
}
