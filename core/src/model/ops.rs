//! The arithmetic of the CPU reference, one small function per operation, written to be read.
//!
//! Where ggml's reference C code fixes an order or a precision (RMSNorm's double sum, RoPE's angle
//! recurrence), it is followed, so the remaining difference from llama.cpp is its quantized activations.

use super::config::{Rope, RopeLayout};
use crate::quant::{self, Type};

/// One weight matrix (or vector) held as its GGUF bytes: `rows` rows of `cols` contiguous elements.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub ty: Type,
    pub cols: usize,
    pub rows: usize,
    pub data: Vec<u8>,
}

impl Tensor {
    /// `data` must hold exactly `cols * rows` elements of `ty`; checked by [`Tensor::new`].
    pub fn new(ty: Type, cols: usize, rows: usize, data: Vec<u8>) -> Result<Tensor, quant::Error> {
        let expected = cols.checked_mul(rows).and_then(|n| ty.n_bytes(n as u64));
        if expected != Some(data.len() as u64) || !cols.is_multiple_of(ty.block_size()) {
            return Err(quant::Error::WrongLength {
                ty,
                elements: cols.saturating_mul(rows),
                expected: expected.unwrap_or(0),
                found: data.len(),
            });
        }
        // Fails now, at load, for types we cannot dequantize, not in the middle of a forward pass.
        let mut probe = vec![0.0; ty.block_size()];
        quant::dequantize(ty, &data[..ty.block_bytes().min(data.len())], &mut probe[..])?;
        Ok(Tensor { ty, cols, rows, data })
    }

    fn row_bytes(&self) -> usize {
        self.cols / self.ty.block_size() * self.ty.block_bytes()
    }

    /// Row `r` as f32.
    pub fn row(&self, r: usize, out: &mut [f32]) {
        let bytes = &self.data[r * self.row_bytes()..(r + 1) * self.row_bytes()];
        // The length and type were checked in `new`.
        quant::dequantize(self.ty, bytes, out).expect("checked at load");
    }

    /// The whole tensor as f32 (norm weights, biases, RoPE factors).
    pub fn to_f32(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.cols * self.rows];
        for (r, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.row(r, row);
        }
        out
    }

    /// `y = W x`: one dot product per row, each row dequantized on the fly.
    pub fn matvec(&self, x: &[f32]) -> Vec<f32> {
        self.matvec_rounded(x, Rounding::F32)
    }

    /// [`Tensor::matvec`] with the activations first rounded as `rounding` says.
    pub fn matvec_rounded(&self, x: &[f32], rounding: Rounding) -> Vec<f32> {
        assert_eq!(x.len(), self.cols, "matvec input width");
        let rounded;
        let x = match rounding {
            Rounding::F32 => x,
            Rounding::LikeGgmlCpu => {
                rounded = round_like_ggml(self.ty, x);
                &rounded
            }
        };
        let mut row = vec![0.0; self.cols];
        (0..self.rows)
            .map(|r| {
                self.row(r, &mut row);
                dot(&row, x)
            })
            .collect()
    }
}

/// How activations are rounded before a matrix product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Rounding {
    /// Kept in f32: the reference, and what the GPU engine computes.
    #[default]
    F32,
    /// As llama.cpp's CPU backend does: quantized to the weight type's partner for integer dot products
    /// (Q8_0 blocks for Q4_0/Q8_0 weights, Q8_K for K-quants, f16 for F16), and GELU through its f16
    /// table. Used only to show that this rounding is the whole difference from llama.cpp's logits.
    LikeGgmlCpu,
}

