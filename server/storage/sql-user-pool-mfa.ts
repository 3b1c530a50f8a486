/**
 * The email and SMS MFA part of the `UserPoolStore` (`user-pool-store.ts`), written once as SQL on
 * the table of migration 13 (`user-pool-mfa-migrations.ts`). `SqlUserPoolStore` extends it.
 */
import type { UserPoolMfaOptions } from "./user-pool-store.js";
import { SqlUserPoolUserList } from "./sql-user-pool-user-list.js";
import { raw, sql } from "./sql.js";

const MFA_OPTIONS_COLUMNS = raw(`pool_id AS "poolId", sub, email_enabled AS "emailEnabled", sms_enabled AS "smsEnabled", preferred, updated_at AS "updatedAt"`);

type MfaOptionsRow = Omit<UserPoolMfaOptions, "emailEnabled" | "smsEnabled"> & { emailEnabled: number; smsEnabled: number };

/** Email and SMS MFA settings over either backend (groups, passkeys and listings in the classes it extends). */
export class SqlUserPoolMfaStore extends SqlUserPoolUserList {
  async getMfaOptions(poolId: string, sub: string): Promise<UserPoolMfaOptions | null> {
    const row = await this.db.read((session) =>
      session.get<MfaOptionsRow>(sql`SELECT ${MFA_OPTIONS_COLUMNS} FROM user_pool_mfa_options WHERE pool_id = ${poolId} AND sub = ${sub}`),
    );
    return row === undefined ? null : { ...row, emailEnabled: row.emailEnabled === 1, smsEnabled: row.smsEnabled === 1 };
  }

  async saveMfaOptions(options: UserPoolMfaOptions): Promise<void> {
    await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_mfa_options (pool_id, sub, email_enabled, sms_enabled, preferred, updated_at)
        VALUES (${options.poolId}, ${options.sub}, ${options.emailEnabled ? 1 : 0}, ${options.smsEnabled ? 1 : 0}, ${options.preferred}, ${options.updatedAt})
        ON CONFLICT (pool_id, sub) DO UPDATE SET email_enabled = excluded.email_enabled, sms_enabled = excluded.sms_enabled,
          preferred = excluded.preferred, updated_at = excluded.updated_at`),
    );
  }
}
