/**
 * Acceptance: the developer's side of the AWS endpoints, with the pool's developer credentials on
 * the real SDK clients: developer-authenticated identities (GetOpenIdTokenForDeveloperIdentity,
 * then GetCredentialsForIdentity with the `cognito-identity.amazonaws.com` login), identity lookups
 * and listings, and Cognito Sync's pool operations (usage, bulk publish, events, configuration).
 * Binds a port: the AWS SDK clients sign and send their own HTTP requests to an endpoint URL.
 */
import { randomBytes } from "node:crypto";
import {
  DescribeIdentityCommand,
  DescribeIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  ListIdentitiesCommand,
  ListIdentityPoolsCommand,
  LookupDeveloperIdentityCommand,
} from "@aws-sdk/client-cognito-identity";
import {
  BulkPublishCommand,
  DescribeIdentityPoolUsageCommand,
  GetBulkPublishDetailsCommand,
  GetCognitoEventsCommand,
  GetIdentityPoolConfigurationCommand,
  ListIdentityPoolUsageCommand,
  ListRecordsCommand,
  SetIdentityPoolConfigurationCommand,
  UpdateRecordsCommand,
} from "@aws-sdk/client-cognito-sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, DEVELOPER_CREDENTIALS, type AwsClients } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/stream-api.js";

const POOL_ID = "eu-west-1:0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a";
const DEVELOPER_PROVIDER = "login.example.com";

let server: TestServer;
let aws: AwsClients;

beforeAll(async () => {
  const pool = poolSettingsSchema.parse({
    id: POOL_ID,
    region: "eu-west-1",
    developerCredentials: DEVELOPER_CREDENTIALS,
    developerProvider: { name: DEVELOPER_PROVIDER, key: "k".repeat(40) },
  });
  server = await startTestServer({ config: { pools: [pool] } });
  aws = awsClients(server.url);
});
afterAll(async () => {
  await server.close();
});

describe("developer operations", () => {
  it("signs a backend's user in: developer token, then credentials with the cognito-identity login", async () => {
    const developer = aws.identityAs(DEVELOPER_CREDENTIALS);
    const issued = await developer.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [DEVELOPER_PROVIDER]: "user-42" } }));
    expect(issued.IdentityId).toMatch(/^eu-west-1:/);
    const again = await developer.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [DEVELOPER_PROVIDER]: "user-42" } }));
    expect(again.IdentityId).toBe(issued.IdentityId);

    const credentials = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: issued.IdentityId!, Logins: { "cognito-identity.amazonaws.com": issued.Token! } }));
    const { AccessKeyId, SecretKey, SessionToken } = credentials.Credentials!;
    const sync = aws.sync({ accessKeyId: AccessKeyId!, secretAccessKey: SecretKey!, sessionToken: SessionToken! });
    const page = await sync.send(new ListRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: issued.IdentityId!, DatasetName: "d" }));
    await sync.send(new UpdateRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: issued.IdentityId!, DatasetName: "d", SyncSessionToken: page.SyncSessionToken!, RecordPatches: [{ Op: "replace", Key: "k", Value: "v", SyncCount: 0 }] }));

    const lookup = await developer.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, DeveloperUserIdentifier: "user-42", MaxResults: 10 }));
    expect(lookup).toMatchObject({ IdentityId: issued.IdentityId, DeveloperUserIdentifierList: ["user-42"] });
    const described = await developer.send(new DescribeIdentityCommand({ IdentityId: issued.IdentityId! }));
    expect(described.Logins).toEqual([DEVELOPER_PROVIDER]);
    expect(described.CreationDate).toBeInstanceOf(Date);
    const listed = await developer.send(new ListIdentitiesCommand({ IdentityPoolId: POOL_ID, MaxResults: 60 }));
    expect(listed.Identities?.map((identity) => identity.IdentityId)).toContain(issued.IdentityId);
  });

  it("describes and lists the developer's pool", async () => {
    const developer = aws.identityAs(DEVELOPER_CREDENTIALS);
    expect(await developer.send(new DescribeIdentityPoolCommand({ IdentityPoolId: POOL_ID }))).toMatchObject({
      IdentityPoolId: POOL_ID,
      AllowUnauthenticatedIdentities: true,
      DeveloperProviderName: DEVELOPER_PROVIDER,
    });
    expect((await developer.send(new ListIdentityPoolsCommand({ MaxResults: 10 }))).IdentityPools).toEqual([{ IdentityPoolId: POOL_ID, IdentityPoolName: POOL_ID }]);
  });

  it("answers Cognito Sync's pool operations: usage, bulk publish, events and configuration", async () => {
    const secret = randomBytes(32).toString("base64url");
    const { identityId, credentials } = await aws.credentialsFor(POOL_ID, { "syncpool.guest": secret });
    const sync = aws.sync(credentials);
    const page = await sync.send(new ListRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "usage" }));
    await sync.send(new UpdateRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "usage", SyncSessionToken: page.SyncSessionToken!, RecordPatches: [{ Op: "replace", Key: "abc", Value: "defg", SyncCount: 0 }] }));

    const developer = aws.sync(DEVELOPER_CREDENTIALS);
    const usage = await developer.send(new DescribeIdentityPoolUsageCommand({ IdentityPoolId: POOL_ID }));
    expect(usage.IdentityPoolUsage?.IdentityPoolId).toBe(POOL_ID);
    expect(usage.IdentityPoolUsage?.DataStorage).toBeGreaterThanOrEqual(7);
    expect((await developer.send(new ListIdentityPoolUsageCommand({}))).IdentityPoolUsages?.map((pool) => pool.IdentityPoolId)).toEqual([POOL_ID]);

    expect(await developer.send(new BulkPublishCommand({ IdentityPoolId: POOL_ID }))).toMatchObject({ IdentityPoolId: POOL_ID });
    await waitFor(async () => (await developer.send(new GetBulkPublishDetailsCommand({ IdentityPoolId: POOL_ID }))).BulkPublishStatus === "SUCCEEDED", 10_000, "bulk publish");
    const details = await developer.send(new GetBulkPublishDetailsCommand({ IdentityPoolId: POOL_ID }));
    expect(details.BulkPublishStartTime).toBeInstanceOf(Date);

    expect((await developer.send(new GetCognitoEventsCommand({ IdentityPoolId: POOL_ID }))).Events).toEqual({});
    const configuration = await developer.send(new GetIdentityPoolConfigurationCommand({ IdentityPoolId: POOL_ID }));
    expect(configuration.CognitoStreams).toMatchObject({ StreamName: POOL_ID, StreamingStatus: "ENABLED" });
    const change = await developer.send(new SetIdentityPoolConfigurationCommand({ IdentityPoolId: POOL_ID, CognitoStreams: { StreamName: "elsewhere" } })).catch((error: Error) => error);
    expect((change as Error).name).toBe("InvalidConfigurationException");
  });
});
