/**
 * One Amplify DataStore "device" in its own Node process, unmodified: aws-amplify 6 configured
 * with syncpool's model API as the GraphQL endpoint, the IndexedDB adapter on fake-indexeddb, and
 * realtime on: DataStore opens its subscriptions on the model API's WebSocket as it does against
 * AppSync. CommonJS on purpose: DataStore loads CommonJS core, and an ESM import of aws-amplify
 * would configure a second copy it never reads. One process per device, because DataStore, its
 * schema and Amplify's configuration are process-wide.
 *
 * What Node lacks and a browser gives DataStore, this process provides (the libraries untouched):
 * IndexedDB and a global `WebSocket` (datastore-node-env.cjs; `wss://` opened as `ws://` against
 * the test server's plain `http://` endpoint), and a network that can go offline, as a browser
 * reports it: `navigator.onLine` and the window's `online`/`offline` events, which DataStore's
 * reachability monitor reads (in Node it would otherwise assume it is always online). Offline,
 * `fetch` fails and sockets drop, as they do in a browser with no network.
 *
 * The models by credential: an API key alone reaches the public models `Todo` and `Note`; a
 * syncpool identity token alone (sent in `oidc` mode, as an app's token provider hands it over)
 * the owner model `Diary`; both together all three, with DataStore's MULTI_AUTH strategy (the key
 * for public models, the token for owner ones), as a signed-in user's app runs.
 *
 * The test drives it over IPC (datastore-commands.cjs). Commands: start, stop, resync (stop then
 * start: DataStore's delta sync), save, update, remove, query, observe (record
 * `DataStore.observe(model)` events), observed (the events so far), network (`{ online }`), wire
 * (what went over the network: sync queries sent, realtime subscriptions acknowledged and open,
 * data frames received), answered (`{ id }`: how many of its writes of the item the server has
 * answered), conflicts, errors.
 */
const { installWebSocket, loadDataStore } = require("./datastore-node-env.cjs");
const { field, model, plain, dataStoreCommands, serveCommands } = require("./datastore-commands.cjs");

const { endpoint, apiKey, token } = JSON.parse(process.argv[2]);

/** The device's network: online until the test says otherwise. */
const network = new EventTarget();
network.navigator = { onLine: true };
const wire = { syncQueries: 0, startAcks: 0, dataFrames: 0, openSubscriptions: () => [...sockets].reduce((sum, socket) => sum + socket.subscriptions.size, 0) };
const sockets = new Set();

installWebSocket({
  plainHttp: endpoint.startsWith("http://"),
  onSocket(socket) {
    /** Subscription ids the server acknowledged and has not completed on this socket. */
    socket.subscriptions = new Set();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (!network.navigator.onLine) socket.terminate();
  },
  onFrame(frame, socket) {
    if (frame.type === "start_ack") {
      wire.startAcks++;
      socket.subscriptions.add(frame.id);
    } else if (frame.type === "complete" || frame.type === "error") socket.subscriptions.delete(frame.id);
    else if (frame.type === "data") wire.dataFrames++;
  },
});

const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  if (!network.navigator.onLine) throw new TypeError("fetch failed");
  if (typeof init?.body === "string" && /\bsync[A-Z]\w*\s*\(/.test(init.body)) wire.syncQueries++;
  return nodeFetch(input, init);
};

const { Amplify } = require("aws-amplify");
const { DataStore, initSchema, AuthModeStrategyType, IndexedDBAdapter } = loadDataStore(network);
const { decodeJWT, Hub } = require("@aws-amplify/core");

/**
 * The server's answers to this device's writes, by item id: DataStore's `outboxMutationProcessed`,
 * sent once a write has left the outbox. While a write of an item waits there, DataStore sets aside
 * what its socket brings of that item, so a test lets another device change the item only after this.
 */
const answered = new Map();
Hub.listen("datastore", ({ payload }) => {
  const id = payload.event === "outboxMutationProcessed" ? payload.data?.element?.id : undefined;
  if (id !== undefined) answered.set(id, (answered.get(id) ?? 0) + 1);
});

/** What `amplify codegen models` writes for the test app's schema (see datastore-sync.test.ts). */
const PUBLIC = { allow: "public", operations: ["create", "update", "delete", "read"] };
const OWNER = { provider: "userPools", ownerField: "owner", allow: "owner", identityClaim: "cognito:username", operations: ["create", "update", "delete", "read"] };
const publicModels = {
  Todo: model("Todo", "Todos", [field("title", "String", true), field("done", "Boolean", false)], [PUBLIC]),
  Note: model("Note", "Notes", [field("content", "String", true)], [PUBLIC]),
};
const ownerModels = { Diary: model("Diary", "Diaries", [field("entry", "String", true)], [OWNER]) };

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

serveCommands({
  ...dataStoreCommands(DataStore, models),
  async resync() {
    await DataStore.stop();
    await DataStore.start();
  },
  async remove({ model: name, id }) {
    const original = await DataStore.query(models[name], id);
    if (!original) throw new Error(`no ${name} ${id} on this device`);
    return plain(await DataStore.delete(original));
  },
  /** Takes the device's network down (`online: false`) or back up, as a browser reports it. */
  network({ online }) {
    if (network.navigator.onLine === online) return;
    network.navigator.onLine = online;
    if (!online) for (const socket of sockets) socket.terminate();
    network.dispatchEvent(new Event(online ? "online" : "offline"));
  },
  wire: () => ({ syncQueries: wire.syncQueries, startAcks: wire.startAcks, dataFrames: wire.dataFrames, openSubscriptions: wire.openSubscriptions() }),
  answered: ({ id }) => answered.get(id) ?? 0,
  conflicts: () => conflicts,
  errors: () => errors,
});
