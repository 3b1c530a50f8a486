/**
 * Security: malformed, unauthenticated requests to the AWS endpoints are the caller's mistake, not
 * the server's. Each is answered with the 4xx error AWS's service would send (never 500) and is
 * logged at debug, not error: a stranger must not be able to fill the error log or trip alerts
 * with junk (bodies that are not JSON, JSON that is not an object, missing or unknown targets,
 * fields of the wrong type, strings far over every limit).
 * Binds a port: malformed requests are written as raw bytes on a TCP socket.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const POOL = "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const IDENTITY_ID = "us-east-1:00000000-0000-4000-8000-000000000000";
const HUGE = "x".repeat(1_500_000);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ captureLogs: true, config: { pools: [poolSettingsSchema.parse({ id: POOL, region: "us-east-1" })] } });
});
afterAll(async () => {
  await server.close();
});

interface Malformed {
  name: string;
  service: "cognito-identity" | "kinesis" | "cognito-sync";
  target?: string;
  body?: string;
  method?: string;
  path?: string;
  expected: string[];
}

const identity = (operation: string, body: unknown): Omit<Malformed, "name" | "expected"> => ({
  service: "cognito-identity",
  target: `AWSCognitoIdentityService.${operation}`,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const VALIDATION = ["InvalidParameterException", "ValidationException", "SerializationException"];

const CASES: Malformed[] = [
  { name: "a body that is not JSON", ...identity("GetId", "{not json"), expected: ["SerializationException"] },
  { name: "a JSON array", ...identity("GetId", "[1,2,3]"), expected: ["SerializationException"] },
  { name: "a JSON number", ...identity("GetId", "42"), expected: ["SerializationException"] },
  { name: "JSON null", ...identity("GetId", "null"), expected: ["SerializationException"] },
  { name: "invalid UTF-8", ...identity("GetId", "\uFFFD"), body: undefined, expected: VALIDATION },
  { name: "no X-Amz-Target", service: "cognito-identity", body: "{}", expected: ["UnknownOperationException"] },
  { name: "an unknown target", ...identity("DropAllTables", {}), expected: ["UnknownOperationException"] },
  { name: "a target of another service", service: "cognito-identity", target: "Kinesis_20131202.ListStreams", body: "{}", expected: ["UnknownOperationException"] },
  { name: "a target naming an Object prototype member", ...identity("constructor", {}), expected: ["UnknownOperationException", "MissingAuthenticationTokenException"] },
  { name: "a pool id that is a number", ...identity("GetId", { IdentityPoolId: 7 }), expected: VALIDATION },
  { name: "a pool id that is an object", ...identity("GetId", { IdentityPoolId: { $ne: null } }), expected: VALIDATION },
  { name: "a huge pool id", ...identity("GetId", { IdentityPoolId: HUGE }), expected: VALIDATION },
  { name: "Logins that is a list", ...identity("GetId", { IdentityPoolId: POOL, Logins: ["a"] }), expected: VALIDATION },
  { name: "Logins that is a string", ...identity("GetId", { IdentityPoolId: POOL, Logins: "token" }), expected: VALIDATION },
  { name: "a login token that is a number", ...identity("GetId", { IdentityPoolId: POOL, Logins: { "accounts.google.com": 5 } }), expected: VALIDATION },
  { name: "a huge login token", ...identity("GetId", { IdentityPoolId: POOL, Logins: { "cognito-identity.amazonaws.com": HUGE } }), expected: [...VALIDATION, "NotAuthorizedException"] },
  { name: "a login token that is not a JWT", ...identity("GetId", { IdentityPoolId: POOL, Logins: { "cognito-identity.amazonaws.com": "a.b.c" } }), expected: ["NotAuthorizedException"] },
  { name: "a login key that is a huge string", ...identity("GetId", { IdentityPoolId: POOL, Logins: { [HUGE]: "t" } }), expected: [...VALIDATION, "NotAuthorizedException"] },
  { name: "a guest secret that is huge", ...identity("GetId", { IdentityPoolId: POOL, Logins: { "syncpool.guest": HUGE } }), expected: VALIDATION },
  { name: "an identity id that is a list", ...identity("GetCredentialsForIdentity", { IdentityId: [IDENTITY_ID] }), expected: VALIDATION },
  { name: "an identity id that is huge", ...identity("GetOpenIdToken", { IdentityId: HUGE }), expected: VALIDATION },
  { name: "an identity id that is not an id", ...identity("GetCredentialsForIdentity", { IdentityId: "'; DROP TABLE identities; --" }), expected: [...VALIDATION, "ResourceNotFoundException"] },
  { name: "LoginsToRemove that is a string", ...identity("UnlinkIdentity", { IdentityId: IDENTITY_ID, Logins: {}, LoginsToRemove: "x" }), expected: [...VALIDATION, "ResourceNotFoundException"] },
  { name: "a GET to a JSON service", service: "cognito-identity", method: "GET", expected: ["UnknownOperationException"] },
  { name: "Kinesis without a signature and with junk", service: "kinesis", target: "Kinesis_20131202.GetRecords", body: "[[[", expected: ["SerializationException", "MissingAuthenticationTokenException"] },
  { name: "Kinesis without a target", service: "kinesis", body: "{}", expected: ["UnknownOperationException"] },
  { name: "Cognito Sync without a signature", service: "cognito-sync", method: "GET", path: "/identitypools/x/identities/y/datasets", expected: ["MissingAuthenticationTokenException"] },
  { name: "Cognito Sync with bad percent-encoding", service: "cognito-sync", method: "GET", path: "/identitypools/%E0%A4%A/identities", expected: VALIDATION },
  { name: "Cognito Sync with a garbage Authorization", service: "cognito-sync", method: "POST", path: "/identitypools/x/identities/y/datasets/d", body: "{", expected: ["IncompleteSignatureException"] },
];

async function send(malformed: Malformed, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-amz-json-1.1", ...extraHeaders };
  if (malformed.target !== undefined) headers["x-amz-target"] = malformed.target;
  const method = malformed.method ?? "POST";
  const body = malformed.name === "invalid UTF-8" ? new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) : malformed.body;
  return fetch(`${server.url}/aws/${malformed.service}${malformed.path ?? ""}`, { method, headers, ...(method === "GET" ? {} : { body: body ?? "" }) });
}

describe("malformed requests to the AWS endpoints", () => {
  it.each(CASES)("answers $name with a 4xx AWS error, never 500", async (malformed) => {
    const headers: Record<string, string> = malformed.name.includes("garbage Authorization") ? { authorization: "AWS4-HMAC-SHA256 nonsense" } : {};
    const response = await send(malformed, headers);
    const type = response.headers.get("x-amzn-errortype");
    expect(response.status, `${malformed.name}: ${type}`).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(malformed.expected).toContain(type);
    const body = (await response.json()) as { message?: string };
    expect(typeof body.message).toBe("string");
  });

  it.each(["exa mple", "[::1", "host:99999", "user@host", "%zz"])("answers a malformed Host header %j as the service, never 500", async (host) => {
    const answer = await rawRequest(
      `POST /aws/cognito-identity HTTP/1.1\r\nHost: ${host}\r\nX-Amz-Target: AWSCognitoIdentityService.GetId\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/x-amzn-errortype: InvalidParameterException/i);
  });

  it("logs a client that hangs up mid-body at debug, not error", async () => {
    const before = server.logText().length;
    await new Promise<void>((resolve) => {
      const socket = connect(server.running.port, "127.0.0.1", () => {
        socket.write("POST /aws/cognito-identity HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityService.GetId\r\nContent-Length: 100\r\n\r\n{");
        // Headers and 1 of the 100 promised bytes, then the end of the connection.
        socket.end(() => resolve());
      });
    });
    await vi.waitFor(() => expect(server.logText().slice(before)).toContain("the client went away"));
    const levels = awsLines(server.logText().slice(before)).map((line) => line.level);
    expect(levels.filter((level) => level >= 40)).toEqual([]);
  });

  it("logs none of them at error level, and each at debug", async () => {
    const before = server.logText().length;
    for (const malformed of CASES) await send(malformed);
    const lines = awsLines(server.logText().slice(before));
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(lines.filter((line) => line.level === 20).length).toBeGreaterThanOrEqual(CASES.length);
  });
});

/** The log lines of the AWS endpoints and of the HTTP layer in front of them. */
function awsLines(text: string): Array<{ level: number; msg: string }> {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { level: number; msg: string; component?: string })
    .filter((line) => line.component === "aws" || line.component === undefined);
}

/** Sends raw HTTP (fetch refuses a malformed Host) and returns the answer's text. */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.running.port, "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}
