//! Random weights of any type the engine reads, for `mindseye bench kernels` and the kernel tests:
//! random quants behind f16 scales of realistic size at the offsets ggml's block layouts give them
//! (`ggml-common.h`). Random bytes in a scale would make NaN, infinite or subnormal scales, which
//! mean nothing and slow a CPU adapter down.

use super::{Error, Type, quantize};
use crate::random::SplitMix64;
use half::{bf16, f16};

/// GGUF bytes of `n` random weights of type `ty`: values uniform in [-1, 1) for the float types
/// and, quantized, for Q8_0 and Q4_0; random quants with each block's scales (and mins) drawn
/// around their type's typical magnitude for the other types the engine reads.
pub fn random_weights(ty: Type, n: usize, rng: &mut SplitMix64) -> Result<Vec<u8>, Error> {
    let bytes = ty.n_bytes(n as u64).ok_or(Error::NotWholeBlocks { ty, elements: n })? as usize;
    match ty {
        Type::F32 => return Ok((0..n).flat_map(|_| unit(rng).to_le_bytes()).collect()),
        Type::F16 => return Ok((0..n).flat_map(|_| f16::from_f32(unit(rng)).to_le_bytes()).collect()),
        Type::BF16 => return Ok((0..n).flat_map(|_| bf16::from_f32(unit(rng)).to_le_bytes()).collect()),
        Type::Q8_0 | Type::Q4_0 => {
            let values: Vec<f32> = (0..n).map(|_| unit(rng)).collect();
            let mut out = vec![0; bytes];
            quantize(ty, &values, &mut out)?;
            return Ok(out);
        }
        _ => {}
    }
    // (byte offset in the block, typical value) of each f16 scale or min.
    let scales: &[(usize, f32)] = match ty {
        Type::Q5_0 | Type::IQ4_NL => &[(0, 0.03)],
        Type::Q4_1 | Type::Q5_1 => &[(0, 0.03), (2, -0.25)],
        Type::Q2_K => &[(80, 0.0015), (82, 0.0015)],
        Type::Q3_K => &[(108, 0.0015)],
        Type::Q4_K | Type::Q5_K => &[(0, 0.007), (2, 0.007)],
        Type::Q6_K => &[(208, 0.0007)],
        Type::IQ4_XS | Type::IQ3_S | Type::IQ3_XXS | Type::IQ2_S | Type::IQ2_XS | Type::IQ2_XXS => &[(0, 0.0015)],
        Type::IQ1_S => &[(0, 0.004)],
        Type::IQ1_M => &[], // its d is spread over its scales: below
        _ => return Err(Error::Unsupported(ty)),
    };
    let mut out: Vec<u8> = (0..bytes).map(|_| rng.next_u64() as u8).collect();
    for block in out.chunks_exact_mut(ty.block_bytes()) {
        for &(at, typical) in scales {
            block[at..at + 2].copy_from_slice(&f16::from_f32(around(typical, rng)).to_le_bytes());
        }
        if ty == Type::IQ1_M {
            // Nibble i of d is the top nibble of scales word i (bytes 48..56), the first's lowest.
            let d = f16::from_f32(around(0.004, rng)).to_bits();
            for i in 0..4 {
                block[49 + 2 * i] = (block[49 + 2 * i] & 0x0F) | (((d >> (4 * i)) & 0x0F) as u8) << 4;
            }
        }
    }
    Ok(out)
}

/// Uniform in [-1, 1), from 24 random bits (exact in f32).
fn unit(rng: &mut SplitMix64) -> f32 {
    (rng.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
}

/// Uniform between half and one and a half times `typical`.
fn around(typical: f32, rng: &mut SplitMix64) -> f32 {
    typical * (0.5 + unit(rng).abs())
}
