/**
 * The Amplify DataStore test page (test/e2e/datastore-app): built with Vite into a temporary
 * directory, as an app's bundler would build it (aws-amplify's ESM builds, one copy of core), and
 * served by Vite's preview server on port 0 with `/appsync` proxied to a test sync server, so the
 * page and the model API share one origin.
 *
 * aws-amplify opens its realtime socket as `wss://` on the GraphQL endpoint's host whatever that
 * endpoint's scheme, so the page is served over https (with `tls`, the test's certificate) and
 * the proxy passes WebSocket upgrades on to the sync server, itself listening with TLS: the page
 * opens a real wss:// connection, as an app on a deployed server does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, preview, type InlineConfig } from "vite";

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), "datastore-app");

/** The page, served. */
export interface DatastoreApp {
  /** e.g. `https://127.0.0.1:39123/` (`http://` without TLS) */
  url: string;
  close(): Promise<void>;
}

/** Builds the page and serves it, proxying `/appsync` (requests and WebSockets) to `syncServerUrl`; over https with `tls`. */
export async function startDatastoreApp(syncServerUrl: string, tls?: { cert: string; key: string }): Promise<DatastoreApp> {
  const outDir = mkdtempSync(join(tmpdir(), "syncpool-datastore-"));
  const config: InlineConfig = { root: appRoot, configFile: false, logLevel: "warn", build: { outDir, emptyOutDir: true, target: "es2022" } };
  await build({ ...config, mode: "production" });
  const server = await preview({
    ...config,
    preview: {
      port: 0,
      host: "127.0.0.1",
      strictPort: true,
      ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
      // The sync server's certificate is the test's self-signed one: the proxy (a loopback hop) does not verify it.
      proxy: { "/appsync": { target: syncServerUrl, changeOrigin: true, ws: true, secure: false } },
    },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === "string") throw new Error("the preview server has no port");
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${address.port}/`,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
