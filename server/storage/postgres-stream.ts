/**
 * The PostgreSQL adapter's `StreamStore`, the event append used by its dataset transactions, and
 * the migration that creates the stream's tables (the same tables and meaning as
 * `sqlite-stream.ts`). `postgres.ts` owns the pool and hands this store ways to use it, so its
 * closing and reentrancy rules apply here too.
 */
import type { PostgresMigration } from "./postgres-migrations.js";
import type { Queryable } from "./postgres-rows.js";
import { eventsWithinBytes } from "./stream-store.js";
import type {
  AppendEventInput,
  AppendedEvent,
  BulkPublishRow,
  Checkpoint,
  DatasetKey,
  DeadLetterFilter,
  DeadLetterRow,
  NewDeadLetter,
  ShardHead,
  ShardRange,
  StreamEventRow,
  StreamStore,
} from "./stream-store.js";

/**
 * Migration 3 (listed in `postgres-migrations.ts`). It ships once merged: never edit it, add a
 * later version instead.
 * - Appending updates the shard's `stream_shards` row inside the dataset's transaction; the row
 *   lock is held to commit, so a second writer of the shard waits, then takes the next sequence:
 *   sequences are gap-free and increase in commit order, across any number of servers.
 * - Event bodies are `text`, not `jsonb`: they are returned (and signed by webhooks) byte for byte
 *   as written. JSON text never holds U+0000 raw (JSON.stringify escapes it), so no codec is needed.
 * - Dead letters copy the event body: retention may trim the event before anyone replays it.
 */
export const POSTGRES_STREAM_MIGRATION: PostgresMigration = {
  version: 3,
  name: "event stream, consumer checkpoints, dead letters, bulk publish",
  sql: `
    CREATE TABLE stream_shards (
      pool_id text COLLATE "C" NOT NULL,
      shard integer NOT NULL,
      last_sequence bigint NOT NULL,
      last_arrived_at bigint NOT NULL,
      PRIMARY KEY (pool_id, shard)
    );

    CREATE TABLE stream_events (
      pool_id text COLLATE "C" NOT NULL,
      shard integer NOT NULL,
      sequence bigint NOT NULL,
      partition_key text COLLATE "C" NOT NULL,
      arrived_at bigint NOT NULL,
      data text NOT NULL,
      PRIMARY KEY (pool_id, shard, sequence)
    );
    CREATE INDEX stream_events_by_arrival ON stream_events (pool_id, shard, arrived_at);

    CREATE TABLE stream_checkpoints (
      consumer text COLLATE "C" NOT NULL,
      pool_id text COLLATE "C" NOT NULL,
      shard integer NOT NULL,
      sequence bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (consumer, pool_id, shard)
    );

    CREATE TABLE stream_dead_letters (
      id bigserial PRIMARY KEY,
      consumer text COLLATE "C" NOT NULL,
      pool_id text COLLATE "C" NOT NULL,
      shard integer NOT NULL,
      sequence bigint NOT NULL,
      partition_key text COLLATE "C" NOT NULL,
      arrived_at bigint NOT NULL,
      data text NOT NULL,
      attempts integer NOT NULL,
      last_error text NOT NULL,
      failed_at bigint NOT NULL
    );
    CREATE INDEX stream_dead_letters_by_consumer ON stream_dead_letters (consumer, id);

    CREATE TABLE stream_bulk_publish (
      pool_id text COLLATE "C" NOT NULL PRIMARY KEY,
      status text NOT NULL,
      started_at bigint NOT NULL,
      finished_at bigint,
      heartbeat_at bigint NOT NULL,
      total bigint NOT NULL,
      published bigint NOT NULL,
      failure text
    );
  `,
};

