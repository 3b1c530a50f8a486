/**
 * Tokens a provider issued for someone else must not sign in: an ID token whose `aud` names
 * another client and only `azp` names the app (OpenID Connect Core 3.1.3.7 requires `aud`), and an
 * OAuth access token (`typ: at+jwt`, RFC 9068) even when its audience is the app.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId } }`;

describe("login tokens meant for another audience", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const signIn = async (token: string) => server.gql(SIGN_IN, { input: { identityPoolId: "app", logins: [{ provider: "test-idp", token }] } });

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const pools = [poolSettingsSchema.parse({ id: "app", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }] })];
    server = await startInProcessServer({ config: { pools, outbound: { allowPrivateAddresses: true } } }); // the identity provider is on loopback
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("refuses a token whose aud names another client even though azp names the app", async () => {
    const { errors } = await signIn(await idp.token({ sub: "azp-only", aud: "some-api", claims: { azp: "app-client" } }));
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_LOGIN" });
    expect(await server.storage.identities.findLoginOwner("app", { provider: idp.issuer, subject: "azp-only" })).toBeNull();
  });

  it.each(["at+jwt", "application/at+JWT"])("refuses an access token (typ %s) whose aud is the app", async (typ) => {
    const { errors } = await signIn(await idp.token({ sub: "access-token", typ }));
    expect(errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_LOGIN" });
    expect(await server.storage.identities.findLoginOwner("app", { provider: idp.issuer, subject: "access-token" })).toBeNull();
  });

  it("still accepts an ID token whose aud lists the app among others", async () => {
    const { errors } = await signIn(await idp.token({ sub: "listed", aud: ["some-api", "app-client"] }));
    expect(errors).toBeUndefined();
  });
});
