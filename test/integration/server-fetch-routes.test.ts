/**
 * The sync server is one Fetch handler: `server.fetch(request)` answers every route in-process,
 * with no port bound: the health routes, the key set, the AWS endpoints, metrics and GraphQL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { createSyncpoolServer, type SyncpoolServer } from "../../server/index.js";
import { silentLogger } from "../../server/logger.js";

let dataDir: string;
let server: SyncpoolServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "syncpool-fetch-routes-"));
  server = await createSyncpoolServer(loadConfig({ LOG_LEVEL: "silent", SYNCPOOL_METRICS: "on" }, { dataDir }), { logger: silentLogger() });
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => server.fetch(new Request(`http://syncpool.test${path}`, init));

describe("server.fetch in-process", () => {
  it("answers /healthz and /readyz", async () => {
    const health = await get("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("answers HEAD /healthz with the status and no body", async () => {
    const head = await get("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("serves the token service's key set at /.well-known/jwks.json", async () => {
    const response = await get("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const body = (await response.json()) as { keys: Array<{ kid?: string }> };
    expect(body.keys.length).toBeGreaterThan(0);
    expect(body).toEqual(JSON.parse(JSON.stringify(server.tokens.jwks)));
  });

  it("routes /aws/cognito-identity to the AWS endpoint, which answers as AWS does", async () => {
    const response = await get("/aws/cognito-identity", {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSCognitoIdentityService.GetId" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("InvalidParameterException");
  });

  it("refuses an AWS request body over the read limit with 413 before the endpoint sees it", async () => {
    const response = await get("/aws/cognito-identity", {
      method: "POST",
      headers: { "x-amz-target": "AWSCognitoIdentityService.GetId" },
      body: new Uint8Array(4 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
  });

  it("answers /metrics and GraphQL through the same handler", async () => {
    const metrics = await get("/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("# TYPE");
    const graphql = await get("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(graphql.status).toBe(200);
    expect(await graphql.json()).toEqual({ data: { __typename: "Query" } });
  });
});
