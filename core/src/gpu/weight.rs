//! Weight tensors on the GPU: GGUF bytes in, a layout the WGSL format libraries
//! (`shaders/weights_*.wgsl`) read with aligned vec4<u32> loads, split by whole rows into as many buffers
//! as the storage-binding limit requires.

use super::{Context, GpuError};
use crate::quant::{IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID, Type};

/// Stage this many repacked bytes before handing them to the queue, so a streamed tensor costs
/// few `write_buffer` calls without holding a second copy of it.
const STAGE_BYTES: usize = 4 << 20;

/// The weight types the matvec, matmul and embedding kernels read.
pub const SUPPORTED_TYPES: &[Type] = &[
    Type::F32,
    Type::F16,
    Type::BF16,
    Type::Q8_0,
    Type::Q5_1,
    Type::Q5_0,
    Type::Q4_1,
    Type::Q4_0,
    Type::IQ4_NL,
    Type::IQ4_XS,
    Type::Q6_K,
    Type::Q5_K,
    Type::Q4_K,
    Type::Q3_K,
    Type::IQ3_S,
    Type::IQ3_XXS,
    Type::Q2_K,
    Type::IQ2_S,
    Type::IQ2_XS,
    Type::IQ2_XXS,
    Type::IQ1_M,
    Type::IQ1_S,
];

