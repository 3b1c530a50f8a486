/**
 * One Amplify DataStore app in its own Node process, unmodified, configured as an app whose
 * backend uses Cognito user pools: the aws-exports keys `aws_appsync_authenticationType:
 * "AMAZON_COGNITO_USER_POOLS"`, `aws_user_pools_id` and `aws_user_pools_web_client_id`, with
 * syncpool's model API as the GraphQL endpoint and syncpool's built-in user pool as Amplify Auth's
 * `userPoolEndpoint`. The user signs up and in through Amplify Auth (SRP); DataStore then sends
 * the session's access token in `Authorization` and the ID token's `cognito:username` as owner.
 * One process per app: DataStore, its schema and Amplify's configuration are process-wide.
 *
 * As in datastore-device.cjs, Node gets what a browser gives (datastore-node-env.cjs): a global
 * `WebSocket` (`ws`), opening `ws://` where aws-amplify asks for `wss://` on the plain test server,
 * and IndexedDB (fake-indexeddb). The libraries are untouched.
 *
 * Models (what `amplify codegen models` writes for the schema of datastore-user-pool.test.ts and
 * datastore-owner-rules.test.ts): `Diary` (owner), `Report` (groups: Admin), `Notice` (public
 * read, owner create and read), `Memo` (owner, private read, groups: Admin).
 *
 * Driven over IPC (datastore-commands.cjs). Commands: signUp, confirmSignUp, signIn, start, stop,
 * save, update, query, observe, observed, errors, wire.
 */
const { installWebSocket, loadDataStore } = require("./datastore-node-env.cjs");
const { field, model, dataStoreCommands, serveCommands } = require("./datastore-commands.cjs");

const { endpoint, userPoolEndpoint } = JSON.parse(process.argv[2]);

/** What went over the realtime sockets: acknowledged and refused subscriptions, and each data frame's field and item id. */
const wire = { startAcks: 0, refusedStarts: [], data: [] };
installWebSocket({
  plainHttp: true,
  onFrame(frame) {
    if (frame.type === "start_ack") wire.startAcks++;
    if (frame.type === "error" && frame.id) wire.refusedStarts.push(frame.payload?.errors?.[0]?.errorType ?? null);
    if (frame.type === "data") for (const [field, item] of Object.entries(frame.payload?.data ?? {})) wire.data.push({ field, id: item?.id ?? null });
  },
});

const { Amplify } = require("aws-amplify");
const { signUp, confirmSignUp, signIn } = require("aws-amplify/auth");
const { DataStore, initSchema, IndexedDBAdapter } = loadDataStore();

// The app's aws-exports, as the Amplify CLI writes it for a user-pool API, then syncpool's user pool endpoint.
Amplify.configure({
  aws_project_region: "us-east-1",
  aws_appsync_graphqlEndpoint: endpoint,
  aws_appsync_region: "us-east-1",
  aws_appsync_authenticationType: "AMAZON_COGNITO_USER_POOLS",
  aws_cognito_region: "us-east-1",
  aws_user_pools_id: "local_default",
  aws_user_pools_web_client_id: "default",
});
const configured = Amplify.getConfig();
Amplify.configure({ ...configured, Auth: { Cognito: { ...configured.Auth.Cognito, userPoolEndpoint } } });

const owner = (operations) => ({ provider: "userPools", ownerField: "owner", allow: "owner", identityClaim: "cognito:username", operations });
const models = initSchema({
  models: {
    Diary: model("Diary", "Diaries", [field("entry", "String", true)], [owner(["create", "update", "delete", "read"])]),
    Report: model("Report", "Reports", [field("title", "String", true)], [
      { groupClaim: "cognito:groups", provider: "userPools", allow: "groups", groups: ["Admin"], operations: ["create", "update", "delete", "read"] },
    ]),
    Notice: model("Notice", "Notices", [field("body", "String", true)], [
      { allow: "public", operations: ["read"] },
      owner(["create", "read"]),
    ]),
    Memo: model("Memo", "Memos", [field("text", "String", true)], [
      owner(["create", "update", "delete", "read"]),
      { allow: "private", provider: "userPools", operations: ["read"] },
      { groupClaim: "cognito:groups", provider: "userPools", allow: "groups", groups: ["Admin"], operations: ["create", "update", "delete", "read"] },
    ]),
  },
  enums: {},
  nonModels: {},
  codegenVersion: "3.4.4",
  version: "datastore-user-pool-test-v1",
});

const errors = [];
DataStore.configure({
  storageAdapter: IndexedDBAdapter,
  errorHandler: (error) => {
    if (error.message !== "RetryMutation") errors.push({ errorType: error.errorType, message: error.message, model: error.model, operation: error.operation, process: error.process });
  },
});

serveCommands({
  ...dataStoreCommands(DataStore, models),
  signUp: ({ username, password, email }) => signUp({ username, password, options: { userAttributes: { email } } }),
  confirmSignUp: ({ username, code }) => confirmSignUp({ username, confirmationCode: code }),
  signIn: ({ username, password }) => signIn({ username, password }),
  errors: () => errors,
  wire: () => wire,
});
