// The SGP-Bench pane in a real browser: the program is drawn into a canvas (checked pixel by
// pixel), answers are graded by the official rule, edits redraw, hostile programs are refused,
// filters, results and exports work, share links round-trip, and the user's own file loads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withBrowser, openPage, outDir } from "./harness.mjs";

let site;
let browser;
let context;
const errors = [];
withBrowser({ acceptDownloads: true }, (env) => ({ site, browser, context } = env));

// The first bundled question: accessory #4, a ring with a heart on a light blue disc (#84DBFF).
const FIRST_TITLE = "Question 4 · accessory · shape";
const DISC = [0x84, 0xdb, 0xff];
// A point on the disc, outside the ring and the heart, as a fraction of the canvas.
const ON_DISC = [0.2, 0.5];

async function openSgp(hash = "#/sgp", ctx = context) {
  const page = await openPage(ctx, site.url + hash, errors);
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  return page;
}

function title(page) {
  return page.locator("#sgp-question-title");
}

/** RGB of the main canvas at a fraction of its size, read back from the canvas itself. */
function pixel(page, [fx, fy]) {
  return page.evaluate(([fx, fy]) => {
    const canvas = document.querySelector('[data-testid="sgp-canvas"]');
    const data = canvas.getContext("2d").getImageData(Math.floor(canvas.width * fx), Math.floor(canvas.height * fy), 1, 1).data;
    return [data[0], data[1], data[2]];
  }, [fx, fy]);
}

async function waitForPixel(page, at, rgb) {
  await page.waitForFunction(
    ([fx, fy, rgb]) => {
      const canvas = document.querySelector('[data-testid="sgp-canvas"]');
      if (!canvas || canvas.width < 2) return false;
      const d = canvas.getContext("2d").getImageData(Math.floor(canvas.width * fx), Math.floor(canvas.height * fy), 1, 1).data;
      return rgb.every((v, i) => Math.abs(d[i] - v) <= 2);
    },
    [...at, rgb],
    { timeout: 10_000 },
  );
}

async function answer(page, text) {
  await page.getByLabel("Model response").fill(text);
}

test("the selected question's program is drawn into the canvas", async () => {
  const page = await openSgp();
  await assert.doesNotReject(title(page).filter({ hasText: FIRST_TITLE }).waitFor());
  const canvas = page.getByRole("img", { name: "Rendered image of question 4 (accessory)", exact: true });
  await canvas.waitFor();
  await waitForPixel(page, ON_DISC, DISC);
  const inked = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="sgp-canvas"]');
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
    return n / (c.width * c.height);
  });
  assert.ok(inked > 0.5, `the disc covers most of the image (${inked})`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the program is shown as highlighted text with line numbers, never as markup", async () => {
  const page = await openSgp();
  const source = page.getByTestId("svg-source");
  await source.waitFor();
  assert.match(await source.innerText(), /<circle cx="252"/);
  assert.ok((await source.locator(".sgp-tok-element").count()) > 3);
  assert.equal(await page.locator(".sgp-pane svg circle").count(), 0, "no SVG element from the data in the DOM");
  assert.equal(await source.locator(".sgp-line").count(), 4, "one numbered line per source line");
  const number = await source.locator(".sgp-line").nth(1).evaluate((el) => getComputedStyle(el, "::before").content);
  assert.equal(number, "counter(line)");
  await page.close();
});

test("the official prompt for the question is shown", async () => {
  const page = await openSgp();
  await page.locator("summary", { hasText: "Official prompt" }).click();
  const prompt = await page.getByTestId("prompt").innerText();
  assert.match(prompt, /^Answer the following multiple choice question\. The last line of your response/);
  assert.match(prompt, /Question: What shape is the main object in the image\?\n\nA\) Square\nB\) Triangle\nC\) Rectangle\nD\) Circle$/);
  await page.close();
});

test("a pasted answer is graded against the key by the official rule", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  const verdict = page.getByTestId("verdict");
  await answer(page, "The ring is round.\nAnswer: D");
  assert.match(await verdict.innerText(), /^Correct: answered D, the key is D/);
  await answer(page, "It looks square.\nanswer:  A");
  assert.match(await verdict.innerText(), /^Wrong: answered A, the key is D/);
  await answer(page, "I cannot tell.");
  assert.match(await verdict.innerText(), /^No answer found/);
  await page.close();
});

