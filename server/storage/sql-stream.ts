/**
 * The `StreamStore` (`stream-store.ts`) of both backends, written once as SQL (`sql.ts`) over the
 * backend's connections, and `appendStreamEvent`, the append every dataset write transaction uses;
 * the tables are migration 3 (`stream-migrations.ts`). Free text (error messages, bodies) crosses
 * PostgreSQL's session through its U+0000 codec, so a dead letter's error text comes back exactly
 * as it was written on both backends.
 */
import { type SqlConnections, type SqlSession, raw, sql } from "./sql.js";
import {
  type AppendEventInput,
  type AppendedEvent,
  type BulkPublishRow,
  type Checkpoint,
  type DatasetKey,
  type DeadLetterFilter,
  type DeadLetterRow,
  type NewDeadLetter,
  type ShardHead,
  type ShardRange,
  type StreamEventRow,
  type StreamStore,
  eventsWithinBytes,
} from "./stream-store.js";

/**
 * Appends `event` on `session`, inside the dataset write transaction that holds it, and returns
 * where it landed. The shard's counter row stays locked until that transaction ends, so sequences
 * are gap-free and in commit order; an arrival never goes backwards within a shard (a clock
 * stepping back must not reorder AT_TIMESTAMP). On PostgreSQL this is one statement, so the row
 * lock is taken as late as possible and held for one round trip less; SQLite cannot put an INSERT
 * in a WITH, and needs no such care: both statements run at once inside its single writer's
 * transaction. This runs on every commit: the statements are plain templates (no spliced
 * fragments), so their text is rendered once (`renderSql`), and SQLite runs them without a
 * promise each (`SqlSession.now`).
 */
export async function appendStreamEvent(session: SqlSession, event: AppendEventInput): Promise<AppendedEvent> {
  const { poolId, shard, partitionKey, arrivedAt, data } = event;
  if (session.dialect.name === "postgres") {
    const row = await session.get<{ sequence: number; arrivedAt: number }>(sql`
      WITH head AS (
        INSERT INTO stream_shards (pool_id, shard, last_sequence, last_arrived_at) VALUES (${poolId}, ${shard}, 1, ${arrivedAt})
        ON CONFLICT (pool_id, shard) DO UPDATE SET last_sequence = stream_shards.last_sequence + 1,
          last_arrived_at = GREATEST(stream_shards.last_arrived_at, excluded.last_arrived_at)
        RETURNING pool_id, shard, last_sequence, last_arrived_at)
      INSERT INTO stream_events (pool_id, shard, sequence, partition_key, arrived_at, data)
      SELECT head.pool_id, head.shard, head.last_sequence, ${partitionKey}, head.last_arrived_at, ${data} FROM head
      RETURNING sequence, arrived_at AS "arrivedAt"`);
    return { shard, sequence: row!.sequence, arrivedAt: row!.arrivedAt };
  }
  const bump = sql`
    INSERT INTO stream_shards (pool_id, shard, last_sequence, last_arrived_at) VALUES (${poolId}, ${shard}, 1, ${arrivedAt})
    ON CONFLICT (pool_id, shard) DO UPDATE SET last_sequence = stream_shards.last_sequence + 1,
      last_arrived_at = max(stream_shards.last_arrived_at, excluded.last_arrived_at)
    RETURNING last_sequence AS "sequence", last_arrived_at AS "arrivedAt"`;
  type Head = { sequence: number; arrivedAt: number };
  const head = session.now ? session.now.get<Head>(bump)! : (await session.get<Head>(bump))!;
  const insert = sql`
    INSERT INTO stream_events (pool_id, shard, sequence, partition_key, arrived_at, data)
    VALUES (${poolId}, ${shard}, ${head.sequence}, ${partitionKey}, ${head.arrivedAt}, ${data})`;
  if (session.now) session.now.run(insert);
  else await session.run(insert);
  return { shard, sequence: head.sequence, arrivedAt: head.arrivedAt };
}

const HEAD_COLUMNS = raw(`pool_id AS "poolId", shard, last_sequence AS "lastSequence", last_arrived_at AS "lastArrivedAt"`);
const EVENT_COLUMNS = raw(`pool_id AS "poolId", shard, sequence, partition_key AS "partitionKey", arrived_at AS "arrivedAt", data`);
const DEAD_LETTER_COLUMNS = raw(`id, consumer, pool_id AS "poolId", shard, sequence, partition_key AS "partitionKey",
  arrived_at AS "arrivedAt", data, attempts, last_error AS "lastError", failed_at AS "failedAt"`);
const BULK_COLUMNS = raw(`pool_id AS "poolId", status, started_at AS "startedAt", finished_at AS "finishedAt",
  heartbeat_at AS "heartbeatAt", total, published, failure`);
const LIVE_POOL_DATASETS = raw(`identities i JOIN datasets d ON d.identity_id = i.id`);

