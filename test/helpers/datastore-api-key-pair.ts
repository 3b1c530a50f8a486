/**
 * Two DataStore devices on one pool's API key against one test server: the server serves `models`
 * as the `app` pool's model API, an API key is issued with `createApiKey`, and two devices
 * (test/helpers/datastore-device.cjs, each its own process) start DataStore with it. `issueApiKey`
 * is the key alone, for a file that starts its own server and devices.
 *
 *   const pair = await startApiKeyPair({ schema: SCHEMA, conflictHandler: "AUTOMERGE" });
 *   await pair.one.run("save", { model: "Todo", fields: { title: "milk" } });
 *   await pair.close();
 */
import { poolSettingsSchema } from "../../server/config.js";
import type { PoolSettingsInput } from "../../server/identity/pool-settings.js";
import { startDevice, type Device } from "./datastore-device.js";
import { startTestServer, type InProcessServer, type TestServer } from "./server.js";

/** The pool the pair's server serves. */
export const API_KEY_POOL = "app";
const ADMIN_TOKEN = "admin-token-for-datastore-api-key-pair-0123456789";

export interface ApiKeyPair {
  server: TestServer;
  /** The model API the devices talk to: `${server.url}/appsync/app/graphql`. */
  endpoint: string;
  /** The key both devices hold. */
  apiKey: string;
  /** Started. */
  one: Device;
  /** Started. */
  two: Device;
  /** Kills both devices and stops the server. */
  close(): Promise<void>;
}

/** Issues an API key of `poolId` (one day) through the admin API, authorized by `adminToken`. */
export async function issueApiKey(server: Pick<InProcessServer, "gql">, adminToken: string, poolId = API_KEY_POOL): Promise<string> {
  const issued = await server.gql(`mutation($poolId: ID!) { createApiKey(identityPoolId: $poolId, expiresInDays: 1) { apiKey } }`, { poolId }, adminToken);
  const apiKey = issued.data?.createApiKey?.apiKey;
  if (typeof apiKey !== "string") throw new Error(`createApiKey failed: ${JSON.stringify(issued.errors)}`);
  return apiKey;
}

/** Starts the server with `models` as the `app` pool's models, issues a key, and starts two devices on it. */
export async function startApiKeyPair(models: NonNullable<PoolSettingsInput["models"]>): Promise<ApiKeyPair> {
  const server = await startTestServer({ config: { pools: [poolSettingsSchema.parse({ id: API_KEY_POOL, models })], adminToken: ADMIN_TOKEN } });
  const devices: Device[] = [];
  const close = async () => {
    for (const device of devices) device.kill();
    await server.close();
  };
  try {
    const apiKey = await issueApiKey(server, ADMIN_TOKEN);
    const endpoint = `${server.url}/appsync/${API_KEY_POOL}/graphql`;
    const started = await Promise.allSettled([startDevice(endpoint, { apiKey }), startDevice(endpoint, { apiKey })]);
    for (const result of started) if (result.status === "fulfilled") devices.push(result.value);
    for (const result of started) if (result.status === "rejected") throw result.reason;
    const [one, two] = devices as [Device, Device];
    await Promise.all([one.run("start"), two.run("start")]);
    return { server, endpoint, apiKey, one, two, close };
  } catch (error) {
    await close();
    throw error;
  }
}
