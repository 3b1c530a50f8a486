/**
 * The `IdentityStore` (`identity-store.ts`) of both backends, written once as SQL (`sql.ts`); the
 * tables are migration 4 (`identity-migrations.ts`). What differs per backend is only how writes
 * are locked, and the backend supplies it (`IdentityConnections`): SQLite's single writer holds
 * everything at once, PostgreSQL takes advisory and row locks in one fixed order
 * (`postgres-locks.ts`). Provider and subject are free text: PostgreSQL's session carries
 * them through its U+0000 codec.
 */
import {
  type CreatedOrFound,
  type DatasetRef,
  type IdentityStatus,
  type IdentityStore,
  type IdentitySummary,
  type LinkedLogin,
  type LoginKey,
  type MergeWriteTx,
} from "./identity-store.js";
import { type SqlConnections, type SqlSession, raw, sql } from "./sql.js";
import { type EndableDatasetTx, SqlMergeTx } from "./sql-merge-tx.js";

/** The locks a merge takes, as `IdentityConnections.mergeTransaction` receives them. */
export interface MergeLocks {
  /** The identity that is merged away: its status row is locked after the datasets. */
  sourceId: string;
  /** Source and target, sorted, without duplicates: their dataset-creation locks come last. */
  identityIds: readonly string[];
  /** Every pair the merge writes, sorted by (identity, name), without duplicates. */
  datasets: readonly DatasetRef[];
}

/** How the store reaches its backend: the sub-store connections, plus how a merge is locked. */
export interface IdentityConnections extends SqlConnections {
  /**
   * Runs `fn` in one write transaction that first takes `locks` in the order they are listed
   * (every dataset, each with its write handle; the source's status row; the identities'
   * dataset-creation locks), so merges and pushes never wait on each other in a cycle. Commits
   * when `fn` resolves, rolls back when it throws. `writeMerge` ends the handles as `fn` settles.
   */
  mergeTransaction<T>(locks: MergeLocks, fn: (session: SqlSession, datasets: readonly EndableDatasetTx[]) => Promise<T>): Promise<T>;
}

const STATUS_COLUMNS = raw(`i.id, i.pool_id AS "poolId", i.secret_hash IS NOT NULL AS "hasSecret", i.disabled_at AS "disabledAt",
  i.merged_into AS "mergedInto"`);

/** SQLite answers a comparison with 0/1, PostgreSQL with a boolean. */
type StatusRow = Omit<IdentityStatus, "hasSecret"> & { hasSecret: boolean | 0 | 1 };
const toStatus = ({ hasSecret, ...row }: StatusRow): IdentityStatus => ({ ...row, hasSecret: hasSecret === true || hasSecret === 1 });

/**
 * The identity's status as `session` sees it now, or null. Every request with a token reads it:
 * the columns are `STATUS_COLUMNS` written out, so the query is a plain template whose text is
 * rendered once (`renderSql`), and SQLite answers it without a promise (`SqlSession.now`).
 */
async function selectStatus(session: SqlSession, id: string): Promise<IdentityStatus | null> {
  const query = sql`SELECT i.id, i.pool_id AS "poolId", i.secret_hash IS NOT NULL AS "hasSecret", i.disabled_at AS "disabledAt",
    i.merged_into AS "mergedInto" FROM identities i WHERE i.id = ${id}`;
  const row = session.now ? session.now.get<StatusRow>(query) : await session.get<StatusRow>(query);
  return row ? toStatus(row) : null;
}

/** Thrown inside a transaction to roll it back and answer `identityId` instead. */
class Found {
  constructor(readonly identityId: string) {}
}

/** `IdentityStore` over either backend. */
export class SqlIdentityStore implements IdentityStore {
  constructor(private readonly db: IdentityConnections) {}

  getIdentityStatus(id: string): Promise<IdentityStatus | null> {
    return this.db.read((session) => selectStatus(session, id));
  }

  findLoginOwner(poolId: string, login: LoginKey): Promise<string | null> {
    return this.db.read((session) => ownerOf(session, poolId, login));
  }

  async createIdentityWithLogins(
    identity: { id: string; poolId: string; secretHash: string | null; createdAt: number },
    logins: readonly LoginKey[],
  ): Promise<CreatedOrFound> {
    const { id, poolId, secretHash, createdAt } = identity;
    try {
      return await this.db.transaction(async (session) => {
        await session.run(sql`INSERT INTO identities (id, pool_id, secret_hash, created_at) VALUES (${id}, ${poolId}, ${secretHash}, ${createdAt})`);
        for (const login of uniqueLogins(logins)) {
          // On PostgreSQL a racing first sign-in with the same login makes this wait for its commit, then skip.
          if (!(await insertLogin(session, poolId, login, id, createdAt))) throw new Found((await ownerOf(session, poolId, login))!);
        }
        return { identityId: id, created: true };
      });
    } catch (error) {
      if (error instanceof Found) return { identityId: error.identityId, created: false };
      throw error;
    }
  }

