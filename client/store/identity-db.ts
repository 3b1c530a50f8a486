/**
 * One Dexie database per identity, `syncpool:<identityId>`, so one user's data never shows to the
 * next. Only `client/store/` imports Dexie; everything above talks to the functions of this folder.
 */
import { Dexie, type Table } from "dexie";
import { RecordCache } from "./record-cache.js";
import type { LocalRecord, MetaRow, OutboxRow } from "./rows.js";

/** Where IndexedDB comes from: the browser's by default, fake-indexeddb in Node tests. */
export interface IndexedDbDependencies {
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

/** The identity database with its three tables, and the decoded records queries read. */
export class IdentityDb extends Dexie {
  records!: Table<LocalRecord, [string, string]>;
  outbox!: Table<OutboxRow, number>;
  meta!: Table<MetaRow, string>;
  readonly recordCache = new RecordCache(this);

  constructor(identityId: string, deps: IndexedDbDependencies) {
    super(identityDbName(identityId), dexieOptions(deps));
    this.version(1).stores({
      records: "[dataset+key], dataset",
      outbox: "++seq, dataset, [dataset+key]",
      meta: "id",
    });
  }

  /** Closes the database; its cached records go with it (nothing is trusted across a close). */
  override close(options?: { disableAutoOpen: boolean }): void {
    this.recordCache.clear();
    super.close(options);
  }
}

/** The database name of an identity. */
export function identityDbName(identityId: string): string {
  return `syncpool:${identityId}`;
}

/** Dexie's constructor options for the given IndexedDB implementation. */
export function dexieOptions(deps: IndexedDbDependencies): ConstructorParameters<typeof Dexie>[1] {
  const options: NonNullable<ConstructorParameters<typeof Dexie>[1]> = {};
  if (deps.indexedDB) options.indexedDB = deps.indexedDB;
  const keyRange = deps.IDBKeyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  if (keyRange) options.IDBKeyRange = keyRange;
  // Where there is no global IndexedDB (Node), Dexie's liveQuery never runs: it checks its
  // global dependencies, not the database's. Giving it the injected one makes it work; each
  // database still uses its own factory.
  const dependencies = Dexie.dependencies as { indexedDB?: unknown; IDBKeyRange?: unknown };
  if (!dependencies.indexedDB && deps.indexedDB) {
    dependencies.indexedDB = deps.indexedDB;
    dependencies.IDBKeyRange ??= keyRange;
  }
  return options;
}

/** Opens (creating when needed) an identity's database. */
export async function openIdentityDb(identityId: string, deps: IndexedDbDependencies): Promise<IdentityDb> {
  const db = new IdentityDb(identityId, deps);
  await db.open();
  return db;
}

/** Deletes an identity's database and everything in it. */
export async function deleteIdentityDb(identityId: string, deps: IndexedDbDependencies): Promise<void> {
  await new IdentityDb(identityId, deps).delete();
}
