/**
 * `npm run demo`: the sync server and the notes app, in one process. The server listens on
 * `PORT` (default 4000) with its data in `SYNCPOOL_DATA_DIR` (default `./.syncpool/demo`); the
 * app is served by Vite's dev server on `DEMO_PORT` (default 5173, the next free one if taken),
 * which proxies `/graphql` to the server. Ctrl-C stops both.
 */
import { createServer } from "vite";
import { loadConfig } from "../../server/config.js";
import { startServer } from "../../server/node.js";
import viteConfig, { graphqlProxy } from "./vite.config.js";

const env = process.env;
const config = loadConfig({ LOG_LEVEL: "warn", SYNCPOOL_DATA_DIR: "./.syncpool/demo", ...env });
const syncServer = await startServer(config);

const app = await createServer({
  ...viteConfig,
  configFile: false,
  server: { port: Number(env.DEMO_PORT ?? 5173), host: "127.0.0.1", proxy: graphqlProxy(syncServer.url) },
});
await app.listen();

const appUrl = app.resolvedUrls?.local[0] ?? `http://127.0.0.1:${env.DEMO_PORT ?? 5173}/`;
process.stdout.write(
  [
    "",
    `  sync server  ${syncServer.graphqlUrl}  (data in ${config.dataDir})`,
    `  notes app    ${appUrl}`,
    "",
    "  Open the app, then its 'Open on another device' link in another browser or a private",
    "  window: two devices of one identity. Ctrl-C stops both.",
    "",
  ].join("\n") + "\n",
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([app.close(), syncServer.close()]);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
