/**
 * Admin operations on dead letters: events a consumer gave up on after its attempts. Listing
 * shows the event and the last error; replay delivers the event to its consumer once more, now
 * (removing the dead letter when that succeeds, recording the new error when it does not); drop
 * forgets it. Replay needs the consumer to run on this server (handlers are per process).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { DeadLetterRow, StreamStore } from "../storage/stream-store.js";
import { toStreamRecord, type Consumer, type StreamRecord } from "./consumer.js";

/** A dead letter as the admin API shows it. */
export interface DeadLetterView {
  id: string;
  consumer: string;
  identityPoolId: string;
  shard: number;
  sequenceNumber: string;
  attempts: number;
  lastError: string;
  failedAt: number;
  record: StreamRecord;
}

/** What `replayDeadLetter` answers. */
export interface ReplayResult {
  delivered: boolean;
  /** The consumer's error when it failed again. */
  error: string | null;
  /** The dead letter as it is now; null once delivered (it was removed). */
  deadLetter: DeadLetterView | null;
}

export interface DeadLetterDeps {
  storage: StreamStore;
  now: () => number;
  /** This server's consumer of that name, if any. */
  findConsumer(name: string): Consumer | undefined;
}

/** Dead letters, oldest first, optionally of one consumer and one pool. */
export async function listDeadLetters(
  deps: DeadLetterDeps,
  filter: { consumer?: string | null; identityPoolId?: string | null; after?: string | null; first?: number | null },
): Promise<DeadLetterView[]> {
  const rows = await deps.storage.listDeadLetters({
    consumer: filter.consumer ?? undefined,
    poolId: filter.identityPoolId ?? undefined,
    afterId: filter.after ? parseId(filter.after, "after") : undefined,
    limit: Math.min(Math.max(filter.first ?? 100, 1), 1000),
  });
  return rows.map(toView);
}

/** Delivers a dead letter again; see `ReplayResult`. */
export async function replayDeadLetter(deps: DeadLetterDeps, id: string): Promise<ReplayResult> {
  const row = await deps.storage.getDeadLetter(parseId(id, "id"));
  if (!row) throw new SyncpoolError("NOT_FOUND", `no dead letter with id ${id}`, { field: "id" });
  const consumer = deps.findConsumer(row.consumer);
  if (!consumer) {
    throw new SyncpoolError("NOT_FOUND", `consumer "${row.consumer}" does not run on this server; replay it where it runs`, { field: "id" });
  }
  try {
    await consumer.deliver(toStreamRecord(row));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failedAt = deps.now();
    await deps.storage.updateDeadLetter(row.id, row.attempts + 1, message, failedAt);
    return { delivered: false, error: message, deadLetter: toView({ ...row, attempts: row.attempts + 1, lastError: message, failedAt }) };
  }
  await deps.storage.deleteDeadLetter(row.id);
  return { delivered: true, error: null, deadLetter: null };
}

/** Forgets a dead letter; false when there was none with that id. */
export async function dropDeadLetter(deps: DeadLetterDeps, id: string): Promise<boolean> {
  return deps.storage.deleteDeadLetter(parseId(id, "id"));
}

function toView(row: DeadLetterRow): DeadLetterView {
  return {
    id: String(row.id),
    consumer: row.consumer,
    identityPoolId: row.poolId,
    shard: row.shard,
    sequenceNumber: String(row.sequence),
    attempts: row.attempts,
    lastError: row.lastError,
    failedAt: row.failedAt,
    record: toStreamRecord(row),
  };
}

function parseId(text: string, field: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new SyncpoolError("BAD_USER_INPUT", `${field} must be a dead letter id`, { field });
  return Number(text);
}
