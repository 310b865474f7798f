//! Every kernel in `core::gpu` against a straightforward CPU reference on the first native adapter
//! (lavapipe in CI). Weights are dequantized with `core::quant` (bit-exact with ggml); sums are
//! taken in f64. Data comes from seeded SplitMix64 streams, and sizes are deliberately awkward:
//! row and token counts that are not multiples of the workgroup tiles, columns that are whole
//! blocks but not whole tiles. Each tolerance is stated where it is checked.
//!
//! Kernels with a subgroup variant run on both paths when the adapter has subgroups (lavapipe
//! does): the context as opened, and `without_subgroups()` (the portable path of Chromium's
//! software adapter).
#![cfg(not(target_arch = "wasm32"))]

use mindseye_core::gpu::*;
use mindseye_core::quant::{self, Type};
use mindseye_core::random::SplitMix64;

fn context() -> Context {
    pollster::block_on(Context::new()).expect("a native GPU adapter (lavapipe in CI: apt mesa-vulkan-drivers)")
}

/// Every kernel path the adapter can run: the CPU-adapter matrix-vector kernels when it is a
/// software adapter (lavapipe), the GPU kernels with subgroups when it has them, and the portable
/// path (Chromium's software adapter).
fn contexts() -> Vec<(&'static str, Context)> {
    let mut all = Vec::new();
    if context().uses_cpu_kernels() {
        all.push(("cpu", context()));
    }
    let gpu = context().without_cpu_kernels();
    if gpu.uses_subgroups() {
        all.push(("subgroup", gpu));
    }
    all.push(("portable", context().without_cpu_kernels().without_subgroups()));
    all
}

/// A matrix-vector input padded to 64 KiB, as the model allocates them: big enough for the CPU
/// kernels' uniform window.
fn activation(ctx: &Context, x: &[f32]) -> wgpu::Buffer {
    let mut padded = x.to_vec();
    padded.resize(x.len().max(16 << 10), 0.0);
    storage_f32(ctx, "x", &padded)
}

struct Rng(SplitMix64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        (self.0.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn f32s(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.unit() * scale).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }
}

fn f16_bytes(v: f32) -> [u8; 2] {
    half::f16::from_f32(v).to_le_bytes()
}

/// GGUF bytes of a random `rows x cols` weight (`quant::random_weights`).
fn weight_bytes(rng: &mut Rng, ty: Type, rows: usize, cols: usize) -> Vec<u8> {
    quant::random_weights(ty, rows * cols, &mut rng.0).unwrap()
}

fn dequantized(ty: Type, bytes: &[u8], n: usize) -> Vec<f32> {
    let mut out = vec![0.0; n];
    quant::dequantize(ty, bytes, &mut out).unwrap();
    out
}

fn read(ctx: &Context, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    pollster::block_on(read_f32(ctx, buffer, len)).unwrap()
}

/// The KV cache element types the adapter can run, each with a context that makes caches of it:
/// f32 (the portable path), and f16 when the adapter has `shader-f16` (lavapipe does).
fn kv_contexts() -> Vec<(&'static str, Context)> {
    let mut all = vec![("f32 cache", context().without_f16())];
    if context().uses_f16() {
        all.push(("f16 cache", context()));
    }
    all
}

/// The first `len` values of a cache buffer, widened to f32.
fn read_cache(ctx: &Context, cache: &KvCache, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    if !cache.is_f16() {
        return read(ctx, buffer, len);
    }
    let words = pollster::block_on(read_u32(ctx, buffer, len.div_ceil(2))).unwrap();
    let halves = words.iter().flat_map(|w| [*w as u16, (*w >> 16) as u16]);
    halves.take(len).map(|h| half::f16::from_bits(h).to_f32()).collect()
}

/// Writes `values` to a cache buffer in its element type (f16: rounded to nearest, ties to even).
fn write_cache(ctx: &Context, cache: &KvCache, buffer: &wgpu::Buffer, values: &[f32]) {
    let bytes: Vec<u8> = if cache.is_f16() {
        values.iter().flat_map(|&v| f16_bytes(v)).collect()
    } else {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    };
    ctx.queue.write_buffer(buffer, 0, &bytes);
}

/// What a cache of `cache`'s type holds for `x`, for the CPU reference: f16 rounds.
fn as_stored(cache: &KvCache, x: f32) -> f32 {
    if cache.is_f16() { half::f16::from_f32(x).to_f32() } else { x }
}

/// Whether `got`, read from a cache, is `x` as stored: exactly in f32; in f16 one of the two
/// halves around it (WGSL leaves the rounding of an f32 to f16 conversion to the implementation).
fn is_stored(cache: &KvCache, got: f32, x: f32) -> bool {
    if cache.is_f16() { (got - x).abs() <= x.abs() / 1024.0 } else { got == x }
}

/// A step buffer already holding (pos0, n_tokens).
fn step_at(ctx: &Context, pos0: u32, n_tokens: u32) -> Step {
    let step = Step::new(ctx);
    step.write(ctx, pos0, n_tokens);
    step
}

/// Row-by-row reference of W x: (dot, sum of |w x|) in f64.
fn matvec_ref(w: &[f32], x: &[f32], rows: usize, cols: usize) -> Vec<(f64, f64)> {
    (0..rows)
        .map(|r| {
            let row = &w[r * cols..(r + 1) * cols];
            row.iter().zip(x).fold((0.0, 0.0), |(s, m), (&a, &b)| {
                let p = f64::from(a) * f64::from(b);
                (s + p, m + p.abs())
            })
        })
        .collect()
}

/// Accumulation-order tolerance of a dot product: 5e-5 of the sum of |w x| (f32 sums of a few
/// thousand terms, and the Q4_0/Q4_K kernels fold the offset into -8 * sum(x) or -min * sum(x),
/// which cancels against sum(q x)), plus 1e-6 absolute.
fn assert_dots(label: &str, got: &[f32], want: &[(f64, f64)], bias: Option<&[f32]>) {
    assert_eq!(got.len(), want.len(), "{label}");
    for (r, (&g, &(dot, magnitude))) in got.iter().zip(want).enumerate() {
        let want = dot + bias.map_or(0.0, |b| f64::from(b[r]));
        let tol = 5e-5 * magnitude + 1e-6;
        assert!(
            (f64::from(g) - want).abs() <= tol,
            "{label}: row {r}: GPU {g}, CPU {want}, |diff| {} > {tol}",
            (f64::from(g) - want).abs()
        );
    }
}

/// Rows not a multiple of 8 (rows per matvec workgroup) or 64 (matmul tile); columns whole blocks:
/// rows of fewer and more 32-element units than the 32 threads of the matvec workgroup shape for
/// rows of up to 96 units, then rows of more than 96 units (the 128-thread shape), not a multiple
/// of 128.
fn shapes(ty: Type) -> [(usize, usize); 3] {
    if ty.block_size() == 256 { [(37, 768), (301, 2304), (45, 3328)] } else { [(37, 96), (301, 2144), (45, 3104)] }
}

fn check_matvec(ty: Type, seed: u64) {
    for (path, ctx) in contexts() {
        check_matvec_on(path, &ctx, ty, seed);
    }
}

fn check_matvec_on(path: &str, ctx: &Context, ty: Type, seed: u64) {
    let kernel = Matvec::new(ctx);
    for (rows, cols) in shapes(ty) {
        let mut rng = Rng::new(seed);
        let bytes = weight_bytes(&mut rng, ty, rows, cols);
        let x = rng.f32s(cols, 1.0);
        let weight = Weight::from_bytes(ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
        let xb = activation(ctx, &x);
        let yb = storage_zeroed(ctx, "y", rows);
        let bound = kernel.bind(ctx, &weight, &xb, &yb, None, None).unwrap();
        assert_eq!(bound.uses_cpu_kernel(), path == "cpu");
        submit_pass(ctx, |pass| bound.encode(pass));
        let want = matvec_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols);
        assert_dots(&format!("{ty} {rows}x{cols} ({path})"), &read(ctx, &yb, rows), &want, None);
    }
}

#[test]
fn matvec_in_every_workgroup_shape_a_benchmark_may_force_matches_the_cpu() {
    for (threads, rows) in [(32, 2), (32, 16), (64, 4), (128, 8), (256, 2), (256, 8)] {
        let ctx = context().without_cpu_kernels().with_matvec_shape(threads, rows).unwrap();
        let path = format!("gpu, {threads} x {rows}");
        check_matvec_on(&path, &ctx, Type::Q4_0, 40);
        check_matvec_glu_on(&path, &ctx, Type::Q8_0, (37, 160), (Activation::Silu, silu), 41);
    }
}

