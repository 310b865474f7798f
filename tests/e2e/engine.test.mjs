// The engine in a real browser: a fixture model opened from the disk and loaded into WebGPU
// (Chromium's software adapter), then asked an SGP-Bench question and a Karel task from the panes.
// The streamed answer must equal the native engine's (`mindseye run --chat`, lavapipe) for the same
// prompt: both decode greedily, so the same tokens mean the same text. Also measured: load time,
// time to the first streamed text, and the longest main-thread task while answering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { withBrowser, openPage, repo, loadModel as loadModelFile, watchLongTasks, longestTask } from "./harness.mjs";

const MODEL = join(repo, "tests", "golden", "models", "qwen2-q8_0.gguf");
const MAX_TOKENS = 256;

let site;
let browser;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, browser, context } = env));

/** The native engine's greedy answer to `prompt` as a chat user turn (the app's AskModel does the same). */
function nativeAnswer(prompt) {
  const out = execFileSync(
    "cargo",
    ["run", "-q", "-p", "mindseye-core", "--bin", "mindseye", "--", "run", MODEL, "--chat", "--prompt", prompt, "--max-tokens", String(MAX_TOKENS)],
    { cwd: repo, encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: "/tmp" }, maxBuffer: 1 << 24 },
  );
  return out.replace(/\n$/, "");
}

function loadModel(page) {
  return loadModelFile(page, site.url, MODEL, "qwen2");
}

/** Clicks "Ask the model" and waits for the answer; returns its timings and the longest task. */
async function ask(page, responseLocator) {
  await watchLongTasks(page);
  const started = Date.now();
  await page.getByTestId("ask").click();
  await page.waitForFunction((sel) => (document.querySelector(sel)?.value ?? "").length > 0, responseLocator, { timeout: 120_000 });
  const firstText = Date.now() - started;
  await page.getByTestId("ask-status").filter({ hasText: /tokens from/ }).waitFor({ timeout: 300_000 });
  const total = Date.now() - started;
  const longest = await longestTask(page);
  return { firstText, total, longest };
}

test("the SGP pane's answer streams from the GPU and equals the native engine's", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  const loadMs = await loadModel(page);
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
  await loadModel(page);
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
