/**
 * The React test page (test/e2e/react-app): built with Vite into a temporary directory and served
 * by Vite's preview server on port 0, `/graphql` proxied to a test sync server, like the notes app.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, preview, type InlineConfig } from "vite";
import { graphqlProxy } from "../../examples/notes/vite.config.js";

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), "react-app");

/** The page, served. */
export interface ReactApp {
  /** e.g. `http://127.0.0.1:39123/` */
  url: string;
  close(): Promise<void>;
}

/** Builds the page and serves it, proxying `/graphql` to `syncServerUrl`. */
export async function startReactApp(syncServerUrl: string): Promise<ReactApp> {
  const outDir = mkdtempSync(join(tmpdir(), "syncpool-react-"));
  const config: InlineConfig = { root: appRoot, configFile: false, logLevel: "warn", build: { outDir, emptyOutDir: true, target: "es2022" } };
  await build({ ...config, mode: "production" });
  const server = await preview({
    ...config,
    preview: { port: 0, host: "127.0.0.1", strictPort: true, proxy: graphqlProxy(syncServerUrl) },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === "string") throw new Error("the preview server has no port");
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