#[test]
fn a_matvec_workgroup_shape_the_kernels_cannot_run_is_refused() {
    // Not a power of two, too few or too many threads, odd or too many rows, over 8 KiB of sums.
    for (threads, rows) in [(48, 4), (16, 2), (512, 2), (64, 3), (64, 1), (64, 32), (256, 16)] {
        assert!(context().with_matvec_shape(threads, rows).is_err(), "{threads} x {rows} accepted");
    }
}

#[test]
fn matvec_f32_matches_the_cpu() {
    check_matvec(Type::F32, 1);
}

#[test]
fn matvec_f16_matches_the_cpu() {
    check_matvec(Type::F16, 2);
}

#[test]
fn matvec_bf16_matches_the_cpu() {
    check_matvec(Type::BF16, 15);
}

#[test]
fn matvec_q8_0_matches_the_cpu() {
    check_matvec(Type::Q8_0, 3);
}

#[test]
fn matvec_q4_0_matches_the_cpu() {
    check_matvec(Type::Q4_0, 4);
}

#[test]
fn matvec_q5_0_matches_the_cpu() {
    check_matvec(Type::Q5_0, 7);
}

#[test]
fn matvec_q5_1_matches_the_cpu() {
    check_matvec(Type::Q5_1, 9);
}

#[test]
fn matvec_q4_1_matches_the_cpu() {
    check_matvec(Type::Q4_1, 10);
}

#[test]
fn matvec_iq4_nl_matches_the_cpu() {
    check_matvec(Type::IQ4_NL, 11);
}

#[test]
fn matvec_iq4_xs_matches_the_cpu() {
    check_matvec(Type::IQ4_XS, 14);
}

#[test]
fn matvec_iq3_s_matches_the_cpu() {
    check_matvec(Type::IQ3_S, 16);
}

#[test]
fn matvec_iq3_xxs_matches_the_cpu() {
    check_matvec(Type::IQ3_XXS, 17);
}

#[test]
fn matvec_iq2_s_matches_the_cpu() {
    check_matvec(Type::IQ2_S, 18);
}

#[test]
fn matvec_iq2_xs_matches_the_cpu() {
    check_matvec(Type::IQ2_XS, 19);
}

#[test]
fn matvec_iq2_xxs_matches_the_cpu() {
    check_matvec(Type::IQ2_XXS, 20);
}

#[test]
fn matvec_iq1_s_matches_the_cpu() {
    check_matvec(Type::IQ1_S, 21);
}

#[test]
fn matvec_iq1_m_matches_the_cpu() {
    check_matvec(Type::IQ1_M, 22);
}

#[test]
fn matvec_q3_k_matches_the_cpu() {
    check_matvec(Type::Q3_K, 12);
}

#[test]
fn matvec_q2_k_matches_the_cpu() {
    check_matvec(Type::Q2_K, 13);
}

#[test]
fn matvec_q4_k_matches_the_cpu() {
    check_matvec(Type::Q4_K, 5);
}

#[test]
fn matvec_q5_k_matches_the_cpu() {
    check_matvec(Type::Q5_K, 8);
}

#[test]
fn matvec_q6_k_matches_the_cpu() {
    check_matvec(Type::Q6_K, 6);
}

#[test]
fn matvec_adds_the_bias() {
    let ctx = context();
    let (rows, cols) = (45, 320);
    let mut rng = Rng::new(7);
    let bytes = weight_bytes(&mut rng, Type::Q8_0, rows, cols);
    let (x, bias) = (rng.f32s(cols, 1.0), rng.f32s(rows, 3.0));
    let weight = Weight::from_bytes(&ctx, "w", Type::Q8_0, rows as u32, cols as u32, &bytes).unwrap();
    let (xb, bb, yb) = (storage_f32(&ctx, "x", &x), storage_f32(&ctx, "bias", &bias), storage_zeroed(&ctx, "y", rows));
    let bound = Matvec::new(&ctx).bind(&ctx, &weight, &xb, &yb, Some(&bb), None).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass));
    let want = matvec_ref(&dequantized(Type::Q8_0, &bytes, rows * cols), &x, rows, cols);
    assert_dots("Q8_0 + bias", &read(&ctx, &yb, rows), &want, Some(&bias));
}

#[test]
fn matvec_on_a_cpu_adapter_falls_back_to_the_gpu_kernel_when_x_cannot_be_a_uniform() {
    let ctx = context();
    let kernel = Matvec::new(&ctx);
    // x smaller than the 64 KiB window; more columns than the window holds.
    for (rows, cols, padded) in [(37, 96, false), (5, 16416, true)] {
        let mut rng = Rng::new(12);
        let bytes = weight_bytes(&mut rng, Type::Q8_0, rows, cols);
        let x = rng.f32s(cols, 1.0);
        let weight = Weight::from_bytes(&ctx, "w", Type::Q8_0, rows as u32, cols as u32, &bytes).unwrap();
        let xb = if padded { activation(&ctx, &x) } else { storage_f32(&ctx, "x", &x) };
        let yb = storage_zeroed(&ctx, "y", rows);
        let bound = kernel.bind(&ctx, &weight, &xb, &yb, None, None).unwrap();
        assert!(!bound.uses_cpu_kernel(), "{cols} columns");
        submit_pass(&ctx, |pass| bound.encode(pass));
        let want = matvec_ref(&dequantized(Type::Q8_0, &bytes, rows * cols), &x, rows, cols);
        assert_dots(&format!("{cols} columns"), &read(&ctx, &yb, rows), &want, None);
    }
}

/// A binding cap of `rows_per_chunk` rows' worth of GPU bytes (rounded down to whole words), after
/// what every buffer of the type holds ahead of its rows (a grid type's grid).
fn capped(ty: Type, cols: usize, rows_per_chunk: usize) -> Context {
    // Ask weights of one and two rows how many bytes a row and the rest take on the GPU.
    let probe = context();
    let gpu_bytes = |rows: usize| {
        let bytes = weight_bytes(&mut Rng::new(0), ty, rows, cols);
        Weight::from_bytes(&probe, "probe", ty, rows as u32, cols as u32, &bytes).unwrap().gpu_bytes()
    };
    let (one, two) = (gpu_bytes(1), gpu_bytes(2));
    let (per_row, ahead) = (two - one, 2 * one - two);
    context().with_storage_binding_cap(ahead + per_row * rows_per_chunk as u64 + 3)
}

#[test]
fn matvec_splits_weights_larger_than_a_binding() {
    // Q4_0 rows of 3 blocks (54 GGUF bytes, not a whole number of words), Q6_K super-blocks,
    // Q2_K rows of 3 super-blocks (one partial group of 4) and the grid types (their grid ahead of
    // each buffer's rows).
    let grids =
        [(Type::IQ3_S, 512), (Type::IQ3_XXS, 768), (Type::IQ2_S, 256), (Type::IQ2_XS, 2560), (Type::IQ2_XXS, 512)];
    for (ty, cols) in [(Type::Q4_0, 96), (Type::Q6_K, 512), (Type::Q2_K, 768)].into_iter().chain(grids) {
        let rows = 23;
        let ctx = capped(ty, cols, 5);
        let mut rng = Rng::new(8);
        let bytes = weight_bytes(&mut rng, ty, rows, cols);
        let (x, bias) = (rng.f32s(cols, 1.0), rng.f32s(rows, 1.0));
        let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
        assert_eq!(weight.chunk_count(), 5, "{ty}: 23 rows in chunks of 5");
        let (xb, bb, yb) = (storage_f32(&ctx, "x", &x), storage_f32(&ctx, "b", &bias), storage_zeroed(&ctx, "y", rows));
        let bound = Matvec::new(&ctx).bind(&ctx, &weight, &xb, &yb, Some(&bb), None).unwrap();
        submit_pass(&ctx, |pass| bound.encode(pass));
        let want = matvec_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols);
        assert_dots(&format!("{ty} split"), &read(&ctx, &yb, rows), &want, Some(&bias));
    }
}

/// Uploads `parts` (GGUF bytes of `rows` each) stacked into one weight, the last part first (the
/// loader fills the parts in file order, whatever it is).
fn stacked(ctx: &Context, ty: Type, cols: usize, parts: &[(usize, Vec<u8>)]) -> Weight {
    let rows: Vec<u32> = parts.iter().map(|(rows, _)| *rows as u32).collect();
    let uploads = Weight::upload_stacked(ctx, "stack", ty, &rows, cols as u32).unwrap();
    let mut weights: Vec<Weight> = uploads
        .into_iter()
        .zip(parts)
        .rev()
        .map(|(mut upload, (_, bytes))| {
            upload.push(bytes).unwrap();
            upload.finish().unwrap()
        })
        .collect();
    let weight = weights.pop().unwrap();
    assert!(weights.iter().all(|w| w.same_buffers(&weight)), "every part returns the whole stack");
    weight
}

