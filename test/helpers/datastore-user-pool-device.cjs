/**
 * One Amplify DataStore app in its own Node process, unmodified, configured as an app whose
 * backend uses Cognito user pools: the aws-exports keys `aws_appsync_authenticationType:
 * "AMAZON_COGNITO_USER_POOLS"`, `aws_user_pools_id` and `aws_user_pools_web_client_id`, with
 * syncpool's model API as the GraphQL endpoint and syncpool's built-in user pool as Amplify Auth's
 * `userPoolEndpoint`. The user signs up and in through Amplify Auth (SRP); DataStore then sends
 * the session's access token in `Authorization` and the ID token's `cognito:username` as owner.
 * One process per app: DataStore, its schema and Amplify's configuration are process-wide.
 *
 * As in datastore-device.cjs, Node gets what a browser gives: a global `WebSocket` (`ws`), opening
 * `ws://` where aws-amplify asks for `wss://` on the plain test server, and IndexedDB
 * (fake-indexeddb). The libraries are untouched.
 *
 * Models (what `amplify codegen models` writes for datastore-user-pool.test.ts's schema): `Diary`
 * (owner), `Report` (groups: Admin), `Notice` (public read, owner create and read).
 *
 * Driven over IPC: `{ id, command, args }` in, `{ id, result }` or `{ id, error }` out. Commands:
 * signUp, confirmSignUp, signIn, start, stop, save, update, query, observe, observed, errors, wire.
 */
require("fake-indexeddb/auto");
const { WebSocket: NodeWebSocket } = require("ws");

const { endpoint, userPoolEndpoint } = JSON.parse(process.argv[2]);

/** What went over the realtime sockets: acknowledged and refused subscriptions, and each data frame's field and item id. */
const wire = { startAcks: 0, refusedStarts: [], data: [] };
class DeviceWebSocket extends NodeWebSocket {
  constructor(url, protocols) {
    super(String(url).replace(/^wss:\/\//, "ws://"), protocols);
    this.on("error", () => {});
    this.on("message", (data) => {
      let frame;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return;
      }
      if (frame.type === "start_ack") wire.startAcks++;
      if (frame.type === "error" && frame.id) wire.refusedStarts.push(frame.payload?.errors?.[0]?.errorType ?? null);
      if (frame.type === "data") for (const [field, item] of Object.entries(frame.payload?.data ?? {})) wire.data.push({ field, id: item?.id ?? null });
    });
  }
}
globalThis.WebSocket = DeviceWebSocket;

const { Amplify } = require("aws-amplify");
const { signUp, confirmSignUp, signIn } = require("aws-amplify/auth");
const { DataStore, initSchema } = require("aws-amplify/datastore");
const IndexedDBAdapter = require("@aws-amplify/datastore/dist/cjs/storage/adapter/IndexedDBAdapter").default;

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

const field = (name, type, isRequired, extra = {}) => ({ name, isArray: false, type, isRequired, attributes: [], ...extra });
const timestamps = [field("createdAt", "AWSDateTime", false, { isReadOnly: true }), field("updatedAt", "AWSDateTime", false, { isReadOnly: true })];
const owner = (operations) => ({ provider: "userPools", ownerField: "owner", allow: "owner", identityClaim: "cognito:username", operations });
const model = (name, pluralName, fields, rules) => ({
  name,
  pluralName,
  syncable: true,
  fields: Object.fromEntries([field("id", "ID", true), ...fields, ...timestamps].map((f) => [f.name, f])),
  attributes: [
    { type: "model", properties: {} },
    { type: "auth", properties: { rules } },
  ],
});
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
  },
  enums: {},
  nonModels: {},
  codegenVersion: "3.4.4",
  version: "datastore-user-pool-test-v1",
});

const errors = [];
const observed = [];
const observing = new Map();
DataStore.configure({
  storageAdapter: IndexedDBAdapter,
  errorHandler: (error) => {
    if (error.message !== "RetryMutation") errors.push({ errorType: error.errorType, message: error.message, model: error.model, operation: error.operation, process: error.process });
  },
});

const plain = (item) => (item ? JSON.parse(JSON.stringify(item)) : null);

const commands = {
  signUp: ({ username, password, email }) => signUp({ username, password, options: { userAttributes: { email } } }),
  confirmSignUp: ({ username, code }) => confirmSignUp({ username, confirmationCode: code }),
  signIn: ({ username, password }) => signIn({ username, password }),
  start: () => DataStore.start(),
  stop: () => DataStore.stop(),
  async save({ model: name, fields }) {
    return plain(await DataStore.save(new models[name](fields)));
  },
  async update({ model: name, id, fields }) {
    const original = await DataStore.query(models[name], id);
    if (!original) throw new Error(`no ${name} ${id} on this device`);
    return plain(await DataStore.save(models[name].copyOf(original, (draft) => Object.assign(draft, fields))));
  },
  async query({ model: name, id }) {
    return id ? plain(await DataStore.query(models[name], id)) : (await DataStore.query(models[name])).map(plain);
  },
  /** Starts recording `DataStore.observe(model)`: every local and remote change, as the app sees it. */
  observe({ model: name }) {
    if (observing.has(name)) return;
    observing.set(name, DataStore.observe(models[name]).subscribe(({ opType, element }) => observed.push({ model: name, opType, element: plain(element) })));
  },
  observed: ({ model: name }) => observed.filter((event) => name === undefined || event.model === name),
  errors: () => errors,
  wire: () => wire,
};

process.on("message", async ({ id, command, args }) => {
  try {
    const result = await commands[command](args ?? {});
    process.send({ id, result: result === undefined ? null : plain(result) });
  } catch (error) {
    process.send({ id, error: String(error && error.stack ? error.stack : error) });
  }
});
process.send({ ready: true });
