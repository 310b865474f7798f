//! `mindseye inspect MODEL.gguf`: what a GGUF file holds, read from its header alone.

use mindseye_core::chat::Template;
use mindseye_core::gguf::{Array, File, Value};
use mindseye_core::gpu::SUPPORTED_TYPES;
use mindseye_core::model::Config;
use mindseye_core::quant::Type;
use mindseye_core::tokenizer::Tokenizer;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

/// Arrays up to this long and strings up to this many characters are printed whole.
const SHORT_ARRAY: usize = 8;
const SHORT_STRING: usize = 80;

pub fn run(path: &Path, list_tensors: bool) -> Result<ExitCode, String> {
    let (file, len) = super::model_file::read_header(path)?;
    if let Err(e) = file.check_len(len) {
        eprintln!("warning: {}: {e}", path.display());
    }
    println!("file:      {}", path.display());
    println!("version:   {}", file.version());
    println!("alignment: {}", file.alignment());
    let text = |key| file.get_str(key).unwrap_or("(none)");
    println!("arch:      {}", text("general.architecture"));
    println!("name:      {}", text("general.name"));
    println!("metadata:  {} keys", file.metadata().len());
    for (key, value) in file.metadata() {
        println!("  {key} = {}", summary(value));
    }
    let total: u64 = file.tensors().iter().map(|t| t.n_bytes()).sum();
    println!(
        "tensors:   {} tensors, {}, data starts at byte {}",
        file.tensors().len(),
        size(total),
        file.data_offset()
    );
    let mut by_type: BTreeMap<Type, (usize, u64)> = BTreeMap::new();
    for tensor in file.tensors() {
        let entry = by_type.entry(tensor.ty()).or_default();
        entry.0 += 1;
        entry.1 += tensor.n_bytes();
    }
    let mut by_type: Vec<_> = by_type.into_iter().collect();
    by_type.sort_by_key(|&(_, (_, bytes))| std::cmp::Reverse(bytes));
    for (ty, (count, bytes)) in by_type {
        let unreadable = if SUPPORTED_TYPES.contains(&ty) { "" } else { " (the GPU engine cannot read these)" };
        println!("  {ty}: {count} tensors, {}{unreadable}", size(bytes));
    }
    print_model(&file);
    if list_tensors {
        for tensor in file.tensors() {
            let dims: Vec<String> = tensor.dims().iter().map(u64::to_string).collect();
            println!("  {} {} [{}] at {}", tensor.name(), tensor.ty(), dims.join(", "), tensor.offset());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the engine makes of the file: hyperparameters, tokenizer, chat template.
fn print_model(file: &File) {
    match Config::from_gguf(file) {
        Ok(c) => {
            println!(
                "model:     {} layers, n_embd {}, n_ff {}, {} heads ({} kv) of {}, vocab {}, trained context {}",
                c.n_layer, c.n_embd, c.n_ff, c.n_head, c.n_head_kv, c.head_dim, c.n_vocab, c.n_ctx_train
            );
            println!(
                "           RoPE {:?} base {} over {} dims, rms eps {}",
                c.rope.layout, c.rope.freq_base, c.rope.n_rot, c.rms_eps
            );
            if let Some(w) = c.sliding_window {
                println!(
                    "           sliding window {w} on even layers, soft-caps {:?} / {:?}",
                    c.attn_softcap, c.final_softcap
                );
            }
        }
        Err(e) => println!("model:     not runnable here: {e}"),
    }
    match Tokenizer::from_gguf(file) {
        Ok(t) => {
            let name = |id: Option<u32>| id.and_then(|id| t.token_text(id)).unwrap_or("(none)").to_owned();
            println!(
                "tokenizer: {} {}, {} tokens, bos {}, eos {}",
                file.get_str("tokenizer.ggml.model").unwrap_or("?"),
                file.get_str("tokenizer.ggml.pre").unwrap_or("default"),
                t.vocab_size(),
                name(t.bos()),
                name(t.eos())
            );
        }
        Err(e) => println!("tokenizer: unusable: {e}"),
    }
    match (file.get("tokenizer.chat_template"), Template::from_gguf(file)) {
        (Some(_), Ok(_)) => println!("template:  the file's own chat template"),
        (None, Ok(_)) => println!("template:  none in the file; the family's fallback"),
        (_, Err(e)) => println!("template:  unusable: {e}"),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

fn summary(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > SHORT_STRING => {
            let head: String = s.chars().take(SHORT_STRING).collect();
            format!("{head:?}… ({} characters)", s.chars().count())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(array) => array_summary(array),
        Value::U8(v) => v.to_string(),
        Value::I8(v) => v.to_string(),
        Value::U16(v) => v.to_string(),
        Value::I16(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::I32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::F32(v) => v.to_string(),
        Value::F64(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
    }
}

fn array_summary(array: &Array) -> String {
    let plural = match array.element_type().name() {
        "string" => "strings".to_owned(),
        "array" => "arrays".to_owned(),
        other => other.to_owned(),
    };
    if array.len() > SHORT_ARRAY {
        return format!("array of {} {plural}", array.len());
    }
    fn join<T: std::fmt::Debug>(v: &[T]) -> String {
        v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")
    }
    let items = match array {
        Array::U8(v) => join(v),
        Array::I8(v) => join(v),
        Array::U16(v) => join(v),
        Array::I16(v) => join(v),
        Array::U32(v) => join(v),
        Array::I32(v) => join(v),
        Array::F32(v) => join(v),
        Array::Bool(v) => join(v),
        Array::String(v) => join(v),
        Array::Array(v) => v.iter().map(array_summary).collect::<Vec<_>>().join(", "),
        Array::U64(v) => join(v),
        Array::I64(v) => join(v),
        Array::F64(v) => join(v),
    };
    format!("[{items}]")
}
