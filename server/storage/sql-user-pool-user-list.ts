/**
 * Listing a pool's users (Cognito's ListUsers and the `syncpool users` CLI), written once as SQL on
 * the tables of migration 8: by username, a page at a time, optionally only the users whose column
 * or attribute equals a value or starts with it. A prefix compares the first characters with
 * `substr`, which both backends have and which, unlike `LIKE`, has no wildcards to escape and
 * compares case-sensitively on both.
 */
import type { UserPoolPage, UserPoolUserFilter, UserPoolUserWithAttributes } from "./user-pool-store.js";
import { SqlUserPoolWebAuthnStore } from "./sql-user-pool-webauthn.js";
import { USER_COLUMNS, withAttributes, type UserRow } from "./sql-user-pool-rows.js";
import { type SqlQuery, raw, sql } from "./sql.js";

/** The user listings of `SqlUserPoolStore`, over either backend. */
export class SqlUserPoolUserList extends SqlUserPoolWebAuthnStore {
  async listUsers(poolId: string, filter: UserPoolUserFilter | null, after: string | null, limit: number): Promise<UserPoolPage<UserPoolUserWithAttributes>> {
    const users = await this.db.read(async (session) => {
      const rows = await session.all<UserRow>(sql`
        SELECT ${USER_COLUMNS} FROM user_pool_users u
        WHERE u.pool_id = ${poolId} AND u.username > ${after ?? ""} AND ${filterCondition(poolId, filter)}
        ORDER BY u.username LIMIT ${limit}`);
      const found: UserPoolUserWithAttributes[] = [];
      for (const row of rows) found.push((await withAttributes(session, row))!);
      return found;
    });
    return { items: users, next: users.length === limit ? users.at(-1)!.username : null };
  }
}

function filterCondition(poolId: string, filter: UserPoolUserFilter | null): SqlQuery {
  if (filter === null) return sql`1 = 1`;
  const matches = (expression: SqlQuery): SqlQuery =>
    filter.prefix ? sql`substr(${expression}, 1, ${[...filter.value].length}) = ${filter.value}` : sql`${expression} = ${filter.value}`;
  if ("column" in filter.field) {
    if (filter.field.column === "enabled") return sql`u.enabled = ${filter.value === "true" ? 1 : 0}`;
    return matches(sql`${raw(`u.${filter.field.column}`)}`);
  }
  return sql`u.sub IN (SELECT a.sub FROM user_pool_attributes a WHERE a.pool_id = ${poolId} AND a.name = ${filter.field.attribute} AND ${matches(sql`a.value`)})`;
}
