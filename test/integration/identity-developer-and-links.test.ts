/**
 * Developer-authenticated identities (the app's backend holding the developer key) and
 * `linkLogin` / `unlinkLogin`.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const DEVELOPER_KEY = "developer-key-for-tests-0123456789abcdef";
const DEV_TOKEN = `mutation ($pool: String!, $user: String!, $identityId: String) {
  getTokenForDeveloperIdentity(identityPoolId: $pool, developerUserId: $user, identityId: $identityId) { identityId token mergedIdentityIds }
}`;
const LINK = `mutation ($login: LoginInput!, $merge: Boolean, $proof: IdentityProofInput) {
  linkLogin(login: $login, merge: $merge, proof: $proof) { identityId token mergedIdentityIds }
}`;
const UNLINK = `mutation ($provider: String!, $proof: IdentityProofInput) {
  unlinkLogin(provider: $provider, proof: $proof) { identityId hasDeviceSecret logins { provider subject } }
}`;
const BACKEND_PROOF = { developerKey: DEVELOPER_KEY };
const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret mergedIdentityIds } }`;

describe("developer identities and linked logins", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const errorOf = (response: GqlResponse) => {
    expect(response.errors, JSON.stringify(response)).toBeDefined();
    return response.errors![0]!;
  };
  const developerToken = (user: string, identityId?: string, key = DEVELOPER_KEY, pool = "app") =>
    server.gql(DEV_TOKEN, { pool, user, identityId }, key);
  const oidcLogin = async (sub: string) => ({ provider: "test-idp", token: await idp.token({ sub }) });

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const pools = [
      { id: "app", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }], developerProvider: { name: "backend", key: DEVELOPER_KEY } },
      { id: "no-developers" },
    ].map((pool) => poolSettingsSchema.parse(pool));
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } } }) // the identity provider is on loopback;
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  describe("getTokenForDeveloperIdentity", () => {
    it("answers the right key with a working token for the user's identity, created on first use", async () => {
      const { data, errors } = await developerToken("user-42");
      expect(errors).toBeUndefined();
      const session = data.getTokenForDeveloperIdentity;
      expect(decodeJwt(session.token)).toMatchObject({ sub: session.identityId, aud: "app", amr: ["authenticated"], tags: { sub: "user-42", aud: "app" } });
      expect((await syncApi(server, session.token).usage()).identityId).toBe(session.identityId);
      expect(await server.storage.identities.listLogins(session.identityId)).toEqual([{ provider: "backend", subject: "user-42", linkedAt: expect.any(Number) }]);
    });

    it("gives the same user the same identity", async () => {
      const first = (await developerToken("user-7")).data.getTokenForDeveloperIdentity;
      const second = (await developerToken("user-7")).data.getTokenForDeveloperIdentity;
      expect(second.identityId).toBe(first.identityId);
    });

    it("refuses a wrong or missing key with UNAUTHENTICATED", async () => {
      expect(errorOf(await developerToken("user-1", undefined, "wrong-key-0123456789abcdef0123456789")).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(errorOf(await server.gql(DEV_TOKEN, { pool: "app", user: "user-1" })).extensions).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(await server.storage.identities.findLoginOwner("app", { provider: "backend", subject: "user-1" })).toBeNull();
    });

    it("refuses a pool without a developer provider, and an unknown pool", async () => {
      expect(errorOf(await developerToken("user-1", undefined, DEVELOPER_KEY, "no-developers")).extensions).toMatchObject({ code: "FORBIDDEN" });
      expect(errorOf(await developerToken("user-1", undefined, DEVELOPER_KEY, "nowhere")).extensions).toMatchObject({ code: "NOT_FOUND" });
    });

    it("upgrades the guest the backend names when the user is new, and merges it when the user has an identity", async () => {
      const guest = (await server.gql(SIGN_IN, { input: { identityPoolId: "app" } })).data.signIn;
      await syncApi(server, guest.token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k", value: "guest" }] });
      const upgraded = (await developerToken("new-user", guest.identityId)).data.getTokenForDeveloperIdentity;
      expect(upgraded).toMatchObject({ identityId: guest.identityId, mergedIdentityIds: [] });

      const existing = (await developerToken("old-user")).data.getTokenForDeveloperIdentity;
      const other = (await server.gql(SIGN_IN, { input: { identityPoolId: "app" } })).data.signIn;
      await syncApi(server, other.token).push({ dataset: "notes", patches: [{ op: "REPLACE", key: "k2", value: "other" }] });
      const merged = (await developerToken("old-user", other.identityId)).data.getTokenForDeveloperIdentity;
      expect(merged).toMatchObject({ identityId: existing.identityId, mergedIdentityIds: [other.identityId] });
      expect((await syncApi(server, merged.token).pullAll("notes")).records.map((record) => record.value)).toEqual(["other"]);
    });

    it("tells a device that sends the developer provider as a login to use its backend", async () => {
      const error = errorOf(await server.gql(SIGN_IN, { input: { identityPoolId: "app", logins: [{ provider: "backend", token: "x" }] } }));
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", provider: "backend" });
    });
  });

  describe("linkLogin and unlinkLogin", () => {
    it("links a second login to the caller's identity, after which either reaches it", async () => {
      const session = (await server.gql(SIGN_IN, { input: { identityPoolId: "app", logins: [await oidcLogin("first-login")] } })).data.signIn;
      const developer = (await developerToken("linker")).data.getTokenForDeveloperIdentity;
      const linked = (await server.gql(LINK, { login: await oidcLogin("second-login"), proof: BACKEND_PROOF }, developer.token)).data.linkLogin;
      expect(linked).toMatchObject({ identityId: developer.identityId, mergedIdentityIds: [] });
      const viaOidc = (await server.gql(SIGN_IN, { input: { identityPoolId: "app", logins: [await oidcLogin("second-login")] } })).data.signIn;
      expect(viaOidc.identityId).toBe(developer.identityId);
      expect(session.identityId).not.toBe(developer.identityId);
    });

    it("refuses a login linked elsewhere with CONFLICT unless merging is asked for", async () => {
      const owner = (await server.gql(SIGN_IN, { input: { identityPoolId: "app", logins: [await oidcLogin("taken")] } })).data.signIn;
      const guest = (await server.gql(SIGN_IN, { input: { identityPoolId: "app" } })).data.signIn;
      const refused = errorOf(await server.gql(LINK, { login: await oidcLogin("taken"), proof: { deviceSecret: guest.deviceSecret } }, guest.token));
      expect(refused.extensions).toMatchObject({ code: "CONFLICT", reason: "LOGIN_LINKED_ELSEWHERE", identityId: owner.identityId });
      expect(await server.storage.identities.getIdentityStatus(guest.identityId)).toMatchObject({ disabledAt: null });

      const merged = (await server.gql(LINK, { login: await oidcLogin("taken"), merge: true, proof: { deviceSecret: guest.deviceSecret } }, guest.token)).data.linkLogin;
      expect(merged).toMatchObject({ identityId: owner.identityId, mergedIdentityIds: [guest.identityId] });
      expect(await server.storage.identities.getIdentityStatus(guest.identityId)).toMatchObject({ mergedInto: owner.identityId });
    });

    it("unlinks a provider's logins, but never the last way in", async () => {
      const developer = (await developerToken("unlinker")).data.getTokenForDeveloperIdentity;
      await server.gql(LINK, { login: await oidcLogin("unlink-me"), proof: BACKEND_PROOF }, developer.token);
      const { data } = await server.gql(UNLINK, { provider: "test-idp", proof: BACKEND_PROOF }, developer.token);
      expect(data.unlinkLogin).toEqual({ identityId: developer.identityId, hasDeviceSecret: false, logins: [{ provider: "backend", subject: "unlinker" }] });
      expect(await server.storage.identities.findLoginOwner("app", { provider: idp.issuer, subject: "unlink-me" })).toBeNull();
      const last = errorOf(await server.gql(UNLINK, { provider: "backend", proof: BACKEND_PROOF }, developer.token));
      expect(last.extensions).toMatchObject({ code: "FORBIDDEN", reason: "LAST_LOGIN" });
    });
  });
});
