/**
 * An acknowledged push survives the server process dying at any moment: the server runs as a
 * child process (the real CLI), is killed with SIGKILL while pushes are in flight, restarts on the
 * same data, and must still hold every push it answered. The same test runs on both backends
 * (`test-backend.ts`): SQLite with synchronous=FULL in the data directory, or PostgreSQL in a
 * schema of its own, where the kill drops the server's connections mid-transaction. The burst is
 * concurrent, so its pushes commit in groups (one transaction, one COMMIT, a savepoint each: per
 * stream shard on PostgreSQL): an acknowledged push is there whole, an unacknowledged one whole
 * or not at all.
 * Spawns processes: SIGKILL and a restart on the same data are the point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exited, startChildServer } from "../helpers/cli.js";
import { syncApi } from "../helpers/sync-api.js";

const dataDir = mkdtempSync(join(tmpdir(), "syncpool-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Acknowledged {
  dataset: string;
  key: string;
  value: string;
  syncCount: number;
}

/** The second record every push writes beside `key`: a push is applied whole or not at all. */
const pairKey = (key: string): string => `${key}-pair`;

function push(graphqlUrl: string, token: string, dataset: string, index: number): Promise<Acknowledged> {
  const key = `key-${index}`;
  const value = `value-${index}`;
  const patches = [{ op: "REPLACE" as const, key, value }, { op: "REPLACE" as const, key: pairKey(key), value }];
  return syncApi(graphqlUrl, token)
    .push({ dataset, deviceId: "crash-device", mutationId: `mutation-${index}`, patches })
    .then(({ datasetSyncCount }) => ({ dataset, key, value, syncCount: datasetSyncCount }));
}

describe("crash durability", () => {
  it("keeps every acknowledged push after SIGKILL and a restart", async () => {
    const first = await startChildServer(dataDir);
    const { signIn } = await syncApi(first.graphqlUrl, undefined).call<{ signIn: { identityId: string; token: string; deviceSecret: string } }>(
      `mutation { signIn(input: { identityPoolId: "default" }) { identityId token deviceSecret } }`,
    );
    const acknowledged: Acknowledged[] = [];

    // Pushes one after another, each acknowledged before the next.
    for (let index = 0; index < 25; index += 1) acknowledged.push(await push(first.graphqlUrl, signIn.token, "sequential", index));

    // Then a concurrent burst over several datasets (committed in groups), killed while some are still in flight.
    const burst = Array.from({ length: 60 }, (_, index) => push(first.graphqlUrl, signIn.token, `burst-${index % 3}`, 100 + index));
    let answered = 0;
    await new Promise<void>((resolveKill) => {
      for (const pending of burst) {
        pending.then(
          (ack) => {
            acknowledged.push(ack);
            if ((answered += 1) === 20) resolveKill();
          },
          () => undefined, // cut off by the kill: never acknowledged, so nothing is promised
        );
      }
    });
    first.child.kill("SIGKILL");
    await Promise.allSettled(burst);
    await exited(first.child);
    expect(acknowledged.length).toBeGreaterThanOrEqual(45);

    const second = await startChildServer(dataDir);
    try {
      // The identity, its device secret and the signing key all survived too.
      const { signIn: again } = await syncApi(second.graphqlUrl, undefined).call<{ signIn: { token: string } }>(
        `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
        { input: { identityPoolId: "default", identityId: signIn.identityId, deviceSecret: signIn.deviceSecret } },
      );
      const api = syncApi(second.graphqlUrl, again.token);

      for (const dataset of ["sequential", "burst-0", "burst-1", "burst-2"]) {
        const { records, datasetSyncCount } = await api.pullAll(dataset, 0, 1000);
        const stored = new Map(records.map((record) => [record.key, record.value]));

        for (const ack of acknowledged.filter((candidate) => candidate.dataset === dataset)) {
          expect(stored.get(ack.key), `${dataset}/${ack.key}`).toBe(ack.value);
          expect(stored.get(pairKey(ack.key)), `${dataset}/${pairKey(ack.key)}`).toBe(ack.value);
          expect(datasetSyncCount).toBeGreaterThanOrEqual(ack.syncCount);
        }
        // Every push, answered or cut off: both of its records or neither, and one sync count each.
        const keys = [...stored.keys()].filter((key) => !key.endsWith("-pair"));
        for (const key of keys) expect(stored.get(pairKey(key)), `${dataset}/${pairKey(key)}`).toBe(stored.get(key));
        expect(stored.size, dataset).toBe(keys.length * 2);
        expect(datasetSyncCount, dataset).toBe(keys.length);
      }
    } finally {
      // A graceful stop: SIGTERM closes the server and its storage and exits 0.
      second.child.kill("SIGTERM");
      expect(await exited(second.child)).toBe(0);
    }
    // Two server child processes, one killed mid-storm and one restarted on the same data: each
    // start-up takes seconds of CPU, and on PostgreSQL the first migrates its schema; the whole
    // test took over 60 s with the two crash files side by side on a busy 2-core machine.
  }, 120_000);
});