/** `StreamStore` over either backend. */
export class SqlStreamStore implements StreamStore {
  constructor(private readonly db: SqlConnections) {}

  streamShards(poolId: string): Promise<ShardRange[]> {
    return this.db.read((session) =>
      session.all<ShardRange>(sql`
        SELECT ${HEAD_COLUMNS}, (SELECT min(sequence) FROM stream_events e WHERE e.pool_id = s.pool_id AND e.shard = s.shard)
          AS "firstSequence"
        FROM stream_shards s WHERE pool_id = ${poolId} ORDER BY shard`),
    );
  }

  streamHeads(): Promise<ShardHead[]> {
    return this.db.read((session) => session.all<ShardHead>(sql`SELECT ${HEAD_COLUMNS} FROM stream_shards ORDER BY pool_id, shard`));
  }

  readStreamEvents(poolId: string, shard: number, fromSequence: number, limit: number, maxBytes?: number): Promise<StreamEventRow[]> {
    const from = sql`FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND sequence >= ${fromSequence}`;
    return this.db.read(async (session) => {
      let lastSequence = Number.MAX_SAFE_INTEGER;
      if (maxBytes !== undefined) {
        // Sizes first: octet_length reads a value's length (PostgreSQL: from the TOAST header), not the value,
        // so the bodies past the cap are never loaded.
        const sizes = await session.all<{ sequence: number; size: number }>(
          sql`SELECT sequence, octet_length(data) AS size ${from} ORDER BY sequence LIMIT ${limit}`,
        );
        lastSequence = sizes[eventsWithinBytes(sizes.map((row) => row.size), maxBytes) - 1]?.sequence ?? 0;
      }
      return session.all<StreamEventRow>(
        sql`SELECT ${EVENT_COLUMNS} ${from} AND sequence <= ${lastSequence} ORDER BY sequence LIMIT ${limit}`,
      );
    });
  }

  async findStreamSequenceAt(poolId: string, shard: number, atMs: number): Promise<number | null> {
    // Two index lookups: the first arrival at or after atMs, then the lowest sequence arriving then.
    const row = await this.db.read((session) =>
      session.get<{ sequence: number | null }>(sql`
        SELECT min(sequence) AS sequence FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND arrived_at = (
          SELECT min(arrived_at) FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND arrived_at >= ${atMs})`),
    );
    return row?.sequence ?? null;
  }

  trimStream(poolId: string, shard: number, beforeMs: number, limit: number): Promise<number> {
    // Arrivals never decrease within a shard, so the events that arrived before the cutoff are a
    // prefix of it; taking them by sequence keeps what remains contiguous even when arrivals tie.
    // Deleting old rows takes no lock appends wait for (they insert new rows and update stream_shards).
    return this.db.write((session) =>
      session.run(sql`
        DELETE FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND sequence IN (
          SELECT sequence FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND arrived_at < ${beforeMs}
          ORDER BY sequence LIMIT ${limit})`),
    );
  }

  trimStreamToBytes(poolId: string, shard: number, maxBytes: number, limit: number): Promise<number> {
    // Bytes of each event and all newer ones (lengths only, no bodies read); those past maxBytes go.
    return this.db.write((session) =>
      session.run(sql`
        DELETE FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND sequence IN (
          SELECT sequence FROM (
            SELECT sequence, sum(octet_length(data)) OVER (ORDER BY sequence DESC) AS newer_bytes
            FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard}) AS sized
          WHERE newer_bytes > ${maxBytes} ORDER BY sequence LIMIT ${limit})`),
    );
  }

