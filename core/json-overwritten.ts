/**
 * Which of a device's own field writes lost a merge, so the client can tell the app (the
 * `overwritten` event): the device had set `title` offline, another device set it later, and
 * the app may want to show or restore what was lost. Pure: the client passes the state of its
 * pending (not yet acknowledged) writes and the state after merging what it pulled.
 */
import { compareClocks } from "./clock.js";
import { materializeJsonNode } from "./json-record.js";
import { compareJsonWrites, type JsonNode, type JsonState, type JsonWrite } from "./json-state.js";
import { canonicalJson, compareCodeUnits, type JsonValue } from "./json-value.js";

/** One local field write that no longer shows in the merged record. */
export interface OverwrittenJsonWrite {
  /** Dotted path of the field, as `applyJsonUpdate` takes it. */
  path: string;
  /** What the device wrote; undefined for an unset. */
  localValue: JsonValue | undefined;
  /** The clock of the device's write. */
  localClock: string;
  /** What the field shows after the merge; undefined when it is absent. */
  winningValue: JsonValue | undefined;
  /**
   * The clock of the write that beat it: a later write to the field, to a field inside it, or
   * to a parent (a parent replaced or the record removed). Null when `merged` does not hold the
   * pending write at all, which means it was not merged from it.
   */
  winningClock: string | null;
}

function localValueOf(write: JsonWrite): JsonValue | undefined {
  if (write.kind === "value") return write.value;
  return write.kind === "object" ? {} : undefined;
}

function sameOutcome(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

// Whether the merged node still carries the local write's effect. An emptied object stays in
// effect when later fields were only added to it (an `exists` mark over the same floor).
function stillStands(local: JsonWrite, merged: JsonNode | undefined): boolean {
  if (merged?.write == null) return false;
  if (compareJsonWrites(merged.write, local) === 0) return true;
  return local.kind === "object" && merged.write.kind === "exists" && merged.floor === local.clock;
}

interface Walk {
  path: string[];
  /** The greatest floor above the node in `merged`: pending writes before it were hidden by it. */
  hiddenBelow: string;
  /** True when a parent in `merged` shows a scalar or array, so the node shows nothing. */
  shadowed: boolean;
}

function visit(pending: JsonNode, merged: JsonNode | undefined, walk: Walk, lost: OverwrittenJsonWrite[]): void {
  const local = pending.write;
  // Field writes only: the root's write is the put or removal itself, an `exists` mark is only
  // a consequence of a write below, and an object with fields is reported through its fields.
  const isFieldWrite =
    local !== null && walk.path.length > 0 && local.kind !== "exists" && !(local.kind === "object" && pending.fields.size > 0);
  if (isFieldWrite && !stillStands(local, merged)) {
    const winningValue = merged === undefined || walk.shadowed ? undefined : materializeJsonNode(merged);
    const localValue = localValueOf(local);
    if (!sameOutcome(localValue, winningValue)) {
      let winningClock: string | null = null;
      if (merged?.write != null && compareJsonWrites(merged.write, local) > 0) winningClock = merged.write.clock;
      else if (compareClocks(walk.hiddenBelow, local.clock) > 0) winningClock = walk.hiddenBelow;
      lost.push({ path: walk.path.join("."), localValue, localClock: local.clock, winningValue, winningClock });
    }
  }
  const floor = merged?.floor ?? "";
  const childWalk = (name: string): Walk => ({
    path: [...walk.path, name],
    hiddenBelow: compareClocks(floor, walk.hiddenBelow) > 0 ? floor : walk.hiddenBelow,
    shadowed: walk.shadowed || merged?.write?.kind === "value",
  });
  for (const name of [...pending.fields.keys()].sort(compareCodeUnits)) {
    visit(pending.fields.get(name)!, merged?.fields.get(name), childWalk(name), lost);
  }
}

/**
 * The local field writes in `pending` that lost in `merged` (`merged` being a merge that took
 * `pending` in), in path order: each with the local value and clock and what won. A write whose
 * field ends up showing the same value (another device wrote the same thing) is not listed.
 */
export function listOverwrittenJsonWrites(pending: JsonState, merged: JsonState): OverwrittenJsonWrite[] {
  const lost: OverwrittenJsonWrite[] = [];
  visit(pending, merged, { path: [], hiddenBelow: "", shadowed: false }, lost);
  return lost;
}
