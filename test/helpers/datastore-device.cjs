/**
 * One Amplify DataStore "device" in its own Node process, unmodified: aws-amplify 6 configured
 * with an API key and syncpool's model API as the GraphQL endpoint, the IndexedDB adapter on
 * fake-indexeddb. CommonJS on purpose: DataStore loads CommonJS core, and an ESM import of
 * aws-amplify would configure a second copy it never reads. One process per device, because
 * DataStore, its schema and Amplify's configuration are process-wide.
 *
 * With an API key the app has the public models `Todo` and `Note`; with a syncpool identity
 * token (sent in `oidc` mode, as an app's token provider hands it over) the owner model `Diary`.
 *
 * The test drives it over IPC: `{ id, command, args }` in, `{ id, result }` or `{ id, error }`
 * out. Commands: start, stop, resync (stop then start: DataStore's delta sync), save, update,
 * remove, query, conflicts, errors.
 */
require("fake-indexeddb/auto");
const { Amplify } = require("aws-amplify");
const { DataStore, initSchema } = require("aws-amplify/datastore");
const IndexedDBAdapter = require("@aws-amplify/datastore/dist/cjs/storage/adapter/IndexedDBAdapter").default;

const { decodeJWT } = require("@aws-amplify/core");

const { endpoint, apiKey, token } = JSON.parse(process.argv[2]);

/** What `amplify codegen models` writes for the test app's schema (see datastore-sync.test.ts). */
const field = (name, type, isRequired, extra = {}) => ({ name, isArray: false, type, isRequired, attributes: [], ...extra });
const timestamps = [
  field("createdAt", "AWSDateTime", false, { isReadOnly: true }),
  field("updatedAt", "AWSDateTime", false, { isReadOnly: true }),
];
const PUBLIC = { allow: "public", operations: ["create", "update", "delete", "read"] };
const OWNER = { provider: "userPools", ownerField: "owner", allow: "owner", identityClaim: "cognito:username", operations: ["create", "update", "delete", "read"] };
const model = (name, pluralName, fields, rule = PUBLIC) => ({
  name,
  pluralName,
  syncable: true,
  fields: Object.fromEntries([field("id", "ID", true), ...fields, ...timestamps].map((f) => [f.name, f])),
  attributes: [
    { type: "model", properties: {} },
    { type: "auth", properties: { rules: [rule] } },
  ],
});
const schema = {
  models: token
    ? { Diary: model("Diary", "Diaries", [field("entry", "String", true)], OWNER) }
    : {
        Todo: model("Todo", "Todos", [field("title", "String", true), field("done", "Boolean", false)]),
        Note: model("Note", "Notes", [field("content", "String", true)]),
      },
  enums: {},
  nonModels: {},
  codegenVersion: "3.4.4",
  version: "datastore-sync-test-v1",
};

if (token) {
  // DataStore sends the access token of the session raw in Authorization.
  const tokens = { accessToken: decodeJWT(token), idToken: decodeJWT(token) };
  Amplify.configure(
    { API: { GraphQL: { endpoint, region: "us-east-1", defaultAuthMode: "oidc" } } },
    { Auth: { tokenProvider: { getTokens: async () => tokens } } },
  );
} else {
  Amplify.configure({ API: { GraphQL: { endpoint, region: "us-east-1", defaultAuthMode: "apiKey", apiKey } } });
}
const models = initSchema(schema);

const conflicts = [];
const errors = [];
DataStore.configure({
  storageAdapter: IndexedDBAdapter,
  // A handler as an app writes one: keep the local edit on top of the server's item and version.
  conflictHandler: async ({ modelConstructor, localModel, remoteModel, operation }) => {
    conflicts.push({ operation, local: { ...localModel }, remote: { ...remoteModel } });
    return modelConstructor.copyOf(remoteModel, (draft) => {
      for (const [name, value] of Object.entries(localModel)) {
        if (!name.startsWith("_") && name !== "id" && value !== null && value !== undefined && !["createdAt", "updatedAt"].includes(name)) draft[name] = value;
      }
    });
  },
  errorHandler: (error) => {
    if (error.message !== "RetryMutation") errors.push({ errorType: error.errorType, message: error.message, model: error.model });
  },
});

const plain = (item) => (item ? JSON.parse(JSON.stringify(item)) : null);

const commands = {
  start: () => DataStore.start(),
  stop: () => DataStore.stop(),
  async resync() {
    await DataStore.stop();
    await DataStore.start();
  },
  async save({ model: name, fields }) {
    return plain(await DataStore.save(new models[name](fields)));
  },
  async update({ model: name, id, fields }) {
    const original = await DataStore.query(models[name], id);
    if (!original) throw new Error(`no ${name} ${id} on this device`);
    return plain(await DataStore.save(models[name].copyOf(original, (draft) => Object.assign(draft, fields))));
  },
  async remove({ model: name, id }) {
    const original = await DataStore.query(models[name], id);
    if (!original) throw new Error(`no ${name} ${id} on this device`);
    return plain(await DataStore.delete(original));
  },
  async query({ model: name, id }) {
    return id ? plain(await DataStore.query(models[name], id)) : (await DataStore.query(models[name])).map(plain);
  },
  conflicts: () => conflicts,
  errors: () => errors,
};

process.on("message", async ({ id, command, args }) => {
  try {
    const result = await commands[command](args ?? {});
    process.send({ id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ id, error: String(error && error.stack ? error.stack : error) });
  }
});
process.send({ ready: true });
