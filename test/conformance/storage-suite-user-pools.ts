/**
 * Conformance: the built-in user pool's rows (`UserPoolStore`). Users round-trip with their
 * attributes, usernames are unique per pool, codes count attempts, deleting a user takes
 * everything of it along, and a refresh token rotates once: presenting it again after the grace
 * revokes its whole session. A TOTP step is accepted once, failed sign-ins count in one statement
 * and start again after a quiet time, and the password history keeps the newest n hashes.
 */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../server/storage/storage.js";
import type { UserPoolSession } from "../../server/storage/user-pool-store.js";
import { BASE_MS, USER_POOL, makeUserPoolUser as makeUser } from "./storage-fixtures.js";

const POOL = USER_POOL;

function makeSession(originJti: string, sub: string, overrides: Partial<UserPoolSession> = {}): UserPoolSession {
  return { originJti, poolId: POOL, sub, clientId: "default", authTime: Math.floor(BASE_MS / 1000), createdAt: BASE_MS, expiresAt: BASE_MS + 86_400_000, revokedAt: null, scope: null, ...overrides };
}

/** Registers the user-pool tests; `storage` returns the current test's storage. */
export function describeUserPools(storage: () => Storage): void {
  describe("user pools", () => {
    it("returns a created user exactly, with its attributes, by username and by sub", async () => {
      const user = makeUser("alice");
      expect(await storage().userPools.createUser(user, { email: "alice@example.com", email_verified: "false" })).toBe(true);
      const expected = { ...user, attributes: { email: "alice@example.com", email_verified: "false" } };
      expect(await storage().userPools.getUser(POOL, "alice")).toEqual(expected);
      expect(await storage().userPools.getUserBySub(POOL, user.sub)).toEqual(expected);
      expect(await storage().userPools.getUser(POOL, "Alice")).toBeNull();
      expect(await storage().userPools.getUser("other_pool", "alice")).toBeNull();
    });

    it("refuses a second user of the same username in a pool, and keeps the first", async () => {
      await storage().userPools.createUser(makeUser("alice"), { email: "first@example.com" });
      expect(await storage().userPools.createUser(makeUser("alice", { sub: "another-sub" }), { email: "second@example.com" })).toBe(false);
      expect((await storage().userPools.getUser(POOL, "alice"))?.attributes).toEqual({ email: "first@example.com" });
      expect(await storage().userPools.createUser(makeUser("alice", { poolId: "other_pool" }), {})).toBe(true);
    });

    it("finds usernames by an attribute's value within one pool", async () => {
      await storage().userPools.createUser(makeUser("bob"), { email: "shared@example.com" });
      await storage().userPools.createUser(makeUser("alice"), { email: "shared@example.com" });
      await storage().userPools.createUser(makeUser("carol", { poolId: "other_pool" }), { email: "shared@example.com" });
      expect(await storage().userPools.findUsernamesByAttribute(POOL, "email", "shared@example.com")).toEqual(["alice", "bob"]);
      expect(await storage().userPools.findUsernamesByAttribute(POOL, "email", "nobody@example.com")).toEqual([]);
    });

    it("changes only the fields a patch names, and sets and removes attributes in one step", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, { email: "a@example.com", name: "Alice" });
      expect(await storage().userPools.updateUser(POOL, user.sub, { status: "CONFIRMED", passwordHash: "new-hash", updatedAt: BASE_MS + 5 })).toBe(true);
      await storage().userPools.setAttributes(POOL, user.sub, { email_verified: "true", name: null }, BASE_MS + 6);
      expect(await storage().userPools.getUser(POOL, "alice")).toEqual({
        ...user,
        status: "CONFIRMED",
        passwordHash: "new-hash",
        updatedAt: BASE_MS + 6,
        attributes: { email: "a@example.com", email_verified: "true" },
      });
      expect(await storage().userPools.updateUser(POOL, "no-such-sub", { enabled: false, updatedAt: BASE_MS })).toBe(false);
    });

    it("renames an attribute for every user of the pool who lacks the new name, and names those who hold both", async () => {
      const alice = makeUser("alice");
      const bob = makeUser("bob");
      const carol = makeUser("carol");
      await storage().userPools.createUser(alice, { "custom:tier": "gold" });
      await storage().userPools.createUser(bob, { "custom:tier": "silver", "custom:plan": "team" });
      await storage().userPools.createUser(carol, { email: "c@example.com" });
      await storage().userPools.createUser(makeUser("dave", { poolId: "local_other" }), { "custom:tier": "bronze" });
      expect(await storage().userPools.renameAttribute(POOL, "custom:tier", "custom:plan")).toEqual({ renamed: 1, conflicts: ["bob"] });
      expect((await storage().userPools.getUser(POOL, "alice"))!.attributes).toEqual({ "custom:plan": "gold" });
      expect((await storage().userPools.getUser(POOL, "bob"))!.attributes).toEqual({ "custom:plan": "team", "custom:tier": "silver" });
      expect((await storage().userPools.getUser(POOL, "carol"))!.attributes).toEqual({ email: "c@example.com" });
      expect((await storage().userPools.getUser("local_other", "dave"))!.attributes).toEqual({ "custom:tier": "bronze" });
      expect(await storage().userPools.renameAttribute(POOL, "custom:tier", "custom:plan")).toEqual({ renamed: 0, conflicts: ["bob"] });
    });

    it("keeps one code per purpose, counts wrong answers, and lets only one deletion win", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      const code = { poolId: POOL, sub: user.sub, purpose: "SIGN_UP", codeHash: "h1", attempts: 0, expiresAt: BASE_MS + 1000, createdAt: BASE_MS };
      await storage().userPools.saveCode(code);
      expect(await storage().userPools.countCodeAttempt(POOL, user.sub, "SIGN_UP")).toBe(1);
      expect(await storage().userPools.countCodeAttempt(POOL, user.sub, "SIGN_UP")).toBe(2);
      await storage().userPools.saveCode({ ...code, codeHash: "h2", createdAt: BASE_MS + 1 });
      expect(await storage().userPools.getCode(POOL, user.sub, "SIGN_UP")).toEqual({ ...code, codeHash: "h2", createdAt: BASE_MS + 1 });
      expect(await storage().userPools.getCode(POOL, user.sub, "FORGOT_PASSWORD")).toBeNull();
      expect(await storage().userPools.deleteCode(POOL, user.sub, "SIGN_UP")).toBe(true);
      expect(await storage().userPools.deleteCode(POOL, user.sub, "SIGN_UP")).toBe(false);
    });

    it("rotates a refresh token once and revokes the whole session when it is presented again after the grace", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      const session = makeSession("jti-1", user.sub);
      await storage().userPools.createSession(session, "token-1");
      expect(await storage().userPools.useRefreshToken("token-1", "token-2", BASE_MS + 10, 0)).toEqual({ outcome: "rotated", session });
      expect(await storage().userPools.useRefreshToken("token-2", "token-3", BASE_MS + 20, 0)).toEqual({ outcome: "rotated", session });
      const reused = await storage().userPools.useRefreshToken("token-1", "token-4", BASE_MS + 30, 0);
      expect(reused).toEqual({ outcome: "reused", session: { ...session, revokedAt: BASE_MS + 30 } });
      expect((await storage().userPools.getSession("jti-1"))?.revokedAt).toBe(BASE_MS + 30);
      expect(await storage().userPools.useRefreshToken("never-issued", null, BASE_MS + 40, 0)).toEqual({ outcome: "unknown" });
    });

    it("keeps the scopes granted to a session and returns them with its refresh tokens", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      await storage().userPools.createSession(makeSession("jti-1", user.sub), "token-1");
      expect((await storage().userPools.getSession("jti-1"))?.scope).toBeNull();
      expect(await storage().userPools.grantSessionScope("jti-1", "openid email")).toBe(true);
      expect(await storage().userPools.grantSessionScope("jti-missing", "openid")).toBe(false);
      expect((await storage().userPools.getSession("jti-1"))?.scope).toBe("openid email");
      const use = await storage().userPools.useRefreshToken("token-1", "token-2", BASE_MS + 10, 0);
      expect(use).toMatchObject({ outcome: "rotated", session: { originJti: "jti-1", scope: "openid email" } });
    });

    it("accepts a replaced refresh token again within the grace without revoking", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      await storage().userPools.createSession(makeSession("jti-1", user.sub), "token-1");
      await storage().userPools.useRefreshToken("token-1", "token-2", BASE_MS + 10, 5000);
      expect((await storage().userPools.useRefreshToken("token-1", "token-2b", BASE_MS + 20, 5000)).outcome).toBe("rotated");
      expect((await storage().userPools.getSession("jti-1"))?.revokedAt).toBeNull();
    });

    it("revokes one session, or every session of a user, and deletes a user with all it owns", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, { email: "a@example.com" });
      await storage().userPools.createSession(makeSession("jti-1", user.sub), "token-1");
      await storage().userPools.createSession(makeSession("jti-2", user.sub), "token-2");
      await storage().userPools.createSession(makeSession("jti-3", user.sub), "token-3");
      expect(await storage().userPools.revokeSession("jti-1", BASE_MS + 1)).toBe(true);
      expect(await storage().userPools.revokeSession("jti-1", BASE_MS + 2)).toBe(false);
      expect(await storage().userPools.revokeUserSessions(POOL, user.sub, BASE_MS + 3)).toBe(2);
      expect((await storage().userPools.getSession("jti-1"))?.revokedAt).toBe(BASE_MS + 1);
      expect((await storage().userPools.getSession("jti-3"))?.revokedAt).toBe(BASE_MS + 3);
      expect(await storage().userPools.deleteUser(POOL, user.sub)).toBe(true);
      expect(await storage().userPools.getUser(POOL, "alice")).toBeNull();
      expect(await storage().userPools.getSession("jti-2")).toBeNull();
      expect(await storage().userPools.useRefreshToken("token-2", null, BASE_MS + 4, 0)).toEqual({ outcome: "unknown" });
      expect(await storage().userPools.findUsernamesByAttribute(POOL, "email", "a@example.com")).toEqual([]);
      expect(await storage().userPools.deleteUser(POOL, user.sub)).toBe(false);
    });

    it("stores a user's authenticator and accepts each TOTP time step once, later steps only", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      expect(await storage().userPools.getTotp(POOL, user.sub)).toBeNull();
      const totp = { poolId: POOL, sub: user.sub, secret: "sealed:v1:secret", pendingSecret: null, deviceName: "phone", enabled: true, preferred: true, lastStep: null, updatedAt: BASE_MS };
      await storage().userPools.saveTotp(totp);
      expect(await storage().userPools.getTotp(POOL, user.sub)).toEqual(totp);
      expect(await storage().userPools.useTotpStep(POOL, user.sub, 100)).toBe(true);
      expect(await storage().userPools.useTotpStep(POOL, user.sub, 100)).toBe(false);
      expect(await storage().userPools.useTotpStep(POOL, user.sub, 99)).toBe(false);
      expect(await storage().userPools.useTotpStep(POOL, user.sub, 101)).toBe(true);
      expect((await storage().userPools.getTotp(POOL, user.sub))?.lastStep).toBe(101);
    });

    it("stores a user's email and SMS MFA settings, replaces them, and drops them with the user", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      expect(await storage().userPools.getMfaOptions(POOL, user.sub)).toBeNull();
      const options = { poolId: POOL, sub: user.sub, emailEnabled: true, smsEnabled: false, preferred: "EMAIL_OTP" as const, updatedAt: BASE_MS };
      await storage().userPools.saveMfaOptions(options);
      expect(await storage().userPools.getMfaOptions(POOL, user.sub)).toEqual(options);
      const changed = { ...options, emailEnabled: false, smsEnabled: true, preferred: null, updatedAt: BASE_MS + 1 };
      await storage().userPools.saveMfaOptions(changed);
      expect(await storage().userPools.getMfaOptions(POOL, user.sub)).toEqual(changed);
      await storage().userPools.deleteUser(POOL, user.sub);
      expect(await storage().userPools.getMfaOptions(POOL, user.sub)).toBeNull();
    });

    it("counts failed sign-ins, starts again after the quiet time, and forgets them on request", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      expect(await storage().userPools.getSignInFailures(POOL, user.sub)).toBeNull();
      expect(await storage().userPools.countSignInFailure(POOL, user.sub, BASE_MS, BASE_MS - 1000)).toEqual({ failures: 1, lastFailedAt: BASE_MS });
      expect(await storage().userPools.countSignInFailure(POOL, user.sub, BASE_MS + 10, BASE_MS - 1000)).toEqual({ failures: 2, lastFailedAt: BASE_MS + 10 });
      expect(await storage().userPools.countSignInFailure(POOL, user.sub, BASE_MS + 5000, BASE_MS + 4000)).toEqual({ failures: 1, lastFailedAt: BASE_MS + 5000 });
      await storage().userPools.clearSignInFailures(POOL, user.sub);
      expect(await storage().userPools.getSignInFailures(POOL, user.sub)).toBeNull();
    });

    it("keeps the newest n replaced password hashes, newest first", async () => {
      const user = makeUser("alice");
      await storage().userPools.createUser(user, {});
      for (const [index, hash] of ["h1", "h2", "h3", "h4"].entries()) await storage().userPools.addPasswordHistory(POOL, user.sub, hash, BASE_MS, index < 3 ? 3 : 2);
      expect(await storage().userPools.listPasswordHistory(POOL, user.sub, 10)).toEqual(["h4", "h3"]);
      expect(await storage().userPools.listPasswordHistory(POOL, user.sub, 1)).toEqual(["h4"]);
      expect(await storage().userPools.listPasswordHistory(POOL, user.sub, 0)).toEqual([]);
      expect(await storage().userPools.deleteUser(POOL, user.sub)).toBe(true);
    });
  });
}