/// The WGSL library that reads `ty`, and the column multiple it needs (a 32-element unit, or a
/// 256-element super-block for K-quants).
pub(crate) fn format(ty: Type) -> Option<(&'static str, u32)> {
    macro_rules! library {
        ($($file:literal),*) => {
            concat!($(include_str!(concat!("../../../shaders/", $file))),*)
        };
    }
    Some(match ty {
        Type::F32 => (library!("weights_f32.wgsl"), 32),
        Type::F16 => (library!("weights_f16.wgsl", "weights_half.wgsl"), 32),
        Type::BF16 => (library!("weights_bf16.wgsl", "weights_half.wgsl"), 32),
        Type::Q8_0 => (library!("weights_q8_0.wgsl"), 32),
        Type::Q5_0 => (library!("weights_q5_0.wgsl", "weights_q5.wgsl"), 32),
        Type::Q5_1 => (library!("weights_q5_1.wgsl", "weights_q5.wgsl"), 32),
        Type::Q4_0 => (library!("weights_q4_0.wgsl", "weights_q4.wgsl"), 32),
        Type::Q4_1 => (library!("weights_q4_1.wgsl", "weights_q4.wgsl"), 32),
        Type::IQ4_NL => (library!("weights_iq4_nl.wgsl", "weights_iq4_levels.wgsl", "weights_q4.wgsl"), 32),
        Type::IQ4_XS => (library!("weights_iq4_xs.wgsl", "weights_iq4_levels.wgsl", "weights_q4.wgsl"), 256),
        Type::Q6_K => (library!("weights_q6_k.wgsl"), 256),
        Type::Q5_K => (library!("weights_q5_k.wgsl", "weights_k.wgsl"), 256),
        Type::Q4_K => (library!("weights_q4_k.wgsl", "weights_k.wgsl"), 256),
        Type::Q3_K => (library!("weights_q3_k.wgsl", "weights_k_halves.wgsl"), 256),
        Type::Q2_K => (library!("weights_q2_k.wgsl", "weights_k_halves.wgsl"), 256),
        Type::IQ3_S => (library!("weights_iq3_s.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ3_XXS => (library!("weights_iq3_xxs.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ2_S => (library!("weights_iq2_s.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ2_XS => (library!("weights_iq2_xs.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ2_XXS => (library!("weights_iq2_xxs.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ1_M => (library!("weights_iq1_m.wgsl", "weights_grid.wgsl"), 256),
        Type::IQ1_S => (library!("weights_iq1_s.wgsl", "weights_grid.wgsl"), 256),
        _ => return None,
    })
}

/// What matvec_rows.wgsl needs after `ty`'s library to walk rows in steps: nothing for the K-quants,
/// whose libraries step through the units that share words, one unit a step for the others
/// (IQ4_XS too: a step of two units sharing a header ran 1.5x slower on lavapipe).
pub(crate) fn row_steps(ty: Type) -> &'static str {
    match ty {
        Type::Q2_K | Type::Q3_K | Type::Q4_K | Type::Q5_K | Type::Q6_K => "",
        _ => include_str!("../../../shaders/weights_unit_step.wgsl"),
    }
}

/// How a grouped layout gathers a row's blocks (see the weights_*.wgsl headers): each group of
/// up to `blocks` blocks is their small `fields` (byte ranges of the GGUF block), each gathered
/// over the group into whole vec4s of its own, zero past the row's last block, then every
/// block's `quants` bytes (a whole number of vec4s), so every quant block starts on a vec4. A
/// whole group takes as many bytes as its GGUF blocks.
struct Grouping {
    blocks: usize,
    fields: &'static [(usize, usize)],
    quants: (usize, usize),
}

/// The grouped layouts: f16 scales (two per word; the IQ1_S, IQ2 and IQ3_XXS d), Q4_1 and Q5_1's
/// f16 mins, the Q5 types' 4-byte qh words, Q2_K's (d, dmin) words, IQ4_XS's 8-byte headers,
/// IQ2_XS's and IQ1_M's scales, IQ2_S's qh and scales; `None` for the layouts read as GGUF writes
/// them.
fn grouping(ty: Type) -> Option<Grouping> {
    let (blocks, fields, quants): (usize, &'static [(usize, usize)], (usize, usize)) = match ty {
        Type::Q8_0 => (8, &[(0, 2)], (2, 34)),
        Type::Q4_0 | Type::IQ4_NL => (8, &[(0, 2)], (2, 18)),
        Type::Q4_1 => (8, &[(0, 2), (2, 4)], (4, 20)),
        Type::Q5_0 => (8, &[(0, 2), (2, 6)], (6, 22)),
        Type::Q5_1 => (8, &[(0, 2), (2, 4), (4, 8)], (8, 24)),
        Type::Q2_K => (4, &[(80, 84)], (0, 80)),
        Type::IQ4_XS => (2, &[(0, 8)], (8, 136)),
        Type::IQ3_XXS => (8, &[(0, 2)], (2, 98)),
        Type::IQ2_XXS => (8, &[(0, 2)], (2, 66)),
        Type::IQ2_XS => (8, &[(0, 2), (66, 74)], (2, 66)),
        Type::IQ2_S => (8, &[(0, 2), (66, 82)], (2, 66)),
        Type::IQ1_S => (8, &[(0, 2)], (2, 50)),
        Type::IQ1_M => (8, &[(48, 56)], (0, 48)),
        _ => return None,
    };
    Some(Grouping { blocks, fields, quants })
}

impl Grouping {
    /// Bytes a group gives the field of GGUF bytes `from..to`: its blocks' values, in whole vec4s.
    fn field_bytes(&self, (from, to): (usize, usize)) -> usize {
        (self.blocks * (to - from)).next_multiple_of(16)
    }
}

/// u32 words per row in the GPU layout (see the weights_*.wgsl headers): whole vec4s for every
/// type, which the libraries read in one load each.
fn row_words(ty: Type, cols: u32) -> u32 {
    if let Some(g) = grouping(ty) {
        let blocks = cols as usize / ty.block_size();
        let header_bytes: usize = g.fields.iter().map(|&f| g.field_bytes(f)).sum();
        let quant_bytes = g.quants.1 - g.quants.0;
        return ((blocks.div_ceil(g.blocks) * header_bytes + blocks * quant_bytes) / 4) as u32;
    }
    match ty {
        Type::F16 | Type::BF16 => cols / 2,
        Type::Q3_K | Type::IQ3_S => cols / 256 * 28,
        Type::Q4_K => cols / 256 * 36,
        Type::Q5_K => cols / 256 * 44,
        Type::Q6_K => cols / 256 * 56,
        _ => cols, // F32
    }
}

/// Appends one GGUF row of `ty` to `out` in the GPU layout.
fn repack_row(ty: Type, raw: &[u8], out: &mut Vec<u8>) {
    if let Some(g) = grouping(ty) {
        let block = ty.block_bytes();
        for group in raw.chunks(g.blocks * block) {
            for &field @ (from, to) in g.fields {
                let start = out.len();
                for b in group.chunks(block) {
                    out.extend_from_slice(&b[from..to]);
                }
                out.resize(start + g.field_bytes(field), 0);
            }
            for b in group.chunks(block) {
                out.extend_from_slice(&b[g.quants.0..g.quants.1]);
            }
        }
        return;
    }
    // Padded to whole vec4s so every field is vec4-aligned in every super-block.
    let padded = |block: usize, to: usize, out: &mut Vec<u8>| {
        for b in raw.chunks(block) {
            out.extend_from_slice(b);
            out.resize(out.len() + to - block, 0);
        }
    };
    match ty {
        Type::Q3_K => padded(110, 112, out),
        Type::Q6_K => padded(210, 224, out),
        // Reordered so that each field is whole words: qs, signs, then qh, scales and d.
        Type::IQ3_S => {
            for b in raw.chunks(110) {
                for field in [&b[2..66], &b[74..106], &b[66..74], &b[106..110], &b[0..2], &[0, 0]] {
                    out.extend_from_slice(field);
                }
            }
        }
        _ => out.extend_from_slice(raw),
    }
}

/// What every buffer of a `ty` weight holds ahead of its rows: the grid of a grid type, which its
/// library reads from there so that the kernels need no binding more for it.
fn prefix(ty: Type) -> Vec<u8> {
    fn le<const N: usize, T: Copy>(grid: &[T], bytes: fn(T) -> [u8; N]) -> Vec<u8> {
        grid.iter().flat_map(|&w| bytes(w)).collect()
    }
    match ty {
        Type::IQ3_S => le(&IQ3S_GRID, u32::to_le_bytes),
        Type::IQ3_XXS => le(&IQ3XXS_GRID, u32::to_le_bytes),
        Type::IQ2_S => le(&IQ2S_GRID, u64::to_le_bytes),
        Type::IQ2_XS => le(&IQ2XS_GRID, u64::to_le_bytes),
        Type::IQ2_XXS => le(&IQ2XXS_GRID, u64::to_le_bytes),
        // Each value (an i8: -1, 0 or 1) plus 1, so the libraries read bytes as they read the others'.
        Type::IQ1_M | Type::IQ1_S => le(&IQ1S_GRID, |e| e.to_le_bytes().map(|v| (v as i8 + 1) as u8)),
        _ => Vec::new(),
    }
}

/// One buffer of a split weight: rows `first_row .. first_row + rows`.
#[derive(Clone, Debug)]
pub(crate) struct WeightChunk {
    pub buffer: wgpu::Buffer,
    pub first_row: u32,
    pub rows: u32,
}

/// A GGUF weight of dims `[cols, rows]` on the GPU: maps x[cols] to y[rows]; row r is the
/// embedding of token r for `token_embd`.
#[derive(Clone, Debug)]
pub struct Weight {
    ty: Type,
    rows: u32,
    cols: u32,
    row_words: u32,
    /// Bytes ahead of the rows in every buffer ([`prefix`]).
    prefix_bytes: u64,
    rows_per_chunk: u32,
    chunks: Vec<WeightChunk>,
}

impl Weight {
    /// Uploads a whole tensor from its GGUF bytes.
    pub fn from_bytes(
        ctx: &Context,
        label: &str,
        ty: Type,
        rows: u32,
        cols: u32,
        bytes: &[u8],
    ) -> Result<Weight, GpuError> {
        let mut upload = Weight::upload(ctx, label, ty, rows, cols)?;
        upload.push(bytes)?;
        upload.finish()
    }

    /// Allocates the GPU buffers for a tensor whose GGUF bytes will be streamed in with
    /// [`WeightUpload::push`], in pieces of any size.
    pub fn upload<'a>(
        ctx: &'a Context,
        label: &str,
        ty: Type,
        rows: u32,
        cols: u32,
    ) -> Result<WeightUpload<'a>, GpuError> {
        let mut uploads = Weight::upload_stacked(ctx, label, ty, &[rows], cols)?;
        Ok(uploads.remove(0))
    }

    /// Allocates one weight holding tensors of `parts` rows each (same type and columns) stacked
    /// in order, so one dispatch can read them all (q, k and v; gate and up), and returns an
    /// upload for each part: part i fills the rows after those of parts 0..i.
    pub fn upload_stacked<'a>(
        ctx: &'a Context,
        label: &str,
        ty: Type,
        parts: &[u32],
        cols: u32,
    ) -> Result<Vec<WeightUpload<'a>>, GpuError> {
        let Some((_, multiple)) = format(ty) else {
            let supported: Vec<&str> = SUPPORTED_TYPES.iter().map(|t| t.name()).collect();
            return Err(GpuError::Unsupported(format!("{ty} weights ({label}); supported: {}", supported.join(", "))));
        };
        let rows = parts.iter().try_fold(0u32, |sum, &n| sum.checked_add(n));
        let rows = rows.ok_or_else(|| GpuError::Shape(format!("{label}: more than 2^32 rows")))?;
        if parts.contains(&0) || cols == 0 || !cols.is_multiple_of(multiple) {
            return Err(GpuError::Shape(format!(
                "{label}: a {ty} weight needs a non-zero number of rows and a multiple of {multiple} columns, \
                 not {rows} x {cols}"
            )));
        }
        let row_words = row_words(ty, cols);
        let row_bytes = u64::from(row_words) * 4;
        let prefix = prefix(ty);
        let prefix_bytes = prefix.len() as u64;
        let cap = ctx.storage_binding_cap();
        let needed = prefix_bytes + row_bytes;
        if needed > cap {
            return Err(GpuError::TooLarge { what: format!("one row of {label}"), needed, limit: cap });
        }
        let rows_per_chunk = u32::try_from((cap - prefix_bytes) / row_bytes).unwrap_or(u32::MAX).min(rows);
        let mut chunks = Vec::new();
        let mut first_row = 0;
        while first_row < rows {
            let n = rows_per_chunk.min(rows - first_row);
            let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: prefix_bytes + u64::from(n) * row_bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            if !prefix.is_empty() {
                ctx.upload(&buffer, 0, &prefix);
            }
            chunks.push(WeightChunk { buffer, first_row, rows: n });
            first_row += n;
        }
        let weight = Weight { ty, rows, cols, row_words, prefix_bytes, rows_per_chunk, chunks };
        let raw_row_bytes = (u64::from(cols) / ty.block_size() as u64 * ty.block_bytes() as u64) as usize;
        let mut first_row = 0;
        Ok(parts
            .iter()
            .map(|&n| {
                let upload = WeightUpload {
                    ctx,
                    label: label.to_string(),
                    weight: weight.clone(),
                    raw_row_bytes,
                    partial: Vec::with_capacity(raw_row_bytes),
                    staged: Vec::new(),
                    first_row,
                    end_row: first_row + n,
                    staged_first_row: first_row,
                    next_row: first_row,
                };
                first_row += n;
                upload
            })
            .collect())
    }

    pub fn ty(&self) -> Type {
        self.ty
    }

    pub fn rows(&self) -> u32 {
        self.rows
    }

    pub fn cols(&self) -> u32 {
        self.cols
    }

    /// How many buffers the tensor was split into (1 unless it exceeds the binding cap).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Bytes the tensor takes on the GPU.
    pub fn gpu_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| c.buffer.size()).sum()
    }

    pub(crate) fn chunks(&self) -> &[WeightChunk] {
        &self.chunks
    }

    /// Whether both name the same GPU buffers (two parts of one stacked weight).
    pub fn same_buffers(&self, other: &Weight) -> bool {
        self.chunks.first().map(|c| &c.buffer) == other.chunks.first().map(|c| &c.buffer)
    }

    /// u32 words per row in the GPU layout.
    pub(crate) fn row_words(&self) -> u32 {
        self.row_words
    }

    /// 32-element units per row.
    pub(crate) fn units(&self) -> u32 {
        self.cols / 32
    }
}

