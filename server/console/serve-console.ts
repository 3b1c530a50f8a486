/**
 * Serves the admin console (`console/`, built by `npm run build` into `dist/console`) at
 * `/console` as static files. The page holds no secret: the admin types the token, and the page
 * sends it in a header to `/graphql` and `/metrics`. Files are read from one directory, and a path
 * that leaves it (`..`, encoded or not) is 404. Unknown paths under `/console/` get `index.html`,
 * so a reload on a page's address works.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the console is served. */
export const CONSOLE_PATH = "/console";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
};

// The page loads only its own files and talks only to this origin: a strict policy costs nothing.
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Finds the built console: `dist/console` next to the compiled server (`dist/server/...`), or
 * under the repository's `dist/` when the server runs from source (tsx, tests). Null when not built.
 */
export function findConsoleDir(): string | null {
  // Two levels up is `dist/` when compiled, the repository when run from source (whose `console/` is the source).
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const dir = basename(root) === "dist" ? join(root, "console") : join(root, "dist", "console");
  return existsSync(join(dir, "index.html")) ? dir : null;
}

/** Builds the Fetch handler for `/console` and below, over `dir` (null: the console is not built). */
export function createConsoleRoute(dir: string | null): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    if (dir === null) return new Response("the console is not built: run npm run build\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
    const { pathname } = new URL(request.url);
    if (pathname === CONSOLE_PATH) return new Response(null, { status: 308, headers: { location: `${CONSOLE_PATH}/` } });
    let relative: string;
    try {
      relative = decodeURIComponent(pathname.slice(CONSOLE_PATH.length + 1));
    } catch {
      return notFound();
    }
    const file = normalize(join(dir, relative === "" ? "index.html" : relative));
    if (!file.startsWith(dir + sep) || relative.includes("\0")) return notFound();
    const found = (await readFile(file).catch(() => null)) ?? (extname(file) === "" ? await readFile(join(dir, "index.html")).catch(() => null) : null);
    if (found === null) return notFound();
    const type = CONTENT_TYPES[extname(file) === "" ? ".html" : extname(file)] ?? "application/octet-stream";
    // Built assets carry a content hash in their names; index.html must be fetched fresh.
    const cache = relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    return new Response(request.method === "HEAD" ? null : new Uint8Array(found), { status: 200, headers: { "content-type": type, "cache-control": cache, ...SECURITY_HEADERS } });
  };
}

function notFound(): Response {
  return new Response("not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}
