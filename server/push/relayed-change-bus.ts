/**
 * The part every scale-out change bus shares: local delivery plus a relay to the other instances.
 * `publish` hands the change to this instance's listeners at once (as the in-process bus does) and
 * sends it, tagged with this instance's id, over the transport (PostgreSQL NOTIFY or Redis
 * pub/sub); what arrives from the transport is handed to local listeners unless it carries our
 * own id (those listeners heard it already). So each listener hears each change once, whichever
 * instance committed it, and the committing instance does not wait on a round trip.
 *
 * Messages are JSON `{ "from": instanceId, "change": CommittedChange }`. A message that would be
 * larger than the transport allows is sent without its records (`recordsOmitted: true`):
 * subscribers then get the new sync count only and pull.
 */
import { Buffer } from "node:buffer";
import type { Logger } from "../logger.js";
import type { CommittedChange } from "../sync/types.js";
import { createInProcessChangeBus, type ChangeBus } from "./change-bus.js";

/** A change bus that owns connections: `close()` ends them. */
export interface ScaleOutChangeBus extends ChangeBus {
  /** `in-process`, `postgres` or `redis`, for the start-up log. */
  readonly kind: string;
  /** Stops relaying and closes connections. Idempotent. */
  close(): Promise<void>;
}

/** How a relayed bus reaches the other instances. */
export interface ChangeTransport {
  /** Sends one message to every instance (this one included is fine). Must not throw or block. */
  send(message: string): void;
  /** Largest message, in UTF-8 bytes, the transport carries. */
  maxMessageBytes: number;
}

/** A relayed bus before its transport is connected: hand `receive` to the transport's subscription. */
export interface RelayedChangeBus extends ChangeBus {
  /** A message from the transport; bad ones are logged and dropped. Never throws. */
  receive(message: string): void;
}

/** Builds the bus; `transport()` is looked up on every publish, so it may be attached (or swapped on reconnect) later. */
export function createRelayedChangeBus(instanceId: string, transport: () => ChangeTransport | null, logger: Logger): RelayedChangeBus {
  const local = createInProcessChangeBus((error) => logger.error({ err: error }, "change listener failed"));
  return {
    publish(change) {
      local.publish(change);
      const target = transport();
      if (!target) return; // disconnected: other instances' subscribers catch up on their next pull
      try {
        target.send(encodeChange(instanceId, change, target.maxMessageBytes));
      } catch (error) {
        logger.warn({ err: error }, "relaying a change to other instances failed");
      }
    },
    subscribe: (identityId, listener) => local.subscribe(identityId, listener),
    listen: (identityId, hearer) => local.listen(identityId, hearer),
    unlisten: (identityId, hearer) => local.unlisten(identityId, hearer),
    listenerCount: () => local.listenerCount(),
    receive(message) {
      const decoded = decodeChange(message);
      if (!decoded) return void logger.warn({ bytes: message.length }, "dropped a change bus message that is not a change");
      if (decoded.from === instanceId) return; // published here: local listeners already heard it
      local.publish(decoded.change);
    },
  };
}

/** The message for `change`, without its records when the whole would exceed `maxBytes`. */
export function encodeChange(from: string, change: CommittedChange, maxBytes: number): string {
  const full = JSON.stringify({ from, change });
  if (Buffer.byteLength(full, "utf8") <= maxBytes) return full;
  return JSON.stringify({ from, change: { ...change, records: [], recordsOmitted: true } });
}

/** The sender and change of a message, or null when it is not one of ours. */
export function decodeChange(message: string): { from: string; change: CommittedChange } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const { from, change } = parsed as { from?: unknown; change?: Partial<CommittedChange> };
  if (typeof from !== "string" || typeof change !== "object" || change === null) return null;
  if (typeof change.identityId !== "string" || typeof change.dataset !== "string" || typeof change.syncCount !== "number" || !Array.isArray(change.records)) {
    return null;
  }
  return { from, change: change as CommittedChange };
}