test("answers feed the results table and the list's result marks", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await answer(page, "Answer: D");
  const table = page.getByTestId("results-table");
  assert.match(await table.locator('tr[data-scope="overall"]').innerText(), /100\.0%\s+1 \/ 1/);
  assert.match(await table.locator('tr[data-scope="type"]').innerText(), /shape\s+100\.0%\s+1 \/ 1\s+35\.6% · 75\.8%/);
  assert.match(await table.locator('tr[data-scope="subject"]').innerText(), /accessory/);
  assert.equal(await page.locator('.sgp-item[data-outcome="correct"]').count(), 1);
  await page.close();
});

test("results download as CSV and JSON", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await answer(page, "Answer: C");
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  assert.equal(csv.suggestedFilename(), "sgp-sample-results.csv");
  const text = readFileSync(await csv.path(), "utf8");
  assert.match(text, /^scope,name,correct,total,accuracy_percent\r?\noverall,all,0,1,0\.0/);
  const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON" }).click()]);
  const doc = JSON.parse(readFileSync(await json.path(), "utf8"));
  assert.deepEqual(doc.answers[0], { subject: "accessory", index: 4, type: "shape", key: "D", extracted: "C", correct: false });
  await page.close();
});

test("editing the program redraws the canvas", async () => {
  const page = await openSgp();
  await waitForPixel(page, ON_DISC, DISC);
  await page.getByRole("button", { name: "Edit program" }).click();
  const editor = page.getByLabel("SVG program (editable)");
  const source = await editor.inputValue();
  await editor.fill(source.replace("fill:#84DBFF", "fill:#00C000"));
  await waitForPixel(page, ON_DISC, [0, 0xc0, 0]);
  assert.equal(
    await page.getByRole("img", { name: "Rendered image of question 4 (accessory, edited)" }).count(),
    1,
  );
  await page.getByRole("button", { name: "Restore the original" }).click();
  await waitForPixel(page, ON_DISC, DISC);
  await page.close();
});

test("a hostile program shows an error, keeps the last image marked stale, and the page keeps working", async () => {
  const page = await openSgp();
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs++; d.dismiss(); });
  await waitForPixel(page, ON_DISC, DISC);
  await page.getByRole("button", { name: "Edit program" }).click();
  const editor = page.getByLabel("SVG program (editable)");
  const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
    '<svg viewBox="0 0 10 10"><text>&lol2;</text><script>alert(1)</script></svg>';
  await editor.fill(bomb);
  const error = page.locator(".sgp-svg-error");
  await error.waitFor();
  assert.match(await error.innerText(), /cannot be drawn: the SVG has a DOCTYPE/);
  assert.equal(await error.getAttribute("role"), "alert");
  await page.locator(".sgp-stale-badge").waitFor();
  assert.deepEqual(await pixel(page, ON_DISC), DISC, "the last good render stays");
  await editor.fill('<svg viewBox="0 0 10 10"><image href="https://example.com/x.png" width="10" height="10"/></svg>');
  await page.getByText(/image> elements are refused/).waitFor();
  await editor.fill('<svg viewBox="0 0 10 10"><rect width="10" height="10" fill="#0000ff"/></svg>');
  await waitForPixel(page, ON_DISC, [0, 0, 255]);
  assert.equal(await error.count(), 0);
  assert.equal(dialogs, 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("filters and search narrow the list", async () => {
  const page = await openSgp();
  const count = page.getByTestId("question-count");
  await count.filter({ hasText: "40 of 40 questions" }).waitFor();
  await page.getByLabel("Type", { exact: true }).selectOption("count");
  const counted = Number((await count.innerText()).split(" ")[0]);
  assert.ok(counted > 0 && counted < 40, `${counted} count questions`);
  assert.equal(await page.locator(".sgp-item").count(), counted);
  for (const chip of await page.locator(".sgp-item .sgp-chip").allInnerTexts()) assert.equal(chip, "count");
  await page.getByLabel("Type", { exact: true }).selectOption("");
  await page.getByLabel("Subject").selectOption("building");
  await count.filter({ hasText: "4 of 40 questions" }).waitFor();
  await page.getByLabel("Subject").selectOption("");
  // The heart question of accessory, and a cup whose handle is "Half Heart-shaped".
  await page.getByLabel("Search questions").fill("heart");
  await count.filter({ hasText: "2 of 40 questions" }).waitFor();
  await page.getByLabel("Search questions").fill("heart cup");
  await count.filter({ hasText: "1 of 40 questions" }).waitFor();
  await page.getByLabel("Search questions").fill("");
  await page.getByLabel("Result", { exact: true }).selectOption("unanswered");
  await count.filter({ hasText: "40 of 40 questions" }).waitFor();
  await page.close();
});

test("arrow keys move through the question list", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.locator('.sgp-item[aria-current="true"]').focus();
  await page.keyboard.press("ArrowDown");
  await title(page).filter({ hasText: "Question 5 · accessory · color" }).waitFor();
  // Focus follows the selection on the next animation frame, which a busy machine may delay.
  await page.waitForFunction(() => document.activeElement?.querySelector(".sgp-item-id")?.textContent.startsWith("#5 "));
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-current")), "true");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(ring, "solid", "visible focus");
  await page.keyboard.press("ArrowUp");
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.close();
});

