/**
 * `npm run demo`: the sync server and the notes app, in one process. The server listens on
 * `PORT` (default 4000) with its data in `SYNCPOOL_DATA_DIR` (default `./.syncpool/demo`); the
 * app is served by Vite's dev server on `DEMO_PORT` (default 5173, the next free one if taken),
 * which proxies `/graphql` to the server and answers `/family/*` itself (server/family-routes.ts):
 * it is the app's backend, holding the admin token and the invite secret.
 *
 * The `default` pool gets the family slots of server/family-pool.ts, unless a config file
 * (SYNCPOOL_CONFIG) names its own pools. The admin token is SYNCPOOL_ADMIN_TOKEN, or one made up
 * for this run; invite codes are signed with a secret kept in the data directory, so they stay
 * valid across restarts. Ctrl-C stops both.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "vite";
import { loadConfig } from "../../server/config.js";
import { startServer } from "../../server/node.js";
import { familyPool } from "./server/family-pool.js";
import { familyRoutes } from "./server/family-routes.js";
import { createFamilyService } from "./server/family-service.js";
import viteConfig, { graphqlProxy } from "./vite.config.js";

const env = process.env;
const adminToken = env.SYNCPOOL_ADMIN_TOKEN ?? randomBytes(32).toString("hex");
const loaded = loadConfig({ LOG_LEVEL: "warn", SYNCPOOL_DATA_DIR: "./.syncpool/demo", ...env, SYNCPOOL_ADMIN_TOKEN: adminToken });
const config = loaded.pools.length > 0 ? loaded : { ...loaded, pools: [familyPool("default")] };
const syncServer = await startServer(config);

const family = createFamilyService({ syncServerUrl: syncServer.url, adminToken, inviteSecret: inviteSecret(config.dataDir) });
const app = await createServer({
  ...viteConfig,
  configFile: false,
  plugins: [familyRoutes(family)],
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
    "  Open the app, create a family and pass its invite code to someone with another browser (or",
    "  a private window), who joins with it. 'Open on another device' moves you to another browser.",
    "  Ctrl-C stops both.",
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

/** The invite secret kept in `dataDir` (made on first use, readable by its owner only). */
function inviteSecret(dataDir: string): string {
  const path = join(dataDir, "family-invite.key");
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  }
  return readFileSync(path, "utf8").trim();
}
