/**
 * Verified identity tokens are remembered by their exact text (server/identity/verified-tokens.ts,
 * used by server/identity/tokens.ts), and a remembered token is still refused the moment it
 * expires, its key is retired, or it is presented for another pool; forgeries never match.
 */
import { describe, expect, it } from "vitest";
import { generateSigningKeyMaterial, importSigningKey, type SigningKey, type SigningKeySet } from "../../server/identity/keys.js";
import { createTokenService } from "../../server/identity/tokens.js";
import { createVerifiedTokenCache } from "../../server/identity/verified-tokens.js";

async function newKey(): Promise<SigningKey> {
  return importSigningKey(await generateSigningKeyMaterial());
}

/** A token service over a key set the test can change, on a clock the test moves. */
async function setUp(verifiedTokens?: number) {
  const first = await newKey();
  let keySet: SigningKeySet = { current: first, all: [first] };
  let clock = Date.UTC(2026, 0, 1, 12);
  const tokens = createTokenService({ keys: () => keySet, ttlSeconds: 60, now: () => clock, ...(verifiedTokens === undefined ? {} : { verifiedTokens }) });
  return {
    tokens,
    first,
    setKeys: (next: SigningKeySet) => void (keySet = next),
    advance: (ms: number) => void (clock += ms),
  };
}

const grant = { role: "editor", tags: { team: "a" }, authenticated: true, groups: ["g1"] };

describe("verified identity tokens", () => {
  it("a token verified once is accepted again with the same claims", async () => {
    const { tokens } = await setUp();
    const { token, expiresAt } = await tokens.issue("id-1", "pool-a", grant);
    const first = await tokens.verify(token);
    const again = await tokens.verify(token, "pool-a");
    expect(again).toEqual(first);
    expect(again).toEqual({ identityId: "id-1", poolId: "pool-a", expiresAt, ...grant });
  });

  it("a remembered token is refused as expired from the millisecond its exp passes", async () => {
    const { tokens, advance } = await setUp();
    const { token, expiresAt } = await tokens.issue("id-1", "pool-a");
    await tokens.verify(token);
    const untilExpiry = expiresAt - Date.UTC(2026, 0, 1, 12);
    advance(untilExpiry - 1);
    await expect(tokens.verify(token)).resolves.toMatchObject({ identityId: "id-1" });
    advance(1);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { reason: "TOKEN_EXPIRED" } });
  });

  it("retiring the key that signed a remembered token refuses it at once", async () => {
    const { tokens, first, setKeys } = await setUp();
    const { token } = await tokens.issue("id-1", "pool-a");
    await tokens.verify(token);
    const second = await newKey();
    setKeys({ current: second, all: [second, first] });
    await expect(tokens.verify(token)).resolves.toMatchObject({ identityId: "id-1" });
    setKeys({ current: second, all: [second] });
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { reason: "INVALID_TOKEN" } });
  });

  it("a remembered token presented for another pool is refused, and still accepted for its own", async () => {
    const { tokens } = await setUp();
    const { token } = await tokens.issue("id-1", "pool-a");
    await tokens.verify(token, "pool-a");
    await expect(tokens.verify(token, "pool-b")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(tokens.verify(token, "pool-a")).resolves.toMatchObject({ poolId: "pool-a" });
  });

  it("a token differing from a remembered one in its signature is refused", async () => {
    const { tokens } = await setUp();
    const { token } = await tokens.issue("id-1", "pool-a");
    await tokens.verify(token);
    const signature = token.slice(token.lastIndexOf(".") + 1);
    const flipped = signature[0] === "A" ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    await expect(tokens.verify(`${token.slice(0, token.lastIndexOf(".") + 1)}${flipped}`)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("changing the claims a caller was handed changes nothing later callers get", async () => {
    const { tokens } = await setUp();
    const { token } = await tokens.issue("id-1", "pool-a", grant);
    const handed = await tokens.verify(token);
    handed.tags.team = "b";
    handed.groups!.push("g2");
    const again = await tokens.verify(token);
    handed.tags.team = "c";
    expect((await tokens.verify(token)).tags).toEqual({ team: "a" });
    expect(again.groups).toEqual(["g1"]);
  });

  it("with none remembered every check is the full one, with the same answers", async () => {
    const { tokens, advance } = await setUp(0);
    const { token } = await tokens.issue("id-1", "pool-a", grant);
    await expect(tokens.verify(token)).resolves.toMatchObject({ identityId: "id-1", role: "editor" });
    await expect(tokens.verify(token)).resolves.toMatchObject({ identityId: "id-1", role: "editor" });
    advance(61_000);
    await expect(tokens.verify(token)).rejects.toMatchObject({ details: { reason: "TOKEN_EXPIRED" } });
  });

  it("the cache keeps at most its bound, forgetting the least recently used first", () => {
    const cache = createVerifiedTokenCache<number>(2);
    cache.set("a", { kid: "k", claims: 1 });
    cache.set("b", { kid: "k", claims: 2 });
    expect(cache.get("a")?.claims).toBe(1);
    cache.set("c", { kid: "k", claims: 3 });
    expect(cache.size).toBe(2);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.claims).toBe(1);
    expect(cache.get("c")?.claims).toBe(3);
  });
});
