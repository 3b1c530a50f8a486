/** `GroupStore` (`group-store.ts`) written once as SQL (`sql.ts`) for both backends. */
import type { GroupStore } from "./group-store.js";
import { type SqlConnections, sql } from "./sql.js";

/** `GroupStore` over either backend. */
export class SqlGroupStore implements GroupStore {
  constructor(private readonly db: SqlConnections) {}

  async addGroupMember(poolId: string, group: string, identityId: string, createdAt: number): Promise<boolean> {
    const added = await this.db.write((session) =>
      session.run(sql`
        INSERT INTO group_members (pool_id, group_name, identity_id, created_at) VALUES (${poolId}, ${group}, ${identityId}, ${createdAt})
        ON CONFLICT (pool_id, group_name, identity_id) DO NOTHING`),
    );
    return added > 0;
  }

  async removeGroupMember(poolId: string, group: string, identityId: string): Promise<boolean> {
    const removed = await this.db.write((session) =>
      session.run(sql`DELETE FROM group_members WHERE pool_id = ${poolId} AND group_name = ${group} AND identity_id = ${identityId}`),
    );
    return removed > 0;
  }

  async listGroupMembers(poolId: string, group: string): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.all<{ id: string }>(
        sql`SELECT identity_id AS id FROM group_members WHERE pool_id = ${poolId} AND group_name = ${group} ORDER BY identity_id`,
      ),
    );
    return rows.map((row) => row.id);
  }

  async listIdentityGroups(poolId: string, identityId: string): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.all<{ name: string }>(
        sql`SELECT group_name AS name FROM group_members WHERE pool_id = ${poolId} AND identity_id = ${identityId} ORDER BY group_name`,
      ),
    );
    return rows.map((row) => row.name);
  }

  moveGroupMemberships(fromIdentityId: string, toIdentityId: string): Promise<number> {
    // Copy first (skipping groups the kept identity is in already), then drop every old row:
    // one transaction, so a reader sees the memberships either before or after the move.
    return this.db.transaction(async (session) => {
      await session.run(sql`
        INSERT INTO group_members (pool_id, group_name, identity_id, created_at)
        SELECT pool_id, group_name, ${toIdentityId}, created_at FROM group_members WHERE identity_id = ${fromIdentityId}
        ON CONFLICT (pool_id, group_name, identity_id) DO NOTHING`);
      return session.run(sql`DELETE FROM group_members WHERE identity_id = ${fromIdentityId}`);
    });
  }
}
