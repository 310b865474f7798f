#!/usr/bin/env node
// Our engine next to wllama on the same GGUF file, in the same headless Chromium (Debian's, with
// WebGPU on SwiftShader, scripts/chromium.mjs), one after the other in fresh browser contexts:
//
//   node scripts/browser_bench.mjs --model PATH [--prompt-tokens 16] [--decode-tokens 8]
//        [--prompt TEXT] [--batch B] [--threads N] [--dist dist] [--profile] [--json]
//
// - ours: the app's #/bench page (app/src/bench.rs, mindseye_core::gpu::bench) from dist/ (`make
//   dist`): WebGPU, which in headless Chromium is SwiftShader, a CPU implementation of Vulkan.
// - wllama: npm @wllama/wllama, llama.cpp compiled to wasm, on the CPU (scripts/bench/wllama.mjs).
//   The server sends cross-origin isolation headers, so wllama can run its multi-threaded build;
//   --threads sets its thread count (default: all cores, as navigator.hardwareConcurrency says).
//
// Both get the same text: ours builds a plain-English prompt of --prompt-tokens tokens (or takes
// --prompt) and reports it; wllama tokenizes that text with llama.cpp. Both then decode greedily
// for --decode-tokens steps after the first token; the table shows whether the tokens agree.
// Figures: fetch (file to Blob) and load (Blob to ready) seconds; warm-up (ours: the first token on
// the fresh model, when SwiftShader compiles the kernels; llama.cpp warms up inside its load);
// TTFT (the prompt in one call to its first token on the page); prefill tok/s (prompt tokens over
// the engine's own prefill time); decode tok/s (decode steps over the time from the first to the
// last token on the page).
// --batch: ours builds the model for prompt batches of B tokens (1 to 512; default 64), as
// `mindseye bench model --batch` natively.
// --profile: after measuring, our page also times each kernel kind by GPU timestamps for the
// prompt's first batch (up to the batch's tokens) and one decoded token
// (mindseye_core::gpu::bench::profile, as `mindseye bench model --profile` natively), printed
// below the table.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser } from "./chromium.mjs";
import { startServer } from "./serve.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const WLLAMA = join(repo, "node_modules", "@wllama", "wllama");
/** Where the server puts the benchmark's own files, outside the app's sub-path (and its service worker). */
export const MODEL_URL = "/bench/model.gguf";
const WLLAMA_PAGE = "/bench/wllama.html";
/** Our engine's page on the server. */
export const BASE = "/mindseye/";

/** Server options (see scripts/serve.mjs) for dist/ plus the benchmark's files: the model, wllama. */
export function benchServerOptions(model) {
  return {
    mounts: { "/bench/": join(repo, "scripts", "bench"), "/bench/wllama/": join(WLLAMA, "esm") },
    files: { [MODEL_URL]: resolve(model) },
    isolate: true,
  };
}

/** Browser context options: no service worker caching the app in the background while we measure. */
export const CONTEXT_OPTIONS = { serviceWorkers: "block" };

export function wllamaVersion() {
  return JSON.parse(readFileSync(join(WLLAMA, "package.json"), "utf8")).version;
}

async function withPage(context, run) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    return await run(page);
  } catch (e) {
    throw new Error(`${e.message}${errors.length ? `\npage errors: ${errors.join("; ")}` : ""}`);
  } finally {
    await page.close();
  }
}

/**
 * Runs the app's #/bench page at `appUrl` (the app's address on the server) and returns its report.
 * Give `prompt` (text) or `promptTokens`; `profile` adds the report's `profile`.
 */
