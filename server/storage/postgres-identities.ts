/**
 * The PostgreSQL adapter's `IdentityStore`: logins, identity status, listing, merges, and the
 * migration that adds their tables (the same tables and meaning as `sqlite-identities.ts`).
 * `postgres.ts` owns the pool and hands this store reads, autocommit writes and transactions.
 *
 * Locks of a merge, in this order (the order of `postgres-dataset-tx.ts`, extended):
 * 1. every dataset's advisory lock, sorted by (identity, name);
 * 2. the source identity's row, `FOR UPDATE`: a push of the source takes `FOR KEY SHARE` on it
 *    after its dataset lock (`assertPostgresIdentityWritable`), so a push that was already past
 *    its dataset lock finishes first, and one that comes later sees the source disabled;
 * 3. the identities' advisory locks (dataset creation), sorted by id.
 */
import type pg from "pg";
import {
  identityDisabled,
  type CreatedOrFound,
  type DatasetRef,
  type IdentityStatus,
  type IdentityStore,
  type IdentitySummary,
  type LinkedLogin,
  type LoginKey,
  type MergeWriteTx,
} from "./identity-store.js";
import { PostgresDatasetTx } from "./postgres-dataset-tx.js";
import { PostgresMergeTx } from "./postgres-merge-tx.js";
import type { PostgresMigration } from "./postgres-migrations.js";
import { type Queryable, decodeText, encodeText } from "./postgres-rows.js";

/** Migration 4 (listed in `postgres-migrations.ts`); see `SQLITE_IDENTITIES_MIGRATION` for the design. */
export const POSTGRES_IDENTITIES_MIGRATION: PostgresMigration = {
  version: 4,
  name: "logins, identity status, dataset merges",
  sql: `
    ALTER TABLE identities ADD COLUMN disabled_at bigint;
    ALTER TABLE identities ADD COLUMN merged_into text COLLATE "C";
    CREATE INDEX identities_by_pool ON identities (pool_id, id);

    CREATE TABLE logins (
      pool_id text COLLATE "C" NOT NULL,
      provider text COLLATE "C" NOT NULL,
      subject text COLLATE "C" NOT NULL,
      identity_id text COLLATE "C" NOT NULL REFERENCES identities (id),
      linked_at bigint NOT NULL,
      PRIMARY KEY (pool_id, provider, subject)
    );
    CREATE INDEX logins_by_identity ON logins (identity_id, provider, subject);

    CREATE TABLE dataset_merges (
      identity_id text COLLATE "C" NOT NULL,
      dataset text COLLATE "C" NOT NULL,
      sync_count bigint NOT NULL,
      merged_dataset text COLLATE "C" NOT NULL,
      source_identity_id text COLLATE "C" NOT NULL,
      merged_at bigint NOT NULL,
      PRIMARY KEY (identity_id, dataset, sync_count, merged_dataset)
    );
  `,
};

