/**
 * The WEB_AUTHN challenge of a USER_AUTH sign-in (`user-auth.ts`): the server answers
 * CREDENTIAL_REQUEST_OPTIONS (the user's passkeys and a fresh challenge) with a sealed Session, and
 * the client answers CREDENTIAL, an AuthenticationResponseJSON that @simplewebauthn/server checks
 * against the stored public key. A passkey is a whole sign-in: no MFA step follows, as in Cognito.
 *
 * Each challenge is single use: one row per user (a code of purpose SIGN_IN_WEBAUTHN holding the
 * challenge, hashed) is deleted by the first answer in the transaction that records its Session as
 * answered (`answered-sessions.ts`), so a replayed Session, on any instance, is refused as used once
 * whatever the first answer's outcome; a newer sign-in replaces the older challenge, which is then
 * refused as expired. The signature counter must grow (an authenticator that
 * keeps none sends 0 each time), and is advanced with a compare-and-set so two answers racing with
 * one counter value cannot both pass. A username that does not exist gets a challenge that looks
 * like one of a user without passkeys and fails at the answer.
 *
 * A passkey is a credential like a password, so it obeys the same lockout (`lockout.ts`): a locked-out
 * user's assertion is refused with "Password attempts exceeded", a failed assertion (unknown or
 * another user's credential, bad signature, counter not grown) counts as a failed sign-in, and a
 * passkey sign-in clears the count.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { endAnsweredSession, staleSessionError } from "./answered-sessions.js";
import { requiredString, type Body } from "./user-pool-input.js";
import { openSession, sealSession } from "./sealed-session.js";
import { CHALLENGE_SESSION_MS, completeSignIn, type SignInAnswer } from "./sign-in-session.js";
import { preAuthentication } from "./triggers/auth-triggers.js";
import { checkLockout, countFailedSignIn } from "./lockout.js";
import { webauthnHelpers, webauthnLibrary } from "./webauthn-library.js";
import { MAX_WEBAUTHN_CREDENTIALS } from "./webauthn-registration.js";
import { checkClientData, checkRelyingPartyHash, readCeremonyResponse, relyingPartyOf, WEBAUTHN_TIMEOUT_MS, type CeremonyResponse, type RelyingParty } from "./webauthn-relying-party.js";

const WEB_AUTHN_SESSION = "user-pool:web-authn";
const CHALLENGE_PURPOSE = "SIGN_IN_WEBAUTHN";

interface WebAuthnSession extends Record<string, unknown> {
  p: string;
  c: string;
  /** The user's sub; empty for a username that does not exist. */
  s: string;
  u: string;
  /** The challenge, base64url. */
  ch: string;
}

const challengeHash = (deps: UserPoolDeps, challenge: string) => createHmac("sha256", deps.hashKey).update(`webauthn-sign-in:${challenge}`).digest("hex");
const refused = () => new UserPoolError("NotAuthorizedException", "Incorrect username or passkey.");
const expired = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

/** The WEB_AUTHN challenge for `user` (null: a username that does not exist, answered alike). */
export async function startWebAuthnSignIn(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes | null, name: string, clientMetadata?: unknown): Promise<SignInAnswer> {
  const pool = loaded.pool;
  // The pool's pre authentication trigger may refuse the user before any challenge, as for a password.
  if (user !== null) await preAuthentication(deps, loaded, user, clientMetadata);
  const party = relyingPartyOf(pool);
  const now = deps.now();
  const challenge = randomBytes(32).toString("base64url");
  const credentials = user === null ? [] : (await deps.store.listWebAuthnCredentials(pool.settings.id, user.sub, null, MAX_WEBAUTHN_CREDENTIALS)).items;
  if (user !== null) {
    await deps.store.saveCode({ poolId: pool.settings.id, sub: user.sub, purpose: CHALLENGE_PURPOSE, codeHash: challengeHash(deps, challenge), attempts: 0, expiresAt: now + CHALLENGE_SESSION_MS, createdAt: now });
  }
  const { generateAuthenticationOptions } = await webauthnLibrary();
  const options = await generateAuthenticationOptions({
    rpID: party.id,
    challenge: Buffer.from(challenge, "base64url"),
    timeout: WEBAUTHN_TIMEOUT_MS,
    userVerification: party.userVerification,
    allowCredentials: credentials.map((credential) => ({ id: credential.credentialId, transports: credential.transports as never })),
  });
  const username = user?.username ?? name;
  const session: WebAuthnSession = { p: pool.settings.id, c: loaded.client.id, s: user?.sub ?? "", u: username, ch: challenge };
  return {
    ChallengeName: "WEB_AUTHN",
    Session: sealSession(deps.sessionKey, WEB_AUTHN_SESSION, session, now + CHALLENGE_SESSION_MS),
    ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: JSON.stringify(options), USERNAME: username },
  };
}

