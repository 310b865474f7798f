//! Our dequantization and quantization against the oracle, PyPI `gguf`'s numpy implementation (version in
//! `golden/quant/VERSIONS`), on random blocks written by `golden/make_quant_goldens.py`. The blocks sit
//! in a GGUF file written by `gguf.GGUFWriter`, so reading it also tests our parser on a file no one
//! here wrote.
#![cfg(not(target_arch = "wasm32"))] // reads files and runs native oracles

use mindseye_core::gguf::{self, Array, Value};
use mindseye_core::quant::{self, Type};
use std::path::PathBuf;

fn dir() -> PathBuf {
    mindseye_tests::golden().join("quant")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn oracle_file() -> (Vec<u8>, gguf::File) {
    let bytes = read("blocks.gguf");
    let file = gguf::File::parse(&bytes).expect("the oracle's GGUF parses");
    (bytes, file)
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Bit-for-bit, except that any NaN equals any NaN: NaN payloads are not part of the contract.
fn assert_same_floats(ty: Type, ours: &[f32], oracle: &[f32]) {
    assert_eq!(ours.len(), oracle.len(), "{ty}");
    for (i, (a, b)) in ours.iter().zip(oracle).enumerate() {
        let same = a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(same, "{ty} element {i}: ours {a:e} ({:#010x}), oracle {b:e} ({:#010x})", a.to_bits(), b.to_bits());
    }
}

fn dequantizes_like_the_oracle(ty: Type) {
    let (bytes, file) = oracle_file();
    let tensor = file.tensor(ty.name()).unwrap_or_else(|| panic!("no {ty} tensor"));
    assert_eq!(tensor.ty(), ty);
    let mut ours = vec![0.0; tensor.n_elements() as usize];
    quant::dequantize(ty, file.tensor_data(&bytes, tensor).unwrap(), &mut ours).unwrap();
    assert_same_floats(ty, &ours, &f32s(&read(&format!("{ty}.f32"))));
}

#[test]
fn f32_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::F32);
}

#[test]
fn f16_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::F16);
}

#[test]
fn bf16_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::BF16);
}

#[test]
fn q8_0_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q8_0);
}

#[test]
fn q4_0_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q4_0);
}

#[test]
fn q4_1_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q4_1);
}

#[test]
fn q5_0_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q5_0);
}

#[test]
fn q5_1_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q5_1);
}

#[test]
fn q4_k_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q4_K);
}

#[test]
fn q5_k_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q5_K);
}

#[test]
fn q6_k_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q6_K);
}

#[test]
fn q2_k_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q2_K);
}

#[test]
fn q3_k_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::Q3_K);
}

#[test]
fn iq4_nl_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ4_NL);
}

#[test]
fn iq4_xs_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ4_XS);
}

#[test]
fn iq3_s_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ3_S);
}

#[test]
fn iq3_xxs_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ3_XXS);
}

#[test]
fn iq2_xxs_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ2_XXS);
}

#[test]
fn iq2_xs_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ2_XS);
}

#[test]
fn iq2_s_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ2_S);
}

#[test]
fn iq1_s_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ1_S);
}

#[test]
fn iq1_m_dequantizes_like_the_oracle() {
    dequantizes_like_the_oracle(Type::IQ1_M);
}

fn quantizes_like_the_oracle(ty: Type) {
    let (bytes, file) = oracle_file();
    let input = f32s(file.tensor_data(&bytes, file.tensor("quantize.input").unwrap()).unwrap());
    let mut ours = vec![0u8; ty.n_bytes(input.len() as u64).unwrap() as usize];
    quant::quantize(ty, &input, &mut ours).unwrap();
    let oracle = read(&format!("quantize_{ty}.bin"));
    for (i, (a, b)) in ours.chunks(ty.block_bytes()).zip(oracle.chunks(ty.block_bytes())).enumerate() {
        assert_eq!(a, b, "{ty} block {i}");
    }
    assert_eq!(ours.len(), oracle.len());
}

#[test]
fn q8_0_quantizes_like_the_oracle() {
    quantizes_like_the_oracle(Type::Q8_0);
}

#[test]
fn q4_0_quantizes_like_the_oracle() {
    quantizes_like_the_oracle(Type::Q4_0);
}

#[test]
fn a_file_written_by_the_oracle_reads_back_with_every_metadata_type() {
    let (_, file) = oracle_file();
    assert_eq!(file.version(), 3);
    assert_eq!(file.architecture(), Ok("oracle"));
    let expected: [(&str, Value); 16] = [
        ("test.u8", 200u8.into()),
        ("test.i8", (-100i8).into()),
        ("test.u16", 60000u16.into()),
        ("test.i16", (-30000i16).into()),
        ("test.u32", 4_000_000_000u32.into()),
        ("test.i32", (-2_000_000_000i32).into()),
        ("test.u64", (1u64 << 63).into()),
        ("test.i64", (-(1i64 << 62)).into()),
        ("test.f32", 0.1f32.into()),
        ("test.f64", 0.1f64.into()),
        ("test.bool", true.into()),
        ("test.string", "grüße, 世界".into()),
        ("test.strings", vec!["a".to_owned(), String::new(), "ü".to_owned()].into()),
        ("test.i32s", vec![1i32, -2, 3].into()),
        ("test.f32s", vec![0.5f32, -1.5].into()),
        ("test.nested", vec![Array::from(vec![1i32, 2]), Array::from(vec![3i32])].into()),
    ];
    for (key, value) in expected {
        assert_eq!(file.get(key), Some(&value), "{key}");
    }
}
