/**
 * `ChangeFeedStore` (`change-feed-store.ts`) of both backends, written once as SQL. The reads are
 * written as a generator of queries, so one body runs synchronously inside SQLite's snapshot (whose
 * statements must all run before the first `await`) and with a round trip each on PostgreSQL's
 * REPEATABLE READ snapshot. The event's dataset and sync count are read out of its stored body by
 * the database (`json_extract` / `->>`), so bodies never travel.
 */
import type { ChangeFeedStore, DatasetChangesRead, DatasetRead, FeedEvent, ShardChanges, ShardScan } from "./change-feed-store.js";
import type { DatasetSqlRow, RecordSqlRow } from "./sql-dataset-tx.js";
import { selectDataset, toDatasetRow, toRecord } from "./sql-dataset-tx.js";
import type { DatasetConnections } from "./sql-datasets.js";
import { type SqlQuery, type SqlSession, sql } from "./sql.js";

/** A read plan: yields each query, receives its rows, returns the answer. */
type Plan<T> = Generator<SqlQuery, T, unknown[]>;

/** `ChangeFeedStore` over either backend. */
export class SqlChangeFeedStore implements ChangeFeedStore {
  constructor(private readonly db: Pick<DatasetConnections, "snapshot">) {}

  async readChanges(
    poolId: string,
    scans: readonly ShardScan[],
    maxEvents: number,
    maxRecords: number,
    pick: (shards: readonly ShardChanges[]) => readonly DatasetRead[],
  ): Promise<{ shards: ShardChanges[]; datasets: DatasetChangesRead[] }> {
    return await this.db.snapshot((session) => run(session, feedPlan(session.dialect.name, poolId, scans, maxEvents, maxRecords, pick)));
  }
}

function* feedPlan(
  dialect: string,
  poolId: string,
  scans: readonly ShardScan[],
  maxEvents: number,
  maxRecords: number,
  pick: (shards: readonly ShardChanges[]) => readonly DatasetRead[],
): Plan<{ shards: ShardChanges[]; datasets: DatasetChangesRead[] }> {
  const shards: ShardChanges[] = [];
  for (const scan of scans) shards.push(yield* shardPlan(dialect, poolId, scan, maxEvents));
  const datasets: DatasetChangesRead[] = [];
  let leftRecords = maxRecords;
  for (const read of pick(shards)) {
    const [row] = (yield selectDataset(read.ownerId, read.dataset)) as DatasetSqlRow[];
    // One more than is left tells that the dataset's records do not fit.
    const records = (yield sql`
      SELECT key, value, kind, sync_count AS "syncCount", clock, last_modified_by AS "lastModifiedBy",
        last_modified_at AS "lastModifiedAt", device_last_modified_at AS "deviceLastModifiedAt", deleted
      FROM records WHERE identity_id = ${read.ownerId} AND dataset = ${read.dataset} AND sync_count > ${read.sinceSyncCount}
      ORDER BY sync_count, key LIMIT ${leftRecords + 1}`) as RecordSqlRow[];
    const cut = records.length > leftRecords;
    if (!cut) leftRecords -= records.length;
    datasets.push({ ...read, row: row ? toDatasetRow(row) : null, records: cut ? [] : records.map(toRecord), cut });
  }
  return { shards, datasets };
}

function* shardPlan(dialect: string, poolId: string, scan: ShardScan, maxEvents: number): Plan<ShardChanges> {
  const [head] = (yield sql`SELECT last_sequence AS "headSequence" FROM stream_shards WHERE pool_id = ${poolId} AND shard = ${scan.shard}`) as { headSequence: number }[];
  const headSequence = Number(head?.headSequence ?? 0);
  // A shard none of the owners lives in: only its head is wanted, to move the position along.
  if (scan.ownerIds.length === 0) return { shard: scan.shard, headSequence, contiguous: true, events: [], truncated: false };
  if (headSequence <= scan.afterSequence) {
    // Nothing after the position; a position past the head is one this database never handed out.
    return { shard: scan.shard, headSequence, contiguous: headSequence === scan.afterSequence, events: [], truncated: false };
  }
  // The event right after the position must still be there; retention trims oldest first.
  const [oldest] = (yield sql`SELECT MIN(sequence) AS "sequence" FROM stream_events WHERE pool_id = ${poolId} AND shard = ${scan.shard}`) as { sequence: number | null }[];
  const contiguous = oldest?.sequence !== null && oldest?.sequence !== undefined && Number(oldest.sequence) <= scan.afterSequence + 1;
  if (!contiguous) return { shard: scan.shard, headSequence, contiguous, events: [], truncated: false };

  let events: FeedEvent[] = [];
  let cutAt = Infinity;
  for (const ownerId of scan.ownerIds) {
    const rows = (yield ownerEvents(dialect, poolId, scan.shard, ownerId, scan.afterSequence, headSequence, maxEvents)) as {
      sequence: number;
      dataset: string;
      syncCount: number;
    }[];
    for (const row of rows) events.push({ sequence: Number(row.sequence), ownerId, dataset: row.dataset, syncCount: Number(row.syncCount) });
    // An owner with more events than fit: the shard is read only up to its last one returned.
    if (rows.length === maxEvents) cutAt = Math.min(cutAt, Number(rows.at(-1)!.sequence));
  }
  events.sort((a, b) => a.sequence - b.sequence);
  if (events.length > maxEvents) cutAt = Math.min(cutAt, events[maxEvents - 1]!.sequence);
  events = events.filter((event) => event.sequence <= cutAt);
  return { shard: scan.shard, headSequence: cutAt === Infinity ? headSequence : cutAt, contiguous, events, truncated: cutAt !== Infinity };
}

/** One owner's events of a shard in (after, head], ascending: their dataset and new sync count. */
function ownerEvents(dialect: string, poolId: string, shard: number, ownerId: string, after: number, head: number, limit: number): SqlQuery {
  return dialect === "postgres"
    ? sql`
      SELECT sequence, (data::json)->>'dataSetName' AS dataset, ((data::json)->>'syncCount')::integer AS "syncCount"
      FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND sequence > ${after} AND sequence <= ${head}
        AND partition_key = ${ownerId}
      ORDER BY sequence LIMIT ${limit}`
    : sql`
      SELECT sequence, json_extract(data, '$.dataSetName') AS dataset, json_extract(data, '$.syncCount') AS "syncCount"
      FROM stream_events WHERE pool_id = ${poolId} AND shard = ${shard} AND sequence > ${after} AND sequence <= ${head}
        AND partition_key = ${ownerId}
      ORDER BY sequence LIMIT ${limit}`;
}

/** Drives `plan` on `session`: at once on SQLite (`session.now`), a round trip per query elsewhere. */
function run<T>(session: SqlSession, plan: Plan<T>): Promise<T> {
  const now = session.now;
  if (now) {
    let step = plan.next();
    while (!step.done) step = plan.next(now.all(step.value));
    return Promise.resolve(step.value);
  }
  return (async () => {
    let step = plan.next();
    while (!step.done) step = plan.next(await session.all(step.value));
    return step.value;
  })();
}
