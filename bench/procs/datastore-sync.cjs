/**
 * One Amplify DataStore device for the model-sync bench, in its own process: unmodified
 * aws-amplify 6 and @aws-amplify/datastore 5 with their default sync settings, the IndexedDB
 * adapter on fake-indexeddb (as syncpool's own client in the same scenario), one owner model
 * `Todo`, and a syncpool identity token in `oidc` mode. CommonJS because DataStore loads CommonJS
 * core (an ESM import of aws-amplify would configure a copy DataStore never reads); a process of
 * its own because DataStore and its schema are process-wide.
 *
 *   argv: <{ endpoint, token } JSON>
 *   -> { type: "ready" }
 *   <- { type: "start" }   -> { type: "start", ms, items }   DataStore.start() (in Node it resolves after the sync queries)
 *   <- { type: "resync" }  -> { type: "resync", ms, items }  DataStore.stop(), then start() timed: a delta sync
 *   <- { type: "get", id } -> { type: "get", item }
 *   <- { type: "stop" }    -> exits 0 after DataStore.stop()
 * A failure answers { type: <the command>, error }.
 */
require("fake-indexeddb/auto");
const { performance } = require("node:perf_hooks");
const { Amplify } = require("aws-amplify");
const { DataStore, initSchema } = require("aws-amplify/datastore");
const { decodeJWT } = require("@aws-amplify/core");
const IndexedDBAdapter = require("@aws-amplify/datastore/dist/cjs/storage/adapter/IndexedDBAdapter").default;

const { endpoint, token } = JSON.parse(process.argv[2]);

/** What `amplify codegen models` writes for the bench's `Todo` (see scenarios/model-sync.ts). */
const field = (name, type, isRequired, extra = {}) => ({ name, isArray: false, type, isRequired, attributes: [], ...extra });
const schema = {
  models: {
    Todo: {
      name: "Todo",
      pluralName: "Todos",
      syncable: true,
      fields: Object.fromEntries(
        [
          field("id", "ID", true),
          field("title", "String", true),
          field("done", "Boolean", false),
          field("createdAt", "AWSDateTime", false, { isReadOnly: true }),
          field("updatedAt", "AWSDateTime", false, { isReadOnly: true }),
        ].map((entry) => [entry.name, entry]),
      ),
      attributes: [
        { type: "model", properties: {} },
        { type: "auth", properties: { rules: [{ provider: "userPools", ownerField: "owner", allow: "owner", identityClaim: "cognito:username", operations: ["create", "update", "delete", "read"] }] } },
      ],
    },
  },
  enums: {},
  nonModels: {},
  codegenVersion: "3.4.4",
  version: "bench-model-sync-v1",
};

const tokens = { accessToken: decodeJWT(token), idToken: decodeJWT(token) };
Amplify.configure(
  { API: { GraphQL: { endpoint, region: "us-east-1", defaultAuthMode: "oidc" } } },
  { Auth: { tokenProvider: { getTokens: async () => tokens } } },
);
const { Todo } = initSchema(schema);
const errors = [];
DataStore.configure({ storageAdapter: IndexedDBAdapter, errorHandler: (error) => errors.push(`${error.errorType}: ${error.message}`) });

/** Runs `start()` and times it; fails if DataStore reported an error meanwhile. */
async function timedStart() {
  const started = performance.now();
  await DataStore.start();
  const ms = performance.now() - started;
  if (errors.length > 0) throw new Error(`DataStore reported: ${errors.join("; ")}`);
  return { ms, items: (await DataStore.query(Todo)).length };
}

const commands = {
  start: () => timedStart(),
  async resync() {
    await DataStore.stop();
    return timedStart();
  },
  async get({ id }) {
    const item = await DataStore.query(Todo, id);
    return { item: item ? JSON.parse(JSON.stringify(item)) : null };
  },
  async stop() {
    await DataStore.stop();
    process.send({ type: "stop" }, () => process.exit(0));
    return undefined;
  },
};

process.on("message", async (message) => {
  try {
    const answer = await commands[message.type](message);
    if (answer) process.send({ type: message.type, ...answer });
  } catch (error) {
    process.send({ type: message.type, error: String(error && error.stack ? error.stack : error) });
  }
});
process.send({ type: "ready" });