/// `x` quantized and dequantized the way ggml prepares it for a dot product with weights of type `ty`
/// (`quantize_row_q8_0_ref`, `quantize_row_q8_K_ref`).
fn round_like_ggml(ty: Type, x: &[f32]) -> Vec<f32> {
    match ty {
        Type::Q4_0 | Type::Q4_1 | Type::IQ4_NL | Type::Q5_0 | Type::Q5_1 | Type::Q8_0 => x
            .chunks(32)
            .flat_map(|block| {
                let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                let d16 = half::f16::from_f32(d).to_f32();
                block.iter().map(move |v| (v * id).round() * d16)
            })
            .collect(),
        Type::Q4_K
        | Type::Q5_K
        | Type::Q6_K
        | Type::Q2_K
        | Type::Q3_K
        | Type::IQ4_XS
        | Type::IQ3_S
        | Type::IQ3_XXS
        | Type::IQ2_S
        | Type::IQ2_XS
        | Type::IQ2_XXS
        | Type::IQ1_M
        | Type::IQ1_S => x
            .chunks(256)
            .flat_map(|block| {
                let (mut amax, mut max) = (0.0f32, 0.0f32);
                for &v in block {
                    if v.abs() > amax {
                        (amax, max) = (v.abs(), v);
                    }
                }
                let iscale = if amax != 0.0 { -127.0 / max } else { 0.0 };
                let d = if amax != 0.0 { 1.0 / iscale } else { 0.0 };
                block.iter().map(move |v| ((iscale * v).round_ties_even().min(127.0)) * d)
            })
            .collect(),
        Type::F16 => x.iter().map(|&v| half::f16::from_f32(v).to_f32()).collect(),
        Type::BF16 => x.iter().map(|&v| half::bf16::from_f32(v).to_f32()).collect(),
        _ => x.to_vec(),
    }
}

