/**
 * Change fan-out across instances, in-process: two servers on one PostgreSQL schema, a WebSocket
 * subscriber on each. A change committed on one reaches the subscribers of both exactly once, over
 * PostgreSQL NOTIFY (the default) and over Redis pub/sub (`redisUrl`); a change too large for
 * NOTIFY arrives elsewhere as a pull hint; a lost LISTEN connection comes back by itself.
 * The postgres test project only (`vitest.config.ts`).
 * Binds ports: the subscribers are graphql-ws clients on real WebSockets.
 */
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import type { ServerConfig } from "../../server/config.js";
import { createTestSchema, describeWithPostgres, dropTestSchema, postgresTestUrl, withTestClient } from "../helpers/postgres.js";
import { connectWs, type LiveSubscription } from "../helpers/push-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const redisUrl = process.env["SYNCPOOL_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function redisReachable(): Promise<boolean> {
  const client = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Two servers on one fresh schema (sharing a data directory, hence keys), a guest and a subscriber on each. */
async function twoInstances(extra: Partial<ServerConfig> = {}) {
  const schema = await createTestSchema();
  cleanups.push(() => dropTestSchema(schema));
  const config = { databaseUrl: postgresTestUrl, databaseSchema: schema, databasePoolSize: 3, ...extra };
  const a = await startTestServer({ config });
  cleanups.push(() => a.close());
  const b = await startTestServer({ config, dataDir: a.dataDir });
  cleanups.push(() => b.close());
  const guest = await a.signInGuest();
  const subscribe = (server: TestServer): LiveSubscription => {
    const connection = connectWs(server, guest.token);
    cleanups.push(() => connection.dispose());
    return connection.subscribe();
  };
  const onA = subscribe(a);
  const onB = subscribe(b);
  await Promise.all([onA.ready, onB.ready]);
  return { a, b, schema, guest, onA, onB };
}

/**
 * Proves that no repeat of an earlier change reaches either subscriber, without a quiet spell: one
 * marker change is committed on each instance, so each subscriber hears one locally and one over
 * the relay. Each path delivers in commit order, so once a subscriber heard both markers, any
 * repeat relayed or published before them would have arrived: the next two events must be
 * exactly the markers (in either order, as the two paths race), and nothing else.
 */
async function expectOnlyMarkersNext(
  cluster: { a: TestServer; b: TestServer; guest: { token: string }; onA: LiveSubscription; onB: LiveSubscription },
  dataset: string,
): Promise<void> {
  const fromA = await syncApi(cluster.a.graphqlUrl, cluster.guest.token).push({ dataset, deviceId: "marker-a", patches: [{ op: "REPLACE", key: "marker", value: "a" }] });
  const fromB = await syncApi(cluster.b.graphqlUrl, cluster.guest.token).push({ dataset, deviceId: "marker-b", patches: [{ op: "REPLACE", key: "marker", value: "b" }] });
  const markers = [fromA.datasetSyncCount, fromB.datasetSyncCount].sort((x, y) => x - y);
  for (const subscription of [cluster.onA, cluster.onB]) {
    const heard = [await subscription.next(), await subscription.next()];
    expect(heard.map((event) => event.syncCount).sort((x, y) => x - y)).toEqual(markers);
    expect(heard.map((event) => event.deviceId).sort()).toEqual(["marker-a", "marker-b"]);
    expect(subscription.events.unread()).toEqual([]);
  }
}

// Two server instances; one test cuts the LISTEN connection and waits for it to listen again.
await describeWithPostgres("change fan-out across instances", () => {
  it("delivers a change committed on one instance to subscribers on both, once each, over NOTIFY", async () => {
    const { a, b, guest, onA, onB } = await twoInstances();
    await syncApi(a.graphqlUrl, guest.token).push({ dataset: "notes", deviceId: "d1", mutationId: "m1", patches: [{ op: "REPLACE", key: "k", value: "from a" }] });
    await syncApi(b.graphqlUrl, guest.token).push({ dataset: "notes", deviceId: "d2", mutationId: "m1", patches: [{ op: "REPLACE", key: "k", value: "from b" }] });
    for (const subscription of [onA, onB]) {
      expect(await subscription.next()).toMatchObject({ dataset: "notes", syncCount: 1, deviceId: "d1", records: [{ key: "k", value: "from a" }] });
      expect(await subscription.next()).toMatchObject({ dataset: "notes", syncCount: 2, deviceId: "d2", records: [{ key: "k", value: "from b" }] });
    }
    await expectOnlyMarkersNext({ a, b, guest, onA, onB }, "notes");
  });

  it("sends a change too large for NOTIFY without its records: other instances hear a pull hint", async () => {
    const { a, guest, onA, onB } = await twoInstances();
    const value = "x".repeat(10_000);
    await syncApi(a.graphqlUrl, guest.token).push({ dataset: "big", deviceId: "d1", mutationId: "m1", patches: [{ op: "REPLACE", key: "k", value }] });
    expect(await onA.next()).toMatchObject({ dataset: "big", syncCount: 1, records: [{ key: "k", value }] });
    expect(await onB.next()).toMatchObject({ dataset: "big", syncCount: 1, deviceId: "d1", records: null });
  });

  it("listens again after its LISTEN connection is cut, and relays later changes", async () => {
    const { a, b, schema, guest, onB } = await twoInstances();
    // Cut the LISTEN connections whose last statement named this schema's channel (at least b's:
    // it has sent nothing since it listened).
    const cut = await withTestClient((client) =>
      client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'syncpool-listen' AND query LIKE $1`,
        [`%syncpool_changes_${schema}%`],
      ),
    );
    expect(cut.rowCount).toBeGreaterThanOrEqual(1);
    const api = syncApi(a.graphqlUrl, guest.token);
    let mutation = 0;
    // A change made while reconnecting may be lost (a hint only); keep pushing until one arrives.
    const deadline = Date.now() + 10_000;
    for (;;) {
      await api.push({ dataset: "notes", deviceId: "d1", mutationId: `m${++mutation}`, patches: [{ op: "REPLACE", key: "k", value: `v${mutation}` }] });
      const event = await onB.next(500).catch(() => null);
      if (event) break;
      if (Date.now() > deadline) throw new Error("no change reached the other instance after the LISTEN connection was cut");
    }
    expect(b.running.server.push.bus.listenerCount()).toBe(1);
  });

  it("uses Redis pub/sub when REDIS_URL is set, delivering once per subscriber", async (context) => {
    if (!(await redisReachable())) {
      if (process.env["CI"] === "true") throw new Error(`Redis is required on CI but is not reachable at ${redisUrl}`);
      console.warn(`Redis not reachable at ${redisUrl}: skipping the Redis fan-out test; set SYNCPOOL_TEST_REDIS_URL`);
      return context.skip();
    }
    const { a, b, guest, onA, onB } = await twoInstances({ redisUrl });
    const value = "y".repeat(10_000); // too large for NOTIFY, not for Redis: inline everywhere
    await syncApi(b.graphqlUrl, guest.token).push({ dataset: "notes", deviceId: "d2", mutationId: "m1", patches: [{ op: "REPLACE", key: "k", value }] });
    for (const subscription of [onA, onB]) {
      expect(await subscription.next()).toMatchObject({ dataset: "notes", syncCount: 1, deviceId: "d2", records: [{ key: "k", value }] });
    }
    await expectOnlyMarkersNext({ a, b, guest, onA, onB }, "notes");
    expect(a.running.server.push.bus.listenerCount()).toBe(1);
  });
}, { timeout: 20_000 });