  async linkLogins(identityId: string, poolId: string, logins: readonly LoginKey[], linkedAt: number): Promise<{ linkedElsewhere: string | null }> {
    try {
      return await this.db.transaction(async (session) => {
        let inserted = false;
        for (const login of uniqueLogins(logins)) {
          if (await insertLogin(session, poolId, login, identityId, linkedAt)) {
            inserted = true;
            continue;
          }
          const owner = (await ownerOf(session, poolId, login))!;
          if (owner !== identityId) throw new Found(owner);
        }
        // A device secret proves a guest only while it has no login (server/identity/sign-in.ts).
        if (inserted) await session.run(sql`UPDATE identities SET secret_hash = NULL WHERE id = ${identityId}`);
        return { linkedElsewhere: null };
      });
    } catch (error) {
      if (error instanceof Found) return { linkedElsewhere: error.identityId };
      throw error;
    }
  }

  unlinkLogins(identityId: string, provider: string): Promise<number> {
    return this.db.write((session) => session.run(sql`DELETE FROM logins WHERE identity_id = ${identityId} AND provider = ${provider}`));
  }

  listLogins(identityId: string): Promise<LinkedLogin[]> {
    return this.db.read((session) =>
      session.all<LinkedLogin>(sql`
        SELECT provider, subject, linked_at AS "linkedAt" FROM logins WHERE identity_id = ${identityId} ORDER BY provider, subject`),
    );
  }

  async disableIdentity(id: string, disabledAt: number): Promise<boolean> {
    // The row matches either way; only a first disable stamps the time.
    const matched = await this.db.write((session) =>
      session.run(sql`UPDATE identities SET disabled_at = COALESCE(disabled_at, ${disabledAt}) WHERE id = ${id}`),
    );
    return matched > 0;
  }

  async listIdentities(poolId: string, afterId: string | null, limit: number): Promise<IdentitySummary[]> {
    // One statement, so the page and its logins come from one snapshot on both backends.
    const rows = await this.db.read((session) =>
      session.all<StatusRow & { createdAt: number; provider: string | null; subject: string | null; linkedAt: number | null }>(sql`
        SELECT ${STATUS_COLUMNS}, i.created_at AS "createdAt", l.provider, l.subject, l.linked_at AS "linkedAt"
        FROM (SELECT * FROM identities WHERE pool_id = ${poolId} AND id > ${afterId ?? ""} ORDER BY id LIMIT ${limit}) i
        LEFT JOIN logins l ON l.identity_id = i.id
        ORDER BY i.id, l.provider, l.subject`),
    );
    const page = new Map<string, IdentitySummary>();
    for (const { provider, subject, linkedAt, createdAt, ...status } of rows) {
      let summary = page.get(status.id);
      if (!summary) page.set(status.id, (summary = { ...toStatus(status), createdAt, logins: [] }));
      if (provider !== null) summary.logins.push({ provider, subject: subject!, linkedAt: linkedAt! });
    }
    return [...page.values()];
  }

  writeMerge<T>(sourceId: string, targetId: string, datasets: readonly DatasetRef[], fn: (tx: MergeWriteTx) => Promise<T>): Promise<T> {
    const locks: MergeLocks = { sourceId, identityIds: [...new Set([sourceId, targetId])].sort(), datasets: sortDatasetRefs(datasets) };
    return this.db.mergeTransaction(locks, async (session, handles) => {
      const tx = new SqlMergeTx(session, await selectStatus(session, sourceId), handles, locks.datasets);
      try {
        return await fn(tx);
      } finally {
        tx.end();
      }
    });
  }

  async listMergedDatasetNames(identityId: string, dataset: string, sinceSyncCount: number, untilSyncCount: number): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.all<{ name: string }>(sql`
        SELECT DISTINCT merged_dataset AS name FROM dataset_merges
        WHERE identity_id = ${identityId} AND dataset = ${dataset} AND sync_count > ${sinceSyncCount} AND sync_count <= ${untilSyncCount}
        ORDER BY merged_dataset`),
    );
    return rows.map((row) => row.name);
  }
}

/** One total order of dataset locks every process agrees on (merges and group commits), with duplicates removed. */
export function sortDatasetRefs(datasets: readonly DatasetRef[]): DatasetRef[] {
  const unique = new Map(datasets.map((ref) => [JSON.stringify([ref.identityId, ref.name]), ref]));
  return [...unique.values()].sort((a, b) =>
    a.identityId !== b.identityId ? (a.identityId < b.identityId ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/** A login listed twice is one login: linking it once is what the caller asked for. */
function uniqueLogins(logins: readonly LoginKey[]): LoginKey[] {
  return [...new Map(logins.map((login) => [JSON.stringify([login.provider, login.subject]), login])).values()];
}

async function ownerOf(session: SqlSession, poolId: string, login: LoginKey): Promise<string | null> {
  const row = await session.get<{ identityId: string }>(sql`
    SELECT identity_id AS "identityId" FROM logins WHERE pool_id = ${poolId} AND provider = ${login.provider} AND subject = ${login.subject}`);
  return row?.identityId ?? null;
}

/** Inserts the login; false when the pool already has it (linked to whichever identity). */
async function insertLogin(session: SqlSession, poolId: string, login: LoginKey, identityId: string, linkedAt: number): Promise<boolean> {
  const inserted = await session.run(sql`
    INSERT INTO logins (pool_id, provider, subject, identity_id, linked_at)
    VALUES (${poolId}, ${login.provider}, ${login.subject}, ${identityId}, ${linkedAt})
    ON CONFLICT (pool_id, provider, subject) DO NOTHING`);
  return inserted === 1;
}
