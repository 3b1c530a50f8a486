/**
 * The `AuthEventStore` (`auth-event-store.ts`) of both backends, written once as SQL on the table
 * of migration 12 (`auth-event-migrations.ts`). The stream append is the one every dataset commit
 * uses (`appendStreamEvent`), run inside the same transaction as the event's row.
 */
import type { AuthEventCursor, AuthEventRow, AuthEventStore } from "./auth-event-store.js";
import { appendStreamEvent } from "./sql-stream.js";
import { type SqlConnections, raw, sql } from "./sql.js";
import type { AppendEventInput, AppendedEvent } from "./stream-store.js";

const COLUMNS = raw(`pool_id AS "poolId", sub, event_id AS "eventId", created_at AS "createdAt", data`);

/** `AuthEventStore` over either backend. */
export class SqlAuthEventStore implements AuthEventStore {
  constructor(private readonly db: SqlConnections) {}

  appendAuthEvent(event: AuthEventRow, streamEvent: AppendEventInput | null): Promise<AppendedEvent | null> {
    const { poolId, sub, eventId, createdAt, data } = event;
    return this.db.transaction(async (session) => {
      await session.run(sql`
        INSERT INTO user_pool_auth_events (pool_id, sub, event_id, created_at, data)
        VALUES (${poolId}, ${sub}, ${eventId}, ${createdAt}, ${data})`);
      return streamEvent === null ? null : appendStreamEvent(session, streamEvent);
    });
  }

  listAuthEvents(poolId: string, sub: string, before: AuthEventCursor | null, limit: number): Promise<AuthEventRow[]> {
    const older = before === null ? sql`` : sql`AND (created_at, event_id) < (${before.createdAt}, ${before.eventId})`;
    return this.db.read((session) =>
      session.all<AuthEventRow>(sql`
        SELECT ${COLUMNS} FROM user_pool_auth_events WHERE pool_id = ${poolId} AND sub = ${sub} ${older}
        ORDER BY created_at DESC, event_id DESC LIMIT ${limit}`),
    );
  }
}
