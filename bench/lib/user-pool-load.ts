/**
 * The load side of the user-pool scenario: Cognito's JSON 1.1 calls over real HTTP, confirmed
 * users made through SignUp and ConfirmSignUp (the code read from the server's
 * `user-pool-codes.log`, the delivery used without SMTP), and the client half of USER_SRP_AUTH.
 *
 * The SRP client does as little CPU work as Cognito's protocol lets it, so that the rates measure
 * the server: `A = g^a` and `k·g^x` are made once per user, and the one modular power left per
 * sign-in (`S`, which depends on the server's fresh `B`) runs in OpenSSL through a Diffie-Hellman
 * object rather than in JavaScript bigints. `a` is 256 bits, the least RFC 5054 allows; the
 * server's work does not depend on it.
 */
import { createDiffieHellman, createHash, hkdfSync, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { claimSignature, padHex, passwordExponent, SRP_K, SRP_N, srpTimestamp } from "../../server/user-pool/srp.js";

/** The pool and app client every bench server serves by default. */
export const BENCH_USER_POOL = { poolId: "local_default", clientId: "default", srpPoolName: "default" } as const;

const PRIME = Buffer.from(SRP_N.toString(16), "hex");

const toBuffer = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, "0"), "hex");

/** `base^exponent mod N` in OpenSSL: a Diffie-Hellman secret with `exponent` as the private key. */
function powModN(base: bigint, exponent: bigint): bigint {
  const dh = createDiffieHellman(PRIME, Buffer.from([2]));
  dh.setPrivateKey(toBuffer(exponent));
  return BigInt(`0x${dh.computeSecret(toBuffer(base)).toString("hex")}`);
}

/** A refused call: the exception's name, as Cognito sends it in `__type`. */
export class UserPoolCallError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`${type}: ${message}`);
  }
}

/** One call of the user-pool API at `origin`; throws UserPoolCallError for an HTTP 400. */
export async function callUserPool(origin: string, operation: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(`${origin}/aws/cognito-idp`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  if (response.status !== 200) throw new UserPoolCallError(String(json["__type"] ?? response.status), String(json["message"] ?? ""));
  return json;
}

/** A confirmed user, with the client-side SRP values made once. */
export interface BenchUser {
  username: string;
  password: string;
  /** The client's ephemeral secret `a` and public `A`. */
  a: bigint;
  A: bigint;
  /** `x` and `k·g^x mod N`, once the first challenge has told the salt. */
  srp?: { saltHex: string; x: bigint; kv: bigint };
}

/** Creates `count` confirmed users, `parallel` sign-ups at a time. */
export async function createConfirmedUsers(origin: string, dataDir: string, count: number, parallel = 4): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const username = `bench-user-${index}`;
      const password = `Bench-password-${index}!`;
      await callUserPool(origin, "SignUp", { ClientId: BENCH_USER_POOL.clientId, Username: username, Password: password, UserAttributes: [{ Name: "email", Value: `${username}@example.com` }] });
      await callUserPool(origin, "ConfirmSignUp", { ClientId: BENCH_USER_POOL.clientId, Username: username, ConfirmationCode: await signUpCode(dataDir, username) });
      const a = BigInt(`0x${randomBytes(32).toString("hex")}`);
      users.push({ username, password, a, A: powModN(2n, a) });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return users;
}

async function signUpCode(dataDir: string, username: string): Promise<string> {
  const text = await readFile(join(dataDir, "user-pool-codes.log"), "utf8");
  const lines = text.trim().split("\n").map((line) => JSON.parse(line) as { username: string; purpose: string; code: string });
  const code = lines.filter((line) => line.username === username && line.purpose === "SIGN_UP").at(-1)?.code;
  if (code === undefined) throw new Error(`no sign-up code was written for ${username}`);
  return code;
}

/** One USER_PASSWORD_AUTH sign-in; its refresh token. */
export async function passwordSignIn(origin: string, user: BenchUser): Promise<string> {
  const answer = await callUserPool(origin, "InitiateAuth", { ClientId: BENCH_USER_POOL.clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: user.username, PASSWORD: user.password } });
  return tokensOf(answer).RefreshToken!;
}

/** One USER_SRP_AUTH sign-in: InitiateAuth, the client's proof, RespondToAuthChallenge. */
export async function srpSignIn(origin: string, user: BenchUser): Promise<void> {
  const { clientId, srpPoolName } = BENCH_USER_POOL;
  const started = await callUserPool(origin, "InitiateAuth", { ClientId: clientId, AuthFlow: "USER_SRP_AUTH", AuthParameters: { USERNAME: user.username, SRP_A: user.A.toString(16) } });
  const parameters = started["ChallengeParameters"] as Record<string, string>;
  const userId = parameters["USER_ID_FOR_SRP"]!;
  const saltHex = parameters["SALT"]!;
  if (user.srp?.saltHex !== saltHex) {
    const x = passwordExponent(srpPoolName, userId, user.password, saltHex);
    user.srp = { saltHex, x, kv: (SRP_K * powModN(2n, x)) % SRP_N };
  }
  const B = BigInt(`0x${parameters["SRP_B"]}`);
  const u = BigInt(`0x${createHash("sha256").update(Buffer.from(padHex(user.A) + padHex(B), "hex")).digest("hex")}`);
  const S = powModN((B - user.srp.kv + SRP_N) % SRP_N, user.a + u * user.srp.x);
  const key = Buffer.from(hkdfSync("sha256", Buffer.from(padHex(S), "hex"), Buffer.from(padHex(u), "hex"), "Caldera Derived Key", 16));
  const timestamp = srpTimestamp(new Date());
  const secretBlock = parameters["SECRET_BLOCK"]!;
  const answer = await callUserPool(origin, "RespondToAuthChallenge", {
    ClientId: clientId,
    ChallengeName: "PASSWORD_VERIFIER",
    ChallengeResponses: {
      USERNAME: userId,
      PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: claimSignature(key, srpPoolName, userId, Buffer.from(secretBlock, "base64"), timestamp),
    },
  });
  tokensOf(answer);
}

/** One GetTokensFromRefreshToken (Amplify's refresh); the rotated refresh token. */
export async function refreshTokens(origin: string, refreshToken: string): Promise<string> {
  const answer = await callUserPool(origin, "GetTokensFromRefreshToken", { ClientId: BENCH_USER_POOL.clientId, RefreshToken: refreshToken });
  return tokensOf(answer).RefreshToken ?? refreshToken;
}

function tokensOf(answer: Record<string, any>): { IdToken: string; AccessToken: string; RefreshToken?: string } {
  const result = answer["AuthenticationResult"] as { IdToken?: string; AccessToken?: string; RefreshToken?: string } | undefined;
  if (!result?.IdToken || !result.AccessToken) throw new Error(`expected tokens, got ${JSON.stringify(answer).slice(0, 200)}`);
  return result as { IdToken: string; AccessToken: string; RefreshToken?: string };
}
