/**
 * The sub-stores every backend's `Storage` holds, each written once in SQL (`sql-*.ts`), built on
 * one backend's connections. A driver (`sqlite.ts`, `postgres.ts`) supplies only those: how its
 * statements run, and how its writes are locked.
 */
import { SqlAuthEventStore } from "./sql-auth-events.js";
import { SqlChangeFeedStore } from "./sql-change-feed.js";
import { SqlGroupStore } from "./sql-groups.js";
import { SqlDatasetStore, type DatasetConnections } from "./sql-datasets.js";
import { SqlDeviceStore } from "./sql-devices.js";
import { SqlIdentityStore, type IdentityConnections } from "./sql-identities.js";
import { SqlKeyStore } from "./sql-keys.js";
import { SqlLeaseStore } from "./sql-leases.js";
import { SqlPoolStore } from "./sql-pools.js";
import { SqlStreamStore } from "./sql-stream.js";
import { SqlUserPoolStore } from "./sql-user-pools.js";
import type { SqlConnections } from "./sql.js";
import type { Storage } from "./storage.js";

/** Everything of `Storage` that is not the driver's own (kind, lifecycle, metrics). */
export type SqlSubStores = Pick<Storage, "datasets" | "identities" | "stream" | "devices" | "keys" | "leases" | "userPools" | "authEvents" | "pools" | "groups" | "changes">;

/** A backend's connections, as each kind of sub-store needs them. */
export interface BackendConnections {
  /** Reads, autocommit writes and plain transactions. */
  sql: SqlConnections;
  /** Plus the per-dataset write lock and the read snapshot. */
  datasets: DatasetConnections;
  /** Plus the locks of an identity merge. */
  identities: IdentityConnections;
}

/** Builds the sub-stores on `connections`. */
export function sqlSubStores(connections: BackendConnections): SqlSubStores {
  const { sql } = connections;
  return {
    datasets: new SqlDatasetStore(connections.datasets),
    identities: new SqlIdentityStore(connections.identities),
    stream: new SqlStreamStore(sql),
    devices: new SqlDeviceStore(sql),
    keys: new SqlKeyStore(sql),
    leases: new SqlLeaseStore(sql),
    userPools: new SqlUserPoolStore(sql),
    authEvents: new SqlAuthEventStore(sql),
    pools: new SqlPoolStore(sql),
    groups: new SqlGroupStore(sql),
    changes: new SqlChangeFeedStore(connections.datasets),
  };
}
