#!/usr/bin/env node
// The README's screenshots: both panes after the loaded model has answered, at a laptop's and a
// phone's width, taken in headless Chromium (scripts/chromium.mjs, WebGPU on SwiftShader) from dist/
// (`make dist` first):
//
//   node scripts/screenshots.mjs [--model PATH] [--out docs]
//
// The default model is the test fixture (tests/golden/models/qwen2-q8_0.gguf: random weights with
// Qwen's tokenizer), which runs in seconds on a software GPU but writes nonsense; a real model
// shows real answers, at the speed of the machine's GPU. Karel is asked with the straight-line
// grammar on, so even the fixture's answer is a program that runs on the ten examples.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { launchBrowser } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    model: { type: "string", default: join(repo, "tests", "golden", "models", "qwen2-q8_0.gguf") },
    out: { type: "string", default: join(repo, "docs") },
  },
});
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const BASE = "/mindseye/";
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
const ANSWER_TIMEOUT = 1_800_000;

const server = await startServer({ dir: join(repo, "dist"), port: 0, base: BASE });
const url = `http://127.0.0.1:${server.address().port}${BASE}`;
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: WIDTHS.desktop });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));

  await page.goto(url + "#/models");
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor({ timeout: 60_000 });
  await page.getByTestId("model-file-input").setInputFiles(resolve(values.model));
  await page.getByRole("button", { name: "Load into the GPU" }).click();
  await page.getByTestId("load-result").filter({ hasText: "is on the GPU" }).waitFor({ timeout: 600_000 });
  console.log(`loaded ${values.model}`);

  await page.goto(url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  await answer(page);
  await shoot(page, "sgp");

  await page.goto(url + "#/karel");
  await page.getByRole("heading", { name: "Karel", level: 2 }).waitFor();
  await page.getByTestId("karel-grammar").setChecked(true);
  await answer(page);
  await page.getByTestId("answer-code").waitFor();
  await shoot(page, "karel");
} finally {
  await browser.close();
  server.closeAllConnections();
  server.close();
}

/** Clicks "Ask the model" and waits until the answer is complete. */
async function answer(page) {
  const started = Date.now();
  await page.getByTestId("ask").click();
  await page.getByTestId("ask-status").filter({ hasText: /tokens from/ }).waitFor({ timeout: ANSWER_TIMEOUT });
  console.log(`${await page.getByTestId("ask-status").innerText()} (${((Date.now() - started) / 1000).toFixed(0)} s on the page)`);
}

/**
 * Saves `screenshot-<pane>.png` (the whole page at a laptop's width) and `screenshot-<pane>-phone.png`
 * (a phone's screen scrolled to the model's answer).
 */
async function shoot(page, pane) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const desktop = join(out, `screenshot-${pane}.png`);
  await page.screenshot({ path: desktop, fullPage: true });
  await page.setViewportSize(WIDTHS.phone);
  await page.getByTestId("ask-model").evaluate((e) => e.scrollIntoView({ block: "start" }));
  await page.evaluate(() => window.scrollBy(0, -200)); // below the sticky header, with the heading
  const phone = join(out, `screenshot-${pane}-phone.png`);
  await page.screenshot({ path: phone });
  await page.setViewportSize(WIDTHS.desktop);
  console.log(`wrote ${desktop} and ${phone}`);
}
