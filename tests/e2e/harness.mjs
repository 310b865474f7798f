// Shared set-up for the browser end-to-end suite: dist/ served under a sub-path on localhost, and
// Debian's Chromium (never a downloaded browser) with WebGPU on its software adapter
// (scripts/chromium.mjs).
import { before, after } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../../scripts/serve.mjs";
import { launchBrowser } from "../../scripts/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, "..", "..");
export const outDir = join(here, "out");
mkdirSync(outDir, { recursive: true });

/** Served under a sub-path on purpose: dist/ must not assume it lives at the site root. */
export const BASE = "/mindseye/";

/** `options` may add mounts, exact files, faults or a throttle (see scripts/serve.mjs). */
export async function serveDist(port = 0, options = {}) {
  const server = await startServer({ ...options, dir: join(repo, "dist"), port, base: BASE });
  const url = `http://127.0.0.1:${server.address().port}${BASE}`;
  const stop = () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); });
  return { server, url, stop };
}

/** A page that fails the test on any uncaught error or wasm panic in the app. */
export async function openPage(context, url, errors) {
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /panicked|RuntimeError|unreachable/.test(msg.text())) errors.push(msg.text());
  });
  await page.goto(url);
  await page.getByRole("heading", { name: "Mind's Eye", exact: true }).waitFor({ timeout: 60_000 });
  return page;
}

export const DESKTOP = { width: 1280, height: 800 };

/**
 * One server and one browser for a test file: registers the file's before/after hooks and hands
 * the live objects to `ready` once they exist. `serverOptions` go to `serveDist`.
 */
export function withBrowser(contextOptions, ready, serverOptions = {}) {
  const env = {};
  before(async () => {
    env.site = await serveDist(0, typeof serverOptions === "function" ? await serverOptions() : serverOptions);
    env.browser = await launchBrowser();
    env.context = await env.browser.newContext({ viewport: DESKTOP, ...contextOptions });
    ready(env);
  });
  after(async () => {
    await env.context?.close();
    await env.browser?.close();
    await env.site?.stop();
  });
}

/**
 * The native engine's greedy answer to `prompt` as a chat user turn, on `model` (lavapipe): what the
 * app's "Ask the model" must stream for the same prompt, token for token.
 */
export function nativeAnswer(model, prompt, maxTokens = 256) {
  return mindseye(["run", model, "--chat", "--prompt", prompt, "--max-tokens", String(maxTokens)]).replace(/\n$/, "");
}

/** Runs the native CLI (`mindseye`, lavapipe) with `args` and returns its standard output. */
export function mindseye(args) {
  return execFileSync("cargo", ["run", "-q", "-p", "mindseye-core", "--bin", "mindseye", "--", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: "/tmp" },
    maxBuffer: 1 << 24,
  });
}

/**
 * Opens the GGUF file `model` from the disk under Models and loads it into the GPU (WebGPU on
 * SwiftShader); `arch` is the architecture the Models pane must show first. Returns the load time in ms.
 */
export async function loadModel(page, siteUrl, model, arch) {
  await page.goto(siteUrl + "#/models");
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor();
  await page.getByTestId("model-file-input").setInputFiles(model);
  await page.getByTestId("fact-arch").filter({ hasText: arch }).waitFor();
  const started = Date.now();
  await page.getByRole("button", { name: "Load into the GPU" }).click();
  await page.getByTestId("load-result").filter({ hasText: "is on the GPU" }).waitFor({ timeout: 120_000 });
  return Date.now() - started;
}

/** Starts recording the longest main-thread task in `page` (PerformanceObserver "longtask", over 50 ms). */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: "longtask", buffered: false });
  });
}

/** The longest main-thread task since `watchLongTasks`, in ms (0 when none passed 50 ms). */
export function longestTask(page) {
  return page.evaluate(() => window.__longest);
}
