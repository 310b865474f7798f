// Shared by the suites that ask a model: the fixture model (random weights, Qwen3's tokenizer trimmed
// to 515 tokens, a chat template), opened from the disk and loaded into WebGPU, and the native CLI
// (`mindseye`, lavapipe) that gives the expected answers for the same requests.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { repo, outDir, BASE, loadModel as loadModelFile, watchLongTasks, longestTask } from "./harness.mjs";
export { mindseye } from "./harness.mjs";

export const MODEL = join(repo, "tests", "golden", "models", "qwen2-q8_0.gguf");
export const MODEL_FILE = "qwen2-q8_0.gguf";
/** Where `smallKarelTasks` writes the tasks it serves (the native CLI reads the same file). */
export const SMALL_KAREL_TASKS = join(outDir, "karel-small-tasks.jsonl");

/** Opens the fixture under Models and loads it into the GPU; returns the load time in ms. */
export function loadModel(page, site) {
  return loadModelFile(page, site.url, MODEL, "qwen2");
}

/**
 * Clicks "Ask the model" and waits for the answer (`timeout` ms for its first text and again for the
 * rest); returns its timings and the longest main-thread task.
 */
export async function ask(page, responseLocator, timeout = 300_000) {
  await watchLongTasks(page);
  const started = Date.now();
  await page.getByTestId("ask").click();
  await page.waitForFunction((sel) => (document.querySelector(sel)?.value ?? "").length > 0, responseLocator, { timeout });
  const firstText = Date.now() - started;
  await page.getByTestId("ask-status").filter({ hasText: /tokens from/ }).waitFor({ timeout });
  const total = Date.now() - started;
  const longest = await longestTask(page);
  return { firstText, total, longest };
}

/**
 * Serves two Karel tasks on 4x4 worlds (2x2 inside) in place of the bundled file. The paper's 8x8
 * tasks make prompts of ~4,500 tokens with the fixture's small vocabulary, which SwiftShader takes
 * minutes to read; these take seconds, and go through the same steps.
 */
export function smallKarelTasks() {
  const turns = {
    "turn_left()": { ">": "^", "^": "<", "<": "v", v: ">" },
    "turn_right()": { ">": "v", v: "<", "<": "^", "^": ">" },
  };
  const draw = (x, y, robot) => {
    const rows = ["####", "#..#", "#..#", "####"].map((r) => [...r]);
    rows[y][x] = robot;
    return rows.map((r) => r.join("")).join("\n");
  };
  const lines = Object.entries(turns).map(([action, turn]) => {
    const record = {};
    for (let k = 0; k < 10; k++) {
      const [x, y] = [[1, 1], [2, 1], [1, 2], [2, 2]][k % 4];
      const robot = ">v<^"[(k + Math.floor(k / 4)) % 4];
      record[`input${k}`] = draw(x, y, robot);
      record[`output${k}`] = draw(x, y, turn[robot]);
    }
    record.code = `def run() {\n  ${action}\n}`;
    return JSON.stringify(record);
  });
  writeFileSync(SMALL_KAREL_TASKS, lines.join("\n") + "\n");
  return { files: { [BASE + "data/karel-tasks.jsonl"]: SMALL_KAREL_TASKS } };
}
