/**
 * The passkey part of the `UserPoolStore` (`user-pool-store.ts`), written once as SQL on the table
 * of migration 11 (`user-pool-webauthn-migrations.ts`). `SqlUserPoolStore` extends it (and it the
 * group part), so both backends reach passkeys as `storage.userPools` like the rest of the user pool.
 * Transports are stored as a JSON array in one text column.
 */
import type { UserPoolPage, UserPoolWebAuthnCredential, UserPoolWebAuthnStore } from "./user-pool-store.js";
import { SqlUserPoolGroupStore } from "./sql-user-pool-groups.js";
import { raw, sql } from "./sql.js";

const CREDENTIAL_COLUMNS = raw(`pool_id AS "poolId", credential_id AS "credentialId", sub, public_key AS "publicKey", sign_count AS "signCount",
  transports, friendly_name AS "friendlyName", relying_party_id AS "relyingPartyId", authenticator_attachment AS "authenticatorAttachment",
  created_at AS "createdAt", last_used_at AS "lastUsedAt"`);

type CredentialRow = Omit<UserPoolWebAuthnCredential, "transports"> & { transports: string };

const fromRow = (row: CredentialRow): UserPoolWebAuthnCredential => ({ ...row, signCount: Number(row.signCount), transports: JSON.parse(row.transports) as string[] });

/** `UserPoolWebAuthnStore` over either backend, with the group store beneath it. */
export class SqlUserPoolWebAuthnStore extends SqlUserPoolGroupStore implements UserPoolWebAuthnStore {
  async addWebAuthnCredential(credential: UserPoolWebAuthnCredential): Promise<boolean> {
    const c = credential;
    const inserted = await this.db.write((session) =>
      session.run(sql`
        INSERT INTO user_pool_webauthn_credentials (pool_id, credential_id, sub, public_key, sign_count, transports, friendly_name, relying_party_id,
          authenticator_attachment, created_at, last_used_at)
        VALUES (${c.poolId}, ${c.credentialId}, ${c.sub}, ${c.publicKey}, ${c.signCount}, ${JSON.stringify(c.transports)}, ${c.friendlyName},
          ${c.relyingPartyId}, ${c.authenticatorAttachment}, ${c.createdAt}, ${c.lastUsedAt})
        ON CONFLICT (pool_id, credential_id) DO NOTHING`),
    );
    return inserted > 0;
  }

  async getWebAuthnCredential(poolId: string, credentialId: string): Promise<UserPoolWebAuthnCredential | null> {
    const row = await this.db.read((session) =>
      session.get<CredentialRow>(sql`SELECT ${CREDENTIAL_COLUMNS} FROM user_pool_webauthn_credentials WHERE pool_id = ${poolId} AND credential_id = ${credentialId}`),
    );
    return row ? fromRow(row) : null;
  }

  async listWebAuthnCredentials(poolId: string, sub: string, after: string | null, limit: number): Promise<UserPoolPage<UserPoolWebAuthnCredential>> {
    const rows = await this.db.read((session) =>
      session.all<CredentialRow>(sql`
        SELECT ${CREDENTIAL_COLUMNS} FROM user_pool_webauthn_credentials
        WHERE pool_id = ${poolId} AND sub = ${sub} AND credential_id > ${after ?? ""}
        ORDER BY credential_id LIMIT ${limit}`),
    );
    return { items: rows.map(fromRow), next: rows.length === limit ? rows.at(-1)!.credentialId : null };
  }

  async countWebAuthnCredentials(poolId: string, sub: string): Promise<number> {
    const row = await this.db.read((session) =>
      session.get<{ count: number }>(sql`SELECT count(*) AS count FROM user_pool_webauthn_credentials WHERE pool_id = ${poolId} AND sub = ${sub}`),
    );
    return Number(row?.count ?? 0);
  }

  async deleteWebAuthnCredential(poolId: string, sub: string, credentialId: string): Promise<boolean> {
    const deleted = await this.db.write((session) =>
      session.run(sql`DELETE FROM user_pool_webauthn_credentials WHERE pool_id = ${poolId} AND sub = ${sub} AND credential_id = ${credentialId}`),
    );
    return deleted > 0;
  }

  async useWebAuthnCredential(poolId: string, credentialId: string, expectedSignCount: number, signCount: number, usedAt: number): Promise<boolean> {
    const updated = await this.db.write((session) =>
      session.run(sql`
        UPDATE user_pool_webauthn_credentials SET sign_count = ${signCount}, last_used_at = ${usedAt}
        WHERE pool_id = ${poolId} AND credential_id = ${credentialId} AND sign_count = ${expectedSignCount}`),
    );
    return updated > 0;
  }
}
