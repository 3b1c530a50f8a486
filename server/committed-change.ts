/**
 * What a committed change is, in types only: it sits below `sync/`, `stream/` and `push/`, so
 * none of them imports another for it. `server/change.ts` owns the path a change commits by.
 */
import type { SyncRecord } from "../core/types.js";

/** Where a committed change came from; carried into notifications and the event stream. */
export type ChangeOrigin = "device" | "trigger" | "merge" | "bulk-publish";

/** A change that has committed: the records it changed (as stored) or a dataset deletion. */
export interface CommittedChange {
  poolId: string;
  identityId: string;
  dataset: string;
  /** The dataset's sync count after the change. */
  syncCount: number;
  /** The device that pushed, or null for a dataset deletion or a server-side change. */
  deviceId: string | null;
  mutationId: string | null;
  /** True when the dataset was deleted. */
  deleted: boolean;
  /** The records the change stamped with `syncCount` (empty for a deletion). */
  records: SyncRecord[];
  origin: ChangeOrigin;
  /** For a shared dataset: the identity whose request made the change. */
  writer?: string;
  /**
   * True when the change reached this instance from another one without its records (too large
   * for the change bus, `server/push/relayed-change-bus.ts`): `records` is empty and subscribers
   * must pull. Absent on the instance that committed it.
   */
  recordsOmitted?: boolean;
}
