// The engine in a real browser: a fixture model opened from the disk and loaded into WebGPU
// (Chromium's software adapter), then asked an SGP-Bench question and a Karel task from the panes.
// The streamed answer must equal the native engine's (`mindseye run --chat`, lavapipe) for the same
// prompt: both decode greedily, so the same tokens mean the same text. Also measured: load time,
// time to the first streamed text, and the longest main-thread task while answering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withBrowser, openPage } from "./harness.mjs";
import { MODEL, ask, loadModel, mindseye } from "./fixture_model.mjs";

const MAX_TOKENS = 256;

let site;
let browser;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, browser, context } = env));

/** The native engine's greedy answer to `prompt` as a chat user turn (the app's AskModel does the same). */
function nativeAnswer(prompt) {
  return mindseye(["run", MODEL, "--chat", "--prompt", prompt, "--max-tokens", String(MAX_TOKENS)]).replace(/\n$/, "");
}

test("the SGP pane's answer streams from the GPU and equals the native engine's", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  const loadMs = await loadModel(page, site);
  await page.goto(site.url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  const prompt = await page.getByTestId("prompt").textContent();
  const timing = await ask(page, "textarea.sgp-response");
  const answer = await page.getByLabel("Model response").inputValue();
  assert.ok(answer.length > 0);
  assert.equal(answer, nativeAnswer(prompt));
  assert.match(await page.getByTestId("ask-status").innerText(), /tokens from qwen2-q8_0\.gguf/);
  console.log(`# sgp: load ${loadMs} ms, first text ${timing.firstText} ms, answer ${timing.total} ms, longest main-thread task ${timing.longest} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the Karel pane asks the model with the chat prompt and says plainly when it is too long", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  await loadModel(page, site);
  await page.goto(site.url + "#/karel");
  await page.getByRole("heading", { name: "Karel", level: 2 }).waitFor();
  await page.getByTestId("ask").click();
  // The fixture's 515-token vocabulary spells the ten 8x8 worlds almost character by character, so
  // the prompt outgrows the 2,048-token context: the pane must say so and keep working.
  const status = page.getByTestId("ask-status");
  await status.filter({ hasText: /too long for the 2048-token context|tokens from/ }).waitFor({ timeout: 300_000 });
  console.log(`# karel: ${await status.innerText()}`);
  await page.getByRole("button", { name: "Run" }).first().waitFor();
  assert.equal(await page.getByTestId("ask").isEnabled(), true);
  assert.deepEqual(errors, []);
  await page.close();
});
