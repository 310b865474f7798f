# Mind's Eye. Two commands on a fresh machine:
#   make serve   build the playground and serve it on http://127.0.0.1:8080
#   make test    install what is missing, then run every check CI runs
# Both install their own tools (scripts/install-tools.sh is idempotent).

PORT ?= 8080
SHELL := /bin/bash
CARGO_HOME ?= $(HOME)/.cargo
export PATH := $(CURDIR)/node_modules/.bin:$(CARGO_HOME)/bin:$(HOME)/.cargo/bin:$(PATH)
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: serve dist dev test tools build-tools test-tools clean bench-browser

serve: dist
	node scripts/serve.mjs --dir dist --port $(PORT)

# A self-contained static site: hashed asset names, release build through wasm-opt, relative URLs.
dist: build-tools
	trunk build --release --public-url ./

# A quicker debug build for working on the app.
dev: build-tools
	trunk build --public-url ./
	node scripts/serve.mjs --dir dist --port $(PORT)

test:
	bash scripts/test.sh

# Our engine next to wllama (llama.cpp in wasm) in headless Chromium, on one GGUF file:
#   make bench-browser MODEL=path/to/model.gguf [PROMPT_TOKENS=16] [DECODE_TOKENS=8] [BATCH=64] [PROFILE=1]
PROMPT_TOKENS ?= 16
DECODE_TOKENS ?= 8
bench-browser: dist
	@test -n "$(MODEL)" || { echo "usage: make bench-browser MODEL=path/to/model.gguf [PROMPT_TOKENS=16] [DECODE_TOKENS=8] [BATCH=64] [PROFILE=1]"; exit 2; }
	node scripts/browser_bench.mjs --model "$(MODEL)" --prompt-tokens $(PROMPT_TOKENS) --decode-tokens $(DECODE_TOKENS) $(if $(BATCH),--batch $(BATCH)) $(if $(PROFILE),--profile)

build-tools:
	bash scripts/install-tools.sh build

test-tools:
	bash scripts/install-tools.sh test

tools: test-tools

clean:
	cargo clean
	rm -rf dist tests/e2e/out
