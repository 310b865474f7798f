// Live answers with a loaded model: "Score the options" in the SGP pane against the native CLI
// (`mindseye score --sgp`, the same GPU engine on lavapipe), and share links that carry an answer
// with its provenance, opened in a fresh browser profile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { withBrowser, openPage, repo, DESKTOP } from "./harness.mjs";
import { MODEL, MODEL_FILE, ask, loadModel, mindseye } from "./fixture_model.mjs";

let site;
let browser;
let context;
const errors = [];
withBrowser({}, (env) => ({ site, browser, context } = env));

/** `mindseye score --sgp` output: the question line, then "A: p = 0.123456, ..." per option. */
function nativeScores(row) {
  const out = mindseye(["score", MODEL, "--sgp", join(repo, "public", "data", "sgp-sample.csv"), "--row", String(row)]);
  const question = out.match(/^scoring row \d+ as \w+: (.*)$/m)[1];
  const probabilities = [...out.matchAll(/^([A-D]): p = ([0-9.]+)/gm)].map((m) => [m[1], Number(m[2])]);
  return { question, probabilities: Object.fromEntries(probabilities), best: out.match(/^best: (\w)/m)[1] };
}

test("scoring the options in the browser gives the native engine's probabilities", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  await loadModel(page, site);
  await page.goto(site.url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  const started = Date.now();
  await page.getByTestId("score-options").click();
  const chart = page.getByTestId("choice-chart");
  await chart.waitFor({ timeout: 300_000 });
  const scoreMs = Date.now() - started;

  const native = nativeScores(1);
  assert.equal(await page.getByTestId("question-text").textContent(), native.question);
  const rows = await chart.getByTestId("choice-row").all();
  assert.equal(rows.length, 4);
  for (const [i, row] of rows.entries()) {
    const letter = "ABCD"[i];
    const p = Number(await row.getByTestId("choice-percent").getAttribute("data-p"));
    assert.ok(Math.abs(p - native.probabilities[letter]) < 1e-3, `${letter}: browser ${p}, native ${native.probabilities[letter]}`);
  }
  // The numbers are text, and the key and the model's pick are said in words.
  const best = chart.locator("tr.is-best");
  assert.match(await best.innerText(), new RegExp(`^${native.best}\\s[\\s\\S]*model's pick`));
  assert.match(await chart.locator("tr.is-key").innerText(), /key/);
  assert.match(await chart.locator("caption").innerText(), new RegExp(`most likely answer is ${native.best} \\(`));
  console.log(`# score the options: ${scoreMs} ms in the browser`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a shared answer opens in a fresh profile with its provenance, downloads no model, and re-runs once the model is loaded", async () => {
  const page = await openPage(context, site.url + "#/models", errors);
  await loadModel(page, site);
  await page.goto(site.url + "#/sgp");
  await page.getByRole("heading", { name: "SGP-Bench", level: 2 }).waitFor();
  await ask(page, "textarea.sgp-response");
  const answer = await page.getByLabel("Model response").inputValue();
  await page.getByRole("button", { name: "Copy link" }).click();
  const link = await page.getByLabel("Share link").inputValue();
  assert.match(link, /#\/sgp\/1\./);
  await page.close();

  // A new profile: no model stored, nothing cached.
  const fresh = await browser.newContext({ viewport: DESKTOP });
  const requests = [];
  fresh.on("request", (r) => requests.push(r.url()));
  try {
    const recipient = await openPage(fresh, link, errors);
    await recipient.getByLabel("Model response").waitFor();
    await recipient.waitForFunction(() => document.querySelector("textarea.sgp-response")?.value.length > 0);
    assert.equal(await recipient.getByLabel("Model response").inputValue(), answer);
    assert.equal(await recipient.getByTestId("provenance-model").innerText(), `${MODEL_FILE} (1 MB)`);
    assert.equal(await recipient.getByTestId("provenance-settings").innerText(), "the prompt as a chat turn; greedy, at most 256 tokens");
    const hint = recipient.getByTestId("rerun-hint");
    assert.equal(await hint.innerText(), `To re-run it on your GPU, load ${MODEL_FILE} (1 MB) under Models.`);
    assert.equal(await hint.getByRole("link", { name: "Models" }).getAttribute("href"), "#/models");
    assert.equal(await recipient.getByTestId("rerun").count(), 0);
    assert.deepEqual(requests.filter((url) => /\.gguf(\?|$)/i.test(url)), []);

    // With the same model loaded (from the disk), the same request gives the same greedy answer.
    await loadModel(recipient, site);
    await recipient.goto(link);
    await recipient.waitForFunction(() => document.querySelector("textarea.sgp-response")?.value.length > 0);
    const rerun = recipient.getByTestId("rerun");
    await rerun.waitFor();
    await rerun.click();
    await recipient.getByTestId("provenance").getByRole("status").filter({ hasText: /tokens from/ }).waitFor({ timeout: 600_000 });
    assert.equal(await recipient.getByLabel("Model response").inputValue(), answer);
    assert.deepEqual(requests.filter((url) => /\.gguf(\?|$)/i.test(url)), []);
  } finally {
    await fresh.close();
  }
  assert.deepEqual(errors, []);
});
