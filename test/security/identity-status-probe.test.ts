/**
 * Naming an identity id without proving it must not tell whether the identity exists, was disabled
 * or was merged (and into which identity). Unknown, disabled and merged ids answer alike on GraphQL
 * (`signIn` with a wrong secret, or with a login and no secret) and on /aws/cognito-identity; a
 * caller who proves the identity (its right secret) still learns where it went.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const SIGN_IN = `mutation ($input: SignInInput!) { signIn(input: $input) { identityId token deviceSecret } }`;
const ADMIN_TOKEN = "admin-token-for-status-probe-tests-0123456789";

describe("probing an identity's status without proof", () => {
  let idp: TestIdentityProvider;
  let server: InProcessServer;
  const ids: Record<"unknown" | "disabled" | "merged", string> = { unknown: "us-east-1:00000000-0000-4000-8000-000000000000", disabled: "", merged: "" };
  let mergedSecret = "";
  const login = async (sub: string) => [{ provider: "test-idp", token: await idp.token({ sub }) }];
  const signIn = (input: Record<string, unknown>) => server.gql(SIGN_IN, { input });
  /** The refusal as a caller sees it: code, message and every extension. */
  const refusal = async (input: Record<string, unknown>) => {
    const { errors } = await signIn(input);
    expect(errors, "the call must be refused").toBeDefined();
    return { message: errors![0]!.message, extensions: errors![0]!.extensions };
  };
  const aws = async (target: string, body: Record<string, unknown>) => {
    const response = await server.testFetch(`${server.url}/aws/cognito-identity`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityService.${target}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.text() };
  };

  beforeAll(async () => {
    idp = await startTestIdentityProvider();
    const pools = [poolSettingsSchema.parse({ id: "app", region: "us-east-1", providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }] })];
    server = await startInProcessServer({ config: { pools, adminToken: ADMIN_TOKEN, outbound: { allowPrivateAddresses: true } } });
    const disabled = (await signIn({ identityPoolId: "app" })).data.signIn;
    await server.gql(`mutation ($id: String!) { disableIdentity(identityId: $id) { identityId } }`, { id: disabled.identityId }, ADMIN_TOKEN);
    ids.disabled = disabled.identityId;
    const merged = (await signIn({ identityPoolId: "app" })).data.signIn;
    await signIn({ identityPoolId: "app", logins: await login("merge-target") });
    await signIn({ identityPoolId: "app", identityId: merged.identityId, deviceSecret: merged.deviceSecret, logins: await login("merge-target") });
    ids.merged = merged.identityId;
    mergedSecret = merged.deviceSecret;
    expect(await server.storage.identities.getIdentityStatus(ids.merged)).toMatchObject({ mergedInto: expect.any(String) });
    expect(await server.storage.identities.getIdentityStatus(ids.disabled)).toMatchObject({ disabledAt: expect.any(Number) });
  });
  afterAll(async () => {
    await server?.close();
    await idp?.close();
  });

  it("answers signIn with a wrong device secret alike for unknown, disabled and merged identities", async () => {
    const answers = await Promise.all(Object.values(ids).map((identityId) => refusal({ identityPoolId: "app", identityId, deviceSecret: "wrong-secret" })));
    expect(answers[0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it("answers signIn with a login but no secret alike for unknown, disabled and merged identities", async () => {
    const answers = [];
    for (const [name, identityId] of Object.entries(ids)) answers.push(await refusal({ identityPoolId: "app", identityId, logins: await login(`prober-${name}`) }));
    expect(answers[0]!.extensions).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(JSON.stringify(answers)).not.toMatch(/IDENTITY_MERGED|IDENTITY_DISABLED|mergedInto/);
  });

  it("answers GetCredentialsForIdentity without proof alike for unknown, disabled and merged identities", async () => {
    const answers = await Promise.all(
      Object.values(ids).map(async (identityId) => {
        const { status, body } = await aws("GetCredentialsForIdentity", { IdentityId: identityId });
        return { status, body: body.replaceAll(identityId, "<id>") };
      }),
    );
    expect(answers[0]!.status).toBeGreaterThanOrEqual(400);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it("still tells a caller holding the merged guest's secret where its data went", async () => {
    const { extensions } = await refusal({ identityPoolId: "app", identityId: ids.merged, deviceSecret: mergedSecret });
    expect(extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "IDENTITY_MERGED", mergedInto: expect.any(String) });
    const { body } = await aws("GetCredentialsForIdentity", { IdentityId: ids.merged, Logins: { "syncpool.guest": mergedSecret } });
    expect(body).toContain("merged into");
  });
});
