/**
 * `mergeIdentities` on both storage backends: the merge is one transaction over several datasets
 * of two identities, so it is proven on SQLite and on PostgreSQL (advisory locks), including a
 * push to the guest racing the merge: the push is either in the merge or refused, never lost.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { formatClock } from "../../core/clock.js";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import type { Patch } from "../../core/types.js";
import { openSqliteStorage } from "../../server/storage/sqlite.js";
import type { Storage } from "../../server/storage/storage.js";
import { applyPush } from "../../server/sync/apply-push.js";
import { mergeIdentities } from "../../server/sync/merge-identities.js";
import { pullRecords } from "../../server/sync/pull-records.js";
import type { CommittedChange, SyncDeps } from "../../server/sync/types.js";
import { describeWithPostgres, openTestPostgresStorage } from "../helpers/postgres.js";

const GUEST = "local:0f8fad5b-d9cb-469f-a165-70867728950e";
const TARGET = "local:7c9e6679-7425-40de-944b-e07fc1f90ae7";
const NOW = Date.UTC(2026, 0, 1);
const clock = (offsetMs: number, device: string) => formatClock({ wallMs: NOW - 60_000 + offsetMs, counter: 0, deviceId: device });

function depsFor(storage: Storage, committed: CommittedChange[] = []): SyncDeps {
  return {
    storage,
    now: () => NOW,
    sessionSecrets: () => [new Uint8Array(32)],
    onCommitted: (change) => committed.push(change),
    stream: { poolStream: async () => ({ shards: 4, region: "local", trigger: null }), onAppended: () => undefined },
  };
}

const caller = (identityId: string) => ({ identityId, poolId: "default", limits: DEFAULT_LIMITS });
let mutation = 0;
const push = (deps: SyncDeps, identityId: string, dataset: string, patches: Patch[]) =>
  applyPush(deps, caller(identityId), { dataset, deviceId: "device", mutationId: `m-${++mutation}`, patches });
const values = async (deps: SyncDeps, identityId: string, dataset: string) =>
  Object.fromEntries(
    (await pullRecords(deps, caller(identityId), { dataset })).records.map((record) => [record.key, record.deleted ? null : record.value]),
  );

function mergeSuite(open: () => Promise<Storage>): void {
  async function prepared(): Promise<{ storage: Storage; deps: SyncDeps; committed: CommittedChange[] }> {
    const storage = await open();
    await storage.pools.createIdentity({ id: GUEST, poolId: "default", secretHash: "sha256:x", createdAt: NOW });
    await storage.identities.createIdentityWithLogins({ id: TARGET, poolId: "default", secretHash: null, createdAt: NOW }, [{ provider: "https://idp", subject: "u" }]);
    const committed: CommittedChange[] = [];
    return { storage, deps: depsFor(storage, committed), committed };
  }

  it("merges several datasets in one transaction and reports each change with origin merge", async () => {
    const { storage, deps, committed } = await prepared();
    await push(deps, TARGET, "settings", [{ op: "REPLACE", key: "theme", value: "light", clock: clock(1000, "laptop") }]);
    await push(deps, GUEST, "settings", [{ op: "REPLACE", key: "theme", value: "dark", clock: clock(2000, "phone") }]);
    await push(deps, GUEST, "notes", [{ op: "REPLACE", key: "n1", value: "hello", clock: clock(500, "phone") }]);
    committed.length = 0;

    const result = await mergeIdentities(deps, { poolId: "default", sourceId: GUEST, targetId: TARGET, limits: DEFAULT_LIMITS });
    expect(result).toEqual({ mergedDatasets: ["notes", "settings"], conflictCopies: [] });
    expect(await values(deps, TARGET, "settings")).toEqual({ theme: "dark" });
    expect(await values(deps, TARGET, "notes")).toEqual({ n1: "hello" });
    expect(committed.map((change) => [change.dataset, change.syncCount, change.origin, change.deviceId])).toEqual([
      ["notes", 1, "merge", null],
      ["settings", 2, "merge", null],
    ]);
    expect(await storage.identities.getIdentityStatus(GUEST)).toMatchObject({ mergedInto: TARGET });
  });

  it("refuses a limit-breaking merge without writing any dataset", async () => {
    const { storage, deps } = await prepared();
    await push(deps, GUEST, "a", [{ op: "REPLACE", key: "k", value: "v" }]);
    await push(deps, GUEST, "b", [{ op: "REPLACE", key: "k", value: "x".repeat(100) }]);
    await push(deps, TARGET, "b", [{ op: "REPLACE", key: "other", value: "y".repeat(100) }]);
    const limits = { ...DEFAULT_LIMITS, maxDatasetBytes: 150 };
    await expect(mergeIdentities(deps, { poolId: "default", sourceId: GUEST, targetId: TARGET, limits })).rejects.toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "maxDatasetBytes" },
    });
    expect(await storage.datasets.getDataset(TARGET, "a")).toBeNull();
    expect(await values(deps, TARGET, "b")).toEqual({ other: "y".repeat(100) });
    expect(await storage.identities.getIdentityStatus(GUEST)).toMatchObject({ disabledAt: null });
  });

  it("never loses a push to the guest racing the merge: it is merged, or refused", async () => {
    const { deps } = await prepared();
    await push(deps, GUEST, "notes", [{ op: "REPLACE", key: "before", value: "1" }]);
    // Twelve pushes: six sent at once, the merge started once three of them are answered, six
    // more sent with it. Some land before the merge, some race it, some come after.
    const attempt = (index: number) =>
      push(deps, GUEST, index % 2 === 0 ? "notes" : `new-${index}`, [{ op: "REPLACE", key: `k${index}`, value: String(index) }]).then(
        (): { index: number; ok: boolean; code?: string | undefined } => ({ index, ok: true }),
        (error: { code?: string }) => ({ index, ok: false, code: error.code }),
      );
    const first = Array.from({ length: 6 }, (_, index) => attempt(index));
    await answered(first, 3);
    const merge = mergeIdentities(deps, { poolId: "default", sourceId: GUEST, targetId: TARGET, limits: DEFAULT_LIMITS });
    const racing = [...first, ...Array.from({ length: 6 }, (_, index) => attempt(6 + index))];
    const outcomes = await Promise.all(racing);
    await merge;
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        expect(outcome.code).toBe("UNAUTHENTICATED");
        continue;
      }
      const dataset = outcome.index % 2 === 0 ? "notes" : `new-${outcome.index}`;
      expect(await values(deps, TARGET, dataset), `push ${outcome.index}`).toMatchObject({ [`k${outcome.index}`]: String(outcome.index) });
    }
    expect(await values(deps, TARGET, "notes")).toMatchObject({ before: "1" });
  });
}

/** Resolves once `count` of `promises` have settled. */
function answered(promises: Array<Promise<unknown>>, count: number): Promise<void> {
  let settled = 0;
  return new Promise((resolve) => {
    for (const promise of promises) void promise.finally(() => ++settled === count && resolve());
  });
}

describe("mergeIdentities on SQLite", () => {
  mergeSuite(async () => {
    const dir = await mkdtemp(join(tmpdir(), "syncpool-merge-"));
    const storage = await openSqliteStorage({ file: join(dir, "syncpool.db"), synchronous: "NORMAL" });
    await storage.migrate();
    onTestFinished(async () => {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    });
    return storage;
  });
});

// Each test migrates a fresh PostgreSQL schema (under half a second idle) before its merges: past
// vitest's 5 s when two suites share the machine's two cores.
await describeWithPostgres("mergeIdentities on PostgreSQL", () => {
  mergeSuite(async () => {
    const { storage, cleanup } = await openTestPostgresStorage();
    await storage.migrate();
    onTestFinished(cleanup);
    return storage;
  });
}, { timeout: 30_000 });
