/**
 * The `UserPoolStore` (`user-pool-store.ts`) of both backends, written once as SQL (`sql.ts`) on
 * the tables of migrations 8 and 9 (`user-pool-migrations.ts`); groups and passkeys are the classes it extends. `enabled` is an integer on both so one row
 * shape serves both; the two steps that must not interleave (creating a user with its attributes,
 * presenting a refresh token) each run in one transaction.
 */
import type {
  RefreshTokenUse,
  UserPoolCode,
  UserPoolSession,
  UserPoolSignInFailures,
  UserPoolStore,
  UserPoolTotp,
  UserPoolUser,
  UserPoolUserPatch,
  UserPoolUserWithAttributes,
} from "./user-pool-store.js";
import { SqlUserPoolUsedSessionStore } from "./sql-user-pool-used-sessions.js";
import { USER_COLUMNS, withAttributes, type UserRow } from "./sql-user-pool-rows.js";
import { type SqlConnections, type SqlQuery, type SqlSession, joinSql, raw, sql } from "./sql.js";

const CODE_COLUMNS = raw(`pool_id AS "poolId", sub, purpose, code_hash AS "codeHash", attempts, expires_at AS "expiresAt", created_at AS "createdAt"`);
const SESSION_COLUMNS = raw(`s.origin_jti AS "originJti", s.pool_id AS "poolId", s.sub, s.client_id AS "clientId", s.auth_time AS "authTime",
  s.created_at AS "createdAt", s.expires_at AS "expiresAt", s.revoked_at AS "revokedAt", s.scope`);

const TOTP_COLUMNS = raw(`pool_id AS "poolId", sub, secret, pending_secret AS "pendingSecret", device_name AS "deviceName", enabled, preferred,
  last_step AS "lastStep", updated_at AS "updatedAt"`);

/** `UserPoolStore` over either backend (groups, passkeys, listings, email and SMS MFA and answered sessions in the classes it extends: `sql-user-pool-used-sessions.ts` and up). */
export class SqlUserPoolStore extends SqlUserPoolUsedSessionStore implements UserPoolStore {
  createUser(user: UserPoolUser, attributes: Record<string, string>): Promise<boolean> {
    return this.db.transaction(async (session) => {
      const inserted = await session.run(sql`
        INSERT INTO user_pool_users (pool_id, username, sub, status, enabled, password_hash, srp_salt, srp_verifier, created_at, updated_at)
        VALUES (${user.poolId}, ${user.username}, ${user.sub}, ${user.status}, ${user.enabled ? 1 : 0}, ${user.passwordHash},
          ${user.srpSalt}, ${user.srpVerifier}, ${user.createdAt}, ${user.updatedAt})
        ON CONFLICT (pool_id, username) DO NOTHING`);
      if (inserted === 0) return false;
      await writeAttributes(session, user.poolId, user.sub, attributes);
      return true;
    });
  }

  getUser(poolId: string, username: string): Promise<UserPoolUserWithAttributes | null> {
    return this.db.read(async (session) =>
      withAttributes(session, await session.get<UserRow>(sql`SELECT ${USER_COLUMNS} FROM user_pool_users WHERE pool_id = ${poolId} AND username = ${username}`)),
    );
  }

  getUserBySub(poolId: string, sub: string): Promise<UserPoolUserWithAttributes | null> {
    return this.db.read(async (session) =>
      withAttributes(session, await session.get<UserRow>(sql`SELECT ${USER_COLUMNS} FROM user_pool_users WHERE pool_id = ${poolId} AND sub = ${sub}`)),
    );
  }

