/**
 * Migration 2, push devices and their dataset subscriptions, in both dialects side by side so the
 * two stay alike: the queries on them are written once in `sql-devices.ts`.
 */
import type { Migration } from "./migration.js";

/**
 * Migration 2 (listed in `migrations.ts`). It has shipped: never edit it, add a later version
 * instead.
 * - A device is keyed by (identity, device id): device ids are chosen by clients and are unique
 *   only within an identity, exactly like the `deviceId` of a push they are matched against.
 * - Subscriptions reference their device with ON DELETE CASCADE: unregistering a device (or a
 *   push service answering 410) removes its subscriptions in the same statement.
 * - The primary key of subscriptions starts with (identity, dataset): the fan-out query after
 *   each commit ("who is subscribed to this dataset?") is one range scan. The second index serves
 *   listing a device's datasets.
 * - On PostgreSQL, as in version 1, identifiers are `COLLATE "C"` and client-chosen text (device
 *   ids, tokens) goes through `encodeText` (the session does it, `postgres-rows.ts`), so a device
 *   id holding U+0000 round-trips.
 */
export const DEVICES_MIGRATION: Migration = {
  version: 2,
  name: "push devices and dataset subscriptions",
  sqlite: `
    CREATE TABLE push_devices (
      identity_id TEXT NOT NULL,
      device_id TEXT NOT NULL,
      pool_id TEXT NOT NULL,
      platform TEXT NOT NULL CHECK (platform IN ('WEB_PUSH', 'WEBHOOK')),
      url TEXT NOT NULL,
      p256dh TEXT,
      auth TEXT,
      token TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (identity_id, device_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE push_dataset_subscriptions (
      identity_id TEXT NOT NULL,
      dataset TEXT NOT NULL,
      device_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (identity_id, dataset, device_id),
      FOREIGN KEY (identity_id, device_id) REFERENCES push_devices (identity_id, device_id) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX push_dataset_subscriptions_by_device ON push_dataset_subscriptions (identity_id, device_id, dataset);
  `,
  postgres: `
    CREATE TABLE push_devices (
      identity_id text COLLATE "C" NOT NULL,
      device_id text COLLATE "C" NOT NULL,
      pool_id text COLLATE "C" NOT NULL,
      platform text NOT NULL CHECK (platform IN ('WEB_PUSH', 'WEBHOOK')),
      url text NOT NULL,
      p256dh text,
      auth text,
      token text,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (identity_id, device_id)
    );

    CREATE TABLE push_dataset_subscriptions (
      identity_id text COLLATE "C" NOT NULL,
      dataset text COLLATE "C" NOT NULL,
      device_id text COLLATE "C" NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (identity_id, dataset, device_id),
      FOREIGN KEY (identity_id, device_id) REFERENCES push_devices (identity_id, device_id) ON DELETE CASCADE
    );
    CREATE INDEX push_dataset_subscriptions_by_device ON push_dataset_subscriptions (identity_id, device_id, dataset);
  `,
};
