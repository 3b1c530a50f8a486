/**
 * Conformance: the user pool's answered challenge sessions (`UserPoolUsedSessionStore`). A session
 * is recorded as answered once per pool: a second record of it is refused, however many race; the
 * purge forgets only sessions that expired before its time. Ending a challenge deletes its code row
 * and records its session together, and whether a session was answered can be read without recording it.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import { BASE_MS, makeUserPoolUser, USER_POOL } from "./storage-fixtures.js";

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
  
    it("tells whether a session was answered without recording it", async () => {
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, HASH)).toBe(false);
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, HASH)).toBe(false);
      expect(await storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES)).toBe(true);
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, HASH)).toBe(true);
      expect(await storage().userPools.isChallengeSessionUsed("local_other", HASH)).toBe(false);
      expect(await storage().userPools.purgeUsedChallengeSessions(EXPIRES + 1)).toBe(1);
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, HASH)).toBe(false);
    });

    it("ends a challenge by deleting its code row and recording its session together, once", async () => {
      const user = makeUserPoolUser("mia");
      await storage().userPools.createUser(user, {});
      const code = { poolId: USER_POOL, sub: user.sub, purpose: "SIGN_IN_MFA", codeHash: "h1", attempts: 0, expiresAt: EXPIRES, createdAt: BASE_MS };
      await storage().userPools.saveCode(code);
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => storage().userPools.endChallengeSession(USER_POOL, user.sub, "SIGN_IN_MFA", HASH, EXPIRES)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await storage().userPools.getCode(USER_POOL, user.sub, "SIGN_IN_MFA")).toBeNull();
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, HASH)).toBe(true);
      expect(await storage().userPools.useChallengeSession(USER_POOL, HASH, EXPIRES)).toBe(false);
      // With no row to end, nothing is recorded.
      expect(await storage().userPools.endChallengeSession(USER_POOL, user.sub, "SIGN_IN_MFA", "b".repeat(64), EXPIRES)).toBe(false);
      expect(await storage().userPools.isChallengeSessionUsed(USER_POOL, "b".repeat(64))).toBe(false);
    });
  });
}
