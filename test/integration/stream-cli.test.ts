/**
 * `syncpool stream read` and `syncpool stream bulk-publish`, run as child processes beside a
 * live server on the same SQLite database: JSON lines from an iterator, --follow printing events
 * as they commit until interrupted, and a bulk publish whose outcome the server's API reports.
 * Spawns processes because the CLI is the point; the server beside it runs in-process, as the CLI
 * reads the database, never the server's port.
 */
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamRecord } from "../../server/stream/consumer.js";
import { exited, runCli, spawnCli } from "../helpers/cli.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

let server: InProcessServer;
let api: SyncApi;
const lines = (stdout: string) => stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as StreamRecord);

beforeAll(async () => {
  server = await startInProcessServer({ config: { adminToken: ADMIN_TOKEN } });
  api = syncApi(server, (await server.signInGuest()).token);
  for (const value of ["one", "two", "three"]) await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k", value }] });
});
afterAll(() => server.close());

// Each test spawns the CLI: node loading the server's code at start-up, seconds on an idle
// machine, and over 30 s was seen on 2 cores at load 16, with three of them at once.
describe("syncpool stream", { timeout: 90_000 }, () => {
  it("read prints the stream records as JSON lines, from the iterator asked for", async () => {
    const shardOfAll = (await streamApi(server).readPool("default"))[0]!.shard;
    const [all, after, bad] = await Promise.all([
      runCli(["stream", "read", "--pool", "default", "--data-dir", server.dataDir]),
      runCli(["stream", "read", "--pool", "default", "--shard", String(shardOfAll), "--from", "AFTER_SEQUENCE_NUMBER:1", "--data-dir", server.dataDir]),
      runCli(["stream", "read", "--pool", "default", "--from", "SOMEWHERE", "--data-dir", server.dataDir]),
    ]);
    expect(all.code).toBe(0);
    const records = lines(all.stdout);
    expect(records.map((record) => record.data.kinesisSyncRecords[0]!.value)).toEqual(["one", "two", "three"]);
    expect(records).toEqual(await streamApi(server).readPool("default").then((api) => api.map((record) => ({ identityPoolId: "default", ...record }))));
    expect(lines(after.stdout).map((record) => record.sequenceNumber)).toEqual(["2", "3"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from must be one of TRIM_HORIZON");
  });

  it("read --follow prints events as they are committed and stops cleanly on SIGTERM", async () => {
    const child = await spawnCli(["stream", "read", "--pool", "default", "--from", "LATEST", "--follow", "--poll-ms", "50", "--data-dir", server.dataDir]);
    const seen: StreamRecord[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => seen.push(JSON.parse(line) as StreamRecord));
    // It says on stderr when it has read LATEST and follows; only then is a push "after LATEST".
    await new Promise<void>((following) => child.stderr!.on("data", (chunk) => String(chunk).includes("following") && following()));
    await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k", value: "followed" }] });
    // The follower polls every 50 ms: wait until it has printed the event (bounded by the test's time limit).
    await expect.poll(() => seen.length, { timeout: 60_000, interval: 25 }).toBeGreaterThan(0);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(seen.map((record) => record.data.kinesisSyncRecords[0]!.value)).toEqual(["followed"]);
  });

  it("bulk-publish publishes every live dataset and the API shows the outcome", async () => {
    const run = await runCli(["stream", "bulk-publish", "--pool", "default", "--data-dir", server.dataDir]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ identityPoolId: "default", status: "SUCCEEDED", total: 1, published: 1 });
    expect(await streamApi(server).bulkPublishDetails("default")).toMatchObject({ status: "SUCCEEDED", published: 1 });
    const published = (await streamApi(server).readPool("default")).filter((record) => record.data.origin === "bulk-publish");
    expect(published.map((record) => record.data.kinesisSyncRecords.map((entry) => entry.value))).toEqual([["followed"]]);

    const unknown = await runCli(["stream", "bulk-publish", "--pool", "nope", "--data-dir", server.dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no identity pool "nope"');
  });
});
