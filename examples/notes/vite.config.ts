/**
 * Vite config of the notes app. `/graphql` is proxied to the sync server (default
 * `http://127.0.0.1:4000`, what `npm start` serves), so the app and the API share one origin and
 * need no CORS. `npm run demo` (demo.ts) starts both and points the proxy at its server.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type ProxyOptions } from "vite";

/** Where the app's `/graphql` requests go. */
export function graphqlProxy(syncServerUrl: string): Record<string, ProxyOptions> {
  return { "/graphql": { target: syncServerUrl, changeOrigin: true, ws: true } };
}

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  // Offline-first apps target current browsers: top-level await, private fields, ES2022.
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { proxy: graphqlProxy("http://127.0.0.1:4000") },
  preview: { proxy: graphqlProxy("http://127.0.0.1:4000") },
});
