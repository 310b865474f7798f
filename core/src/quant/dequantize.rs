//! Dequantization, one function per block layout, each a transcription of ggml's `dequantize_row_*`
//! (ggml-quants.c). Float operations are kept in ggml's order so results match bit for bit.

use super::{Error, IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID, Type};
use half::{bf16, f16};

/// Converts `bytes`, holding `out.len()` elements of type `ty`, to f32.
///
/// NaN inputs (possible only in F32, F16 and BF16 data or in block scales) come out as NaN, but the
/// NaN payload is not guaranteed to match ggml's, which itself differs between CPUs.
pub fn dequantize(ty: Type, bytes: &[u8], out: &mut [f32]) -> Result<(), Error> {
    let block_fn: fn(&[u8], &mut [f32]) = match ty {
        Type::F32 => |b, y| y[0] = f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        Type::F16 => |b, y| y[0] = f16_at(b, 0),
        Type::BF16 => |b, y| y[0] = bf16::from_le_bytes([b[0], b[1]]).to_f32(),
        Type::Q8_0 => q8_0,
        Type::Q4_0 => q4_0,
        Type::Q4_1 => q4_1,
        Type::Q5_0 => q5_0,
        Type::Q5_1 => q5_1,
        Type::IQ4_NL => iq4_nl,
        Type::IQ4_XS => iq4_xs,
        Type::IQ3_S => iq3_s,
        Type::IQ3_XXS => iq3_xxs,
        Type::IQ2_XXS => iq2_xxs,
        Type::IQ2_XS => iq2_xs,
        Type::IQ2_S => iq2_s,
        Type::IQ1_S => iq1_s,
        Type::IQ1_M => iq1_m,
        Type::Q2_K => q2_k,
        Type::Q3_K => q3_k,
        Type::Q4_K => q4_k,
        Type::Q5_K => q5_k,
        Type::Q6_K => q6_k,
        _ => return Err(Error::Unsupported(ty)),
    };
    ty.blocks(out.len(), bytes.len())?;
    for (block, y) in bytes.chunks_exact(ty.block_bytes()).zip(out.chunks_exact_mut(ty.block_size())) {
        block_fn(block, y);
    }
    Ok(())
}

fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// d: f16, qs: 32 × i8.
fn q8_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (y, &q) in y.iter_mut().zip(&b[2..34]) {
        *y = q as i8 as f32 * d;
    }
}

/// d: f16, qs: 16 bytes; element j is the low nibble of qs[j], element j + 16 the high one.
fn q4_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (j, &q) in b[2..18].iter().enumerate() {
        y[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
        y[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
    }
}

/// d: f16, m: f16, qs: 16 bytes of unsigned nibbles.
fn q4_1(b: &[u8], y: &mut [f32]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    for (j, &q) in b[4..20].iter().enumerate() {
        y[j] = (q & 0x0F) as f32 * d + m;
        y[j + 16] = (q >> 4) as f32 * d + m;
    }
}

/// IQ4_NL's 16 levels, denser near zero than Q4_0's evenly spaced ones (ggml's `kvalues_iq4nl`).
pub(crate) const IQ4_NL_LEVELS: [i8; 16] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/// d: f16, qs: 16 bytes of nibbles in Q4_0's order, each an index into [`IQ4_NL_LEVELS`].
fn iq4_nl(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (j, &q) in b[2..18].iter().enumerate() {
        y[j] = d * IQ4_NL_LEVELS[(q & 0x0F) as usize] as f32;
        y[j + 16] = d * IQ4_NL_LEVELS[(q >> 4) as usize] as f32;
    }
}

/// d: f16, scales_h: u16, scales_l: 4 bytes, qs: 128 bytes; eight 32-element units laid out as
/// IQ4_NL blocks without their scales: unit u's nibbles are qs[16u..16u + 16] in Q4_0's order and
/// its 6-bit scale, offset by 32, is nibble u of scales_l (low four bits) and bits 2u of scales_h.
fn iq4_xs(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let scales_h = u16::from_le_bytes([b[2], b[3]]);
    for (u, (q, y)) in b[8..136].chunks_exact(16).zip(y.chunks_exact_mut(32)).enumerate() {
        let low = (b[4 + u / 2] >> (4 * (u % 2))) & 0x0F;
        let high = ((scales_h >> (2 * u)) & 3) as u8;
        let dl = d * ((low | high << 4) as i32 - 32) as f32;
        for (j, &q) in q.iter().enumerate() {
            y[j] = dl * IQ4_NL_LEVELS[(q & 0x0F) as usize] as f32;
            y[j + 16] = dl * IQ4_NL_LEVELS[(q >> 4) as usize] as f32;
        }
    }
}

/// d: f16, qs: 64 bytes, qh: 8 bytes, signs: 32 bytes, scales: 4 bytes. Each 32-element unit u
/// is four groups of 8 values, each two grid points of [`IQ3S_GRID`] with a sign per value: group
/// l's points are entries qs[8u + 2l] and qs[8u + 2l + 1], each with a ninth index bit from bits
/// 2l and 2l + 1 of qh[u]; signs[4u + l] bit k negates value k; the unit's scale is
/// d * (1 + 2 * nibble u of the scales).
fn iq3_s(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let (qs, qh, signs, scales) = (&b[2..66], &b[66..74], &b[74..106], &b[106..110]);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let db = d * (1 + 2 * ((scales[u / 2] >> (4 * (u % 2))) & 0x0F)) as f32;
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let point = |p: usize| {
                let high = ((qh[u] >> (2 * l + p)) & 1) as usize;
                IQ3S_GRID[qs[8 * u + 2 * l + p] as usize | high << 8]
            };
            signed_points(y, db, [point(0), point(1)], signs[4 * u + l]);
        }
    }
}

