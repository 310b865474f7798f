// Mind's Eye service worker: keeps the app shell (html, js, wasm, css, icons, bundled data) so that
// a second visit works with the network off.
//
// Trunk gives the js/wasm/css hashed names, so this file cannot list them. On install it reads
// index.html and caches every local asset it references, plus the fixed files below. Hashed files
// never change, so they are served cache-first; everything else is network-first with the cache as
// the offline fallback, so a new deploy is picked up on the next online visit.
//
// Model files are never cached here: they are hundreds of megabytes, and the app streams them into
// the origin private file system (OPFS) itself, which is what makes them available offline. Requests
// for `.gguf` files, hub `/resolve/` URLs and any ranged request go straight to the network.
const CACHE = "mindseye-shell-v2";
const FIXED = [
  "./",
  "./index.html",
  "./manifest.webmanifest",
  "./icons/icon.svg",
  "./icons/icon-192.png",
  "./icons/icon-512.png",
  // The model catalog, so downloaded models are listed with their catalog details offline.
  "./models.json",
  // Bundled samples, so both panes work offline from the first visit.
  "./data/karel-tasks.jsonl",
  "./data/sgp-sample.csv",
  "./data/sgp-sample-t0.csv",
  "./data/sgp-sample-t1.csv",
];
const HASHED = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;

function referencedAssets(html) {
  const urls = new Set();
  for (const m of html.matchAll(/(?:href|src|module_or_path)\s*[=:]\s*["']([^"'#?]+)["']/g)) urls.add(m[1]);
  for (const m of html.matchAll(/from\s+["']([^"']+\.js)["']/g)) urls.add(m[1]);
  return [...urls].filter((u) => !/^[a-z]+:/i.test(u) && !u.startsWith("//"));
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const response = await fetch("./index.html", { cache: "no-cache" });
      const html = await response.clone().text();
      await cache.put("./index.html", response);
      const assets = [...new Set([...FIXED, ...referencedAssets(html)])];
      await Promise.all(
        assets.map((url) => cache.add(new Request(url, { cache: "no-cache" })).catch(() => undefined)),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.status === 200) await cache.put(cacheKey, response.clone());
    return response;
  } catch (offline) {
    const cached = await cache.match(cacheKey, { ignoreSearch: true });
    if (cached) return cached;
    throw offline;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.status === 200) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Range requests (model downloads) and other origins are not the shell's business.
  if (request.method !== "GET" || url.origin !== self.location.origin || request.headers.has("range")) return;
  // Model files: never through the cache (see the top of this file).
  if (/\.gguf$/i.test(url.pathname) || url.pathname.includes("/resolve/")) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, "./index.html"));
  } else if (HASHED.test(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request, request));
  }
});
