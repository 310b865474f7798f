// The Karel pane in a real browser: bundled tasks render and check, editing and stepping, parse
// errors, model answers, world editing, share links (and garbled ones), layouts, interpreter speed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { withBrowser, openPage, outDir } from "./harness.mjs";

let site;
let browser;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, browser, context } = env));

async function openKarel(fragment = "#/karel", into = context) {
  const page = await openPage(into, site.url + fragment, errors);
  await page.getByTestId("task-source").waitFor({ timeout: 60_000 });
  return page;
}

const program = (page) => page.locator("#karel-program");
const metrics = (page) => page.locator(".examples [data-testid=metrics]");
const nowGrid = (page) => page.locator(".stage svg.now");

/** The highlighted statement's text (one span per token). */
const currentStatement = async (page) => (await page.locator(".editor-highlight .current").allInnerTexts()).join("");

/** Takes focus out of the editor so the page's shortcuts apply, as a user clicking the page would. */
async function focusPage(page) {
  await page.locator("#karel-title").click();
}

test("the first bundled task renders its thirty grids and its reference program passes 10/10", async () => {
  const page = await openKarel();
  assert.match(await page.getByTestId("task-source").innerText(), /^Task 1 of 40, from the paper's data/);
  assert.equal(await page.locator(".examples svg.grid").count(), 30);
  assert.match(await page.getByRole("img", { name: /^Input 0: 8x8 world, robot at \(5, 2\) facing west/ }).first().getAttribute("aria-label"), /markers/);
  assert.match(await metrics(page).innerText(), /^Correct on 5 spec: yes \(5\/5\)\s*on all 10: yes \(10\/10\)$/);
  assert.equal(await page.locator(".example[data-passed=true]").count(), 10);
  assert.deepEqual(errors, []);
  await page.close();
});

test("changing a statement fails examples and marks the differing cells", async () => {
  const page = await openKarel();
  await program(page).fill("def run() {\n  move()\n}");
  await page.waitForSelector(".example[data-passed=false]");
  const failing = await page.locator(".example[data-passed=false]").count();
  assert.ok(failing > 0 && failing <= 10, `failing: ${failing}`);
  const first = page.locator(".example[data-passed=false]").first();
  assert.equal(await first.locator(".badge").innerText(), "fail");
  assert.ok((await first.locator("svg.actual rect.diff").count()) >= 1);
  assert.match(await metrics(page).innerText(), /Correct on 5 spec: no/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("stepping forward and back moves the robot and highlights the statement", async () => {
  const page = await openKarel();
  await program(page).fill("def run() {\n  move()\n  turn_left()\n}");
  await focusPage(page);
  const start = await nowGrid(page).getAttribute("aria-label");
  await page.keyboard.press(".");
  assert.equal(await page.getByTestId("now-caption").innerText(), "Step 1 of 2");
  assert.equal(await currentStatement(page), "move()");
  const afterMove = await nowGrid(page).getAttribute("aria-label");
  assert.notEqual(afterMove, start);
  await page.keyboard.press(".");
  assert.equal(await currentStatement(page), "turn_left()");
  assert.match(await nowGrid(page).getAttribute("aria-label"), /facing south/);
  await page.keyboard.press(",");
  await page.keyboard.press(",");
  assert.equal(await page.getByTestId("now-caption").innerText(), "Step 0 of 2");
  assert.equal(await nowGrid(page).getAttribute("aria-label"), start);
  assert.equal(await page.locator(".editor-highlight .current").count(), 0);
  await page.keyboard.press("End");
  assert.match(await page.getByTestId("step-status").innerText(), /Finished/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("play runs to the end on its own and shortcuts leave the editor alone", async () => {
  const page = await openKarel("#/karel");
  await program(page).fill("def run() {\n  move()\n  turn_left()\n  move()\n}");
  await program(page).press("End");
  assert.equal(await page.getByTestId("now-caption").innerText(), "Step 0 of 3");
  await page.getByRole("button", { name: "Play" }).click();
  await page.waitForFunction(() => document.querySelector("[data-testid=now-caption]").textContent === "Step 3 of 3");
  await page.getByRole("button", { name: "Play" }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("the program, the answer and the chosen task stay after visiting another tab", async () => {
  const page = await openKarel();
  await page.locator(".task-select").selectOption("b2");
  await program(page).fill("def run() {\n  turn_left()\n}");
  await page.locator("#karel-answer").fill("def run() { move() }");
  const tabs = page.getByRole("navigation", { name: "Sections" });
  await tabs.getByRole("link", { name: "Models" }).click();
  await page.getByRole("heading", { name: "Models", level: 2 }).waitFor();
  await tabs.getByRole("link", { name: "Karel" }).click();
  await page.getByTestId("task-source").waitFor();
  assert.match(await page.getByTestId("task-source").innerText(), /^Task 3 of 40/);
  assert.equal(await program(page).inputValue(), "def run() {\n  turn_left()\n}");
  assert.equal(await page.locator("#karel-answer").inputValue(), "def run() { move() }");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a parse error is shown inline with its line, column and marked line", async () => {
  const page = await openKarel();
  await program(page).fill("def run() {\n  move(\n}");
  const status = page.getByTestId("parse-status");
  assert.match(await status.innerText(), /^Line 3, column 1: expected .*, found `\}`$/);
  assert.equal(await page.locator(".code-line.error-line").count(), 1);
  assert.equal(await page.locator(".code-line.error-line").innerText(), "}");
  assert.equal(await program(page).getAttribute("aria-invalid"), "true");
  assert.match(await page.getByTestId("step-status").innerText(), /does not parse/);
  await page.locator(".karel-bench").screenshot({ path: join(outDir, "karel-parse-error.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a pasted model answer with prose and a code fence is extracted and checked per example", async () => {
  const page = await openKarel("#/karel");
  await page.getByTestId("task-source").waitFor();
  await page.locator("#karel-answer").fill("Sure! Here is my program:\n```karel\ndef run() {\n  move()\n}\n```\nIt moves once.");
  assert.equal(await page.getByTestId("answer-code").innerText(), "def run() {\n  move()\n}");
  const skipped = await page.getByTestId("answer-skipped").innerText();
  assert.match(skipped, /Sure! Here is my program/);
  assert.match(skipped, /It moves once/);
  const chips = page.getByTestId("answer-results").locator("li");
  assert.equal(await chips.count(), 10);
  assert.ok((await page.getByTestId("answer-results").locator("li.bad").count()) > 0);
  assert.match(await page.locator(".model-answer [data-testid=metrics]").innerText(), /Correct on 5 spec: no/);
  await page.locator("#karel-answer").fill("```\ndef run() {\n  put_marker()\n}\n```");
  assert.equal(await page.getByTestId("answer-results").locator("li.ok").count(), 10);
  assert.deepEqual(errors, []);
  await page.close();
});

test("editing a world makes a custom task whose expected output follows the reference program", async () => {
  const page = await openKarel();
  await page.getByText("Edit this world").click();
  await page.locator(".world-editor").focus();
  // The cursor starts at (1, 1): Enter puts a wall there; the expected output is recomputed, so all still pass.
  await page.keyboard.press("Enter");
  assert.match(await page.getByTestId("task-source").innerText(), /^Custom task/);
  assert.match(await page.getByRole("img", { name: /^Editing input 0/ }).getAttribute("aria-label"), /robot at \(5, 2\)/);
  assert.equal(await page.locator(".example[data-passed=true]").count(), 10);
  await page.locator(".stage .sizes select").first().selectOption("12");
  assert.match(await page.getByRole("img", { name: /^Editing input 0/ }).getAttribute("aria-label"), /^Editing input 0: 12x8 world/);
  await page.locator(".stage").screenshot({ path: join(outDir, "karel-world-editor.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

/** Everything a share link must restore, read from the page. */
async function snapshot(page) {
  return {
    source: await page.getByTestId("task-source").innerText(),
    program: await program(page).inputValue(),
    answer: await page.locator("#karel-answer").inputValue(),
    caption: await page.getByTestId("now-caption").innerText(),
    now: await nowGrid(page).getAttribute("aria-label"),
    selected: await page.locator(".example.selected").getAttribute("data-testid"),
    semantics: await page.locator(".run-settings select").nth(0).inputValue(),
    actionMap: await page.locator(".run-settings select").nth(1).inputValue(),
    paperView: await page.locator(".run-settings input[type=checkbox]").isChecked(),
    metrics: await metrics(page).innerText(),
  };
}

test("a copied share link restores exactly the same state in a fresh browser context", async () => {
  const page = await openKarel();
  await page.locator(".task-select").selectOption({ label: "Task 3" });
  await program(page).fill("def run() {\n  move()\n  pick_marker()\n  move()\n}");
  await page.getByTestId("example-3").getByRole("button").click();
  await page.locator(".run-settings select").nth(0).selectOption("Crash");
  await page.locator(".run-settings select").nth(1).selectOption("Flip");
  await page.locator(".run-settings input[type=checkbox]").check();
  await page.locator("#karel-answer").fill("I think: move(); move()");
  await focusPage(page);
  await page.keyboard.press(".");
  const before = await snapshot(page);
  await page.getByRole("button", { name: "Copy link" }).click();
  const link = await page.getByTestId("share-url").inputValue();
  assert.match(link, /\/mindseye\/#\/karel\/1\.[A-Za-z0-9_-]+$/);

  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const opened = await openPage(fresh, link, errors);
  await opened.getByTestId("task-source").waitFor({ timeout: 60_000 });
  assert.deepEqual(await snapshot(opened), before);
  assert.equal(await opened.getByRole("alert").count(), 0);
  await fresh.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test("a garbled share link says so and opens the default task", async () => {
  const page = await openKarel("#/karel/1.this-is-not-a-link");
  const alert = page.getByRole("alert");
  assert.match(await alert.innerText(), /This link could not be opened: this share link is damaged/);
  assert.match(await page.getByTestId("task-source").innerText(), /^Task 1 of 40/);
  assert.match(await metrics(page).innerText(), /on all 10: yes/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("screenshots at desktop and phone widths", async () => {
  const page = await openKarel();
  await program(page).fill("def run() {\n  move()\n  put_marker()\n  turn_left()\n  move()\n}");
  await focusPage(page);
  await page.keyboard.press(".");
  await page.screenshot({ path: join(outDir, "karel-desktop.png") });
  await page.screenshot({ path: join(outDir, "karel-desktop-full.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(outDir, "karel-phone.png") });
  await page.screenshot({ path: join(outDir, "karel-phone-full.png"), fullPage: true });
  await page.locator(".karel-bench").screenshot({ path: join(outDir, "karel-phone-stepping.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the interpreter's speed in wasm is measured", async () => {
  const page = await openKarel();
  const [run, trace] = await page.evaluate(() => Array.from(window.wasmBindings.karel_steps_per_second()));
  console.log(`karel interpreter in wasm: run ${Math.round(run).toLocaleString("en")} steps/s, trace ${Math.round(trace).toLocaleString("en")} steps/s`);
  assert.ok(run > 0 && trace > 0);
  await page.close();
});
