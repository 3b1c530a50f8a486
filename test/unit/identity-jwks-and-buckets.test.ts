/**
 * The OIDC key-set cache (expiry, refetch cooldown, shared fetches, keeping keys when a refresh
 * fails) over a fake fetch, and the token buckets of the rate limiter over a fake clock.
 */
import { describe, expect, it } from "vitest";
import { createJwksCache, type FetchLike } from "../../server/identity/jwks-cache.js";
import { poolSettingsSchema } from "../../server/identity/pool-settings.js";
import { createRateLimiter } from "../../server/identity/rate-limiter.js";

const provider = poolSettingsSchema.parse({
  id: "p",
  providers: [{ name: "idp", issuer: "https://idp.example", audiences: ["app"] }],
}).providers[0]!;

function fakeProvider() {
  const state = { kids: ["k1"], fail: false, calls: [] as string[] };
  const fetch: FetchLike = async (url) => {
    state.calls.push(url);
    if (state.fail) throw new TypeError("fetch failed");
    const body = url.endsWith("/.well-known/openid-configuration")
      ? { issuer: "https://idp.example", jwks_uri: "https://idp.example/keys" }
      : { keys: state.kids.map((kid) => ({ kty: "EC", crv: "P-256", x: "x", y: "y", kid })) };
    return new Response(JSON.stringify(body));
  };
  return { state, fetch };
}

describe("JWKS cache", () => {
  it("discovers the key set once, then serves it until it expires", async () => {
    const { state, fetch } = fakeProvider();
    let nowMs = 0;
    const cache = createJwksCache({ fetch, now: () => nowMs, maxAgeMs: 1000, refetchCooldownMs: 100 });
    await Promise.all([cache.keysFor(provider, "k1"), cache.keysFor(provider, "k1")]);
    expect(state.calls).toEqual(["https://idp.example/.well-known/openid-configuration", "https://idp.example/keys"]);
    nowMs = 999;
    await cache.keysFor(provider, "k1");
    expect(state.calls).toHaveLength(2);
    nowMs = 1000;
    await cache.keysFor(provider, "k1");
    expect(state.calls).toHaveLength(4);
  });

  it("refetches for an unknown kid only after the cooldown", async () => {
    const { state, fetch } = fakeProvider();
    let nowMs = 0;
    const cache = createJwksCache({ fetch, now: () => nowMs, refetchCooldownMs: 100 });
    await cache.keysFor(provider, "k1");
    state.kids = ["k1", "k2"];
    expect((await cache.keysFor(provider, "k2")).keys.map((key) => key.kid)).toEqual(["k1"]);
    nowMs = 100;
    expect((await cache.keysFor(provider, "k2")).keys.map((key) => key.kid)).toEqual(["k1", "k2"]);
  });

  it("keeps the keys it has when a refresh fails, and refuses when it has none", async () => {
    const { state, fetch } = fakeProvider();
    let nowMs = 0;
    const cache = createJwksCache({ fetch, now: () => nowMs, maxAgeMs: 10, refetchCooldownMs: 10 });
    await cache.keysFor(provider, "k1");
    state.fail = true;
    nowMs = 50;
    expect((await cache.keysFor(provider, "k1")).keys).toHaveLength(1);
    const fresh = createJwksCache({ fetch, now: () => nowMs });
    await expect(fresh.keysFor(provider, "k1")).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { reason: "PROVIDER_UNAVAILABLE" } });
  });

  it("refuses a discovery document naming another issuer", async () => {
    const fetch: FetchLike = async () => new Response(JSON.stringify({ issuer: "https://evil.example", jwks_uri: "https://evil.example/keys" }));
    const cache = createJwksCache({ fetch, now: () => 0 });
    await expect(cache.keysFor(provider, "k1")).rejects.toThrow(/names another issuer/);
  });
});

describe("rate limiter", () => {
  it("allows a burst, refuses with the time until the next token, and refills over time", () => {
    let nowMs = 0;
    const limiter = createRateLimiter({ clock: () => nowMs });
    const bucket = { burst: 2, perSecond: 4 };
    limiter.take("perIdentity", "a", bucket);
    limiter.take("perIdentity", "a", bucket);
    expect(() => limiter.take("perIdentity", "a", bucket)).toThrow(
      expect.objectContaining({ code: "RATE_LIMITED", details: { retryAfterMs: 250, limit: "perIdentity" } }),
    );
    limiter.take("perIdentity", "b", bucket); // another key, its own bucket
    nowMs = 250;
    limiter.take("perIdentity", "a", bucket);
    expect(() => limiter.take("perIdentity", "a", bucket)).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
  });

  it("forgets the least recently used buckets beyond its bound", () => {
    const limiter = createRateLimiter({ clock: () => 0, maxBuckets: 2 });
    const bucket = { burst: 1, perSecond: 0.001 };
    limiter.take("perAddress", "a", bucket);
    limiter.take("perAddress", "b", bucket);
    limiter.take("perAddress", "c", bucket); // "a" is forgotten: full again
    expect(() => limiter.take("perAddress", "a", bucket)).not.toThrow();
    expect(() => limiter.take("perAddress", "c", bucket)).toThrow();
  });
});
