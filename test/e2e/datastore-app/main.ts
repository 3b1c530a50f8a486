/**
 * An Amplify DataStore app as an app developer writes one, for the browser tests: unmodified
 * aws-amplify 6 with @aws-amplify/datastore, its default storage in a browser (the IndexedDB
 * adapter), one owner-scoped model `Todo`, and syncpool's model API as the GraphQL endpoint on the
 * page's own origin (the preview server proxies `/appsync`). The identity token comes in the URL
 * (`?token=`), as an app's token provider would hand over the signed-in user's token.
 *
 * The page shows its to-dos (DataStore's `observeQuery`); the test drives DataStore through
 * `window.datastoreApp` and reads the Hub events it logged.
 */
import { Amplify } from "aws-amplify";
import { DataStore, initSchema, type PersistentModel, type PersistentModelConstructor } from "aws-amplify/datastore";
import { Hub } from "aws-amplify/utils";
import { decodeJWT } from "@aws-amplify/core";

/** A to-do as the page hands it to the test. */
export interface TodoItem {
  id: string;
  title: string;
  done: boolean | null;
  owner: string | null;
  _version?: number;
}

/** One event of DataStore's Hub channel. */
export interface HubEvent {
  event: string;
  data: unknown;
}

declare global {
  interface Window {
    datastoreApp: {
      start(): Promise<void>;
      /** `DataStore.stop()` then `start()`, resolved when the sync queries are done (a delta sync). */
      resync(): Promise<void>;
      create(title: string): Promise<TodoItem>;
      update(id: string, fields: Partial<Pick<TodoItem, "title" | "done">>): Promise<TodoItem>;
      remove(id: string): Promise<void>;
      list(): Promise<TodoItem[]>;
      events: HubEvent[];
      errors: Array<{ errorType: string; message: string }>;
    };
  }
}

/** What `amplify codegen models` writes for `type Todo @model @auth(rules: [{ allow: owner }]) { id: ID! title: String! done: Boolean }`. */
const field = (name: string, type: string, isRequired: boolean, extra: object = {}) => ({ name, isArray: false, type, isRequired, attributes: [], ...extra });
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
  version: "datastore-browser-test-v1",
};

const token = new URL(location.href).searchParams.get("token");
if (!token) throw new Error("the page needs ?token=<identity token>");
const tokens = { accessToken: decodeJWT(token), idToken: decodeJWT(token) };
Amplify.configure(
  { API: { GraphQL: { endpoint: new URL("/appsync/app/graphql", location.href).href, region: "us-east-1", defaultAuthMode: "oidc" } } },
  { Auth: { tokenProvider: { getTokens: async () => tokens } } },
);

// initSchema's parameter type is the generated schema's; ours is the same object written by hand.
const { Todo } = initSchema(schema as Parameters<typeof initSchema>[0]) as { Todo: PersistentModelConstructor<PersistentModel> };
const errors: Array<{ errorType: string; message: string }> = [];
DataStore.configure({
  errorHandler: (error) => {
    if (error.message !== "RetryMutation") errors.push({ errorType: String(error.errorType), message: error.message });
  },
});

const events: HubEvent[] = [];
Hub.listen("datastore", ({ payload }) => events.push({ event: payload.event, data: JSON.parse(JSON.stringify(payload.data ?? null)) }));

/** Resolves at the next Hub event named `name`. */
const nextEvent = (name: string) =>
  new Promise<void>((resolve) => {
    const stop = Hub.listen("datastore", ({ payload }) => {
      if (payload.event !== name) return;
      stop();
      resolve();
    });
  });

const plain = (item: PersistentModel): TodoItem => JSON.parse(JSON.stringify(item)) as TodoItem;

async function find(id: string): Promise<PersistentModel> {
  const item = await DataStore.query(Todo, id);
  if (!item) throw new Error(`no to-do ${id} on this device`);
  return item;
}

window.datastoreApp = {
  async start() {
    // In a browser start() resolves before the first sync; the app is in step at syncQueriesReady.
    const synced = nextEvent("syncQueriesReady");
    await DataStore.start();
    await synced;
    showTodos();
  },
  async resync() {
    await DataStore.stop();
    await this.start();
  },
  async create(title) {
    return plain(await DataStore.save(new Todo({ title, done: false })));
  },
  async update(id, fields) {
    const original = await find(id);
    return plain(await DataStore.save(Todo.copyOf(original, (draft) => Object.assign(draft, fields))));
  },
  async remove(id) {
    await DataStore.delete(await find(id));
  },
  async list() {
    return (await DataStore.query(Todo)).map(plain).sort((a, b) => a.title.localeCompare(b.title));
  },
  events,
  errors,
};

const list = document.getElementById("todos")!;
const status = document.getElementById("status")!;
let shown = false;
/** Shows the to-dos from the first start on (observeQuery would otherwise start DataStore itself). */
function showTodos(): void {
  if (shown) return;
  shown = true;
  DataStore.observeQuery(Todo).subscribe(({ items, isSynced }) => {
    status.textContent = isSynced ? "synced" : "syncing";
    list.replaceChildren(
      ...items.map((item) => {
        const todo = plain(item);
        const entry = document.createElement("li");
        entry.dataset.id = todo.id;
        entry.textContent = `${todo.done ? "[x]" : "[ ]"} ${todo.title}`;
        return entry;
      }),
    );
  });
}
Hub.listen("datastore", ({ payload }) => {
  if (payload.event === "networkStatus") document.body.dataset.online = String((payload.data as { active: boolean }).active);
});
