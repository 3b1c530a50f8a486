/**
 * Conformance: the user pool's answered challenge sessions (`UserPoolUsedSessionStore`). A session
 * is recorded as answered once per pool: a second record of it is refused, however many race; the
 * purge forgets only sessions that expired before its time.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, USER_POOL } from "./storage-fixtures.js";

const HASH = "a".repeat(64);
const EXPIRES = BASE_MS + 180_000;

/** Registers the answered-session tests; `storage` returns the current test's storage. */
export function describeUserPoolUsedSessions(storage: () => Storage): void {
  describe("user pool answered challenge sessions", () => {
    it("records a session's answer once and refuses a second record of it, in that pool only", async () => {
      expect(await storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES)).toBe(true);
      expect(await storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES)).toBe(false);
      expect(await storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES + 60_000)).toBe(false);
      expect(await storage().userPools.useChallengeSession("local_other", HASH, EXPIRES)).toBe(true);
      expect(await storage().userPools.useChallengeSession(USER_POOL, "b".repeat(64), EXPIRES)).toBe(true);
    });

    it("lets exactly one of twenty concurrent records of one session win", async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    it("purges the sessions that expired before the given time and keeps the others refused", async () => {
      await storage().userPools.useChallengeSession(USER_POOL, "1".repeat(64), BASE_MS + 1000);
      await storage().userPools.useChallengeSession(USER_POOL, "2".repeat(64), BASE_MS + 2000);
      await storage().userPools.useChallengeSession(USER_POOL, "3".repeat(64), BASE_MS + 3000);
      expect(await storage().userPools.purgeUsedChallengeSessions(BASE_MS + 2000)).toBe(1);
      expect(await storage().userPools.purgeUsedChallengeSessions(BASE_MS + 2000)).toBe(0);
      expect(await storage().userPools.useChallengeSession(USER_POOL, "2".repeat(64), BASE_MS + 2000)).toBe(false);
      expect(await storage().userPools.useChallengeSession(USER_POOL, "3".repeat(64), BASE_MS + 3000)).toBe(false);
      // A purged session may be recorded again (it no longer opens, so nobody can answer it).
      expect(await storage().userPools.useChallengeSession(USER_POOL, "1".repeat(64), BASE_MS + 1000)).toBe(true);
    });
  });
}