test("the invariance view shows the translated copies and the answers' consistency", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  const copies = page.locator(".sgp-copy");
  await copies.nth(2).waitFor();
  assert.deepEqual(await page.locator(".sgp-copy-name").allInnerTexts(), ["inv", "inv_t0", "inv_t1"]);
  await answer(page, "Answer: D");
  await copies.nth(1).getByRole("button", { name: "Open this copy" }).click();
  await page.getByRole("img", { name: "Rendered image of question 4 (accessory)", exact: true }).waitFor();
  assert.equal(await page.getByLabel("File").inputValue(), "inv_t0");
  await answer(page, "Answer: D");
  assert.match(await page.getByTestId("consistency").innerText(), /^Consistent: the same answer in all 2 answered copies/);
  await copies.nth(2).getByRole("button", { name: "Open this copy" }).click();
  await answer(page, "Answer: B");
  assert.match(await page.getByTestId("consistency").innerText(), /^Inconsistent/);
  await page.close();
});

test("a copied share link opens the same question and answer in a fresh browser", async () => {
  const page = await openSgp();
  await page.getByLabel("Subject").selectOption("building");
  await page.locator(".sgp-item").nth(1).click();
  await title(page).filter({ hasText: "Question 57 · building" }).waitFor();
  await page.getByLabel("Model", { exact: true }).fill("Qwen2.5-0.5B");
  await answer(page, "A tree stands there.\nAnswer: C");
  const verdict = await page.getByTestId("verdict").innerText();
  await page.getByRole("button", { name: "Copy link" }).click();
  const link = await page.getByLabel("Share link").inputValue();
  assert.match(link, /\/mindseye\/#\/sgp\/1\.[A-Za-z0-9_-]+$/);
  await page.close();

  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const other = await openPage(fresh, link, errors);
  await title(other).filter({ hasText: "Question 57 · building" }).waitFor();
  assert.equal(await other.getByLabel("Model response").inputValue(), "A tree stands there.\nAnswer: C");
  assert.equal(await other.getByLabel("Model", { exact: true }).inputValue(), "Qwen2.5-0.5B");
  assert.equal(await other.getByTestId("verdict").innerText(), verdict);
  assert.equal(await other.getByTestId("link-error").count(), 0);
  await fresh.close();
});

test("a share link carries an edited program", async () => {
  const page = await openSgp();
  await waitForPixel(page, ON_DISC, DISC);
  await page.getByRole("button", { name: "Edit program" }).click();
  await page.getByLabel("SVG program (editable)").fill('<svg viewBox="0 0 4 4"><rect width="4" height="4" fill="#ff8000"/></svg>');
  await waitForPixel(page, ON_DISC, [255, 128, 0]);
  await page.getByRole("button", { name: "Copy link" }).click();
  const link = await page.getByLabel("Share link").inputValue();
  await page.close();
  const fresh = await browser.newContext();
  const other = await openPage(fresh, link, errors);
  await title(other).filter({ hasText: FIRST_TITLE }).waitFor();
  await waitForPixel(other, ON_DISC, [255, 128, 0]);
  await fresh.close();
});

test("a garbled share link shows a clear message and the default question", async () => {
  const page = await openSgp("#/sgp/1.bm90IGEgbGluaw-garbled");
  const alert = page.getByTestId("link-error");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("role"), "alert");
  assert.match(await alert.innerText(), /^This share link could not be opened: this share link is damaged.*Showing the first question instead\.$/);
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await waitForPixel(page, ON_DISC, DISC);
  assert.deepEqual(errors, []);
  await page.close();
});

