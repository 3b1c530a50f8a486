/**
 * The answered challenge sessions of the `UserPoolStore` (`user-pool-store.ts`), written once as SQL
 * on the table of migration 14 (`user-pool-used-session-migrations.ts`). The primary key does the
 * work: of two answers to one session, on one instance or on two sharing the database, exactly one
 * inserts its row. An MFA challenge's answer ends its attempts row and records its session in one
 * transaction, so a replay finds the record wherever it finds the row gone. `SqlUserPoolStore` extends it.
 */
import type { UserPoolUsedSessionStore } from "./user-pool-store.js";
import { SqlUserPoolMfaStore } from "./sql-user-pool-mfa.js";
import { sql } from "./sql.js";

/** Answered sessions over either backend (email and SMS MFA, groups, passkeys and listings in the classes it extends). */
export class SqlUserPoolUsedSessionStore extends SqlUserPoolMfaStore implements UserPoolUsedSessionStore {
  async useChallengeSession(poolId: string, sessionHash: string, expiresAt: number): Promise<boolean> {
    const inserted = await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_used_sessions (pool_id, session_hash, expires_at) VALUES (${poolId}, ${sessionHash}, ${expiresAt})
        ON CONFLICT (pool_id, session_hash) DO NOTHING`),
    );
    return inserted > 0;
  }

  endChallengeSession(poolId: string, sub: string, purpose: string, sessionHash: string, expiresAt: number): Promise<boolean> {
    return this.db.transaction(async (session) => {
      const deleted = await session.run(sql`DELETE FROM user_pool_codes WHERE pool_id = ${poolId} AND sub = ${sub} AND purpose = ${purpose}`);
      if (deleted === 0) return false;
      await session.run(sql`
        INSERT INTO user_pool_used_sessions (pool_id, session_hash, expires_at) VALUES (${poolId}, ${sessionHash}, ${expiresAt})
        ON CONFLICT (pool_id, session_hash) DO NOTHING`);
      return true;
    });
  }

  async isChallengeSessionUsed(poolId: string, sessionHash: string): Promise<boolean> {
    const row = await this.db.read((session) =>
      session.get<{ found: number }>(sql`SELECT 1 AS found FROM user_pool_used_sessions WHERE pool_id = ${poolId} AND session_hash = ${sessionHash}`),
    );
    return row !== undefined;
  }

  purgeUsedChallengeSessions(before: number): Promise<number> {
    return this.db.write((session) => session.run(sql`DELETE FROM user_pool_used_sessions WHERE expires_at < ${before}`));
  }
}
