/**
 * The SQLite adapter's `StreamStore`, the event append used by its dataset transactions, and the
 * migration that creates the stream's tables. `sqlite.ts` owns the connections and hands this
 * store two ways to use them: reads on the reader connection, writes under its write lock.
 */
import type { SqliteMigration } from "./sqlite-migrations.js";
import { type Db, sql } from "./sqlite-rows.js";
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
 * Migration 3 (listed in `sqlite-migrations.ts`). It ships once merged: never edit it, add a later
 * version instead.
 * - `stream_shards` holds each shard's last sequence and arrival: appending updates that row in
 *   the writer's transaction, and SQLite has one writer, so sequences are gap-free in commit order.
 * - `stream_events` is keyed (pool, shard, sequence); the arrival index serves AT_TIMESTAMP and
 *   retention (arrivals never decrease within a shard, see `appendSqliteEvent`).
 * - Dead letters copy the event body: retention may trim the event before anyone replays it.
 */
export const SQLITE_STREAM_MIGRATION: SqliteMigration = {
  version: 3,
  name: "event stream, consumer checkpoints, dead letters, bulk publish",
  sql: `
    CREATE TABLE stream_shards (
      pool_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      last_sequence INTEGER NOT NULL,
      last_arrived_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, shard)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE stream_events (
      pool_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      sequence INTEGER NOT NULL,
      partition_key TEXT NOT NULL,
      arrived_at INTEGER NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (pool_id, shard, sequence)
    ) STRICT;
    CREATE INDEX stream_events_by_arrival ON stream_events (pool_id, shard, arrived_at);

    CREATE TABLE stream_checkpoints (
      consumer TEXT NOT NULL,
      pool_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      sequence INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (consumer, pool_id, shard)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE stream_dead_letters (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      consumer TEXT NOT NULL,
      pool_id TEXT NOT NULL,
      shard INTEGER NOT NULL,
      sequence INTEGER NOT NULL,
      partition_key TEXT NOT NULL,
      arrived_at INTEGER NOT NULL,
      data TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      last_error TEXT NOT NULL,
      failed_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX stream_dead_letters_by_consumer ON stream_dead_letters (consumer, id);

    CREATE TABLE stream_bulk_publish (
      pool_id TEXT NOT NULL PRIMARY KEY,
      status TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      heartbeat_at INTEGER NOT NULL,
      total INTEGER NOT NULL,
      published INTEGER NOT NULL,
      failure TEXT
    ) STRICT, WITHOUT ROWID;
  `,
};

/** How the store reaches the adapter's connections. */
export interface SqliteStreamConnections {
  /** Runs `fn` on the reader connection (the adapter refuses it once closed). */
  read<T>(fn: (reader: Db) => T): Promise<T>;
  /** Runs `fn` on the writer connection under the adapter's write lock. */
  write<T>(fn: (writer: Db) => T): Promise<T>;
}

/**
 * Appends an event on `db`, inside the write transaction the caller holds. The arrival time is
 * kept from going backwards within a shard (a clock step back must not reorder AT_TIMESTAMP).
 */