/** How the store reaches the adapter's pool. */
export interface PostgresStreamConnections {
  /** Runs a read (the adapter tracks it for `close()`). */
  read<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs an autocommit write (tracked, and refused inside a `writeDataset` callback). */
  write<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` in a transaction on one client, like `write`. */
  transaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Appends an event on `db`, inside the dataset transaction the caller holds: one statement, so
 * the shard's row lock is taken as late as possible. Arrivals never go backwards within a shard.
 */
export async function appendPostgresEvent(db: Queryable, event: AppendEventInput): Promise<AppendedEvent> {
  const { rows } = await db.query<{ sequence: number; arrivedAt: number }>(
    `WITH head AS (
       INSERT INTO stream_shards (pool_id, shard, last_sequence, last_arrived_at) VALUES ($1, $2, 1, $3)
       ON CONFLICT (pool_id, shard) DO UPDATE SET last_sequence = stream_shards.last_sequence + 1,
         last_arrived_at = GREATEST(stream_shards.last_arrived_at, excluded.last_arrived_at)
       RETURNING last_sequence, last_arrived_at)
     INSERT INTO stream_events (pool_id, shard, sequence, partition_key, arrived_at, data)
     SELECT $1, $2, head.last_sequence, $4, head.last_arrived_at, $5 FROM head
     RETURNING sequence, arrived_at AS "arrivedAt"`,
    [event.poolId, event.shard, event.arrivedAt, event.partitionKey, event.data],
  );
  return { shard: event.shard, sequence: rows[0]!.sequence, arrivedAt: rows[0]!.arrivedAt };
}

const HEAD_COLUMNS = `pool_id AS "poolId", shard, last_sequence AS "lastSequence", last_arrived_at AS "lastArrivedAt"`;
const EVENT_COLUMNS = `pool_id AS "poolId", shard, sequence, partition_key AS "partitionKey", arrived_at AS "arrivedAt", data`;
const DEAD_LETTER_COLUMNS = `id, consumer, pool_id AS "poolId", shard, sequence, partition_key AS "partitionKey",
  arrived_at AS "arrivedAt", data, attempts, last_error AS "lastError", failed_at AS "failedAt"`;
const BULK_COLUMNS = `pool_id AS "poolId", status, started_at AS "startedAt", finished_at AS "finishedAt",
  heartbeat_at AS "heartbeatAt", total, published, failure`;
const CHECKPOINT_UPSERT = `INSERT INTO stream_checkpoints (consumer, pool_id, shard, sequence, updated_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET sequence = excluded.sequence, updated_at = excluded.updated_at
  WHERE excluded.sequence > stream_checkpoints.sequence`;

/** PostgreSQL text cannot hold U+0000; error messages are free text from anywhere. */
const safeText = (text: string) => text.replaceAll("\u0000", "\uFFFD");

/** `StreamStore` over PostgreSQL. */
export class PostgresStreamStore implements StreamStore {
  constructor(private readonly pool: PostgresStreamConnections) {}

  streamShards(poolId: string): Promise<ShardRange[]> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<ShardRange>(
        `SELECT ${HEAD_COLUMNS}, (SELECT min(sequence) FROM stream_events e WHERE e.pool_id = s.pool_id AND e.shard = s.shard)
           AS "firstSequence"
         FROM stream_shards s WHERE pool_id = $1 ORDER BY shard`,
        [poolId],
      );
      return rows;
    });
  }

  streamHeads(): Promise<ShardHead[]> {
    return this.pool.read(async (db) => (await db.query<ShardHead>(`SELECT ${HEAD_COLUMNS} FROM stream_shards ORDER BY pool_id, shard`)).rows);
  }

  readStreamEvents(poolId: string, shard: number, fromSequence: number, limit: number, maxBytes?: number): Promise<StreamEventRow[]> {
    return this.pool.read(async (db) => {
      let lastSequence = Number.MAX_SAFE_INTEGER;
      if (maxBytes !== undefined) {
        // Sizes first: octet_length reads a TOASTed value's length from its header, so the bodies past the cap are never fetched.
        const sizes = await db.query<{ sequence: number; size: number }>(
          `SELECT sequence, octet_length(data)::int AS size FROM stream_events WHERE pool_id = $1 AND shard = $2 AND sequence >= $3 ORDER BY sequence LIMIT $4`,
          [poolId, shard, fromSequence, limit],
        );
        lastSequence = sizes.rows[eventsWithinBytes(sizes.rows.map((row) => row.size), maxBytes) - 1]?.sequence ?? 0;
      }
      const { rows } = await db.query<StreamEventRow>(
        `SELECT ${EVENT_COLUMNS} FROM stream_events WHERE pool_id = $1 AND shard = $2 AND sequence >= $3 AND sequence <= $4 ORDER BY sequence LIMIT $5`,
        [poolId, shard, fromSequence, lastSequence, limit],
      );
      return rows;
    });
  }

  findStreamSequenceAt(poolId: string, shard: number, atMs: number): Promise<number | null> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<{ sequence: number | null }>(
        `SELECT min(sequence) AS sequence FROM stream_events WHERE pool_id = $1 AND shard = $2 AND arrived_at = (
           SELECT min(arrived_at) FROM stream_events WHERE pool_id = $1 AND shard = $2 AND arrived_at >= $3)`,
        [poolId, shard, atMs],
      );
      return rows[0]?.sequence ?? null;
    });
  }

  trimStreamToBytes(poolId: string, shard: number, maxBytes: number, limit: number): Promise<number> {
    // Bytes of each event and all newer ones (octet_length reads TOAST headers, not bodies); those past maxBytes go.
    return this.pool.write(async (db) => {
      const { rowCount } = await db.query(
        `DELETE FROM stream_events WHERE pool_id = $1 AND shard = $2 AND sequence IN (
           SELECT sequence FROM (
             SELECT sequence, sum(octet_length(data)) OVER (ORDER BY sequence DESC) AS newer_bytes
             FROM stream_events WHERE pool_id = $1 AND shard = $2) AS sized
           WHERE newer_bytes > $3 ORDER BY sequence LIMIT $4)`,
        [poolId, shard, maxBytes, limit],
      );
      return rowCount ?? 0;
    });
  }

  trimStream(poolId: string, shard: number, beforeMs: number, limit: number): Promise<number> {
    // Deleting old rows takes no lock that appends wait for (they insert new rows and update
    // stream_shards), so trimming never blocks writers.
    return this.pool.write(async (db) => {
      const { rowCount } = await db.query(
        `DELETE FROM stream_events WHERE pool_id = $1 AND shard = $2 AND sequence IN (
           SELECT sequence FROM stream_events WHERE pool_id = $1 AND shard = $2 AND arrived_at < $3 ORDER BY sequence LIMIT $4)`,
        [poolId, shard, beforeMs, limit],
      );
      return rowCount ?? 0;
    });
  }

  getCheckpoints(consumer: string): Promise<Checkpoint[]> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<Checkpoint>(
        `SELECT consumer, pool_id AS "poolId", shard, sequence, updated_at AS "updatedAt" FROM stream_checkpoints
         WHERE consumer = $1 ORDER BY pool_id, shard`,
        [consumer],
      );
      return rows;
    });
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const { consumer, poolId, shard, sequence, updatedAt } = checkpoint;
    await this.pool.write((db) => db.query(CHECKPOINT_UPSERT, [consumer, poolId, shard, sequence, updatedAt]));
  }

  addDeadLetter(row: NewDeadLetter): Promise<DeadLetterRow> {
    return this.pool.transaction(async (db) => {
      const lastError = safeText(row.lastError);
      const { rows } = await db.query<{ id: number }>(
        `INSERT INTO stream_dead_letters (consumer, pool_id, shard, sequence, partition_key, arrived_at, data, attempts,
           last_error, failed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [row.consumer, row.poolId, row.shard, row.sequence, row.partitionKey, row.arrivedAt, row.data, row.attempts, lastError, row.failedAt],
      );
      await db.query(CHECKPOINT_UPSERT, [row.consumer, row.poolId, row.shard, row.sequence, row.failedAt]);
      return { id: rows[0]!.id, ...row, lastError };
    });
  }

  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRow[]> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<DeadLetterRow>(
        `SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters
         WHERE ($1::text IS NULL OR consumer = $1) AND ($2::text IS NULL OR pool_id = $2) AND id > $3
         ORDER BY id LIMIT $4`,
        [filter.consumer ?? null, filter.poolId ?? null, filter.afterId ?? 0, filter.limit],
      );
      return rows;
    });
  }

  getDeadLetter(id: number): Promise<DeadLetterRow | null> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<DeadLetterRow>(`SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters WHERE id = $1`, [id]);
      return rows[0] ?? null;
    });
  }

  async updateDeadLetter(id: number, attempts: number, lastError: string, failedAt: number): Promise<void> {
    await this.pool.write((db) =>
      db.query("UPDATE stream_dead_letters SET attempts = $2, last_error = $3, failed_at = $4 WHERE id = $1", [
        id,
        attempts,
        safeText(lastError),
        failedAt,
      ]),
    );
  }

  deleteDeadLetter(id: number): Promise<boolean> {
    return this.pool.write(async (db) => ((await db.query("DELETE FROM stream_dead_letters WHERE id = $1", [id])).rowCount ?? 0) > 0);
  }

  listPoolDatasets(poolId: string, after: DatasetKey | null, limit: number): Promise<DatasetKey[]> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<DatasetKey>(
        `SELECT d.identity_id AS "identityId", d.name FROM identities i JOIN datasets d ON d.identity_id = i.id
         WHERE i.pool_id = $1 AND NOT d.deleted AND (d.identity_id, d.name) > ($2, $3)
         ORDER BY d.identity_id, d.name LIMIT $4`,
        [poolId, after?.identityId ?? "", after?.name ?? "", limit],
      );
      return rows;
    });
  }

  countPoolDatasets(poolId: string): Promise<number> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*) AS n FROM identities i JOIN datasets d ON d.identity_id = i.id WHERE i.pool_id = $1 AND NOT d.deleted",
        [poolId],
      );
      return rows[0]!.n;
    });
  }

  claimBulkPublish(row: BulkPublishRow, staleBeforeMs: number): Promise<boolean> {
    return this.pool.write(async (db) => {
      const { rowCount } = await db.query(
        `INSERT INTO stream_bulk_publish (pool_id, status, started_at, finished_at, heartbeat_at, total, published, failure)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (pool_id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
           finished_at = excluded.finished_at, heartbeat_at = excluded.heartbeat_at, total = excluded.total,
           published = excluded.published, failure = excluded.failure
         WHERE stream_bulk_publish.status <> 'IN_PROGRESS' OR stream_bulk_publish.heartbeat_at < $9`,
        [row.poolId, row.status, row.startedAt, row.finishedAt, row.heartbeatAt, row.total, row.published, row.failure, staleBeforeMs],
      );
      return (rowCount ?? 0) > 0;
    });
  }

  async updateBulkPublish(row: BulkPublishRow): Promise<void> {
    await this.pool.write((db) =>
      db.query(
        `UPDATE stream_bulk_publish SET status = $3, finished_at = $4, heartbeat_at = $5, total = $6, published = $7, failure = $8
         WHERE pool_id = $1 AND started_at = $2`,
        [row.poolId, row.startedAt, row.status, row.finishedAt, row.heartbeatAt, row.total, row.published, row.failure && safeText(row.failure)],
      ),
    );
  }

  getBulkPublish(poolId: string): Promise<BulkPublishRow | null> {
    return this.pool.read(async (db) => {
      const { rows } = await db.query<BulkPublishRow>(`SELECT ${BULK_COLUMNS} FROM stream_bulk_publish WHERE pool_id = $1`, [poolId]);
      return rows[0] ?? null;
    });
  }
}
