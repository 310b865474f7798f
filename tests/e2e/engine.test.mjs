// The engine in a real browser: a fixture model opened from the disk and loaded into WebGPU
// (Chromium's software adapter), then asked an SGP-Bench question and a Karel task from the panes
// (with and without the grammar constraint). The streamed answer must equal the native engine's
// (`mindseye run`, lavapipe) for the same prompt: both decode greedily, so the same tokens mean the
// same text. Also measured: load time,
// time to the first streamed text, and the longest main-thread task while answering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withBrowser, openPage, nativeAnswer } from "./harness.mjs";
import { MODEL, SMALL_KAREL_TASKS, ask, loadModel, mindseye, smallKarelTasks } from "./fixture_model.mjs";

const MAX_TOKENS = 256;

let site;
let browser;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, browser, context } = env), smallKarelTasks);

test("the SGP pane's answer streams from the GPU and equals the native engine's", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  const loadMs = await loadModel(page, site);
  await page.goto(site.url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  const prompt = await page.getByTestId("prompt").textContent();
  const timing = await ask(page, "textarea.sgp-response");
  const answer = await page.getByLabel("Model response").inputValue();
  assert.ok(answer.length > 0);
  assert.equal(answer, nativeAnswer(MODEL, prompt, MAX_TOKENS));
  assert.match(await page.getByTestId("ask-status").innerText(), /tokens from qwen2-q8_0\.gguf/);
  console.log(`# sgp: load ${loadMs} ms, first text ${timing.firstText} ms, answer ${timing.total} ms, longest main-thread task ${timing.longest} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

/** The native engine's greedy answer to Karel task `number` as the pane asks it (`mindseye run --karel`). */
function nativeKarel(number, grammar) {
  const args = ["run", MODEL, "--karel", SMALL_KAREL_TASKS, "--task", String(number)];
  args.push("--max-tokens", String(MAX_TOKENS), "--ctx", "8192", ...(grammar ? ["--karel-grammar"] : []));
  return mindseye(args).replace(/\n$/, "");
}

// The pane reads small served tasks (4x4 worlds, see smallKarelTasks): the paper's 8x8 grids, spelt
// almost character by character by the fixture's 515-token vocabulary, make a ~4,000-token prompt that
// takes minutes to prefill on software GPUs. The same page asks twice; the second, constrained answer
// reuses the prompt already in the KV cache.
test("the Karel pane's answers, unconstrained and constrained to straight-line programs, equal the native engine's", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  try {
    await loadModel(page, site);
    await page.goto(site.url + "#/karel");
    await page.getByRole("heading", { name: "Karel", level: 2 }).waitFor();
    for (const grammar of [false, true]) {
      const how = grammar ? "constrained" : "unconstrained";
      await page.getByTestId("karel-grammar").setChecked(grammar);
      const timing = await ask(page, "#karel-answer", 3_600_000);
      const answer = await page.locator("#karel-answer").inputValue();
      const started = Date.now();
      assert.equal(answer, nativeKarel(1, grammar), how);
      const nativeMs = Date.now() - started;
      const status = await page.getByTestId("ask-status").innerText();
      assert.match(status, /tokens from qwen2-q8_0\.gguf/);
      const provenance = await page.getByTestId("provenance-settings").innerText();
      assert.equal(provenance.includes("grammar-constrained"), grammar);
      if (grammar) {
        // A whole straight-line program, which the checker reads and runs on all ten examples.
        assert.match(answer, /^def run\(\) \{\n(  (move|turn_left|turn_right|pick_marker|put_marker)\(\)\n)+\}$/);
        await page.getByTestId("answer-code").waitFor();
        assert.equal(await page.getByTestId("answer-results").locator("li").count(), 10);
      }
      console.log(`# karel (${how}): ${status} First text ${timing.firstText} ms, answer ${timing.total} ms, longest main-thread task ${timing.longest} ms; native run ${nativeMs} ms`);
    }
    assert.equal(await page.getByTestId("ask").isEnabled(), true);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
