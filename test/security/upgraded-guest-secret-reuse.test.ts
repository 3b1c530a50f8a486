/**
 * A device secret copied from a guest that has since been upgraded (a login linked) must prove
 * nothing: neither alone, nor beside the attacker's own login (which would link the attacker's
 * login to the victim, or merge the victim's data into the attacker's identity).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { hashDeviceSecret } from "../../server/identity/sign-in.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret mergedIdentityIds } }`;

describe("an upgraded guest's device secret", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const login = async (sub: string) => [{ provider: "test-idp", token: await idp.token({ sub }) }];
  const signIn = (input: Record<string, unknown>) => server.gql(SIGN_IN, { input });

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const pools = [poolSettingsSchema.parse({ id: "app", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }] })];
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } } }); // the identity provider is on loopback
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  /** A guest who wrote data and then upgraded with their own login; returns its id and old secret. */
  const upgradedVictim = async (sub: string) => {
    const guest = (await signIn({ identityPoolId: "app" })).data.signIn;
    await syncApi(server, guest.token).push({ dataset: "diary", deviceId: "phone", patches: [{ op: "REPLACE", key: "entry", value: "private" }] });
    const upgraded = (await signIn({ identityPoolId: "app", identityId: guest.identityId, deviceSecret: guest.deviceSecret, logins: await login(sub) })).data.signIn;
    expect(upgraded.identityId).toBe(guest.identityId);
    return { identityId: guest.identityId as string, deviceSecret: guest.deviceSecret as string };
  };

  it("is cleared when the first login is linked", async () => {
    const victim = await upgradedVictim("victim-cleared");
    expect(await server.storage.identities.getIdentityStatus(victim.identityId)).toMatchObject({ hasSecret: false });
    expect((await server.storage.pools.getIdentity(victim.identityId))?.secretHash).toBeNull();
  });

  it("cannot link the attacker's new login to the victim", async () => {
    const victim = await upgradedVictim("victim-link");
    const attempt = await signIn({ identityPoolId: "app", identityId: victim.identityId, deviceSecret: victim.deviceSecret, logins: await login("attacker-new") });
    expect(attempt.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await server.storage.identities.findLoginOwner("app", { provider: idp.issuer, subject: "attacker-new" })).toBeNull();
  });

  it("cannot merge the victim into the attacker's identity", async () => {
    const victim = await upgradedVictim("victim-merge");
    const attacker = (await signIn({ identityPoolId: "app", logins: await login("attacker-merge") })).data.signIn;
    const attempt = await signIn({ identityPoolId: "app", identityId: victim.identityId, deviceSecret: victim.deviceSecret, logins: await login("attacker-merge") });
    expect(attempt.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await server.storage.identities.getIdentityStatus(victim.identityId)).toMatchObject({ disabledAt: null, mergedInto: null });
    const { records } = await syncApi(server, attacker.token).pullAll("diary", 0);
    expect(records).toEqual([]);
  });

  it("refuses the secret of an identity stored with both a login and a secret hash (upgraded by an older server)", async () => {
    const identityId = `us-east-1:${randomUUID()}`;
    const deviceSecret = "legacy-device-secret-0123456789abcdef";
    await server.storage.identities.createIdentityWithLogins(
      { id: identityId, poolId: "app", secretHash: hashDeviceSecret(deviceSecret), createdAt: Date.now() },
      [{ provider: idp.issuer, subject: "legacy-owner" }],
    );
    const alone = await signIn({ identityPoolId: "app", identityId, deviceSecret });
    expect(alone.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    const withLogin = await signIn({ identityPoolId: "app", identityId, deviceSecret, logins: await login("legacy-attacker") });
    expect(withLogin.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await server.storage.identities.findLoginOwner("app", { provider: idp.issuer, subject: "legacy-attacker" })).toBeNull();
  });
});
