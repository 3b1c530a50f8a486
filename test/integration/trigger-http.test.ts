/**
 * HTTPS sync triggers: the event is POSTed with an HMAC-SHA256 signature over timestamp and body,
 * the answer is checked, and the endpoint's time limit holds. The receiver here is plain HTTP on
 * loopback (the URL's scheme is the operator's choice; production endpoints use https). The
 * trigger runs with no dataset lock held, so a push that raced another one has its trigger run
 * again on the new state before it commits.
 * The endpoint listens on a port (the server's trigger calls are real HTTP); the server runs in-
 * process.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../server/stream/signature.js";
import type { SyncTriggerEvent } from "../../server/stream/trigger-contract.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { ADMIN_TOKEN, streamApi } from "../helpers/stream-api.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const SECRET = "trigger-secret-0123456789";

interface Call {
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  event: SyncTriggerEvent;
}

const calls: Call[] = [];
/** Answers of the first "!race" calls, held until both arrived. */
const racing: Array<() => void> = [];
let receiver: Server;
let server: InProcessServer;
let api: SyncApi;

beforeAll(async () => {
  // Uppercases values; a value naming a failure makes the endpoint misbehave that way.
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += String(chunk)));
    request.on("end", () => {
      const event = JSON.parse(body) as SyncTriggerEvent;
      calls.push({ body, timestamp: request.headers[TIMESTAMP_HEADER] as string, signature: request.headers[SIGNATURE_HEADER] as string, event: JSON.parse(body) as SyncTriggerEvent });
      const values = Object.values(event.datasetRecords).map((record) => record.newValue);
      if (values.includes("!slow")) return; // never answers: only the server's time limit ends the call
      if (values.includes("!text")) return void response.end("not json");
      if (values.includes("!500")) return void response.writeHead(500).end();
      for (const record of Object.values(event.datasetRecords)) if (record.newValue) record.newValue = record.newValue.toUpperCase();
      const answer = () => void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(event));
      // The first two "!race" calls are held until both arrived, so both triggers surely ran on
      // the same state of the dataset; later calls (the re-run) answer at once.
      if (values.includes("!race") && racing.length < 2) {
        racing.push(answer);
        if (racing.length === 2) racing.forEach((release) => release());
        return;
      }
      answer();
    });
  });
  await new Promise<void>((listening) => receiver.listen(0, "127.0.0.1", listening));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sync-trigger`;
  server = await startInProcessServer({
    config: {
      outbound: { allowPrivateAddresses: true }, // the trigger endpoint listens on loopback
      adminToken: ADMIN_TOKEN,
      // Time enough for both racing pushes to reach the endpoint on a busy machine while the
      // first waits; the endpoint that never answers waits it out once.
      pools: [poolSettingsSchema.parse({ id: "hooked", syncTrigger: { url, secret: SECRET, timeoutMs: 2000 }, stream: { shards: 1 } })],
    },
  });
  api = syncApi(server, (await server.signInGuest("hooked")).token);
});
afterAll(async () => {
  await server.close();
  receiver.closeAllConnections();
  await new Promise((closed) => receiver.close(closed));
});

describe("HTTPS sync trigger", () => {
  it("signs the Cognito-shaped event with HMAC-SHA256 and applies the endpoint's answer", async () => {
    calls.length = 0;
    const result = await api.push({ dataset: "notes", deviceId: "laptop", mutationId: "signed-1", patches: [{ op: "REPLACE", key: "title", value: "hello" }] });
    expect(result.records.map((record) => record.value)).toEqual(["HELLO"]);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.event).toMatchObject({
      version: 2,
      eventType: "SyncTrigger",
      region: "local",
      identityPoolId: "hooked",
      datasetName: "notes",
      deviceId: "laptop",
      mutationId: "signed-1",
      datasetRecords: { title: { oldValue: null, newValue: "hello", op: "replace" } },
    });
    expect(verifySignature({ secret: SECRET, body: call!.body, timestamp: call!.timestamp, signature: call!.signature })).toBe(true);
    expect(verifySignature({ secret: "another-secret-0123456", body: call!.body, timestamp: call!.timestamp, signature: call!.signature })).toBe(false);
    expect(verifySignature({ secret: SECRET, body: call!.body.replace("hello", "HELLO"), timestamp: call!.timestamp, signature: call!.signature })).toBe(false);
    expect(verifySignature({ secret: SECRET, body: call!.body, timestamp: String(Number(call!.timestamp) + 1), signature: call!.signature })).toBe(false);
  });

  it.each([
    ["!slow", "TIMEOUT"],
    ["!text", "MALFORMED_ANSWER"],
    ["!500", "UNAVAILABLE"],
  ])("fails a push whose endpoint answers %s with TRIGGER_FAILED (%s), committing nothing", async (value, reason) => {
    const before = await api.dataset("notes");
    await expect(api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "title", value }] })).rejects.toMatchObject({ code: "TRIGGER_FAILED", extensions: { reason } });
    expect(await api.dataset("notes")).toEqual(before);
    expect((await api.pullAll("notes")).records.map((record) => record.value)).toEqual(["HELLO"]);
  });

  it("runs the trigger again when another push committed while it ran, and commits both", async () => {
    calls.length = 0;
    const [first, second] = await Promise.all([
      api.push({ dataset: "raced", patches: [{ op: "REPLACE", key: "a", value: "!race" }] }),
      api.push({ dataset: "raced", patches: [{ op: "REPLACE", key: "b", value: "!race" }] }),
    ]);
    expect([first.datasetSyncCount, second.datasetSyncCount].sort()).toEqual([1, 2]);
    expect(calls.length).toBeGreaterThanOrEqual(3); // one of the two saw a stale dataset and asked again
    // Either push may commit first: compare by key.
    const records = (await api.pullAll("raced")).records.map((record) => [record.key, record.value]);
    expect(records.sort()).toEqual([["a", "!RACE"], ["b", "!RACE"]]);
    const events = (await streamApi(server, ADMIN_TOKEN).readShard("hooked", 0)).filter((record) => record.data.dataSetName === "raced");
    expect(events.map((record) => [record.data.syncCount, record.data.origin])).toEqual([[1, "trigger"], [2, "trigger"]]);
  });
});
