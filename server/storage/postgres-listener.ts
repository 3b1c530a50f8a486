/**
 * A PostgreSQL LISTEN/NOTIFY session, for the change bus of `server/push/pg-change-bus.ts`. It is a
 * dedicated connection outside the storage's pool (a pooled connection would lose its LISTEN when
 * handed back) that both listens and sends, so NOTIFYs sent on it arrive in the order sent. It lives
 * here because only `server/storage/` talks to a database driver; reconnecting is the caller's.
 */
import pg from "pg";

/** What the listener reports; each runs at most once per event. */
export interface PostgresListenerHandlers {
  /** A notification on the channel arrived. */
  onMessage(payload: string): void;
  /** The connection failed or ended; the listener is dead and already closed. */
  onLost(error?: Error): void;
}

/** One open LISTEN session. */
export interface PostgresListener {
  /** Sends `payload` on the channel (`pg_notify`); rejects when the connection fails. */
  notify(payload: string): Promise<void>;
  /** Ends the connection; `onLost` is not called for it. */
  close(): Promise<void>;
}

/** Connects to `url` and listens on `channel` (a plain identifier); rejects when either fails. */
export async function openPostgresListener(url: string, channel: string, handlers: PostgresListenerHandlers): Promise<PostgresListener> {
  const client = new pg.Client({ connectionString: url, application_name: "syncpool-listen" });
  let finished = false;
  // Before LISTEN succeeds a failure is the rejection of this call, not a lost listener.
  let listening = false;
  const onLost = (error?: Error) => {
    if (finished) return;
    finished = true;
    client.end().catch(() => undefined);
    if (listening) handlers.onLost(error);
  };
  client.on("error", onLost);
  client.on("end", () => onLost());
  client.on("notification", (message) => {
    if (message.channel === channel && message.payload !== undefined) handlers.onMessage(message.payload);
  });
  try {
    await client.connect();
    await client.query(`LISTEN "${channel}"`);
  } catch (error) {
    finished = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  listening = true;
  // One notify at a time on the connection: pg queues concurrent queries on one client but
  // deprecates relying on it ("client.query() when the client is already executing a query"), and
  // a group commit announces many pushes at once.
  let previous: Promise<unknown> = Promise.resolve();
  return {
    notify: (payload) => {
      const sent = previous.then(() => client.query("SELECT pg_notify($1, $2)", [channel, payload])).then(() => undefined);
      previous = sent.catch(() => undefined);
      return sent;
    },
    close: async () => {
      finished = true;
      await client.end().catch(() => undefined);
    },
  };
}
