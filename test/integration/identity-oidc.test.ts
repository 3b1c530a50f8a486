/**
 * Federation: signing in with an OIDC provider's ID token, against a real provider over HTTP
 * (test/helpers/oidc-provider.ts). Every refusal the issue lists has its own case.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret mergedIdentityIds } }`;

describe("sign-in with an OIDC provider", () => {
  let idp: TestIdentityProvider;
  let hangingIdp: TestIdentityProvider;
  let server: InProcessServer;
  let clockMs = Date.now();
  const now = () => clockMs;

  const signIn = (token: string, pool = "oidc", provider = "test-idp", extra: Record<string, unknown> = {}) =>
    server.gql(SIGN_IN, { input: { identityPoolId: pool, logins: [{ provider, token }], ...extra } });
  const errorOf = (response: GqlResponse) => {
    expect(response.errors, JSON.stringify(response)).toBeDefined();
    return response.errors![0]!;
  };

  beforeAll(async () => {
    idp = await startTestIdentityProvider({ now });
    hangingIdp = await startTestIdentityProvider({ now });
    hangingIdp.hang = true;
    const pools = [
      // No jwksUri: found through discovery.
      { id: "oidc", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"], jwksTimeoutMs: 500 }] },
      { id: "oidc-direct", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"], jwksUri: `${idp.issuer}/jwks` }] },
      { id: "other-app", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["other-client"] }] },
      { id: "hanging", providers: [{ name: "slow", issuer: hangingIdp.issuer, audiences: ["app-client"], jwksTimeoutMs: 300 }] },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } }, now }) // the identity provider is on loopback;
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
    await hangingIdp?.close();
  });

  it("signs a valid token in to an authenticated identity whose token works", async () => {
    const { data } = await signIn(await idp.token({ sub: "alice" }));
    expect(data.signIn).toMatchObject({ identityId: expect.stringMatching(/^local:/), deviceSecret: null, mergedIdentityIds: [] });
    expect(decodeJwt(data.signIn.token)).toMatchObject({ sub: data.signIn.identityId, aud: "oidc", amr: ["authenticated"], tags: { sub: "alice", aud: "app-client" } });
    const usage = await server.gql(`{ usage { identityId } }`, {}, data.signIn.token);
    expect(usage.data.usage.identityId).toBe(data.signIn.identityId);
  });

  it("reaches the same identity with the same login, by provider name or issuer host", async () => {
    const first = (await signIn(await idp.token({ sub: "bob" }))).data.signIn;
    clockMs += 1000;
    const second = (await signIn(await idp.token({ sub: "bob" }), "oidc", new URL(idp.issuer).host)).data.signIn;
    expect(second.identityId).toBe(first.identityId);
    const other = (await signIn(await idp.token({ sub: "carol" }))).data.signIn;
    expect(other.identityId).not.toBe(first.identityId);
  });

  it("accepts RS256, ES256 and EdDSA", async () => {
    for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
      const { data, errors } = await signIn(await idp.token({ sub: `alg-${alg}`, alg }));
      expect(errors, alg).toBeUndefined();
      expect(data.signIn.identityId).toMatch(/^local:/);
    }
  });

  it("finds the key set through discovery once and then serves it from the cache", async () => {
    await signIn(await idp.token({ sub: "cached-1" }));
    const fetched = { ...idp.fetches };
    await signIn(await idp.token({ sub: "cached-2" }));
    await signIn(await idp.token({ sub: "cached-3", alg: "ES256" }));
    expect(idp.fetches).toEqual(fetched);
    expect(fetched.discovery).toBeGreaterThanOrEqual(1);
  });

  it("uses a configured jwksUri without discovery", async () => {
    const discoveries = idp.fetches.discovery;
    const { errors } = await signIn(await idp.token({ sub: "direct" }), "oidc-direct");
    expect(errors).toBeUndefined();
    expect(idp.fetches.discovery).toBe(discoveries);
  });

  it("allows a small clock leeway on exp and nbf", async () => {
    expect((await signIn(await idp.token({ sub: "leeway", expiresIn: -30 }))).errors).toBeUndefined();
    expect((await signIn(await idp.token({ sub: "leeway", notBefore: 30 }))).errors).toBeUndefined();
  });

  const refusals: Array<[string, () => Promise<string>, string]> = [
    ["a bad signature", () => idp.tokenSignedByStranger({ sub: "mallory" }), "INVALID_LOGIN"],
    ["alg none", async () => idp.unsignedToken({ sub: "mallory" }), "INVALID_LOGIN"],
    ["HS256 signed with the provider's public key", () => idp.hmacWithPublicKey({ sub: "mallory" }), "INVALID_LOGIN"],
    ["an expired token", () => idp.token({ sub: "mallory", expiresIn: -120 }), "LOGIN_EXPIRED"],
    ["a token not yet valid", () => idp.token({ sub: "mallory", notBefore: 120 }), "INVALID_LOGIN"],
    ["a wrong issuer", () => idp.token({ sub: "mallory", iss: "http://127.0.0.1:1" }), "INVALID_LOGIN"],
    ["a wrong audience", () => idp.token({ sub: "mallory", aud: "other-client" }), "INVALID_LOGIN"],
  ];
  it.each(refusals)("refuses %s with UNAUTHENTICATED and creates nothing", async (_case, makeToken, reason) => {
    const before = (await server.storage.identities.listIdentities("oidc", null, 10_000)).length;
    const error = errorOf(await signIn(await makeToken()));
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason, provider: "test-idp" });
    expect((await server.storage.identities.listIdentities("oidc", null, 10_000)).length).toBe(before);
  });

  it("refuses a token for another pool's provider (the audience of another app)", async () => {
    const error = errorOf(await signIn(await idp.token({ sub: "alice", aud: "other-client" }), "oidc"));
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_LOGIN" });
    // ...while that pool takes it.
    expect((await signIn(await idp.token({ sub: "alice", aud: "other-client" }), "other-app")).errors).toBeUndefined();
  });

  it("refetches the key set for an unknown key id, at most once per cooldown, and refuses a kid still unknown", async () => {
    await signIn(await idp.token({ sub: "rotation" })); // warm
    const rotatedKid = await idp.rotate("ES256");
    clockMs += 31_000; // past the refetch cooldown
    const jwksBefore = idp.fetches.jwks;
    const rotated = await signIn(await idp.token({ sub: "rotation", alg: "ES256" }));
    expect(rotated.errors).toBeUndefined();
    expect(idp.fetches.jwks).toBe(jwksBefore + 1);
    expect(decodeJwt(rotated.data.signIn.token).sub).toBe(rotated.data.signIn.identityId);
    expect(rotatedKid).toMatch(/ES256/);

    // Within the cooldown: refused without asking the provider again.
    const early = errorOf(await signIn(await idp.token({ sub: "rotation", kid: "never-published" })));
    expect(early.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNKNOWN_KEY" });
    expect(idp.fetches.jwks).toBe(jwksBefore + 1);

    // After the cooldown: one refetch, and the kid is still unknown.
    clockMs += 31_000;
    const late = errorOf(await signIn(await idp.token({ sub: "rotation", kid: "never-published" })));
    expect(late.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNKNOWN_KEY" });
    expect(idp.fetches.jwks).toBe(jwksBefore + 2);
  });

  it("answers within the timeout when the provider's key set hangs", async () => {
    // The provider never answers: only the 300 ms limit can end the sign-in, and the message says that it did.
    const error = errorOf(await signIn(await hangingIdp.token({ sub: "patient" }), "hanging", "slow"));
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "PROVIDER_UNAVAILABLE", provider: "slow" });
    expect(error.message).toContain("did not answer within 300 ms");
  });

  it("refuses a login of a provider the pool does not list, and a developer-provider login", async () => {
    const error = errorOf(await signIn(await idp.token(), "oidc", "elsewhere.example"));
    expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "logins", provider: "elsewhere.example" });
  });

  it("does not sign an identity of a login in by its id alone", async () => {
    const alice = (await signIn(await idp.token({ sub: "alice" }))).data.signIn;
    const error = errorOf(await server.gql(SIGN_IN, { input: { identityPoolId: "oidc", identityId: alice.identityId } }));
    expect(error.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
