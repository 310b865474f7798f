// Offline use, end to end: a model downloaded from the stand-in hub (with visible progress) is
// loaded from browser storage after a reload with the network off, and answers an SGP-Bench
// question with the same text as the native engine (both decode greedily on the same file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withBrowser, openPage, repo, nativeAnswer } from "./harness.mjs";

const FIXTURES = join(repo, "tests", "golden", "models");
const FILE = "qwen2-q8_0.gguf";
const MODEL = join(FIXTURES, FILE);
const ID = "fixture-qwen2-q8_0";

function serverOptions() {
  const bytes = readFileSync(MODEL);
  const shape = { layers: 2, embedding: 256, heads: 4, kv_heads: 2, head_dim: 64, feed_forward: 256, vocab: 515, context: 256 };
  const catalog = {
    version: 1,
    hub: "../hub",
    models: [
      {
        id: ID,
        name: "Fixture Qwen2",
        repo: "fixtures/golden",
        file: FILE,
        size: bytes.length,
        size_exact: true,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        quant: "Q8_0",
        params: 100000,
        arch: "qwen2",
        shape,
        largest_tensor: Math.floor(bytes.length / 4),
      },
    ],
  };
  const path = join(mkdtempSync(join(tmpdir(), "mindseye-offline-")), "models.json");
  writeFileSync(path, JSON.stringify(catalog));
  return { files: { "/mindseye/models.json": path }, mounts: { "/hub/fixtures/golden/resolve/main/": FIXTURES } };
}

let site;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, context } = env), serverOptions);

test("with the network off, a downloaded model loads from storage and answers like the native engine", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve));
    }
  });
  const size = readFileSync(MODEL).length;
  site.server.faults.set(`/hub/fixtures/golden/resolve/main/${FILE}`, { bytesPerSecond: Math.ceil(size / 2), once: true });
  const started = Date.now();
  const card = page.getByTestId(`card-${ID}`);
  await card.getByRole("button", { name: "Download: Fixture Qwen2" }).click();
  await card.getByRole("progressbar", { name: "Downloading Fixture Qwen2" }).waitFor();
  await card.getByTestId("download-status").filter({ hasText: "SHA-256 checksum verified" }).waitFor({ timeout: 30_000 });
  const downloadMs = Date.now() - started;

  await context.setOffline(true);
  try {
    await page.reload();
    await page.getByRole("heading", { name: "Models", level: 2 }).waitFor({ timeout: 60_000 });
    await page.getByTestId(`stored-${ID}`).getByRole("button", { name: "Open Fixture Qwen2" }).click();
    await page.getByTestId("fact-arch").filter({ hasText: "qwen2" }).waitFor();
    const loadStarted = Date.now();
    await page.getByRole("button", { name: "Load into the GPU" }).click();
    await page.getByTestId("load-result").filter({ hasText: "is on the GPU" }).waitFor({ timeout: 120_000 });
    const loadMs = Date.now() - loadStarted;

    await page.goto(site.url + "#/sgp");
    await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
    const prompt = await page.getByTestId("prompt").textContent();
    const askStarted = Date.now();
    await page.getByTestId("ask").click();
    await page.getByTestId("ask-status").filter({ hasText: /tokens from Fixture Qwen2/ }).waitFor({ timeout: 300_000 });
    const answerMs = Date.now() - askStarted;
    const answer = await page.getByLabel("Model response").inputValue();
    assert.ok(answer.length > 0);
    assert.equal(answer, nativeAnswer(MODEL, prompt));
    console.log(`# offline: download ${downloadMs} ms (throttled to ~2 s), load from storage ${loadMs} ms, answer ${answerMs} ms`);
  } finally {
    await context.setOffline(false);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
