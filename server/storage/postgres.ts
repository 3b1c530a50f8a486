/**
 * The scale-out storage: PostgreSQL through a `pg.Pool`, shared by any number of stateless servers.
 * A `writeDataset` is serialized per dataset across processes by an advisory lock (see
 * `postgres-locks.ts` for the locks and their order). One that names its stream shard commits in a
 * group with the others of that shard, one transaction per group (`postgres-group-commit.ts`);
 * any other is one transaction on one pooled client, queued per dataset within this process by a
 * `WriteGate` so waiting writers do not sit on pooled connections.
 * Reads go straight to the pool; `readRecords` reads its row and page in one REPEATABLE READ
 * snapshot. All tables live in one schema (`public` unless told), set as each connection's
 * `search_path` at startup, so tests and co-hosted deployments can isolate themselves.
 */
import pg from "pg";
import type { DatasetConnections } from "./sql-datasets.js";
import type { IdentityConnections } from "./sql-identities.js";
import { type SqlSubStores, sqlSubStores } from "./sql-sub-stores.js";
import { PostgresGroupCommit } from "./postgres-group-commit.js";
import { BatchedDeviceStore, BatchedIdentityStore } from "./postgres-read-batches.js";
import { lockDataset, lockIdentityDatasets, lockMerge } from "./postgres-locks.js";
import type { SqlConnections } from "./sql.js";
import { migratePostgres } from "./postgres-migrations.js";
import { PG_TYPES, assertSchemaName, encodeText, keyHash, postgresSession } from "./postgres-rows.js";
import type { ConnectionStats, Storage } from "./storage.js";
import { WriteContext } from "./write-context.js";
import { WriteGate } from "./write-gate.js";

/** How to reach the database; only `url` is required. */
export interface PostgresStorageOptions {
  /** A `postgres://` or `postgresql://` connection URL (libpq style parameters allowed). */
  url: string;
  /** Schema holding syncpool's tables; created by `migrate()` if missing. Default `public`. */
  schema?: string;
  /** Connections in the pool, at least 2 (one is kept free of writers for reads). Default 10. */
  poolSize?: number;
  /**
   * Errors of idle pooled connections (the server restarted, the network dropped). The pool has
   * already discarded the connection; this is for logs. Without it such errors are ignored
   * rather than crashing the process as an unhandled 'error' event.
   */
  onError?: (error: Error) => void;
  /** See `OpenStorageOptions.detectNestedWrites`. Default true. */
  detectNestedWrites?: boolean;
}

/** Sessions whose template statements are prepared once per connection (`postgresSession`). */
const PREPARED = { prepare: true } as const;

/** `Storage` plus what only PostgreSQL has, for startup logs and the adapter's own tests. */
export interface PostgresStorage extends Storage {
  readonly schema: string;
}

/**
 * Creates the pool for `options.url`. Connects lazily: call `migrate()` before anything else
 * (`openStorage` does); it is also the first place a wrong URL shows.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const schema = options.schema ?? "public";
  assertSchemaName(schema);
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 2) throw new Error(`PostgreSQL poolSize must be an integer >= 2, got ${poolSize}`);
  const searchPath = `-c search_path=${schema}`;
  const pool = new pg.Pool({
    connectionString: withStartupOptions(options.url, searchPath),
    options: searchPath,
    max: poolSize,
    types: PG_TYPES,
    application_name: "syncpool",
    // Pipelining: a statement issued while an earlier one on the connection is still running is
    // sent at once instead of after that one's answer (each still has its own Sync, so the server
    // runs them in order, each alone). Writes that do not depend on one another share a round trip.
    pipeline: true,
  });
  pool.on("error", options.onError ?? (() => undefined));
  return new PostgresAdapter(pool, schema, poolSize, options.detectNestedWrites ?? true);
}

/**
 * pg lets parameters in the URL override the config object, so a URL that already carries
 * `options` would silently drop our search_path: append ours to it instead.
 */
function withStartupOptions(url: string, extra: string): string {
  if (!/[?&]options=/.test(url)) return url;
  const parsed = new URL(url);
  parsed.searchParams.set("options", `${parsed.searchParams.get("options") ?? ""} ${extra}`.trim());
  return parsed.toString();
}

/** The sub-stores (`sql-sub-stores.ts`) are own properties of the adapter, assigned as it is built. */
interface PostgresAdapter extends SqlSubStores {}

class PostgresAdapter implements PostgresStorage {
  readonly kind = "postgres";
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #gate: WriteGate;
  /** Every call in progress, so `close()` can let them finish before ending the pool. */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Marks async contexts inside one of this storage's writes (`write-context.ts`). */
  readonly #insideWrite: WriteContext;
  readonly #groupCommit: PostgresGroupCommit;
  #closing: Promise<void> | null = null;

