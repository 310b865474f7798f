#!/usr/bin/env bash
# Everything CI checks, in order, with the time each stage took. Every stage runs even when an
# earlier one failed, so one run shows all problems; the exit code is non-zero if any failed.
# The last lines are the test runners' own summary lines and a total.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
export CARGO_TERM_COLOR=never
logs=target/test-logs
mkdir -p "$logs"
rm -f "$logs"/*.log

declare -a names times results
failed=0

stage() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  names+=("$name")
  times+=($((SECONDS - t0)))
  if [ "$rc" = 0 ]; then results+=(ok); else results+=("FAILED ($rc)"); failed=1; fi
}

# Chromium for wasm-bindgen-test: the same flags the end-to-end suite uses (WebGPU on SwiftShader).
webdriver_json=$PWD/tests/webdriver.json

wasm_tests() {
  CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$webdriver_json" \
    WASM_BINDGEN_TEST_TIMEOUT=300 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p mindseye-tests --target wasm32-unknown-unknown --test gpu_browser
}

stage tools bash scripts/install-tools.sh test
stage fmt cargo fmt --all --check
stage clippy cargo clippy --workspace --all-targets --locked -- -D warnings
stage clippy-wasm cargo clippy -p mindseye-app -p mindseye-tests --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
stage native-tests cargo test --workspace --locked
stage wasm-tests wasm_tests
stage dist trunk build --release --public-url ./
stage e2e node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout tests/e2e/*.test.mjs

printf '\n==> stage times\n'
total=0
for i in "${!names[@]}"; do
  printf '  %-14s %5ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
  total=$((total + times[i]))
done
printf '  %-14s %5ss\n' total "$total"

printf '\n==> test runner summaries\n'
passed=0
fails=0
for log in native-tests wasm-tests; do
  while read -r line; do
    echo "  [$log] $line"
    p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + p))
    fails=$((fails + f))
  done < <(grep -E '^test result: ' "$logs/$log.log" 2>/dev/null)
done
p=$(grep -E '^ℹ pass [0-9]+' "$logs/e2e.log" 2>/dev/null | awk '{print $3}' | tail -1)
f=$(grep -E '^ℹ fail [0-9]+' "$logs/e2e.log" 2>/dev/null | awk '{print $3}' | tail -1)
echo "  [e2e] pass ${p:-0}, fail ${f:-0}"
passed=$((passed + ${p:-0}))
fails=$((fails + ${f:-0}))
# Each failing browser test's place and the first lines of its error, so a CI log's tail says why.
if [ "${f:-0}" != 0 ]; then
  echo
  echo "==> failing end-to-end tests"
  sed -n '/^✖ failing tests:/,$p' "$logs/e2e.log" | sed -E 's/\x1b\[[0-9;]*m//g' | awk '
    /^test at / { print "  " $0; keep = 0; next }
    /^✖ / { print "  " substr($0, 1, 200); keep = 4; next }
    keep > 0 && /^ +at / { keep = 0; next }
    keep > 0 && NF > 0 { print "    " substr($0, 1, 200); keep--; }'
fi
[ "$failed" = 0 ] || echo "  some stages failed: see $logs/"
echo "all: $passed passed, $fails failed"
exit "$failed"
