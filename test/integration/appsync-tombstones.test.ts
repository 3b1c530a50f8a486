/**
 * Tombstones of model items and their TTL: a deleted item stays (and delta syncs carry it) for
 * `models.tombstoneTtlDays`, the server's purge schedule then removes it from storage, and a delta
 * sync from before the TTL is answered as a base sync. The clock is the test's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { poolOwnerId } from "../../server/identity/shared-access.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-appsync-tombstones-0123456";
const SCHEMA = /* GraphQL */ `
  type Todo @model @auth(rules: [{ allow: public }]) { id: ID! title: String! }
  type Secret @model @auth(rules: [{ allow: owner }]) { id: ID! text: String }
`;
const TODO = "id title _version _lastChangedAt _deleted";
const SECRET = "id text owner _version _lastChangedAt _deleted";
const CREATE_TODO = `mutation operation($input: CreateTodoInput!) { createTodo(input: $input) { ${TODO} } }`;
const UPDATE_TODO = `mutation operation($input: UpdateTodoInput!) { updateTodo(input: $input) { ${TODO} } }`;
const DELETE_TODO = `mutation operation($input: DeleteTodoInput!) { deleteTodo(input: $input) { ${TODO} } }`;
const CREATE_SECRET = `mutation operation($input: CreateSecretInput!) { createSecret(input: $input) { ${SECRET} } }`;
const DELETE_SECRET = `mutation operation($input: DeleteSecretInput!) { deleteSecret(input: $input) { ${SECRET} } }`;
const SYNC_TODOS = `query operation($limit: Int, $nextToken: String, $lastSync: AWSTimestamp) {
  syncTodos(limit: $limit, nextToken: $nextToken, lastSync: $lastSync) { items { ${TODO} } nextToken startedAt }
}`;

const DAY_MS = 86_400_000;
/** Where the pool's public items live. */
const SHARED = poolOwnerId("app");
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

// A hook starting a server may start its worker's first one, which also pays for the first imports
// and compilations of the server's code: about three times a later start's CPU (0.43 s against
// 0.15 s measured), past vitest's 10 s for a hook on a busy two-core machine.
const SERVER_START_HOOK_TIMEOUT_MS = 30_000;

describe("model tombstones and their TTL", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "syncpool-tombstones-"));
  const pools = [poolSettingsSchema.parse({ id: "app", models: { schema: SCHEMA, tombstoneTtlDays: 30 } })];
  let now = T0;
  let server: InProcessServer;
  let apiKey: string;
  let aliceId: string;

  const call = async (query: string, variables: Record<string, unknown>, authorization?: string) => {
    const response = await server.fetch("/appsync/app/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : { "x-api-key": apiKey }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: any[] };
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const storedKeys = async (identityId: string, dataset: string) =>
    (await server.storage.datasets.readRecords(identityId, dataset, { sinceSyncCount: 0, limit: 100 })).records.map((record) => record.key).sort();
  const syncIds = async (lastSync: number) => {
    const page = (await call(SYNC_TODOS, { limit: 100, nextToken: null, lastSync })).syncTodos;
    return page.items.map((item: { id: string; _deleted: boolean }) => `${item.id}${item._deleted ? " (deleted)" : ""}`).sort();
  };

  beforeAll(async () => {
    // The first server: items written and deleted over ten days.
    server = await startInProcessServer({ dataDir, config: { pools, adminToken: ADMIN_TOKEN }, now: () => now });
    const issued = await server.gql(`mutation { createApiKey(identityPoolId: "app", expiresInDays: 365) { apiKey } }`, {}, ADMIN_TOKEN);
    apiKey = issued.data.createApiKey.apiKey;
    const alice = await server.signInGuest("app");
    aliceId = alice.identityId;
    for (const id of ["kept", "old-delete", "new-delete"]) await call(CREATE_TODO, { input: { id, title: id } });
    await call(CREATE_SECRET, { input: { id: "s-old", text: "gone soon" } }, alice.token);
    now += 60_000;
    const oldDelete = await call(DELETE_TODO, { input: { id: "old-delete", _version: 2 } });
    expect(oldDelete.deleteTodo._deleted).toBe(true);
    await call(DELETE_SECRET, { input: { id: "s-old", _version: 1 } }, alice.token);
    now = T0 + 10 * DAY_MS;
    await call(DELETE_TODO, { input: { id: "new-delete", _version: 3 } });
  }, SERVER_START_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps a deleted item within the TTL, and a delta sync carries its delete", async () => {
    now = T0 + 29 * DAY_MS;
    expect(await syncIds(T0 + 30_000)).toEqual(["new-delete (deleted)", "old-delete (deleted)"]);
    expect(await storedKeys(SHARED, "model-Todo")).toEqual(["kept", "new-delete", "old-delete"]);
  });

  it("removes tombstones older than the TTL on the server's purge schedule, shared and owners' alike, and nothing else", async () => {
    const before = await server.storage.datasets.getDataset(SHARED, "model-Todo");
    await server.close();
    now = T0 + 31 * DAY_MS;
    // The purge runs as a server starts, then hourly.
    server = await startInProcessServer({ dataDir, config: { pools, adminToken: ADMIN_TOKEN }, now: () => now });
    await expect.poll(() => storedKeys(SHARED, "model-Todo")).toEqual(["kept", "new-delete"]);
    await expect.poll(() => storedKeys(aliceId, "model-Secret")).toEqual([]);
    const after = await server.storage.datasets.getDataset(SHARED, "model-Todo");
    // Usage drops by the purged item; the count does not move (a purge is not a change).
    expect(after).toMatchObject({ syncCount: before!.syncCount, recordCount: before!.recordCount - 1 });
    expect(after!.sizeBytes).toBeLessThan(before!.sizeBytes);
  });

  it("answers a delta sync from before the TTL as a base sync, and one within it as a delta", async () => {
    now = T0 + 31 * DAY_MS + 60_000;
    await call(UPDATE_TODO, { input: { id: "kept", title: "changed", _version: 1 } });
    // lastSync 31 days back: deletes since then may be gone, so every item still stored comes.
    expect(await syncIds(T0 + 30_000)).toEqual(["kept", "new-delete (deleted)"]);
    // lastSync 11 days back: only what changed since.
    expect(await syncIds(T0 + 20 * DAY_MS)).toEqual(["kept"]);
  });
});