export async function benchOurs(context, appUrl, { prompt, promptTokens, decodeSteps, batch, profile, timeoutMs = 600_000 }) {
  const query = new URLSearchParams({ model: MODEL_URL, "decode-tokens": String(decodeSteps) });
  if (prompt !== undefined) query.set("prompt", prompt);
  else query.set("prompt-tokens", String(promptTokens));
  if (batch !== undefined) query.set("batch", String(batch));
  if (profile) query.set("profile", "1");
  return withPage(context, async (page) => {
    await page.goto(`${appUrl}#/bench/${query}`);
    const status = page.getByTestId("bench-status");
    await status.filter({ hasText: /^(Done\.|The benchmark failed)/ }).waitFor({ timeout: timeoutMs });
    const said = await status.innerText();
    if (said !== "Done.") throw new Error(said);
    return JSON.parse(await page.getByTestId("bench-report").innerText());
  });
}

/** Runs wllama on `prompt` in a page of the server at `origin`; returns its report. */
export async function benchWllama(context, origin, { prompt, decodeSteps, threads, timeoutMs = 600_000 }) {
  return withPage(context, async (page) => {
    page.setDefaultTimeout(timeoutMs);
    await page.goto(origin + WLLAMA_PAGE);
    const args = { model: MODEL_URL, prompt, decodeSteps, threads };
    const report = await page.evaluate(async (a) => (await import("./wllama.mjs")).bench(a), args);
    return { ...report, engine: `wllama ${wllamaVersion()} ${report.engine.replace(/^wllama /, "")}` };
  });
}

/** What Chromium reports from a page at `url`: its WebGPU adapter (GPUAdapterInfo) and its cores. */
export async function browserInfo(context, url) {
  return withPage(context, async (page) => {
    await page.goto(url);
    return page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      const info = adapter?.info ?? {};
      const { vendor, architecture, device, description } = info;
      return { adapter: adapter ? { vendor, architecture, device, description } : null, cores: navigator.hardwareConcurrency };
    });
  });
}

/** The figures of the table, from either engine's report. */
export function figures(report) {
  return {
    load_s: report.load_s,
    warmup_s: report.warmup_s ?? null,
    ttft_s: report.ttft_s ?? report.prefill_s,
    prefill_tok_s: report.prompt_tokens / report.prefill_s,
    decode_tok_s: report.decode_steps / report.decode_s,
  };
}

/** The printed comparison: one row per engine, the ratio ours / wllama, and whether the tokens agree. */
export function table(ours, theirs) {
  const [a, b] = [figures(ours), figures(theirs)];
  const n = (v, digits) => (v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits));
  const head = `${"engine".padEnd(54)} ${"load s".padStart(7)} ${"warm-up s".padStart(9)} ${"TTFT s".padStart(8)} ${"prefill tok/s".padStart(13)} ${"decode tok/s".padStart(12)}`;
  const row = (name, f) =>
    `${name.padEnd(54)} ${n(f.load_s, 2).padStart(7)} ${n(f.warmup_s, 2).padStart(9)} ${n(f.ttft_s, 2).padStart(8)} ${n(f.prefill_tok_s, 2).padStart(13)} ${n(f.decode_tok_s, 2).padStart(12)}`;
  const ratio = (x, y) => `${n(x / y, 2)}x`;
  const same = JSON.stringify(ours.tokens) === JSON.stringify(theirs.tokens);
  return [
    head,
    row(`${ours.engine} on ${ours.adapter.name || ours.adapter.backend}`, a),
    row(`${theirs.engine}, ${theirs.threads} thread${theirs.threads === 1 ? "" : "s"}`, b),
    `ours / wllama: prefill tok/s ${ratio(a.prefill_tok_s, b.prefill_tok_s)}, decode tok/s ${ratio(a.decode_tok_s, b.decode_tok_s)}; seconds to the first token ${ratio(a.ttft_s, b.ttft_s)}, to load ${ratio(a.load_s, b.load_s)}`,
    `prompt tokens: ours ${ours.prompt_tokens}, wllama ${theirs.prompt_tokens}; greedy tokens ${same ? "identical" : "DIFFER"} (${ours.tokens.length} each: ${ours.tokens.join(" ")}${same ? "" : ` vs ${theirs.tokens.join(" ")}`})`,
  ].join("\n");
}

