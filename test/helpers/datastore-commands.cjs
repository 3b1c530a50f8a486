/**
 * The half every DataStore process of the tests shares (datastore-device.cjs,
 * datastore-user-pool-device.cjs): the model introspection schema as `amplify codegen models`
 * writes it, the DataStore commands the test runs, and the IPC loop that runs them:
 * `{ id, command, args }` in, `{ id, result }` or `{ id, error }` out, `{ ready: true }` once
 * the process is set up.
 */

/** One field of a codegen model. */
const field = (name, type, isRequired, extra = {}) => ({ name, isArray: false, type, isRequired, attributes: [], ...extra });
const timestamps = [field("createdAt", "AWSDateTime", false, { isReadOnly: true }), field("updatedAt", "AWSDateTime", false, { isReadOnly: true })];

/** A syncable codegen model with an `id`, `fields`, the read-only timestamps and its `@auth` rules. */
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

/** A model instance as JSON, as the test receives it (null for none). */
const plain = (item) => (item ? JSON.parse(JSON.stringify(item)) : null);

/**
 * The commands on `DataStore` and the classes `initSchema` made (`models`, by name): start, stop,
 * save, update, query, and observe (record `DataStore.observe(model)` events) and observed (the
 * events so far).
 */
function dataStoreCommands(DataStore, models) {
  const observed = [];
  const observing = new Map();
  return {
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
  };
}

/** Runs `commands` for the test over IPC, then tells it the process is ready. */
function serveCommands(commands) {
  process.on("message", async ({ id, command, args }) => {
    try {
      const result = await commands[command](args ?? {});
      // IPC carries the result as JSON, as `plain` would.
      process.send({ id, result: result === undefined ? null : result });
    } catch (error) {
      process.send({ id, error: String(error && error.stack ? error.stack : error) });
    }
  });
  process.send({ ready: true });
}

module.exports = { field, model, plain, dataStoreCommands, serveCommands };
