/**
 * A leaked session token alone must not change an identity's logins: `linkLogin` would let the
 * thief attach their own login (and own the identity for good), `unlinkLogin` would strip the
 * owner's. Both need fresh proof: the guest's device secret, a login the identity holds, or the
 * developer key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret } }`;
const LINK = `mutation ($login: LoginInput!, $proof: IdentityProofInput) { linkLogin(login: $login, proof: $proof) { identityId } }`;
const UNLINK = `mutation ($provider: String!, $proof: IdentityProofInput) { unlinkLogin(provider: $provider, proof: $proof) { identityId logins { subject } } }`;

describe("changing logins with a stolen session token", () => {
  let idp: TestIdentityProvider;
  let second: TestIdentityProvider;
  let server: InProcessServer;
  const login = async (sub: string, provider = "test-idp") => ({ provider, token: await (provider === "test-idp" ? idp : second).token({ sub }) });
  const signIn = async (input: Record<string, unknown>) => (await server.gql(SIGN_IN, { input })).data.signIn;
  const owner = (login: { provider: string; token: string }) => server.storage.identities.findLoginOwner("app", { provider: login.provider === "test-idp" ? idp.issuer : second.issuer, subject: "thief" });

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    second = await startTestIdentityProvider();
    const providers = [
      { name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] },
      { name: "second", issuer: second.issuer, audiences: ["app-client"] },
    ];
    server = await startInProcessServer({ config: { pools: [poolSettingsSchema.parse({ id: "app", providers })], outbound: { allowPrivateAddresses: true } } });
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
    await second?.close();
  });

  it("refuses linkLogin with the token alone, and links nothing", async () => {
    const victim = await signIn({ identityPoolId: "app", logins: [await login("victim-1")] });
    const thiefLogin = await login("thief", "second");
    const { errors } = await server.gql(LINK, { login: thiefLogin }, victim.token);
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "PROOF_REQUIRED" });
    expect(await owner(thiefLogin)).toBeNull();
  });

  it("refuses a guest's linkLogin with a wrong device secret", async () => {
    const guest = await signIn({ identityPoolId: "app" });
    const thiefLogin = await login("thief", "second");
    const { errors } = await server.gql(LINK, { login: thiefLogin, proof: { deviceSecret: "not-the-secret" } }, guest.token);
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "PROOF_REQUIRED" });
    expect(await owner(thiefLogin)).toBeNull();
  });

  it("refuses a login proof the identity does not hold (the thief's own login)", async () => {
    const victim = await signIn({ identityPoolId: "app", logins: [await login("victim-2")] });
    const thiefLogin = await login("thief", "second");
    const { errors } = await server.gql(LINK, { login: thiefLogin, proof: { login: await login("thief") } }, victim.token);
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "PROOF_REQUIRED" });
    expect(await owner(thiefLogin)).toBeNull();
  });

  it("links with a fresh login token of the identity as proof", async () => {
    const victim = await signIn({ identityPoolId: "app", logins: [await login("owner-3")] });
    const { data, errors } = await server.gql(LINK, { login: await login("owner-3-second", "second"), proof: { login: await login("owner-3") } }, victim.token);
    expect(errors).toBeUndefined();
    expect(data.linkLogin.identityId).toBe(victim.identityId);
  });

  it("links a guest's first login with its device secret as proof", async () => {
    const guest = await signIn({ identityPoolId: "app" });
    const { data, errors } = await server.gql(LINK, { login: await login("guest-4"), proof: { deviceSecret: guest.deviceSecret } }, guest.token);
    expect(errors).toBeUndefined();
    expect(data.linkLogin.identityId).toBe(guest.identityId);
  });

  it("refuses unlinkLogin with the token alone, and keeps the owner's login", async () => {
    const victim = await signIn({ identityPoolId: "app", logins: [await login("victim-5")] });
    await server.gql(LINK, { login: await login("victim-5", "second"), proof: { login: await login("victim-5") } }, victim.token);
    const { errors } = await server.gql(UNLINK, { provider: "test-idp" }, victim.token);
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "PROOF_REQUIRED" });
    expect(await server.storage.identities.listLogins(victim.identityId)).toHaveLength(2);
    const proven = await server.gql(UNLINK, { provider: "test-idp", proof: { login: await login("victim-5", "second") } }, victim.token);
    expect(proven.errors).toBeUndefined();
    expect(proven.data.unlinkLogin.logins).toEqual([{ subject: "victim-5" }]);
  });
});
