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
import { afterAll, expect, it } from "vitest";
import { exited } from "../helpers/cli.js";
import { describeWithPostgres } from "../helpers/postgres.js";
import type { DatasetChange } from "../helpers/push-clients.js";
import {
  checkpointedEverything, connectDevices, DATASETS, eventIds, eventually, isProbe, PROBE, startCluster, stopEverything,
  TEST_TIMEOUT_MS, untilEveryDeviceListens, WEBHOOK_CONSUMER, type Device,
} from "../helpers/scale-out-cluster.js";
import { syncApi, type PushAnswer } from "../helpers/sync-api.js";

afterAll(stopEverything);

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
