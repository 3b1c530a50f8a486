/**
 * The user pool's audit log (`server/user-pool/audit-log.ts`): every auth event of a user, kept
 * per user for AdminListUserAuthEvents and appended to the event stream in the same transaction,
 * so an event that is listed is also in the stream and one that is not listed is in neither.
 * Every backend reaches it as `storage.authEvents`, written once in `sql-auth-events.ts` on the
 * table of migration 12 (`auth-event-migrations.ts`), checked by
 * `test/conformance/storage-suite-auth-events.ts`.
 *
 * Storage keeps rows; what an event says (its Cognito shape) is decided in `server/user-pool/`.
 */
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

/** One auth event of one user. */
export interface AuthEventRow {
  poolId: string;
  /** The user's `sub`: events outlive a username, and a deleted user's events stay listed in the stream. */
  sub: string;
  /** Unique within the pool. */
  eventId: string;
  /** Epoch ms. */
  createdAt: number;
  /** The event as served (Cognito's AuthEventType), JSON text stored verbatim. */
  data: string;
}

/** Where a listing of a user's events continues: after this event, going back in time. */
export interface AuthEventCursor {
  createdAt: number;
  eventId: string;
}

/** See the module comment. */
export interface AuthEventStore {
  /**
   * Stores `event` and, when `streamEvent` is given, appends it to the stream, in one transaction.
   * Returns where the stream event landed (null without one).
   */
  appendAuthEvent(event: AuthEventRow, streamEvent: AppendEventInput | null): Promise<AppendedEvent | null>;
  /**
   * Up to `limit` of the user's events, newest first (by time, then event id descending), those
   * before `before` when given.
   */
  listAuthEvents(poolId: string, sub: string, before: AuthEventCursor | null, limit: number): Promise<AuthEventRow[]>;
}
