/**
 * Reading the stream, Kinesis style: an iterator names where to start in one shard
 * (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP), a read returns
 * a page of records and `nextIterator`, an opaque token for the position after the page, and
 * `millisBehindLatest`. A token stays valid as long as the events it points to are retained; one
 * pointing below the trim horizon continues at the oldest retained event.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { ShardRange, StreamStore } from "../storage/stream-store.js";
import { toStreamRecord, type StreamRecord } from "./consumer.js";

/** The iterator types. */
export const ITERATOR_TYPES = ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"] as const;
export type IteratorType = (typeof ITERATOR_TYPES)[number];

/** Where to start reading (GraphQL `ShardIteratorInput`). */
export interface ShardIteratorInput {
  type: IteratorType;
  /** For AT_ / AFTER_SEQUENCE_NUMBER: a decimal sequence number. */
  sequenceNumber?: string | null | undefined;
  /** For AT_TIMESTAMP: epoch ms; the first event that arrived at or after it. */
  timestamp?: number | null | undefined;
}

/** A page of one shard. */
export interface StreamRecordsPage {
  records: StreamRecord[];
  /** Pass it back (with the same pool and shard) to read on; never null. */
  nextIterator: string;
  /** How far the last record returned is behind the shard's newest event; 0 when caught up. */
  millisBehindLatest: number;
}

/** Most records a page returns, and (once it holds one) most bytes of event bodies. */
export const MAX_PAGE_RECORDS = 1000;
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

const TOKEN_PREFIX = "spi1.";

/** The next sequence to read, from an iterator. */
export async function resolveIterator(storage: StreamStore, poolId: string, shard: number, iterator: ShardIteratorInput): Promise<number> {
  switch (iterator.type) {
    case "TRIM_HORIZON":
      return 1; // reads start at the oldest retained event at or after it
    case "LATEST":
      return ((await headOf(storage, poolId, shard))?.lastSequence ?? 0) + 1;
    case "AT_SEQUENCE_NUMBER":
      return parseSequence(iterator.sequenceNumber);
    case "AFTER_SEQUENCE_NUMBER":
      return parseSequence(iterator.sequenceNumber) + 1;
    case "AT_TIMESTAMP": {
      if (typeof iterator.timestamp !== "number" || !Number.isFinite(iterator.timestamp)) {
        throw new SyncpoolError("BAD_USER_INPUT", "iterator.timestamp is required for AT_TIMESTAMP", { field: "iterator.timestamp" });
      }
      const found = await storage.findStreamSequenceAt(poolId, shard, iterator.timestamp);
      return found ?? ((await headOf(storage, poolId, shard))?.lastSequence ?? 0) + 1;
    }
  }
}

/** Reads up to `limit` records of the shard from sequence `from`. */
export async function readStreamRecords(storage: StreamStore, poolId: string, shard: number, from: number, limit: number): Promise<StreamRecordsPage> {
  // The byte cap is applied by storage while reading: bodies past it are never loaded.
  const rows = await storage.readStreamEvents(poolId, shard, from, Math.min(Math.max(limit, 1), MAX_PAGE_RECORDS), MAX_PAGE_BYTES);
  const records = rows.map(toStreamRecord);
  const last = records.at(-1);
  const next = last ? Number(last.sequenceNumber) + 1 : from;
  const head = await headOf(storage, poolId, shard);
  const behind = last && head && head.lastSequence > Number(last.sequenceNumber) ? head.lastArrivedAt - last.approximateArrivalTimestamp : 0;
  return { records, nextIterator: encodeIterator(poolId, shard, next), millisBehindLatest: Math.max(0, behind) };
}

/** The opaque token for "next read starts at `nextSequence`". */
export function encodeIterator(poolId: string, shard: number, nextSequence: number): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify([poolId, shard, nextSequence]), "utf8").toString("base64url");
}

/**
 * The next sequence a token points to.
 * @throws SyncpoolError BAD_USER_INPUT for a token that is not ours or belongs to another shard.
 */
export function decodeIterator(token: string, poolId: string, shard: number): number {
  let decoded: unknown;
  try {
    decoded = token.startsWith(TOKEN_PREFIX) ? JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url").toString("utf8")) : null;
  } catch {
    decoded = null;
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || !Number.isSafeInteger(decoded[2]) || decoded[2] < 1) {
    throw new SyncpoolError("BAD_USER_INPUT", "nextIterator is not an iterator this server issued", { field: "nextIterator" });
  }
  if (decoded[0] !== poolId || decoded[1] !== shard) {
    throw new SyncpoolError("BAD_USER_INPUT", "nextIterator belongs to another pool or shard", { field: "nextIterator" });
  }
  return decoded[2] as number;
}

/** The shard's head, or null when it never had an event. */
async function headOf(storage: StreamStore, poolId: string, shard: number): Promise<ShardRange | null> {
  return (await storage.streamShards(poolId)).find((range) => range.shard === shard) ?? null;
}

function parseSequence(text: string | null | undefined): number {
  if (typeof text !== "string" || !/^[1-9][0-9]{0,14}$/.test(text)) {
    throw new SyncpoolError("BAD_USER_INPUT", "iterator.sequenceNumber must be a decimal sequence number", { field: "iterator.sequenceNumber" });
  }
  return Number(text);
}
