import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../core/limits.js";
import { poolSettingsSchema } from "../../server/config.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const SIGN_IN = `mutation ($input: SignInInput!) {
  signIn(input: $input) { identityId token expiresAt deviceSecret mergedIdentityIds }
}`;
const USAGE = `{ usage { identityId datasetCount } }`;
const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
const UUID_V4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

function firstError(response: GqlResponse) {
  expect(response.errors, JSON.stringify(response)).toBeDefined();
  return response.errors![0]!;
}

describe("sign-in with the default pool", () => {
  let server: InProcessServer;
  let clockMs = Date.now();

  beforeAll(async () => {
    server = await startInProcessServer({ now: () => clockMs });
  });
  afterAll(async () => server?.close());

  it("has a default pool that allows guests when nothing is configured", async () => {
    expect(await server.storage.pools.getPool("default")).toMatchObject({ id: "default", settings: { allowGuests: true } });
  });

  it("creates a new guest with an identity id, a token and a device secret", async () => {
    const { data } = await server.gql(SIGN_IN, { input: { identityPoolId: "default" } });
    const session = data.signIn;
    expect(session.identityId).toMatch(new RegExp(`^local:${UUID_V4}$`));
    expect(session.identityId.length).toBeLessThanOrEqual(55);
    expect(session.deviceSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.mergedIdentityIds).toEqual([]);

    const claims = decodeJwt(session.token);
    expect(claims).toMatchObject({ sub: session.identityId, aud: "default", iss: "syncpool" });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(session.expiresAt).toBe(claims.exp! * 1000);
    expect(decodeProtectedHeader(session.token)).toMatchObject({ alg: "ES256", kid: expect.any(String) });
  });

  it("stores only a hash of the device secret", async () => {
    const guest = await server.signInGuest();
    const row = await server.storage.pools.getIdentity(guest.identityId);
    expect(row?.secretHash).toBeTruthy();
    expect(row?.secretHash).not.toContain(guest.deviceSecret);
  });

  it("acts as the token's identity on data operations", async () => {
    const guest = await server.signInGuest();
    const { data } = await server.gql(USAGE, {}, guest.token);
    expect(data.usage).toEqual({ identityId: guest.identityId, datasetCount: 0 });
  });

  it("signs a returning guest in with its identity id and device secret", async () => {
    const guest = await server.signInGuest();
    clockMs += 1000; // a later second, so the new token differs from the first
    const { data } = await server.gql(SIGN_IN, {
      input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: guest.deviceSecret },
    });
    expect(data.signIn).toMatchObject({ identityId: guest.identityId, deviceSecret: null, mergedIdentityIds: [] });
    expect(data.signIn.token).not.toBe(guest.token);
    expect((await server.gql(USAGE, {}, data.signIn.token)).data.usage.identityId).toBe(guest.identityId);
  });

  it("refuses a returning guest without its device secret", async () => {
    const guest = await server.signInGuest();
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "default", identityId: guest.identityId } }));
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED", field: "deviceSecret" });
  });

  it("refuses a returning guest with a wrong device secret, and an unknown identity, alike", async () => {
    const guest = await server.signInGuest();
    const other = await server.signInGuest();
    const wrong = firstError(
      await server.gql(SIGN_IN, { input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: other.deviceSecret } }),
    );
    const unknown = firstError(
      await server.gql(SIGN_IN, {
        input: { identityPoolId: "default", identityId: "local:00000000-0000-4000-8000-000000000000", deviceSecret: guest.deviceSecret },
      }),
    );
    expect(wrong).toMatchObject({ message: "unknown identity or wrong device secret", extensions: { code: "UNAUTHENTICATED" } });
    expect(unknown).toMatchObject({ message: wrong.message, extensions: { code: "UNAUTHENTICATED" } });
  });

  it("refuses a device secret sent without an identity id", async () => {
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "default", deviceSecret: "x".repeat(43) } }));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "identityId" });
  });

  it("answers NOT_FOUND for an unknown pool", async () => {
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "no-such-pool" } }));
    expect(error).toMatchObject({ message: 'identity pool "no-such-pool" not found', extensions: { code: "NOT_FOUND" } });
  });

  it("refuses a login from a provider the pool does not have, naming it", async () => {
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "default", logins: [{ provider: "facebook", token: "t" }] } }));
    expect(error.message).toContain('unknown login provider "facebook"');
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "logins", provider: "facebook" });
  });

  it("bounds the lengths of sign-in fields", async () => {
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "p".repeat(56) } }));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "identityPoolId" });
  });

  describe("tokens", () => {
    it("refuses a data operation without a token", async () => {
      expect(firstError(await server.gql(USAGE)).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    });

    it("refuses an expired token with 'token expired'", async () => {
      const guest = await server.signInGuest();
      clockMs += 901_000;
      const error = firstError(await server.gql(USAGE, {}, guest.token));
      expect(error).toMatchObject({ message: expect.stringContaining("token expired"), extensions: { code: "UNAUTHENTICATED" } });
    });

    it("refuses a token that is not a JWT", async () => {
      const error = firstError(await server.gql(USAGE, {}, "not-a-token"));
      expect(error).toMatchObject({ message: expect.stringContaining("invalid token"), extensions: { code: "UNAUTHENTICATED" } });
    });

    it("refuses a token signed by another key", async () => {
      const guest = await server.signInGuest();
      const { privateKey } = await generateKeyPair("ES256");
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: decodeProtectedHeader(guest.token).kid! })
        .setIssuer("syncpool")
        .setSubject(guest.identityId)
        .setAudience("default")
        .setIssuedAt(Math.floor(clockMs / 1000))
        .setExpirationTime(Math.floor(clockMs / 1000) + 600)
        .sign(privateKey);
      const error = firstError(await server.gql(USAGE, {}, forged));
      expect(error).toMatchObject({ message: expect.stringContaining("invalid token"), extensions: { code: "UNAUTHENTICATED" } });
    });

    it("refuses a token whose claims were changed (another identity)", async () => {
      const alice = await server.signInGuest();
      const bob = await server.signInGuest();
      const [header, , signature] = alice.token.split(".");
      const [, bobPayload] = bob.token.split(".");
      const error = firstError(await server.gql(USAGE, {}, `${header}.${bobPayload}.${signature}`));
      expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    });

    it("refuses an unsigned token (alg none)", async () => {
      const guest = await server.signInGuest();
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const unsigned = `${encode({ alg: "none", typ: "JWT" })}.${guest.token.split(".")[1]}.`;
      expect(firstError(await server.gql(USAGE, {}, unsigned)).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    });

    it("refuses an Authorization header that is not a bearer token", async () => {
      const response = await server.testFetch(server.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Basic dXNlcjpwYXNz" },
        body: JSON.stringify({ query: USAGE }),
      });
      const body = (await response.json()) as GqlResponse;
      expect(firstError(body).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    });
  });

  it("keeps the admin API closed without SYNCPOOL_ADMIN_TOKEN", async () => {
    const error = firstError(await server.gql(`{ identityPools { id } }`, {}, "anything"));
    expect(error.extensions).toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("configured pools and the admin API", () => {
  let server: InProcessServer;
  const admin = (query: string, variables: Record<string, unknown> = {}) => server.gql(query, variables, ADMIN_TOKEN);
  const CREATE = `mutation ($input: CreateIdentityPoolInput!) {
    createIdentityPool(input: $input) { id region allowGuests limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs } createdAt }
  }`;

  beforeAll(async () => {
    const pools = [
      { id: "app-a", region: "eu-west-1" },
      { id: "app-b" },
      { id: "members-only", allowGuests: false },
      {
        id: "with-logins",
        providers: [{ name: "google", issuer: "https://accounts.google.com", audiences: ["c"], jwksUri: "https://www.googleapis.com/oauth2/v3/certs" }],
      },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { adminToken: ADMIN_TOKEN, pools } });
  });
  afterAll(async () => server?.close());

  it("creates guests with the pool's region in their id", async () => {
    expect((await server.signInGuest("app-a")).identityId).toMatch(new RegExp(`^eu-west-1:${UUID_V4}$`));
  });

  it("does not create the default pool when pools are configured", async () => {
    expect(firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "default" } })).extensions).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses an identity of another pool", async () => {
    const guest = await server.signInGuest("app-a");
    const error = firstError(
      await server.gql(SIGN_IN, { input: { identityPoolId: "app-b", identityId: guest.identityId, deviceSecret: guest.deviceSecret } }),
    );
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("refuses guests in a pool that does not allow them", async () => {
    const error = firstError(await server.gql(SIGN_IN, { input: { identityPoolId: "members-only" } }));
    expect(error.extensions).toMatchObject({ code: "FORBIDDEN" });
  });

  it("refuses a login token that is not a JWT before fetching any of the provider's keys", async () => {
    const error = firstError(
      await server.gql(SIGN_IN, { input: { identityPoolId: "with-logins", logins: [{ provider: "accounts.google.com", token: "t" }] } }),
    );
    expect(error.message).toContain("not a JWT");
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_LOGIN", provider: "google" });
  });

  it("needs the admin token for admin operations", async () => {
    const guest = await server.signInGuest("app-a");
    expect(firstError(await server.gql(`{ identityPools { id } }`)).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(firstError(await server.gql(`{ identityPools { id } }`, {}, "wrong-admin-token-0123456789")).extensions).toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(firstError(await server.gql(`{ identityPools { id } }`, {}, guest.token)).extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(firstError(await server.gql(CREATE, { input: { id: "sneaky" } }, guest.token)).extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(await server.storage.pools.getPool("sneaky")).toBeNull();
  });

  it("lists the configured pools", async () => {
    const { data } = await admin(`{ identityPools { id region allowGuests limits { maxRecords } createdAt } }`);
    expect(data.identityPools.map((pool: { id: string }) => pool.id)).toEqual(["app-a", "app-b", "members-only", "with-logins"]);
    expect(data.identityPools[0]).toMatchObject({ region: "eu-west-1", allowGuests: true, limits: { maxRecords: DEFAULT_LIMITS.maxRecords } });
  });

  it("creates a pool with a generated id and signs guests in to it", async () => {
    const { data } = await admin(CREATE, { input: { region: "us-east-1", limits: { maxRecords: 10 } } });
    const pool = data.createIdentityPool;
    expect(pool).toMatchObject({ region: "us-east-1", allowGuests: true, limits: { ...DEFAULT_LIMITS, maxRecords: 10 } });
    expect(pool.id).toMatch(new RegExp(`^us-east-1:${UUID_V4}$`));

    const guest = await server.signInGuest(pool.id);
    expect(guest.identityId).toMatch(/^us-east-1:/);
    const { data: usage } = await server.gql(`{ usage { limits { maxRecords } } }`, {}, guest.token);
    expect(usage.usage.limits.maxRecords).toBe(10);
    expect((await admin(`{ identityPools { id } }`)).data.identityPools.map((p: { id: string }) => p.id)).toContain(pool.id);
  });

  it("creates a pool with a chosen id and refuses the same id twice", async () => {
    expect((await admin(CREATE, { input: { id: "chosen", allowGuests: false } })).data.createIdentityPool).toMatchObject({
      id: "chosen",
      region: "local",
      allowGuests: false,
    });
    const error = firstError(await admin(CREATE, { input: { id: "chosen" } }));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
  });

  it("refuses a pool with a bad limit, naming the field", async () => {
    const error = firstError(await admin(CREATE, { input: { id: "bad-limits", limits: { maxRecords: 0 } } }));
    expect(error).toMatchObject({
      message: "limits.maxRecords: expected a positive integer",
      extensions: { code: "BAD_USER_INPUT", field: "limits.maxRecords" },
    });
  });

  it("keeps pools across a restart on the same data directory", async () => {
    const restarted = await startInProcessServer({ dataDir: server.dataDir, config: { adminToken: ADMIN_TOKEN } });
    try {
      expect(await restarted.storage.pools.getPool("chosen")).toMatchObject({ id: "chosen" });
    } finally {
      await restarted.close();
    }
  });
});
