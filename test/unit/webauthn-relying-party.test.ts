/**
 * Which page origins a pool's passkey ceremonies may come from: the relying party's host and its
 * subdomains over https, plain http only on localhost, or exactly the configured list.
 */
import { describe, expect, it } from "vitest";
import type { LoadedUserPool } from "../../server/user-pool/user-pool-deps.js";
import { userPoolSettingsSchema, type UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";
import { relyingPartyOf } from "../../server/user-pool/webauthn-relying-party.js";

function poolAt(publicUrl: string, settings: Partial<UserPoolSettingsInput> = {}): LoadedUserPool {
  const parsed = userPoolSettingsSchema.parse({ id: "local_default", ...settings });
  return { settings: parsed, issuer: `${publicUrl}/aws/cognito-idp/local_default`, srpPoolName: "default" } as LoadedUserPool;
}

describe("passkey relying party", () => {
  it("takes the public URL's host as the relying party unless one is configured", () => {
    expect(relyingPartyOf(poolAt("https://sync.example.com")).id).toBe("sync.example.com");
    expect(relyingPartyOf(poolAt("https://sync.example.com", { webAuthnRelyingPartyId: "example.com" })).id).toBe("example.com");
  });

  it("allows https origins of the relying party and its subdomains, and http only on localhost", () => {
    const party = relyingPartyOf(poolAt("https://sync.example.com", { webAuthnRelyingPartyId: "example.com" }));
    const allowed = (origin: string) => party.allowsOrigin(origin);
    expect(["https://example.com", "https://app.example.com", "https://example.com:8443"].map(allowed)).toEqual([true, true, true]);
    expect(["http://example.com", "https://badexample.com", "https://example.com.evil.test", "https://example.com/path", "not an origin"].map(allowed)).toEqual([false, false, false, false, false]);
    const local = relyingPartyOf(poolAt("http://localhost:4000"));
    expect([local.allowsOrigin("http://localhost:5173"), local.allowsOrigin("https://localhost")]).toEqual([true, true]);
  });

  it("allows exactly the configured origins when a list is given", () => {
    const party = relyingPartyOf(poolAt("https://sync.example.com", { webAuthnRelyingPartyId: "example.com", webAuthnOrigins: ["https://app.example.com"] }));
    expect([party.allowsOrigin("https://app.example.com"), party.allowsOrigin("https://example.com")]).toEqual([true, false]);
  });

  it("refuses a configuration whose first factors leave out PASSWORD", () => {
    expect(() => userPoolSettingsSchema.parse({ id: "local_default", signInPolicy: { allowedFirstAuthFactors: ["WEB_AUTHN"] } })).toThrow(/PASSWORD/);
  });
});
