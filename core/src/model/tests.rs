//! Behaviour of loading and the CPU forward pass on tiny F32 models built here. Numerical agreement
//! with llama.cpp is proved separately, on the fixtures, by `tests/model_parity.rs`.

use super::*;
use crate::gguf::Writer;
use crate::quant::Type;
use crate::random::SplitMix64;

const N_EMBD: usize = 32;
const N_FF: usize = 64;
const N_VOCAB: usize = 16;

fn random_f32(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|_| {
            let unit = (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
            ((unit * 2.0 - 1.0) * scale).to_le_bytes()
        })
        .collect()
}

/// A two-layer model of `arch` with random F32 weights; `tied` leaves out `output.weight`.
fn tiny(arch: Arch, tied: bool) -> Writer {
    tiny_without(arch, tied, "")
}

/// [`tiny`] without the per-layer tensors named `blk.N.{left_out}`.
fn tiny_without(arch: Arch, tied: bool, left_out: &str) -> Writer {
    let mut rng = SplitMix64::new(7);
    let name = arch.name();
    let mut w = Writer::new()
        .metadata("general.architecture", name)
        .metadata(format!("{name}.embedding_length"), N_EMBD as u32)
        .metadata(format!("{name}.block_count"), 2u32)
        .metadata(format!("{name}.feed_forward_length"), N_FF as u32)
        .metadata(format!("{name}.attention.head_count"), 4u32)
        .metadata(format!("{name}.attention.head_count_kv"), 2u32)
        .metadata(format!("{name}.attention.sliding_window"), 3u32)
        .metadata(format!("{name}.context_length"), 64u32);
    let mut tensor = |w: Writer, name: &str, dims: &[u64], scale: f32| {
        if !left_out.is_empty() && name.ends_with(&format!(".{left_out}")) {
            return w;
        }
        let n = dims.iter().product::<u64>() as usize;
        w.tensor(name, dims, Type::F32, &random_f32(&mut rng, n, scale)).unwrap()
    };
    let (d, f, v) = (N_EMBD as u64, N_FF as u64, N_VOCAB as u64);
    w = tensor(w, "token_embd.weight", &[d, v], 1.0);
    w = tensor(w, "output_norm.weight", &[d], 1.0);
    if !tied {
        w = tensor(w, "output.weight", &[d, v], 0.5);
    }
    for i in 0..2 {
        let t = |s: &str| format!("blk.{i}.{s}");
        w = tensor(w, &t("attn_norm.weight"), &[d], 1.0);
        w = tensor(w, &t("attn_q.weight"), &[d, d], 0.3);
        w = tensor(w, &t("attn_k.weight"), &[d, d / 2], 0.3);
        w = tensor(w, &t("attn_v.weight"), &[d, d / 2], 0.3);
        w = tensor(w, &t("attn_output.weight"), &[d, d], 0.3);
        w = tensor(w, &t("ffn_norm.weight"), &[d], 1.0);
        w = tensor(w, &t("ffn_gate.weight"), &[d, f], 0.3);
        w = tensor(w, &t("ffn_up.weight"), &[d, f], 0.3);
        w = tensor(w, &t("ffn_down.weight"), &[f, d], 0.3);
        if arch == Arch::Qwen2 {
            for (b, n) in [("attn_q.bias", d), ("attn_k.bias", d / 2), ("attn_v.bias", d / 2)] {
                w = tensor(w, &t(b), &[n], 0.1);
            }
        }
        if arch == Arch::Gemma2 {
            w = tensor(w, &t("post_attention_norm.weight"), &[d], 1.0);
            w = tensor(w, &t("post_ffw_norm.weight"), &[d], 1.0);
        }
    }
    w
}

fn load(w: &Writer) -> Result<CpuModel, LoadError> {
    CpuModel::from_bytes(&w.to_bytes())
}

fn run(model: &CpuModel, tokens: &[u32]) -> Vec<Vec<f32>> {
    let mut cache = model.cache(32);
    tokens.iter().map(|&t| model.forward(&mut cache, t).unwrap()).collect()
}

#[test]
fn every_architecture_loads_and_produces_finite_logits_over_the_vocabulary() {
    for arch in Arch::ALL {
        let model = load(&tiny(arch, false)).unwrap();
        for row in run(&model, &[1, 2, 3, 4, 5]) {
            assert_eq!(row.len(), N_VOCAB);
            assert!(row.iter().all(|l| l.is_finite()), "{arch}");
        }
    }
}

#[test]
fn gemma2_gets_its_defaults_and_scaled_embeddings() {
    let c = load(&tiny(Arch::Gemma2, true)).unwrap().config;
    assert_eq!((c.attn_softcap, c.final_softcap, c.sliding_window), (Some(50.0), Some(30.0), Some(3)));
    assert_eq!(c.embd_scale, Some((N_EMBD as f32).sqrt()));
    assert!(c.is_sliding(0) && !c.is_sliding(1));
    assert_eq!(c.rope.layout, RopeLayout::NeoX);
}

