/**
 * Security: the AWS endpoints take from the pool's rate limits, as GraphQL does. Without them an
 * unsigned GetId loop created identities without bound and any caller could call as fast as the
 * server answers. Refused calls answer 429 `TooManyRequestsException` (with `Retry-After`), the
 * buckets refill with time (an injected monotonic clock here, so nothing waits), and new guests
 * are capped per address and hour across GetId and GraphQL `signIn` alike.
 * Binds a port: the AWS SDK clients send their own HTTP requests, and limits count client
 * addresses.
 */
import { GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import { ListRecordsCommand } from "@aws-sdk/client-cognito-sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, type AwsClients } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Few requests per address, plenty of guests. */
const ADDRESS_POOL = "us-east-1:11111111-1111-4111-8111-111111111111";
/** Few new guests per hour, plenty of requests. */
const GUEST_POOL = "us-east-1:22222222-2222-4222-8222-222222222222";
/** Few requests per identity. */
const IDENTITY_POOL = "us-east-1:33333333-3333-4333-8333-333333333333";
const ROOMY = { burst: 1000, perSecond: 1000 };

let server: TestServer;
let aws: AwsClients;
let monotonicMs = 0;

beforeAll(async () => {
  const pools = [
    { id: ADDRESS_POOL, region: "us-east-1", awsGuestAccess: "open", rateLimits: { perAddress: { burst: 3, perSecond: 1 } } },
    { id: GUEST_POOL, region: "us-east-1", awsGuestAccess: "open", rateLimits: { perAddress: ROOMY, maxGuestIdentitiesPerAddressPerHour: 3 } },
    { id: IDENTITY_POOL, region: "us-east-1", awsGuestAccess: "open", rateLimits: { perAddress: ROOMY, perIdentity: { burst: 3, perSecond: 1 } } },
  ].map((pool) => poolSettingsSchema.parse(pool));
  server = await startTestServer({ config: { pools }, serverOptions: { rateLimitClock: () => monotonicMs } });
  aws = awsClients(server.url);
});
afterAll(async () => {
  await server.close();
});

/** An unsigned GetId over plain HTTP: status, exception name, Retry-After. */
async function getId(poolId: string): Promise<{ status: number; type: string | null; retryAfter: string | null; identityId?: string }> {
  const response = await fetch(`${server.url}/aws/cognito-identity`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityService.GetId" },
    body: JSON.stringify({ IdentityPoolId: poolId }),
  });
  const body = (await response.json()) as { IdentityId?: string };
  return { status: response.status, type: response.headers.get("x-amzn-errortype"), retryAfter: response.headers.get("retry-after"), ...(body.IdentityId ? { identityId: body.IdentityId } : {}) };
}

async function identityCount(poolId: string): Promise<number> {
  return (await server.storage.identities.listIdentities(poolId, null, 1000)).length;
}

describe("rate limits of the AWS endpoints", () => {
  it("answers an unsigned GetId flood from one address with 429 TooManyRequestsException until the bucket refills", async () => {
    for (let call = 0; call < 3; call++) expect((await getId(ADDRESS_POOL)).status).toBe(200);

    const refused = await getId(ADDRESS_POOL);
    expect(refused).toMatchObject({ status: 429, type: "TooManyRequestsException", retryAfter: "1" });
    expect(await identityCount(ADDRESS_POOL)).toBe(3);

    const sdkError = await aws.identity.send(new GetIdCommand({ IdentityPoolId: ADDRESS_POOL })).catch((error: { name: string; $metadata: { httpStatusCode?: number } }) => error);
    expect(sdkError).toMatchObject({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });

    monotonicMs += 1000;
    expect((await getId(ADDRESS_POOL)).status).toBe(200);
  });

  it("caps new guests per address and hour across GetId and GraphQL signIn, and still serves existing guests", async () => {
    const first = await getId(GUEST_POOL);
    expect(first.status).toBe(200);
    await server.signInGuest(GUEST_POOL);
    expect((await getId(GUEST_POOL)).status).toBe(200);

    expect(await getId(GUEST_POOL)).toMatchObject({ status: 429, type: "TooManyRequestsException" });
    const viaGraphql = await server.gql(`mutation ($input: SignInInput!) { signIn(input: $input) { identityId } }`, { input: { identityPoolId: GUEST_POOL } });
    expect(viaGraphql.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "guestIdentitiesPerAddress" });
    expect(await identityCount(GUEST_POOL)).toBe(3);

    // An existing guest is not a new identity: its credentials are still served.
    const returning = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: first.identityId! }));
    expect(returning.IdentityId).toBe(first.identityId);

    // Three an hour: one more after twenty minutes.
    monotonicMs += 20 * 60 * 1000;
    expect((await getId(GUEST_POOL)).status).toBe(200);
    expect((await getId(GUEST_POOL)).status).toBe(429);
  });

  it("takes from the identity's bucket for calls signed with its credentials", async () => {
    const { identityId, credentials } = await aws.credentialsFor(IDENTITY_POOL);
    const sync = aws.sync(credentials);
    const list = () => sync.send(new ListRecordsCommand({ IdentityPoolId: IDENTITY_POOL, IdentityId: identityId, DatasetName: "d" }));

    // GetCredentialsForIdentity took the first token of three.
    await list();
    await list();
    const refused = await list().catch((error: { name: string; $metadata: { httpStatusCode?: number } }) => error);
    expect(refused).toMatchObject({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });

    monotonicMs += 1000;
    await expect(list()).resolves.toHaveProperty("Records", []);
  });

  it("does not let a stranger drain an identity's bucket by naming its id", async () => {
    const { IdentityId: victimId } = await aws.identity.send(new GetIdCommand({ IdentityPoolId: IDENTITY_POOL }));
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await fetch(`${server.url}/aws/cognito-identity`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityService.GetCredentialsForIdentity" },
        body: JSON.stringify({ IdentityId: victimId, Logins: { "syncpool.guest": "w".repeat(40) } }),
      });
      expect(response.headers.get("x-amzn-errortype")).toBe("NotAuthorizedException");
    }

    // The victim still has its three tokens: credentials, then two signed calls.
    const answer = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: victimId! }));
    const sync = aws.sync({ accessKeyId: answer.Credentials!.AccessKeyId!, secretAccessKey: answer.Credentials!.SecretKey!, sessionToken: answer.Credentials!.SessionToken! });
    for (let call = 0; call < 2; call++) {
      await expect(sync.send(new ListRecordsCommand({ IdentityPoolId: IDENTITY_POOL, IdentityId: victimId!, DatasetName: "d" }))).resolves.toHaveProperty("Records");
    }
  });
});