#[test]
fn stacked_weights_hold_each_part_after_the_previous_one() {
    // Three parts of 37, 12 and 12 rows (q, k, v) in chunks of 10 rows: chunk edges inside parts.
    let (ty, cols) = (Type::Q8_0, 96);
    let ctx = capped(ty, cols, 10);
    let mut rng = Rng::new(10);
    let parts: Vec<(usize, Vec<u8>)> =
        [37, 12, 12].iter().map(|&rows| (rows, weight_bytes(&mut rng, ty, rows, cols))).collect();
    let weight = stacked(&ctx, ty, cols, &parts);
    assert_eq!((weight.rows(), weight.chunk_count()), (61, 7));
    let x = rng.f32s(cols, 1.0);
    let (xb, yb) = (storage_f32(&ctx, "x", &x), storage_zeroed(&ctx, "y", 61));
    let bound = Matvec::new(&ctx).bind(&ctx, &weight, &xb, &yb, None, None).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass));
    let want: Vec<(f64, f64)> = parts
        .iter()
        .flat_map(|(rows, bytes)| matvec_ref(&dequantized(ty, bytes, rows * cols), &x, *rows, cols))
        .collect();
    assert_dots("stacked", &read(&ctx, &yb, 61), &want, None);
}

#[test]
fn matvec_writes_its_rows_at_an_offset() {
    let ctx = context();
    let (ty, rows, cols, offset, stride) = (Type::Q4_0, 21, 64, 5, 40);
    let mut rng = Rng::new(11);
    let bytes = weight_bytes(&mut rng, ty, rows, cols);
    let (x, bias) = (rng.f32s(cols, 1.0), rng.f32s(rows, 1.0));
    let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
    let (xb, bb, yb) = (storage_f32(&ctx, "x", &x), storage_f32(&ctx, "b", &bias), storage_zeroed(&ctx, "y", stride));
    let out = OutputRows { offset: offset as u32, stride: stride as u32 };
    let bound = Matvec::new(&ctx).bind(&ctx, &weight, &xb, &yb, Some(&bb), Some(out)).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass));
    let got = read(&ctx, &yb, stride);
    let want = matvec_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols);
    assert_dots("at an offset", &got[offset..offset + rows], &want, Some(&bias));
    assert!(got[..offset].iter().chain(&got[offset + rows..]).all(|&v| v == 0.0), "the rest untouched");
    let too_far = OutputRows { offset: 20, stride: stride as u32 };
    let err = Matvec::new(&ctx).bind(&ctx, &weight, &xb, &yb, None, Some(too_far));
    assert!(matches!(err, Err(GpuError::Shape(_))), "21 rows from 20 overflow a 40-float row");
}

#[test]
fn weight_upload_accepts_bytes_in_pieces_of_any_size() {
    let (ty, rows, cols) = (Type::Q4_0, 19, 160);
    let ctx = capped(ty, cols, 4);
    let mut rng = Rng::new(9);
    let bytes = weight_bytes(&mut rng, ty, rows, cols);
    let x = rng.f32s(cols, 1.0);
    let whole = Weight::from_bytes(&ctx, "whole", ty, rows as u32, cols as u32, &bytes).unwrap();
    let mut upload = Weight::upload(&ctx, "pieces", ty, rows as u32, cols as u32).unwrap();
    let mut rest = &bytes[..];
    for size in [1, 7, 90, 3, 1000, 17].iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        upload.push(piece).unwrap();
        rest = tail;
    }
    let pieces = upload.finish().unwrap();
    let kernel = Matvec::new(&ctx);
    let xb = storage_f32(&ctx, "x", &x);
    let mut results = Vec::new();
    for weight in [&whole, &pieces] {
        let yb = storage_zeroed(&ctx, "y", rows);
        let bound = kernel.bind(&ctx, weight, &xb, &yb, None, None).unwrap();
        submit_pass(&ctx, |pass| bound.encode(pass));
        results.push(read(&ctx, &yb, rows));
    }
    // The same bytes on the GPU give bit-identical results.
    assert_eq!(results[0], results[1]);
}

#[test]
fn weight_upload_rejects_wrong_sizes_and_types() {
    let ctx = context();
    let mut upload = Weight::upload(&ctx, "w", Type::Q8_0, 2, 64).unwrap();
    assert!(matches!(upload.push(&[0; 137]), Err(GpuError::Shape(_))), "4 blocks are 136 bytes");
    upload.push(&[0; 100]).unwrap();
    assert!(matches!(upload.finish(), Err(GpuError::Shape(m)) if m.contains("100 of the 136")));
    assert!(
        matches!(Weight::upload(&ctx, "w", Type::Q4_K, 2, 96), Err(GpuError::Shape(_))),
        "K-quants need 256 columns"
    );
    let err = Weight::upload(&ctx, "blk.0.ffn_up", Type::TQ1_0, 2, 256).err().unwrap();
    assert!(matches!(err, GpuError::Unsupported(_)));
    assert!(err.to_string().contains("TQ1_0 weights (blk.0.ffn_up); supported: F32, F16, BF16, Q8_0, Q5_1"), "{err}");
    let small = context().with_storage_binding_cap(64);
    let err = Weight::upload(&small, "blk.0.ffn_down", Type::F32, 2, 32).err().unwrap();
    assert!(matches!(err, GpuError::TooLarge { needed: 128, limit: 64, .. }));
    assert!(err.to_string().contains("max_storage_buffer_binding_size"), "{err}");
}

/// Reference of Y[t] = W X[t] for the matmul tests.
fn matmul_ref(w: &[f32], x: &[f32], rows: usize, cols: usize, n_tokens: usize) -> Vec<Vec<(f64, f64)>> {
    (0..n_tokens).map(|t| matvec_ref(w, &x[t * cols..(t + 1) * cols], rows, cols)).collect()
}

/// The matmul kernels the adapter can run: the CPU-adapter kernel (matmul_rows.wgsl) when it is a
/// software adapter, and the GPU kernel (matmul.wgsl), each from a context `make` opens.
fn matmul_contexts(make: impl Fn() -> Context) -> Vec<(&'static str, Context)> {
    let mut all = Vec::new();
    if make().uses_cpu_kernels() {
        all.push(("cpu", make()));
    }
    all.push(("gpu", make().without_cpu_kernels()));
    all
}

/// Tokens' activations padded by 64 KiB, as the model allocates them: room for the CPU kernel's
/// uniform window from the last token.
fn activations(ctx: &Context, x: &[f32]) -> wgpu::Buffer {
    let mut padded = x.to_vec();
    padded.resize(x.len() + (16 << 10), 0.0);
    storage_f32(ctx, "x", &padded)
}

fn check_matmul(make: impl Fn() -> Context, ty: Type, (rows, cols): (usize, usize), n_tokens: usize, seed: u64) {
    for (path, ctx) in matmul_contexts(make) {
        let mut rng = Rng::new(seed);
        let bytes = weight_bytes(&mut rng, ty, rows, cols);
        let (x, bias) = (rng.f32s(n_tokens * cols, 1.0), rng.f32s(rows, 1.0));
        let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
        let step = step_at(&ctx, 0, n_tokens as u32);
        let (xb, bb) = (activations(&ctx, &x), storage_f32(&ctx, "bias", &bias));
        let yb = storage_zeroed(&ctx, "y", n_tokens * rows);
        let kernel = Matmul::new(&ctx);
        let bound = kernel.bind(&ctx, &step, &weight, &xb, &yb, Some(&bb), None, n_tokens as u32).unwrap();
        assert_eq!(bound.uses_cpu_kernel(), path == "cpu");
        submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
        let got = read(&ctx, &yb, n_tokens * rows);
        let want = matmul_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols, n_tokens);
        for t in 0..n_tokens {
            let label = format!("{ty} {rows}x{cols}, token {t} of {n_tokens} ({path})");
            assert_dots(&label, &got[t * rows..(t + 1) * rows], &want[t], Some(&bias));
        }
    }
}

#[test]
fn matmul_matches_the_cpu_for_every_weight_type() {
    // 70 rows and 67 tokens: two 64-tiles each, the second mostly empty; for the CPU kernel two
    // 64-row workgroups and 9 groups of 8 tokens, the last of 3.
    for (i, &ty) in SUPPORTED_TYPES.iter().enumerate() {
        let cols = if ty.block_size() == 256 { 512 } else { 160 };
        check_matmul(context, ty, (70, cols), 67, 20 + i as u64);
    }
}

#[test]
fn matmul_of_one_token_matches_the_cpu() {
    check_matmul(context, Type::Q4_K, (33, 256), 1, 30);
}

