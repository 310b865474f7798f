// The Models tab in a real browser, against a stand-in model hub served by the test server: the
// catalog with its fit check, a streamed download with visible progress into OPFS and the parsed
// header, an interrupted download resumed with a Range request (stored bytes checked exactly),
// opening local files (good, garbage, truncated), bad addresses, the quota check, offline use, and
// deleting. Fixture models: tests/golden/models (small real GGUF files; MODEL_FIXTURES overrides).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withBrowser, openPage, outDir, repo, DESKTOP } from "./harness.mjs";

const FIXTURES = process.env.MODEL_FIXTURES ?? join(repo, "tests", "golden", "models");
const HUB_REPO = "fixtures/golden";
const BAD_REPO = "fixtures/bad";
const DOWNLOAD = "llama-q8_0.gguf";
const RESUME = "qwen2-q4_0.gguf";
const LOCAL = "gemma2-q4_k_m.gguf";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const fixture = (name) => readFileSync(join(FIXTURES, name));
const hubPath = (name) => `/hub/${HUB_REPO}/resolve/main/${name}`;

/** A catalog over the fixtures, written next to a folder of bad files; served over models.json. */
function serverOptions() {
  for (const name of [DOWNLOAD, RESUME, LOCAL]) {
    assert.ok(existsSync(join(FIXTURES, name)), `fixture ${name} is missing from ${FIXTURES}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "mindseye-models-"));
  // Not a model: an HTML page with a .gguf name, as a wrong link would serve.
  writeFileSync(join(dir, "not-a-model.gguf"), "<!doctype html><title>Sign in</title>".padEnd(4096, " "));
  const shape = { layers: 2, embedding: 64, heads: 4, kv_heads: 2, head_dim: 16, feed_forward: 128, vocab: 512, context: 2048 };
  const entry = (id, name, file, arch, quant, extra = {}) => {
    const size = readFileSync(join(FIXTURES, file)).length;
    return { id, name, repo: HUB_REPO, file, size, quant, params: 100000, arch, shape, largest_tensor: Math.floor(size / 4), ...extra };
  };
  const llama = fixture(DOWNLOAD);
  const catalog = {
    version: 1,
    hub: "../hub",
    models: [
      entry("fixture-llama-q8_0", "Fixture Llama", DOWNLOAD, "llama", "Q8_0", { size_exact: true, sha256: sha256(llama) }),
      entry("fixture-qwen2-q4_0", "Fixture Qwen2", RESUME, "qwen2", "Q4_0"),
      entry("fixture-gemma2-q4_k_m", "Fixture Gemma2", LOCAL, "gemma2", "Q4_K_M", { size_exact: true }),
      // The largest tensor alone is larger than any buffer the software adapter allows.
      { ...entry("fixture-huge", "Fixture Too Big", DOWNLOAD, "llama", "Q8_0"), size: 900e9, largest_tensor: 800e9 },
      { id: "Broken Entry", name: "Broken", repo: "x/y", file: "x.gguf" },
    ],
  };
  const catalogPath = join(dir, "models.json");
  writeFileSync(catalogPath, JSON.stringify(catalog));
  return {
    files: { "/mindseye/models.json": catalogPath },
    mounts: { [`/hub/${HUB_REPO}/resolve/main/`]: FIXTURES, [`/hub/${BAD_REPO}/resolve/main/`]: dir },
  };
}

let site;
let browser;
let context;
const errors = [];
const timings = {};
withBrowser({}, (env) => ({ site, browser, context } = env), serverOptions);

async function openModels(ctx = context) {
  const page = await openPage(ctx, site.url + "#/models", errors);
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor();
  return page;
}

const card = (page, id) => page.getByTestId(`card-${id}`);

/** Size and SHA-256 of what OPFS holds for a model, read in the page. */
function stored(page, id) {
  return page.evaluate(async (id) => {
    const root = await navigator.storage.getDirectory();
    let dir;
    try {
      dir = await (await root.getDirectoryHandle("models")).getDirectoryHandle(id);
    } catch {
      return null;
    }
    const parts = [];
    for await (const [name, handle] of dir.entries()) if (name.startsWith("part-")) parts.push([name, await handle.getFile()]);
    parts.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const blob = new Blob(parts.map((p) => p[1]));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    return { size: blob.size, parts: parts.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
  }, id);
}

async function waitForGpu(page) {
  await page.waitForFunction(() => document.querySelector(".gpu-status")?.dataset.state !== "checking", null, {
    timeout: 120_000,
  });
}

test("the catalog lists the fixtures, names a bad entry and refuses a model that cannot fit", async () => {
  const page = await openModels();
  await card(page, "fixture-llama-q8_0").waitFor();
  assert.match(await page.getByTestId("catalog-skipped").innerText(), /entry 5 \(“Broken Entry”\)/);
  await waitForGpu(page);
  const huge = card(page, "fixture-huge");
  await huge.locator('[data-verdict="wont-fit"]').waitFor();
  assert.match(await huge.getByTestId("fit").innerText(), /Will not fit this GPU: its largest tensor is 800 GB/);
  assert.equal(await huge.getByRole("button", { name: /^Download/ }).isDisabled(), true);
  assert.equal(await card(page, "fixture-llama-q8_0").getByRole("button", { name: /^Download/ }).isDisabled(), false);
  assert.match(await page.getByTestId("no-model").innerText(), /No model selected yet/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a model downloads with a labelled progress bar, is verified, and its header is shown", async () => {
  const page = await openModels();
  const size = fixture(DOWNLOAD).length;
  // Slow enough to watch: about two seconds.
  site.server.faults.set(hubPath(DOWNLOAD), { bytesPerSecond: Math.ceil(size / 2), once: true });
  const llama = card(page, "fixture-llama-q8_0");
  const started = Date.now();
  await llama.getByRole("button", { name: "Download: Fixture Llama" }).click();
  const bar = llama.getByRole("progressbar", { name: "Downloading Fixture Llama" });
  await bar.waitFor();
  await page.waitForFunction(
    () => /\/s · about .* left$/.test(document.querySelector('[data-testid="download-progress"]')?.getAttribute("aria-valuetext") ?? ""),
    null,
    { timeout: 10_000 },
  );
  const text = await bar.getAttribute("aria-valuetext");
  assert.match(text, /^[\d.]+ (kB|MB|bytes) of [\d.]+ (kB|MB) \(\d+%\) · [\d.]+ (kB|MB)\/s · about .* left$/);
  assert.equal(Number(await bar.getAttribute("max")), size);
  await llama.getByTestId("download-status").filter({ hasText: "SHA-256 checksum verified" }).waitFor({ timeout: 30_000 });
  timings.throttledDownloadMs = Date.now() - started;
  await page.getByTestId("current-name").filter({ hasText: /./ }).waitFor();
  assert.equal(await page.getByTestId("fact-arch").innerText(), "llama");
  assert.equal(await page.getByTestId("fact-quant").innerText(), "Q8_0");
  assert.match(await page.getByTestId("fact-file").innerText(), new RegExp(`^${DOWNLOAD} · .* · in this browser's storage$`));
  assert.match(await page.getByTestId("fact-verified").innerText(), /SHA-256 checksum verified/);
  timings.headerParseMs = Number((await page.getByTestId("fact-parse-ms").innerText()).replace(" ms", ""));
  assert.match(await page.getByTestId("model-chip").innerText(), /Q8_0/);
  const kept = await stored(page, "fixture-llama-q8_0");
  assert.deepEqual(kept, { size, parts: 1, sha256: sha256(fixture(DOWNLOAD)) });
  assert.match(await page.getByTestId("storage-usage").innerText(), /^Downloaded models use [\d.]+ (kB|MB)\./);
  assert.deepEqual(errors, []);
  await page.close();
});

test("with the network off, a downloaded model is still listed and its header opens from storage", async () => {
  const page = await openModels();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve));
    }
  });
  await context.setOffline(true);
  try {
    await page.reload();
    await page.getByRole("heading", { name: "Models", level: 2 }).waitFor({ timeout: 60_000 });
    const row = page.getByTestId("stored-fixture-llama-q8_0");
    await row.waitFor();
    assert.match(await row.getByTestId("stored-size").innerText(), /SHA-256 verified/);
    // The selection is remembered; opening again reads the header from storage.
    await row.getByRole("button", { name: "Open Fixture Llama" }).click();
    await page.getByTestId("fact-arch").filter({ hasText: "llama" }).waitFor();
    assert.match(await page.getByTestId("fact-file").innerText(), /in this browser's storage/);
    // The catalog came from the service worker's cache.
    await card(page, "fixture-qwen2-q4_0").waitFor();
  } finally {
    await context.setOffline(false);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("an interrupted download resumes with a Range request and stores exactly the file", async () => {
  const page = await openModels();
  const bytes = fixture(RESUME);
  // At a network's pace (about a second for the file), cut after 45%: what the page has read by
  // then is in storage. (Bytes still queued in the browser when the connection drops are lost with
  // the stream's error; the Range request asks for them again.)
  site.server.faults.set(hubPath(RESUME), { dropAfter: Math.floor(bytes.length * 0.45), bytesPerSecond: bytes.length, once: true });
  const qwen = card(page, "fixture-qwen2-q4_0");
  await qwen.getByRole("button", { name: "Download: Fixture Qwen2" }).click();
  const error = qwen.getByTestId("download-error");
  await error.waitFor({ timeout: 30_000 });
  assert.match(await error.innerText(), /^The connection dropped after .*What arrived is kept: press Resume to continue\.$/);
  const partial = await stored(page, "fixture-qwen2-q4_0");
  assert.ok(partial.size > 0 && partial.size < bytes.length, `partial size ${partial.size}`);
  assert.equal(partial.sha256, sha256(bytes.subarray(0, partial.size)), "the stored prefix is the file's prefix");

  const before = site.server.requests.length;
  await qwen.getByRole("button", { name: "Resume" }).click();
  await qwen.getByTestId("download-status").filter({ hasText: "Downloaded; size verified." }).waitFor({ timeout: 30_000 });
  const resumed = site.server.requests.slice(before).filter((r) => r.path === hubPath(RESUME));
  assert.equal(resumed.length, 1);
  assert.equal(resumed[0].range, `bytes=${partial.size}-`);
  assert.deepEqual(await stored(page, "fixture-qwen2-q4_0"), { size: bytes.length, parts: 1, sha256: sha256(bytes) });
  await page.getByTestId("fact-arch").filter({ hasText: "qwen2" }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("a download can be paused and resumed from where it stopped", async () => {
  const page = await openModels();
  const bytes = fixture(LOCAL);
  site.server.faults.set(hubPath(LOCAL), { bytesPerSecond: Math.ceil(bytes.length / 3), once: true });
  const gemma = card(page, "fixture-gemma2-q4_k_m");
  await gemma.getByRole("button", { name: "Download: Fixture Gemma2" }).click();
  // Pause once a good part has arrived.
  await page.waitForFunction(() => {
    const bar = document.querySelector('[data-testid="card-fixture-gemma2-q4_k_m"] progress');
    return bar && Number(bar.value) > Number(bar.max) * 0.3;
  });
  await gemma.getByRole("button", { name: "Pause" }).click();
  const status = gemma.getByTestId("download-status");
  await status.filter({ hasText: /^Paused at / }).waitFor();
  assert.match(await status.innerText(), /^Paused at [\d.]+ (kB|MB) of [\d.]+ (kB|MB) \(\d+%\)\. Resume continues from there\.$/);
  const partial = await stored(page, "fixture-gemma2-q4_k_m");
  assert.ok(partial.size > 0 && partial.size < bytes.length, `partial size ${partial.size}`);

  const before = site.server.requests.length;
  await gemma.getByRole("button", { name: "Resume" }).click();
  await status.filter({ hasText: "Downloaded; size verified." }).waitFor({ timeout: 30_000 });
  const resumed = site.server.requests.slice(before).filter((r) => r.path === hubPath(LOCAL));
  assert.deepEqual(resumed.map((r) => r.range), [`bytes=${partial.size}-`]);
  assert.deepEqual(await stored(page, "fixture-gemma2-q4_k_m"), { size: bytes.length, parts: 1, sha256: sha256(bytes) });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a local GGUF file opens through the file input, read in place", async () => {
  const page = await openModels();
  await page.getByTestId("model-file-input").setInputFiles(join(FIXTURES, LOCAL));
  await page.getByTestId("fact-file").filter({ hasText: "a file on your disk" }).waitFor();
  assert.equal(await page.getByTestId("fact-arch").innerText(), "gemma2");
  assert.equal(await page.getByTestId("fact-quant").innerText(), "Q4_K_M");
  assert.match(await page.getByTestId("fact-file").innerText(), new RegExp(`^${LOCAL} · .* · a file on your disk, read in place$`));
  await page.getByRole("button", { name: "Load into the GPU" }).click();
  await page.getByTestId("load-result").filter({ hasText: "is on the GPU" }).waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a garbage or truncated file is refused in plain words and the selection stays", async () => {
  const page = await openModels();
  const input = page.getByTestId("model-file-input");
  await input.setInputFiles(join(FIXTURES, LOCAL));
  await page.getByTestId("fact-file").filter({ hasText: "a file on your disk" }).waitFor();

  const garbage = Buffer.alloc(64 * 1024);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  await input.setInputFiles({ name: "garbage.gguf", mimeType: "application/octet-stream", buffer: garbage });
  const error = page.getByTestId("open-error");
  await error.waitFor();
  assert.match(await error.innerText(), /^“garbage\.gguf” was not opened\. This is not a (usable )?GGUF model file/);

  await input.setInputFiles({ name: "text.gguf", mimeType: "text/plain", buffer: Buffer.from("hello world, not a model") });
  await error.filter({ hasText: "“text.gguf”" }).waitFor();
  assert.match(await error.innerText(), /starts with “hell” instead of “GGUF”/);

  const whole = fixture(LOCAL);
  await input.setInputFiles({ name: "cut.gguf", mimeType: "application/octet-stream", buffer: whole.subarray(0, whole.length - 1000) });
  await error.filter({ hasText: "“cut.gguf”" }).waitFor();
  assert.match(await error.innerText(), /incomplete \(cut off or still downloading\)/);
  // The model opened before is still the selected one.
  assert.match(await page.getByTestId("fact-file").innerText(), new RegExp(`^${LOCAL} · .* · a file on your disk`));
  assert.deepEqual(errors, []);
  await page.close();
});

test("an address that is missing or is not a GGUF is refused in plain words", async () => {
  const page = await openModels();
  const field = page.getByLabel("Or download a .gguf file from an address");
  const origin = new URL(site.url).origin;
  await field.fill("ftp://example.org/model.gguf");
  await page.getByRole("button", { name: "Download", exact: true }).click();
  assert.match(await page.locator("#model-url-error").innerText(), /must start with https:\/\//);

  await field.fill(`${origin}/hub/${BAD_REPO}/resolve/main/missing.gguf`);
  await page.getByRole("button", { name: "Download", exact: true }).click();
  const error = page.locator(".models-open").getByTestId("download-error");
  await error.waitFor();
  assert.match(await error.innerText(), /^The server has no file at this address \(HTTP 404\)/);

  await field.fill(`${origin}/hub/${BAD_REPO}/resolve/main/not-a-model.gguf`);
  await page.getByRole("button", { name: "Download", exact: true }).click();
  await error.filter({ hasText: "does not serve a GGUF model" }).waitFor();
  assert.match(await error.innerText(), /not a GGUF file: it starts with/);
  // Nothing was left behind in storage for either address.
  assert.equal(await page.getByTestId("stored-list").getByText("missing.gguf").count(), 0);
  assert.equal(await page.getByTestId("stored-list").getByText("not-a-model.gguf").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("screenshots of the Models tab at laptop and phone widths", async () => {
  const page = await openModels();
  await page.getByTestId("stored-fixture-qwen2-q4_0").getByRole("button", { name: "Open Fixture Qwen2" }).click();
  await page.getByTestId("fact-arch").filter({ hasText: "qwen2" }).waitFor();
  await waitForGpu(page);
  const shoot = async (name) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(outDir, `${name}.png`) });
    await page.screenshot({ path: join(outDir, `${name}-full.png`), fullPage: true });
  };
  await shoot("models-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot("models-phone");
  // Nothing is wider than the phone's screen.
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
  await page.setViewportSize(DESKTOP);
  // Keyboard: from the address field, Shift+Tab reaches the file picker, Tab the Download button,
  // each with a visible focus ring.
  await page.getByLabel("Or download a .gguf file from an address").click();
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "model-file-input");
  const pickerRing = await page.evaluate(() => getComputedStyle(document.activeElement.closest("label")).outlineStyle);
  assert.equal(pickerRing, "solid");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]);
  assert.deepEqual(focused, ["Download", "solid"]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a downloaded model can be deleted, after a confirmation", async () => {
  const page = await openModels();
  const row = page.getByTestId("stored-fixture-llama-q8_0");
  await row.getByRole("button", { name: "Delete Fixture Llama" }).click();
  await row.getByRole("group", { name: "Confirm deletion" }).getByRole("button", { name: "Keep it" }).click();
  assert.equal(await row.count(), 1);
  await row.getByRole("button", { name: "Delete Fixture Llama" }).click();
  await row.getByRole("button", { name: "Delete it" }).click();
  await row.waitFor({ state: "detached" });
  assert.equal(await stored(page, "fixture-llama-q8_0"), null);
  const llama = card(page, "fixture-llama-q8_0");
  // Downloading it again, at full speed, times a fixture download in the browser.
  const started = Date.now();
  await llama.getByRole("button", { name: "Download: Fixture Llama" }).click();
  await llama.getByTestId("download-status").filter({ hasText: "SHA-256 checksum verified" }).waitFor({ timeout: 30_000 });
  timings.downloadMs = Date.now() - started;
  timings.downloadBytes = fixture(DOWNLOAD).length;
  assert.deepEqual(errors, []);
  await page.close();
});

test("a download that the storage quota cannot hold is refused before it starts", async () => {
  const small = await browser.newContext({ viewport: DESKTOP });
  await small.addInitScript(() => {
    const estimate = async () => ({ usage: 900_000, quota: 1_000_000 });
    Object.defineProperty(StorageManager.prototype, "estimate", { value: estimate });
  });
  try {
    const page = await openModels(small);
    const llama = card(page, "fixture-llama-q8_0");
    const requests = site.server.requests.length;
    await llama.getByRole("button", { name: "Download: Fixture Llama" }).click();
    const error = llama.getByTestId("download-error");
    await error.waitFor();
    assert.match(await error.innerText(), /^Not enough storage space: this needs [\d.]+ (kB|MB) more, but this browser lets the site store only 100 kB more/);
    assert.equal(site.server.requests.slice(requests).filter((r) => r.path === hubPath(DOWNLOAD)).length, 0, "nothing was fetched");
    assert.equal(await page.getByTestId("stored-empty").count(), 1, "nothing was stored");
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await small.close();
  }
});

test("without browser storage (a private window), downloads are refused in plain words and files still open", async () => {
  const locked = await browser.newContext({ viewport: DESKTOP });
  await locked.addInitScript(() => {
    Object.defineProperty(StorageManager.prototype, "getDirectory", {
      value: () => Promise.reject(new DOMException("The operation is insecure.", "SecurityError")),
    });
  });
  try {
    const page = await openModels(locked);
    const problem = page.getByTestId("storage-error");
    await problem.waitFor();
    assert.match(await problem.innerText(), /^This browser does not let the page store files .* You can still open a GGUF file from your disk\.$/);
    const llama = card(page, "fixture-llama-q8_0");
    await llama.getByRole("button", { name: "Download: Fixture Llama" }).click();
    await llama.getByTestId("download-error").filter({ hasText: "does not let the page store files" }).waitFor();
    await page.getByTestId("model-file-input").setInputFiles(join(FIXTURES, DOWNLOAD));
    await page.getByTestId("fact-arch").filter({ hasText: "llama" }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await locked.close();
  }
});

test("timings", () => {
  console.log(`models e2e timings: ${JSON.stringify(timings)}`);
});
