/**
 * The server listening with TLS (SYNCPOOL_TLS_CERT_FILE + SYNCPOOL_TLS_KEY_FILE): on port 0 with a
 * certificate made for the test, GraphQL answers over https and the WebSocket routes over wss
 * (`/graphql`'s graphql-ws and the model API's realtime path), to clients that trust the
 * certificate; a plain-HTTP request on the port is reset, unanswered. Incomplete or mismatched
 * certificate settings stop start-up with an error naming the variable.
 *
 * Needs a socket: TLS is the point.
 */
import { request } from "node:https";
import { request as plainRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, loadConfig, poolSettingsSchema } from "../../server/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { makeTlsCert, type TlsCert } from "../helpers/tls-cert.js";

/** POSTs a GraphQL request over https, trusting `ca`. */
function postGraphql(url: string, ca: string, query: string, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
    const outgoing = request(url, { method: "POST", ca, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    outgoing.on("error", reject);
    outgoing.end(JSON.stringify({ query }));
  });
}

/** Opens a WebSocket trusting `ca`, sends `first`, and resolves with the first message answered (or how the socket ended). */
function firstAnswer(url: string, protocol: string, ca: string, first: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocol, { ca });
    socket.once("open", () => socket.send(JSON.stringify(first)));
    socket.once("message", (data) => {
      resolve(JSON.parse(String(data)));
      socket.close();
    });
    socket.once("unexpected-response", (_request, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
    socket.once("error", reject);
  });
}

describe("a server listening with TLS", () => {
  let tls: TlsCert;
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    tls = makeTlsCert();
    const { tls: tlsConfig } = loadConfig({ SYNCPOOL_TLS_CERT_FILE: tls.certFile, SYNCPOOL_TLS_KEY_FILE: tls.keyFile });
    server = await startTestServer({
      config: { tls: tlsConfig, pools: [poolSettingsSchema.parse({ id: "app", models: { schema: "type Todo @model @auth(rules: [{ allow: owner }]) { id: ID! title: String! }" } })] },
    });
    // The helper's own requests use global fetch, which does not trust the test's certificate: sign in over https here.
    const signIn = await postGraphql(`${server.running.url}/graphql`, tls.cert, `mutation { signIn(input: { identityPoolId: "app" }) { token } }`);
    token = signIn.body.data.signIn.token;
  });

  afterAll(async () => {
    await server?.close();
  });

  it("reports an https URL", () => {
    expect(server.running.url).toBe(`https://127.0.0.1:${server.running.port}`);
  });

  it("answers GraphQL over https", async () => {
    const answer = await postGraphql(`${server.running.url}/graphql`, tls.cert, "{ datasets { name } }", token);
    expect(answer).toEqual({ status: 200, body: { data: { datasets: [] } } });
  });

  it("acknowledges a graphql-ws connection over wss on /graphql", async () => {
    const url = `${server.running.url.replace(/^https/, "wss")}/graphql`;
    expect(await firstAnswer(url, "graphql-transport-ws", tls.cert, { type: "connection_init", payload: { authorization: `Bearer ${token}` } })).toMatchObject({ type: "connection_ack" });
  });

  it("acknowledges the model API's realtime connection over wss", async () => {
    const host = new URL(server.running.url).host;
    const header = Buffer.from(JSON.stringify({ host, Authorization: token })).toString("base64");
    const url = `${server.running.url.replace(/^https/, "wss")}/appsync/app/graphql/realtime?header=${encodeURIComponent(header)}&payload=e30=`;
    expect(await firstAnswer(url, "graphql-ws", tls.cert, { type: "connection_init" })).toMatchObject({ type: "connection_ack" });
  });

  it("answers no plain HTTP on the TLS port: the connection is reset", async () => {
    const outcome = await new Promise<string>((resolve) => {
      const outgoing = plainRequest(`${server.running.url.replace(/^https/, "http")}/graphql`, (answer) => resolve(`answered ${answer.statusCode}`));
      outgoing.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      outgoing.end();
    });
    expect(outcome).toBe("ECONNRESET");
  });

  it("refuses a client that does not trust the certificate", async () => {
    await expect(postGraphql(`${server.running.url}/graphql`, "", "{ datasets { name } }", token)).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});

describe("TLS settings", () => {
  it("needs both the certificate and the key", () => {
    const tls = makeTlsCert();
    expect(() => loadConfig({ SYNCPOOL_TLS_CERT_FILE: tls.certFile })).toThrow(new ConfigError("environment variable SYNCPOOL_TLS_KEY_FILE: required with SYNCPOOL_TLS_CERT_FILE (the certificate's private key)"));
    expect(() => loadConfig({ SYNCPOOL_TLS_KEY_FILE: tls.keyFile })).toThrow(/SYNCPOOL_TLS_CERT_FILE: required with SYNCPOOL_TLS_KEY_FILE/);
  });

  it("refuses a key that is not the certificate's, and a file that cannot be read", () => {
    const [one, other] = [makeTlsCert(), makeTlsCert()];
    expect(() => loadConfig({ SYNCPOOL_TLS_CERT_FILE: one.certFile, SYNCPOOL_TLS_KEY_FILE: other.keyFile })).toThrow(ConfigError);
    expect(() => loadConfig({ SYNCPOOL_TLS_CERT_FILE: one.certFile, SYNCPOOL_TLS_KEY_FILE: `${one.keyFile}.missing` })).toThrow(/SYNCPOOL_TLS_KEY_FILE: cannot read .*ENOENT/);
  });

  it("makes the user pools' default public URL https, so token issuers and hosted-UI links name the scheme clients use", () => {
    const tls = makeTlsCert();
    expect(loadConfig({ PORT: "4443", SYNCPOOL_TLS_CERT_FILE: tls.certFile, SYNCPOOL_TLS_KEY_FILE: tls.keyFile }).userPools.publicUrl).toBe("https://localhost:4443");
    expect(loadConfig({ PORT: "4000" }).userPools.publicUrl).toBe("http://localhost:4000");
  });
});