#[test]
fn matmul_splits_weights_larger_than_a_binding() {
    let make = || capped(Type::Q8_0, 96, 30);
    let bytes = weight_bytes(&mut Rng::new(0), Type::Q8_0, 100, 96);
    assert_eq!(Weight::from_bytes(&make(), "w", Type::Q8_0, 100, 96, &bytes).unwrap().chunk_count(), 4);
    check_matmul(make, Type::Q8_0, (100, 96), 9, 31);
}

#[test]
fn matmul_reads_long_rows_through_several_windows() {
    // 4,864 columns (Qwen2.5-0.5B's ffn_down): three tokens fit one of the CPU kernel's 64 KiB
    // windows, so each group of 8 reads three; the last group's 3 tokens read one.
    check_matmul(context, Type::Q4_0, (45, 4864), 19, 33);
}

#[test]
fn matmul_reads_rows_of_8192_columns_two_tokens_a_window() {
    // Llama 3.2 1B's ffn_down: all four windows for the first 8 tokens, one for the last 2.
    check_matmul(context, Type::Q4_0, (21, 8192), 10, 38);
}

#[test]
fn matmul_reads_rows_that_do_not_start_on_a_window_boundary() {
    // 2,080 columns are 8,320 bytes a token, 7 tokens a window: the second window of each group
    // of 8, and every other group, start between 256-byte binding offsets.
    check_matmul(context, Type::Q8_0, (37, 2080), 16, 34);
}

#[test]
fn matmul_writes_each_tokens_rows_at_an_offset() {
    for (path, ctx) in matmul_contexts(context) {
        let (ty, rows, cols, n_tokens, offset, stride) = (Type::Q8_0, 70, 96, 5, 30, 110);
        let mut rng = Rng::new(32);
        let bytes = weight_bytes(&mut rng, ty, rows, cols);
        let x = rng.f32s(n_tokens * cols, 1.0);
        let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
        let step = step_at(&ctx, 0, n_tokens as u32);
        let (xb, yb) = (activations(&ctx, &x), storage_zeroed(&ctx, "y", n_tokens * stride));
        let out = OutputRows { offset: offset as u32, stride: stride as u32 };
        let bound = Matmul::new(&ctx).bind(&ctx, &step, &weight, &xb, &yb, None, Some(out), n_tokens as u32).unwrap();
        assert_eq!(bound.uses_cpu_kernel(), path == "cpu");
        submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
        let got = read(&ctx, &yb, n_tokens * stride);
        let want = matmul_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols, n_tokens);
        for t in 0..n_tokens {
            let row = &got[t * stride..][..stride];
            assert_dots(&format!("token {t} ({path})"), &row[offset..offset + rows], &want[t], None);
            let rest = row[..offset].iter().chain(&row[offset + rows..]);
            assert!(rest.into_iter().all(|&v| v == 0.0), "token {t} ({path}): the rest untouched");
        }
    }
}

#[test]
fn matmul_encoded_for_fewer_tokens_leaves_the_later_rows_alone() {
    // Bound for 20 tokens, run on 11 (a prompt's last, shorter batch).
    for (path, ctx) in matmul_contexts(context) {
        let (ty, rows, cols, max_tokens, n_tokens) = (Type::Q4_0, 37, 160, 20, 11);
        let mut rng = Rng::new(35);
        let bytes = weight_bytes(&mut rng, ty, rows, cols);
        let x = rng.f32s(max_tokens * cols, 1.0);
        let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
        let step = step_at(&ctx, 0, n_tokens as u32);
        let (xb, yb) = (activations(&ctx, &x), storage_zeroed(&ctx, "y", max_tokens * rows));
        let bound = Matmul::new(&ctx).bind(&ctx, &step, &weight, &xb, &yb, None, None, max_tokens as u32).unwrap();
        assert_eq!(bound.dispatch_count(n_tokens as u32), if path == "cpu" { 2 } else { 1 });
        submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
        let got = read(&ctx, &yb, max_tokens * rows);
        let want = matmul_ref(&dequantized(ty, &bytes, rows * cols), &x, rows, cols, n_tokens);
        for t in 0..n_tokens {
            assert_dots(&format!("token {t} ({path})"), &got[t * rows..][..rows], &want[t], None);
        }
        assert!(got[n_tokens * rows..].iter().all(|&v| v == 0.0), "{path}: tokens past n_tokens untouched");
    }
}

#[test]
fn matmul_without_room_for_the_window_takes_the_gpu_kernel() {
    // x holds exactly its tokens: the CPU kernel's 64 KiB window would run past its end.
    let ctx = context();
    let (ty, rows, cols, n_tokens) = (Type::Q8_0, 37, 96, 4);
    let bytes = weight_bytes(&mut Rng::new(36), ty, rows, cols);
    let weight = Weight::from_bytes(&ctx, "w", ty, rows as u32, cols as u32, &bytes).unwrap();
    let step = step_at(&ctx, 0, n_tokens as u32);
    let (xb, yb) = (storage_zeroed(&ctx, "x", n_tokens * cols), storage_zeroed(&ctx, "y", n_tokens * rows));
    let bound = Matmul::new(&ctx).bind(&ctx, &step, &weight, &xb, &yb, None, None, n_tokens as u32).unwrap();
    assert!(!bound.uses_cpu_kernel());
}

#[test]
fn matmul_rejects_an_input_too_small_for_its_tokens() {
    let ctx = context();
    let bytes = weight_bytes(&mut Rng::new(37), Type::Q8_0, 37, 96);
    let weight = Weight::from_bytes(&ctx, "w", Type::Q8_0, 37, 96, &bytes).unwrap();
    let step = step_at(&ctx, 0, 8);
    let (xb, yb) = (storage_zeroed(&ctx, "x", 7 * 96), storage_zeroed(&ctx, "y", 8 * 37));
    let err = Matmul::new(&ctx).bind(&ctx, &step, &weight, &xb, &yb, None, None, 8).err().unwrap();
    assert!(err.to_string().contains("matmul x"), "{err}");
}

fn embedding_ref(table: &[f32], cols: usize, vocab: usize, ids: &[u32], scale: f32) -> Vec<f32> {
    ids.iter()
        .flat_map(|&id| {
            let id = id as usize;
            if id < vocab {
                table[id * cols..(id + 1) * cols].iter().map(|v| v * scale).collect()
            } else {
                vec![0.0; cols]
            }
        })
        .collect()
}

fn check_embedding(ctx: &Context, ty: Type, vocab: usize, cols: usize, ids: &[u32], seed: u64) {
    let mut rng = Rng::new(seed);
    let bytes = weight_bytes(&mut rng, ty, vocab, cols);
    let table = Weight::from_bytes(ctx, "token_embd", ty, vocab as u32, cols as u32, &bytes).unwrap();
    let scale = (cols as f32).sqrt();
    let step = step_at(ctx, 0, ids.len() as u32);
    let idb = storage_u32(ctx, "ids", ids);
    let out = storage_f32(ctx, "out", &vec![f32::NAN; ids.len() * cols]);
    let bound = Embedding::new(ctx).bind(ctx, &step, &table, &idb, &out, scale).unwrap();
    submit_pass(ctx, |pass| bound.encode(pass, ids.len() as u32));
    let got = read(ctx, &out, ids.len() * cols);
    let want = embedding_ref(&dequantized(ty, &bytes, vocab * cols), cols, vocab, ids, scale);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        // One multiply (d * q) or two (d * sc * q) per value, then the scale: 1e-6 relative.
        assert!((g - w).abs() <= 1e-6 * w.abs() + 1e-7, "{ty}: token {} dim {}: GPU {g}, CPU {w}", i / cols, i % cols);
    }
}

#[test]
fn embedding_matches_the_cpu_for_every_weight_type() {
    let ctx = context();
    let ids = [3, 0, 40, 3, 17, 41];
    for (i, &ty) in SUPPORTED_TYPES.iter().enumerate() {
        let cols = if ty.block_size() == 256 { 512 } else { 96 };
        check_embedding(&ctx, ty, 42, cols, &ids, 40 + i as u64);
    }
}

#[test]
fn embedding_splits_tables_larger_than_a_binding() {
    let ctx = capped(Type::Q6_K, 256, 7);
    let ids: Vec<u32> = (0..300).map(|i| (i * 7919 % 50) as u32).collect();
    check_embedding(&ctx, Type::Q6_K, 50, 256, &ids, 50);
}

#[test]
fn embedding_gives_zero_rows_for_ids_past_the_vocabulary() {
    let ctx = capped(Type::F16, 64, 4);
    check_embedding(&ctx, Type::F16, 10, 64, &[9, 10, u32::MAX, 0], 51);
}

