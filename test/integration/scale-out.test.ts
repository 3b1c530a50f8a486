/**
 * Scale-out acceptance (issue 7): three `syncpool serve` processes on one PostgreSQL schema,
 * sharing a data directory for their keys, as an operator would run them behind a load balancer
 * without sticky sessions. Thirty devices (ten identities, three devices each, each device on its
 * own instance) push concurrently to shared datasets and listen over graphql-ws on their own
 * instance; a local HTTP receiver is the pool's webhook.
 *
 * 1. Without crashes: every dataset's counts are contiguous, every device converges, every
 *    subscriber hears every change of its identity (wherever it was committed), and the webhook
 *    gets each event exactly once.
 * 2. SIGKILL of one instance mid-storm: no acknowledged push is lost (devices of the dead instance
 *    retry elsewhere with the same mutation id), its consumer leases move to a survivor, and the
 *    webhook still gets every event at least once.
 *
 * The postgres test project only (`vitest.config.ts`).
 * Spawns processes: separate instances, and SIGKILL of one, are the point.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { exited, startChildServer } from "../helpers/cli.js";
import type { PostgresStorage } from "../../server/storage/postgres.js";
import { createTestSchema, describeWithPostgres, dropTestSchema, openTestPostgresStorage, postgresTestUrl } from "../helpers/postgres.js";
import { connectWs, type DatasetChange, type LiveSubscription, type WsConnection } from "../helpers/push-clients.js";
import { startReceiver, type Receiver } from "../helpers/push-receivers.js";
import { syncApi, type PushAnswer } from "../helpers/sync-api.js";

const IDENTITIES = 10;
const DEVICES_PER_IDENTITY = 3;
const DATASETS = ["shared-a", "shared-b"];
const SECRET = "scale-out-webhook-secret";
const LEASE_MS = 2000;
/** Three child processes, thirty devices: more than the default 30 s on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 120_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

interface Cluster {
  schema: string;
  servers: Array<{ child: ChildProcess; graphqlUrl: string }>;
  receiver: Receiver;
  /** The cluster's database, read directly (stored checkpoints, leases, events). */
  storage: PostgresStorage;
}

/** Three instances on a fresh schema, a webhook receiver, one shared data directory (the keys). */
async function startCluster(): Promise<Cluster> {
  const schema = await createTestSchema();
  cleanups.push(() => dropTestSchema(schema));
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

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  await exited(child);
}

interface Device {
  identityId: string;
  deviceId: string;
  token: string;
  /** Index of the instance it talks to (and listens on). */
  home: number;
  connection: WsConnection;
  subscription: LiveSubscription;
}

