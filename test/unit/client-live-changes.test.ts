/**
 * The rule for live `datasetChanged` events (docs/push.md): skip this client's own pushes, ignore
 * what was already pulled, apply the next change's records in one transaction with the cursor,
 * and pull for anything else.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { HybridClock } from "../../core/clock.js";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import type { SyncRecord } from "../../core/types.js";
import { Emitter } from "../../client/events.js";
import { applyPull } from "../../client/store/apply-pull.js";
import { openIdentityDb, type IdentityDb } from "../../client/store/identity-db.js";
import { writeLocal } from "../../client/store/local-write.js";
import { readDatasetMeta, readRecord } from "../../client/store/read-records.js";
import { LiveChanges } from "../../client/sync/live-changes.js";
import type { SyncContext } from "../../client/sync/sync-dataset.js";
import type { DatasetChange } from "../../client/transport/subscription.js";
import type { Transport } from "../../client/transport/transport.js";

const opened: IdentityDb[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

const T0 = 1_700_000_000_000;
const clockOf = (ms: number, device: string) => `${String(ms).padStart(15, "0")}-000000-${device}`;

function record(key: string, value: string | null, syncCount: number): SyncRecord {
  return {
    key,
    value,
    kind: "STRING",
    syncCount,
    clock: clockOf(T0 + syncCount, "dev-b"),
    lastModifiedBy: "dev-b",
    lastModifiedAt: T0,
    deviceLastModifiedAt: T0,
    deleted: value === null,
  };
}

function change(syncCount: number, records: SyncRecord[] | null, extra: Partial<DatasetChange> = {}): DatasetChange {
  return { dataset: "d", syncCount, deviceId: "dev-b", mutationId: `m-${syncCount}`, deleted: false, behind: false, records, ...extra };
}

/** A store that has pulled dataset `d` up to `pulled`, and a LiveChanges over it. */
async function setup(pulled: number) {
  const db = await openIdentityDb("local:live", {
    indexedDB: new IDBFactory(),
    IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
  });
  opened.push(db);
  const clock = new HybridClock("dev-a", () => T0);
  const base = Array.from({ length: pulled }, (_, index) => record(`k${index + 1}`, `v${index + 1}`, index + 1));
  await applyPull(db, { dataset: "d", records: base, datasetSyncCount: pulled, conflictStrategy: "CRDT", dropSynced: false, datasetExists: true }, clock);
  const pulls: string[] = [];
  const changed: string[] = [];
  const errors: unknown[] = [];
  const ctx = {
    db,
    transport: {} as Transport,
    clock,
    emitter: new Emitter(),
    write: { deviceId: "dev-a", clock, now: () => T0, limits: DEFAULT_LIMITS },
    recordsChanged: (_dataset: string, records: readonly { key: string }[]) => changed.push(...records.map((r) => r.key)),
  } as unknown as SyncContext;
  const live = new LiveChanges({
    ctx,
    exclusive: (task) => task(),
    requestPull: (dataset) => pulls.push(dataset),
    onError: (error) => errors.push(error),
  });
  const pulledCount = async () => (await readDatasetMeta(db, "d"))?.pulledSyncCount;
  return { db, live, pulls, changed, errors, pulledCount, ctx };
}

describe("live changes", () => {
  it("apply the next change's inline records and advance the pulled count with them", async () => {
    const { db, live, pulls, changed, pulledCount } = await setup(2);
    live.receive(change(3, [record("k1", null, 3), record("new", "n", 3)]));
    await live.idle();
    expect(pulls).toEqual([]);
    expect(await pulledCount()).toBe(3);
    expect((await readRecord(db, "d", "k1"))?.deleted).toBe(true);
    expect((await readRecord(db, "d", "new"))?.value).toBe("n");
    expect(changed.sort()).toEqual(["k1", "new"]);
  });

  it("ignore a change already pulled, and skip this client's own pushes", async () => {
    const { live, pulls, changed, pulledCount } = await setup(3);
    live.receive(change(2, [record("k2", "old", 2)]));
    live.receive(change(3, null));
    // Its own push, not yet pulled: the push's answer was applied already, so nothing happens.
    live.receive(change(4, null, { mutationId: live.own("mine") }));
    await live.idle();
    expect(pulls).toEqual([]);
    expect(changed).toEqual([]);
    expect(await pulledCount()).toBe(3);
  });

  it("pull when records are not inline, a change was skipped, the device is behind or the dataset was deleted", async () => {
    const { live, pulls, pulledCount } = await setup(2);
    live.receive(change(3, null));
    live.receive(change(5, [record("k9", "skipped one", 5)]));
    live.receive(change(7, null, { behind: true, mutationId: null }));
    live.receive(change(2, null, { deleted: true, mutationId: null }));
    live.receive({ ...change(1, [record("x", "1", 1)]), dataset: "never-pulled" });
    await live.idle();
    expect(pulls).toEqual(["d", "d", "d", "d", "never-pulled"]);
    expect(await pulledCount()).toBe(2);
  });

  it("keep a pending local write visible when the change touches the same key (CRDT join)", async () => {
    const { db, live, ctx } = await setup(1);
    await writeLocal(db, { dataset: "d", key: "k1", op: "REPLACE", value: "local", kind: "STRING" }, ctx.write);
    // The remote write is older than the local one (smaller clock): the local value stays.
    live.receive(change(2, [{ ...record("k1", "remote", 2), clock: clockOf(T0 - 10, "dev-b") }]));
    await live.idle();
    expect((await readRecord(db, "d", "k1"))?.value).toBe("local");
    expect((await readDatasetMeta(db, "d"))?.pulledSyncCount).toBe(2);
  });
});
