/**
 * A cheap structural budget for YDOC updates, checked before Yjs integrates anything.
 *
 * Integrating a Yjs update can cost time quadratic in its number of structs: an insert with no
 * left origin, or many inserts sharing one origin, makes `Item.integrate` scan every concurrent
 * item before it, so ~120 KB of crafted update kept one core busy for a minute. Decoding the
 * update's structure (`Y.decodeUpdate`: the clients, the structs and the delete set, nothing
 * integrated) is linear, so the server counts first and refuses what no honest document needs.
 *
 * Each count has an absolute cap and a cap proportional to the update's size (per KiB, never
 * below one KiB's worth): a small update carrying thousands of clients is a crafted one. The
 * caps are generous for real documents; the time limit on the Yjs work itself
 * (`server/ydoc/ydoc-pool.ts`) is what bounds the cost of updates inside the budget.
 */
import * as Y from "yjs";
import { decodeBase64 } from "./base64.js";
import { SyncpoolError } from "./errors.js";

/** The structural counts of one Yjs update. */
export interface YdocShape {
  /** Distinct client ids that wrote structs or deletions. */
  clients: number;
  /** Structs (items, GC and skip ranges). */
  structs: number;
  /** Ranges in the delete set, over all clients. */
  deleteRanges: number;
}

/** Caps on a YDOC update's shape. */
export interface YdocBudget {
  maxClients: number;
  maxStructs: number;
  maxDeleteRanges: number;
  clientsPerKiB: number;
  structsPerKiB: number;
  deleteRangesPerKiB: number;
}

/**
 * The default budget. Per KiB: a client costs at least its header in an update (about 7 bytes with
 * Yjs's random 32-bit ids) plus one struct, and a struct or a delete range at least 2 bytes, so
 * honest updates stay well below these densities.
 */
export const DEFAULT_YDOC_BUDGET: YdocBudget = {
  maxClients: 10_000,
  maxStructs: 200_000,
  maxDeleteRanges: 200_000,
  clientsPerKiB: 64,
  structsPerKiB: 512,
  deleteRangesPerKiB: 512,
};

/** Why the server refuses a YDOC value it could not afford to merge (`extensions.reason`). */
export const YDOC_TOO_COMPLEX = "YDOC_TOO_COMPLEX";

/**
 * Counts an update's clients, structs and delete ranges without integrating it (linear time).
 * @throws SyncpoolError BAD_USER_INPUT when the bytes do not decode as a Yjs v1 update.
 */
export function measureYdocUpdate(bytes: Uint8Array, field: string): YdocShape {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncpoolError("BAD_USER_INPUT", `${field}: not a valid Yjs update (${reason})`, { field });
  }
  const clients = new Set<number>();
  for (const struct of decoded.structs) clients.add(struct.id.client);
  let deleteRanges = 0;
  for (const [client, ranges] of decoded.ds.clients) {
    clients.add(client);
    deleteRanges += ranges.length;
  }
  return { clients: clients.size, structs: decoded.structs.length, deleteRanges };
}

/**
 * The O(1) part of the budget, for the event loop: a v1 update starts with the number of clients
 * whose structs it carries, so a base64 `value` claiming more clients than its size allows is
 * refused from its first characters, before anything is decoded. Does nothing when the header
 * does not parse (the full check reports that).
 * @throws SyncpoolError BAD_USER_INPUT with `{field, reason: "YDOC_TOO_COMPLEX", limit: "clients", max, actual}`.
 */
export function checkYdocHeader(value: string, budget: YdocBudget, field: string): void {
  let head: Uint8Array;
  try {
    head = decodeBase64(value.slice(0, 8), field);
  } catch {
    return;
  }
  let claimed = 0;
  for (let index = 0, shift = 1; index < head.length && index < 5; index++, shift *= 128) {
    claimed += (head[index]! & 0x7f) * shift;
    if (head[index]! < 0x80) {
      const sizeBytes = Math.floor((value.length * 3) / 4);
      tooComplexIf("clients", claimed, allowance(sizeBytes, budget.maxClients, budget.clientsPerKiB), sizeBytes, field);
      return;
    }
  }
}

/**
 * Refuses an update whose shape exceeds `budget`, and returns the shape otherwise.
 * @throws SyncpoolError BAD_USER_INPUT with `{field, reason: "YDOC_TOO_COMPLEX", limit, max, actual}`.
 */
export function checkYdocBudget(bytes: Uint8Array, budget: YdocBudget, field: string): YdocShape {
  const shape = measureYdocUpdate(bytes, field);
  tooComplexIf("clients", shape.clients, allowance(bytes.length, budget.maxClients, budget.clientsPerKiB), bytes.length, field);
  tooComplexIf("structs", shape.structs, allowance(bytes.length, budget.maxStructs, budget.structsPerKiB), bytes.length, field);
  tooComplexIf("deleteRanges", shape.deleteRanges, allowance(bytes.length, budget.maxDeleteRanges, budget.deleteRangesPerKiB), bytes.length, field);
  return shape;
}

/** The cap for an update of `sizeBytes`: proportional to its size (never below one KiB's worth), and absolute. */
function allowance(sizeBytes: number, absoluteMax: number, perKiB: number): number {
  return Math.min(absoluteMax, Math.floor(perKiB * Math.max(1, sizeBytes / 1024)));
}

function tooComplexIf(count: keyof YdocShape, actual: number, max: number, sizeBytes: number, field: string): void {
  if (actual <= max) return;
  throw new SyncpoolError("BAD_USER_INPUT", `${field}: Yjs update too complex (${actual} ${count}, at most ${max} for ${sizeBytes} bytes)`, {
    field,
    reason: YDOC_TOO_COMPLEX,
    limit: count,
    max,
    actual,
  });
}
