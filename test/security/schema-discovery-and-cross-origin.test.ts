/**
 * A scanner that finds a syncpool server must not get a console, the schema, or a browser door
 * for other sites' pages by default: `syncpool serve` without `--dev` is the production posture.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";
import { startInProcessServer, type InProcessServer } from "../helpers/server.js";

async function preflight(server: InProcessServer, origin: string): Promise<Headers> {
  const response = await server.testFetch(server.graphqlUrl, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
  });
  return response.headers;
}

describe("a server started without --dev", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => server?.close());

  it("serves no GraphiQL page to a browser", async () => {
    const response = await server.testFetch(server.graphqlUrl, { headers: { accept: "text/html" } });
    expect(await response.text()).not.toContain("GraphiQL");
  });

  it("refuses schema introspection with BAD_USER_INPUT", async () => {
    for (const query of ["{ __schema { types { name } } }", '{ __type(name: "Mutation") { fields { name } } }']) {
      const { data, errors } = await server.gql(query);
      expect(data ?? null).toBeNull();
      expect(errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(errors?.[0]?.message).toMatch(/introspection/i);
    }
  });

  it("still answers __typename, which reveals no schema", async () => {
    expect((await server.gql("{ __typename }")).data).toEqual({ __typename: "Query" });
  });

  it("names no origin to another site's page, so its browser refuses the call", async () => {
    const headers = await preflight(server, "https://evil.example.net");
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("a server started with --dev", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    const dev = loadConfig({}, { dev: true });
    server = await startInProcessServer({ config: { dev: dev.dev, corsOrigins: dev.corsOrigins } });
  });
  afterAll(async () => server?.close());

  it("serves GraphiQL, answers introspection and lets any origin call", async () => {
    const page = await server.testFetch(server.graphqlUrl, { headers: { accept: "text/html" } });
    expect(await page.text()).toContain("GraphiQL");
    expect((await server.gql("{ __schema { queryType { name } } }")).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    expect(["*", "http://localhost:5173"]).toContain((await preflight(server, "http://localhost:5173")).get("access-control-allow-origin"));
  });
});

describe("the --dev flag", () => {
  it("is refused with NODE_ENV=production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" }, { dev: true })).toThrow(ConfigError);
  });

  it("leaves configured origins as they are", () => {
    expect(loadConfig({ SYNCPOOL_CORS_ORIGINS: "https://app.example.com" }, { dev: true }).corsOrigins).toEqual(["https://app.example.com"]);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });
});