/**
 * RespondToAuthChallenge WEB_AUTHN.
 * @throws NotAuthorizedException (session expired or answered before, unknown credential, bad signature,
 *   counter not grown), WebAuthnOriginNotAllowedException, WebAuthnRelyingPartyMismatchException
 */
export async function answerWebAuthn(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const sealed = requiredString(body, "Session", 2048);
  const session = openSession<WebAuthnSession>(deps.sessionKey, WEB_AUTHN_SESSION, sealed, deps.now());
  if (session === null || session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expired();
  if (responses["CREDENTIAL"] === undefined) throw new UserPoolError("InvalidParameterException", "Missing required parameter CREDENTIAL");
  const credential = readCeremonyResponse(responses["CREDENTIAL"], ["clientDataJSON", "authenticatorData", "signature"], "CREDENTIAL");
  const party = relyingPartyOf(loaded.pool);
  const clientData = await checkClientData(credential, "webauthn.get", party);
  await checkRelyingPartyHash(credential, party, false);
  if (clientData.challenge !== session.ch || session.s === "") throw refused();
  // Single use, whatever the outcome: the row must still hold this challenge, and only one answer deletes it.
  const pending = await deps.store.getCode(session.p, session.s, CHALLENGE_PURPOSE);
  const expected = Buffer.from(challengeHash(deps, session.ch), "hex");
  if (pending === null || pending.expiresAt <= deps.now() || !timingSafeEqual(expected, Buffer.from(pending.codeHash, "hex"))) throw await staleSessionError(deps, session.p, sealed);
  await endAnsweredSession(deps, session.p, session.s, CHALLENGE_PURPOSE, sealed, session.exp);

  const user = await deps.store.getUserBySub(session.p, session.s);
  if (user === null) throw refused();
  const failures = await checkLockout(deps, user);
  if (!(await verifyAssertion(deps, session, credential, party, clientData.origin))) {
    await countFailedSignIn(deps, user);
    throw refused();
  }
  return completeSignIn(deps, loaded, user, failures, { skipMfa: true });
}

/**
 * Checks the assertion against the user's stored passkey and advances its counter; false when it
 * fails (an unknown or another user's credential, a user handle naming someone else, a bad
 * signature, a counter that did not grow).
 */
async function verifyAssertion(
  deps: UserPoolDeps,
  session: WebAuthnSession,
  credential: CeremonyResponse,
  party: RelyingParty,
  origin: string,
): Promise<boolean> {
  const stored = await deps.store.getWebAuthnCredential(session.p, credential.id);
  if (stored === null || stored.sub !== session.s) return false;
  const userHandle = credential.response["userHandle"];
  const { isoBase64URL } = await webauthnHelpers();
  if (userHandle !== undefined && userHandle !== null && userHandle !== "" && (typeof userHandle !== "string" || !isoBase64URL.isBase64URL(userHandle) || isoBase64URL.toUTF8String(userHandle) !== session.s)) return false;
  let newCounter: number;
  try {
    const { verifyAuthenticationResponse } = await webauthnLibrary();
    const verified = await verifyAuthenticationResponse({
      response: credential as unknown as AuthenticationResponseJSON,
      expectedChallenge: session.ch,
      expectedOrigin: origin,
      expectedRPID: party.id,
      credential: { id: stored.credentialId, publicKey: isoBase64URL.toBuffer(stored.publicKey), counter: stored.signCount, transports: stored.transports as never },
      requireUserVerification: party.userVerification === "required",
    });
    if (!verified.verified) return false;
    newCounter = verified.authenticationInfo.newCounter;
  } catch (error) {
    deps.logger.debug({ err: error }, "passkey sign-in refused");
    return false;
  }
  return deps.store.useWebAuthnCredential(session.p, stored.credentialId, stored.signCount, newCounter, deps.now());
}