/// A weight (or one part of a stacked weight) being streamed to the GPU: push its GGUF bytes in
/// order, then [`WeightUpload::finish`].
pub struct WeightUpload<'a> {
    ctx: &'a Context,
    label: String,
    weight: Weight,
    raw_row_bytes: usize,
    /// The start of a row split across pushes.
    partial: Vec<u8>,
    /// Repacked rows from `staged_first_row` on, not yet written.
    staged: Vec<u8>,
    /// This upload fills rows `first_row .. end_row` of the weight; `next_row` is the next to come.
    first_row: u32,
    end_row: u32,
    staged_first_row: u32,
    next_row: u32,
}

impl WeightUpload<'_> {
    /// The next bytes of the tensor, in GGUF order; any length.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), GpuError> {
        let row = self.raw_row_bytes;
        let left = u64::from(self.end_row - self.next_row) * row as u64 - self.partial.len() as u64;
        if bytes.len() as u64 > left {
            return Err(GpuError::Shape(format!(
                "{}: more bytes than {} x {} {} takes ({} too many)",
                self.label,
                self.end_row - self.first_row,
                self.weight.cols,
                self.weight.ty,
                bytes.len() as u64 - left
            )));
        }
        while !bytes.is_empty() {
            if self.partial.is_empty() && bytes.len() >= row {
                let (whole, rest) = bytes.split_at(row);
                self.add_row(whole);
                bytes = rest;
            } else {
                let take = (row - self.partial.len()).min(bytes.len());
                self.partial.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if self.partial.len() == row {
                    let raw = std::mem::take(&mut self.partial);
                    self.add_row(&raw);
                    // The buffer serves the next split row; a complete upload keeps nothing.
                    if self.next_row < self.end_row {
                        self.partial = raw;
                        self.partial.clear();
                    }
                }
            }
        }
        Ok(())
    }

    fn add_row(&mut self, raw: &[u8]) {
        if self.staged.capacity() == 0 {
            // Exactly what the next flush writes, so the staging never doubles past it.
            let row = self.weight.row_words as usize * 4;
            let rows_left = (self.end_row - self.next_row) as usize;
            self.staged.reserve_exact((STAGE_BYTES.div_ceil(row) * row).min(rows_left * row));
        }
        repack_row(self.weight.ty, raw, &mut self.staged);
        self.next_row += 1;
        let chunk_end = self.next_row.is_multiple_of(self.weight.rows_per_chunk) || self.next_row == self.end_row;
        if chunk_end || self.staged.len() >= STAGE_BYTES {
            self.flush();
        }
    }

    /// Writes the staged rows, which never straddle two chunks.
    fn flush(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let index = (self.staged_first_row / self.weight.rows_per_chunk) as usize;
        let chunk = &self.weight.chunks[index];
        let row = u64::from(self.staged_first_row - chunk.first_row);
        let offset = self.weight.prefix_bytes + row * u64::from(self.weight.row_words) * 4;
        self.ctx.upload(&chunk.buffer, offset, &self.staged);
        self.staged.clear();
        self.staged_first_row = self.next_row;
        if self.next_row == self.end_row {
            // A model streams in as hundreds of uploads, all alive until the last tensor arrives:
            // each gives its staging memory back as soon as it is complete.
            self.staged = Vec::new();
            self.partial = Vec::new();
        }
    }

    /// Checks that the whole tensor arrived and returns the weight it went into (for a part of a
    /// stacked weight, the whole stack).
    pub fn finish(self) -> Result<Weight, GpuError> {
        if self.next_row != self.end_row {
            let expected = u64::from(self.end_row - self.first_row) * self.raw_row_bytes as u64;
            let got = u64::from(self.next_row - self.first_row) * self.raw_row_bytes as u64 + self.partial.len() as u64;
            return Err(GpuError::Shape(format!("{}: got {got} of the {expected} bytes", self.label)));
        }
        Ok(self.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_blocks_group_by_eight_behind_a_vec4_of_their_scales() {
        let raw: Vec<u8> = (0..9 * 18).map(|i| i as u8).collect(); // nine 18-byte blocks
        let mut out = Vec::new();
        repack_row(Type::Q4_0, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q4_0, 9 * 32) * 4);
        assert_eq!(out.len() % 16, 0, "whole vec4s");
        // First group: eight scales, then eight blocks of quants.
        for b in 0..8 {
            assert_eq!(&out[2 * b..2 * b + 2], &raw[18 * b..18 * b + 2]);
            assert_eq!(&out[16 + 16 * b..32 + 16 * b], &raw[18 * b + 2..18 * b + 18]);
        }
        // The last group holds one block; the rest of its scales vec4 is zero.
        let last = 16 + 8 * 16;
        assert_eq!(&out[last..last + 2], &raw[8 * 18..8 * 18 + 2]);
        assert!(out[last + 2..last + 16].iter().all(|&b| b == 0));
        assert_eq!(&out[last + 16..], &raw[8 * 18 + 2..]);
    }

    #[test]
    fn q5_0_blocks_group_by_eight_behind_their_scales_and_high_bits() {
        let raw: Vec<u8> = (0..9 * 22).map(|i| i as u8).collect(); // nine 22-byte blocks
        let mut out = Vec::new();
        repack_row(Type::Q5_0, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q5_0, 9 * 32) * 4);
        assert_eq!(out.len(), 8 * 22 + 48 + 16, "a full group is as long as its GGUF blocks; the last, 48 + 16");
        // First group: eight scales, eight qh words, then eight blocks of nibbles.
        for b in 0..8 {
            assert_eq!(&out[2 * b..2 * b + 2], &raw[22 * b..22 * b + 2]);
            assert_eq!(&out[16 + 4 * b..20 + 4 * b], &raw[22 * b + 2..22 * b + 6]);
            assert_eq!(&out[48 + 16 * b..64 + 16 * b], &raw[22 * b + 6..22 * b + 22]);
        }
        // The last group holds one block; the rest of its scales and qh vec4s are zero.
        let last = 48 + 8 * 16;
        assert_eq!(&out[last..last + 2], &raw[8 * 22..8 * 22 + 2]);
        assert!(out[last + 2..last + 16].iter().all(|&b| b == 0));
        assert_eq!(&out[last + 16..last + 20], &raw[8 * 22 + 2..8 * 22 + 6]);
        assert!(out[last + 20..last + 48].iter().all(|&b| b == 0));
        assert_eq!(&out[last + 48..], &raw[8 * 22 + 6..]);
    }

    #[test]
    fn q5_1_groups_hold_scales_mins_and_high_bits_ahead_of_the_nibbles() {
        let raw: Vec<u8> = (0..3 * 24).map(|i| i as u8).collect(); // three 24-byte blocks
        let mut out = Vec::new();
        repack_row(Type::Q5_1, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q5_1, 3 * 32) * 4);
        for b in 0..3 {
            assert_eq!(&out[2 * b..2 * b + 2], &raw[24 * b..24 * b + 2], "d");
            assert_eq!(&out[16 + 2 * b..18 + 2 * b], &raw[24 * b + 2..24 * b + 4], "m");
            assert_eq!(&out[32 + 4 * b..36 + 4 * b], &raw[24 * b + 4..24 * b + 8], "qh");
            assert_eq!(&out[64 + 16 * b..80 + 16 * b], &raw[24 * b + 8..24 * b + 24], "nibbles");
        }
        assert!(out[6..16].iter().chain(&out[22..32]).chain(&out[44..64]).all(|&b| b == 0));
    }

    #[test]
    fn q2_k_super_blocks_group_by_four_behind_a_vec4_of_their_d_and_dmin() {
        let raw: Vec<u8> = (0..5 * 84).map(|i| i as u8).collect(); // five 84-byte super-blocks
        let mut out = Vec::new();
        repack_row(Type::Q2_K, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q2_K, 5 * 256) * 4);
        assert_eq!(out.len(), 4 * 84 + 16 + 80, "a full group is as long as its GGUF super-blocks");
        for b in 0..4 {
            assert_eq!(&out[4 * b..4 * b + 4], &raw[84 * b + 80..84 * b + 84], "d, dmin");
            assert_eq!(&out[16 + 80 * b..96 + 80 * b], &raw[84 * b..84 * b + 80], "scales, qs");
        }
        // The last group holds one super-block; the rest of its (d, dmin) vec4 is zero.
        assert_eq!(&out[336..340], &raw[4 * 84 + 80..]);
        assert!(out[340..352].iter().all(|&b| b == 0));
        assert_eq!(&out[352..], &raw[4 * 84..4 * 84 + 80]);
    }

    #[test]
    fn iq4_xs_super_blocks_pair_up_behind_a_vec4_of_their_headers() {
        let raw: Vec<u8> = (0..3 * 136).map(|i| i as u8).collect(); // three 136-byte super-blocks
        let mut out = Vec::new();
        repack_row(Type::IQ4_XS, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::IQ4_XS, 3 * 256) * 4);
        assert_eq!(out.len(), 2 * 136 + 16 + 128, "a full pair is as long as its GGUF super-blocks");
        for b in 0..2 {
            assert_eq!(&out[8 * b..8 * b + 8], &raw[136 * b..136 * b + 8], "d, scales_h, scales_l");
            assert_eq!(&out[16 + 128 * b..144 + 128 * b], &raw[136 * b + 8..136 * b + 136], "qs");
        }
        // The last pair holds one super-block; the rest of its header vec4 is zero.
        assert_eq!(&out[272..280], &raw[272..280]);
        assert!(out[280..288].iter().all(|&b| b == 0));
        assert_eq!(&out[288..], &raw[280..]);
    }

    #[test]
    fn iq3_s_super_blocks_put_qs_signs_then_qh_scales_and_d_in_whole_words() {
        let raw: Vec<u8> = (0..2 * 110).map(|i| i as u8).collect();
        let mut out = Vec::new();
        repack_row(Type::IQ3_S, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::IQ3_S, 512) * 4);
        for b in 0..2 {
            let (block, gguf) = (&out[112 * b..112 * (b + 1)], &raw[110 * b..110 * (b + 1)]);
            assert_eq!(&block[..64], &gguf[2..66], "qs");
            assert_eq!(&block[64..96], &gguf[74..106], "signs");
            assert_eq!(&block[96..104], &gguf[66..74], "qh");
            assert_eq!(&block[104..108], &gguf[106..110], "scales");
            assert_eq!(&block[108..112], &[gguf[0], gguf[1], 0, 0], "d");
        }
    }

    #[test]
    fn q3_k_super_blocks_are_padded_to_whole_vec4s() {
        let raw = vec![7u8; 220];
        let mut out = Vec::new();
        repack_row(Type::Q3_K, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q3_K, 512) * 4);
        assert_eq!(out.len(), 2 * 112);
        assert!(out[110..112].iter().all(|&b| b == 0));
        assert_eq!(out[112], 7);
    }

    #[test]
    fn q8_0_rows_are_whole_vec4s() {
        let raw = vec![1u8; 28 * 34]; // Qwen2.5-0.5B's 896 columns
        let mut out = Vec::new();
        repack_row(Type::Q8_0, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q8_0, 28 * 32) * 4);
        assert_eq!(out.len(), 4 * 16 + 28 * 32);
    }

    #[test]
    fn q6_k_super_blocks_are_padded_to_whole_vec4s() {
        let raw = vec![7u8; 420];
        let mut out = Vec::new();
        repack_row(Type::Q6_K, &raw, &mut out);
        assert_eq!(out.len() as u32, row_words(Type::Q6_K, 512) * 4);
        assert_eq!(out.len(), 2 * 224);
        assert!(out[210..224].iter().all(|&b| b == 0));
        assert_eq!(out[224], 7);
    }
}
