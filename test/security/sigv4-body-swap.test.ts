/**
 * Security: a SigV4 signature covers the body. An attacker who captured one signed developer
 * request (GetOpenIdTokenForDeveloperIdentity for user "alice") must not replay it with another
 * body of the same length (user "bobby") and get a token for someone else, even when the request
 * carries an `x-amz-content-sha256` header that the signature covers: the server hashes the body
 * it received and refuses a header that disagrees, and refuses the unsigned payload forms
 * (`UNSIGNED-PAYLOAD`, `STREAMING-*`) these services never use.
 *
 * The requests are signed by the real SDK client (its own signer); a middleware adds the header
 * before signing, as a client that sends it would, and a wrapping handler captures what was sent.
 * Binds a port: the AWS SDK client signs and sends its own HTTP requests to an endpoint URL.
 */
import { createHash } from "node:crypto";
import { CognitoIdentityClient, GetOpenIdTokenForDeveloperIdentityCommand, LookupDeveloperIdentityCommand } from "@aws-sdk/client-cognito-identity";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolSettingsSchema } from "../../server/config.js";
import { AWS_REGION, awsClients, DEVELOPER_CREDENTIALS } from "../helpers/aws-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const POOL_ID = "us-east-1:5b0c7e2a-1d3f-4a6b-9c8d-7e6f5a4b3c2d";
const DEVELOPER_PROVIDER = "login.example.com";

let server: TestServer;

beforeAll(async () => {
  const pool = poolSettingsSchema.parse({
    id: POOL_ID,
    region: AWS_REGION,
    developerCredentials: DEVELOPER_CREDENTIALS,
    developerProvider: { name: DEVELOPER_PROVIDER, key: "k".repeat(40) },
  });
  server = await startTestServer({ config: { pools: [pool] } });
});
afterAll(async () => {
  await server.close();
});

interface Captured {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs and sends a GetOpenIdTokenForDeveloperIdentity for `userId` with the SDK, with
 * `x-amz-content-sha256` set to `claim(body)` before signing; returns the request as sent.
 */
async function captureSigned(userId: string, claim: (body: string) => string): Promise<Captured> {
  const inner = new NodeHttpHandler();
  let captured: Captured | undefined;
  const client = new CognitoIdentityClient({
    region: AWS_REGION,
    endpoint: `${server.url}/aws/cognito-identity`,
    credentials: { ...DEVELOPER_CREDENTIALS },
    maxAttempts: 1,
    requestHandler: {
      handle: (request: any, options: any) => {
        captured = { path: request.path, headers: { ...request.headers }, body: String(request.body) };
        return inner.handle(request, options);
      },
    } as any,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body: string };
      request.headers["x-amz-content-sha256"] = claim(request.body);
      return next(args);
    },
    { step: "build", name: "addContentSha256" },
  );
  await client.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, Logins: { [DEVELOPER_PROVIDER]: userId } })).catch(() => undefined);
  return captured!;
}

/** Sends `captured` again over plain HTTP, with `body` instead of the one it was signed with. */
async function replay(captured: Captured, body = captured.body): Promise<{ status: number; type: string | null; json: any }> {
  const { "content-length": _length, host: _host, ...headers } = captured.headers;
  const response = await fetch(`${server.url}${captured.path}`, { method: "POST", headers, body });
  return { status: response.status, type: response.headers.get("x-amzn-errortype"), json: await response.json() };
}

const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

async function developerUserExists(userId: string): Promise<boolean> {
  const developer = awsClients(server.url).identityAs(DEVELOPER_CREDENTIALS);
  return developer.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: POOL_ID, DeveloperUserIdentifier: userId })).then(
    () => true,
    (error: { name: string }) => {
      if (error.name === "ResourceNotFoundException") return false;
      throw error;
    },
  );
}

describe("a captured SigV4 request replayed with another body", () => {
  it("is accepted unchanged, with a content hash header that matches its body", async () => {
    const captured = await captureSigned("alice", sha256Hex);
    expect(captured.headers["x-amz-content-sha256"]).toBe(sha256Hex(captured.body));
    const answer = await replay(captured);
    expect(answer.status).toBe(200);
    expect(answer.json.IdentityId).toMatch(/^us-east-1:/);
  });

  it("is refused with InvalidSignatureException when a same-length body names another user", async () => {
    const captured = await captureSigned("alice", sha256Hex);
    const swapped = captured.body.replace('"alice"', '"bobby"');
    expect(swapped).not.toBe(captured.body);
    expect(swapped.length).toBe(captured.body.length);

    const answer = await replay(captured, swapped);

    expect(answer).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    expect(answer.json.Token).toBeUndefined();
    expect(await developerUserExists("bobby")).toBe(false);
  });

  it.each(["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"])(
    "refuses a request signed over the payload claim %s, whatever its body",
    async (claim) => {
      const captured = await captureSigned("carol", () => claim);
      expect(captured.headers["x-amz-content-sha256"]).toBe(claim);

      const answer = await replay(captured, captured.body.replace('"carol"', '"dave!"'));

      expect(answer).toMatchObject({ status: 403, type: "InvalidSignatureException" });
      expect(await developerUserExists("carol")).toBe(false);
      expect(await developerUserExists("dave!")).toBe(false);
    },
  );
});
