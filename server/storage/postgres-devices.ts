/**
 * The PostgreSQL adapter's `DeviceStore`: registered push devices and their dataset
 * subscriptions, and the migration that creates their tables (the same tables and meaning as
 * `sqlite-devices.ts`). `postgres.ts` owns the pool and hands this store two ways to use it, so
 * its closing and reentrancy rules apply here too.
 */
import type { DeviceStore, RegisteredDevice } from "./device-store.js";
import type { PostgresMigration } from "./postgres-migrations.js";
import { type Queryable, decodeNullable, decodeText, encodeNullable, encodeText } from "./postgres-rows.js";

/**
 * Migration 2 (listed in `postgres-migrations.ts`). It has shipped once merged: never edit it, add
 * a later version instead. As in version 1, identifiers are `COLLATE "C"` and client-chosen text
 * (device ids, tokens) goes through `encodeText`, so a device id holding U+0000 round-trips.
 * Subscriptions cascade from their device; their primary key serves the fan-out query after each
 * commit, the second index serves listing a device's datasets.
 */
export const POSTGRES_DEVICES_MIGRATION: PostgresMigration = {
  version: 2,
  name: "push devices and dataset subscriptions",
  sql: `
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

/** How the store reaches the adapter's pool. */
export interface PostgresConnections {
  /** Runs a read (the adapter tracks it for `close()`). */
  read<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs an autocommit write (tracked, and refused inside a `writeDataset` callback). */
  write<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
}

const DEVICE_COLUMNS = `d.identity_id AS "identityId", d.device_id AS "deviceId", d.pool_id AS "poolId", d.platform,
  d.url, d.p256dh, d.auth, d.token, d.created_at AS "createdAt", d.updated_at AS "updatedAt"`;

const fromRow = (row: RegisteredDevice): RegisteredDevice => ({
  ...row,
  deviceId: decodeText(row.deviceId),
  token: decodeNullable(row.token),
});

/** `DeviceStore` over PostgreSQL. */
export class PostgresDeviceStore implements DeviceStore {
  constructor(private readonly pool: PostgresConnections) {}

  async saveDevice(device: RegisteredDevice): Promise<void> {
    await this.pool.write((db) =>
      db.query(
        `INSERT INTO push_devices (identity_id, device_id, pool_id, platform, url, p256dh, auth, token, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (identity_id, device_id) DO UPDATE SET pool_id = excluded.pool_id, platform = excluded.platform,
           url = excluded.url, p256dh = excluded.p256dh, auth = excluded.auth, token = excluded.token,
           updated_at = excluded.updated_at`,
        [
          device.identityId,
          encodeText(device.deviceId),
          device.poolId,
          device.platform,
          device.url,
          device.p256dh,
          device.auth,
          encodeNullable(device.token),
          device.createdAt,
          device.updatedAt,
        ],
      ),
    );
  }

  async getDevice(identityId: string, deviceId: string): Promise<RegisteredDevice | null> {
    const { rows } = await this.pool.read((db) =>
      db.query<RegisteredDevice>(`SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = $1 AND d.device_id = $2`, [
        identityId,
        encodeText(deviceId),
      ]),
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listDevices(identityId: string): Promise<RegisteredDevice[]> {
    const { rows } = await this.pool.read((db) =>
      db.query<RegisteredDevice>(`SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = $1 ORDER BY d.device_id`, [
        identityId,
      ]),
    );
    return rows.map(fromRow);
  }

  async deleteDevice(identityId: string, deviceId: string, onlyIfUrl?: string): Promise<boolean> {
    const { rowCount } = await this.pool.write((db) =>
      db.query("DELETE FROM push_devices WHERE identity_id = $1 AND device_id = $2 AND ($3::text IS NULL OR url = $3)", [
        identityId,
        encodeText(deviceId),
        onlyIfUrl ?? null,
      ]),
    );
    return (rowCount ?? 0) > 0;
  }

  async subscribeDevice(identityId: string, deviceId: string, dataset: string, createdAt: number): Promise<void> {
    await this.pool.write((db) =>
      db.query(
        `INSERT INTO push_dataset_subscriptions (identity_id, dataset, device_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (identity_id, dataset, device_id) DO NOTHING`,
        [identityId, dataset, encodeText(deviceId), createdAt],
      ),
    );
  }

  async unsubscribeDevice(identityId: string, deviceId: string, dataset: string): Promise<boolean> {
    const { rowCount } = await this.pool.write((db) =>
      db.query("DELETE FROM push_dataset_subscriptions WHERE identity_id = $1 AND dataset = $2 AND device_id = $3", [
        identityId,
        dataset,
        encodeText(deviceId),
      ]),
    );
    return (rowCount ?? 0) > 0;
  }

  async listDeviceDatasets(identityId: string, deviceId: string): Promise<string[]> {
    const { rows } = await this.pool.read((db) =>
      db.query<{ dataset: string }>(
        "SELECT dataset FROM push_dataset_subscriptions WHERE identity_id = $1 AND device_id = $2 ORDER BY dataset",
        [identityId, encodeText(deviceId)],
      ),
    );
    return rows.map((row) => row.dataset);
  }

  async listSubscribedDevices(identityId: string, dataset: string): Promise<RegisteredDevice[]> {
    const { rows } = await this.pool.read((db) =>
      db.query<RegisteredDevice>(
        `SELECT ${DEVICE_COLUMNS} FROM push_dataset_subscriptions s
         JOIN push_devices d ON d.identity_id = s.identity_id AND d.device_id = s.device_id
         WHERE s.identity_id = $1 AND s.dataset = $2 ORDER BY d.device_id`,
        [identityId, dataset],
      ),
    );
    return rows.map(fromRow);
  }
}