  constructor(pool: pg.Pool, schema: string, poolSize: number, detectNestedWrites: boolean) {
    this.#pool = pool;
    this.#insideWrite = new WriteContext(this, detectNestedWrites);
    this.schema = schema;
    this.#gate = new WriteGate(poolSize - 1);
    this.#groupCommit = new PostgresGroupCommit({
      schema,
      connect: () => pool.connect(),
      gate: this.#gate,
      insideWrite: (run) => this.#insideWrite.run(run),
    });
    // After the field initializers, so the connections below exist.
    // The identities' and devices' stores batch the pool reads of every push (`postgres-read-batches.ts`).
    Object.assign(this, sqlSubStores({ sql: this.#sql, datasets: this.#datasetConnections, identities: this.#identityConnections }), {
      identities: new BatchedIdentityStore(this.#identityConnections),
      devices: new BatchedDeviceStore(this.#sql),
    });
  }

  async migrate(): Promise<void> {
    await this.#write(async () => {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      try {
        await migratePostgres(client, this.schema);
      } catch (error) {
        broken = error as Error; // the connection's state is unknown: do not hand it out again
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  async ping(): Promise<void> {
    await this.#track(() => this.#pool.query("SELECT 1"));
  }

  connectionStats(): ConnectionStats {
    const { totalCount, idleCount, waitingCount } = this.#pool;
    return { active: totalCount - idleCount, idle: idleCount, waiting: waitingCount };
  }

  close(): Promise<void> {
    // New calls are refused from now on; the ones in flight (queued writers included) finish.
    this.#closing ??= (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      await this.#pool.end();
    })();
    return this.#closing;
  }

  /**
   * Sub-stores written once in SQL (`sql.ts`) run on these: autocommit statements on the pool,
   * tracked for `close()`. Prepared, as a group's are: every request with a token reads its
   * identity's status here and every committed push its subscribed devices, and an unnamed
   * statement is parsed and planned again on each run.
   */
  readonly #sql: SqlConnections = {
    read: (fn) => this.#track(() => fn(postgresSession(this.#pool, PREPARED))),
    write: (fn) => this.#write(() => fn(postgresSession(this.#pool, PREPARED))),
    transaction: (fn, lockKey) =>
      this.#write(() =>
        this.#transaction("BEGIN", async (client) => {
          if (lockKey !== undefined) await client.query("SELECT pg_advisory_xact_lock($1)", [lockKey]);
          return fn(postgresSession(client));
        }),
      ),
  };
  readonly #datasetConnections: DatasetConnections = {
    ...this.#sql,
    // A write naming its stream shard joins that shard's next group (the group takes its lock).
    // Any other: the gate queues this process's writers of one dataset off the pool; the advisory
    // lock serializes them across processes. READ COMMITTED explicitly (whatever the server default):
    // each statement after the lock must see the previous holder's commit, which a REPEATABLE READ
    // snapshot would not.
    datasetTransaction: (identityId, dataset, fn, options) =>
      this.#write(() =>
        options?.streamShard !== undefined
          ? this.#groupCommit.run(options.streamShard, identityId, dataset, fn)
          : this.#gate.run(JSON.stringify([identityId, dataset]), () =>
              this.#insideWriteTransaction(async (client) => {
                const session = postgresSession(client);
                await lockDataset(session, this.schema, identityId, dataset);
                return fn(session);
              }),
            ),
      ),
    snapshot: (fn) => this.#track(() => this.#transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", (client) => fn(postgresSession(client)))),
    datasetTx: {
      lockIdentity: (session, identityId) => lockIdentityDatasets(session, this.schema, identityId),
      keyHash: (key) => keyHash(encodeText(key)),
    },
  };
  readonly #identityConnections: IdentityConnections = {
    ...this.#sql,
    // READ COMMITTED as in a dataset write: a login insert that waited must see the winner's row.
    transaction: (fn) => this.#write(() => this.#insideWriteTransaction((client) => fn(postgresSession(client)))),
    mergeTransaction: (locks, fn) =>
      this.#write(() =>
        this.#insideWriteTransaction(async (client) => {
          const session = postgresSession(client);
          return fn(session, await lockMerge(session, this.schema, locks, this.#datasetConnections.datasetTx));
        }),
      ),
  };

  /**
   * A READ COMMITTED transaction whose callback counts as "inside a write", so a storage write it
   * calls is refused instead of deadlocking; work the callback leaves running is no longer inside.
   */
  #insideWriteTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#transaction("BEGIN ISOLATION LEVEL READ COMMITTED", (client) => this.#insideWrite.run(() => fn(client)));
  }

  /** Runs `fn` inside `begin` … COMMIT on one client; rolls back and rethrows when anything fails. */
  async #transaction<T>(begin: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(client);
      // After a failed statement PostgreSQL answers COMMIT with ROLLBACK instead of an error; a
      // callback that caught that statement's error must not be told its writes were committed.
      const { command } = await client.query("COMMIT");
      if (command !== "COMMIT") throw new Error(`PostgreSQL rolled the transaction back (a statement in it failed)`);
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken); // a connection that cannot even roll back is destroyed, not reused
    }
  }

  async #write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#insideWrite.isInside()) {
      // Same dataset: it would wait for its own lock forever; another: it could starve the pool.
      throw new Error("PostgreSQL storage writes are not reentrant: a write was called from inside a writeDataset callback");
    }
    return this.#track(fn);
  }

  async #track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closing) throw new Error("PostgreSQL storage is closed");
    const work = fn();
    this.#inFlight.add(work);
    try {
      return await work;
    } finally {
      this.#inFlight.delete(work);
    }
  }
}