function parseArgs(argv) {
  const opts = { promptTokens: 16, decodeSteps: 8, dist: join(repo, "dist"), json: false, profile: false };
  const value = (i) => {
    if (i >= argv.length) throw new Error(`${argv[i - 1]} needs a value`);
    return argv[i];
  };
  const count = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number of at least 1, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--model") opts.model = value(++i);
    else if (flag === "--prompt-tokens") opts.promptTokens = count(flag, value(++i));
    else if (flag === "--decode-tokens") opts.decodeSteps = count(flag, value(++i));
    else if (flag === "--prompt") opts.prompt = value(++i);
    else if (flag === "--threads") opts.threads = count(flag, value(++i));
    else if (flag === "--batch") opts.batch = count(flag, value(++i));
    else if (flag === "--dist") opts.dist = value(++i);
    else if (flag === "--json") opts.json = true;
    else if (flag === "--profile") opts.profile = true;
    else throw new Error(`unknown option ${flag} (see the top of scripts/browser_bench.mjs)`);
  }
  if (!opts.model) throw new Error("--model PATH is required (a GGUF file)");
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const server = await startServer({ ...benchServerOptions(opts.model), dir: opts.dist, port: 0, base: BASE });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchBrowser();
  try {
    // A fresh context for each engine: nothing one leaves behind is in the other's way.
    const inFreshContext = async (run) => {
      const context = await browser.newContext(CONTEXT_OPTIONS);
      try {
        return await run(context);
      } finally {
        await context.close();
      }
    };
    const { adapter, cores } = await inFreshContext((c) => browserInfo(c, origin + WLLAMA_PAGE));
    const ours = await inFreshContext((c) => benchOurs(c, origin + BASE, opts));
    const threads = opts.threads ?? cores;
    const args = { prompt: ours.prompt, decodeSteps: opts.decodeSteps, threads };
    const theirs = await inFreshContext((c) => benchWllama(c, origin, args));
    if (opts.json) {
      console.log(JSON.stringify({ chromium: browser.version(), webgpu_adapter: adapter, ours, wllama: theirs }, null, 2));
      return;
    }
    console.log(`model:    ${opts.model} (${(ours.file_bytes / 1048576).toFixed(1)} MiB)`);
    console.log(`browser:  headless Chromium ${browser.version()}`);
    console.log(`WebGPU:   ${JSON.stringify(adapter)}; ours ran on "${ours.adapter.name}" (${ours.adapter.backend}, ${ours.adapter.device_type})`);
    console.log(`wllama:   ${theirs.multithread ? "multi" : "single"}-thread build, ${theirs.threads} thread(s), crossOriginIsolated ${theirs.cross_origin_isolated}`);
    console.log(`prompt:   ${ours.prompt_tokens} tokens (ours in batches of ${ours.batch}), ${opts.decodeSteps} decode steps after the first token\n`);
    console.log(table(ours, theirs));
    const rate = (seconds) => (ours.decode_steps / seconds).toFixed(2);
    console.log(
      `ours, decode with each step submitted before the last token is read back: ${rate(ours.decode_s)} tok/s; ` +
        `one token at a time: ${rate(ours.decode_one_at_a_time_s)} tok/s (${(ours.decode_one_at_a_time_s / ours.decode_s).toFixed(2)}x)`,
    );
    console.log(
      `ours, decode sampling top-40: from the GPU's ranking ${rate(ours.sampled_ranked_s)} tok/s; ` +
        `from the logits read back ${rate(ours.sampled_logits_s)} tok/s (${(ours.sampled_logits_s / ours.sampled_ranked_s).toFixed(2)}x)`,
    );
    if (ours.profile_text) {
      console.log(`\nprofile of ours: GPU timestamp queries (one compute pass per kernel, timed at its start and end)\n`);
      console.log(ours.profile_text);
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`browser_bench: ${e.message}`);
    process.exit(1);
  });
}
