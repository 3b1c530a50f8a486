/**
 * Group membership of identities within a pool: who belongs to which named group, so shared
 * datasets owned by or written by a group (`group:<name>` in a pool's `sharedDatasets` rules) know
 * their members. One table (migration 7) and one store written once as SQL (`sql.ts`) over the
 * backend's connections: `storage.groups`. `test/conformance/storage-suite-groups.ts` checks both
 * backends.
 */
import type { Migration } from "./migration.js";
import { type SqlConnections, sql } from "./sql.js";

/** Group names: short and log-safe, like role names. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Group membership storage; see the module comment. Every method is scoped to one pool. */
export interface GroupStore {
  /** Adds `identityId` to the pool's group; false when it was a member already (idempotent). */
  addGroupMember(poolId: string, group: string, identityId: string, createdAt: number): Promise<boolean>;
  /** Removes `identityId` from the pool's group; false when it was not a member. */
  removeGroupMember(poolId: string, group: string, identityId: string): Promise<boolean>;
  /** The members of the pool's group, ordered by identity id. */
  listGroupMembers(poolId: string, group: string): Promise<string[]>;
  /** The groups of the pool that `identityId` belongs to, ordered by name. */
  listIdentityGroups(poolId: string, identityId: string): Promise<string[]>;
  /**
   * Moves every membership of `fromIdentityId` to `toIdentityId` (identity merge: the kept identity
   * takes the merged-away one's groups); a group both belonged to keeps one membership. Returns the
   * number of memberships moved or dropped as duplicates.
   */
  moveGroupMemberships(fromIdentityId: string, toIdentityId: string): Promise<number>;
}

/**
 * Migration 7 (listed in `migrations.ts`). It has shipped: never edit it, add a later version
 * instead. Same table and meaning in both dialects.
 */
export const GROUPS_MIGRATION: Migration = {
  version: 7,
  name: "group members",
  sqlite: `
    CREATE TABLE group_members (
      pool_id TEXT NOT NULL,
      group_name TEXT NOT NULL,
      identity_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, group_name, identity_id)
    ) STRICT;
    CREATE INDEX group_members_by_identity ON group_members (identity_id, pool_id);
  `,
  postgres: `
    CREATE TABLE group_members (
      pool_id text COLLATE "C" NOT NULL,
      group_name text COLLATE "C" NOT NULL,
      identity_id text COLLATE "C" NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (pool_id, group_name, identity_id)
    );
    CREATE INDEX group_members_by_identity ON group_members (identity_id, pool_id);
  `,
};

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
