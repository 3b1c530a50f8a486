/**
 * The group half of the `UserPoolStore` (`user-pool-store.ts`), written once as SQL on the tables
 * of migration 10 (`user-pool-group-migrations.ts`). `SqlUserPoolStore` extends it, so both
 * backends reach groups as `storage.userPools` like the rest of the user pool.
 */
import type { UserPoolGroup, UserPoolGroupStore, UserPoolPage } from "./user-pool-store.js";
import { type SqlConnections, raw, sql } from "./sql.js";

const GROUP_COLUMNS = raw(`g.pool_id AS "poolId", g.group_name AS "groupName", g.description, g.role_arn AS "roleArn", g.precedence,
  g.created_at AS "createdAt", g.updated_at AS "updatedAt"`);

/** `UserPoolGroupStore` over either backend. */
export class SqlUserPoolGroupStore implements UserPoolGroupStore {
  constructor(protected readonly db: SqlConnections) {}

  async createGroup(group: UserPoolGroup): Promise<boolean> {
    const inserted = await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_groups (pool_id, group_name, description, role_arn, precedence, created_at, updated_at)
        VALUES (${group.poolId}, ${group.groupName}, ${group.description}, ${group.roleArn}, ${group.precedence}, ${group.createdAt}, ${group.updatedAt})
        ON CONFLICT (pool_id, group_name) DO NOTHING`),
    );
    return inserted > 0;
  }

  async getGroup(poolId: string, groupName: string): Promise<UserPoolGroup | null> {
    const row = await this.db.read((session) =>
      session.get<UserPoolGroup>(sql`SELECT ${GROUP_COLUMNS} FROM user_pool_groups g WHERE g.pool_id = ${poolId} AND g.group_name = ${groupName}`),
    );
    return row ?? null;
  }

  async listGroups(poolId: string, after: string | null, limit: number): Promise<UserPoolPage<UserPoolGroup>> {
    const rows = await this.db.read((session) =>
      session.all<UserPoolGroup>(sql`
        SELECT ${GROUP_COLUMNS} FROM user_pool_groups g WHERE g.pool_id = ${poolId} AND g.group_name > ${after ?? ""}
        ORDER BY g.group_name LIMIT ${limit}`),
    );
    return { items: rows, next: rows.length === limit ? rows.at(-1)!.groupName : null };
  }

  async updateGroup(group: UserPoolGroup): Promise<boolean> {
    const updated = await this.db.write((session) =>
      session.run(sql`
        UPDATE user_pool_groups SET description = ${group.description}, role_arn = ${group.roleArn}, precedence = ${group.precedence}, updated_at = ${group.updatedAt}
        WHERE pool_id = ${group.poolId} AND group_name = ${group.groupName}`),
    );
    return updated > 0;
  }

  async deleteGroup(poolId: string, groupName: string): Promise<boolean> {
    const deleted = await this.db.write((session) => session.run(sql`DELETE FROM user_pool_groups WHERE pool_id = ${poolId} AND group_name = ${groupName}`));
    return deleted > 0;
  }

  async addGroupMember(poolId: string, groupName: string, sub: string, createdAt: number): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_group_members (pool_id, group_name, sub, created_at) VALUES (${poolId}, ${groupName}, ${sub}, ${createdAt})
        ON CONFLICT (pool_id, group_name, sub) DO NOTHING`),
    );
  }

  async removeGroupMember(poolId: string, groupName: string, sub: string): Promise<boolean> {
    const removed = await this.db.write((session) =>
      session.run(sql`DELETE FROM user_pool_group_members WHERE pool_id = ${poolId} AND group_name = ${groupName} AND sub = ${sub}`),
    );
    return removed > 0;
  }

  listUserGroups(poolId: string, sub: string): Promise<UserPoolGroup[]> {
    return this.db.read((session) =>
      session.all<UserPoolGroup>(sql`
        SELECT ${GROUP_COLUMNS} FROM user_pool_group_members m JOIN user_pool_groups g ON g.pool_id = m.pool_id AND g.group_name = m.group_name
        WHERE m.pool_id = ${poolId} AND m.sub = ${sub} ORDER BY g.group_name`),
    );
  }

  async listGroupMembers(poolId: string, groupName: string, after: string | null, limit: number): Promise<UserPoolPage<string>> {
    const rows = await this.db.read((session) =>
      session.all<{ sub: string }>(sql`
        SELECT sub FROM user_pool_group_members WHERE pool_id = ${poolId} AND group_name = ${groupName} AND sub > ${after ?? ""}
        ORDER BY sub LIMIT ${limit}`),
    );
    return { items: rows.map((row) => row.sub), next: rows.length === limit ? rows.at(-1)!.sub : null };
  }
}
