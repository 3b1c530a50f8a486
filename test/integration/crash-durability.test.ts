/**
 * An acknowledged push survives the process dying at any moment: the server runs as a child
 * process (the real CLI, SQLite with synchronous=FULL), is killed with SIGKILL while pushes are
 * in flight, restarts on the same data directory, and must still hold every push it answered.
 * The burst is concurrent, so its pushes commit in groups (one transaction, one fsync, a
 * savepoint each): an acknowledged push is there whole, an unacknowledged one whole or not at all.
 * Spawns processes: SIGKILL and a restart on the same files are the point.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { cliArgs } from "../helpers/cli.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "syncpool-crash-"));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `syncpool serve` and resolves with its GraphQL URL, read from its start-up log line. */
async function startChild(): Promise<{ child: ChildProcess; graphqlUrl: string }> {
  const child = spawn(process.execPath, cliArgs(["serve", "--port", "0", "--data-dir", dataDir]), {
    cwd: repoRoot,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));

  const graphqlUrl = await new Promise<string>((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { graphqlUrl?: string };
        if (entry.graphqlUrl) resolveUrl(entry.graphqlUrl);
      } catch {
        // not a log line
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return { child, graphqlUrl };
}

async function gql<T>(graphqlUrl: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const PUSH = `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`;
const RECORDS = `query ($dataset: String!, $after: String) {
  records(dataset: $dataset, sinceSyncCount: 0, first: 1000, after: $after) { records { key value } datasetSyncCount nextCursor }
}`;

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
  const patches = [{ op: "REPLACE", key, value }, { op: "REPLACE", key: pairKey(key), value }];
  return gql<{ pushRecords: { datasetSyncCount: number } }>(
    graphqlUrl,
    PUSH,
    { input: { dataset, deviceId: "crash-device", mutationId: `mutation-${index}`, patches } },
    token,
  ).then(({ pushRecords }) => ({ dataset, key, value, syncCount: pushRecords.datasetSyncCount }));
}

describe("crash durability", () => {
  it("keeps every acknowledged push after SIGKILL and a restart", async () => {
    const first = await startChild();
    const { signIn } = await gql<{ signIn: { identityId: string; token: string; deviceSecret: string } }>(
      first.graphqlUrl,
      `mutation { signIn(input: { identityPoolId: "default" }) { identityId token deviceSecret } }`,
      {},
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
    await new Promise((resolveExit) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolveExit(null) : first.child.once("exit", resolveExit)));
    expect(acknowledged.length).toBeGreaterThanOrEqual(45);

    const second = await startChild();
    try {
      // The identity, its device secret and the signing key all survived too.
      const { signIn: again } = await gql<{ signIn: { token: string } }>(
        second.graphqlUrl,
        `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
        { input: { identityPoolId: "default", identityId: signIn.identityId, deviceSecret: signIn.deviceSecret } },
      );

      const datasets = ["sequential", "burst-0", "burst-1", "burst-2"];
      for (const dataset of datasets) {
        const stored = new Map<string, string | null>();
        let datasetSyncCount = 0;
        let after: string | null = null;
        do {
          const { records }: { records: { records: Array<{ key: string; value: string | null }>; datasetSyncCount: number; nextCursor: string | null } } =
            await gql(second.graphqlUrl, RECORDS, { dataset, after }, again.token);
          for (const record of records.records) stored.set(record.key, record.value);
          datasetSyncCount = records.datasetSyncCount;
          after = records.nextCursor;
        } while (after !== null);

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
      const exited = new Promise<number | null>((resolveExit) => second.child.once("exit", (code) => resolveExit(code)));
      second.child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    // Two server child processes, one killed mid-storm and one restarted on the same data.
  }, 60_000);
});