  async findUsernamesByAttribute(poolId: string, name: string, value: string): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.all<{ username: string }>(sql`
        SELECT u.username FROM user_pool_attributes a JOIN user_pool_users u ON u.pool_id = a.pool_id AND u.sub = a.sub
        WHERE a.pool_id = ${poolId} AND a.name = ${name} AND a.value = ${value} ORDER BY u.username`),
    );
    return rows.map((row) => row.username);
  }

  async updateUser(poolId: string, sub: string, patch: UserPoolUserPatch): Promise<boolean> {
    const sets: SqlQuery[] = [sql`updated_at = ${patch.updatedAt}`];
    if (patch.status !== undefined) sets.push(sql`status = ${patch.status}`);
    if (patch.enabled !== undefined) sets.push(sql`enabled = ${patch.enabled ? 1 : 0}`);
    if (patch.passwordHash !== undefined) sets.push(sql`password_hash = ${patch.passwordHash}`);
    if (patch.srpSalt !== undefined) sets.push(sql`srp_salt = ${patch.srpSalt}`);
    if (patch.srpVerifier !== undefined) sets.push(sql`srp_verifier = ${patch.srpVerifier}`);
    const changed = await this.db.write((session) =>
      session.run(sql`UPDATE user_pool_users SET ${joinSql(sets, ", ")} WHERE pool_id = ${poolId} AND sub = ${sub}`),
    );
    return changed > 0;
  }

  async setAttributes(poolId: string, sub: string, attributes: Record<string, string | null>, updatedAt: number): Promise<void> {
    await this.db.transaction(async (session) => {
      const removed = Object.entries(attributes).filter(([, value]) => value === null);
      for (const [name] of removed) await session.run(sql`DELETE FROM user_pool_attributes WHERE pool_id = ${poolId} AND sub = ${sub} AND name = ${name}`);
      const set = Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== null));
      await writeAttributes(session, poolId, sub, set);
      await session.run(sql`UPDATE user_pool_users SET updated_at = ${updatedAt} WHERE pool_id = ${poolId} AND sub = ${sub}`);
    });
  }

  async renameAttribute(poolId: string, from: string, to: string): Promise<{ renamed: number; conflicts: string[] }> {
    return this.db.transaction(async (session) => {
      const renamed = await session.run(sql`
        UPDATE user_pool_attributes SET name = ${to}
        WHERE pool_id = ${poolId} AND name = ${from}
          AND NOT EXISTS (SELECT 1 FROM user_pool_attributes b WHERE b.pool_id = ${poolId} AND b.sub = user_pool_attributes.sub AND b.name = ${to})`);
      const conflicts = await session.all<{ username: string }>(sql`
        SELECT u.username FROM user_pool_attributes a JOIN user_pool_users u ON u.pool_id = a.pool_id AND u.sub = a.sub
        WHERE a.pool_id = ${poolId} AND a.name = ${from} ORDER BY u.username`);
      return { renamed, conflicts: conflicts.map((row) => row.username) };
    });
  }

  async deleteUser(poolId: string, sub: string): Promise<boolean> {
    // Sessions' refresh tokens cascade from sessions, everything else from the user row.
    const deleted = await this.db.write((session) => session.run(sql`DELETE FROM user_pool_users WHERE pool_id = ${poolId} AND sub = ${sub}`));
    return deleted > 0;
  }

  async saveCode(code: UserPoolCode): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_codes (pool_id, sub, purpose, code_hash, attempts, expires_at, created_at)
        VALUES (${code.poolId}, ${code.sub}, ${code.purpose}, ${code.codeHash}, ${code.attempts}, ${code.expiresAt}, ${code.createdAt})
        ON CONFLICT (pool_id, sub, purpose) DO UPDATE SET code_hash = excluded.code_hash, attempts = excluded.attempts,
          expires_at = excluded.expires_at, created_at = excluded.created_at`),
    );
  }

  async getCode(poolId: string, sub: string, purpose: string): Promise<UserPoolCode | null> {
    const row = await this.db.read((session) =>
      session.get<UserPoolCode>(sql`SELECT ${CODE_COLUMNS} FROM user_pool_codes WHERE pool_id = ${poolId} AND sub = ${sub} AND purpose = ${purpose}`),
    );
    return row ?? null;
  }

  async countCodeAttempt(poolId: string, sub: string, purpose: string): Promise<number> {
    const row = await this.db.write((session) =>
      session.get<{ attempts: number }>(sql`
        UPDATE user_pool_codes SET attempts = attempts + 1 WHERE pool_id = ${poolId} AND sub = ${sub} AND purpose = ${purpose} RETURNING attempts`),
    );
    return row?.attempts ?? 0;
  }

  async deleteCode(poolId: string, sub: string, purpose: string): Promise<boolean> {
    const deleted = await this.db.write((session) =>
      session.run(sql`DELETE FROM user_pool_codes WHERE pool_id = ${poolId} AND sub = ${sub} AND purpose = ${purpose}`),
    );
    return deleted > 0;
  }

  async createSession(record: UserPoolSession, refreshTokenHash: string): Promise<void> {
    await this.db.transaction(async (session) => {
      await session.run(sql`
        INSERT INTO user_pool_sessions (origin_jti, pool_id, sub, client_id, auth_time, created_at, expires_at, revoked_at, scope)
        VALUES (${record.originJti}, ${record.poolId}, ${record.sub}, ${record.clientId}, ${record.authTime}, ${record.createdAt},
          ${record.expiresAt}, ${record.revokedAt}, ${record.scope})`);
      await session.run(sql`INSERT INTO user_pool_refresh_tokens (token_hash, origin_jti, created_at) VALUES (${refreshTokenHash}, ${record.originJti}, ${record.createdAt})`);
    });
  }

  async getSession(originJti: string): Promise<UserPoolSession | null> {
    const row = await this.db.read((session) => session.get<UserPoolSession>(sql`SELECT ${SESSION_COLUMNS} FROM user_pool_sessions s WHERE s.origin_jti = ${originJti}`));
    return row ?? null;
  }

  useRefreshToken(tokenHash: string, nextTokenHash: string | null, now: number, graceMs: number): Promise<RefreshTokenUse> {
    return this.db.transaction(async (session) => {
      const found = await session.get<UserPoolSession & { replacedAt: number | null }>(sql`
        SELECT ${SESSION_COLUMNS}, t.replaced_at AS "replacedAt" FROM user_pool_refresh_tokens t
        JOIN user_pool_sessions s ON s.origin_jti = t.origin_jti WHERE t.token_hash = ${tokenHash}`);
      if (found === undefined) return { outcome: "unknown" };
      const { replacedAt, ...record } = found;
      if (replacedAt !== null && now - replacedAt >= graceMs) {
        await session.run(sql`UPDATE user_pool_sessions SET revoked_at = ${now} WHERE origin_jti = ${record.originJti} AND revoked_at IS NULL`);
        return { outcome: "reused", session: { ...record, revokedAt: record.revokedAt ?? now } };
      }
      if (replacedAt === null) await session.run(sql`UPDATE user_pool_refresh_tokens SET replaced_at = ${now} WHERE token_hash = ${tokenHash}`);
      if (nextTokenHash !== null) {
        await session.run(sql`INSERT INTO user_pool_refresh_tokens (token_hash, origin_jti, created_at) VALUES (${nextTokenHash}, ${record.originJti}, ${now})`);
      }
      return { outcome: "rotated", session: record };
    });
  }

  async grantSessionScope(originJti: string, scope: string): Promise<boolean> {
    const changed = await this.db.write((session) => session.run(sql`UPDATE user_pool_sessions SET scope = ${scope} WHERE origin_jti = ${originJti}`));
    return changed > 0;
  }

  async revokeSession(originJti: string, now: number): Promise<boolean> {
    const changed = await this.db.write((session) =>
      session.run(sql`UPDATE user_pool_sessions SET revoked_at = ${now} WHERE origin_jti = ${originJti} AND revoked_at IS NULL`),
    );
    return changed > 0;
  }

  revokeUserSessions(poolId: string, sub: string, now: number): Promise<number> {
    return this.db.write((session) =>
      session.run(sql`UPDATE user_pool_sessions SET revoked_at = ${now} WHERE pool_id = ${poolId} AND sub = ${sub} AND revoked_at IS NULL`),
    );
  }

  async getTotp(poolId: string, sub: string): Promise<UserPoolTotp | null> {
    const row = await this.db.read((session) =>
      session.get<Omit<UserPoolTotp, "enabled" | "preferred"> & { enabled: number; preferred: number }>(
        sql`SELECT ${TOTP_COLUMNS} FROM user_pool_totp WHERE pool_id = ${poolId} AND sub = ${sub}`,
      ),
    );
    return row === undefined ? null : { ...row, enabled: row.enabled === 1, preferred: row.preferred === 1 };
  }

  async saveTotp(totp: UserPoolTotp): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_totp (pool_id, sub, secret, pending_secret, device_name, enabled, preferred, last_step, updated_at)
        VALUES (${totp.poolId}, ${totp.sub}, ${totp.secret}, ${totp.pendingSecret}, ${totp.deviceName}, ${totp.enabled ? 1 : 0},
          ${totp.preferred ? 1 : 0}, ${totp.lastStep}, ${totp.updatedAt})
        ON CONFLICT (pool_id, sub) DO UPDATE SET secret = excluded.secret, pending_secret = excluded.pending_secret,
          device_name = excluded.device_name, enabled = excluded.enabled, preferred = excluded.preferred,
          last_step = excluded.last_step, updated_at = excluded.updated_at`),
    );
  }

  async useTotpStep(poolId: string, sub: string, step: number): Promise<boolean> {
    const changed = await this.db.write((session) =>
      session.run(sql`
        UPDATE user_pool_totp SET last_step = ${step}
        WHERE pool_id = ${poolId} AND sub = ${sub} AND (last_step IS NULL OR last_step < ${step})`),
    );
    return changed > 0;
  }

  async getSignInFailures(poolId: string, sub: string): Promise<UserPoolSignInFailures | null> {
    const row = await this.db.read((session) =>
      session.get<UserPoolSignInFailures>(sql`
        SELECT failures, last_failed_at AS "lastFailedAt" FROM user_pool_sign_in_failures WHERE pool_id = ${poolId} AND sub = ${sub}`),
    );
    return row ?? null;
  }

  async countSignInFailure(poolId: string, sub: string, now: number, forgetBefore: number): Promise<UserPoolSignInFailures> {
    const row = await this.db.write((session) =>
      session.get<UserPoolSignInFailures>(sql`
        INSERT INTO user_pool_sign_in_failures (pool_id, sub, failures, last_failed_at) VALUES (${poolId}, ${sub}, 1, ${now})
        ON CONFLICT (pool_id, sub) DO UPDATE SET
          failures = CASE WHEN user_pool_sign_in_failures.last_failed_at < ${forgetBefore} THEN 1 ELSE user_pool_sign_in_failures.failures + 1 END,
          last_failed_at = excluded.last_failed_at
        RETURNING failures, last_failed_at AS "lastFailedAt"`),
    );
    return row!;
  }

  async clearSignInFailures(poolId: string, sub: string): Promise<void> {
    await this.db.write((session) => session.run(sql`DELETE FROM user_pool_sign_in_failures WHERE pool_id = ${poolId} AND sub = ${sub}`));
  }

  async addPasswordHistory(poolId: string, sub: string, passwordHash: string, replacedAt: number, keep: number): Promise<void> {
    await this.db.transaction(async (session) => {
      const last = await session.get<{ seq: number | null }>(sql`SELECT MAX(seq) AS seq FROM user_pool_password_history WHERE pool_id = ${poolId} AND sub = ${sub}`);
      const seq = Number(last?.seq ?? 0) + 1;
      if (keep > 0) {
        await session.run(sql`
          INSERT INTO user_pool_password_history (pool_id, sub, seq, password_hash, replaced_at) VALUES (${poolId}, ${sub}, ${seq}, ${passwordHash}, ${replacedAt})`);
      }
      await session.run(sql`DELETE FROM user_pool_password_history WHERE pool_id = ${poolId} AND sub = ${sub} AND seq <= ${seq - keep}`);
    });
  }

  async listPasswordHistory(poolId: string, sub: string, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const rows = await this.db.read((session) =>
      session.all<{ passwordHash: string }>(sql`
        SELECT password_hash AS "passwordHash" FROM user_pool_password_history WHERE pool_id = ${poolId} AND sub = ${sub} ORDER BY seq DESC LIMIT ${limit}`),
    );
    return rows.map((row) => row.passwordHash);
  }
}

async function writeAttributes(session: SqlSession, poolId: string, sub: string, attributes: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(attributes)) {
    await session.run(sql`
      INSERT INTO user_pool_attributes (pool_id, sub, name, value) VALUES (${poolId}, ${sub}, ${name}, ${value})
      ON CONFLICT (pool_id, sub, name) DO UPDATE SET value = excluded.value`);
  }
}