/** How the store reaches the adapter's pool. */
export interface PostgresIdentityConnections {
  /** Runs a read (tracked for `close()`). */
  read<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs an autocommit write (tracked, and refused inside a `writeDataset` callback). */
  write<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` in a READ COMMITTED transaction on one client: commit on resolve, rollback on throw. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** The adapter's schema, part of every advisory lock key. */
  schema(): string;
}

const STATUS_COLUMNS = `id, pool_id AS "poolId", secret_hash IS NOT NULL AS "hasSecret", disabled_at AS "disabledAt",
  merged_into AS "mergedInto"`;

/** The identity's status as `db` sees it now; `lock` appends a row lock clause. */
export async function selectIdentityStatus(db: Queryable, id: string, lock = ""): Promise<IdentityStatus | null> {
  const { rows } = await db.query<IdentityStatus>(`SELECT ${STATUS_COLUMNS} FROM identities WHERE id = $1 ${lock}`, [id]);
  return rows[0] ?? null;
}

/**
 * Called by `writeDataset` right after its dataset lock: a disabled (or merged) identity writes
 * nothing. `FOR KEY SHARE` waits for a merge that holds the row and then reads its outcome.
 */
export async function assertPostgresIdentityWritable(client: Queryable, identityId: string): Promise<void> {
  const status = await selectIdentityStatus(client, identityId, "FOR KEY SHARE");
  if (status?.disabledAt != null) throw identityDisabled(status);
}

/** Key of an identity's dataset-creation lock: must stay equal to `PostgresDatasetTx`'s. */
export const identityLockKey = (schema: string, identityId: string) => `syncpool.datasets.${schema}.${identityId}`;

/** Thrown inside a transaction to roll it back and answer `found` instead. */
class Found {
  constructor(readonly identityId: string) {}
}

/** `IdentityStore` over PostgreSQL. */
export class PostgresIdentityStore implements IdentityStore {
  constructor(private readonly db: PostgresIdentityConnections) {}

  getIdentityStatus(id: string): Promise<IdentityStatus | null> {
    return this.db.read((pool) => selectIdentityStatus(pool, id));
  }

  findLoginOwner(poolId: string, login: LoginKey): Promise<string | null> {
    return this.db.read((pool) => ownerOf(pool, poolId, login));
  }

  async createIdentityWithLogins(
    identity: { id: string; poolId: string; secretHash: string | null; createdAt: number },
    logins: readonly LoginKey[],
  ): Promise<CreatedOrFound> {
    try {
      return await this.db.transaction(async (client) => {
        await client.query("INSERT INTO identities (id, pool_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)", [
          identity.id,
          identity.poolId,
          identity.secretHash,
          identity.createdAt,
        ]);
        for (const login of logins) {
          // A racing first sign-in with the same login makes this wait for its commit, then skip.
          if (!(await insertLogin(client, identity.poolId, login, identity.id, identity.createdAt))) {
            throw new Found((await ownerOf(client, identity.poolId, login))!);
          }
        }
        return { identityId: identity.id, created: true };
      });
    } catch (error) {
      if (error instanceof Found) return { identityId: error.identityId, created: false };
      throw error;
    }
  }

  async linkLogins(identityId: string, poolId: string, logins: readonly LoginKey[], linkedAt: number): Promise<{ linkedElsewhere: string | null }> {
    try {
      return await this.db.transaction(async (client) => {
        let inserted = false;
        for (const login of logins) {
          if (await insertLogin(client, poolId, login, identityId, linkedAt)) {
            inserted = true;
            continue;
          }
          const owner = (await ownerOf(client, poolId, login))!;
          if (owner !== identityId) throw new Found(owner);
        }
        // A device secret proves a guest only while it has no login (server/identity/sign-in.ts).
        if (inserted) await client.query("UPDATE identities SET secret_hash = NULL WHERE id = $1", [identityId]);
        return { linkedElsewhere: null };
      });
    } catch (error) {
      if (error instanceof Found) return { linkedElsewhere: error.identityId };
      throw error;
    }
  }

  async unlinkLogins(identityId: string, provider: string): Promise<number> {
    const { rowCount } = await this.db.write((pool) =>
      pool.query("DELETE FROM logins WHERE identity_id = $1 AND provider = $2", [identityId, encodeText(provider)]),
    );
    return rowCount ?? 0;
  }

  listLogins(identityId: string): Promise<LinkedLogin[]> {
    return this.db.read((pool) => selectLogins(pool, [identityId]).then((byIdentity) => byIdentity.get(identityId) ?? []));
  }

  async disableIdentity(id: string, disabledAt: number): Promise<boolean> {
    const { rows } = await this.db.write((pool) =>
      pool.query(
        // The row exists either way; only a first disable stamps the time.
        "UPDATE identities SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1 RETURNING 1",
        [id, disabledAt],
      ),
    );
    return rows.length > 0;
  }

  listIdentities(poolId: string, afterId: string | null, limit: number): Promise<IdentitySummary[]> {
    return this.db.read(async (pool) => {
      const { rows } = await pool.query<IdentityStatus & { createdAt: number }>(
        `SELECT ${STATUS_COLUMNS}, created_at AS "createdAt" FROM identities WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [poolId, afterId ?? "", limit],
      );
      const logins = await selectLogins(pool, rows.map((row) => row.id));
      return rows.map((row) => ({ ...row, logins: logins.get(row.id) ?? [] }));
    });
  }

  writeMerge<T>(sourceId: string, targetId: string, datasets: readonly DatasetRef[], fn: (tx: MergeWriteTx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (client) => {
      const schema = this.db.schema();
      const locked = new Map<string, PostgresDatasetTx>();
      for (const ref of sortRefs(datasets)) {
        locked.set(JSON.stringify([ref.identityId, ref.name]), await PostgresDatasetTx.lock(client, schema, ref.identityId, ref.name));
      }
      const source = await selectIdentityStatus(client, sourceId, "FOR UPDATE");
      for (const id of [...new Set([sourceId, targetId])].sort()) {
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [identityLockKey(schema, id)]);
      }
      const tx = new PostgresMergeTx(client, source, locked);
      try {
        return await fn(tx);
      } finally {
        tx.end();
      }
    });
  }

  listMergedDatasetNames(identityId: string, dataset: string, sinceSyncCount: number, untilSyncCount: number): Promise<string[]> {
    return this.db.read(async (pool) => {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT DISTINCT merged_dataset AS name FROM dataset_merges
         WHERE identity_id = $1 AND dataset = $2 AND sync_count > $3 AND sync_count <= $4 ORDER BY merged_dataset`,
        [identityId, dataset, sinceSyncCount, untilSyncCount],
      );
      return rows.map((row) => row.name);
    });
  }
}

/** One total order every process agrees on, with duplicates removed. */
function sortRefs(datasets: readonly DatasetRef[]): DatasetRef[] {
  const unique = new Map(datasets.map((ref) => [JSON.stringify([ref.identityId, ref.name]), ref]));
  return [...unique.values()].sort((a, b) =>
    a.identityId !== b.identityId ? (a.identityId < b.identityId ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

async function ownerOf(db: Queryable, poolId: string, login: LoginKey): Promise<string | null> {
  const { rows } = await db.query<{ identityId: string }>(
    `SELECT identity_id AS "identityId" FROM logins WHERE pool_id = $1 AND provider = $2 AND subject = $3`,
    [poolId, encodeText(login.provider), encodeText(login.subject)],
  );
  return rows[0]?.identityId ?? null;
}

/** Inserts the login; false when the pool already has it (linked to whichever identity). */
async function insertLogin(db: Queryable, poolId: string, login: LoginKey, identityId: string, linkedAt: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO logins (pool_id, provider, subject, identity_id, linked_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (pool_id, provider, subject) DO NOTHING`,
    [poolId, encodeText(login.provider), encodeText(login.subject), identityId, linkedAt],
  );
  return rowCount === 1;
}

async function selectLogins(db: Queryable, identityIds: readonly string[]): Promise<Map<string, LinkedLogin[]>> {
  const byIdentity = new Map<string, LinkedLogin[]>();
  if (identityIds.length === 0) return byIdentity;
  const { rows } = await db.query<LinkedLogin & { identityId: string }>(
    `SELECT identity_id AS "identityId", provider, subject, linked_at AS "linkedAt" FROM logins
     WHERE identity_id = ANY($1::text[]) ORDER BY identity_id, provider, subject`,
    [identityIds],
  );
  for (const { identityId, ...login } of rows) {
    const list = byIdentity.get(identityId) ?? [];
    list.push({ ...login, provider: decodeText(login.provider), subject: decodeText(login.subject) });
    byIdentity.set(identityId, list);
  }
  return byIdentity;
}
