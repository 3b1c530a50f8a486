/**
 * The stream is an outbox in the same transaction as the records: a server killed with SIGKILL
 * in the middle of a storm of pushes, then restarted, holds exactly one event per acknowledged
 * push (and per committed one: an unanswered push that committed is in the stream once too), with
 * every shard still gap-free. The server is the real CLI on the run's backend (SQLite with
 * synchronous=FULL, or PostgreSQL in a schema of its own: `test-backend.ts`), and the stream is
 * read back with `syncpool stream read`, straight from the database.
 * Spawns processes: SIGKILL, a restart on the same data and the CLI are the point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { StreamRecord } from "../../server/stream/consumer.js";
import { childBackendEnv, exited, runCli, startChildServer } from "../helpers/cli.js";
import { syncApi } from "../helpers/sync-api.js";

const dataDir = mkdtempSync(join(tmpdir(), "syncpool-stream-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("stream crash durability", () => {
  it("has exactly one event per acknowledged push after SIGKILL during a storm and a restart", async () => {
    const first = await startChildServer(dataDir);
    const guests = await Promise.all([0, 1, 2].map(() => syncApi(first.graphqlUrl, undefined).call<{ signIn: { identityId: string; token: string; deviceSecret: string } }>(
      `mutation { signIn(input: { identityPoolId: "default" }) { identityId token deviceSecret } }`,
    )));
    const acknowledged: Array<{ identityId: string; mutationId: string }> = [];
    const storm = Array.from({ length: 90 }, (_, index) => {
      const { identityId, token } = guests[index % 3]!.signIn;
      const mutationId = `storm-${index}`;
      return syncApi(first.graphqlUrl, token)
        .push({ dataset: `d-${index % 4}`, deviceId: `device-${index % 5}`, mutationId, patches: [{ op: "REPLACE", key: `k-${index}`, value: "v" }] })
        .then(() => ({ identityId, mutationId }));
    });
    await new Promise<void>((killed) => {
      let answered = 0;
      for (const push of storm) {
        push.then(
          (ack) => {
            acknowledged.push(ack);
            if (++answered === 30) killed();
          },
          () => undefined, // cut off by the kill: never acknowledged
        );
      }
    });
    first.child.kill("SIGKILL");
    await Promise.allSettled(storm);
    await exited(first.child);
    expect(acknowledged.length).toBeGreaterThanOrEqual(30);

    const second = await startChildServer(dataDir);
    try {
      const read = await runCli(["stream", "read", "--pool", "default", "--data-dir", dataDir], await childBackendEnv(dataDir));
      expect(read.stderr).toBe("");
      expect(read.code).toBe(0);
      const records = read.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as StreamRecord);

      const byShard = new Map<number, number[]>();
      for (const record of records) byShard.set(record.shard, [...(byShard.get(record.shard) ?? []), Number(record.sequenceNumber)]);
      for (const [shard, sequences] of byShard) expect(sequences, `shard ${shard}`).toEqual(sequences.map((_, index) => index + 1));

      const seen = new Map<string, number>();
      for (const record of records) {
        const key = `${record.data.identityId}/${record.data.mutationId}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      for (const ack of acknowledged) expect(seen.get(`${ack.identityId}/${ack.mutationId}`), ack.mutationId).toBe(1);

      // Every committed push (answered or not) is there: the events of each dataset are its sync counts 1..N.
      for (const { signIn } of guests) {
        const { token } = (await syncApi(second.graphqlUrl, undefined).call<{ signIn: { token: string } }>(
          `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
          { input: { identityPoolId: "default", identityId: signIn.identityId, deviceSecret: signIn.deviceSecret } },
        )).signIn;
        for (const dataset of await syncApi(second.graphqlUrl, token).datasets()) {
          const counts = records.filter((r) => r.data.identityId === signIn.identityId && r.data.dataSetName === dataset.name).map((r) => r.data.syncCount);
          expect(counts, dataset.name).toEqual(Array.from({ length: dataset.syncCount }, (_, index) => index + 1));
        }
      }
    } finally {
      second.child.kill("SIGTERM");
      expect(await exited(second.child)).toBe(0);
    }
    // Two server child processes, one killed mid-storm and one restarted on the same data: each
    // start-up takes seconds of CPU, and on PostgreSQL the first migrates its schema; the whole
    // test took over 60 s with the two crash files side by side on a busy 2-core machine.
  }, 120_000);
});