/// Eight values of a grid type: the bytes of two grid `points` (four values each, the first in the
/// low byte), value k negated where bit k of `signs` is set, scaled by `db`.
fn signed_points(y: &mut [f32], db: f32, points: [u32; 2], signs: u8) {
    let values = points.iter().flat_map(|p| p.to_le_bytes());
    for (k, (y, g)) in y.iter_mut().zip(values).enumerate() {
        let negative = signs & (1 << k) != 0;
        *y = db * g as f32 * if negative { -1.0 } else { 1.0 };
    }
}

/// d: f16, qs: 64 bytes, then 32 bytes of scales and signs, a word per 32-element unit. Unit u is
/// four groups of 8 values, each two points of [`IQ3XXS_GRID`] (entries qs[8u + 2l] and
/// qs[8u + 2l + 1]); bits 7l..7l + 7 of word u give group l's signs as seven bits and an eighth
/// that makes their count even (ggml's `ksigns_iq2xs`), bit k negating value k; the word's top four
/// bits s scale the unit by d * (0.5 + s) * 0.5.
fn iq3_xxs(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let qs = &b[2..66];
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let word = u32_at(b, 66 + 4 * u);
        let db = d * (0.5 + (word >> 28) as f32) * 0.5;
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let point = |p: usize| IQ3XXS_GRID[qs[8 * u + 2 * l + p] as usize];
            signed_points(y, db, [point(0), point(1)], even_signs(word >> (7 * l)));
        }
    }
}

/// The sign byte of eight values stored as seven bits (the low seven of `seven`): the eighth
/// makes the count of negatives even (ggml's `ksigns_iq2xs`).
fn even_signs(seven: u32) -> u8 {
    let seven = seven & 127;
    (seven | (seven.count_ones() & 1) << 7) as u8
}

/// An eight-value grid entry as the two four-value points [`signed_points`] takes.
fn halves(entry: u64) -> [u32; 2] {
    [entry as u32, (entry >> 32) as u32]
}

/// The two scales of a unit of the IQ2 types with 4-bit scales, one per half (16 values):
/// d * (0.5 + nibble) * 0.25, low nibble first.
fn iq2_scales(d: f32, scales: u8) -> [f32; 2] {
    [d * (0.5 + (scales & 0x0F) as f32) * 0.25, d * (0.5 + (scales >> 4) as f32) * 0.25]
}

