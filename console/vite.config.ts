/**
 * Vite config of the admin console. `npm run build` writes it to `dist/console`, which the server
 * serves at `/console` (`server/console/serve-console.ts`); there is no other server. In
 * development, `npx vite --config console/vite.config.ts` proxies `/graphql` and `/metrics` to
 * the sync server at `http://127.0.0.1:4000`.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = dirname(fileURLToPath(import.meta.url));
const proxy = { "/graphql": "http://127.0.0.1:4000", "/metrics": "http://127.0.0.1:4000" };

export default defineConfig({
  root,
  base: "/console/",
  build: { target: "es2022", outDir: resolve(root, "../dist/console"), emptyOutDir: true },
  server: { proxy },
});
