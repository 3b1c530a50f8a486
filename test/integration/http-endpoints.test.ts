import { statSync } from "node:fs";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_REQUEST_BODY_BYTES } from "../../server/graphql/use-body-limit.js";
import { QUERY_LIMITS } from "../../server/graphql/use-query-limits.js";
import { startInProcessServer, type GqlResponse, type InProcessServer } from "../helpers/server.js";

const ADMIN_TOKEN = "admin-token-for-http-tests-0123456789";

/**
 * For a test that starts a server of its own (keys, migrations, the schema): 0.2-0.4 s on a
 * quiet machine, over 5 s was seen on 2 cores at load 15.
 */
const OWN_SERVER = { timeout: 20_000 };

describe("HTTP endpoints", () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer({ captureLogs: true, config: { adminToken: ADMIN_TOKEN } });
  });
  afterAll(async () => server?.close());
  afterEach(() => vi.restoreAllMocks());

  async function postRaw(body: BodyInit, headers: Record<string, string> = {}) {
    const response = await server.testFetch(server.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      duplex: "half",
    } as RequestInit);
    return { status: response.status, body: (await response.json()) as GqlResponse };
  }

  it("answers /healthz while the process is up", async () => {
    const response = await server.testFetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz 200 when storage answers and 503 when it does not", async () => {
    expect((await server.testFetch(`${server.url}/readyz`)).status).toBe(200);
    vi.spyOn(server.storage, "ping").mockRejectedValue(new Error("database is locked"));
    const response = await server.testFetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable" });
  });

  it("publishes a JWKS that verifies tokens issued by signIn", async () => {
    const guest = await server.signInGuest();
    const jwks = (await (await server.testFetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload } = await jwtVerify(guest.token, createLocalJWKSet(jwks), { issuer: "syncpool", audience: "default", algorithms: ["ES256"] });
    expect(payload.sub).toBe(guest.identityId);
  });

  it("keeps its signing key sealed in the database and reuses it after a restart", OWN_SERVER, async () => {
    const guest = await server.signInGuest();
    expect(statSync(join(server.dataDir, "keys", "master-key")).mode & 0o777).toBe(0o600);
    const signing = (await server.storage.keys.listServerKeys()).filter((row) => row.kind === "token-signing");
    expect(signing).toHaveLength(1);
    expect(signing[0]!.sealed).toMatch(/^sealed:v1:/);
    const restarted = await startInProcessServer({ dataDir: server.dataDir });
    try {
      const { data } = await restarted.gql(`{ usage { identityId } }`, {}, guest.token);
      expect(data.usage.identityId).toBe(guest.identityId);
    } finally {
      await restarted.close();
    }
  });

  it("serves GraphiQL to browsers in --dev mode", OWN_SERVER, async () => {
    const dev = await startInProcessServer({ config: { dev: true } });
    try {
      const response = await dev.testFetch(dev.graphqlUrl, { headers: { accept: "text/html" } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("GraphiQL");
    } finally {
      await dev.close();
    }
  });

  describe("request body limit", () => {
    const oversized = () => JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(MAX_REQUEST_BODY_BYTES) } });

    it("refuses a body over the limit with 413 and says what the limit is", async () => {
      const { status, body } = await postRaw(oversized());
      expect(status).toBe(413);
      expect(body.errors?.[0]).toMatchObject({
        message: `Request body too large: the limit is ${MAX_REQUEST_BODY_BYTES} bytes`,
        extensions: { code: "LIMIT_EXCEEDED", limit: "maxRequestBodyBytes", max: MAX_REQUEST_BODY_BYTES },
      });
    });

    it("refuses a chunked body (no Content-Length) once it passes the limit", async () => {
      const bytes = new TextEncoder().encode(oversized());
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 65_536) controller.enqueue(bytes.subarray(offset, offset + 65_536));
          controller.close();
        },
      });
      const { status, body } = await postRaw(chunked);
      expect(status).toBe(413);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: "LIMIT_EXCEEDED" });
    });

    it("accepts a body just under the limit", async () => {
      const text = JSON.stringify({ query: "{ __typename }", variables: { padding: "" } });
      const padded = text.replace('"padding":""', `"padding":"${"x".repeat(MAX_REQUEST_BODY_BYTES - text.length)}"`);
      expect(Buffer.byteLength(padded)).toBe(MAX_REQUEST_BODY_BYTES);
      const { status, body } = await postRaw(padded);
      expect(status).toBe(200);
      expect(body.data).toEqual({ __typename: "Query" });
    });
  });

  describe("query limits and malformed requests", () => {
    it("refuses a query deeper than the depth limit, naming the limit", async () => {
      const deep = `{ __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }`;
      const error = (await server.gql(deep)).errors?.[0];
      expect(error).toMatchObject({
        message: expect.stringMatching(new RegExp(`^Query depth limit of ${QUERY_LIMITS.maxDepth} exceeded`)),
        extensions: { code: "BAD_USER_INPUT", limit: "maxDepth", max: QUERY_LIMITS.maxDepth },
      });
    });

    it("refuses more aliases than the alias limit, naming the limit", async () => {
      const aliases = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: datasets { name }`).join(" ");
      const error = (await server.gql(`{ ${aliases} }`)).errors?.[0];
      expect(error).toMatchObject({
        message: expect.stringMatching(/^Aliases limit of 10 exceeded/),
        extensions: { code: "BAD_USER_INPUT", limit: "maxAliases" },
      });
    });

    const FULL_PAGE = `records(dataset: "d", first: 1000) {
      records { key value kind syncCount clock lastModifiedBy lastModifiedAt deviceLastModifiedAt deleted }
      datasetSyncCount datasetExists deletedAfterSince mergedDatasetNames conflictStrategy syncSessionToken nextCursor
    }`;

    it("admits a full page of records asked for with a literal first: 1000", async () => {
      const guest = await server.signInGuest();
      const response = await server.gql(`{ ${FULL_PAGE} }`, {}, guest.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.records.datasetExists).toBe(false);
    });

    it("refuses a query over the cost limit, naming the limit", async () => {
      const error = (await server.gql(`{ a: ${FULL_PAGE} b: ${FULL_PAGE} }`)).errors?.[0];
      expect(error).toMatchObject({
        message: expect.stringMatching(new RegExp(`^Query Cost limit of ${QUERY_LIMITS.maxCost} exceeded`)),
        extensions: { code: "BAD_USER_INPUT", limit: "maxCost", max: QUERY_LIMITS.maxCost },
      });
    });

    it("refuses a document with too many tokens, naming the limit", async () => {
      const error = (await server.gql(`{ ${"__typename ".repeat(QUERY_LIMITS.maxTokens)} }`)).errors?.[0];
      expect(error).toMatchObject({
        message: `Token limit of ${QUERY_LIMITS.maxTokens} exceeded.`,
        extensions: { code: "BAD_USER_INPUT", limit: "maxTokens" },
      });
    });

    it("answers BAD_USER_INPUT for syntax errors, unknown fields and wrong variable types", async () => {
      const syntax = (await server.gql(`{ datasets { name `)).errors?.[0];
      const unknownField = (await server.gql(`{ datasets { colour } }`)).errors?.[0];
      const wrongType = (await server.gql(`query ($name: String!) { dataset(name: $name) { name } }`, { name: 42 })).errors?.[0];
      const badTimestamp = (
        await server.gql(`mutation ($input: PushRecordsInput!) { pushRecords(input: $input) { replayed } }`, {
          input: { dataset: "d", deviceId: "x", mutationId: "m", patches: [{ op: "REPLACE", key: "k", value: "v", deviceLastModifiedAt: 1.5 }] },
        })
      ).errors?.[0];
      expect(syntax?.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(unknownField).toMatchObject({ message: expect.stringContaining('"colour"'), extensions: { code: "BAD_USER_INPUT" } });
      expect(wrongType).toMatchObject({ message: expect.stringContaining("$name"), extensions: { code: "BAD_USER_INPUT", field: "name" } });
      expect(badTimestamp).toMatchObject({
        message: expect.stringContaining("Timestamp must be an integer"),
        extensions: { code: "BAD_USER_INPUT", field: "input.patches[0].deviceLastModifiedAt" },
      });
    });
  });

  it("masks an unexpected error and logs its cause", async () => {
    const guest = await server.signInGuest();
    vi.spyOn(server.storage.datasets, "listDatasets").mockRejectedValue(new Error("disk on fire at sector 7"));
    const response = await server.gql(`{ datasets { name } }`, {}, guest.token);
    expect(response.errors).toEqual([
      expect.objectContaining({ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" }, path: ["datasets"] }),
    ]);
    expect(JSON.stringify(response)).not.toContain("sector 7");
    const logged = server.logText().split("\n").filter((line) => line.includes("disk on fire at sector 7"));
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: 50, err: { message: "disk on fire at sector 7", stack: expect.any(String) } });
  });

  it("never writes a token, device secret or the admin token to the log", async () => {
    const guest = await server.signInGuest();
    const session = await server.gql(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: guest.deviceSecret } },
    );
    await server.gql(
      `mutation ($input: SignInInput!) { signIn(input: $input) { token } }`,
      { input: { identityPoolId: "default", identityId: guest.identityId, deviceSecret: `${guest.deviceSecret}x` } },
    );
    await server.gql(`{ datasets { name } }`, {}, guest.token);
    await server.gql(`{ identityPools { id } }`, {}, ADMIN_TOKEN);
    await server.gql(`{ identityPools { id } }`, {}, guest.token);
    await server.gql(`{ datasets { name } }`, {}, `${guest.token}tampered`);

    const logs = server.logText();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [guest.deviceSecret, guest.token, session.data.signIn.token, ADMIN_TOKEN]) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice(0, 24));
    }
  });
});

describe("production mode", OWN_SERVER, () => {
  it("does not serve GraphiQL", async () => {
    const server = await startInProcessServer({ config: { production: true } });
    try {
      const response = await server.testFetch(server.graphqlUrl, { headers: { accept: "text/html" } });
      expect(await response.text()).not.toContain("GraphiQL");
    } finally {
      await server.close();
    }
  });
});

describe("CORS", OWN_SERVER, () => {
  async function preflight(server: InProcessServer, origin: string) {
    const response = await server.testFetch(server.graphqlUrl, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    return response.headers;
  }

  it("lets any origin's app call /graphql with a bearer token, never with cookies, when SYNCPOOL_CORS_ORIGINS is *", async () => {
    const server = await startInProcessServer({ config: { corsOrigins: ["*"] } });
    try {
      const headers = await preflight(server, "https://notes.example.com");
      // Any origin is allowed: named back (with Vary: Origin) or as "*".
      expect(["*", "https://notes.example.com"]).toContain(headers.get("access-control-allow-origin"));
      expect(headers.get("access-control-allow-credentials")).not.toBe("true");
      expect(headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    } finally {
      await server.close();
    }
  });

  it("names only the configured origins when SYNCPOOL_CORS_ORIGINS lists them", async () => {
    const server = await startInProcessServer({ config: { corsOrigins: ["https://app.example.com"] } });
    try {
      expect((await preflight(server, "https://app.example.com")).get("access-control-allow-origin")).toBe(
        "https://app.example.com",
      );
      expect((await preflight(server, "https://evil.example.net")).get("access-control-allow-origin")).not.toBe(
        "https://evil.example.net",
      );
    } finally {
      await server.close();
    }
  });
});