#[test]
fn rms_norm_matches_the_cpu() {
    let ctx = context();
    let (n, n_tokens, eps) = (1000, 5, 1e-6f32);
    let mut rng = Rng::new(60);
    let (x, w) = (rng.f32s(n * n_tokens, 4.0), rng.f32s(n, 2.0));
    let step = step_at(&ctx, 0, n_tokens as u32);
    let (xb, wb, yb) =
        (storage_f32(&ctx, "x", &x), storage_f32(&ctx, "w", &w), storage_zeroed(&ctx, "y", n * n_tokens));
    let bound = RmsNorm::new(&ctx).bind(&ctx, &step, &xb, None, &wb, &yb, n as u32, eps).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
    let got = read(&ctx, &yb, n * n_tokens);
    for t in 0..n_tokens {
        let row = &x[t * n..(t + 1) * n];
        let mean = row.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / n as f64;
        let inv = 1.0 / (mean + f64::from(eps)).sqrt();
        for i in 0..n {
            let want = f64::from(row[i]) * inv * f64::from(w[i]);
            let g = f64::from(got[t * n + i]);
            // A sum of 1000 squares and a few roundings: 1e-5 relative.
            assert!((g - want).abs() <= 1e-5 * want.abs() + 1e-6, "token {t} dim {i}: GPU {g}, CPU {want}");
        }
    }
}

#[test]
fn rms_norm_adds_the_residual_then_norms_the_sum() {
    let ctx = context();
    let (n, n_tokens, eps) = (999, 4, 1e-6f32);
    let mut rng = Rng::new(61);
    let (x, y, w) = (rng.f32s(n * n_tokens, 4.0), rng.f32s(n * n_tokens, 4.0), rng.f32s(n, 2.0));
    let step = step_at(&ctx, 0, n_tokens as u32);
    let (xb, yb, wb) = (storage_f32(&ctx, "x", &x), storage_f32(&ctx, "y", &y), storage_f32(&ctx, "w", &w));
    let hb = storage_zeroed(&ctx, "h", n * n_tokens);
    let bound = RmsNorm::new(&ctx).bind(&ctx, &step, &xb, Some(&yb), &wb, &hb, n as u32, eps).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
    let (sum, normed) = (read(&ctx, &xb, n * n_tokens), read(&ctx, &hb, n * n_tokens));
    for t in 0..n_tokens {
        let want_sum: Vec<f64> = (0..n).map(|i| f64::from(x[t * n + i]) + f64::from(y[t * n + i])).collect();
        let mean = want_sum.iter().map(|v| v * v).sum::<f64>() / n as f64;
        let inv = 1.0 / (mean + f64::from(eps)).sqrt();
        for i in 0..n {
            assert_eq!(sum[t * n + i], x[t * n + i] + y[t * n + i], "x += y");
            let want = want_sum[i] * inv * f64::from(w[i]);
            let g = f64::from(normed[t * n + i]);
            // A sum of 999 squares and a few roundings: 1e-5 relative.
            assert!((g - want).abs() <= 1e-5 * want.abs() + 1e-6, "token {t} dim {i}: GPU {g}, CPU {want}");
        }
    }
}

/// ggml_rope_ext (no YaRN) in f64: theta_i = freq_scale * pos * base^(-2i/n_rot) / factor_i.
#[allow(clippy::too_many_arguments)]
fn rope_ref(
    x: &[f32],
    n_tokens: usize,
    n_heads: usize,
    head_dim: usize,
    n_rot: usize,
    neox: bool,
    pos0: usize,
    base: f64,
    freq_scale: f64,
    factors: Option<&[f32]>,
) -> Vec<f32> {
    let mut y = x.to_vec();
    for t in 0..n_tokens {
        for h in 0..n_heads {
            let at = (t * n_heads + h) * head_dim;
            for i in 0..n_rot / 2 {
                let mut theta = freq_scale * (pos0 + t) as f64 * base.powf(-2.0 * i as f64 / n_rot as f64);
                if let Some(f) = factors {
                    theta /= f64::from(f[i]);
                }
                let (a, b) = if neox { (at + i, at + i + n_rot / 2) } else { (at + 2 * i, at + 2 * i + 1) };
                let (x0, x1) = (f64::from(x[a]), f64::from(x[b]));
                y[a] = (x0 * theta.cos() - x1 * theta.sin()) as f32;
                y[b] = (x0 * theta.sin() + x1 * theta.cos()) as f32;
            }
        }
    }
    y
}

/// Stacked QKV rows `[q: n_heads][k: n_kv][v: n_kv]` of head_dim floats per token.
struct QkvRows {
    n_heads: usize,
    n_kv: usize,
    head_dim: usize,
}

impl QkvRows {
    fn stride(&self) -> usize {
        (self.n_heads + 2 * self.n_kv) * self.head_dim
    }

    /// Token t's `count` heads from head `first` on, out of `rows`.
    fn heads<'a>(&self, rows: &'a [f32], t: usize, first: usize, count: usize) -> &'a [f32] {
        &rows[t * self.stride() + first * self.head_dim..][..count * self.head_dim]
    }

    /// The q, k or v heads (part 0, 1, 2) of every token, as `[n_tokens][heads][head_dim]`.
    fn part(&self, rows: &[f32], n_tokens: usize, part: usize) -> Vec<f32> {
        let (first, count) =
            [(0, self.n_heads), (self.n_heads, self.n_kv), (self.n_heads + self.n_kv, self.n_kv)][part];
        (0..n_tokens).flat_map(|t| self.heads(rows, t, first, count).to_vec()).collect()
    }
}

/// Runs RoPE + KV write on `n_tokens` random QKV rows at `pos0` and checks the rotated queries in
/// place, and the rotated keys and the values in the cache at their positions.
fn check_rope_kv(layout: RopeLayout, head_dim: usize, n_rot: usize, with_factors: bool, seed: u64) {
    for (path, ctx) in kv_contexts() {
        check_rope_kv_on(&ctx, path, layout, head_dim, n_rot, with_factors, seed);
    }
}

fn check_rope_kv_on(
    ctx: &Context,
    path: &str,
    layout: RopeLayout,
    head_dim: usize,
    n_rot: usize,
    with_factors: bool,
    seed: u64,
) {
    let (n_tokens, pos0, n_ctx, base) = (3, 200, 210, 10000.0f32);
    let rows = QkvRows { n_heads: 5, n_kv: 2, head_dim };
    let mut rng = Rng::new(seed);
    let qkv = rng.f32s(n_tokens * rows.stride(), 1.0);
    let factors: Vec<f32> = (0..n_rot / 2).map(|i| 1.0 + (i % 7) as f32).collect();
    let step = step_at(ctx, pos0 as u32, n_tokens as u32);
    let (qkvb, fb) = (storage_f32(ctx, "qkv", &qkv), storage_f32(ctx, "factors", &factors));
    let cache = KvCache::new(ctx, "cache", n_ctx as u32, rows.n_kv as u32, head_dim as u32).unwrap();
    let config = RopeConfig {
        n_heads: rows.n_heads as u32,
        n_rot: n_rot as u32,
        layout,
        freq_base: base,
        freq_scale: 1.0,
        freq_factors: with_factors.then_some(&fb),
    };
    let bound = RopeKv::new(ctx).bind(ctx, &step, &qkvb, &cache, &config).unwrap();
    submit_pass(ctx, |pass| bound.encode(pass, n_tokens as u32));
    let neox = layout == RopeLayout::NeoX;
    let f = with_factors.then_some(&factors[..]);
    let rope = |x: &[f32], heads| rope_ref(x, n_tokens, heads, head_dim, n_rot, neox, pos0, base.into(), 1.0, f);
    let width = rows.n_kv * head_dim;
    let cached = |buffer| read_cache(ctx, &cache, buffer, n_ctx * width)[pos0 * width..][..n_tokens * width].to_vec();
    let got_qkv = read(ctx, &qkvb, qkv.len());
    let checks = [
        ("q", rows.part(&got_qkv, n_tokens, 0), rope(&rows.part(&qkv, n_tokens, 0), rows.n_heads)),
        ("k", cached(cache.keys()), rope(&rows.part(&qkv, n_tokens, 1), rows.n_kv)),
        ("v", cached(cache.values()), rows.part(&qkv, n_tokens, 2)),
    ];
    for (what, got, want) in checks {
        // An f16 cache adds its rounding: at most 2^-11 of the value, 2^-10 with either rounding.
        let stored = cache.is_f16() && what != "q";
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            // theta reaches ~200 rad; its f32 rounding (as in ggml) alone is ~1e-5 rad: 1e-4
            // absolute on values of magnitude <= 1.4.
            let tolerance = 1e-4 + if stored { w.abs() / 1024.0 } else { 0.0 };
            let dim = i % head_dim;
            assert!((g - w).abs() <= tolerance, "{path} {layout:?} {what} element {i} (dim {dim}): GPU {g}, CPU {w}");
        }
    }
    assert_eq!(rows.part(&got_qkv, n_tokens, 1), rows.part(&qkv, n_tokens, 1), "k is rotated into the cache only");
}

