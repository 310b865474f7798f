#!/usr/bin/env python3
"""llama.cpp's speed on a GGUF file, as the peer for `mindseye bench model`.

Runs llama.cpp (PyPI llama-cpp-python; its CPU backend, or with --gpu-layers N a GPU build offloading N
layers) on the same file and prompt length as our bench:
prefill of N prompt tokens, then M greedy decode steps, and prints one JSON line with tokens/second.
Not run in CI (llama-cpp-python takes ~20 minutes to build); `mindseye bench model --llama-cpp PYTHON`
calls it with the interpreter of a virtual environment that has it.

    python scripts/llama_cpp_bench.py MODEL.gguf --prompt-tokens 64 --decode-tokens 32 [--threads 2]
"""
import argparse
import json
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt-tokens", type=int, default=64)
    ap.add_argument("--decode-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--gpu-layers", type=int, default=0)
    args = ap.parse_args()

    import llama_cpp

    t0 = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=args.model,
        n_ctx=args.prompt_tokens + args.decode_tokens + 8,
        n_batch=512,
        n_threads=args.threads,
        n_gpu_layers=args.gpu_layers,
        verbose=False,
    )
    load_s = time.perf_counter() - t0
    n_vocab = llm.n_vocab()
    # Deterministic, tokenizer-independent prompt: ids spread over the vocabulary.
    prompt = [(i * 7919 + 13) % n_vocab for i in range(args.prompt_tokens)]
    if llm.token_bos() >= 0:
        prompt[0] = llm.token_bos()

    t0 = time.perf_counter()
    llm.eval(prompt)
    prefill_s = time.perf_counter() - t0
    token = int(max(range(n_vocab), key=lambda i: llm.scores[llm.n_tokens - 1][i]))
    t0 = time.perf_counter()
    for _ in range(args.decode_tokens):
        llm.eval([token])
        row = llm.scores[llm.n_tokens - 1]
        token = int(row.argmax())
    decode_s = time.perf_counter() - t0
    print(json.dumps({
        "engine": f"llama.cpp via llama-cpp-python {llama_cpp.__version__}",
        "threads": args.threads,
        "load_s": load_s,
        "prompt_tokens": args.prompt_tokens,
        "prefill_s": prefill_s,
        "prefill_tok_s": args.prompt_tokens / prefill_s,
        "decode_tokens": args.decode_tokens,
        "decode_s": decode_s,
        "decode_tok_s": args.decode_tokens / decode_s,
    }))


if __name__ == "__main__":
    main()
