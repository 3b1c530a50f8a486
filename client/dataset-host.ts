/**
 * What `Dataset` handles call into (`DatasetHost`), built once per client. Every call acts on the
 * identity signed in at that moment (`active()` throws UNAUTHENTICATED while nobody is), so a
 * handle taken before a sign-out or a switch of identity keeps working on whoever is signed in.
 */
import type { ConflictStrategy, Limits, PatchOp, RecordKind } from "../core/types.js";
import { writeManyTo, writeTo, type Active } from "./active-identity.js";
import type { DatasetHost, DatasetUsage } from "./dataset.js";
import { followIdentity, type IdentitySignal } from "./follow-identity.js";
import { discardPendingWrites, listPendingWrites } from "./pending-writes.js";
import type { Session } from "./session.js";
import { deleteDatasetLocally, saveConflictStrategy } from "./store/dataset-store.js";
import * as reads from "./store/read-records.js";
import { toSyncRecord } from "./store/record-state.js";
import type { ConflictHandler } from "./sync/resolve-conflicts.js";
import type { Transport } from "./transport/transport.js";

/** The client's parts a dataset handle reaches through. */
export interface DatasetHostDeps {
  /** The identity signed in; throws UNAUTHENTICATED when none is. */
  active(): Active;
  /** Announces each change of the identity signed in (live queries follow it). */
  identity: IdentitySignal<Active>;
  /** The limits writes are checked against (updated in place as the server tells them). */
  limits: Limits;
  session: Session;
  transport: Transport;
  /** Per-dataset conflict handlers the app set; the client's `onConflict` applies to the others. */
  handlers: Map<string, ConflictHandler>;
}

/** Builds the host every `Dataset` of one client shares. */
export function createDatasetHost(deps: DatasetHostDeps): DatasetHost {
  const { active } = deps;
  return {
    write: (dataset: string, key: string, op: PatchOp, value: string | null, kind: RecordKind) => writeTo(active(), { dataset, key, op, value, kind }),
    writeMany: (writes) => writeManyTo(active(), writes),
    record: async (dataset, key) => {
      const record = await reads.readRecord(active().db, dataset, key);
      return record ? toSyncRecord(record) : undefined;
    },
    liveRecords: async (dataset) => (await reads.readLiveRecords(active().db, dataset)).map(toSyncRecord),
    observe: (read, signedOut) => followIdentity(deps.identity, () => reads.observe(read), signedOut),
    recordCache: () => active().db.recordCache,
    followCache: (watch, signedOut) => followIdentity(deps.identity, () => watch(active().db.recordCache), signedOut),
    usage: async (dataset): Promise<DatasetUsage> => ({
      ...(await reads.readUsage(active().db, dataset)),
      limits: deps.limits,
    }),
    pending: (dataset) => reads.countPending(active().db, dataset),
    flush: (dataset) => active().docs.flushed(dataset),
    doc: (dataset, key) => active().docs.open(dataset, key),
    sync: async (dataset) => {
      const current = active();
      await current.docs.flushed();
      return current.loop.sync(dataset);
    },
    deleteDataset: async (dataset) => {
      const current = active();
      await deleteDatasetLocally(current.db, dataset);
      current.tabs.wrote(dataset, [], { debounce: false });
    },
    configure: async (dataset: string, conflictStrategy: ConflictStrategy) => {
      const current = active();
      const info = await deps.session.authed((token) => deps.transport.configureDataset(token, dataset, conflictStrategy));
      await saveConflictStrategy(current.db, dataset, info.conflictStrategy);
    },
    pendingWrites: (dataset) => listPendingWrites(active(), dataset),
    discardPending: (dataset, key) => discardPendingWrites(active(), dataset, key),
    setConflictHandler: (dataset, handler) => {
      if (handler) deps.handlers.set(dataset, handler);
      else deps.handlers.delete(dataset);
    },
  };
}
