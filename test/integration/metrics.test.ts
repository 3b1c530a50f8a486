/**
 * `GET /metrics`: off by default (404), open with SYNCPOOL_METRICS=on, behind the admin token with
 * `admin`. After real traffic (sign-ins, pushes, errors, a rate limit, a live subscription, a
 * stream consumer holding an event) the scrape, parsed as Prometheus text, shows every counter moved.
 * The server with traffic binds a port: the live connection counted per transport is a real SSE
 * stream. The endpoint's modes need no socket: their servers are in-process, started once in the hook.
 */
import { readFileSync } from "node:fs";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import type { StreamHandler } from "../../server/stream/consumer.js";
import { subscribeSse } from "../helpers/push-clients.js";
import { startInProcessServer, startTestServer, testBackend, type InProcessServer, type TestServer } from "../helpers/server.js";
import { syncApi } from "../helpers/sync-api.js";

const ADMIN_TOKEN = "admin-token-for-metrics-0123456789abcdef";

// A hook starting a server may start its worker's first one, which also pays for the first imports
// and compilations of the server's code: about three times a later start's CPU (0.43 s against
// 0.15 s measured), past vitest's 10 s for a hook on a busy two-core machine.
const SERVER_START_HOOK_TIMEOUT_MS = 30_000;

async function scrape(server: InProcessServer, token?: string): Promise<PrometheusFamily[]> {
  const response = await server.testFetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await response.text());
}

/** The value of `name`'s sample whose labels include `labels` (0 when absent); a histogram's count. */
function sample(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((candidate) => candidate.name === name);
  const match = family?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
  return Number(match?.count ?? match?.value ?? 0);
}

describe("metrics endpoint", () => {
  // One server per mode: metrics left at their default, and metrics behind the admin token.
  let byDefault: InProcessServer;
  let adminOnly: InProcessServer;
  beforeAll(async () => {
    [byDefault, adminOnly] = await Promise.all([startInProcessServer(), startInProcessServer({ config: { adminToken: ADMIN_TOKEN, metrics: "admin" } })]);
  }, SERVER_START_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([byDefault?.close(), adminOnly?.close()]);
  });

  it("answers 404 when SYNCPOOL_METRICS is left at its default", async () => {
    expect((await byDefault.fetch("/metrics")).status).toBe(404);
  });

  it("in admin mode refuses a scrape without the admin token or with a wrong one, and serves it with the token", async () => {
    expect((await adminOnly.fetch("/metrics")).status).toBe(401);
    const wrong = await adminOnly.fetch("/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("syncpool_");
    expect(sample(await scrape(adminOnly, ADMIN_TOKEN), "syncpool_stream_events_appended_total")).toBe(0);
  });
});

