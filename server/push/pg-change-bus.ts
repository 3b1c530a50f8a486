/**
 * The change bus over PostgreSQL LISTEN/NOTIFY: the default when several instances share a
 * PostgreSQL database and no Redis is configured. One dedicated connection per instance, outside
 * the storage's pool (a pooled connection would lose its LISTEN when handed back), both listens
 * and sends: NOTIFYs sent on one session arrive in the order sent, so one instance's changes reach
 * the others in publish order.
 *
 * The channel is per schema (`syncpool_changes_<schema>`), as NOTIFY is database-wide and several
 * deployments (or test runs) may share one database. NOTIFY carries at most 8000 bytes, so larger
 * changes travel without their records (`relayed-change-bus.ts`).
 *
 * On connection loss the bus reconnects with capped backoff and listens again; changes published
 * meanwhile are not relayed. That costs other instances' subscribers latency, never data: they
 * catch up on their next pull.
 *
 * The connection itself (the pg driver) is storage's: `server/storage/postgres-listener.ts`.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../logger.js";
import { type PostgresListener, openPostgresListener } from "../storage/postgres-listener.js";
import { createRelayedChangeBus, type ChangeTransport, type ScaleOutChangeBus } from "./relayed-change-bus.js";

/** Where to listen. */
export interface PgChangeBusOptions {
  /** The database URL (the storage's). */
  url: string;
  /** The storage's schema: names the channel. */
  schema: string;
  /** This instance: messages carrying it are our own and skipped. */
  instanceId: string;
  logger: Logger;
}

/** NOTIFY's limit is 8000 bytes; leave room for the channel name and framing. */
const MAX_NOTIFY_BYTES = 7000;
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** Connects, listens, and resolves with the bus. Rejects when the first connection fails. */
export async function openPgChangeBus(options: PgChangeBusOptions): Promise<ScaleOutChangeBus> {
  const { url, instanceId } = options;
  const logger = options.logger.child({ component: "change-bus", transport: "postgres" });
  const channel = channelName(options.schema);
  let connected: PostgresListener | null = null;
  let closed = false;
  let failures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const transport: ChangeTransport = {
    maxMessageBytes: MAX_NOTIFY_BYTES,
    send(message) {
      connected?.notify(message).catch((error: unknown) => {
        logger.debug({ err: error }, "NOTIFY failed; other instances' subscribers catch up on their next pull");
      });
    },
  };
  const bus = createRelayedChangeBus(instanceId, () => connected && transport, logger);

  const connect = async (): Promise<void> => {
    let listener: PostgresListener | null = null;
    listener = await openPostgresListener(url, channel, {
      onMessage: (payload) => bus.receive(payload),
      onLost: (error) => {
        if (listener !== null && connected === listener) connected = null;
        if (closed) return;
        logger.warn({ err: error }, "change bus connection lost; reconnecting");
        scheduleReconnect();
      },
    });
    if (closed) return void (await listener.close());
    connected = listener;
    failures = 0;
  };

  const scheduleReconnect = () => {
    const waitMs = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** failures);
    failures += 1;
    reconnectTimer = setTimeout(() => {
      connect().then(
        () => logger.info("change bus reconnected"),
        (error: unknown) => {
          if (closed) return;
          logger.warn({ err: error }, "change bus reconnect failed; retrying");
          scheduleReconnect();
        },
      );
    }, waitMs);
    reconnectTimer.unref();
  };

  await connect();
  return {
    kind: "postgres",
    publish: (change) => bus.publish(change),
    subscribe: (identityId, listener) => bus.subscribe(identityId, listener),
    listen: (identityId, hearer) => bus.listen(identityId, hearer),
    unlisten: (identityId, hearer) => bus.unlisten(identityId, hearer),
    listenerCount: () => bus.listenerCount(),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(reconnectTimer);
      const listener = connected;
      connected = null;
      await listener?.close();
    },
  };
}

/** `syncpool_changes_<schema>`, or a hash of the schema when that would pass PostgreSQL's 63-byte name limit. */
export function channelName(schema: string): string {
  const plain = `syncpool_changes_${schema}`;
  return plain.length <= 63 ? plain : `syncpool_changes_${createHash("sha256").update(schema).digest("hex").slice(0, 40)}`;
}
