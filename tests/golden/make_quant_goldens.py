#!/usr/bin/env python3
"""Writes the quantization goldens in tests/golden/quant/, using PyPI `gguf` as the oracle.

Run by hand (not in CI) from a virtual environment with `pip install gguf numpy`:

    python3 tests/golden/make_quant_goldens.py

Outputs:
  blocks.gguf          written by gguf.GGUFWriter: one tensor per type holding random raw blocks
                       (named after the type), the quantizer input `quantize.input` (F32), and
                       metadata of every value type (checked by the parser test).
  <TYPE>.f32           gguf.quants.dequantize of that tensor: raw little-endian f32.
  quantize_<TYPE>.bin  gguf.quants.quantize of `quantize.input`: raw block bytes.
  VERSIONS             the oracle's package versions.
"""

import pathlib
from importlib.metadata import version

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFWriter, GGUFValueType
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

OUT = pathlib.Path(__file__).resolve().parent / "quant"
rng = np.random.default_rng(20240607)

# Byte offsets of the f16 scale fields in each block layout (ggml-common.h).
SCALE_OFFSETS = {
    T.Q8_0: [0],
    T.Q4_0: [0],
    T.Q5_0: [0],
    T.Q4_1: [0, 2],
    T.Q5_1: [0, 2],
    T.Q4_K: [0, 2],
    T.Q5_K: [0, 2],
    T.Q6_K: [208],
    T.Q2_K: [80, 82],
    T.Q3_K: [108],
    T.IQ4_NL: [0],
    T.IQ4_XS: [0],
    T.IQ3_S: [0],
    T.IQ3_XXS: [0],
    T.IQ2_XXS: [0],
    T.IQ2_XS: [0],
    T.IQ2_S: [0],
    T.IQ1_S: [0],
    T.IQ1_M: [],  # its f16 d is the top nibbles of its four scales words: raw_blocks sets them
}
FLOAT_TYPES = [T.F32, T.F16, T.BF16]


def finite_f16_bits(n):
    """Random finite f16 bit patterns over the whole range, subnormals and zeros included."""
    mantissa_sign = rng.integers(0, 1 << 16, n, dtype=np.uint16) & np.uint16(0x83FF)
    exponent = rng.integers(0, 31, n, dtype=np.uint16) << np.uint16(10)
    return mantissa_sign | exponent


def float_values(qtype, n):
    """Random normals plus the special values the conversion must get right (NaN included)."""
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -2.5]
    if qtype == T.F16:
        specials += [6.1e-5, 5.96e-8, -5.96e-8, 65504.0, 1e-6]  # normal min, subnormals, max
    else:
        specials += [1.4e-45, -1e-40, 3.4e38, 1.2e-38]  # f32 subnormals, max
    values = rng.standard_normal(n).astype(np.float32) * 10
    values[: len(specials)] = specials
    return values


def raw_blocks(qtype, n_blocks):
    block_size, block_bytes = GGML_QUANT_SIZES[qtype]
    if qtype in FLOAT_TYPES:
        values = float_values(qtype, n_blocks)
        if qtype == T.F32:
            return values.view(np.uint8)
        if qtype == T.F16:
            return values.astype(np.float16).view(np.uint8)
        # BF16: truncated f32 bits, so values stay exact and NaN stays NaN.
        return (values.view(np.uint32) >> np.uint32(16)).astype(np.uint16).view(np.uint8)
    blocks = rng.integers(0, 256, (n_blocks, block_bytes), dtype=np.uint8)
    for offset in SCALE_OFFSETS[qtype]:
        blocks[:, offset : offset + 2] = finite_f16_bits(n_blocks).view(np.uint8).reshape(n_blocks, 2)
    if qtype == T.IQ1_M:
        d = finite_f16_bits(n_blocks)
        for i in range(4):  # nibble i of d in the top nibble of scales word i (bytes 48..56)
            top = ((d >> np.uint16(4 * i)) & np.uint16(0xF)).astype(np.uint8) << np.uint8(4)
            blocks[:, 49 + 2 * i] = (blocks[:, 49 + 2 * i] & np.uint8(0x0F)) | top
    return blocks.reshape(-1)


def quantizer_input():
    """Eight Q8_0/Q4_0 blocks: random scales, an all-zero block, exact rounding ties, a negative
    extreme, and equal-magnitude extremes of both signs (the first wins in Q4_0)."""
    x = (rng.standard_normal((8, 32)) * rng.uniform(0.01, 100, (8, 1))).astype(np.float32)
    x[1] = 0
    x[2] = np.arange(32) - 15.5  # with the maximum 127 the Q8_0 scale is 1: every value is a tie
    x[2, 31] = 127
    x[3, 7] = -1000
    x[4, 3], x[4, 9] = 50, -50
    x[5, :] = np.float32(1e-30)  # a scale that underflows f16
    return x.reshape(-1)


def main():
    OUT.mkdir(exist_ok=True)
    versions = {"gguf": version("gguf"), "numpy": version("numpy")}
    writer = GGUFWriter(OUT / "blocks.gguf", "oracle")
    writer.add_string("oracle.gguf_version", versions["gguf"])
    writer.add_string("oracle.numpy_version", versions["numpy"])
    writer.add_uint8("test.u8", 200)
    writer.add_int8("test.i8", -100)
    writer.add_uint16("test.u16", 60000)
    writer.add_int16("test.i16", -30000)
    writer.add_uint32("test.u32", 4000000000)
    writer.add_int32("test.i32", -2000000000)
    writer.add_uint64("test.u64", 1 << 63)
    writer.add_int64("test.i64", -(1 << 62))
    writer.add_float32("test.f32", 0.1)
    writer.add_float64("test.f64", 0.1)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "grüße, 世界")
    writer.add_array("test.strings", ["a", "", "ü"])
    writer.add_key_value("test.i32s", [1, -2, 3], GGUFValueType.ARRAY, GGUFValueType.INT32)
    writer.add_key_value("test.f32s", [0.5, -1.5], GGUFValueType.ARRAY, GGUFValueType.FLOAT32)
    writer.add_key_value("test.nested", [[1, 2], [3]], GGUFValueType.ARRAY, GGUFValueType.ARRAY)

    for qtype in FLOAT_TYPES + list(SCALE_OFFSETS):
        block_size = GGML_QUANT_SIZES[qtype][0]
        n_blocks = 4 if block_size == 256 else (8 if block_size == 32 else 64)
        raw = raw_blocks(qtype, n_blocks).reshape(2, -1)
        writer.add_tensor(qtype.name, raw, raw_dtype=qtype)
        dequantize(raw, qtype).astype("<f4").tofile(OUT / f"{qtype.name}.f32")

    x = quantizer_input()
    writer.add_tensor("quantize.input", x)
    for qtype in (T.Q8_0, T.Q4_0):
        quantize(x, qtype).astype(np.uint8).tofile(OUT / f"quantize_{qtype.name}.bin")

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    (OUT / "VERSIONS").write_text("".join(f"{k} {v}\n" for k, v in versions.items()))


if __name__ == "__main__":
    main()
