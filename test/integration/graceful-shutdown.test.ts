/**
 * Graceful shutdown of the real `syncpool serve` process: on SIGTERM a push already in flight
 * (held inside its sync trigger) finishes, is acknowledged and is on disk; a request arriving
 * after the signal is refused with 503; a live WebSocket is closed with 1001 (going away); the
 * process exits 0. With a trigger that never answers, the shutdown time limit still ends the
 * process. Ordering is driven by facts (the trigger received the push, the server logged
 * "shutting down"), never by waiting a set time.
 *
 * The sqlite test project only (`vitest.config.ts`): it is about the CLI process on its data directory.
 * Spawns processes: SIGTERM, the process's exit and its exit code are the point.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { openStorage } from "../../server/storage/open-storage.js";
import { exited, startChildServer } from "../helpers/cli.js";
import { connectWs } from "../helpers/push-clients.js";
import { Mailbox } from "../helpers/push-clients.js";
import { syncApi } from "../helpers/sync-api.js";

const TRIGGER_SECRET = "shutdown-trigger-secret-0123";
/**
 * Each test starts the server as a child process and waits for it to exit: a node process starting
 * on a busy 2-core machine can take many seconds. Every wait is for a fact; this only bounds them.
 */
const SERVER_PROCESS_TIMEOUT_MS = 60_000;

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

/** A sync trigger endpoint that holds every call until the test answers it (echoing the event: no change). */
async function startHeldTrigger(): Promise<{ url: string; calls: Mailbox<{ body: string; response: ServerResponse }> }> {
  const calls = new Mailbox<{ body: string; response: ServerResponse }>();
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += String(chunk)));
    request.on("end", () => calls.put({ body, response }));
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((closed) => server.close(closed));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trigger`, calls };
}

/** Starts the CLI server on a fresh data directory whose default pool runs `triggerUrl`. */
async function startServerWithTrigger(triggerUrl: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-shutdown-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const configFile = join(dataDir, "syncpool.json");
  writeFileSync(configFile, JSON.stringify({ pools: [{ id: "default", syncTrigger: { url: triggerUrl, secret: TRIGGER_SECRET, timeoutMs: 30_000 } }] }));
  // The trigger endpoint listens on loopback, which the outbound guard refuses unless told otherwise.
  const { child, graphqlUrl } = await startChildServer(dataDir, { SYNCPOOL_CONFIG: configFile, SYNCPOOL_OUTBOUND_ALLOW_PRIVATE: "true", ...env });
  cleanups.push(() => (child.exitCode === null && child.signalCode === null ? child.kill("SIGKILL") : undefined));
  return { child, graphqlUrl, dataDir, logLines: logLinesOf(child) };
}

/** Every JSON log message the child prints from now on. */
function logLinesOf(child: ChildProcess): Mailbox<string> {
  const lines = new Mailbox<string>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      lines.put(String((JSON.parse(line) as { msg?: unknown }).msg));
    } catch {
      // not a log line
    }
  });
  return lines;
}

/** Resolves when `mailbox` holds an item matching `predicate` (polled: the mailbox fills as lines arrive). */
async function seen<T>(mailbox: Mailbox<T>, predicate: (item: T) => boolean): Promise<void> {
  await expect.poll(() => mailbox.items.some(predicate), { timeout: SERVER_PROCESS_TIMEOUT_MS, interval: 20 }).toBe(true);
}

/** An HTTP/1.1 request as raw text, so a second request can be sent later on the same connection. */
function rawRequest(method: string, path: string, host: string, body = "", headers: Record<string, string> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${host}`, `content-length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

it("finishes and acknowledges a push in flight, refuses new requests with 503, closes WebSockets with 1001, and exits 0", async () => {
  const trigger = await startHeldTrigger();
  const { child, graphqlUrl, dataDir, logLines } = await startServerWithTrigger(trigger.url);
  const { identityId, token } = (
    await syncApi(graphqlUrl, undefined).call<{ signIn: { identityId: string; token: string } }>(`mutation { signIn(input: { identityPoolId: "default" }) { identityId token } }`)
  ).signIn;
  const live = connectWs(graphqlUrl, token);
  cleanups.push(() => live.dispose());
  expect(await live.opened).toHaveProperty("ack");

  // The push goes out on a raw keep-alive connection and stops inside the trigger: it is in flight.
  const { host, port } = new URL(graphqlUrl);
  const socket = connect(Number(port), "127.0.0.1");
  cleanups.push(() => socket.destroy());
  let received = "";
  socket.on("data", (chunk) => (received += String(chunk)));
  const socketClosed = new Promise<void>((closed) => socket.once("close", () => closed()));
  const push = JSON.stringify({
    query: `mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { datasetSyncCount } }`,
    variables: { input: { dataset: "notes", deviceId: "d1", mutationId: "m1", patches: [{ op: "REPLACE", key: "k", value: "kept" }] } },
  });
  socket.write(rawRequest("POST", "/graphql", host, push, { "content-type": "application/json", authorization: `Bearer ${token}` }));
  const held = await trigger.calls.next(SERVER_PROCESS_TIMEOUT_MS);

  child.kill("SIGTERM");
  await seen(logLines, (message) => message === "shutting down");
  // A request arriving now, on the connection still busy with the push, is turned away.
  socket.write(rawRequest("GET", "/healthz", host));
  // The WebSocket hears "going away" while the push is still held.
  expect(await live.closes.next(SERVER_PROCESS_TIMEOUT_MS)).toMatchObject({ code: 1001 });

  held.response.writeHead(200, { "content-type": "application/json" }).end(held.body);
  expect(await exited(child)).toBe(0);
  await socketClosed;

  const [pushAnswer, refusal] = received.split(/(?=HTTP\/1\.1 )/);
  expect(pushAnswer).toMatch(/^HTTP\/1\.1 200/);
  expect(pushAnswer).toContain('"datasetSyncCount":1');
  expect(refusal).toMatch(/^HTTP\/1\.1 503/);

  // Acknowledged means durable: the record is in the database the process left behind.
  const storage = await openStorage({ dataDir, migrate: false });
  try {
    const { records } = await storage.datasets.readRecords(identityId, "notes", { sinceSyncCount: 0, limit: 10 });
    expect(records.map((record) => [record.key, record.value])).toEqual([["k", "kept"]]);
  } finally {
    await storage.close();
  }
}, SERVER_PROCESS_TIMEOUT_MS);

it("exits anyway once SYNCPOOL_SHUTDOWN_TIMEOUT_MS has passed with a push still stuck", async () => {
  const trigger = await startHeldTrigger();
  const { child, graphqlUrl, logLines } = await startServerWithTrigger(trigger.url, { SYNCPOOL_SHUTDOWN_TIMEOUT_MS: "300" });
  const { token } = (await syncApi(graphqlUrl, undefined).call<{ signIn: { token: string } }>(`mutation { signIn(input: { identityPoolId: "default" }) { token } }`)).signIn;
  const stuck = syncApi(graphqlUrl, token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k", value: "never" }] }).catch((error: unknown) => error);
  await trigger.calls.next(SERVER_PROCESS_TIMEOUT_MS);

  child.kill("SIGTERM");
  expect(await exited(child)).toBe(1);
  // The time limit ended the process, not the trigger's 30 s limit (which would have let the push
  // fail and the shutdown finish with 0): the process said so on its way out. Its own words, not a
  // stopwatch in this process, which a busy machine can hold up for seconds.
  await seen(logLines, (message) => message === "shutdown timed out: exiting with work unfinished");
  await stuck;
}, SERVER_PROCESS_TIMEOUT_MS);
