/**
 * One Amplify DataStore "device" in its own Node process, unmodified: aws-amplify 6 configured
 * with syncpool's model API as the GraphQL endpoint, the IndexedDB adapter on fake-indexeddb, and
 * realtime on: DataStore opens its subscriptions on the model API's WebSocket as it does against
 * AppSync. CommonJS on purpose: DataStore loads CommonJS core, and an ESM import of aws-amplify
 * would configure a second copy it never reads. One process per device, because DataStore, its
 * schema and Amplify's configuration are process-wide.
 *
 * What Node lacks and a browser gives DataStore, this process provides (the libraries untouched):
 * - a global `WebSocket` (`ws`). aws-amplify always opens `wss://`; against the test server's plain
 *   `http://` endpoint the socket opens `ws://` on the same host and port instead, standing in
 *   for the TLS a deployment puts in front of syncpool;
 * - a network that can go offline, as a browser reports it: `navigator.onLine` and the window's
 *   `online`/`offline` events, which DataStore's reachability monitor reads (in Node it would
 *   otherwise assume it is always online). Offline, `fetch` fails and sockets drop, as they do in
 *   a browser with no network. The stand-in `window` exists only while DataStore loads, so the
 *   rest of Amplify still sees Node.
 *
 * The models by credential: an API key alone reaches the public models `Todo` and `Note`; a
 * syncpool identity token alone (sent in `oidc` mode, as an app's token provider hands it over)
 * the owner model `Diary`; both together all three, with DataStore's MULTI_AUTH strategy (the key
 * for public models, the token for owner ones), as a signed-in user's app runs.
 *
 * The test drives it over IPC: `{ id, command, args }` in, `{ id, result }` or `{ id, error }`
 * out. Commands: start, stop, resync (stop then start: DataStore's delta sync), save, update,
 * remove, query, observe (record `DataStore.observe(model)` events), observed (the events so far),
 * network (`{ online }`), wire (what went over the network: sync queries sent, realtime
 * subscriptions acknowledged and open, data frames received), conflicts, errors.
 */
require("fake-indexeddb/auto");
const { WebSocket: NodeWebSocket } = require("ws");

const { endpoint, apiKey, token } = JSON.parse(process.argv[2]);
const plainHttp = endpoint.startsWith("http://");

/** The device's network: online until the test says otherwise. */
const network = new EventTarget();
network.navigator = { onLine: true };
const wire = { syncQueries: 0, startAcks: 0, dataFrames: 0, openSubscriptions: () => [...sockets].reduce((sum, socket) => sum + socket.subscriptions.size, 0) };
const sockets = new Set();

class DeviceWebSocket extends NodeWebSocket {
  constructor(url, protocols) {
    super(plainHttp ? String(url).replace(/^wss:\/\//, "ws://") : url, protocols);
    /** Subscription ids the server acknowledged and has not completed on this socket. */
    this.subscriptions = new Set();
    sockets.add(this);
    // The provider sets onerror itself; this keeps an early failure from being an unhandled 'error'.
    this.on("error", () => {});
    this.on("close", () => sockets.delete(this));
    this.on("message", (data) => {
      let frame;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return;
      }
      if (frame.type === "start_ack") {
        wire.startAcks++;
        this.subscriptions.add(frame.id);
      } else if (frame.type === "complete" || frame.type === "error") this.subscriptions.delete(frame.id);
      else if (frame.type === "data") wire.dataFrames++;
    });
    if (!network.navigator.onLine) this.terminate();
  }
}
globalThis.WebSocket = DeviceWebSocket;

const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  if (!network.navigator.onLine) throw new TypeError("fetch failed");
  if (typeof init?.body === "string" && /\bsync[A-Z]\w*\s*\(/.test(init.body)) wire.syncQueries++;
  return nodeFetch(input, init);
};

const { Amplify } = require("aws-amplify");
globalThis.window = network;
const { DataStore, initSchema, AuthModeStrategyType } = require("aws-amplify/datastore");
delete globalThis.window;
const IndexedDBAdapter = require("@aws-amplify/datastore/dist/cjs/storage/adapter/IndexedDBAdapter").default;
const { decodeJWT } = require("@aws-amplify/core");

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
const publicModels = {
  Todo: model("Todo", "Todos", [field("title", "String", true), field("done", "Boolean", false)]),
  Note: model("Note", "Notes", [field("content", "String", true)]),
};
const ownerModels = { Diary: model("Diary", "Diaries", [field("entry", "String", true)], OWNER) };
const schema = {
  models: { ...(apiKey ? publicModels : {}), ...(token ? ownerModels : {}) },
  enums: {},
  nonModels: {},
  codegenVersion: "3.4.4",
  version: "datastore-sync-test-v1",
};

if (token) {
  // DataStore sends the access token of the session raw in Authorization.
  const tokens = { accessToken: decodeJWT(token), idToken: decodeJWT(token) };
  Amplify.configure(
    { API: { GraphQL: { endpoint, region: "us-east-1", defaultAuthMode: "oidc", ...(apiKey ? { apiKey } : {}) } } },
    { Auth: { tokenProvider: { getTokens: async () => tokens } } },
  );
} else {
  Amplify.configure({ API: { GraphQL: { endpoint, region: "us-east-1", defaultAuthMode: "apiKey", apiKey } } });
}
const models = initSchema(schema);

const conflicts = [];
const errors = [];
const observed = [];
const observing = new Map();
DataStore.configure({
  storageAdapter: IndexedDBAdapter,
  ...(apiKey && token ? { authModeStrategyType: AuthModeStrategyType.MULTI_AUTH } : {}),
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
  /** Starts recording `DataStore.observe(model)`: every local and remote change, as the app sees it. */
  observe({ model: name }) {
    if (observing.has(name)) return;
    observing.set(name, DataStore.observe(models[name]).subscribe(({ opType, element }) => observed.push({ model: name, opType, element: plain(element) })));
  },
  observed: ({ model: name }) => observed.filter((event) => name === undefined || event.model === name),
  /** Takes the device's network down (`online: false`) or back up, as a browser reports it. */
  network({ online }) {
    if (network.navigator.onLine === online) return;
    network.navigator.onLine = online;
    if (!online) for (const socket of sockets) socket.terminate();
    network.dispatchEvent(new Event(online ? "online" : "offline"));
  },
  wire: () => ({ syncQueries: wire.syncQueries, startAcks: wire.startAcks, dataFrames: wire.dataFrames, openSubscriptions: wire.openSubscriptions() }),
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
