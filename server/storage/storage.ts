/**
 * The storage interface. Both backends (`sqlite.ts`, `postgres.ts`) pass the conformance suite in
 * `test/conformance/`. Storage holds no sync rules: merge, limits and idempotency decisions live
 * in `server/sync/`; storage only keeps rows and provides the one guarantee the rules need, that
 * writers to one dataset are serialized (`storage.datasets.writeDataset`).
 */
import type { ChangeFeedStore } from "./change-feed-store.js";
import type { GroupStore } from "./group-store.js";
import type { DeviceStore } from "./device-store.js";
import type { IdentityStore } from "./identity-store.js";
import type { KeyStore } from "./key-store.js";
import type { LeaseStore } from "./lease-store.js";
import type { PoolStore } from "./pool-store.js";
import type { AuthEventStore } from "./auth-event-store.js";
import type { UserPoolStore } from "./user-pool-store.js";
import type { StreamStore } from "./stream-store.js";
import type { DatasetStore } from "./dataset-store.js";

export type { IdentityRow, StoredPool } from "./pool-store.js";
export type {
  DatasetRow,
  DatasetStore,
  DatasetWriteOptions,
  DatasetWriteTx,
  MutationRow,
  ReadRecordsOptions,
  RecordPosition,
  RecordsSnapshot,
} from "./dataset-store.js";

/** A connection pool's use at one moment. */
export interface ConnectionStats {
  /** Connections running a query or held by a transaction. */
  active: number;
  /** Open connections waiting for work. */
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
}

/**
 * A backend: its connections and lifecycle, and one sub-store per storage area, each written once
 * in SQL (`sql-*.ts`) and run on the backend's driver.
 */
export interface Storage {
  /** "sqlite" or "postgres", for logs and readiness. */
  readonly kind: string;
  /** Datasets, their records and remembered push answers (`dataset-store.ts`). */
  readonly datasets: DatasetStore;
  /** Logins, identity status and merges (`identity-store.ts`). */
  readonly identities: IdentityStore;
  /** The event stream, its checkpoints, dead letters and bulk publishes (`stream-store.ts`). */
  readonly stream: StreamStore;
  /** Identity pools and identity rows (`pool-store.ts`). */
  readonly pools: PoolStore;
  /** Group members within a pool (`group-store.ts`). */
  readonly groups: GroupStore;
  /** Registered push devices and their dataset subscriptions (`device-store.ts`). */
  readonly devices: DeviceStore;
  /** Server keys, sealed (`key-store.ts`). */
  readonly keys: KeyStore;
  /** Consumer leases across instances (`lease-store.ts`). */
  readonly leases: LeaseStore;
  /** The built-in user pool's users, codes and sign-in sessions (`user-pool-store.ts`). */
  readonly userPools: UserPoolStore;
  /** The user pool's audit log, appended with its stream events (`auth-event-store.ts`). */
  readonly authEvents: AuthEventStore;
  /** What changed in an identity's datasets since a stream position (`change-feed-store.ts`). */
  readonly changes: ChangeFeedStore;
  /** Applies pending versioned migrations. Safe to call on every start. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  /** Closes connections; pending transactions finish first. */
  close(): Promise<void>;
  /** The connection pool's use now, for metrics; absent on a backend without a pool (SQLite). */
  connectionStats?(): ConnectionStats;
}
