/**
 * Migration 8, the built-in user pool (`server/user-pool/`): users, their attributes, one-time
 * codes, and sign-in sessions with their refresh tokens. Both dialects side by side in the one
 * shape of `migration.ts`; the queries on these tables are written once in `sql-user-pools.ts`.
 *
 * - Users are keyed by (pool, username) as Cognito's API names them, and unique by (pool, sub),
 *   the id that tokens carry and that never changes.
 * - Attributes are rows, not a JSON column: signing in by email looks a user up by an attribute's
 *   value, which the index `user_pool_attributes_by_value` serves.
 * - A session is one sign-in: its id is the `origin_jti` of every token issued from it, so revoking
 *   it (RevokeToken, GlobalSignOut, a refresh token replayed) refuses its access tokens at once and
 *   ends its whole refresh-token family. Refresh tokens are stored only as SHA-256 hashes.
 * - Everything of a user cascades from the user row: DeleteUser is one statement.
 * The SRP verifier is stored sealed under the master key (it is one hash away from the password).
 */
import type { Migration } from "./migration.js";

/** Migration 8. It ships once merged: never edit it, add a later version instead. */
export const USER_POOL_MIGRATION: Migration = {
  version: 8,
  name: "user pools",
  sqlite: `
    CREATE TABLE user_pool_users (
      pool_id TEXT NOT NULL,
      username TEXT NOT NULL,
      sub TEXT NOT NULL,
      status TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      password_hash TEXT NOT NULL,
      srp_salt TEXT NOT NULL,
      srp_verifier TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, username),
      UNIQUE (pool_id, sub)
    ) STRICT;

    CREATE TABLE user_pool_attributes (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      name TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (pool_id, sub, name),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX user_pool_attributes_by_value ON user_pool_attributes (pool_id, name, value);

    CREATE TABLE user_pool_codes (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      purpose TEXT NOT NULL,
      code_hash TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, sub, purpose),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE user_pool_sessions (
      origin_jti TEXT NOT NULL PRIMARY KEY,
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      client_id TEXT NOT NULL,
      auth_time INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX user_pool_sessions_by_user ON user_pool_sessions (pool_id, sub);

    CREATE TABLE user_pool_refresh_tokens (
      token_hash TEXT NOT NULL PRIMARY KEY,
      origin_jti TEXT NOT NULL REFERENCES user_pool_sessions (origin_jti) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      replaced_at INTEGER
    ) STRICT;
    CREATE INDEX user_pool_refresh_tokens_by_session ON user_pool_refresh_tokens (origin_jti);
  `,
  postgres: `
    CREATE TABLE user_pool_users (
      pool_id text COLLATE "C" NOT NULL,
      username text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      status text NOT NULL,
      enabled integer NOT NULL,
      password_hash text NOT NULL,
      srp_salt text NOT NULL,
      srp_verifier text NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      PRIMARY KEY (pool_id, username),
      UNIQUE (pool_id, sub)
    );

    CREATE TABLE user_pool_attributes (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      name text COLLATE "C" NOT NULL,
      value text COLLATE "C" NOT NULL,
      PRIMARY KEY (pool_id, sub, name),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );
    CREATE INDEX user_pool_attributes_by_value ON user_pool_attributes (pool_id, name, value);

    CREATE TABLE user_pool_codes (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      purpose text COLLATE "C" NOT NULL,
      code_hash text NOT NULL,
      attempts integer NOT NULL,
      expires_at bigint NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (pool_id, sub, purpose),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );

    CREATE TABLE user_pool_sessions (
      origin_jti text COLLATE "C" NOT NULL PRIMARY KEY,
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      client_id text COLLATE "C" NOT NULL,
      auth_time bigint NOT NULL,
      created_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      revoked_at bigint,
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );
    CREATE INDEX user_pool_sessions_by_user ON user_pool_sessions (pool_id, sub);

    CREATE TABLE user_pool_refresh_tokens (
      token_hash text COLLATE "C" NOT NULL PRIMARY KEY,
      origin_jti text COLLATE "C" NOT NULL REFERENCES user_pool_sessions (origin_jti) ON DELETE CASCADE,
      created_at bigint NOT NULL,
      replaced_at bigint
    );
    CREATE INDEX user_pool_refresh_tokens_by_session ON user_pool_refresh_tokens (origin_jti);
  `,
};

/**
 * Migration 9, the user pool's defences: a user's TOTP authenticator (secrets sealed under the
 * master key like the SRP verifier; the last accepted time step, so a code is good once), failed
 * sign-ins for Cognito's lockout schedule, and the hashes of replaced passwords for the pool's
 * password history (numbered per user, newest highest). All three cascade from the user row.
 */
export const USER_POOL_MFA_MIGRATION: Migration = {
  version: 9,
  name: "user pool mfa, lockout and password history",
  sqlite: `
    CREATE TABLE user_pool_totp (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      secret TEXT,
      pending_secret TEXT,
      device_name TEXT,
      enabled INTEGER NOT NULL,
      preferred INTEGER NOT NULL,
      last_step INTEGER,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE user_pool_sign_in_failures (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      failures INTEGER NOT NULL,
      last_failed_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE user_pool_password_history (
      pool_id TEXT NOT NULL,
      sub TEXT NOT NULL,
      seq INTEGER NOT NULL,
      password_hash TEXT NOT NULL,
      replaced_at INTEGER NOT NULL,
      PRIMARY KEY (pool_id, sub, seq),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
  `,
  postgres: `
    CREATE TABLE user_pool_totp (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      secret text,
      pending_secret text,
      device_name text,
      enabled integer NOT NULL,
      preferred integer NOT NULL,
      last_step bigint,
      updated_at bigint NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );

    CREATE TABLE user_pool_sign_in_failures (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      failures integer NOT NULL,
      last_failed_at bigint NOT NULL,
      PRIMARY KEY (pool_id, sub),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );

    CREATE TABLE user_pool_password_history (
      pool_id text COLLATE "C" NOT NULL,
      sub text COLLATE "C" NOT NULL,
      seq integer NOT NULL,
      password_hash text NOT NULL,
      replaced_at bigint NOT NULL,
      PRIMARY KEY (pool_id, sub, seq),
      FOREIGN KEY (pool_id, sub) REFERENCES user_pool_users (pool_id, sub) ON DELETE CASCADE
    );
  `,
};