#[test]
fn gemma2_logits_stay_within_the_final_soft_cap() {
    let model = load(&tiny(Arch::Gemma2, true)).unwrap();
    assert!(run(&model, &[1, 2, 3]).iter().flatten().all(|l| l.abs() < 30.0));
}

#[test]
fn a_missing_output_matrix_ties_the_output_to_the_embeddings() {
    let untied = tiny(Arch::Llama, true);
    let embd = crate::gguf::File::parse(&untied.to_bytes()).unwrap();
    let bytes = untied.to_bytes();
    let info = embd.tensor("token_embd.weight").unwrap();
    let explicit =
        untied.clone().tensor("output.weight", info.dims(), Type::F32, embd.tensor_data(&bytes, info).unwrap());
    let a = run(&load(&tiny(Arch::Llama, true)).unwrap(), &[3, 1]);
    let b = run(&load(&explicit.unwrap()).unwrap(), &[3, 1]);
    assert_eq!(a, b);
}

#[test]
fn truncating_the_cache_replays_the_same_logits() {
    let model = load(&tiny(Arch::Qwen2, false)).unwrap();
    let mut cache = model.cache(8);
    for t in [1, 2, 3] {
        model.forward(&mut cache, t).unwrap();
    }
    let first = model.forward(&mut cache, 4).unwrap();
    cache.truncate(3);
    assert_eq!(model.forward(&mut cache, 4).unwrap(), first);
}

#[test]
fn the_sliding_window_changes_only_positions_past_the_window() {
    let narrow = load(&tiny(Arch::Gemma2, true)).unwrap();
    let wide = load(&tiny(Arch::Gemma2, true).metadata("gemma2.attention.sliding_window", 64u32)).unwrap();
    let tokens = [1, 2, 3, 4, 5, 6];
    let (a, b) = (run(&narrow, &tokens), run(&wide, &tokens));
    assert_eq!(a[..3], b[..3], "within the window of 3 both models see everything");
    assert_ne!(a[3], b[3], "at position 3 the narrow window drops position 0");
}

#[test]
fn a_token_outside_the_vocabulary_is_refused() {
    let model = load(&tiny(Arch::Llama, false)).unwrap();
    let mut cache = model.cache(4);
    assert_eq!(
        model.forward(&mut cache, N_VOCAB as u32),
        Err(ForwardError::TokenOutOfRange { token: N_VOCAB as u32, n_vocab: N_VOCAB })
    );
    assert!(cache.is_empty());
}

#[test]
fn a_full_context_is_refused() {
    let model = load(&tiny(Arch::Llama, false)).unwrap();
    let mut cache = model.cache(1);
    model.forward(&mut cache, 1).unwrap();
    assert_eq!(model.forward(&mut cache, 1), Err(ForwardError::ContextFull { n_ctx: 1 }));
}

#[test]
fn an_unknown_architecture_is_named_in_the_error() {
    let w = tiny(Arch::Llama, false).metadata("general.architecture", "mamba");
    let err = load(&w).err().unwrap().to_string();
    assert!(err.contains("\"mamba\"") && err.contains("not supported"), "{err}");
}

#[test]
fn a_tensor_whose_shape_disagrees_with_the_metadata_is_refused() {
    let w = tiny(Arch::Llama, false).metadata("llama.feed_forward_length", 32u32);
    let err = load(&w).err().unwrap().to_string();
    assert!(err.contains("ffn_gate") && err.contains("shape"), "{err}");
}

#[test]
fn qwen2_without_its_biases_is_refused() {
    let err = load(&tiny_without(Arch::Qwen2, false, "attn_q.bias")).err().unwrap().to_string();
    assert!(err.contains("blk.0.attn_q.bias is missing"), "{err}");
}

#[test]
fn an_implausible_size_is_refused_before_anything_is_allocated() {
    let w = tiny(Arch::Llama, false).metadata("llama.block_count", u64::MAX);
    let err = load(&w).err().unwrap().to_string();
    assert!(err.contains("block_count"), "{err}");
}

#[test]
fn the_kv_cache_costs_keys_and_values_of_every_layer_per_position() {
    let config = load(&tiny(Arch::Llama, false)).unwrap().config;
    // 2 layers, 2 KV heads of 8 dimensions, keys and values, 4 bytes each.
    assert_eq!(config.kv_bytes_per_position(), 2 * 2 * 16 * 4);
}

#[test]
fn the_context_is_what_fits_the_budget_within_its_bounds() {
    let config = load(&tiny(Arch::Llama, false)).unwrap().config;
    let per = config.kv_bytes_per_position();
    assert_eq!(config.context_within(per * 3000), 2816);
    assert_eq!(config.context_within(per * 100), MIN_CONTEXT);
    assert_eq!(config.context_within(u64::MAX), MAX_CONTEXT);
}
