/**
 * The replicated state of a JSON record and its merge. The state is a tree of fields; each node
 * holds its latest write (a last-writer-wins register under the hybrid logical clock) and the
 * clock of its latest replacing write, below which older writes in its subtree are hidden. The
 * root node is the record itself: its writes are puts, record removals and the marks updates
 * leave. schema/PROTOCOL.md ("JSON records") states the rules in prose.
 *
 * The merge is a pointwise join (greatest write, greatest floor, per node) followed by pruning
 * what a floor hides. Both halves only ever move up, so what is pruned stays hidden in every
 * later state and pruning commutes with joining: the merge is commutative, associative and
 * idempotent on every pair of states, not just on states that honest devices produce.
 */
import { compareClocks } from "./clock.js";
import { canonicalJson, type JsonValue } from "./json-value.js";

/**
 * One write to a node:
 * - `value`: the node becomes this scalar or array (arrays are atomic) and hides older writes below.
 * - `object`: the node becomes an empty object (a put, or an object given whole in an update)
 *   and hides older writes below; the fields written with it sit below at the same clock.
 * - `exists`: the node is an object; older writes below stay. Written on every ancestor of a
 *   field an update sets, so a field's parent outlives its last field and outranks an older
 *   scalar there.
 * - `unset`: the node is gone (a removed field; at the root, a removed record) and hides older
 *   writes below.
 */
export type JsonWrite =
  | { readonly clock: string; readonly kind: "value"; readonly value: JsonValue }
  | { readonly clock: string; readonly kind: "object" | "exists" | "unset" };

/** A node of the state tree. States are immutable; a merge shares untouched subtrees. */
export interface JsonNode {
  /** The latest write here, or null when none is known (or it is hidden by an ancestor). */
  readonly write: JsonWrite | null;
  /**
   * The clock of the latest replacing write here (`value`, `object` or `unset`): writes below
   * with an older clock are hidden. Never after `write.clock`; equal to it unless `write` is `exists`.
   */
  readonly floor: string | null;
  /** Child fields by name. */
  readonly fields: ReadonlyMap<string, JsonNode>;
}

/**
 * The state of one JSON record: its root node. The root's write is the record-level one: an
 * `object` put, an `unset` removal (its clock is the removal clock), or the `exists` mark of an
 * update. Build states with the `applyJson*` functions or `decodeJsonState`, never by hand.
 */
export type JsonState = JsonNode;

const NO_FIELDS: ReadonlyMap<string, JsonNode> = new Map();

/** The state of a record nobody has written: it materializes as null. */
export const EMPTY_JSON_STATE: JsonState = Object.freeze({ write: null, floor: null, fields: NO_FIELDS });

// On equal clocks (a device reusing a clock) the more destructive write ranks higher, as a
// STRING tombstone beats a value on a tie; equal kinds fall back to the canonical value text.
const KIND_RANK = { exists: 0, value: 1, object: 2, unset: 3 } as const;

/** Total order on writes: clock, then kind, then canonical value text. */
export function compareJsonWrites(a: JsonWrite, b: JsonWrite): number {
  const byClock = compareClocks(a.clock, b.clock);
  if (byClock !== 0) return byClock;
  const byKind = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (byKind !== 0) return Math.sign(byKind);
  if (a.kind !== "value" || b.kind !== "value") return 0;
  const aText = canonicalJson(a.value);
  const bText = canonicalJson(b.value);
  return aText < bText ? -1 : aText > bText ? 1 : 0;
}

/** True when the write replaces its node's subtree (everything but `exists`). */
export function isReplacingWrite(write: JsonWrite): boolean {
  return write.kind !== "exists";
}

function greaterWrite(a: JsonWrite | null | undefined, b: JsonWrite | null | undefined): JsonWrite | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareJsonWrites(a, b) >= 0 ? a : b;
}

function greaterClock(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return compareClocks(a, b) >= 0 ? a : b;
}

/**
 * Joins two nodes at one path and prunes what `hidden.below` (the greatest floor of the merged
 * ancestors; "" hides nothing) hides. `hidden.a` and `hidden.b` are the greatest floors above
 * each side in its own state; states are canonical (already pruned against their own floors), so a
 * side alone under no newer floor comes back as it is, untouched subtrees cost nothing, and an
 * update of one field of a large record stays cheap. `canonicalize` turns that shortcut off for
 * nodes built by hand. Returns undefined when nothing of the node is left.
 */
function mergeNodes(
  a: JsonNode | undefined,
  b: JsonNode | undefined,
  hidden: { below: string; a: string; b: string },
  canonicalize: boolean,
): JsonNode | undefined {
  if (!canonicalize) {
    if (b === undefined && hidden.below === hidden.a) return a;
    if (a === undefined && hidden.below === hidden.b) return b;
    if (a === b && hidden.a === hidden.b) return a;
  }
  let write = greaterWrite(a?.write, b?.write);
  if (write !== null && compareClocks(write.clock, hidden.below) < 0) write = null;
  let floor = greaterClock(a?.floor, b?.floor);
  if (floor !== null && compareClocks(floor, hidden.below) < 0) floor = null;
  const childHidden = {
    below: greaterClock(floor, hidden.below) ?? "",
    a: greaterClock(a?.floor, hidden.a) ?? "",
    b: greaterClock(b?.floor, hidden.b) ?? "",
  };

  const fields = new Map<string, JsonNode>();
  const names = new Set([...(a?.fields.keys() ?? []), ...(b?.fields.keys() ?? [])]);
  for (const name of names) {
    const merged = mergeNodes(a?.fields.get(name), b?.fields.get(name), childHidden, canonicalize);
    if (merged !== undefined) fields.set(name, merged);
  }
  // A floor never outlives its node's write (it is at or before it), so no write means no floor.
  if (write === null && fields.size === 0) return undefined;
  return { write, floor, fields: fields.size === 0 ? NO_FIELDS : fields };
}

/**
 * The merge of two states of one JSON record: per node the later write and the later floor,
 * then everything older than a floor above it dropped. Commutative, associative and idempotent
 * for all states (property-tested in test/unit/core-json-merge.test.ts), so replicas that have
 * seen the same writes hold the same state whatever the order and grouping of merges. Both
 * states must come from the `applyJson*` functions, `decodeJsonState` or earlier merges.
 */
export function mergeJsonStates(a: JsonState, b: JsonState): JsonState {
  return mergeNodes(a, b, { below: "", a: "", b: "" }, false) ?? EMPTY_JSON_STATE;
}

/**
 * The canonical state of a tree assembled by hand (by an update, by the decoder): everything a
 * floor above hides dropped, empty nodes gone. Every state the merge is given must be canonical.
 */
export function canonicalJsonState(root: JsonNode): JsonState {
  return mergeNodes(root, undefined, { below: "", a: "", b: "" }, true) ?? EMPTY_JSON_STATE;
}

/**
 * The greatest clock of any write in the state, or null for the empty state: the record-level
 * clock to store beside the value, and the clock a device folds into its own on receipt.
 */
export function latestJsonClock(state: JsonState): string | null {
  let latest = state.write?.clock ?? null;
  for (const child of state.fields.values()) latest = greaterClock(latest, latestJsonClock(child));
  return latest;
}