const OWN_CSV = [
  ",Question,A,B,C,D,Answer,Subject",
  '0,"Look.\n<svg viewBox=""0 0 8 8""><rect width=""8"" height=""8"" fill=""#ff0000""/></svg>\nQuestion: What color is the square?",Red,Green,Blue,Black,A,tool',
  '1,"Look.\n<svg viewBox=""0 0 8 8""></svg>\nQuestion: What is it?",a,b,c,d,E,tool',
  '2,"Look.\n<svg viewBox=""0 0 8 8""><circle cx=""4"" cy=""4"" r=""4"" fill=""#0000ff""/></svg>\nQuestion: How many circles?",1,2,3,4,A,science',
].join("\n");

test("the user's own CSV loads locally and bad rows are reported", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.getByTestId("sgp-file-input").setInputFiles({ name: "mine.csv", mimeType: "text/csv", buffer: Buffer.from(OWN_CSV) });
  const report = page.getByTestId("load-report");
  await report.filter({ hasText: "Loaded 2 questions" }).waitFor();
  assert.match(await report.innerText(), /1 row skipped: row 2: the answer `E` is not one of A, B, C, D\.$/);
  await page.getByTestId("question-count").filter({ hasText: "2 of 2 questions" }).waitFor();
  await title(page).filter({ hasText: "Question 0 · tool · color" }).waitFor();
  await waitForPixel(page, [0.5, 0.5], [255, 0, 0]);
  await page.close();
});

test("a wrong file is refused with a clear error and the current data stays", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.getByTestId("sgp-file-input").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
  const report = page.getByTestId("load-report");
  await report.waitFor();
  assert.equal(await report.getAttribute("role"), "alert");
  assert.match(await report.innerText(), /“notes\.txt” was not loaded: Mind's Eye reads SGP-Bench \.csv, \.json and \.jsonl files\./);
  await page.getByTestId("sgp-file-input").setInputFiles({ name: "broken.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n") });
  await report.filter({ hasText: "has no `Question` column" }).waitFor();
  await page.getByTestId("question-count").filter({ hasText: "40 of 40 questions" }).waitFor();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.close();
});

test("render time per program is measured in the browser", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await page.getByRole("button", { name: "Measure render time" }).click();
  const report = page.getByTestId("render-timing");
  await report.filter({ hasText: "512×512" }).waitFor({ timeout: 60_000 });
  const text = await report.innerText();
  assert.match(text, /^256×256: median [\d.]+ ms, p95 [\d.]+ ms over 40 programs; 512×512: median [\d.]+ ms, p95 [\d.]+ ms over 40 programs$/);
  writeFileSync(join(outDir, "sgp-render-times.txt"), text + "\n");
  console.log(`SGP render times in Chromium: ${text}`);
  await page.close();
});

test("screenshots at laptop and phone widths", async () => {
  const page = await openSgp();
  await title(page).filter({ hasText: FIRST_TITLE }).waitFor();
  await answer(page, "The main object is a ring, so it is round.\nAnswer: D");
  await waitForPixel(page, ON_DISC, DISC);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(outDir, "sgp-desktop.png") });
  await page.screenshot({ path: join(outDir, "sgp-desktop-full.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await waitForPixel(page, ON_DISC, DISC);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(outDir, "sgp-phone.png") });
  await page.screenshot({ path: join(outDir, "sgp-phone-full.png"), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow}px)`);
  assert.deepEqual(errors, []);
  await page.close();
});
