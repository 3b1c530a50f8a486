/**
 * USER_SRP_AUTH: InitiateAuth answers PASSWORD_VERIFIER with the salt, `B` and a sealed
 * SECRET_BLOCK holding the server's ephemeral secret (so no state is kept between the two calls),
 * and RespondToAuthChallenge checks the client's PASSWORD_CLAIM_SIGNATURE (`srp.ts`). A block is
 * good for one answer within `CHALLENGE_SESSION_MS`, whichever instance receives it
 * (`answered-sessions.ts`), and the TIMESTAMP must be within five minutes of the server's clock.
 * A username that does not exist gets a challenge that looks the same (a salt derived from the
 * name) and fails at the answer: sign-in does not tell who exists.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, wrongCredentials } from "./user-pool-errors.js";
import { openVerifier } from "./credentials.js";
import { openSession, sealSession } from "./sealed-session.js";
import { completeSignIn, CHALLENGE_SESSION_MS, type SignInAnswer } from "./sign-in-session.js";
import { claimSignature, modPow, parseSrpTimestamp, serverEphemeral, serverSessionKey, SRP_G, SRP_N } from "./srp.js";
import { findUser } from "./user-pool-input.js";
import { checkLockout, countFailedSignIn } from "./lockout.js";
import { preAuthentication } from "./triggers/auth-triggers.js";
import { answerOnce } from "./answered-sessions.js";

/** How far a claim's TIMESTAMP may be from the server's clock. */
export const MAX_TIMESTAMP_SKEW_MS = 5 * 60_000;
const SRP_BLOCK = "user-pool:srp-secret-block";

interface SecretBlock extends Record<string, unknown> {
  p: string;
  c: string;
  u: string;
  a: string;
  b: string;
  /** True for a user who does not exist: the answer always fails. */
  f: boolean;
}

/** InitiateAuth USER_SRP_AUTH. */
export async function startSrp(deps: UserPoolDeps, loaded: LoadedClient, name: string, srpA: string): Promise<SignInAnswer> {
  if (!/^[0-9a-fA-F]{1,1536}$/.test(srpA)) throw new UserPoolError("InvalidParameterException", "SRP_A is not a hex number.");
  const A = BigInt(`0x${srpA}`);
  if (A % SRP_N === 0n) throw new UserPoolError("NotAuthorizedException", "Incorrect username or password.");
  const user = await findUser(deps, loaded.pool, name);
  // An imported user whose password is known only as a foreign hash has no verifier until a password sign-in makes one.
  if (user !== null && user.srpVerifier === "") throw new UserPoolError("PasswordResetRequiredException", "Password reset required for the user");
  if (user !== null) await preAuthentication(deps, loaded, user, undefined);
  const username = user?.username ?? name;
  const saltHex = user?.srpSalt ?? createHmac("sha256", deps.hashKey).update(`fake-salt:${loaded.pool.settings.id}:${name}`).digest("hex").slice(0, 32);
  // An unknown user gets a verifier no password matches (a random power of g), so B looks like any other.
  const verifier = user ? openVerifier(deps, user) : modPow(SRP_G, serverEphemeral(1n).b, SRP_N);
  const { b, B } = serverEphemeral(verifier);
  const block: SecretBlock = { p: loaded.pool.settings.id, c: loaded.client.id, u: username, a: A.toString(16), b: b.toString(16), f: user === null };
  const secretBlock = sealSession(deps.sessionKey, SRP_BLOCK, { ...block, B: B.toString(16) }, deps.now() + CHALLENGE_SESSION_MS);
  return {
    ChallengeName: "PASSWORD_VERIFIER",
    ChallengeParameters: { SALT: saltHex, SRP_B: B.toString(16), SECRET_BLOCK: secretBlock, USER_ID_FOR_SRP: username, USERNAME: username },
  };
}

/** RespondToAuthChallenge PASSWORD_VERIFIER. */
export async function answerSrp(deps: UserPoolDeps, loaded: LoadedClient, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const field = (name: string) => {
    const value = responses[name];
    if (typeof value !== "string" || value.length === 0) throw new UserPoolError("InvalidParameterException", `Missing required parameter ${name}`);
    return value;
  };
  const secretBlockText = field("PASSWORD_CLAIM_SECRET_BLOCK");
  const signature = field("PASSWORD_CLAIM_SIGNATURE");
  const timestamp = field("TIMESTAMP");
  const now = deps.now();
  const block = openSession<SecretBlock & { B: string }>(deps.sessionKey, SRP_BLOCK, secretBlockText, now);
  if (block === null || block.c !== loaded.client.id || block.p !== loaded.pool.settings.id) throw wrongCredentials();
  const claimedAt = parseSrpTimestamp(timestamp);
  if (claimedAt === null || Math.abs(claimedAt - now) > MAX_TIMESTAMP_SKEW_MS) throw wrongCredentials();
  // Before the password is checked: a replayed block, here or at another instance, is refused.
  if (!(await answerOnce(deps, block.p, secretBlockText, block.exp))) throw wrongCredentials();
  if (block.f) throw wrongCredentials();
  const user = await deps.store.getUser(block.p, block.u);
  if (user === null) throw wrongCredentials();
  const failures = await checkLockout(deps, user);
  const key = serverSessionKey(BigInt(`0x${block.a}`), BigInt(`0x${block.B}`), BigInt(`0x${block.b}`), openVerifier(deps, user));
  const expected = key === null ? null : Buffer.from(claimSignature(key, loaded.pool.srpPoolName, user.username, Buffer.from(secretBlockText, "base64"), timestamp), "base64");
  const given = Buffer.from(signature, "base64");
  if (expected === null || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    await countFailedSignIn(deps, user);
    throw wrongCredentials();
  }
  return completeSignIn(deps, loaded, user, failures);
}

