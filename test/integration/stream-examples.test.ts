/**
 * The examples docs/events.md shows, run as they are: the config file `examples/stream/syncpool.json`,
 * its sync trigger module, and the plain-Node webhook receiver (its port chosen by the test).
 * Spawns that receiver as the docs run it, a process listening on a port; the server runs in-process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { waitFor } from "../helpers/stream-api.js";
import { syncApi } from "../helpers/sync-api.js";

const examples = resolve(import.meta.dirname, "../../examples/stream");
const dataDir = mkdtempSync(join(tmpdir(), "syncpool-examples-"));
let receiver: ChildProcess | undefined;
let server: InProcessServer | undefined;
afterAll(async () => {
  receiver?.kill();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("docs/events.md examples", () => {
  it("the example trigger changes, rejects, removes and adds; the example receiver gets verified events", async () => {
    receiver = spawn(process.execPath, [join(examples, "webhook-receiver.mjs")], {
      env: { PATH: process.env["PATH"] ?? "", PORT: "0", SECRET: "change-me-to-a-long-random-secret" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<number>((listening) =>
      receiver!.stderr!.on("data", (chunk) => {
        const match = /127\.0\.0\.1:(\d+)/.exec(String(chunk));
        if (match) listening(Number(match[1]));
      }),
    );
    const received: Array<{ id: string; event: { dataSetName: string; kinesisSyncRecords: Array<{ key: string; value: string }> } }> = [];
    createInterface({ input: receiver.stdout! }).on("line", (line) => received.push(JSON.parse(line)));

    // The example config as operators load it (the receiver is on loopback, so private addresses are allowed, as the docs say); only the receiver's port differs.
    const config = loadConfig({ SYNCPOOL_CONFIG: join(examples, "syncpool.json"), SYNCPOOL_OUTBOUND_ALLOW_PRIVATE: "true", LOG_LEVEL: "silent" }, { port: 0, dataDir });
    const pool = config.pools[0]!;
    pool.stream.webhooks = pool.stream.webhooks!.map((webhook) => ({ ...webhook, url: `http://127.0.0.1:${port}/events` }));
    server = await startInProcessServer({ dataDir, config: { pools: config.pools, configFile: config.configFile, outbound: config.outbound } });
    const api = syncApi(server, (await server.signInGuest()).token);

    const result = await api.push({
      dataset: "profile",
      deviceId: "phone-1",
      patches: [
        { op: "REPLACE", key: "nickname", value: "  ada  " },
        { op: "REPLACE", key: "draft", value: "not yet" },
      ],
    });
    expect(result.records.map((record) => [record.key, record.value])).toEqual([["nickname", "ada"], ["updatedBy", "phone-1"]]);
    await expect(api.push({ dataset: "profile", patches: [{ op: "REPLACE", key: "nickname", value: "x".repeat(21) }] })).rejects.toMatchObject({
      code: "TRIGGER_REJECTED",
      message: "nickname: at most 20 characters",
    });

    await waitFor(() => received.length === 1, 10_000, "the webhook delivery");
    expect(received[0]!.event.dataSetName).toBe("profile");
    expect(received[0]!.event.kinesisSyncRecords.map((record) => [record.key, record.value])).toEqual([["nickname", "ada"], ["updatedBy", "phone-1"]]);
    // A receiver process to start, then a server, its trigger module and a webhook delivery (itself
    // given 10 s): 6-7 s at load 15-22, past vitest's 5 s.
  }, 30_000);
});