/** Ten identities, three devices each, device `d` of identity `i` on instance `(i + d) % 3`, all subscribed. */
async function connectDevices(cluster: Cluster): Promise<Device[]> {
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
const PROBE = "probe";
const isProbe = (event: DatasetChange) => event.dataset === PROBE;

/**
 * A child process's server gives no sign that a subscription is registered: each identity pushes a
 * change to the probe dataset, again each round, until every device of it heard one. Adds events
 * to the stream (and the webhook) for the probe dataset.
 */
async function untilEveryDeviceListens(cluster: Cluster, devices: Device[]): Promise<void> {
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
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The stream consumer of the pool's webhook named "audit" (`startCluster`). */
const WEBHOOK_CONSUMER = "webhook:default:audit";

/** Whether `consumer`'s stored checkpoint of every shard of the default pool is that shard's last sequence (none: 0). */
async function checkpointedEverything(cluster: Cluster, consumer: string): Promise<boolean> {
  const checkpoints = await cluster.storage.stream.getCheckpoints(consumer);
  const shards = await cluster.storage.stream.streamShards("default");
  return shards.every((shard) => (checkpoints.find((checkpoint) => checkpoint.poolId === "default" && checkpoint.shard === shard.shard)?.sequence ?? 0) === shard.lastSequence);
}

const eventIds = (receiver: Receiver) => receiver.requests.items.map((request) => String(request.headers["x-syncpool-event-id"]));

await describeWithPostgres("scale-out: three instances on one PostgreSQL database", () => {
  it("keeps counts contiguous, converges every device, and fans out every change and event across instances", async () => {
    const cluster = await startCluster();
    const devices = await connectDevices(cluster);
    await untilEveryDeviceListens(cluster, devices);
    const pushesPerDevice = 4;

    // The storm: every device pushes concurrently, alternating between its identity's shared datasets.
    const answers: Array<{ identityId: string; dataset: string; answer: PushAnswer }> = [];
    await Promise.all(
      devices.map(async (device) => {
        const api = syncApi(cluster.servers[device.home]!.graphqlUrl, device.token);
        await Promise.all(
          Array.from({ length: pushesPerDevice }, async (_, n) => {
            const dataset = DATASETS[n % DATASETS.length]!;
            const answer = await api.push({ dataset, deviceId: device.deviceId, mutationId: `m-${n}`, patches: [{ op: "REPLACE", key: `${device.deviceId}-${n}`, value: `v${n}` }] });
            answers.push({ identityId: device.identityId, dataset, answer });
          }),
        );
      }),
    );
    expect(answers).toHaveLength(devices.length * pushesPerDevice);

    // Counts: per dataset, the answers are exactly 1..N.
    const countsOf = new Map<string, number[]>();
    for (const { identityId, dataset, answer } of answers) {
      const key = `${identityId}/${dataset}`;
      countsOf.set(key, [...(countsOf.get(key) ?? []), answer.datasetSyncCount]);
    }
    for (const [key, counts] of countsOf) expect(counts.sort((a, b) => a - b), key).toEqual(counts.map((_, index) => index + 1));

    // Convergence: every device, pulling from its own instance, holds the same records, all of them.
    for (const device of devices) {
      const api = syncApi(cluster.servers[device.home]!.graphqlUrl, device.token);
      for (const dataset of DATASETS) {
        const page = await api.pullAll(dataset);
        const expected = devices
          .filter((other) => other.identityId === device.identityId)
          .flatMap((other) => Array.from({ length: pushesPerDevice }, (_, n) => n).filter((n) => DATASETS[n % DATASETS.length] === dataset).map((n) => `${other.deviceId}-${n}`));
        expect(page.records.map((record) => record.key).sort(), `${device.deviceId} ${dataset}`).toEqual(expected.sort());
        expect(page.datasetSyncCount).toBe(countsOf.get(`${device.identityId}/${dataset}`)!.length);
      }
    }

    // Fan-out: every subscriber, on every instance, hears every change of its identity (and only those).
    const changesOf = (identityId: string) =>
      [...countsOf].filter(([key]) => key.startsWith(`${identityId}/`)).flatMap(([key, counts]) => counts.map((count) => `${key.split("/")[1]}#${count}`)).sort();
    const heard = (device: Device) => device.subscription.events.items.filter((event) => !isProbe(event)).map((event: DatasetChange) => `${event.dataset}#${event.syncCount}`).sort();
    await eventually("every subscriber heard every change of its identity", () => devices.every((device) => heard(device).length >= changesOf(device.identityId).length));
    for (const device of devices) {
      expect(heard(device), device.deviceId).toEqual(changesOf(device.identityId));
      expect(device.subscription.errors.items).toEqual([]);
    }

    // The webhook: every event exactly once, though every instance runs the consumer.
    const storm = () => cluster.receiver.requests.items.filter((request) => JSON.parse(request.body.toString("utf8")).dataSetName !== PROBE);
    const stormIds = () => storm().map((request) => String(request.headers["x-syncpool-event-id"]));
    await eventually("the webhook received every event", () => new Set(stormIds()).size >= answers.length);
    // A repeat would come from an instance re-reading a shard from a stored checkpoint short of an
    // event it had delivered. Each holder saves its checkpoint after each batch, so once the stored
    // checkpoint of every shard is its last sequence, nothing is left to offer again. The admin API
    // cannot tell: it shows the asked instance's own workers, stale for shards another holds.
    await eventually("the webhook's stored checkpoint of every shard is its last sequence", () => checkpointedEverything(cluster, WEBHOOK_CONSUMER), 60_000);
    const ids = stormIds();
    expect(ids).toHaveLength(answers.length);
    expect(new Set(ids).size).toBe(answers.length);
    const bodies = storm().map((request) => JSON.parse(request.body.toString("utf8")) as { identityId: string; dataSetName: string; syncCount: number });
    expect(bodies.map((body) => `${body.identityId}/${body.dataSetName}#${body.syncCount}`).sort()).toEqual(
      answers.map(({ identityId, dataset, answer }) => `${identityId}/${dataset}#${answer.datasetSyncCount}`).sort(),
    );
  }, TEST_TIMEOUT_MS);

  it("loses no acknowledged push when an instance is killed mid-storm, and moves its consumer leases to a survivor", async () => {
    const cluster = await startCluster();
    const devices = await connectDevices(cluster);
    const { storage } = cluster;
    const alive = [true, true, true];
    const pushesPerDevice = 8;

    // Each device pushes one after another; when its instance is gone it retries the same push
    // (same mutation id, so idempotent) on the next live instance, as a client behind a load balancer would.
    const acknowledged: Array<{ identityId: string; dataset: string; key: string; answer: PushAnswer }> = [];
    const pushThrough = async (device: Device, n: number) => {
      const dataset = DATASETS[n % DATASETS.length]!;
      const key = `${device.deviceId}-${n}`;
      for (let attempt = 0; attempt < 10; attempt++) {
        const target = [0, 1, 2].map((offset) => (device.home + offset) % 3).find((index) => alive[index])!;
        try {
          const answer = await syncApi(cluster.servers[target]!.graphqlUrl, device.token).push({ dataset, deviceId: device.deviceId, mutationId: `m-${n}`, patches: [{ op: "REPLACE", key, value: "v" }] });
          acknowledged.push({ identityId: device.identityId, dataset, key, answer });
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // the instance died under us: go elsewhere
        }
      }
      throw new Error(`push ${key} never got through`);
    };
    const storm = Promise.all(
      devices.map(async (device) => {
        for (let n = 0; n < pushesPerDevice; n++) await pushThrough(device, n);
      }),
    );

    // Kill the instance holding the most leases once a third of the storm is acknowledged.
    await eventually("a third of the storm was acknowledged", () => acknowledged.length >= (devices.length * pushesPerDevice) / 3);
    const pidOf = (holder: string) => Number(holder.split(":").at(-2));
    await eventually("some instance holds a lease", async () => (await storage.leases.listLeases()).some((lease) => lease.holder !== ""));
    const leases = await storage.leases.listLeases();
    const victim = [0, 1, 2]
      .map((index) => ({ index, held: leases.filter((lease) => pidOf(lease.holder) === cluster.servers[index]!.child.pid).length }))
      .sort((a, b) => b.held - a.held)[0]!;
    expect(victim.held).toBeGreaterThan(0);
    alive[victim.index] = false;
    cluster.servers[victim.index]!.child.kill("SIGKILL");
    await exited(cluster.servers[victim.index]!.child);
    await storm;

    // No acknowledged push is lost, and counts stay contiguous: each dataset's acknowledged counts
    // are distinct and within 1..N, and its records are exactly the pushes committed.
    const api = (device: Device) => syncApi(cluster.servers[alive[device.home] ? device.home : (device.home + 1) % 3]!.graphqlUrl, device.token);
    for (const identityId of new Set(devices.map((device) => device.identityId))) {
      const device = devices.find((candidate) => candidate.identityId === identityId)!;
      for (const dataset of DATASETS) {
        const page = await api(device).pullAll(dataset);
        const acked = acknowledged.filter((ack) => ack.identityId === identityId && ack.dataset === dataset);
        const keys = new Set(page.records.map((record) => record.key));
        for (const ack of acked) expect(keys.has(ack.key), ack.key).toBe(true);
        expect(acked.length).toBe(devices.filter((d) => d.identityId === identityId).length * (pushesPerDevice / DATASETS.length));
        const counts = new Set(acked.map((ack) => ack.answer.datasetSyncCount));
        expect(counts.size).toBe(acked.length);
        expect(page.datasetSyncCount).toBe(acked.length);
        expect(page.records.map((record) => record.syncCount).every((count) => count >= 1 && count <= page.datasetSyncCount)).toBe(true);
      }
    }

    // The dead instance's leases moved to survivors.
    const deadPid = cluster.servers[victim.index]!.child.pid;
    await eventually("every lease is held by a survivor", async () => {
      const now = await storage.leases.listLeases();
      return now.length > 0 && now.every((lease) => lease.holder !== "" && pidOf(lease.holder) !== deadPid);
    });

    // The webhook got every event at least once (those the dead instance was delivering, again).
    const expectedIds: string[] = [];
    for (const shard of await storage.stream.streamShards("default")) {
      for (const event of await storage.stream.readStreamEvents("default", shard.shard, 1, 10_000)) expectedIds.push(`default/${event.shard}/${event.sequence}`);
    }
    expect(expectedIds).toHaveLength(devices.length * pushesPerDevice);
    await eventually("the webhook received every event at least once", () => {
      const received = new Set(eventIds(cluster.receiver));
      return expectedIds.every((id) => received.has(id));
    });
  }, TEST_TIMEOUT_MS);
});
