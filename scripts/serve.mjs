// A small static file server for dist/: correct MIME types (application/wasm), HTTP Range requests
// (resumable model downloads), an optional sub-path, and extra mounts (fixture models in tests).
// No directory listings, nothing outside the served folders.
//
//   node scripts/serve.mjs --dir dist [--port 8080] [--host 127.0.0.1] [--base /mindseye/]
//        [--mount /hub/=DIR] [--file /mindseye/models.json=FILE]
//        [--drop-after /hub/x.gguf=BYTES] [--throttle BYTES_PER_SECOND] [--isolate]
//
// `--isolate` sends the cross-origin isolation headers (COOP same-origin, COEP require-corp) with
// every response, which pages need for SharedArrayBuffer: wllama's multi-threaded build in
// scripts/browser_bench.mjs. Everything served here is same-origin, so nothing else changes.
//
// For tests (a stand-in for a model hub): `--file` serves one file at an exact path (a test catalog
// over the bundled one), `--drop-after` cuts the connection after that many body bytes of the next
// response for that path (a network drop mid-download), `--throttle` slows every body down. The
// same is available in-process: `server.faults.set(path, { dropAfter, bytesPerSecond, once })`, and
// `server.requests` lists every request with its Range header.
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { once } from "node:events";
import { stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".jsonl": "application/jsonl; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".gguf": "application/octet-stream",
};

const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** Parses a single `bytes=a-b` range against a file of `size` bytes; null when unsatisfiable. */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start, end;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

function resolveInside(root, relative) {
  const path = normalize(join(root, decodeURIComponent(relative)));
  return path === root || path.startsWith(root + sep) ? path : null;
}

/**
 * Sends bytes `start..=end` of `path`, applying a fault if one is set: a byte budget after which the
 * connection is cut (the response stays short of its Content-Length), and/or a rate limit.
 */
async function sendBody(res, path, start, end, fault) {
  if (!fault) {
    createReadStream(path, { start, end }).on("error", () => res.destroy()).pipe(res);
    return;
  }
  const last = fault.dropAfter === undefined ? end : Math.min(end, start + fault.dropAfter - 1);
  const stream = createReadStream(path, { start, end: last, highWaterMark: 16 * 1024 });
  try {
    for await (const chunk of stream) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await once(res, "drain");
      if (fault.bytesPerSecond) await new Promise((r) => setTimeout(r, (chunk.length / fault.bytesPerSecond) * 1000));
    }
  } catch {
    res.destroy();
    return;
  }
  if (last < end) {
    // Flush what was written, then close the socket: the client sees a body cut short.
    res.socket?.end();
    return;
  }
  res.end();
}

export function startServer({
  dir,
  port = 8080,
  host = "127.0.0.1",
  base = "/",
  mounts = {},
  files = {},
  faults = new Map(),
  throttle = 0,
  isolate = false,
}) {
  const roots = Object.entries({ ...mounts, [base]: dir })
    .map(([prefix, folder]) => [prefix.endsWith("/") ? prefix : prefix + "/", resolve(folder)])
    .sort((a, b) => b[0].length - a[0].length);
  const exact = new Map(Object.entries(files).map(([at, file]) => [at, resolve(file)]));
  const requests = [];

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://local");
      requests.push({ path: url.pathname, range: req.headers.range ?? null, method: req.method });
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { Allow: "GET, HEAD" }).end();
        return;
      }
      if (url.pathname + "/" === base) {
        res.writeHead(301, { Location: base }).end();
        return;
      }
      const match = roots.find(([prefix]) => url.pathname.startsWith(prefix));
      let path = exact.get(url.pathname) ?? (match && resolveInside(match[1], url.pathname.slice(match[0].length)));
      if (!path) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      let info = await stat(path).catch(() => null);
      if (info?.isDirectory()) {
        path = join(path, "index.html");
        info = await stat(path).catch(() => null);
      }
      if (!info?.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      const headers = {
        "Content-Type": MIME[extname(path)] ?? "application/octet-stream",
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-cache",
        "Last-Modified": info.mtime.toUTCString(),
        ETag: `"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`,
        ...(isolate ? ISOLATION_HEADERS : {}),
      };
      let start = 0;
      let end = info.size - 1;
      let status = 200;
      if (req.headers.range) {
        const range = parseRange(req.headers.range, info.size);
        if (!range) {
          res.writeHead(416, { "Content-Range": `bytes */${info.size}` }).end();
          return;
        }
        ({ start, end } = range);
        status = 206;
        headers["Content-Range"] = `bytes ${start}-${end}/${info.size}`;
      }
      headers["Content-Length"] = String(Math.max(0, end - start + 1));
      res.writeHead(status, headers);
      if (req.method === "HEAD" || info.size === 0) {
        res.end();
        return;
      }
      let fault = faults.get(url.pathname);
      if (fault?.once) faults.delete(url.pathname);
      if (throttle && !fault?.bytesPerSecond) fault = { ...fault, bytesPerSecond: throttle };
      await sendBody(res, path, start, end, fault);
    } catch {
      if (!res.headersSent) res.writeHead(400, { "Content-Type": "text/plain" });
      res.end("bad request\n");
    }
  });
  server.faults = faults;
  server.requests = requests;
  return new Promise((ready, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ready(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opts = { dir: "dist", mounts: {}, files: {}, faults: new Map() };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === "--isolate") {
      opts.isolate = true;
      i -= 1; // a flag without a value
    } else if (flag === "--dir") opts.dir = value;
    else if (flag === "--port") opts.port = Number(value);
    else if (flag === "--host") opts.host = value;
    else if (flag === "--base") opts.base = value.endsWith("/") ? value : value + "/";
    else if (flag === "--mount") {
      const [prefix, folder] = value.split("=");
      opts.mounts[prefix] = folder;
    } else if (flag === "--file") {
      const [at, file] = value.split("=");
      opts.files[at] = file;
    } else if (flag === "--drop-after") {
      const [at, bytes] = value.split("=");
      opts.faults.set(at, { dropAfter: Number(bytes), once: true });
    } else if (flag === "--throttle") {
      opts.throttle = Number(value);
    } else {
      console.error(`serve.mjs: unknown option ${flag}`);
      process.exit(2);
    }
  }
  const server = await startServer(opts);
  const { address, port } = server.address();
  console.log(`Mind's Eye is being served at http://${address}:${port}${opts.base ?? "/"}  (Ctrl-C to stop)`);
}