  getCheckpoints(consumer: string): Promise<Checkpoint[]> {
    return this.db.read((session) =>
      session.all<Checkpoint>(sql`
        SELECT consumer, pool_id AS "poolId", shard, sequence, updated_at AS "updatedAt" FROM stream_checkpoints
        WHERE consumer = ${consumer} ORDER BY pool_id, shard`),
    );
  }

  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.db.write((session) => upsertCheckpoint(session, checkpoint));
  }

  addDeadLetter(row: NewDeadLetter): Promise<DeadLetterRow> {
    const { consumer, poolId, shard, sequence, partitionKey, arrivedAt, data, attempts, lastError, failedAt } = row;
    return this.db.transaction(async (session) => {
      const { id } = (await session.get<{ id: number }>(sql`
        INSERT INTO stream_dead_letters (consumer, pool_id, shard, sequence, partition_key, arrived_at, data, attempts, last_error, failed_at)
        VALUES (${consumer}, ${poolId}, ${shard}, ${sequence}, ${partitionKey}, ${arrivedAt}, ${data}, ${attempts}, ${lastError}, ${failedAt})
        RETURNING id`))!;
      await upsertCheckpoint(session, { consumer, poolId, shard, sequence, updatedAt: failedAt });
      return { id, ...row };
    });
  }

  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetterRow[]> {
    const ofConsumer = filter.consumer === undefined ? sql`` : sql`AND consumer = ${filter.consumer}`;
    const ofPool = filter.poolId === undefined ? sql`` : sql`AND pool_id = ${filter.poolId}`;
    return this.db.read((session) =>
      session.all<DeadLetterRow>(sql`
        SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters WHERE id > ${filter.afterId ?? 0} ${ofConsumer} ${ofPool}
        ORDER BY id LIMIT ${filter.limit}`),
    );
  }

  async getDeadLetter(id: number): Promise<DeadLetterRow | null> {
    const row = await this.db.read((session) =>
      session.get<DeadLetterRow>(sql`SELECT ${DEAD_LETTER_COLUMNS} FROM stream_dead_letters WHERE id = ${id}`),
    );
    return row ?? null;
  }

  async updateDeadLetter(id: number, attempts: number, lastError: string, failedAt: number): Promise<void> {
    await this.db.write((session) =>
      session.run(
        sql`UPDATE stream_dead_letters SET attempts = ${attempts}, last_error = ${lastError}, failed_at = ${failedAt} WHERE id = ${id}`,
      ),
    );
  }

  async deleteDeadLetter(id: number): Promise<boolean> {
    return (await this.db.write((session) => session.run(sql`DELETE FROM stream_dead_letters WHERE id = ${id}`))) > 0;
  }

  listPoolDatasets(poolId: string, after: DatasetKey | null, limit: number): Promise<DatasetKey[]> {
    return this.db.read((session) =>
      session.all<DatasetKey>(sql`
        SELECT d.identity_id AS "identityId", d.name FROM ${LIVE_POOL_DATASETS}
        WHERE i.pool_id = ${poolId} AND NOT d.deleted AND (d.identity_id, d.name) > (${after?.identityId ?? ""}, ${after?.name ?? ""})
        ORDER BY d.identity_id, d.name LIMIT ${limit}`),
    );
  }

  async countPoolDatasets(poolId: string): Promise<number> {
    const row = await this.db.read((session) =>
      session.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${LIVE_POOL_DATASETS} WHERE i.pool_id = ${poolId} AND NOT d.deleted`),
    );
    return row!.n;
  }

  async claimBulkPublish(row: BulkPublishRow, staleBeforeMs: number): Promise<boolean> {
    const { poolId, status, startedAt, finishedAt, heartbeatAt, total, published, failure } = row;
    const claimed = await this.db.write((session) =>
      session.run(sql`
        INSERT INTO stream_bulk_publish (pool_id, status, started_at, finished_at, heartbeat_at, total, published, failure)
        VALUES (${poolId}, ${status}, ${startedAt}, ${finishedAt}, ${heartbeatAt}, ${total}, ${published}, ${failure})
        ON CONFLICT (pool_id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
          finished_at = excluded.finished_at, heartbeat_at = excluded.heartbeat_at, total = excluded.total,
          published = excluded.published, failure = excluded.failure
        WHERE stream_bulk_publish.status <> 'IN_PROGRESS' OR stream_bulk_publish.heartbeat_at < ${staleBeforeMs}`),
    );
    return claimed > 0;
  }

  async updateBulkPublish(row: BulkPublishRow): Promise<void> {
    const { poolId, status, startedAt, finishedAt, heartbeatAt, total, published, failure } = row;
    await this.db.write((session) =>
      session.run(sql`
        UPDATE stream_bulk_publish SET status = ${status}, finished_at = ${finishedAt}, heartbeat_at = ${heartbeatAt},
          total = ${total}, published = ${published}, failure = ${failure}
        WHERE pool_id = ${poolId} AND started_at = ${startedAt}`),
    );
  }

  async getBulkPublish(poolId: string): Promise<BulkPublishRow | null> {
    const row = await this.db.read((session) =>
      session.get<BulkPublishRow>(sql`SELECT ${BULK_COLUMNS} FROM stream_bulk_publish WHERE pool_id = ${poolId}`),
    );
    return row ?? null;
  }
}

/** Records a consumer's progress; a lower sequence than the stored one changes nothing. */
function upsertCheckpoint(session: SqlSession, checkpoint: Checkpoint): Promise<number> {
  const { consumer, poolId, shard, sequence, updatedAt } = checkpoint;
  return session.run(sql`
    INSERT INTO stream_checkpoints (consumer, pool_id, shard, sequence, updated_at)
    VALUES (${consumer}, ${poolId}, ${shard}, ${sequence}, ${updatedAt})
    ON CONFLICT (consumer, pool_id, shard) DO UPDATE SET sequence = excluded.sequence, updated_at = excluded.updated_at
    WHERE excluded.sequence > stream_checkpoints.sequence`);
}
