/**
 * The row shape of `user_pool_users` and how a row becomes a `UserPoolUserWithAttributes`, shared
 * by the user-pool store (`sql-user-pools.ts`) and its listings (`sql-user-pool-user-list.ts`).
 */
import type { UserPoolUser, UserPoolUserWithAttributes } from "./user-pool-store.js";
import { type SqlSession, raw, sql } from "./sql.js";

/** The columns of a user, named as `UserPoolUser`'s fields. */
export const USER_COLUMNS = raw(`pool_id AS "poolId", username, sub, status, enabled, password_hash AS "passwordHash",
  srp_salt AS "srpSalt", srp_verifier AS "srpVerifier", created_at AS "createdAt", updated_at AS "updatedAt"`);

/** A user row as both drivers return it (`enabled` is an integer on both). */
export type UserRow = Omit<UserPoolUser, "enabled"> & { enabled: number };

/** The user of `row` with its attributes; null for no row. */
export async function withAttributes(session: SqlSession, row: UserRow | undefined): Promise<UserPoolUserWithAttributes | null> {
  if (row === undefined) return null;
  const attributes = await session.all<{ name: string; value: string }>(
    sql`SELECT name, value FROM user_pool_attributes WHERE pool_id = ${row.poolId} AND sub = ${row.sub} ORDER BY name`,
  );
  return { ...row, enabled: Number(row.enabled) === 1, attributes: Object.fromEntries(attributes.map((attribute) => [attribute.name, attribute.value])) };
}
