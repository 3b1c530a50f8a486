/**
 * Queries on a real client against a real server: another device pushes JSON records over
 * GraphQL, the client pulls them, and `watchQuery` follows the remote changes that touch its
 * result (enter, move, leave) and stays silent for changes to records outside it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncClient } from "../../client/index.js";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { TestNetwork } from "../helpers/client-network.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.start();
});
afterAll(async () => {
  await net.close();
});

// Each write carries a later clock than the one before, so the newest put wins on the server.
let clockCounter = 0;
const put = (object: Record<string, unknown>) =>
  encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, formatClock({ wallMs: Date.now(), counter: ++clockCounter, deviceId: "other" })));

/** A client signed in as a fresh guest, and the sync API of that guest's other device. */
async function deviceAndOther(name: string): Promise<{ client: SyncClient; other: SyncApi }> {
  const guest = await net.server!.signInGuest();
  const client = net.device(name).client();
  await client.signIn({ identityId: guest.identityId, deviceSecret: guest.deviceSecret });
  return { client, other: syncApi(net.server!.graphqlUrl, guest.token) };
}

/** Pushes `records` from the other device, then lets the client pull them. */
async function remoteChange(other: SyncApi, client: SyncClient, records: Record<string, Record<string, unknown> | null>): Promise<void> {
  const patches = Object.entries(records).map(([key, object]) =>
    object === null ? { op: "REMOVE" as const, key } : { op: "REPLACE" as const, key, kind: "JSON" as const, value: put(object) },
  );
  await other.push({ dataset: "todos", deviceId: "other", patches });
  await client.dataset("todos").sync();
}

const open = { where: { field: "done", eq: false }, orderBy: [{ field: "rank" }] };

describe("client queries over pulled JSON records", () => {
  it("query finds the pulled JSON records, in order, and not the STRING ones", async () => {
    const { client, other } = await deviceAndOther("query-once");
    await other.push({ dataset: "todos", deviceId: "other", patches: [{ op: "REPLACE", key: "s", value: '{"done":false}' }] });
    await remoteChange(other, client, { t1: { rank: 2, done: false }, t2: { rank: 1, done: false, list: { name: "Shop" } }, t3: { rank: 0, done: true } });
    const rows = await client.dataset("todos").query(open);
    expect(rows).toEqual([
      { key: "t2", value: { rank: 1, done: false, list: { name: "Shop" } } },
      { key: "t1", value: { rank: 2, done: false } },
    ]);
    expect(await client.dataset("todos").query({ where: { field: "list.name", prefix: "Sh" } })).toHaveLength(1);
  });

  it("watchQuery emits when a remote change enters, moves or leaves the result, and not for one outside it", async () => {
    const { client, other } = await deviceAndOther("watch");
    await remoteChange(other, client, { t1: { rank: 1, done: false }, t2: { rank: 2, done: false }, t3: { rank: 3, done: true } });
    const emitted: string[][] = [];
    const stop = client.dataset("todos").watchQuery(open).subscribe((rows) => emitted.push(rows.map((row) => row.key)));
    const last = () => emitted.at(-1);
    await expect.poll(last).toEqual(["t1", "t2"]);

    await remoteChange(other, client, { t3: { rank: 0, done: false } });
    await expect.poll(last).toEqual(["t3", "t1", "t2"]);
    await remoteChange(other, client, { t1: { rank: 5, done: false } });
    await expect.poll(last).toEqual(["t3", "t2", "t1"]);
    await remoteChange(other, client, { t2: { rank: 2, done: true } });
    await expect.poll(last).toEqual(["t3", "t1"]);
    await remoteChange(other, client, { t3: null });
    await expect.poll(last).toEqual(["t1"]);

    // A change to a record outside the result, then a marker that enters it: only the marker emits.
    const before = emitted.length;
    await remoteChange(other, client, { t2: { rank: 9, done: true, note: "still done" } });
    await remoteChange(other, client, { t4: { rank: 7, done: false } });
    await expect.poll(last).toEqual(["t1", "t4"]);
    expect(emitted.slice(before)).toEqual([["t1", "t4"]]);
    stop();
  });
});
