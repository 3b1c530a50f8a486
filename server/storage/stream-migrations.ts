/**
 * Migration 3, the event stream's tables, in both dialects side by side so the two stay alike: the
 * queries on them are written once in `sql-stream.ts`. It has shipped: never edit it, add a later
 * version instead.
 * - `stream_shards` holds each shard's last sequence and arrival. Appending updates that row inside
 *   the dataset's write transaction (`appendStreamEvent`): SQLite has one writer, and PostgreSQL
 *   holds the row lock to commit, so a second writer of the shard waits and then takes the next
 *   sequence. Sequences are gap-free and increase in commit order, across any number of servers.
 * - `stream_events` is keyed (pool, shard, sequence); the arrival index serves AT_TIMESTAMP and
 *   retention (arrivals never decrease within a shard).
 * - Event bodies are `text` on PostgreSQL, not `jsonb`: they are returned (and signed by webhooks)
 *   byte for byte as written.
 * - Dead letters copy the event body: retention may trim the event before anyone replays it.
 */
import type { Migration } from "./migration.js";

/** Version 3: event stream, consumer checkpoints, dead letters, bulk publish. */
export const STREAM_MIGRATION: Migration = {
  version: 3,
  name: "event stream, consumer checkpoints, dead letters, bulk publish",
  sqlite: `
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
  postgres: `
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
