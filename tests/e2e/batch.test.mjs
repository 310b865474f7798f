// Batch evaluation in a real browser with a fixture model on WebGPU (SwiftShader): the SGP pane
// runs the model over the filtered questions with progress, pause and resume, survives a reload
// mid-run (finished answers kept, the rest asked after Resume) and totals the results table; the
// Karel pane runs two tasks and shows the paper's two accuracies. Also measured: the time per item
// and the longest main-thread task while a batch runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { withBrowser, openPage, loadModel, watchLongTasks, longestTask } from "./harness.mjs";
import { MODEL, smallKarelTasks } from "./fixture_model.mjs";
// Short answers keep SwiftShader's ~1 token per 50-100 ms within a reasonable test time.
const MAX_TOKENS = "6";

let site;
let browser;
let context;
const errors = [];
withBrowser({ acceptDownloads: true }, (env) => ({ site, browser, context } = env), smallKarelTasks);

/** The number of items done, read from the progress line ("2 of 3 done · ..."). */
async function done(page) {
  const text = await page.getByTestId("batch-progress").innerText();
  return Number(/^(\d+) of \d+ done/.exec(text)?.[1] ?? NaN);
}

function progress(page, pattern) {
  return page.getByTestId("batch-progress").filter({ hasText: pattern });
}

/** Downloads the shown run's JSON and parses it. */
async function runJson(page) {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download run JSON" }).click(),
  ]);
  return JSON.parse(readFileSync(await download.path(), "utf8"));
}

test("an SGP batch over three filtered questions pauses, resumes, survives a reload and fills the table", async () => {
  const started = Date.now();
  const page = await openPage(context, site.url + "#/models", errors);
  const loadMs = await loadModel(page, site.url, MODEL, "qwen2");
  await page.goto(site.url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  // Three science questions with short programs (prompts well inside the fixture's context).
  await page.getByLabel("Subject").selectOption("science");
  await page.getByLabel("Search questions").fill("object?");
  await page.getByTestId("question-count").filter({ hasText: "3 of 40 questions" }).waitFor();
  await page.getByLabel("Most new tokens per answer").fill(MAX_TOKENS);
  await page.getByLabel("Most new tokens per answer").dispatchEvent("change");

  await watchLongTasks(page);
  await page.getByRole("button", { name: "Evaluate the 3 filtered questions" }).click({ timeout: 60_000 });
  await progress(page, /^0 of 3 done/).waitFor();

  // Pause lets the question being asked finish, then holds. It is pressed while the first
  // question is asked (its first token alone takes seconds here): a later press could land
  // after the last question began, when the run finishes instead of pausing.
  await page.locator(".batch-live").filter({ hasText: /^Asking / }).waitFor();
  await page.getByTestId("batch-pause").click();
  await progress(page, /^1 of 3 done .*about \d+:\d\d left · paused · accuracy so far \d of 1/).waitFor({ timeout: 120_000 });
  const paused = await done(page);
  assert.equal(paused, 1, "the question being asked when Pause was pressed is the last one asked");
  await page.waitForTimeout(1500);
  assert.equal(await done(page), paused, "nothing is asked while paused");
  let longest = await longestTask(page);

  // Resume, then reload at once, while the next question is being asked (the click saves the
  // running state before it returns; a warm question takes about half a second here).
  await page.getByTestId("batch-resume").click();
  // Only the navigation is awaited: the old page's GPU work may hold SwiftShader for a while.
  await page.reload({ waitUntil: "commit" });
  await page.getByRole("heading", { name: "Mind's Eye", exact: true }).waitFor({ timeout: 120_000 });
  await page.goto(site.url + "#/sgp");
  await progress(page, /interrupted/).waitFor();
  const kept = await done(page);
  assert.ok(kept >= paused, `the ${paused} answers before the reload are kept (${kept})`);
  assert.equal(await page.getByTestId("batch-notice").count(), 0, "a reload leaves no error");

  // The model must be loaded again; the saved run then goes on from where it was.
  await loadModel(page, site.url, MODEL, "qwen2");
  await page.goto(site.url + "#/sgp");
  await progress(page, new RegExp(`^${kept} of 3 done`)).waitFor();
  await watchLongTasks(page);
  await page.getByTestId("batch-resume").click();
  await progress(page, /^3 of 3 done .*finished/).waitFor({ timeout: 180_000 });
  longest = Math.max(longest, await longestTask(page));

  // The results table totals the run, and says that it does.
  await page.getByTestId("results-source").filter({ hasText: "Source: batch run of qwen2-q8_0.gguf" }).waitFor();
  const overall = await page.locator('[data-testid="results-table"] tr[data-scope="overall"] td.num').innerText();
  assert.match(overall, /^[0-3] \/ 3$/);
  assert.equal(await page.locator('[data-testid="results-table"] tr[data-scope="subject"] th').innerText(), "science");
  const run = await runJson(page);
  assert.equal(run.run.identity.provenance.model.file, "qwen2-q8_0.gguf");
  assert.equal(run.run.identity.provenance.settings.max_tokens, Number(MAX_TOKENS));
  assert.equal(run.run.identity.filter, "Subject science, search “object?”");
  assert.equal(run.answers.length, 3);
  assert.equal(run.overall.total, 3);
  const seconds = run.answers.map((a) => a.seconds);
  console.log(
    `# sgp batch: ${run.answers.map((a) => a.answer.tokens).join("/")} tokens, ${seconds.map((s) => s.toFixed(1)).join("/")} s per question; ` +
      `longest main-thread task while running ${longest} ms; model load ${loadMs} ms; test ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("a Karel batch over two tasks completes with both accuracies and a task list", async () => {
  const started = Date.now();
  const page = await openPage(context, site.url + "#/models", errors);
  const loadMs = await loadModel(page, site.url, MODEL, "qwen2");
  await page.goto(site.url + "#/karel");
  await page.getByRole("heading", { name: "Karel", level: 2 }).waitFor();
  const panel = page.getByTestId("karel-batch");
  await panel.getByLabel("Most new tokens per answer").fill(MAX_TOKENS);
  await panel.getByLabel("Most new tokens per answer").dispatchEvent("change");
  await watchLongTasks(page);
  await panel.getByRole("button", { name: "Evaluate 2 tasks" }).click();
  await progress(page, /^2 of 2 done .*finished/).waitFor({ timeout: 180_000 });
  const longest = await longestTask(page);

  const figures = page.getByTestId("karel-batch-accuracy");
  assert.match(await figures.innerText(), /specification examples\s+\d of 2 \(\d+\.\d%\)[\s\S]*all 10 examples\s+\d of 2 \(\d+\.\d%\)/);
  const tasks = page.getByTestId("karel-batch-task");
  assert.equal(await tasks.count(), 2);
  const first = await tasks.first().innerText();
  // A random-weight model rarely writes a program; either way the answer is read and checked.
  assert.match(first, /^task 1: (spec [✓✗] · all ten [✓✗] · \d+ of 10 examples|no program in the answer)$/);
  await tasks.nth(1).click();
  await page.getByTestId("task-source").filter({ hasText: "Task 2 of 2" }).waitFor();
  const run = await runJson(page);
  assert.equal(run.tasks.length, 2);
  assert.equal(run.correct_on_spec.total, 2);
  const seconds = run.tasks.map((t) => t.seconds.toFixed(1)).join("/");
  console.log(
    `# karel batch: "${first}"; ${seconds} s per task; longest main-thread task ${longest} ms; ` +
      `model load ${loadMs} ms; test ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  assert.deepEqual(errors, []);
  await page.close();
});
