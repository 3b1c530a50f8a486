/**
 * The compact state idle connections keep: the id table of a socket's operations, and listening on
 * the change bus with an object (`listen`/`unlisten`) next to the function form (`subscribe`).
 */
import { describe, expect, it } from "vitest";
import { createInProcessChangeBus, type ChangeHearer } from "../../server/push/change-bus.js";
import { EMPTY_ID_TABLE, idTableDelete, idTableGet, idTableHas, idTableSet, idTableSize, idTableValues, type IdTable } from "../../server/push/id-table.js";
import type { CommittedChange } from "../../server/sync/types.js";

describe("IdTable", () => {
  it("keeps one value per id, replaces and deletes by id, and leaves the table it was given as it was", () => {
    let table: IdTable<number | null> = EMPTY_ID_TABLE;
    table = idTableSet(table, "a", null);
    table = idTableSet(table, "b", 2);
    const before = table;
    table = idTableSet(table, "a", 1);
    expect(idTableGet(before, "a")).toBeNull();
    expect(idTableGet(table, "a")).toBe(1);
    expect(idTableSize(table)).toBe(2);
    expect(idTableGet(table, "c")).toBeUndefined();
    table = idTableDelete(table, "a");
    expect(idTableHas(table, "a")).toBe(false);
    expect(idTableValues(table)).toEqual([2]);
    expect(idTableDelete(table, "missing")).toBe(table);
    expect(EMPTY_ID_TABLE).toHaveLength(0);
  });
});

function change(identityId: string, syncCount: number): CommittedChange {
  return { identityId, syncCount } as unknown as CommittedChange;
}

describe("ChangeBus.listen", () => {
  it("hands a listening object its identity's changes only, counts it once per identity, and stops at unlisten", () => {
    const bus = createInProcessChangeBus();
    const heard: number[] = [];
    const hearer: ChangeHearer = { hear: (c) => void heard.push(c.syncCount) };
    bus.listen("alice", hearer);
    bus.listen("alice", hearer);
    bus.listen("bob", hearer);
    const unsubscribe = bus.subscribe("alice", () => undefined);
    expect(bus.listenerCount()).toBe(3);
    bus.publish(change("alice", 1));
    bus.publish(change("carol", 2));
    bus.publish(change("bob", 3));
    expect(heard).toEqual([1, 3]);
    bus.unlisten("alice", hearer);
    bus.unlisten("alice", hearer);
    bus.publish(change("alice", 4));
    expect(heard).toEqual([1, 3]);
    expect(bus.listenerCount()).toBe(2);
    unsubscribe();
    bus.unlisten("bob", hearer);
    expect(bus.listenerCount()).toBe(0);
  });
});
