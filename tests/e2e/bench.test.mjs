// The browser benchmark (scripts/browser_bench.mjs) on a tiny fixture: the app's #/bench page
// (our engine, WebGPU on SwiftShader) and wllama (llama.cpp in wasm, CPU, multi-threaded: the
// server isolates its pages) in the same Chromium, on the same file and prompt text. Both must
// tokenize the prompt alike, decode the same greedy tokens (llama.cpp's, from the fixture's
// golden) and report positive, finite figures; ours also profiles its kernels by GPU timestamps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { withBrowser, repo } from "./harness.mjs";
import { CONTEXT_OPTIONS, benchOurs, benchServerOptions, benchWllama, figures } from "../../scripts/browser_bench.mjs";

const FIXTURE = join(repo, "tests", "golden", "models", "qwen2-q8_0");
const plain = JSON.parse(readFileSync(`${FIXTURE}.json`, "utf8")).cases.find((c) => c.name === "plain");
// 8 tokens: the fixture's 9th greedy token is a lone UTF-8 continuation byte, and wllama 3.8.1
// aborts a completion whose text is not UTF-8 (llama-server's JSON refuses it).
const DECODE_STEPS = 7;

let site;
let context;
withBrowser(CONTEXT_OPTIONS, (env) => ({ site, context } = env), benchServerOptions(`${FIXTURE}.gguf`));

let runs;
/** Both engines, once for the file's tests. */
function bothEngines() {
  runs ??= (async () => {
    const args = { prompt: plain.prompt, decodeSteps: DECODE_STEPS, timeoutMs: 60_000 };
    const ours = await benchOurs(context, site.url, { ...args, profile: true });
    const theirs = await benchWllama(context, new URL(site.url).origin, { ...args, threads: 2 });
    console.log(`# ours: ${JSON.stringify(figures(ours))}`);
    console.log(`# wllama (${theirs.threads} threads): ${JSON.stringify(figures(theirs))}`);
    return { ours, theirs };
  })();
  return runs;
}

test("both engines tokenize the prompt like llama.cpp and decode its greedy tokens", async () => {
  const { ours, theirs } = await bothEngines();
  assert.equal(ours.prompt_tokens, plain.tokens.length);
  assert.equal(theirs.prompt_tokens, plain.tokens.length);
  assert.deepEqual(ours.tokens, plain.greedy.slice(0, DECODE_STEPS + 1));
  assert.deepEqual(theirs.tokens, ours.tokens);
  assert.equal(ours.batch, 64, "the default prompt batch");
});

test("both engines report positive, finite load, prefill, first-token and decode figures", async () => {
  const { ours, theirs } = await bothEngines();
  for (const [engine, report] of [["ours", ours], ["wllama", theirs]]) {
    for (const [name, value] of Object.entries(figures(report))) {
      if (name === "warmup_s" && engine === "wllama") continue; // inside llama.cpp's load
      assert.ok(Number.isFinite(value) && value > 0, `${engine} ${name} = ${value}`);
    }
  }
  for (const key of ["decode_one_at_a_time_s", "sampled_ranked_s", "sampled_logits_s"]) {
    assert.ok(Number.isFinite(ours[key]) && ours[key] > 0, `ours ${key} = ${ours[key]}`);
  }
  assert.equal(theirs.multithread, true, "the isolated page lets wllama run its multi-threaded build");
  assert.ok(ours.adapter.name.length > 0);
});

test("our profile times every kernel kind of the prompt batch and the next token, which it picks as the run did", async () => {
  const { ours } = await bothEngines();
  const { prefill, decode } = ours.profile;
  assert.equal(prefill.timing, "timestamps");
  assert.equal(prefill.n_tokens, ours.prompt_tokens);
  assert.equal(decode.n_tokens, 1);
  assert.equal(prefill.token, ours.tokens[0]);
  assert.equal(decode.token, ours.tokens[1]);
  for (const [call, profile, product] of [["prefill", prefill, "matmul Q8_0"], ["decode", decode, "matvec Q8_0"]]) {
    const kinds = profile.kinds.map((k) => k.kind);
    assert.ok(kinds.includes(product) && kinds.includes("attention"), `${call}: ${kinds}`);
    for (const k of profile.kinds) {
      assert.ok(Number.isFinite(k.seconds) && k.seconds >= 0 && k.dispatches >= k.kernels, `${call}: ${JSON.stringify(k)}`);
    }
    assert.ok(profile.kinds.reduce((t, k) => t + k.seconds, 0) > 0, `${call}: no time at all`);
  }
  // The tables as the CLI prints them, for scripts/browser_bench.mjs.
  assert.match(ours.profile_text, new RegExp(`^prefill of ${prefill.n_tokens} tokens at position 0:\n  kernel`));
  assert.match(ours.profile_text, new RegExp(`\n\none decoded token at position ${prefill.n_tokens}:\n  kernel`));
  assert.ok(ours.profile_text.includes("matvec Q8_0"), ours.profile_text);
});

test("ours built for prompt batches of 3 decodes the same greedy tokens, its profile timing the first batch", async () => {
  const args = { prompt: plain.prompt, decodeSteps: DECODE_STEPS, batch: 3, profile: true, timeoutMs: 60_000 };
  const ours = await benchOurs(context, site.url, args);
  assert.equal(ours.batch, 3);
  assert.deepEqual(ours.tokens, plain.greedy.slice(0, DECODE_STEPS + 1));
  assert.equal(ours.profile.prefill.n_tokens, 3);
  assert.equal(ours.profile.decode.n_tokens, 1);
});

test("a batch outside 1 to 512 is refused on the page with the range", async () => {
  const args = { prompt: plain.prompt, decodeSteps: 1, batch: 513, timeoutMs: 60_000 };
  await assert.rejects(benchOurs(context, site.url, args), /batch must be a whole number from 1 to 512, not "513"/);
});
