/**
 * Security: GetOpenIdToken and GetCredentialsForIdentity accept a token of ours as a login
 * (`cognito-identity.amazonaws.com`), which makes them a renewal. A leaked token must not renew
 * itself forever: what a renewal issues expires no later than the token presented, and its grant
 * is resolved from the pool as it is now (its roles and rules, whether it takes guests), never
 * copied from the old token.
 * Binds a port: the AWS SDK clients sign and send their own HTTP requests to an endpoint URL.
 */
import { GetCredentialsForIdentityCommand, GetOpenIdTokenCommand, GetOpenIdTokenForDeveloperIdentityCommand } from "@aws-sdk/client-cognito-identity";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, AWS_REGION, DEVELOPER_CREDENTIALS } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const POOL_ID = "us-east-1:7c6b5a49-3827-4160-9f8e-7d6c5b4a3928";
const DEVELOPER_PROVIDER = "login.example.com";
const OWN_TOKEN_LOGIN = "cognito-identity.amazonaws.com";
const TOKEN_TTL_SECONDS = 3600;
const MINUTE_MS = 60_000;

/** The pool with a rule that makes developer user "alice" a writer, and guests allowed. */
const GENEROUS = {
  id: POOL_ID,
  region: AWS_REGION,
  awsGuestAccess: "open",
  developerCredentials: DEVELOPER_CREDENTIALS,
  developerProvider: { name: DEVELOPER_PROVIDER, key: "k".repeat(40) },
  roles: { reader: { policies: [{ effect: "allow", actions: ["read"], datasets: ["*"] }] }, writer: { policies: [{ effect: "allow", actions: ["read", "write"], datasets: ["*"] }] } },
  authenticatedRole: "reader",
  guestRole: "reader",
  roleMappings: { [DEVELOPER_PROVIDER]: { type: "rules", rules: [{ claim: "sub", matchType: "Equals", value: "alice", role: "writer" }] } },
};
/** The same pool after the operator tightened it: no rule for alice, no guests. */
const TIGHTENED = {
  ...GENEROUS,
  allowGuests: false,
  guestRole: undefined,
  roleMappings: { [DEVELOPER_PROVIDER]: { type: "rules", rules: [{ claim: "sub", matchType: "Equals", value: "nobody", role: "writer" }] } },
};

let clockMs = Date.now();
const servers: TestServer[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "syncpool-renewal-"));
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(pool: Record<string, unknown>): Promise<TestServer> {
  const server = await startTestServer({ dataDir, now: () => clockMs, config: { tokenTtlSeconds: TOKEN_TTL_SECONDS, pools: [poolSettingsSchema.parse(pool)] } });
  servers.push(server);
  return server;
}

function claimsOf(token: string): { exp: number; role?: string; amr: string[] } {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
}

describe("renewing a token through the AWS endpoints", () => {
  it("never issues a token or credentials that outlive the token presented, however often it is renewed", async () => {
    const server = await start(GENEROUS);
    const aws = awsClients(server.url);
    const developer = aws.identityAs(DEVELOPER_CREDENTIALS);
    const first = await developer.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [DEVELOPER_PROVIDER]: "bob" } }));
    const firstExp = claimsOf(first.Token!).exp;

    let token = first.Token!;
    for (let renewal = 0; renewal < 3; renewal++) {
      clockMs += 15 * MINUTE_MS;
      const renewed = await aws.identity.send(new GetOpenIdTokenCommand({ IdentityId: first.IdentityId!, Logins: { [OWN_TOKEN_LOGIN]: token } }));
      expect(claimsOf(renewed.Token!).exp).toBeLessThanOrEqual(firstExp);
      token = renewed.Token!;
    }
    const credentials = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: first.IdentityId!, Logins: { [OWN_TOKEN_LOGIN]: token } }));
    expect(credentials.Credentials!.Expiration!.getTime()).toBeLessThanOrEqual(firstExp * 1000);

    // Once the first token's hour is over, its whole chain of renewals is over too.
    clockMs += 16 * MINUTE_MS;
    const refused = await aws.identity.send(new GetOpenIdTokenCommand({ IdentityId: first.IdentityId!, Logins: { [OWN_TOKEN_LOGIN]: token } })).catch((error: { name: string }) => error);
    expect(refused).toMatchObject({ name: "NotAuthorizedException" });
    await server.close();
  });

  it("re-resolves the grant from the pool as it is now: a removed rule and a closed guest door apply to renewals", async () => {
    // Signed developer calls must be dated near server time: back to the wall clock.
    clockMs = Date.now();
    const before = await start(GENEROUS);
    let aws = awsClients(before.url);
    const alice = await aws.identityAs(DEVELOPER_CREDENTIALS).send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [DEVELOPER_PROVIDER]: "alice" } }));
    expect(claimsOf(alice.Token!).role).toBe("writer");
    const { identityId: guestId } = await aws.credentialsFor(POOL_ID);
    const guestToken = (await aws.identity.send(new GetOpenIdTokenCommand({ IdentityId: guestId }))).Token!;
    expect(claimsOf(guestToken).amr).toEqual(["unauthenticated"]);
    await before.close();

    const after = await start(TIGHTENED);
    aws = awsClients(after.url);
    const renewed = await aws.identity.send(new GetOpenIdTokenCommand({ IdentityId: alice.IdentityId!, Logins: { [OWN_TOKEN_LOGIN]: alice.Token! } }));
    expect(claimsOf(renewed.Token!).role).toBe("reader");

    const guestRenewal = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: guestId, Logins: { [OWN_TOKEN_LOGIN]: guestToken } })).catch((error: { name: string }) => error);
    expect(guestRenewal).toMatchObject({ name: "NotAuthorizedException" });
  });
});