export function appendSqliteEvent(db: Db, event: AppendEventInput): AppendedEvent {
  const head = sql<{ sequence: number; arrivedAt: number }>(
    db,
    `INSERT INTO stream_shards (pool_id, shard, last_sequence, last_arrived_at) VALUES (?, ?, 1, ?)
     ON CONFLICT (pool_id, shard) DO UPDATE SET last_sequence = last_sequence + 1,
       last_arrived_at = max(last_arrived_at, excluded.last_arrived_at)
     RETURNING last_sequence AS sequence, last_arrived_at AS arrivedAt`,
  ).get(event.poolId, event.shard, event.arrivedAt)!;
  sql(
    db,
    `INSERT INTO stream_events (pool_id, shard, sequence, partition_key, arrived_at, data) VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(event.poolId, event.shard, head.sequence, event.partitionKey, head.arrivedAt, event.data);
  return { shard: event.shard, sequence: head.sequence, arrivedAt: head.arrivedAt };
}

const HEAD_COLUMNS = "pool_id AS poolId, shard, last_sequence AS lastSequence, last_arrived_at AS lastArrivedAt";
const EVENT_COLUMNS = "pool_id AS poolId, shard, sequence, partition_key AS partitionKey, arrived_at AS arrivedAt, data";
const DEAD_LETTER_COLUMNS = `id, consumer, pool_id AS poolId, shard, sequence, partition_key AS partitionKey,
  arrived_at AS arrivedAt, data, attempts, last_error AS lastError, failed_at AS failedAt`;
const BULK_COLUMNS = `pool_id AS poolId, status, started_at AS startedAt, finished_at AS finishedAt,
  heartbeat_at AS heartbeatAt, total, published, failure`;

/** `StreamStore` over SQLite. */
export class SqliteStreamStore implements StreamStore {
  constructor(private readonly db: SqliteStreamConnections) {}

  streamShards(poolId: string): Promise<ShardRange[]> {
    return this.db.read((reader) =>
      sql<ShardRange>(
        reader,
        `SELECT ${HEAD_COLUMNS}, (SELECT min(sequence) FROM stream_events e WHERE e.pool_id = s.pool_id AND e.shard = s.shard)
           AS firstSequence
         FROM stream_shards s WHERE pool_id = ? ORDER BY shard`,
      ).all(poolId),
    );
  }

  streamHeads(): Promise<ShardHead[]> {
    return this.db.read((reader) => sql<ShardHead>(reader, `SELECT ${HEAD_COLUMNS} FROM stream_shards ORDER BY pool_id, shard`).all());
  }

  readStreamEvents(poolId: string, shard: number, fromSequence: number, limit: number, maxBytes?: number): Promise<StreamEventRow[]> {
    return this.db.read((reader) => {
      let lastSequence = Number.MAX_SAFE_INTEGER;
      if (maxBytes !== undefined) {
        // Sizes first: octet_length reads a value's length, not the value, so the bodies past the cap stay on disk.
        const sizes = sql<{ sequence: number; size: number }>(
          reader,
          `SELECT sequence, octet_length(data) AS size FROM stream_events WHERE pool_id = ? AND shard = ? AND sequence >= ? ORDER BY sequence LIMIT ?`,
        ).all(poolId, shard, fromSequence, limit);
        lastSequence = sizes[eventsWithinBytes(sizes.map((row) => row.size), maxBytes) - 1]?.sequence ?? 0;
      }
      return sql<StreamEventRow>(
        reader,
        `SELECT ${EVENT_COLUMNS} FROM stream_events WHERE pool_id = ? AND shard = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence LIMIT ?`,
      ).all(poolId, shard, fromSequence, lastSequence, limit);
    });
  }

  findStreamSequenceAt(poolId: string, shard: number, atMs: number): Promise<number | null> {
    // Two index lookups: the first arrival at or after atMs, then the lowest sequence arriving then.
    return this.db.read(
      (reader) =>
        sql<{ sequence: number | null }>(
          reader,
          `SELECT min(sequence) AS sequence FROM stream_events WHERE pool_id = @poolId AND shard = @shard AND arrived_at = (
             SELECT min(arrived_at) FROM stream_events WHERE pool_id = @poolId AND shard = @shard AND arrived_at >= @atMs)`,
        ).get({ poolId, shard, atMs })?.sequence ?? null,
    );
  }

  trimStreamToBytes(poolId: string, shard: number, maxBytes: number, limit: number): Promise<number> {
    // Bytes of each event and all newer ones (lengths only, no bodies read); those past maxBytes go.
    return this.db.write(
      (writer) =>
        sql(
          writer,
          `DELETE FROM stream_events WHERE pool_id = @poolId AND shard = @shard AND sequence IN (
             SELECT sequence FROM (
               SELECT sequence, sum(octet_length(data)) OVER (ORDER BY sequence DESC) AS newer_bytes
               FROM stream_events WHERE pool_id = @poolId AND shard = @shard)
             WHERE newer_bytes > @maxBytes ORDER BY sequence LIMIT @limit)`,
        ).run({ poolId, shard, maxBytes, limit }).changes,
    );
  }

  trimStream(poolId: string, shard: number, beforeMs: number, limit: number): Promise<number> {
    // Arrivals never decrease within a shard, so "arrived before" is always a prefix of the shard.
    return this.db.write(
      (writer) =>
        sql(
          writer,
          `DELETE FROM stream_events WHERE pool_id = ? AND shard = ? AND sequence IN (
             SELECT sequence FROM stream_events WHERE pool_id = ? AND shard = ? AND arrived_at < ? ORDER BY arrived_at LIMIT ?)`,
        ).run(poolId, shard, poolId, shard, beforeMs, limit).changes,
    );
  }

  getCheckpoints(consumer: string): Promise<Checkpoint[]> {
    return this.db.read((reader) =>
      sql<Checkpoint>(
        reader,
        `SELECT consumer, pool_id AS poolId, shard, sequence, updated_at AS updatedAt FROM stream_checkpoints
         WHERE consumer = ? ORDER BY pool_id, shard`,
      ).all(consumer),
    );
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.db.write((writer) => upsertCheckpoint(writer, checkpoint));
  }

  addDeadLetter(row: NewDeadLetter): Promise<DeadLetterRow> {
    return this.db.write((writer) =>
      writer.transaction(() => {
        const { id } = sql<{ id: number }>(
          writer,
          `INSERT INTO stream_dead_letters (consumer, pool_id, shard, sequence, partition_key, arrived_at, data, attempts,
             last_error, failed_at)
           VALUES (@consumer, @poolId, @shard, @sequence, @partitionKey, @arrivedAt, @data, @attempts, @lastError, @failedAt)
           RETURNING id`,
        ).get(row)!;
        upsertCheckpoint(writer, { consumer: row.consumer, poolId: row.poolId, shard: row.shard, sequence: row.sequence, updatedAt: row.failedAt });
        return { id, ...row };
      })(),
    );
  }

  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRow[]> {
    return this.db.read((reader) =>
      sql<DeadLetterRow>(
        reader,
        `SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters
         WHERE (@consumer IS NULL OR consumer = @consumer) AND (@poolId IS NULL OR pool_id = @poolId) AND id > @afterId
         ORDER BY id LIMIT @limit`,
      ).all({ consumer: filter.consumer ?? null, poolId: filter.poolId ?? null, afterId: filter.afterId ?? 0, limit: filter.limit }),
    );
  }

  getDeadLetter(id: number): Promise<DeadLetterRow | null> {
    return this.db.read(
      (reader) => sql<DeadLetterRow>(reader, `SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters WHERE id = ?`).get(id) ?? null,
    );
  }

  async updateDeadLetter(id: number, attempts: number, lastError: string, failedAt: number): Promise<void> {
    await this.db.write((writer) =>
      sql(writer, "UPDATE stream_dead_letters SET attempts = ?, last_error = ?, failed_at = ? WHERE id = ?").run(
        attempts,
        lastError,
        failedAt,
        id,
      ),
    );
  }

  deleteDeadLetter(id: number): Promise<boolean> {
    return this.db.write((writer) => sql(writer, "DELETE FROM stream_dead_letters WHERE id = ?").run(id).changes > 0);
  }

  listPoolDatasets(poolId: string, after: DatasetKey | null, limit: number): Promise<DatasetKey[]> {
    return this.db.read((reader) =>
      sql<DatasetKey>(
        reader,
        `SELECT d.identity_id AS identityId, d.name FROM identities i JOIN datasets d ON d.identity_id = i.id
         WHERE i.pool_id = ? AND d.deleted = 0 AND (d.identity_id, d.name) > (?, ?)
         ORDER BY d.identity_id, d.name LIMIT ?`,
      ).all(poolId, after?.identityId ?? "", after?.name ?? "", limit),
    );
  }

  countPoolDatasets(poolId: string): Promise<number> {
    return this.db.read(
      (reader) =>
        sql<{ n: number }>(
          reader,
          "SELECT count(*) AS n FROM identities i JOIN datasets d ON d.identity_id = i.id WHERE i.pool_id = ? AND d.deleted = 0",
        ).get(poolId)!.n,
    );
  }

  claimBulkPublish(row: BulkPublishRow, staleBeforeMs: number): Promise<boolean> {
    return this.db.write(
      (writer) =>
        sql(
          writer,
          `INSERT INTO stream_bulk_publish (pool_id, status, started_at, finished_at, heartbeat_at, total, published, failure)
           VALUES (@poolId, @status, @startedAt, @finishedAt, @heartbeatAt, @total, @published, @failure)
           ON CONFLICT (pool_id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
             finished_at = excluded.finished_at, heartbeat_at = excluded.heartbeat_at, total = excluded.total,
             published = excluded.published, failure = excluded.failure
           WHERE stream_bulk_publish.status <> 'IN_PROGRESS' OR stream_bulk_publish.heartbeat_at < @staleBeforeMs`,
        ).run({ ...row, staleBeforeMs }).changes > 0,
    );
  }

  async updateBulkPublish(row: BulkPublishRow): Promise<void> {
    await this.db.write((writer) =>
      sql(
        writer,
        `UPDATE stream_bulk_publish SET status = @status, finished_at = @finishedAt, heartbeat_at = @heartbeatAt,
           total = @total, published = @published, failure = @failure
         WHERE pool_id = @poolId AND started_at = @startedAt`,
      ).run(row),
    );
  }

  getBulkPublish(poolId: string): Promise<BulkPublishRow | null> {
    return this.db.read(
      (reader) => sql<BulkPublishRow>(reader, `SELECT ${BULK_COLUMNS} FROM stream_bulk_publish WHERE pool_id = ?`).get(poolId) ?? null,
    );
  }
}

function upsertCheckpoint(writer: Db, checkpoint: Checkpoint): void {
  sql(
    writer,
    `INSERT INTO stream_checkpoints (consumer, pool_id, shard, sequence, updated_at)
     VALUES (@consumer, @poolId, @shard, @sequence, @updatedAt)
     ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET sequence = excluded.sequence, updated_at = excluded.updated_at
     WHERE excluded.sequence > stream_checkpoints.sequence`,
  ).run(checkpoint);
}
