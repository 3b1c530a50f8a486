/**
 * In-process handlers (`createSyncpoolServer(config, { handlers })`) are consumers: every event
 * of their pools, in order per shard, retried with backoff until it succeeds, parked in the dead
 * letters after `maxAttempts` failures (and replayed or dropped through the admin API), with
 * checkpoints in the database so a restart does not offer handled events again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import type { StreamHandler, StreamRecord } from "../../server/stream/consumer.js";
import { startInProcessServer, type TestServerOptions } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi, waitFor } from "../helpers/stream-api.js";
import { syncApi, type Endpoint } from "../helpers/sync-api.js";

const valueOf = (record: StreamRecord) => record.data.kinesisSyncRecords[0]?.value ?? null;
const FAST_RETRIES = { consumers: { pollIntervalMs: 50, retryBaseMs: 10, retryMaxMs: 40 } };

function start(handlers: StreamHandler[], options: TestServerOptions = {}) {
  return startInProcessServer({
    ...options,
    config: { adminToken: ADMIN_TOKEN, pools: [poolSettingsSchema.parse({ id: "default" }), poolSettingsSchema.parse({ id: "other" })] },
    serverOptions: { handlers, stream: FAST_RETRIES },
  });
}

async function pushValues(endpoint: Endpoint, token: string, values: string[]): Promise<void> {
  const api = syncApi(endpoint, token);
  for (const value of values) await api.push({ dataset: "d", patches: [{ op: "REPLACE", key: "k", value }] });
}

// Each test starts a server of its own and waits on real retries (10-40 ms backoff, 50 ms polls):
// about a second on a quiet machine, over 5 s was seen on 2 cores at load 15.
describe("in-process handlers", { timeout: 30_000 }, () => {
  it("sees each event in order when it fails twice and then succeeds", async () => {
    const attempts: string[] = [];
    const handled: string[] = [];
    let flakyFailures = 0;
    const server = await start([
      {
        name: "flaky",
        pools: ["default"],
        handle(record) {
          attempts.push(valueOf(record)!);
          if (valueOf(record) === "v2" && flakyFailures < 2) {
            flakyFailures += 1;
            throw new Error("downstream unavailable");
          }
          handled.push(valueOf(record)!);
        },
      },
    ]);
    try {
      const guest = await server.signInGuest();
      await pushValues(server, guest.token, ["v1", "v2", "v3", "v4", "v5"]);
      await pushValues(server, (await server.signInGuest("other")).token, ["not-for-flaky"]);
      await waitFor(() => handled.length === 5, 15_000, "five handled events");
      expect(handled).toEqual(["v1", "v2", "v3", "v4", "v5"]);
      expect(attempts).toEqual(["v1", "v2", "v2", "v2", "v3", "v4", "v5"]);
      expect(await streamApi(server).deadLetters("flaky")).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("dead-letters an event after maxAttempts failures, moves on, and replays or drops it through the admin API", async () => {
    let healed = false;
    const handled: string[] = [];
    const server = await start([
      {
        name: "picky",
        maxAttempts: 3,
        handle(record) {
          if (valueOf(record)?.startsWith("poison") && !healed) throw new Error(`cannot digest ${valueOf(record)}`);
          handled.push(valueOf(record)!);
        },
      },
    ]);
    const stream = streamApi(server);
    try {
      const guest = await server.signInGuest();
      await pushValues(server, guest.token, ["good-1", "poison-1", "good-2"]);
      await waitFor(() => handled.length === 2, 15_000, "the good events");
      expect(handled).toEqual(["good-1", "good-2"]);

      const [letter] = await stream.deadLetters("picky");
      expect(letter).toMatchObject({ consumer: "picky", attempts: 3, lastError: "cannot digest poison-1", sequenceNumber: "2" });
      expect(letter!.record.data.kinesisSyncRecords[0]!.value).toBe("poison-1");

      expect(await stream.replay(letter!.id)).toEqual({ delivered: false, error: "cannot digest poison-1", deadLetter: { attempts: 4 } });
      healed = true;
      expect(await stream.replay(letter!.id)).toEqual({ delivered: true, error: null, deadLetter: null });
      expect(handled).toEqual(["good-1", "good-2", "poison-1"]);
      expect(await stream.deadLetters("picky")).toEqual([]);

      healed = false;
      await pushValues(server, guest.token, ["poison-2"]);
      await waitFor(async () => (await stream.deadLetters("picky")).length === 1, 15_000, "the second dead letter");
      expect(await stream.drop((await stream.deadLetters("picky"))[0]!.id)).toBe(true);
      expect(await stream.deadLetters()).toEqual([]);
      await expect(stream.replay("999999")).rejects.toMatchObject({ code: "NOT_FOUND" });
    } finally {
      await server.close();
    }
  });

  it("keeps its checkpoints in the database: a restarted server offers only new events", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "syncpool-consumer-restart-"));
    try {
      const before: string[] = [];
      const first = await start([{ name: "durable", handle: (record) => void before.push(valueOf(record)!) }], { dataDir });
      const guest = await first.signInGuest();
      await pushValues(first, guest.token, ["a", "b", "c"]);
      await waitFor(() => before.length === 3, 15_000, "three events before the restart");
      await first.close();

      const after: string[] = [];
      const second = await start([{ name: "durable", handle: (record) => void after.push(valueOf(record)!) }], { dataDir });
      try {
        const token = (await second.gql<{ signIn: { token: string } }>(
          `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
          { input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: guest.deviceSecret } },
        )).data!.signIn.token;
        await pushValues(second, token, ["d"]);
        await streamApi(second).waitForConsumer("durable", 4);
        expect(before).toEqual(["a", "b", "c"]);
        expect(after).toEqual(["d"]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
