/** The scale-out test's cluster: three `syncpool serve` processes on one PostgreSQL schema, a webhook receiver, and thirty subscribed devices (`scale-out.test.ts`). */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exited, startChildServer } from "./cli.js";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { openTestPostgresStorage, postgresTestUrl, releaseTestSchema, takeTestSchema } from "./postgres.js";
import { connectWs, type DatasetChange, type LiveSubscription, type WsConnection } from "./push-clients.js";
import { startReceiver, type Receiver } from "./push-receivers.js";
import { syncApi } from "./sync-api.js";

export const IDENTITIES = 10;
export const DEVICES_PER_IDENTITY = 3;
export const DATASETS = ["shared-a", "shared-b"];
export const SECRET = "scale-out-webhook-secret";
export const LEASE_MS = 2000;
/** Three child processes, thirty devices: more than the default 30 s on a loaded 2-core machine. */
export const TEST_TIMEOUT_MS = 120_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
/** Stops what `startCluster` and `connectDevices` started, last first (the test file's `afterAll`). */
export async function stopEverything(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
}

export interface Cluster {
  schema: string;
  servers: Array<{ child: ChildProcess; graphqlUrl: string }>;
  receiver: Receiver;
  /** The cluster's database, read directly (stored checkpoints, leases, events). */
  storage: PostgresStorage;
}

/** Three instances on a schema of their own, a webhook receiver, one shared data directory (the keys). */
export async function startCluster(): Promise<Cluster> {
  // A migrated schema as if fresh (run last of the clean-ups, once every instance has stopped).
  const schema = await takeTestSchema();
  cleanups.push(() => releaseTestSchema(schema));
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-scale-out-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const receiver = await startReceiver(200);
  cleanups.push(() => receiver.close());
  const configFile = join(dataDir, "syncpool.json");
  const webhook = { name: "audit", url: `${receiver.url}/events`, secret: SECRET, timeoutMs: 5000 };
  writeFileSync(configFile, JSON.stringify({ pools: [{ id: "default", stream: { shards: 4, webhooks: [webhook] } }] }));
  const env = {
    DATABASE_URL: postgresTestUrl,
    SYNCPOOL_DATABASE_SCHEMA: schema,
    SYNCPOOL_DATABASE_POOL_SIZE: "4",
    SYNCPOOL_CONFIG: configFile,
    SYNCPOOL_STREAM_LEASE_MS: String(LEASE_MS),
    SYNCPOOL_OUTBOUND_ALLOW_PRIVATE: "true", // the webhook receiver listens on loopback
  };
  const servers = await Promise.all([0, 1, 2].map(() => startChildServer(dataDir, env)));
  for (const server of servers) cleanups.push(() => stop(server.child));
  const { storage } = await openTestPostgresStorage({ schema, poolSize: 2 });
  cleanups.push(() => storage.close());
  return { schema, servers, receiver, storage };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await exited(child);
}

export interface Device {
  identityId: string;
  deviceId: string;
  token: string;
  /** Index of the instance it talks to (and listens on). */
  home: number;
  connection: WsConnection;
  subscription: LiveSubscription;
}

/** Ten identities, three devices each, device `d` of identity `i` on instance `(i + d) % 3`, all subscribed. */
export async function connectDevices(cluster: Cluster): Promise<Device[]> {
  const urls = cluster.servers.map((server) => server.graphqlUrl);
  const devices: Device[] = [];
  for (let identity = 0; identity < IDENTITIES; identity++) {
    const guest = (
      await syncApi(urls[identity % 3]!, undefined).call<{ signIn: { identityId: string; deviceSecret: string } }>(
        `mutation { signIn(input: { identityPoolId: "default" }) { identityId deviceSecret } }`,
      )
    ).signIn;
    for (let index = 0; index < DEVICES_PER_IDENTITY; index++) {
      const home = (identity + index) % 3;
      // Each device signs in on its own instance: tokens verify on every instance (shared keys).
      const { token } = (
        await syncApi(urls[home]!, undefined).call<{ signIn: { token: string } }>(
          `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
          { input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: guest.deviceSecret } },
        )
      ).signIn;
      const connection = connectWs(urls[home]!, token);
      cleanups.push(() => connection.dispose());
      devices.push({ identityId: guest.identityId, deviceId: `device-${identity}-${index}`, token, home, connection, subscription: connection.subscribe() });
    }
  }
  await Promise.all(devices.map((device) => device.subscription.ready));
  return devices;
}

/** The dataset of the changes that tell a subscription listens (`untilEveryDeviceListens`). */
export const PROBE = "probe";
export const isProbe = (event: DatasetChange) => event.dataset === PROBE;

/**
 * A child process's server gives no sign that a subscription is registered: each identity pushes a
 * change to the probe dataset, again each round, until every device of it heard one. Adds events
 * to the stream (and the webhook) for the probe dataset.
 */
export async function untilEveryDeviceListens(cluster: Cluster, devices: Device[]): Promise<void> {
  await Promise.all(
    [...new Set(devices.map((device) => device.identityId))].map(async (identityId) => {
      const own = devices.filter((device) => device.identityId === identityId);
      const api = syncApi(cluster.servers[own[0]!.home]!.graphqlUrl, own[0]!.token);
      let round = 0;
      await eventually(`every device of ${identityId} heard a probe`, async () => {
        if (own.every((device) => device.subscription.events.items.some(isProbe))) return true;
        await api.push({ dataset: PROBE, deviceId: "probe", patches: [{ op: "REPLACE", key: "round", value: String(++round) }] });
        return false;
      });
    }),
  );
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The stream consumer of the pool's webhook named "audit" (`startCluster`). */
export const WEBHOOK_CONSUMER = "webhook:default:audit";

/** Whether `consumer`'s stored checkpoint of every shard of the default pool is that shard's last sequence (none: 0). */
export async function checkpointedEverything(cluster: Cluster, consumer: string): Promise<boolean> {
  const checkpoints = await cluster.storage.stream.getCheckpoints(consumer);
  const shards = await cluster.storage.stream.streamShards("default");
  return shards.every((shard) => (checkpoints.find((checkpoint) => checkpoint.poolId === "default" && checkpoint.shard === shard.shard)?.sequence ?? 0) === shard.lastSequence);
}

export const eventIds = (receiver: Receiver) => receiver.requests.items.map((request) => String(request.headers["x-syncpool-event-id"]));
