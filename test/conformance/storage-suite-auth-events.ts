/**
 * Conformance: the user pool's audit log (`AuthEventStore`). An event is stored together with its
 * stream event or not at all; a user's events list newest first, a page at a time, and only that
 * user's.
 */
import { describe, expect, it } from "vitest";
import type { AuthEventRow } from "../../server/storage/auth-event-store.js";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, USER_POOL } from "./storage-fixtures.js";

const SUB = "5f0c3a52-7c4e-4d6b-9a0e-1f2d3c4b5a69";

function makeEvent(eventId: string, createdAt: number, overrides: Partial<AuthEventRow> = {}): AuthEventRow {
  return { poolId: USER_POOL, sub: SUB, eventId, createdAt, data: JSON.stringify({ EventId: eventId, EventType: "SignIn" }), ...overrides };
}

/** Registers the audit-log tests; `storage` returns the current test's storage. */
export function describeAuthEvents(storage: () => Storage): void {
  describe("user pool auth events", () => {
    it("appends the event and its stream event together", async () => {
      const event = makeEvent("e1", BASE_MS);
      const appended = await storage().authEvents.appendAuthEvent(event, { poolId: "default", shard: 1, partitionKey: `cognito-idp:${SUB}`, arrivedAt: BASE_MS, data: event.data });
      expect(appended).toEqual({ shard: 1, sequence: 1, arrivedAt: BASE_MS });
      const [stored] = await storage().stream.readStreamEvents("default", 1, 1, 10);
      expect(stored).toEqual({ poolId: "default", shard: 1, sequence: 1, partitionKey: `cognito-idp:${SUB}`, arrivedAt: BASE_MS, data: event.data });
      expect(await storage().authEvents.listAuthEvents(USER_POOL, SUB, null, 10)).toEqual([event]);
    });

    it("stores neither the event nor its stream event when the append fails", async () => {
      await storage().authEvents.appendAuthEvent(makeEvent("e1", BASE_MS), null);
      // The same key again: the insert fails, so the stream event of the same transaction must not stay.
      await expect(
        storage().authEvents.appendAuthEvent(makeEvent("e1", BASE_MS), { poolId: "default", shard: 0, partitionKey: "p", arrivedAt: BASE_MS, data: "{}" }),
      ).rejects.toThrow();
      expect(await storage().stream.readStreamEvents("default", 0, 1, 10)).toEqual([]);
      expect(await storage().authEvents.listAuthEvents(USER_POOL, SUB, null, 10)).toHaveLength(1);
    });

    it("lists a user's events newest first, a page at a time, without other users' events", async () => {
      for (const [id, at] of [["a", 1], ["b", 3], ["c", 2], ["d", 3]] as const) await storage().authEvents.appendAuthEvent(makeEvent(id, BASE_MS + at), null);
      await storage().authEvents.appendAuthEvent(makeEvent("other", BASE_MS + 9, { sub: "another-sub" }), null);
      await storage().authEvents.appendAuthEvent(makeEvent("elsewhere", BASE_MS + 9, { poolId: "other_pool" }), null);
      const first = await storage().authEvents.listAuthEvents(USER_POOL, SUB, null, 3);
      expect(first.map((event) => event.eventId)).toEqual(["d", "b", "c"]);
      const last = first.at(-1)!;
      const second = await storage().authEvents.listAuthEvents(USER_POOL, SUB, { createdAt: last.createdAt, eventId: last.eventId }, 3);
      expect(second.map((event) => event.eventId)).toEqual(["a"]);
    });
  });
}
