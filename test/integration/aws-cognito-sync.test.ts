/**
 * Acceptance: apps on the AWS SDKs work against syncpool unchanged. The real, pinned
 * `@aws-sdk/client-cognito-identity` and `@aws-sdk/client-cognito-sync` talk to a running server:
 * GetId -> GetCredentialsForIdentity -> Cognito Sync calls signed (SigV4) with those credentials;
 * the Cognito Sync client algorithm (list, update, a concurrent update from a second device -> 409,
 * pull, resolve, update) ends with the data that the GraphQL API and our client library see, and
 * what our client library writes is visible to the AWS client.
 */
import { randomBytes } from "node:crypto";
import { GetCredentialsForIdentityCommand, GetOpenIdTokenCommand } from "@aws-sdk/client-cognito-identity";
import {
  DeleteDatasetCommand,
  DescribeDatasetCommand,
  DescribeIdentityUsageCommand,
  ListDatasetsCommand,
  ListRecordsCommand,
  ResourceConflictException,
  UpdateRecordsCommand,
  type CognitoSyncClient,
  type RecordPatch,
} from "@aws-sdk/client-cognito-sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { awsClients, DEVELOPER_CREDENTIALS, type AwsClients } from "../helpers/aws-clients.js";
import { TestNetwork } from "../helpers/client-network.js";
import { startTestIdentityProvider, type TestIdentityProvider } from "../helpers/oidc-provider.js";

const POOL_ID = "us-east-1:6f3b2c1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9";

let net: TestNetwork;
let idp: TestIdentityProvider;
let aws: AwsClients;

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  const pool = poolSettingsSchema.parse({
    id: POOL_ID,
    region: "us-east-1",
    defaultConflictStrategy: "OPTIMISTIC",
    developerCredentials: DEVELOPER_CREDENTIALS,
    providers: [{ name: "test-idp", issuer: idp.issuer, audiences: ["app-client"] }],
  });
  net = await TestNetwork.start({ config: { pools: [pool], outbound: { allowPrivateAddresses: true } } }) // the test identity provider listens on loopback;
  aws = awsClients(net.server!.url);
});
afterAll(async () => {
  await net.close();
  await idp.close();
});

/** Cognito Sync's `synchronize`: list since `lastSyncCount`, then push `patches` with the session token. */
async function listSince(sync: CognitoSyncClient, identityId: string, dataset: string, lastSyncCount = 0) {
  return sync.send(new ListRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: dataset, LastSyncCount: lastSyncCount }));
}
async function update(sync: CognitoSyncClient, identityId: string, dataset: string, token: string, deviceId: string, patches: RecordPatch[]) {
  return sync.send(new UpdateRecordsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: dataset, SyncSessionToken: token, DeviceId: deviceId, RecordPatches: patches }));
}
const replace = (key: string, value: string, syncCount: number): RecordPatch => ({ Op: "replace", Key: key, Value: value, SyncCount: syncCount, DeviceLastModifiedDate: new Date() });
const valuesOf = (records: Array<{ Key?: string; Value?: string }> = []) => Object.fromEntries(records.map((record) => [record.Key, record.Value ?? null]));

