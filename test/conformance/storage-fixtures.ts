/**
 * Builders shared by the storage conformance suite: realistic rows with every field set, so a
 * round-trip assertion covers every column, and small helpers for ordering concurrent work.
 */
import type { SyncRecord } from "../../core/types.js";
import type { DatasetRow, Storage } from "../../server/storage/storage.js";
import type { UserPoolUser } from "../../server/storage/user-pool-store.js";

/** A fixed, realistic epoch-ms base (2026-01-01T00:00:00.123Z): large enough to need > 32 bits. */
export const BASE_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 123);

export const IDENTITY_A = "local:0f8fad5b-d9cb-469f-a165-70867728950e";
export const IDENTITY_B = "local:7c9e6679-7425-40de-944b-e07fc1f90ae7";

/** A live STRING record changed by push `syncCount`. */
export function makeRecord(key: string, syncCount: number, overrides: Partial<SyncRecord> = {}): SyncRecord {
  return {
    key,
    value: `value of ${key}`,
    kind: "STRING",
    syncCount,
    clock: `${BASE_MS + syncCount}:0:device-a`,
    lastModifiedBy: "device-a",
    lastModifiedAt: BASE_MS + syncCount * 1000,
    deviceLastModifiedAt: BASE_MS + syncCount * 1000 - 7,
    deleted: false,
    ...overrides,
  };
}

/** A live dataset row at `syncCount`. */
export function makeDataset(
  identityId: string,
  name: string,
  syncCount: number,
  overrides: Partial<DatasetRow> = {},
): DatasetRow {
  return {
    identityId,
    name,
    syncCount,
    recordCount: 0,
    sizeBytes: 0,
    conflictStrategy: "CRDT",
    createdAt: BASE_MS,
    lastModifiedAt: BASE_MS + syncCount * 1000,
    lastModifiedBy: syncCount === 0 ? null : "device-a",
    deleted: false,
    deletedAtSyncCount: null,
    ...overrides,
  };
}

/** Commits one push: the dataset row at `syncCount` and `records`, as the sync layer would. */
export async function commitPush(
  storage: Storage,
  identityId: string,
  name: string,
  syncCount: number,
  records: readonly SyncRecord[],
): Promise<void> {
  await storage.datasets.writeDataset(identityId, name, async (tx) => {
    await tx.saveRecords(records);
    await tx.saveDataset(makeDataset(identityId, name, syncCount, { recordCount: records.length }));
  });
}

/**
 * Orders strings by Unicode code point, the order of UTF-8 bytes: what SQLite's BINARY collation
 * and PostgreSQL's COLLATE "C" give. JavaScript's default sort compares UTF-16 code units and
 * differs for characters above U+FFFF against U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Lets other queued tasks run, so concurrency tests actually interleave. */
export function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve exposed, to hold a callback open while the test looks around. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** The user pool the user-pool suites write to. */
export const USER_POOL = "local_default";

/** A user-pool user of `USER_POOL` with fixed hashes and times; `overrides` replace any field. */
export function makeUserPoolUser(username: string, overrides: Partial<UserPoolUser> = {}): UserPoolUser {
  return {
    poolId: USER_POOL,
    username,
    sub: `sub-of-${username}`,
    status: "UNCONFIRMED",
    enabled: true,
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
    srpSalt: "0a1b2c",
    srpVerifier: "sealed:v1:verifier",
    createdAt: BASE_MS,
    updatedAt: BASE_MS,
    ...overrides,
  };
}

/**
 * Starts a write of `innerDataset` from inside a write of IDENTITY_A's "notes" without awaiting it
 * there (awaited, it would wait for itself forever), and says how it ended and in which order the
 * two callbacks ran: what the nested-write check refuses at once, and what without the check
 * queues behind the outer write.
 */
export async function writeInsideWrite(storage: Storage, innerDataset: string): Promise<{ order: string[]; inner: PromiseSettledResult<string> }> {
  const order: string[] = [];
  let inner!: Promise<PromiseSettledResult<string>[]>;
  await storage.datasets.writeDataset(IDENTITY_A, "notes", async () => {
    inner = Promise.allSettled([storage.datasets.writeDataset(IDENTITY_A, innerDataset, async () => (order.push("inner"), "inner"))]);
    order.push("outer");
  });
  return { order, inner: (await inner)[0]! };
}
