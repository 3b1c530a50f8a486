/**
 * JSON records over real HTTP: a patch carries the encoded state of the device's pending writes,
 * the server merges it field by field with the stored state, and pulls return the merged state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { decodeJsonState, encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut, applyJsonUpdate, materializeJson } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi, type SyncApi } from "../helpers/sync-api.js";

const clockAt = (wallMs: number, deviceId: string) => formatClock({ wallMs, counter: 0, deviceId });
const put = (object: unknown, clock: string) => encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, object, clock));
const update = (partial: Record<string, unknown>, clock: string) => encodeJsonState(applyJsonUpdate(EMPTY_JSON_STATE, partial, clock));
const shown = (value: string | null | undefined) => (value == null ? null : materializeJson(decodeJsonState(value)));

describe("JSON records", () => {
  let server: InProcessServer;
  let api: SyncApi;

  beforeAll(async () => {
    server = await startInProcessServer();
    api = syncApi(server, (await server.signInGuest()).token);
  });
  afterAll(async () => server?.close());

  it("keeps both devices' edits of different fields: a rename with an older clock and a concurrent done", async () => {
    const now = Date.now();
    await api.push({ dataset: "todos", deviceId: "a", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: put({ title: "milk", done: false }, clockAt(now - 60_000, "a")) }] });
    // B marks it done; A, offline since, renames it with a clock older than B's write.
    await api.push({ dataset: "todos", deviceId: "b", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: update({ done: true }, clockAt(now - 1_000, "b")) }] });
    const renamed = await api.push({ dataset: "todos", deviceId: "a", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: update({ title: "oat milk" }, clockAt(now - 30_000, "a")) }] });
    expect(renamed.records[0]).toMatchObject({ key: "t1", kind: "JSON", syncCount: 3, clock: clockAt(now - 1_000, "b") });
    const [pulled] = (await api.pullAll("todos")).records;
    expect(pulled).toMatchObject({ kind: "JSON", syncCount: 3, deleted: false });
    expect(shown(pulled!.value)).toEqual({ done: true, title: "oat milk" });
  });

  it("treats a replayed JSON push as one: same answer, no new sync count, and re-sending the state later changes nothing", async () => {
    const value = put({ n: 1 }, clockAt(Date.now(), "a"));
    const input = { dataset: "replay", mutationId: "json-replay-1", patches: [{ op: "REPLACE" as const, key: "k", kind: "JSON" as const, value }] };
    const first = await api.push(input);
    const again = await api.push(input);
    expect(again).toMatchObject({ replayed: true, datasetSyncCount: first.datasetSyncCount, records: first.records });
    // The same state under a new mutation id merges to what is stored: a push, but no record change.
    const resent = await api.push({ ...input, mutationId: "json-replay-2" });
    expect(resent.records[0]!.syncCount).toBe(first.datasetSyncCount);
    expect((await api.pullAll("replay", first.datasetSyncCount)).records).toEqual([]);
  });

  it("refuses to switch a live key between kinds (KIND_CHANGE) and allows it after a removal", async () => {
    await api.push({ dataset: "kinds", patches: [{ op: "REPLACE", key: "s", value: "text" }, { op: "REPLACE", key: "j", kind: "JSON", value: put({ a: 1 }, clockAt(Date.now(), "a")) }] });
    await expect(api.push({ dataset: "kinds", patches: [{ op: "REPLACE", key: "s", kind: "JSON", value: put({ a: 2 }, clockAt(Date.now(), "a")) }] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { reason: "KIND_CHANGE", field: "patches[0].kind" },
    });
    await expect(api.push({ dataset: "kinds", patches: [{ op: "REPLACE", key: "j", value: "plain" }] })).rejects.toMatchObject({
      extensions: { reason: "KIND_CHANGE", storedKind: "JSON" },
    });
    expect((await api.dataset("kinds"))!.syncCount).toBe(1);
    await api.push({ dataset: "kinds", patches: [{ op: "REMOVE", key: "j" }] });
    const [removed] = (await api.pullAll("kinds", 1)).records;
    expect(shown(removed!.value)).toBeNull();
    const rewritten = await api.push({ dataset: "kinds", patches: [{ op: "REPLACE", key: "j", value: "plain" }] });
    expect(rewritten.records[0]).toMatchObject({ kind: "STRING", value: "plain" });
  });

  it("keeps a removal as state: a field write older than the REMOVE, arriving after it, stays hidden", async () => {
    const now = Date.now();
    await api.push({ dataset: "removal", patches: [{ op: "REPLACE", key: "k", kind: "JSON", value: put({ a: 1 }, clockAt(now - 60_000, "a")) }] });
    await api.push({ dataset: "removal", deviceId: "b", patches: [{ op: "REMOVE", key: "k", clock: clockAt(now - 10_000, "b") }] });
    await api.push({ dataset: "removal", patches: [{ op: "REPLACE", key: "k", kind: "JSON", value: update({ late: true }, clockAt(now - 30_000, "a")) }] });
    const [afterStale] = (await api.pullAll("removal")).records;
    expect(afterStale).toMatchObject({ kind: "JSON", deleted: false });
    expect(shown(afterStale!.value)).toBeNull();
    await api.push({ dataset: "removal", patches: [{ op: "REPLACE", key: "k", kind: "JSON", value: update({ fresh: 1 }, clockAt(now - 1_000, "a")) }] });
    expect(shown((await api.pullAll("removal")).records[0]!.value)).toEqual({ fresh: 1 });
  });

  it("refuses a malformed state with the path inside it, and commits nothing", async () => {
    const bad = '{"r":{"c":{"x":{"w":["not-a-clock","v",1]}},"w":["000000000000001-000000-a","e"]},"v":1}';
    await expect(api.push({ dataset: "malformed", patches: [{ op: "REPLACE", key: "k", kind: "JSON", value: bad }] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      extensions: { field: "patches[0].value", reason: "malformed-state", path: "x" },
    });
    await expect(api.push({ dataset: "malformed", patches: [{ op: "REPLACE", key: "k", kind: "JSON", value: '{"r":{},"v":1}' }] })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await api.dataset("malformed")).toBeNull();
  });

  it("conflicts in an OPTIMISTIC dataset when the patch names a stale sync count", async () => {
    await api.configure("optimistic-json", "OPTIMISTIC");
    const base = await api.push({ dataset: "optimistic-json", patches: [{ op: "REPLACE", key: "k", kind: "JSON", syncCount: 0, value: put({ a: 1 }, clockAt(Date.now(), "a")) }] });
    const stored = base.records[0]!;
    const next = await api.push({ dataset: "optimistic-json", patches: [{ op: "REPLACE", key: "k", kind: "JSON", syncCount: stored.syncCount, value: update({ b: 2 }, clockAt(Date.now(), "a")) }] });
    expect(shown(next.records[0]!.value)).toEqual({ a: 1, b: 2 });
    const stale = await api.push({ dataset: "optimistic-json", patches: [{ op: "REPLACE", key: "k", kind: "JSON", syncCount: stored.syncCount, value: update({ c: 3 }, clockAt(Date.now(), "b")) }] });
    expect(stale.conflicts).toMatchObject([{ key: "k", patchSyncCount: stored.syncCount, serverRecord: { syncCount: next.datasetSyncCount, kind: "JSON" } }]);
    expect(shown((await api.pullAll("optimistic-json")).records[0]!.value)).toEqual({ a: 1, b: 2 });
  });
});