/// d: f16, then two words per 32-element unit: the first's four bytes index [`IQ2XXS_GRID`], an
/// eight-value entry for each group l of 8 values; the second holds group l's signs as seven bits
/// at 7l (see [`even_signs`]) and in its top four bits s the unit's scale d * (0.5 + s) * 0.25.
fn iq2_xxs(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let (grid, word) = (&b[2 + 8 * u..6 + 8 * u], u32_at(b, 6 + 8 * u));
        let db = d * (0.5 + (word >> 28) as f32) * 0.25;
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            signed_points(y, db, halves(IQ2XXS_GRID[grid[l] as usize]), even_signs(word >> (7 * l)));
        }
    }
}

/// d: f16, qs: 32 u16, scales: 8 bytes. Group l of 8 values of unit u is qs[4u + l]: its low nine
/// bits index [`IQ2XS_GRID`], its top seven are the group's signs (see [`even_signs`]); scales[u]
/// scales the unit's halves (see [`iq2_scales`]).
fn iq2_xs(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let db = iq2_scales(d, b[66 + u]);
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let q = u16::from_le_bytes([b[2 + 8 * u + 2 * l], b[3 + 8 * u + 2 * l]]);
            signed_points(y, db[l / 2], halves(IQ2XS_GRID[(q & 511) as usize]), even_signs(u32::from(q >> 9)));
        }
    }
}

/// d: f16, qs: 32 bytes, signs: 32 bytes, qh: 8 bytes, scales: 8 bytes. Group l of 8 values of
/// unit u is entry qs[4u + l] of [`IQ2S_GRID`], with bits 2l and 2l + 1 of qh[u] as its ninth and
/// tenth index bits, signed by signs[4u + l] (bit k negating value k); scales[u] scales the unit's
/// halves (see [`iq2_scales`]).
fn iq2_s(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    let (qs, signs, qh, scales) = (&b[2..34], &b[34..66], &b[66..74], &b[74..82]);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let db = iq2_scales(d, scales[u]);
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let index = qs[4 * u + l] as usize | (((qh[u] >> (2 * l)) & 3) as usize) << 8;
            signed_points(y, db[l / 2], halves(IQ2S_GRID[index]), signs[4 * u + l]);
        }
    }
}

/// What IQ1_S and IQ1_M add to every grid value before scaling it, with the sign of the value's
/// delta bit (ggml's `IQ1S_DELTA`).
const IQ1_DELTA: f32 = 0.125;

/// Eight values of an IQ1 grid `entry` (each byte an i8: -1, 0 or 1) plus `delta`, scaled by `dl`.
fn shifted_points(y: &mut [f32], dl: f32, entry: u64, delta: f32) {
    for (y, g) in y.iter_mut().zip(entry.to_le_bytes()) {
        *y = dl * (g as i8 as f32 + delta);
    }
}

/// d: f16, qs: 32 bytes, qh: 8 u16. Unit u: bits 12-14 of qh[u] give its scale d * (2s + 1), bit
/// 15 the sign of its delta (±[`IQ1_DELTA`]); its group l of 8 values is entry qs[4u + l] of
/// [`IQ1S_GRID`], with bits 3l .. 3l + 3 of qh[u] above it.
fn iq1_s(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let qh = u16::from_le_bytes([b[34 + 2 * u], b[35 + 2 * u]]);
        let dl = d * (2 * ((qh >> 12) & 7) + 1) as f32;
        let delta = if qh & 0x8000 != 0 { -IQ1_DELTA } else { IQ1_DELTA };
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let index = b[2 + 4 * u + l] as usize | (((qh >> (3 * l)) & 7) as usize) << 8;
            shifted_points(y, dl, IQ1S_GRID[index], delta);
        }
    }
}

