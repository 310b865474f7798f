// wllama (llama.cpp compiled to wasm, on the CPU) measured in the page the way the app's #/bench
// page measures our engine: fetch the file into a Blob, load it, then one greedy completion of the
// prompt text. scripts/browser_bench.mjs serves this folder with wllama's esm/ build mounted at
// ./wllama/ and calls bench() here.
import { Wllama } from "./wllama/index.js";

const seconds = () => performance.now() / 1000;

/**
 * `prompt`: text (llama.cpp tokenizes it, adding BOS where the model wants one);
 * `decodeSteps`: tokens after the first; `threads`: wasm threads (more than 1 needs the page to be
 * cross-origin isolated, else wllama runs its single-thread build).
 */
export async function bench({ model, prompt, decodeSteps, threads, nCtx = 2048 }) {
  let started = seconds();
  const response = await fetch(model);
  if (!response.ok) throw new Error(`${model} answered HTTP ${response.status}`);
  const blob = await response.blob();
  const fetch_s = seconds() - started;

  const wasm = new URL("./wllama/wasm/wllama.wasm", import.meta.url).href;
  const wllama = new Wllama({ default: wasm }, { suppressNativeLog: true });
  started = seconds();
  // n_gpu_layers 0: llama.cpp's CPU backend only (wllama 3 offloads to WebGPU by default).
  await wllama.loadModel([blob], { n_gpu_layers: 0, n_threads: threads, n_ctx: nCtx, n_parallel: 1 });
  const load_s = seconds() - started;

  // Greedy (temperature 0), on past EOS, the token ids from logprobs; streamed, to time each
  // token's arrival on the page.
  const arrivals = [];
  let timings = null;
  let usage = null;
  started = seconds();
  await wllama.createCompletion({
    prompt,
    max_tokens: decodeSteps + 1,
    temperature: 0,
    ignore_eos: true,
    cache_prompt: false,
    logprobs: 1,
    stream: true,
    onData: (chunk) => {
      const at = seconds();
      for (const p of chunk.choices?.[0]?.logprobs?.content ?? []) arrivals.push({ id: p.id, at });
      timings = chunk.timings ?? timings;
      usage = chunk.usage ?? usage;
    },
  });
  const report = {
    engine: `wllama (llama.cpp ${Wllama.getLibllamaVersion().split("-")[0]}, wasm CPU)`,
    multithread: wllama.isMultithread(),
    threads: wllama.getNumThreads(),
    cross_origin_isolated: self.crossOriginIsolated,
    model,
    file_bytes: blob.size,
    fetch_s,
    load_s,
    prompt,
    prompt_tokens: usage?.prompt_tokens ?? null,
    // llama.cpp's own time for the prompt's batch; the time to the first token is measured here.
    prefill_s: timings ? timings.prompt_ms / 1000 : null,
    ttft_s: arrivals.length ? arrivals[0].at - started : null,
    decode_steps: arrivals.length - 1,
    decode_s: arrivals.length > 1 ? arrivals.at(-1).at - arrivals[0].at : null,
    tokens: arrivals.map((a) => a.id),
    llama_cpp_timings: timings,
  };
  await wllama.exit();
  return report;
}