#[test]
fn rope_kv_normal_layout_matches_ggml_mode_0() {
    check_rope_kv(RopeLayout::Interleaved, 64, 64, false, 70);
}

#[test]
fn rope_kv_neox_layout_matches_ggml_mode_2() {
    check_rope_kv(RopeLayout::NeoX, 128, 128, false, 71);
}

#[test]
fn rope_kv_divides_by_frequency_factors() {
    check_rope_kv(RopeLayout::Interleaved, 64, 64, true, 72);
}

#[test]
fn rope_kv_leaves_dimensions_past_n_rot_alone() {
    check_rope_kv(RopeLayout::NeoX, 64, 32, false, 73);
}

#[test]
fn rope_kv_stores_tokens_at_their_positions() {
    for (path, ctx) in kv_contexts() {
        let (n_ctx, rows) = (40, QkvRows { n_heads: 2, n_kv: 2, head_dim: 12 });
        let width = rows.n_kv * rows.head_dim;
        let cache = KvCache::new(&ctx, "cache", n_ctx as u32, rows.n_kv as u32, rows.head_dim as u32).unwrap();
        let qkv = Rng::new(80).f32s(5 * rows.stride(), 1.0);
        let qkvb = storage_f32(&ctx, "qkv", &qkv);
        let step = Step::new(&ctx);
        let config = RopeConfig {
            n_heads: rows.n_heads as u32,
            n_rot: 4,
            layout: RopeLayout::NeoX,
            freq_base: 10000.0,
            freq_scale: 1.0,
            freq_factors: None,
        };
        let bound = RopeKv::new(&ctx).bind(&ctx, &step, &qkvb, &cache, &config).unwrap();
        // Prefill 5 tokens at 0..5, then decode one token (the first row, its q already rotated) at 17.
        step.write(&ctx, 0, 5);
        submit_pass(&ctx, |pass| bound.encode(pass, 5));
        step.write(&ctx, 17, 1);
        submit_pass(&ctx, |pass| bound.encode(pass, 1));
        // The values are stored as they are; the keys' dimensions past n_rot = 4 too.
        let same = |got: &[f32], want: &[f32]| got.iter().zip(want).all(|(&g, &w)| is_stored(&cache, g, w));
        let got = read_cache(&ctx, &cache, cache.values(), n_ctx * width);
        let v = rows.part(&qkv, 5, 2);
        assert!(same(&got[..5 * width], &v), "{path}: positions 0..5");
        assert!(got[5 * width..17 * width].iter().all(|&g| g == 0.0), "{path}: positions 5..17 untouched");
        assert!(same(&got[17 * width..18 * width], &v[..width]), "{path}: position 17");
        assert!(got[18 * width..].iter().all(|&g| g == 0.0), "{path}: positions 18.. untouched");
        let keys = read_cache(&ctx, &cache, cache.keys(), n_ctx * width);
        let k = rows.part(&qkv, 5, 1);
        for (pos, t) in [(0, 0), (4, 4), (17, 0)] {
            for head in 0..rows.n_kv {
                let at = head * rows.head_dim + 4;
                let dims = rows.head_dim - 4;
                let (got, want) = (&keys[pos * width + at..][..dims], &k[t * width + at..][..dims]);
                assert!(same(got, want), "{path}: position {pos} head {head}: {got:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn an_f16_cache_is_half_the_size_of_an_f32_one() {
    let bytes: Vec<(&str, u64)> = kv_contexts()
        .into_iter()
        .map(|(path, ctx)| (path, KvCache::new(&ctx, "cache", 100, 2, 64).unwrap().bytes()))
        .collect();
    assert_eq!(bytes[0], ("f32 cache", 2 * 100 * 2 * 64 * 4));
    if let Some(&(path, b)) = bytes.get(1) {
        assert_eq!((path, b), ("f16 cache", 2 * 100 * 2 * 64 * 2));
    }
}

#[test]
fn kernels_refuse_a_cache_of_the_other_element_type() {
    let contexts = kv_contexts();
    let [(_, f32_ctx), (_, f16_ctx)] = &contexts[..] else {
        eprintln!("skipped: this adapter has no shader-f16");
        return;
    };
    let cache = KvCache::new(f16_ctx, "cache", 8, 2, 64).unwrap();
    let q = storage_zeroed(f32_ctx, "q", 4 * 64);
    let config = AttentionConfig { n_heads: 4, scale: 1.0, softcap: None, window: None, q_stride: None };
    let err = Attention::new(f32_ctx).bind(f32_ctx, &Step::new(f32_ctx), &q, &cache, &q, &config).err();
    assert!(matches!(&err, Some(GpuError::Shape(m)) if m.contains("f32 KV cache, given an f16 one")), "{err:?}");
}

struct AttentionCase {
    n_heads: usize,
    n_kv: usize,
    head_dim: usize,
    n_ctx: usize,
    pos0: usize,
    n_tokens: usize,
    scale: f32,
    softcap: Option<f32>,
    window: Option<usize>,
    q_scale: f32,
}

/// Softmax attention in f64, masking exactly as the brief and llama.cpp: key j is seen by the query
/// at position p when j <= p and (no window or p - j < window).
fn attention_ref(c: &AttentionCase, q: &[f32], k: &[f32], v: &[f32]) -> Vec<f32> {
    let (hd, group) = (c.head_dim, c.n_heads / c.n_kv);
    let mut out = vec![0.0f32; c.n_tokens * c.n_heads * hd];
    for t in 0..c.n_tokens {
        let p = c.pos0 + t;
        for h in 0..c.n_heads {
            let kvh = h / group;
            let qv = &q[(t * c.n_heads + h) * hd..][..hd];
            let keys: Vec<usize> = (0..=p).filter(|&j| c.window.is_none_or(|w| p - j < w)).collect();
            let scores: Vec<f64> = keys
                .iter()
                .map(|&j| {
                    let kv = &k[(j * c.n_kv + kvh) * hd..][..hd];
                    let mut s = qv.iter().zip(kv).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum::<f64>();
                    s *= f64::from(c.scale);
                    if let Some(cap) = c.softcap {
                        s = f64::from(cap) * (s / f64::from(cap)).tanh();
                    }
                    s
                })
                .collect();
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let total: f64 = weights.iter().sum();
            for d in 0..hd {
                let o: f64 =
                    keys.iter().zip(&weights).map(|(&j, w)| w * f64::from(v[(j * c.n_kv + kvh) * hd + d])).sum();
                out[(t * c.n_heads + h) * hd + d] = (o / total) as f32;
            }
        }
    }
    out
}

/// Fills positions 0..pos0 + n_tokens of a fresh cache, runs attention for this call's queries
/// (`q_stride` floats apart when given, as in a stacked QKV row), compares with the CPU.
fn check_attention(c: &AttentionCase, q_stride: Option<usize>, seed: u64) {
    for (cache, ctx) in kv_contexts() {
        // The CPU-adapter kernel (attention_rows.wgsl) on a software adapter, and the GPU's.
        if ctx.uses_cpu_kernels() {
            check_attention_on(&ctx, &format!("{cache}, cpu kernel"), c, q_stride, seed);
        }
        check_attention_on(&ctx.without_cpu_kernels(), &format!("{cache}, gpu kernel"), c, q_stride, seed);
    }
}

fn check_attention_on(ctx: &Context, path: &str, c: &AttentionCase, q_stride: Option<usize>, seed: u64) {
    let mut rng = Rng::new(seed);
    let total = c.pos0 + c.n_tokens;
    let width = c.n_kv * c.head_dim;
    let row = c.n_heads * c.head_dim;
    let (k, v) = (rng.f32s(total * width, 1.0), rng.f32s(total * width, 1.0));
    let q = rng.f32s(c.n_tokens * row, c.q_scale);
    let cache = KvCache::new(ctx, "cache", c.n_ctx as u32, c.n_kv as u32, c.head_dim as u32).unwrap();
    write_cache(ctx, &cache, cache.keys(), &k);
    write_cache(ctx, &cache, cache.values(), &v);
    // The reference attends over what the cache holds, so an f16 cache meets the f32 tolerance.
    let (k, v): (Vec<f32>, Vec<f32>) =
        (k.iter().map(|&x| as_stored(&cache, x)).collect(), v.iter().map(|&x| as_stored(&cache, x)).collect());
    let stride = q_stride.unwrap_or(row);
    let mut rows = vec![f32::NAN; c.n_tokens * stride];
    for t in 0..c.n_tokens {
        rows[t * stride..][..row].copy_from_slice(&q[t * row..][..row]);
    }
    let qb = storage_f32(ctx, "q", &rows);
    let out = storage_zeroed(ctx, "out", q.len());
    let config = AttentionConfig {
        n_heads: c.n_heads as u32,
        scale: c.scale,
        softcap: c.softcap,
        window: c.window.map(|w| w as u32),
        q_stride: q_stride.map(|s| s as u32),
    };
    let step = step_at(ctx, c.pos0 as u32, c.n_tokens as u32);
    let attend = Attention::new(ctx).bind(ctx, &step, &qb, &cache, &out, &config).unwrap();
    assert_eq!(attend.uses_cpu_kernel(), path.ends_with("cpu kernel"));
    let (n_tokens, pos0) = (c.n_tokens as u32, c.pos0 as u32);
    // Decode over more than ATTENTION_SPLIT_MIN_KEYS keys splits them, on the GPU kernel only.
    let keys = c.window.map_or(c.pos0 + 1, |w| (c.pos0 + 1).min(w)) as u32;
    let splits = !attend.uses_cpu_kernel() && n_tokens == 1 && keys > ATTENTION_SPLIT_MIN_KEYS;
    assert_eq!(attend.dispatch_count(n_tokens, pos0), if splits { 2 } else { 1 }, "{path}");
    submit_pass(ctx, |pass| attend.encode(pass, n_tokens, pos0));
    let got = read(ctx, &out, q.len());
    let want = attention_ref(c, &q, &k, &v);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let (t, h, d) = (i / (c.n_heads * c.head_dim), i / c.head_dim % c.n_heads, i % c.head_dim);
        // Outputs are convex combinations of values in [-1, 1]; f32 exp and dot products: 2e-5.
        assert!((g - w).abs() <= 2e-5, "{path}: token {t} head {h} dim {d}: GPU {g}, CPU {w}");
    }
}

#[test]
fn attention_decode_matches_the_cpu_with_grouped_query_heads() {
    // 8 query heads over 2 kv heads; 150 cached tokens span three 64-key chunks.
    let c = AttentionCase {
        n_heads: 8,
        n_kv: 2,
        head_dim: 64,
        n_ctx: 200,
        pos0: 150,
        n_tokens: 1,
        scale: 0.125,
        softcap: None,
        window: None,
        q_scale: 2.0,
    };
    check_attention(&c, None, 90);
}

#[test]
fn long_decode_attention_shares_its_keys_out_among_workgroups_and_merges_them() {
    // 1,000 keys: 16 chunks of 64 over 16 splits of one chunk each (the last one short), Qwen's
    // grouping; then 300 keys, just past the split threshold: 5 chunks, 11 splits without keys.
    for (pos0, seed) in [(999, 96), (299, 97)] {
        let c = AttentionCase {
            n_heads: 14,
            n_kv: 2,
            head_dim: 64,
            n_ctx: 1024,
            pos0,
            n_tokens: 1,
            scale: 0.125,
            softcap: None,
            window: None,
            q_scale: 2.0,
        };
        check_attention(&c, None, seed);
    }
}

#[test]
fn long_decode_attention_split_keeps_the_window_and_the_soft_cap() {
    // Gemma 2 shapes at position 1,500 with a 700-key window: the splits share out keys 800..1500
    // only; large queries push the scores past the cap.
    let c = AttentionCase {
        n_heads: 4,
        n_kv: 2,
        head_dim: 256,
        n_ctx: 1600,
        pos0: 1500,
        n_tokens: 1,
        scale: 0.0625,
        softcap: Some(50.0),
        window: Some(700),
        q_scale: 40.0,
    };
    check_attention(&c, None, 98);
}

#[test]
fn a_window_shorter_than_the_split_threshold_keeps_long_decode_in_one_walk() {
    let ctx = context().without_cpu_kernels();
    let cache = KvCache::new(&ctx, "cache", 2048, 2, 64).unwrap();
    let buf = storage_zeroed(&ctx, "q", 4 * 64);
    let bind = |window| {
        let config = AttentionConfig { n_heads: 4, scale: 1.0, softcap: None, window, q_stride: None };
        Attention::new(&ctx).bind(&ctx, &Step::new(&ctx), &buf, &cache, &buf, &config).unwrap()
    };
    assert_eq!(bind(Some(200)).dispatch_count(1, 2000), 1);
    assert_eq!(bind(None).dispatch_count(1, 2000), 2);
    assert_eq!(bind(None).dispatch_count(2, 2000), 1, "prefill has its tokens to spread");
    assert_eq!(bind(None).dispatch_count(1, ATTENTION_SPLIT_MIN_KEYS - 1), 1);
    assert_eq!(bind(None).dispatch_count(1, ATTENTION_SPLIT_MIN_KEYS), 2);
}

#[test]
fn attention_prefill_is_causal() {
    // 70 new tokens after 30 cached ones, 14 heads over 2 kv heads (Qwen2.5-0.5B's grouping).
    let c = AttentionCase {
        n_heads: 14,
        n_kv: 2,
        head_dim: 64,
        n_ctx: 128,
        pos0: 30,
        n_tokens: 70,
        scale: 0.125,
        softcap: None,
        window: None,
        q_scale: 2.0,
    };
    check_attention(&c, None, 91);
}

#[test]
fn attention_of_a_prompt_s_first_tokens_sees_fewer_keys_than_there_are_lanes() {
    // Positions 0..5: the first query sees one key, the last five.
    let c = AttentionCase {
        n_heads: 4,
        n_kv: 2,
        head_dim: 64,
        n_ctx: 16,
        pos0: 0,
        n_tokens: 5,
        scale: 0.125,
        softcap: None,
        window: None,
        q_scale: 2.0,
    };
    check_attention(&c, None, 95);
}

#[test]
fn attention_soft_caps_logits() {
    // Gemma 2 shapes: head_dim 256, cap 50; large queries push scores well past the cap.
    let c = AttentionCase {
        n_heads: 4,
        n_kv: 2,
        head_dim: 256,
        n_ctx: 100,
        pos0: 90,
        n_tokens: 3,
        scale: 0.0625,
        softcap: Some(50.0),
        window: None,
        q_scale: 40.0,
    };
    check_attention(&c, None, 92);
}

#[test]
fn attention_sliding_window_hides_old_keys() {
    let c = AttentionCase {
        n_heads: 4,
        n_kv: 4,
        head_dim: 128,
        n_ctx: 256,
        pos0: 150,
        n_tokens: 5,
        scale: 0.088,
        softcap: None,
        window: Some(40),
        q_scale: 2.0,
    };
    check_attention(&c, None, 93);
}

#[test]
fn attention_reads_queries_from_stacked_qkv_rows() {
    // Qwen2.5-0.5B's row: 14 query heads, then 2 key and 2 value heads of 64 dimensions.
    let c = AttentionCase {
        n_heads: 14,
        n_kv: 2,
        head_dim: 64,
        n_ctx: 64,
        pos0: 20,
        n_tokens: 3,
        scale: 0.125,
        softcap: None,
        window: None,
        q_scale: 2.0,
    };
    check_attention(&c, Some(18 * 64), 94);
}

#[test]
fn attention_over_heads_not_a_multiple_of_8_takes_the_gpu_kernel() {
    // The CPU-adapter kernel reads eight values a load; 36 dimensions are four and a half loads.
    let ctx = context();
    let cache = KvCache::new(&ctx, "cache", 8, 1, 36).unwrap();
    let buf = storage_zeroed(&ctx, "q", 36);
    let config = AttentionConfig { n_heads: 1, scale: 1.0, softcap: None, window: None, q_stride: None };
    let bound = Attention::new(&ctx).bind(&ctx, &Step::new(&ctx), &buf, &cache, &buf, &config).unwrap();
    assert!(!bound.uses_cpu_kernel());
}

#[test]
fn attention_rejects_heads_that_do_not_share_kv_heads_evenly() {
    let ctx = context();
    let cache = KvCache::new(&ctx, "cache", 8, 3, 64).unwrap();
    let buf = storage_zeroed(&ctx, "q", 4 * 64);
    let config = AttentionConfig { n_heads: 4, scale: 1.0, softcap: None, window: None, q_stride: None };
    let err = Attention::new(&ctx).bind(&ctx, &Step::new(&ctx), &buf, &cache, &buf, &config);
    assert!(matches!(err, Err(GpuError::Shape(_))));
    assert!(matches!(KvCache::new(&ctx, "cache", 8, 1, 512), Err(GpuError::Shape(_))), "head_dim above 256");
}

fn check_glu(activation: Activation, f: impl Fn(f64) -> f64) {
    let ctx = context();
    let (width, n_tokens) = (700, 3);
    let mut rng = Rng::new(100);
    let mut gate = rng.f32s(width * n_tokens, 6.0);
    // Extremes must not overflow to NaN.
    gate[0] = 200.0;
    gate[1] = -200.0;
    let up = rng.f32s(width * n_tokens, 2.0);
    let rows: Vec<f32> =
        (0..n_tokens).flat_map(|t| [&gate[t * width..][..width], &up[t * width..][..width]].concat()).collect();
    let step = step_at(&ctx, 0, n_tokens as u32);
    let (gub, out) = (storage_f32(&ctx, "gate_up", &rows), storage_zeroed(&ctx, "out", width * n_tokens));
    let bound = Glu::new(&ctx).bind(&ctx, &step, &gub, &out, width as u32, activation).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass, n_tokens as u32));
    let got = read(&ctx, &out, gate.len());
    for (i, g) in got.iter().enumerate() {
        let want = f(f64::from(gate[i])) * f64::from(up[i]);
        // One exp and a few roundings: 1e-5 relative.
        assert!((f64::from(*g) - want).abs() <= 1e-5 * want.abs() + 1e-6, "{activation:?} {i}: GPU {g}, CPU {want}");
    }
}

fn silu(x: f64) -> f64 {
    x / (1.0 + (-x).exp())
}

fn gelu_tanh(x: f64) -> f64 {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

#[test]
fn swiglu_matches_the_cpu() {
    check_glu(Activation::Silu, silu);
}

#[test]
fn geglu_matches_the_cpu() {
    check_glu(Activation::GeluTanh, gelu_tanh);
}

/// Gate and up weights stacked into one weight, through the fused kernel, against
/// act(W_gate x) * (W_up x) on the CPU.
fn check_matvec_glu(ty: Type, rows: usize, cols: usize, activation: Activation, act: fn(f64) -> f64, seed: u64) {
    for (path, ctx) in contexts() {
        check_matvec_glu_on(path, &ctx, ty, (rows, cols), (activation, act), seed);
    }
}

fn check_matvec_glu_on(
    path: &str,
    ctx: &Context,
    ty: Type,
    (rows, cols): (usize, usize),
    (activation, act): (Activation, fn(f64) -> f64),
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    let parts: Vec<(usize, Vec<u8>)> = (0..2).map(|_| (rows, weight_bytes(&mut rng, ty, rows, cols))).collect();
    let x = rng.f32s(cols, 1.0);
    let weight = stacked(ctx, ty, cols, &parts);
    let (xb, yb) = (self::activation(ctx, &x), storage_zeroed(ctx, "y", rows));
    let bound = MatvecGlu::new(ctx).bind(ctx, &weight, &xb, &yb, activation).unwrap();
    assert_eq!(bound.uses_cpu_kernel(), path == "cpu");
    submit_pass(ctx, |pass| bound.encode(pass));
    let [gate, up] = [0, 1].map(|i| matvec_ref(&dequantized(ty, &parts[i].1, rows * cols), &x, rows, cols));
    for (r, g) in read(ctx, &yb, rows).iter().enumerate() {
        let ((gd, gm), (ud, um)) = (gate[r], up[r]);
        let want = act(gd) * ud;
        // The dot products' tolerance (5e-5 of sum |w x|, as assert_dots) carried through the
        // activation, whose slope is at most 1.1.
        let tol = 1.1 * 5e-5 * gm * ud.abs() + act(gd).abs() * 5e-5 * um + 1e-5;
        assert!((f64::from(*g) - want).abs() <= tol, "{ty} {activation:?} ({path}) row {r}: GPU {g}, CPU {want}");
    }
}

#[test]
fn matvec_glu_matches_the_cpu_for_every_weight_type() {
    for (i, &ty) in SUPPORTED_TYPES.iter().enumerate() {
        for (rows, cols) in shapes(ty).into_iter().skip(1) {
            check_matvec_glu(ty, rows, cols, Activation::Silu, silu, 101 + i as u64);
        }
    }
}

#[test]
fn matvec_glu_applies_geglu() {
    check_matvec_glu(Type::Q4_0, 37, 96, Activation::GeluTanh, gelu_tanh, 108);
}

#[test]
fn matvec_glu_refuses_a_stack_split_over_buffers() {
    let (ty, rows, cols) = (Type::Q4_0, 20, 64);
    let ctx = capped(ty, cols, 16);
    let mut rng = Rng::new(109);
    let parts: Vec<(usize, Vec<u8>)> = (0..2).map(|_| (rows, weight_bytes(&mut rng, ty, rows, cols))).collect();
    let weight = stacked(&ctx, ty, cols, &parts);
    let (xb, yb) = (storage_zeroed(&ctx, "x", cols), storage_zeroed(&ctx, "y", rows));
    let err = MatvecGlu::new(&ctx).bind(&ctx, &weight, &xb, &yb, Activation::Silu);
    assert!(matches!(err, Err(GpuError::Unsupported(_))), "the model falls back to matvec + glu");
}

#[test]
fn softcap_bounds_logits_smoothly() {
    let ctx = context();
    let cap = 30.0f32;
    let mut rng = Rng::new(110);
    let mut x = rng.f32s(1001, 80.0);
    x[0] = 1e30;
    x[1] = -1e30;
    let xb = storage_f32(&ctx, "x", &x);
    let bound = Softcap::new(&ctx).bind(&ctx, &xb, x.len() as u32, cap).unwrap();
    submit_pass(&ctx, |pass| bound.encode(pass));
    for (i, (g, v)) in read(&ctx, &xb, x.len()).iter().zip(&x).enumerate() {
        let want = f64::from(cap) * (f64::from(*v) / f64::from(cap)).tanh();
        // 1e-5 of the cap: tanh from one exp.
        assert!((f64::from(*g) - want).abs() <= 3e-4, "{i}: x {v}: GPU {g}, CPU {want}");
    }
}

fn top_k_of(ctx: &Context, x: &[f32], k: u32) -> Ranked {
    let xb = storage_f32(ctx, "logits", x);
    let bound = TopK::new(ctx).bind(ctx, &xb, x.len() as u32, k).unwrap();
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        bound.encode(&mut pass);
    }
    bound.copy_result(&mut encoder);
    ctx.queue.submit([encoder.finish()]);
    pollster::block_on(bound.read(ctx)).unwrap()
}

/// The k best (value descending, index ascending among equals) by a full CPU sort.
fn top_k_ref(x: &[f32], k: usize) -> Ranked {
    let mut order: Vec<u32> = (0..x.len() as u32).collect();
    order.sort_by(|&a, &b| x[b as usize].total_cmp(&x[a as usize]).then(a.cmp(&b)));
    order.truncate(k);
    Ranked { values: order.iter().map(|&i| x[i as usize]).collect(), indices: order }
}

#[test]
fn argmax_picks_the_lowest_index_among_ties() {
    let ctx = context();
    // A Gemma-sized vocabulary; the maximum appears three times, in different workgroups' slices.
    let mut rng = Rng::new(120);
    let mut x = rng.f32s(256_000, 10.0);
    for i in [200_001, 77_777, 255_999] {
        x[i] = 12.5;
    }
    let got = top_k_of(&ctx, &x, 1);
    assert_eq!(got.indices, vec![77_777]);
    assert_eq!(got.values, vec![12.5]);
}

#[test]
fn argmax_of_random_logits_matches_the_cpu() {
    let ctx = context();
    for seed in 0..4 {
        let x = Rng::new(130 + seed).f32s(151_936, 20.0); // Qwen2.5's vocabulary
        assert_eq!(top_k_of(&ctx, &x, 1), top_k_ref(&x, 1), "seed {seed}");
    }
}

#[test]
fn top_k_matches_a_cpu_sort() {
    let ctx = context();
    let mut rng = Rng::new(140);
    // Coarse values give many exact ties, including across slices.
    let x: Vec<f32> = (0..100_003).map(|_| (rng.below(2000) as f32) * 0.5).collect();
    for k in [2, 40, 64] {
        assert_eq!(top_k_of(&ctx, &x, k), top_k_ref(&x, k as usize), "k = {k}");
    }
}

#[test]
fn top_k_of_a_short_vector_ranks_all_of_it() {
    let ctx = context();
    let x = [0.5f32, -1.0, 3.0, 0.5, 2.0];
    assert_eq!(top_k_of(&ctx, &x, 5), top_k_ref(&x, 5));
    let err = TopK::new(&ctx).bind(&ctx, &storage_f32(&ctx, "x", &x), 5, 6);
    assert!(matches!(err, Err(GpuError::Unsupported(_))), "k > n");
}