/// qs: 32 bytes, qh: 16 bytes, scales: 4 u16, and no d field: d is the f16 whose four nibbles are
/// the scales words' top nibbles, the first's lowest. Unit u: nibble l of qh bytes 2u, 2u + 1 (low
/// nibble first) holds three index bits above qs[4u + l] for its group l of 8 values (an entry of
/// [`IQ1S_GRID`]) and, in bit 3, the sign of the group's delta (±[`IQ1_DELTA`]); bits 6 (u % 2) ..
/// of scales word u / 2 hold s for values 0-15, the three bits above it s for 16-31, each scaling by
/// d * (2s + 1).
fn iq1_m(b: &[u8], y: &mut [f32]) {
    let sc: [u16; 4] = std::array::from_fn(|i| u16::from_le_bytes([b[48 + 2 * i], b[49 + 2 * i]]));
    let d = f16::from_bits((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));
    let d = d.to_f32();
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let s = sc[u / 2] >> (6 * (u % 2));
        let dl = [d * (2 * (s & 7) + 1) as f32, d * (2 * ((s >> 3) & 7) + 1) as f32];
        for (l, y) in y.chunks_exact_mut(8).enumerate() {
            let nibble = (b[32 + 2 * u + l / 2] >> (4 * (l % 2))) & 0x0F;
            let index = b[4 * u + l] as usize | ((nibble & 7) as usize) << 8;
            let delta = if nibble & 8 != 0 { -IQ1_DELTA } else { IQ1_DELTA };
            shifted_points(y, dl[l / 2], IQ1S_GRID[index], delta);
        }
    }
}

/// Bit j of the 32-bit `qh` is the fifth bit of element j.
fn fifth_bits(qh: &[u8], j: usize) -> (u8, u8) {
    let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
    ((((qh >> j) << 4) & 0x10) as u8, ((qh >> (j + 12)) & 0x10) as u8)
}

/// d: f16, qh: u32, qs: 16 bytes; values are 5-bit, offset by 16.
fn q5_0(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 0);
    for (j, &q) in b[6..22].iter().enumerate() {
        let (h0, h1) = fifth_bits(&b[2..6], j);
        y[j] = (((q & 0x0F) | h0) as i32 - 16) as f32 * d;
        y[j + 16] = (((q >> 4) | h1) as i32 - 16) as f32 * d;
    }
}

/// d: f16, m: f16, qh: u32, qs: 16 bytes; values are unsigned 5-bit.
fn q5_1(b: &[u8], y: &mut [f32]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    for (j, &q) in b[8..24].iter().enumerate() {
        let (h0, h1) = fifth_bits(&b[4..8], j);
        y[j] = ((q & 0x0F) | h0) as f32 * d + m;
        y[j + 16] = ((q >> 4) | h1) as f32 * d + m;
    }
}

/// scales: 16 bytes (a 4-bit scale and a 4-bit min per 16 elements), qs: 64 bytes, d: f16, dmin: f16;
/// 2-bit values. Each 128-element half takes 32 bytes of qs four times over, two bits further up
/// each time: element l (0..32) of 32-element unit u is bits 2(u % 4) of qs[32(u / 4) + l], with
/// scale byte 2u + l / 16.
fn q2_k(b: &[u8], y: &mut [f32]) {
    let (d, min) = (f16_at(b, 80), f16_at(b, 82));
    let scales = &b[..16];
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let (q, shift) = (&b[16 + 32 * (u / 4)..48 + 32 * (u / 4)], 2 * (u % 4));
        for (l, y) in y.iter_mut().enumerate() {
            let sc = scales[2 * u + l / 16];
            let (dl, ml) = (d * (sc & 0x0F) as f32, min * (sc >> 4) as f32);
            *y = dl * ((q[l] >> shift) & 3) as f32 - ml;
        }
    }
}

/// The 6-bit signed scale `i` (0..16) of Q3_K's 12 packed bytes: its low four bits are a nibble of
/// bytes 0..8, its high two bits a pair from bytes 8..12 (ggml unpacks them with kmask1/kmask2).
fn scale_k3(i: usize, q: &[u8]) -> f32 {
    let low = (q[i % 8] >> (4 * (i / 8))) & 0x0F;
    let high = (q[8 + i % 4] >> (2 * (i / 4))) & 3;
    ((low | high << 4) as i32 - 32) as f32
}

/// hmask: 32 bytes, qs: 64 bytes, scales: 12 bytes, d: f16; 3-bit values, offset by 4 unless the
/// high bit is set. The low two bits are laid out as Q2_K's; the high bit of element l of unit u is
/// bit u of hmask[l].
fn q3_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 108);
    let (hmask, scales) = (&b[..32], &b[96..108]);
    for (u, y) in y.chunks_exact_mut(32).enumerate() {
        let (q, shift) = (&b[32 + 32 * (u / 4)..64 + 32 * (u / 4)], 2 * (u % 4));
        for (l, y) in y.iter_mut().enumerate() {
            let dl = d * scale_k3(2 * u + l / 16, scales);
            let high = if hmask[l] & (1 << u) != 0 { 0 } else { 4 };
            *y = dl * (((q[l] >> shift) & 3) as i32 - high) as f32;
        }
    }
}

