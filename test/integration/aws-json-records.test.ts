/**
 * JSON records seen through `/aws/cognito-sync` with the real AWS SDK: a Cognito Sync client
 * reads a JSON record as its object's JSON text and cannot overwrite it with a string.
 * Binds a port: the AWS SDK client signs and sends its own HTTP requests to an endpoint URL.
 */
import { GetCredentialsForIdentityCommand } from "@aws-sdk/client-cognito-identity";
import { InvalidParameterException, ListRecordsCommand, UpdateRecordsCommand } from "@aws-sdk/client-cognito-sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatClock } from "../../core/clock.js";
import { encodeJsonState } from "../../core/json-codec.js";
import { applyJsonPut } from "../../core/json-record.js";
import { EMPTY_JSON_STATE } from "../../core/json-state.js";
import { awsClients } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe("JSON records on Cognito Sync", () => {
  it("lists a JSON record as its object's JSON text and refuses a string replace of it, committing nothing", async () => {
    const guest = await server.signInGuest();
    const state = encodeJsonState(applyJsonPut(EMPTY_JSON_STATE, { title: "milk", done: false }, formatClock({ wallMs: Date.now(), counter: 0, deviceId: "a" })));
    await syncApi(server.graphqlUrl, guest.token).push({ dataset: "todos", patches: [{ op: "REPLACE", key: "t1", kind: "JSON", value: state }] });

    const aws = awsClients(server.url);
    const logins = { "syncpool.guest": guest.deviceSecret };
    const answer = await aws.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: guest.identityId, Logins: logins }));
    const { AccessKeyId, SecretKey, SessionToken } = answer.Credentials!;
    const sync = aws.sync({ accessKeyId: AccessKeyId!, secretAccessKey: SecretKey!, sessionToken: SessionToken! });
    const ids = { IdentityPoolId: "default", IdentityId: guest.identityId, DatasetName: "todos" };

    const listed = await sync.send(new ListRecordsCommand(ids));
    expect(listed.Records).toMatchObject([{ Key: "t1", Value: '{"done":false,"title":"milk"}', SyncCount: 1 }]);
    const refused = sync.send(
      new UpdateRecordsCommand({ ...ids, SyncSessionToken: listed.SyncSessionToken!, RecordPatches: [{ Op: "replace", Key: "t1", Value: "milk", SyncCount: 1 }] }),
    );
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(refused).rejects.toThrow(/holds a JSON record/);
    expect((await sync.send(new ListRecordsCommand(ids))).DatasetSyncCount).toBe(1);
  });
});
