/**
 * The SQLite adapter's `DeviceStore`: registered push devices and their dataset subscriptions,
 * and the migration that creates their tables. `sqlite.ts` owns the connections and hands this
 * store two ways to use them: reads on the reader connection, writes under its write lock.
 */
import type { DeviceStore, RegisteredDevice } from "./device-store.js";
import type { SqliteMigration } from "./sqlite-migrations.js";
import { type Db, sql } from "./sqlite-rows.js";

/**
 * Migration 2 (listed in `sqlite-migrations.ts`). It has shipped once merged: never edit it, add a
 * later version instead.
 * - A device is keyed by (identity, device id): device ids are chosen by clients and are unique
 *   only within an identity, exactly like the `deviceId` of a push they are matched against.
 * - Subscriptions reference their device with ON DELETE CASCADE: unregistering a device (or a
 *   push service answering 410) removes its subscriptions in the same statement.
 * - The primary key of subscriptions starts with (identity, dataset): the fan-out query after
 *   each commit ("who is subscribed to this dataset?") is one range scan. The second index serves
 *   listing a device's datasets.
 */
export const SQLITE_DEVICES_MIGRATION: SqliteMigration = {
  version: 2,
  name: "push devices and dataset subscriptions",
  sql: `
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
};

/** How the store reaches the adapter's connections. */
export interface SqliteConnections {
  /** Runs `fn` on the reader connection (the adapter refuses it once closed). */
  read<T>(fn: (reader: Db) => T): Promise<T>;
  /** Runs `fn` on the writer connection under the adapter's write lock. */
  write<T>(fn: (writer: Db) => T): Promise<T>;
}

const DEVICE_COLUMNS = `d.identity_id AS identityId, d.device_id AS deviceId, d.pool_id AS poolId, d.platform,
  d.url, d.p256dh, d.auth, d.token, d.created_at AS createdAt, d.updated_at AS updatedAt`;

/** `DeviceStore` over SQLite. */
export class SqliteDeviceStore implements DeviceStore {
  constructor(private readonly db: SqliteConnections) {}

  async saveDevice(device: RegisteredDevice): Promise<void> {
    await this.db.write((writer) =>
      sql(
        writer,
        `INSERT INTO push_devices (identity_id, device_id, pool_id, platform, url, p256dh, auth, token, created_at, updated_at)
         VALUES (@identityId, @deviceId, @poolId, @platform, @url, @p256dh, @auth, @token, @createdAt, @updatedAt)
         ON CONFLICT (identity_id, device_id) DO UPDATE SET pool_id = excluded.pool_id, platform = excluded.platform,
           url = excluded.url, p256dh = excluded.p256dh, auth = excluded.auth, token = excluded.token,
           updated_at = excluded.updated_at`,
      ).run(device),
    );
  }

  async getDevice(identityId: string, deviceId: string): Promise<RegisteredDevice | null> {
    return this.db.read(
      (reader) =>
        sql<RegisteredDevice>(reader, `SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = ? AND d.device_id = ?`).get(
          identityId,
          deviceId,
        ) ?? null,
    );
  }

  async listDevices(identityId: string): Promise<RegisteredDevice[]> {
    return this.db.read((reader) =>
      sql<RegisteredDevice>(reader, `SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = ? ORDER BY d.device_id`).all(
        identityId,
      ),
    );
  }

  async deleteDevice(identityId: string, deviceId: string, onlyIfUrl?: string): Promise<boolean> {
    const url = onlyIfUrl ?? null;
    return this.db.write(
      (writer) =>
        sql(writer, "DELETE FROM push_devices WHERE identity_id = ? AND device_id = ? AND (? IS NULL OR url = ?)").run(
          identityId,
          deviceId,
          url,
          url,
        ).changes > 0,
    );
  }

  async subscribeDevice(identityId: string, deviceId: string, dataset: string, createdAt: number): Promise<void> {
    await this.db.write((writer) =>
      sql(
        writer,
        `INSERT INTO push_dataset_subscriptions (identity_id, dataset, device_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (identity_id, dataset, device_id) DO NOTHING`,
      ).run(identityId, dataset, deviceId, createdAt),
    );
  }

  async unsubscribeDevice(identityId: string, deviceId: string, dataset: string): Promise<boolean> {
    return this.db.write(
      (writer) =>
        sql(writer, "DELETE FROM push_dataset_subscriptions WHERE identity_id = ? AND dataset = ? AND device_id = ?").run(
          identityId,
          dataset,
          deviceId,
        ).changes > 0,
    );
  }

  async listDeviceDatasets(identityId: string, deviceId: string): Promise<string[]> {
    return this.db.read((reader) =>
      sql<{ dataset: string }>(
        reader,
        "SELECT dataset FROM push_dataset_subscriptions WHERE identity_id = ? AND device_id = ? ORDER BY dataset",
      )
        .all(identityId, deviceId)
        .map((row) => row.dataset),
    );
  }

  async listSubscribedDevices(identityId: string, dataset: string): Promise<RegisteredDevice[]> {
    return this.db.read((reader) =>
      sql<RegisteredDevice>(
        reader,
        `SELECT ${DEVICE_COLUMNS} FROM push_dataset_subscriptions s
         JOIN push_devices d ON d.identity_id = s.identity_id AND d.device_id = s.device_id
         WHERE s.identity_id = ? AND s.dataset = ? ORDER BY d.device_id`,
      ).all(identityId, dataset),
    );
  }
}