describe("the AWS SDKs against syncpool", () => {
  it("a guest gets credentials with GetId and GetCredentialsForIdentity and syncs through Cognito Sync", async () => {
    const secret = randomBytes(32).toString("base64url");
    const { identityId, credentials } = await aws.credentialsFor(POOL_ID, { "syncpool.guest": secret });
    expect(identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const sync = aws.sync(credentials);
    const empty = await listSince(sync, identityId, "profile");
    expect(empty).toMatchObject({ Records: [], DatasetExists: false, DatasetSyncCount: 0 });
    const written = await update(sync, identityId, "profile", empty.SyncSessionToken!, "phone", [replace("name", "Ada", 0)]);
    expect(written.Records).toEqual([expect.objectContaining({ Key: "name", Value: "Ada", SyncCount: 1, LastModifiedBy: "phone" })]);
    expect(written.Records![0]!.LastModifiedDate).toBeInstanceOf(Date);

    const described = await sync.send(new DescribeDatasetCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "profile" }));
    expect(described.Dataset).toMatchObject({ IdentityId: identityId, DatasetName: "profile", NumRecords: 1, DataStorage: "name".length + "Ada".length });
    const listed = await sync.send(new ListDatasetsCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId }));
    expect(listed.Datasets?.map((dataset) => dataset.DatasetName)).toEqual(["profile"]);
    const usage = await sync.send(new DescribeIdentityUsageCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId }));
    expect(usage.IdentityUsage).toMatchObject({ IdentityId: identityId, IdentityPoolId: POOL_ID, DatasetCount: 1 });

    await sync.send(new DeleteDatasetCommand({ IdentityPoolId: POOL_ID, IdentityId: identityId, DatasetName: "profile" }));
    const afterDelete = await listSince(sync, identityId, "profile", 1);
    expect(afterDelete).toMatchObject({ DatasetExists: false, DatasetDeletedAfterRequestedSyncCount: true });
  });

  it("a user signed in with an OIDC provider gets the same identity on every device", async () => {
    const login = await idp.token({ sub: "grace" });
    const byHost = await aws.credentialsFor(POOL_ID, { [new URL(idp.issuer).host]: login });
    const byName = await aws.credentialsFor(POOL_ID, { "test-idp": await idp.token({ sub: "grace" }) });
    expect(byName.identityId).toBe(byHost.identityId);
    const sync = aws.sync(byHost.credentials);
    const page = await listSince(sync, byHost.identityId, "notes");
    await update(sync, byHost.identityId, "notes", page.SyncSessionToken!, "laptop", [replace("n1", "hello", 0)]);
    const other = await listSince(aws.sync(byName.credentials), byName.identityId, "notes");
    expect(valuesOf(other.Records)).toEqual({ n1: "hello" });
  });

  it("runs the Cognito Sync client algorithm to a resolved conflict that GraphQL and our client library see", async () => {
    const secret = randomBytes(32).toString("base64url");
    const deviceA = await aws.credentialsFor(POOL_ID, { "syncpool.guest": secret });
    const identityId = deviceA.identityId;
    // Device B of the same user restores the identity id and secret, and asks for its own credentials.
    const forB = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: { "syncpool.guest": secret } }));
    const syncA = aws.sync(deviceA.credentials);
    const syncB = aws.sync({ accessKeyId: forB.Credentials!.AccessKeyId!, secretAccessKey: forB.Credentials!.SecretKey!, sessionToken: forB.Credentials!.SessionToken! });

    // A creates the dataset (OPTIMISTIC: the pool's default) and both devices sync.
    const a0 = await listSince(syncA, identityId, "prefs");
    await update(syncA, identityId, "prefs", a0.SyncSessionToken!, "device-a", [replace("theme", "dark", 0), replace("lang", "en", 0)]);
    const b1 = await listSince(syncB, identityId, "prefs");
    expect(valuesOf(b1.Records)).toEqual({ theme: "dark", lang: "en" });
    const themeCount = b1.Records!.find((record) => record.Key === "theme")!.SyncCount!;

    // A changes theme; B, still at the old count, changes it too: 409 and nothing of B's commits.
    const a1 = await listSince(syncA, identityId, "prefs", a0.DatasetSyncCount);
    await update(syncA, identityId, "prefs", a1.SyncSessionToken!, "device-a", [replace("theme", "light", themeCount)]);
    const conflict = await update(syncB, identityId, "prefs", b1.SyncSessionToken!, "device-b", [replace("theme", "blue", themeCount), replace("lang", "fr", themeCount)]).then(
      () => null,
      (error: unknown) => error,
    );
    expect(conflict).toBeInstanceOf(ResourceConflictException);
    expect((conflict as ResourceConflictException).$metadata.httpStatusCode).toBe(409);
    expect((conflict as Error).message).toBe(`Current SyncCount for: theme is: ${themeCount + 1} not: ${themeCount}`);

    // B pulls, resolves (keeps both), and pushes again against the server's count.
    const b2 = await listSince(syncB, identityId, "prefs", b1.DatasetSyncCount);
    expect(valuesOf(b2.Records)).toEqual({ theme: "light" });
    const remote = b2.Records![0]!;
    await update(syncB, identityId, "prefs", b2.SyncSessionToken!, "device-b", [replace("theme", "light+blue", remote.SyncCount!), replace("lang", "fr", themeCount)]);

    // Our client library (GraphQL underneath) signs in as the same guest and sees the result.
    const client = net.device("aws-algo").client({ identityPoolId: POOL_ID });
    await client.signIn({ identityId, deviceSecret: secret });
    await client.sync();
    expect(await client.dataset("prefs").getAll()).toEqual({ theme: "light+blue", lang: "fr" });

    // The GraphQL API, with the OpenID token Cognito Identity hands out, sees it too.
    const { Token } = await aws.identity.send(new GetOpenIdTokenCommand({ IdentityId: identityId, Logins: { "syncpool.guest": secret } }));
    const graphql = await net.server!.gql(`query { records(dataset: "prefs") { records { key value } conflictStrategy } }`, {}, Token);
    expect(graphql.data.records.conflictStrategy).toBe("OPTIMISTIC");
    expect(Object.fromEntries(graphql.data.records.records.map((record: { key: string; value: string }) => [record.key, record.value]))).toEqual({ theme: "light+blue", lang: "fr" });

    // A write from our client library reaches the AWS client.
    await client.dataset("prefs").put("font", "serif");
    await client.sync();
    const a2 = await listSince(syncA, identityId, "prefs", b2.DatasetSyncCount);
    expect(valuesOf(a2.Records)).toEqual({ theme: "light+blue", lang: "fr", font: "serif" });
  });

  it("answers a retried UpdateRecords from its first answer without applying it twice", async () => {
    const { identityId, credentials } = await aws.credentialsFor(POOL_ID, { "syncpool.guest": randomBytes(32).toString("base64url") });
    const sync = aws.sync(credentials);
    const page = await listSince(sync, identityId, "retry");
    const patch = replace("k", "v", 0);
    const first = await update(sync, identityId, "retry", page.SyncSessionToken!, "d", [patch]);
    const again = await update(sync, identityId, "retry", page.SyncSessionToken!, "d", [patch]);
    expect(again.Records).toEqual(first.Records);
    expect((await listSince(sync, identityId, "retry")).DatasetSyncCount).toBe(1);
  });
});
