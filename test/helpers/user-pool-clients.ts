/**
 * Helpers for the built-in user pool's tests: the test server's user-pool config (a public URL
 * that names the test server, codes written to the data directory), reading the code mailed to a
 * user from `<data dir>/user-pool-codes.log` (the delivery used without SMTP), and a raw
 * JSON 1.1 call for the table tests of refusals, and the TOTP code an authenticator app would show.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Secret, TOTP } from "otpauth";
import { userPoolSettingsSchema, type UserPoolsConfig, type UserPoolSettingsInput } from "../../server/user-pool/user-pool-config.js";

/** The server's user pools: `local_default` with client `default` unless `pools` says otherwise. */
export function userPoolsConfig(publicUrl: string, pools: UserPoolSettingsInput[] = [{ id: "local_default" }], smtpUrl: string | null = null): UserPoolsConfig {
  return { pools: pools.map((pool) => userPoolSettingsSchema.parse(pool)), publicUrl, smtpUrl, mailFrom: "no-reply@syncpool.test" };
}

/** The newest code written for `username` (and `purpose`, when given), or null. */
export async function codeFromLog(dataDir: string, username: string, purpose?: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(dataDir, "user-pool-codes.log"), "utf8");
  } catch {
    return null;
  }
  const lines = text.trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as { username: string; purpose: string; code: string });
  const match = lines.filter((line) => line.username === username && (purpose === undefined || line.purpose === purpose)).at(-1);
  return match?.code ?? null;
}

/** One call of the user-pool API through `send`: status, `__type`, header and body. */
export async function callUserPool(send: (url: string, init: RequestInit) => Promise<Response>, baseUrl: string, operation: string, body: unknown) {
  const response = await send(`${baseUrl}/aws/cognito-idp`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  return { status: response.status, type: json["__type"] as string | undefined, header: response.headers.get("x-amzn-errortype"), body: json };
}

/** The TOTP code of the base32 `secret` at `timestamp` (epoch ms), as an authenticator app shows it. */
export function totpCode(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp });
}

/**
 * The real `@aws-sdk/client-cognito-identity-provider` client for the server at `baseUrl`, with no
 * retries; with `credentials` (a pool's developer key pair) its calls are SigV4-signed, as the
 * Admin* and group operations require.
 */
export function cognitoClient(baseUrl: string, credentials?: { accessKeyId: string; secretAccessKey: string }): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ region: "local", endpoint: `${baseUrl}/aws/cognito-idp`, requestHandler: new NodeHttpHandler(), maxAttempts: 1, ...(credentials ? { credentials } : {}) });
}