/// GELU as ggml's CPU backend computes it: through a table indexed by the f16 input, holding f16 outputs.
pub fn gelu_like_ggml(x: f32) -> f32 {
    if x <= -10.0 {
        0.0
    } else if x >= 10.0 {
        x
    } else {
        let x16 = half::f16::from_f32(x).to_f32();
        half::f16::from_f32(gelu(x16)).to_f32()
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `x / sqrt(mean(x^2) + eps) * w`; the sum of squares is accumulated in f64, as ggml does.
pub fn rms_norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let sum: f64 = x.iter().map(|&v| f64::from(v * v)).sum();
    let mean = (sum / x.len() as f64) as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    x.iter().zip(w).map(|(v, w)| v * scale * w).collect()
}

pub fn add_in_place(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Rotates each head of `x` (`n_heads` heads of `head_dim`) by the angles of position `pos`.
///
/// The angle of pair `i` is `pos * base^(-2i/n_rot) / factor[i]`, computed by the same f32 recurrence
/// as ggml's rope cache so that long positions round alike.
pub fn rope(x: &mut [f32], head_dim: usize, pos: usize, rope: &Rope, factors: Option<&[f32]>) {
    let theta_scale = rope.freq_base.powf(-2.0 / rope.n_rot as f32);
    let mut angles = Vec::with_capacity(rope.n_rot / 2);
    let mut theta = pos as f32;
    for i in 0..rope.n_rot / 2 {
        let factor = factors.map_or(1.0, |f| f[i]);
        angles.push(((theta / factor).cos(), (theta / factor).sin()));
        theta *= theta_scale;
    }
    for head in x.chunks_exact_mut(head_dim) {
        for (i, &(cos, sin)) in angles.iter().enumerate() {
            let (a, b) = match rope.layout {
                RopeLayout::Interleaved => (2 * i, 2 * i + 1),
                RopeLayout::NeoX => (i, i + rope.n_rot / 2),
            };
            let (x0, x1) = (head[a], head[b]);
            head[a] = x0 * cos - x1 * sin;
            head[b] = x0 * sin + x1 * cos;
        }
    }
}

/// Numerically stable softmax in place: the maximum is subtracted before exponentiating.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f64;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    let inv = (1.0 / sum) as f32;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// `cap * tanh(x / cap)`: squashes `x` smoothly into `(-cap, cap)`.
pub fn softcap(x: f32, cap: f32) -> f32 {
    cap * (x / cap).tanh()
}

pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// GELU, tanh approximation (what ggml's `gelu` and Gemma's `gelu_pytorch_tanh` compute).
pub fn gelu(x: f32) -> f32 {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    0.5 * x * (1.0 + (SQRT_2_OVER_PI * x * (1.0 + 0.044_715 * x * x)).tanh())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-5 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn rms_norm_makes_the_root_mean_square_one() {
        let y = rms_norm(&[3.0, -4.0, 0.0, 5.0], &[1.0; 4], 0.0);
        let rms = (y.iter().map(|v| v * v).sum::<f32>() / 4.0).sqrt();
        assert!(close(rms, 1.0), "{rms}");
    }

    #[test]
    fn softmax_survives_huge_logits_and_sums_to_one() {
        let mut x = [1000.0, 1001.0, -1000.0];
        softmax(&mut x);
        assert!(x.iter().all(|v| v.is_finite()));
        assert!(close(x.iter().sum(), 1.0));
        assert!(close(x[1] / x[0], std::f32::consts::E));
    }

    #[test]
    fn rope_at_position_zero_is_the_identity() {
        let rope = Rope { layout: RopeLayout::NeoX, n_rot: 4, freq_base: 10_000.0 };
        let mut x = [1.0, 2.0, 3.0, 4.0];
        super::rope(&mut x, 4, 0, &rope, None);
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn rope_rotates_the_first_pair_by_the_position_in_radians() {
        for (layout, pair) in [(RopeLayout::Interleaved, (0, 1)), (RopeLayout::NeoX, (0, 2))] {
            let rope = Rope { layout, n_rot: 4, freq_base: 10_000.0 };
            let mut x = [0.0; 4];
            x[pair.0] = 1.0;
            super::rope(&mut x, 4, 3, &rope, None);
            assert!(close(x[pair.0], 3f32.cos()) && close(x[pair.1], 3f32.sin()), "{layout:?}: {x:?}");
        }
    }

    #[test]
    fn rope_leaves_dimensions_past_n_rot_alone() {
        let rope = Rope { layout: RopeLayout::NeoX, n_rot: 2, freq_base: 10_000.0 };
        let mut x = [1.0, 1.0, 7.0, 8.0];
        super::rope(&mut x, 4, 5, &rope, None);
        assert_eq!(&x[2..], &[7.0, 8.0]);
    }

    #[test]
    fn rope_factors_divide_the_angle() {
        let rope = Rope { layout: RopeLayout::Interleaved, n_rot: 2, freq_base: 10_000.0 };
        let mut x = [1.0, 0.0];
        super::rope(&mut x, 2, 4, &rope, Some(&[2.0]));
        assert!(close(x[0], 2f32.cos()) && close(x[1], 2f32.sin()));
    }

    #[test]
    fn softcap_is_bounded_and_near_identity_for_small_values() {
        assert!(softcap(1e9, 30.0) <= 30.0);
        assert!(close(softcap(0.01, 30.0), 0.01));
    }

    #[test]
    fn matvec_of_a_q8_0_matrix_matches_its_dequantized_rows() {
        let values: Vec<f32> = (0..64).map(|i| (i as f32 - 32.0) / 8.0).collect();
        let mut data = vec![0; 68];
        crate::quant::quantize(Type::Q8_0, &values, &mut data).unwrap();
        let w = Tensor::new(Type::Q8_0, 32, 2, data).unwrap();
        let dense = w.to_f32();
        let x: Vec<f32> = (0..32).map(|i| i as f32 / 32.0).collect();
        let y = w.matvec(&x);
        assert!(close(y[0], dot(&dense[..32], &x)) && close(y[1], dot(&dense[32..], &x)));
    }

    #[test]
    fn a_tensor_with_the_wrong_byte_count_is_refused() {
        assert!(Tensor::new(Type::Q8_0, 32, 2, vec![0; 67]).is_err());
        assert!(Tensor::new(Type::Q8_0, 33, 1, vec![0; 34]).is_err());
    }
}
