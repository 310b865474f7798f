// Shared by the suites that ask a model: the fixture model (random weights, Qwen3's tokenizer trimmed
// to 515 tokens, a chat template), opened from the disk and loaded into WebGPU, and the native CLI
// (`mindseye`, lavapipe) that gives the expected answers for the same requests.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { repo } from "./harness.mjs";

export const MODEL = join(repo, "tests", "golden", "models", "qwen2-q8_0.gguf");
export const MODEL_FILE = "qwen2-q8_0.gguf";

/** Runs the native CLI with `args` and returns its standard output. */
export function mindseye(args) {
  return execFileSync("cargo", ["run", "-q", "-p", "mindseye-core", "--bin", "mindseye", "--", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: "/tmp" },
    maxBuffer: 1 << 24,
  });
}

/** Opens the fixture under Models and loads it into the GPU; returns the load time in ms. */
export async function loadModel(page, site) {
  await page.goto(site.url + "#/models");
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor();
  await page.getByTestId("model-file-input").setInputFiles(MODEL);
  await page.getByTestId("fact-arch").filter({ hasText: "qwen2" }).waitFor();
  const started = Date.now();
  await page.getByRole("button", { name: "Load into the GPU" }).click();
  await page.getByTestId("load-result").filter({ hasText: "is on the GPU" }).waitFor({ timeout: 120_000 });
  return Date.now() - started;
}

/**
 * Clicks "Ask the model" and waits for the answer (`timeout` ms for its first text and again for the
 * rest); returns its timings and the longest main-thread task.
 */
export async function ask(page, responseLocator, timeout = 300_000) {
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: "longtask", buffered: false });
  });
  const started = Date.now();
  await page.getByTestId("ask").click();
  await page.waitForFunction((sel) => (document.querySelector(sel)?.value ?? "").length > 0, responseLocator, { timeout });
  const firstText = Date.now() - started;
  await page.getByTestId("ask-status").filter({ hasText: /tokens from/ }).waitFor({ timeout });
  const total = Date.now() - started;
  const longest = await page.evaluate(() => window.__longest);
  return { firstText, total, longest };
}
