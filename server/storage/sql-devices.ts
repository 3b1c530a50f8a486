/**
 * The `DeviceStore` (registered push devices and their dataset subscriptions, `device-store.ts`)
 * of both backends, written once as SQL (`sql.ts`) over the backend's connections; the tables are
 * migration 2 (`device-migrations.ts`). Device ids and tokens are client-chosen text: PostgreSQL's
 * session carries them through its U+0000 codec, so nothing here handles it.
 */
import type { DeviceStore, RegisteredDevice } from "./device-store.js";
import { type SqlConnections, raw, sql } from "./sql.js";

/** A device's columns (of `push_devices d`) under `RegisteredDevice`'s names. */
export const DEVICE_COLUMNS = raw(`d.identity_id AS "identityId", d.device_id AS "deviceId", d.pool_id AS "poolId", d.platform,
  d.url, d.p256dh, d.auth, d.token, d.created_at AS "createdAt", d.updated_at AS "updatedAt"`);

/** `DeviceStore` over either backend. */
export class SqlDeviceStore implements DeviceStore {
  constructor(private readonly db: SqlConnections) {}

  async saveDevice(device: RegisteredDevice): Promise<void> {
    const { identityId, deviceId, poolId, platform, url, p256dh, auth, token, createdAt, updatedAt } = device;
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO push_devices (identity_id, device_id, pool_id, platform, url, p256dh, auth, token, created_at, updated_at)
        VALUES (${identityId}, ${deviceId}, ${poolId}, ${platform}, ${url}, ${p256dh}, ${auth}, ${token}, ${createdAt}, ${updatedAt})
        ON CONFLICT (identity_id, device_id) DO UPDATE SET pool_id = excluded.pool_id, platform = excluded.platform,
          url = excluded.url, p256dh = excluded.p256dh, auth = excluded.auth, token = excluded.token,
          updated_at = excluded.updated_at`),
    );
  }

  async getDevice(identityId: string, deviceId: string): Promise<RegisteredDevice | null> {
    const row = await this.db.read((session) =>
      session.get<RegisteredDevice>(
        sql`SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = ${identityId} AND d.device_id = ${deviceId}`,
      ),
    );
    return row ?? null;
  }

  listDevices(identityId: string): Promise<RegisteredDevice[]> {
    return this.db.read((session) =>
      session.all<RegisteredDevice>(sql`SELECT ${DEVICE_COLUMNS} FROM push_devices d WHERE d.identity_id = ${identityId} ORDER BY d.device_id`),
    );
  }

  async deleteDevice(identityId: string, deviceId: string, onlyIfUrl?: string): Promise<boolean> {
    const sameUrl = onlyIfUrl === undefined ? sql`` : sql`AND url = ${onlyIfUrl}`;
    const deleted = await this.db.write((session) =>
      session.run(sql`DELETE FROM push_devices WHERE identity_id = ${identityId} AND device_id = ${deviceId} ${sameUrl}`),
    );
    return deleted > 0;
  }

  async subscribeDevice(identityId: string, deviceId: string, dataset: string, createdAt: number): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO push_dataset_subscriptions (identity_id, dataset, device_id, created_at)
        VALUES (${identityId}, ${dataset}, ${deviceId}, ${createdAt})
        ON CONFLICT (identity_id, dataset, device_id) DO NOTHING`),
    );
  }

  async unsubscribeDevice(identityId: string, deviceId: string, dataset: string): Promise<boolean> {
    const deleted = await this.db.write((session) =>
      session.run(
        sql`DELETE FROM push_dataset_subscriptions WHERE identity_id = ${identityId} AND dataset = ${dataset} AND device_id = ${deviceId}`,
      ),
    );
    return deleted > 0;
  }

  async listDeviceDatasets(identityId: string, deviceId: string): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.all<{ dataset: string }>(
        sql`SELECT dataset FROM push_dataset_subscriptions WHERE identity_id = ${identityId} AND device_id = ${deviceId} ORDER BY dataset`,
      ),
    );
    return rows.map((row) => row.dataset);
  }

  listSubscribedDevices(identityId: string, dataset: string): Promise<RegisteredDevice[]> {
    return this.db.read((session) =>
      session.all<RegisteredDevice>(sql`
        SELECT ${DEVICE_COLUMNS} FROM push_dataset_subscriptions s
        JOIN push_devices d ON d.identity_id = s.identity_id AND d.device_id = s.device_id
        WHERE s.identity_id = ${identityId} AND s.dataset = ${dataset} ORDER BY d.device_id`),
    );
  }
}
