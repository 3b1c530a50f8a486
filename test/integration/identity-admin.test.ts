/**
 * Hardening: the admin API's identity calls (disable, list with logins, never secrets) and rate
 * limits per identity and per client address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
const DEVELOPER_KEY = "developer-key-for-tests-0123456789abcdef";
const IDENTITY_FIELDS = "identityId identityPoolId hasDeviceSecret createdAt disabledAt mergedInto logins { provider subject linkedAt }";
const LIST = `query ($pool: String!, $first: Int, $after: String) { identities(identityPoolId: $pool, first: $first, after: $after) { identities { ${IDENTITY_FIELDS} } nextCursor } }`;
const DISABLE = `mutation ($id: String!) { disableIdentity(identityId: $id) { ${IDENTITY_FIELDS} } }`;
const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret } }`;
const USAGE = `{ usage { identityId } }`;

describe("identity administration and rate limits", () => {
  let server: InProcessServer;
  // The rate limiter's monotonic clock, moved by the tests instead of waiting out a retry time.
  let monotonicMs = 0;
  const admin = (query: string, variables: Record<string, unknown>) => server.gql(query, variables, ADMIN_TOKEN);
  const errorOf = (response: GqlResponse) => {
    expect(response.errors, JSON.stringify(response)).toBeDefined();
    return response.errors![0]!;
  };

  beforeAll(async () => {
    const pools = [
      { id: "listed", developerProvider: { name: "backend", key: DEVELOPER_KEY } },
      { id: "throttled", rateLimits: { perIdentity: { burst: 3, perSecond: 2 } } },
      { id: "crowded", rateLimits: { perAddress: { burst: 2, perSecond: 0.01 } } },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN }, serverOptions: { rateLimitClock: () => monotonicMs } });
  });
  afterAll(async () => server?.close());

  describe("disableIdentity", () => {
    it("stops the identity's tokens at once and refuses its next sign-in", async () => {
      const guest = await server.signInGuest("listed");
      expect((await server.gql(USAGE, {}, guest.token)).data.usage.identityId).toBe(guest.identityId);
      const { data } = await admin(DISABLE, { id: guest.identityId });
      expect(data.disableIdentity).toMatchObject({ identityId: guest.identityId, hasDeviceSecret: true, disabledAt: expect.any(Number), mergedInto: null });
      expect(errorOf(await server.gql(USAGE, {}, guest.token)).extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_DISABLED" });
      const again = await server.gql(SIGN_IN, { input: { identityPoolId: "listed", identityId: guest.identityId, deviceSecret: guest.deviceSecret } });
      expect(errorOf(again).extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_DISABLED" });
      // Idempotent: the first time stays.
      expect((await admin(DISABLE, { id: guest.identityId })).data.disableIdentity.disabledAt).toBe(data.disableIdentity.disabledAt);
    });

    it("needs the admin token, and answers NOT_FOUND for an unknown identity", async () => {
      const guest = await server.signInGuest("listed");
      expect(errorOf(await server.gql(DISABLE, { id: guest.identityId }, guest.token)).extensions).toMatchObject({ code: "FORBIDDEN" });
      expect(await server.storage.identities.getIdentityStatus(guest.identityId)).toMatchObject({ disabledAt: null });
      expect(errorOf(await admin(DISABLE, { id: "local:00000000-0000-4000-8000-000000000000" })).extensions).toMatchObject({ code: "NOT_FOUND" });
    });
  });

  describe("identities", () => {
    it("lists a pool's identities with their logins, paged, and never a secret", async () => {
      const developer = await server.gql(
        `mutation { getTokenForDeveloperIdentity(identityPoolId: "listed", developerUserId: "listed-user") { identityId } }`,
        {},
        DEVELOPER_KEY,
      );
      const linkedId = developer.data.getTokenForDeveloperIdentity.identityId;
      const guest = await server.signInGuest("listed");
      const all: Array<Record<string, unknown>> = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const { data }: GqlResponse = await admin(LIST, { pool: "listed", first: 2, after });
        all.push(...data.identities.identities);
        after = data.identities.nextCursor;
        pages++;
      } while (after !== null);
      expect(pages).toBeGreaterThan(1);
      const ids = all.map((identity) => identity.identityId as string);
      expect(ids).toEqual([...ids].sort());
      expect(all.find((identity) => identity.identityId === linkedId)).toMatchObject({
        hasDeviceSecret: false,
        logins: [{ provider: "backend", subject: "listed-user", linkedAt: expect.any(Number) }],
      });
      expect(all.find((identity) => identity.identityId === guest.identityId)).toMatchObject({ hasDeviceSecret: true, logins: [] });
      expect(JSON.stringify(all)).not.toContain(guest.deviceSecret);
      expect(JSON.stringify(all)).not.toContain("sha256:");
    });

    it("refuses identity tokens and unknown pools", async () => {
      const guest = await server.signInGuest("listed");
      expect(errorOf(await server.gql(LIST, { pool: "listed" }, guest.token)).extensions).toMatchObject({ code: "FORBIDDEN" });
      expect(errorOf(await admin(LIST, { pool: "nowhere" })).extensions).toMatchObject({ code: "NOT_FOUND" });
    });
  });

  describe("rate limits", () => {
    it("limits requests per identity with RATE_LIMITED and a retry time, then lets it through again", async () => {
      const guest = await server.signInGuest("throttled");
      const answers = await Promise.all([1, 2, 3, 4].map(() => server.gql(USAGE, {}, guest.token)));
      const limited = answers.filter((answer) => answer.errors);
      expect(limited).toHaveLength(1);
      const { retryAfterMs } = errorOf(limited[0]!).extensions as { retryAfterMs: number };
      expect(errorOf(limited[0]!).extensions).toMatchObject({ code: "RATE_LIMITED", limit: "perIdentity" });
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(500);
      monotonicMs += retryAfterMs - 1;
      expect(errorOf(await server.gql(USAGE, {}, guest.token)).extensions).toMatchObject({ code: "RATE_LIMITED", limit: "perIdentity" });
      monotonicMs += retryAfterMs;
      expect((await server.gql(USAGE, {}, guest.token)).errors).toBeUndefined();
      // Another identity of the pool has its own bucket.
      expect((await server.gql(USAGE, {}, (await server.signInGuest("throttled")).token)).errors).toBeUndefined();
    });

    it("limits sign-ins per client address within a pool, leaving other pools alone", async () => {
      await server.signInGuest("crowded");
      await server.signInGuest("crowded");
      const error = errorOf(await server.gql(SIGN_IN, { input: { identityPoolId: "crowded" } }));
      expect(error.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "perAddress" });
      expect((error.extensions as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(1000);
      await expect(server.signInGuest("listed")).resolves.toMatchObject({ identityId: expect.any(String) });
    });
  });
});