/// The 6-bit scale and min of sub-block `j` (0..8) packed into the 12 `scales` bytes of Q4_K and Q5_K
/// (ggml's `get_scale_min_k4`).
fn scale_min_k4(j: usize, q: &[u8]) -> (f32, f32) {
    let (sc, m) = if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    };
    (sc as f32, m as f32)
}

/// d: f16, dmin: f16, scales: 12 bytes, qs: 128 bytes; eight 32-element sub-blocks, each 64-element
/// group taking the low nibbles of 32 bytes, then their high nibbles.
fn q4_k(b: &[u8], y: &mut [f32]) {
    let (d, min) = (f16_at(b, 0), f16_at(b, 2));
    let scales = &b[4..16];
    for (group, (q, y)) in b[16..144].chunks_exact(32).zip(y.chunks_exact_mut(64)).enumerate() {
        let (sc1, m1) = scale_min_k4(2 * group, scales);
        let (sc2, m2) = scale_min_k4(2 * group + 1, scales);
        let (d1, m1, d2, m2) = (d * sc1, min * m1, d * sc2, min * m2);
        for (l, &q) in q.iter().enumerate() {
            y[l] = d1 * (q & 0x0F) as f32 - m1;
            y[l + 32] = d2 * (q >> 4) as f32 - m2;
        }
    }
}

/// d: f16, dmin: f16, scales: 12 bytes, qh: 32 bytes, qs: 128 bytes; Q4_K plus a fifth bit per value,
/// bit 2g of qh[l] for the low nibbles of group g and bit 2g + 1 for the high ones.
fn q5_k(b: &[u8], y: &mut [f32]) {
    let (d, min) = (f16_at(b, 0), f16_at(b, 2));
    let scales = &b[4..16];
    let qh = &b[16..48];
    for (group, (q, y)) in b[48..176].chunks_exact(32).zip(y.chunks_exact_mut(64)).enumerate() {
        let (sc1, m1) = scale_min_k4(2 * group, scales);
        let (sc2, m2) = scale_min_k4(2 * group + 1, scales);
        let (d1, m1, d2, m2) = (d * sc1, min * m1, d * sc2, min * m2);
        let (u1, u2) = (1u8 << (2 * group), 2u8 << (2 * group));
        for (l, &q) in q.iter().enumerate() {
            let h1 = if qh[l] & u1 != 0 { 16 } else { 0 };
            let h2 = if qh[l] & u2 != 0 { 16 } else { 0 };
            y[l] = d1 * ((q & 0x0F) + h1) as f32 - m1;
            y[l + 32] = d2 * ((q >> 4) + h2) as f32 - m2;
        }
    }
}

/// ql: 128 bytes, qh: 64 bytes, scales: 16 × i8, d: f16; 6-bit values offset by 32, in two halves of
/// 128 elements, each with 64 bytes of ql, 32 of qh and 8 scales.
fn q6_k(b: &[u8], y: &mut [f32]) {
    let d = f16_at(b, 208);
    for half in 0..2 {
        let ql = &b[64 * half..64 * half + 64];
        let qh = &b[128 + 32 * half..128 + 32 * half + 32];
        let sc = &b[192 + 8 * half..192 + 8 * half + 8];
        let y = &mut y[128 * half..128 * half + 128];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0x0F) | (qh[l] & 3) << 4) as i32 - 32;
            let q2 = ((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) as i32 - 32;
            let q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) as i32 - 32;
            let q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) as i32 - 32;
            y[l] = d * sc[is] as i8 as f32 * q1 as f32;
            y[l + 32] = d * sc[is + 2] as i8 as f32 * q2 as f32;
            y[l + 64] = d * sc[is + 4] as i8 as f32 * q3 as f32;
            y[l + 96] = d * sc[is + 6] as i8 as f32 * q4 as f32;
        }
    }
}