describe("metrics after traffic", () => {
  let server: TestServer;
  // Holds every event until released, so the consumer's lag is visible.
  let releaseHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  const holding: StreamHandler = { name: "holding", pools: ["default"], handle: () => held };

  beforeAll(async () => {
    const pools = [poolSettingsSchema.parse({ id: "default" }), poolSettingsSchema.parse({ id: "tight", rateLimits: { perIdentity: { burst: 1, perSecond: 0.01 } } })];
    server = await startTestServer({ config: { metrics: "on", adminToken: ADMIN_TOKEN, pools }, serverOptions: { handlers: [holding], stream: { consumers: { pollIntervalMs: 50 } } } });
  }, SERVER_START_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    releaseHeld();
    await server?.close();
  });

  it("counts requests by operation and code, pushes, stream appends, sign-ins and rate-limit refusals", async () => {
    const guest = await server.signInGuest();
    const api = syncApi(server.graphqlUrl, guest.token);
    await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "a", value: "1" }, { op: "REPLACE", key: "b", value: "2" }, { op: "REPLACE", key: "c", value: "3" }] });
    await api.push({ dataset: "notes", patches: [{ op: "REPLACE", key: "a", value: "4" }] });
    // An unknown pool: a failed sign-in; an unauthenticated query: an error by code.
    await server.gql(`mutation { signIn(input: { identityPoolId: "nope" }) { identityId } }`);
    await server.gql(`{ usage { identityId } }`);
    await server.gql(`{ usage { noSuchField } }`);
    // The tight pool's bucket holds one request: the second is refused.
    const tight = await server.signInGuest("tight");
    await server.gql(`{ usage { identityId } }`, {}, tight.token);
    const refused = await server.gql(`{ usage { identityId } }`, {}, tight.token);
    expect(refused.errors?.[0]?.extensions?.["code"]).toBe("RATE_LIMITED");

    const families = await scrape(server);
    expect(sample(families, "syncpool_graphql_requests_total", { operation: "pushRecords", code: "OK" })).toBe(2);
    expect(sample(families, "syncpool_graphql_requests_total", { operation: "usage", code: "UNAUTHENTICATED" })).toBe(1);
    expect(sample(families, "syncpool_graphql_requests_total", { operation: "usage", code: "RATE_LIMITED" })).toBe(1);
    expect(sample(families, "syncpool_graphql_requests_total", { operation: "usage", code: "BAD_USER_INPUT" })).toBe(1);
    expect(sample(families, "syncpool_push_duration_seconds")).toBe(2);
    const pushRecords = families.find((family) => family.name === "syncpool_push_records")!.metrics[0]!;
    expect(pushRecords).toMatchObject({ count: "2", sum: "4" });
    expect(sample(families, "syncpool_stream_events_appended_total")).toBe(2);
    expect(sample(families, "syncpool_sign_ins_total", { method: "guest", outcome: "success" })).toBe(2);
    expect(sample(families, "syncpool_sign_ins_total", { method: "guest", outcome: "NOT_FOUND" }) + sample(families, "syncpool_sign_ins_total", { method: "guest", outcome: "BAD_USER_INPUT" })).toBe(1);
    expect(sample(families, "syncpool_rate_limited_total", { limit: "perIdentity" })).toBe(1);
    expect(families.map((family) => family.name)).toContain("syncpool_nodejs_eventloop_lag_seconds");
  });

  it("shows a consumer's lag while it holds events, and live connections per transport", async () => {
    const guest = await server.signInGuest();
    await syncApi(server.graphqlUrl, guest.token).push({ dataset: "held", patches: [{ op: "REPLACE", key: "k", value: "v" }] });
    const lag = async () => {
      const family = (await scrape(server)).find((candidate) => candidate.name === "syncpool_stream_consumer_lag_events");
      return (family?.metrics ?? []).filter((metric) => metric.labels?.["consumer"] === "holding").reduce((total, metric) => total + Number(metric.value), 0);
    };
    await expect.poll(lag, { timeout: 10_000 }).toBeGreaterThan(0);

    const subscription = subscribeSse(server, guest.token, { dataset: "held" });
    await expect.poll(async () => sample(await scrape(server), "syncpool_live_connections", { transport: "sse" }), { timeout: 10_000 }).toBe(1);
    subscription.close();
    await expect.poll(async () => sample(await scrape(server), "syncpool_live_connections", { transport: "sse" }), { timeout: 10_000 }).toBe(0);

    releaseHeld();
    await expect.poll(lag, { timeout: 10_000 }).toBe(0);
  });

  it("serves every metric the Grafana dashboard in docs/ queries", async () => {
    const dashboard = readFileSync(new URL("../../docs/grafana-dashboard.json", import.meta.url), "utf8");
    const queried = new Set([...dashboard.matchAll(/syncpool_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, "")));
    expect(queried.size).toBeGreaterThanOrEqual(10);
    const served = new Set((await scrape(server)).map((family) => family.name));
    // The pool gauge exists only on PostgreSQL.
    if (testBackend === "sqlite") queried.delete("syncpool_db_pool_connections");
    expect([...queried].filter((name) => !served.has(name))).toEqual([]);
  });

  // Only PostgreSQL has a connection pool: the test exists in the postgres project alone.
  if (testBackend === "postgres") {
    it("reports the database pool's connections on PostgreSQL", async () => {
      const families = await scrape(server);
      const states = families.find((family) => family.name === "syncpool_db_pool_connections")?.metrics.map((metric) => metric.labels?.["state"]);
      expect(states?.sort()).toEqual(["active", "idle", "waiting"]);
    });
  }
});
