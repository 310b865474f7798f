// Debian's Chromium (never a downloaded browser), headless, with WebGPU on its software adapter
// (SwiftShader): the browser of the end-to-end suite and of scripts/browser_bench.mjs.
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-features=Vulkan",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
}
