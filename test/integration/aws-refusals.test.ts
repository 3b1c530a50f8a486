/**
 * Acceptance: what the AWS endpoints refuse, each answered as AWS would (exception name and HTTP
 * status), through the real SDK clients: another identity's path, a tampered signature, expired
 * credentials, a request dated 20 minutes ago, developer operations with an identity's
 * credentials, and guests without their secret on a "secret" pool (while an "open" pool keeps
 * Cognito's behaviour).
 * Binds a port: the AWS SDK clients sign and send their own HTTP requests to an endpoint URL.
 */
import { randomBytes } from "node:crypto";
import { DescribeIdentityPoolCommand, GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import { BulkPublishCommand, ListRecordsCommand, type CognitoSyncClient } from "@aws-sdk/client-cognito-sync";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, DEVELOPER_CREDENTIALS, type AwsClients } from "../helpers/aws-clients.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const SECRET_POOL = "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const OPEN_POOL = "us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

let server: TestServer;
let idp: TestIdentityProvider;
let aws: AwsClients;
let clockMs = Date.now();

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  const pools = [
    { id: SECRET_POOL, region: "us-east-1", developerCredentials: DEVELOPER_CREDENTIALS, providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }] },
    { id: OPEN_POOL, region: "us-east-1", awsGuestAccess: "open" },
  ].map((pool) => poolSettingsSchema.parse(pool));
  server = await startTestServer({ config: { pools, outbound: { allowPrivateAddresses: true } }, now: () => clockMs }) // the identity provider is on loopback;
  aws = awsClients(server.url);
});
afterAll(async () => {
  await server.close();
  await idp.close();
});

/** The error a call fails with: its exception name and HTTP status. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  expect(error, "the call should have been refused").not.toBeNull();
  return { name: error!.name, status: error!.$metadata?.httpStatusCode, message: error!.message };
}

async function guest(pool = SECRET_POOL) {
  const secret = randomBytes(32).toString("base64url");
  return { secret, ...(await aws.credentialsFor(pool, pool === SECRET_POOL ? { "syncpool.guest": secret } : {})) };
}

const listRecords = (sync: CognitoSyncClient, pool: string, identityId: string) =>
  sync.send(new ListRecordsCommand({ IdentityPoolId: pool, IdentityId: identityId, DatasetName: "d" }));

describe("refusals of the AWS endpoints", () => {
  it("refuses another identity's path", async () => {
    const alice = await guest();
    const bob = await guest();
    expect(await refusal(listRecords(aws.sync(alice.credentials), SECRET_POOL, bob.identityId))).toMatchObject({ name: "NotAuthorizedException", status: 403 });
  });

  it("refuses a shared dataset's owner path: shared datasets are not part of Cognito Sync", async () => {
    const alice = await guest();
    const answer = await refusal(listRecords(aws.sync(alice.credentials), SECRET_POOL, `_shared:${SECRET_POOL}`));
    expect(answer).toMatchObject({ name: "NotAuthorizedException", status: 403 });
    expect(answer.message).toMatch(/Shared datasets are not part of Cognito Sync/);
  });

  it("refuses a tampered signature", async () => {
    const { identityId, credentials } = await guest();
    const sync = aws.sync(credentials);
    // After signing (finalizeRequest), before sending: flip one hex digit of the signature.
    sync.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers["authorization"] = request.headers["authorization"]!.replace(/Signature=([0-9a-f])/, (_m, digit: string) => `Signature=${digit === "0" ? "1" : "0"}`);
        return next(args);
      },
      { step: "deserialize", name: "tamperSignature" },
    );
    expect(await refusal(listRecords(sync, SECRET_POOL, identityId))).toMatchObject({ name: "InvalidSignatureException", status: 403 });
  });

  it("refuses a signature made with another secret", async () => {
    const { identityId, credentials } = await guest();
    const forged = aws.sync({ ...credentials, secretAccessKey: "x".repeat(40) });
    expect(await refusal(listRecords(forged, SECRET_POOL, identityId))).toMatchObject({ name: "InvalidSignatureException", status: 403 });
  });

  it("refuses expired credentials", async () => {
    const { identityId, credentials } = await guest();
    clockMs += 61 * 60 * 1000; // credentials last one hour
    try {
      // The client signs with the server's (moved) clock, so only the expiry is at fault.
      const sync = aws.sync(credentials, { systemClockOffset: clockMs - Date.now() });
      expect(await refusal(listRecords(sync, SECRET_POOL, identityId))).toMatchObject({ name: "ExpiredTokenException", status: 403 });
    } finally {
      clockMs = Date.now();
    }
  });

  it("refuses a request dated 20 minutes ago", async () => {
    const { identityId, credentials } = await guest();
    const late = aws.sync(credentials, { systemClockOffset: -20 * 60 * 1000 });
    const answer = await refusal(listRecords(late, SECRET_POOL, identityId));
    expect(answer).toMatchObject({ name: "InvalidSignatureException", status: 403 });
    expect(answer.message).toMatch(/Signature expired/);
  });

  it("refuses developer operations with an identity's credentials", async () => {
    const { credentials } = await guest();
    expect(await refusal(aws.sync(credentials).send(new BulkPublishCommand({ IdentityPoolId: SECRET_POOL })))).toMatchObject({ name: "NotAuthorizedException", status: 403 });
    expect((await refusal(aws.kinesis(credentials).send(new ListStreamsCommand({})))).name).toBe("NotAuthorizedException");
    expect((await refusal(aws.identityAs(credentials).send(new DescribeIdentityPoolCommand({ IdentityPoolId: SECRET_POOL })))).name).toBe("NotAuthorizedException");
  });

  it("refuses unknown access keys and unsigned requests", async () => {
    const stranger = aws.kinesis({ accessKeyId: "AKIANOBODYKNOWSTHIS1", secretAccessKey: "y".repeat(40) });
    expect(await refusal(stranger.send(new ListStreamsCommand({})))).toMatchObject({ name: "UnrecognizedClientException", status: 403 });
    const unsigned = await fetch(`${server.url}/aws/cognito-sync/identitypools/${encodeURIComponent(SECRET_POOL)}`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
  });

  it("keeps guests of a 'secret' pool to holders of their device secret", async () => {
    // No secret at all: GetId refuses to create an unprovable guest.
    expect(await refusal(aws.identity.send(new GetIdCommand({ IdentityPoolId: SECRET_POOL })))).toMatchObject({ name: "NotAuthorizedException", status: 400 });
    // Cognito's "open" behaviour, asking for an existing guest's credentials with its id alone, is refused.
    const { identityId, secret } = await guest();
    expect(await refusal(aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId })))).toMatchObject({ name: "NotAuthorizedException" });
    const wrong = { "syncpool.guest": `${secret}x` };
    expect((await refusal(aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: wrong })))).name).toBe("NotAuthorizedException");
  });

  it("refuses a login that names an identity it does not belong to", async () => {
    const victim = await aws.credentialsFor(SECRET_POOL, { "test-idp": await idp.token({ sub: "victim" }) });
    const attackerLogin = { "test-idp": await idp.token({ sub: "attacker" }) };
    const answer = await refusal(aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: victim.identityId, Logins: attackerLogin })));
    expect(answer.name).toBe("NotAuthorizedException");
  });

  it("lets an 'open' pool hand a guest's credentials to anyone with its id, as Cognito did", async () => {
    const { identityId } = await guest(OPEN_POOL);
    const again = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId }));
    expect(again.IdentityId).toBe(identityId);
    expect(again.Credentials?.Expiration).toBeInstanceOf(Date);
  });
});
