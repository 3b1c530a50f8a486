/**
 * A signed-in user's passkeys, as Cognito's access-token operations manage them:
 * StartWebAuthnRegistration answers CredentialCreationOptions, CompleteWebAuthnRegistration checks
 * the browser's RegistrationResponseJSON (@simplewebauthn/server) and stores the credential,
 * ListWebAuthnCredentials pages them and DeleteWebAuthnCredential removes one.
 *
 * The challenge is itself sealed (`sealed-session.ts`): it carries the pool, the user, the app
 * client and a nonce, and expires, so the answer names its own registration. One row per user (a
 * code of purpose WEBAUTHN_REGISTRATION holding the nonce, hashed) makes it single use and lets a
 * newer Start replace an older one.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { RegistrationResponseJSON, VerifiedRegistrationResponse } from "@simplewebauthn/server";
import type { UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString, type Body } from "./user-pool-input.js";
import { openSession, sealSession } from "./sealed-session.js";
import { verifyAccessToken } from "./user-pool-tokens.js";
import { webauthnLibrary } from "./webauthn-library.js";
import { checkClientData, checkRelyingPartyHash, readCeremonyResponse, relyingPartyOf, requireWebAuthnEnabled, WEBAUTHN_TIMEOUT_MS } from "./webauthn-relying-party.js";

/** Cognito's limit of passkeys per user. */
export const MAX_WEBAUTHN_CREDENTIALS = 20;
/** How long a registration challenge can be answered. */
export const REGISTRATION_CHALLENGE_MS = 5 * 60_000;
const REGISTRATION_PURPOSE = "WEBAUTHN_REGISTRATION";
const CHALLENGE_SEAL = "user-pool:webauthn-registration";

interface RegistrationChallenge extends Record<string, unknown> {
  p: string;
  s: string;
  c: string;
  n: string;
}

const nonceHash = (deps: UserPoolDeps, nonce: string) => createHmac("sha256", deps.hashKey).update(`webauthn-registration:${nonce}`).digest("hex");
const challengeGone = () => new UserPoolError("WebAuthnChallengeNotFoundException", "The registration challenge was not found or has expired.");

/** StartWebAuthnRegistration. */
export async function startWebAuthnRegistration(deps: UserPoolDeps, body: Body) {
  const { pool, user, session } = await verifyAccessToken(deps, body["AccessToken"]);
  requireWebAuthnEnabled(pool);
  const party = relyingPartyOf(pool);
  const existing = await deps.store.listWebAuthnCredentials(pool.settings.id, user.sub, null, MAX_WEBAUTHN_CREDENTIALS);
  if (existing.items.length >= MAX_WEBAUTHN_CREDENTIALS) throw new UserPoolError("LimitExceededException", `A user can have at most ${MAX_WEBAUTHN_CREDENTIALS} passkeys.`);
  const now = deps.now();
  const nonce = randomBytes(16).toString("hex");
  await deps.store.saveCode({ poolId: pool.settings.id, sub: user.sub, purpose: REGISTRATION_PURPOSE, codeHash: nonceHash(deps, nonce), attempts: 0, expiresAt: now + REGISTRATION_CHALLENGE_MS, createdAt: now });
  const challenge: RegistrationChallenge = { p: pool.settings.id, s: user.sub, c: session.clientId, n: nonce };
  const { generateRegistrationOptions } = await webauthnLibrary();
  const options = await generateRegistrationOptions({
    rpName: pool.settings.id,
    rpID: party.id,
    userName: user.username,
    userID: new TextEncoder().encode(user.sub),
    userDisplayName: user.attributes["email"] ?? user.username,
    challenge: Buffer.from(sealSession(deps.sessionKey, CHALLENGE_SEAL, challenge, now + REGISTRATION_CHALLENGE_MS), "base64"),
    timeout: WEBAUTHN_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.items.map((credential) => ({ id: credential.credentialId, transports: credential.transports as never })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: party.userVerification },
    extensions: { credProps: true } as never,
  });
  return { CredentialCreationOptions: options };
}

/** CompleteWebAuthnRegistration. */
export async function completeWebAuthnRegistration(deps: UserPoolDeps, body: Body): Promise<Record<string, never>> {
  const { pool, user, session } = await verifyAccessToken(deps, body["AccessToken"]);
  requireWebAuthnEnabled(pool);
  if (body["Credential"] === undefined || body["Credential"] === null) throw new UserPoolError("InvalidParameterException", "Missing required parameter Credential");
  const credential = readCeremonyResponse(body["Credential"], ["clientDataJSON", "attestationObject"], "Credential");
  const party = relyingPartyOf(pool);
  const clientData = await checkClientData(credential, "webauthn.create", party);
  const challenge = openSession<RegistrationChallenge>(deps.sessionKey, CHALLENGE_SEAL, clientData.challenge, deps.now());
  if (challenge === null || challenge.p !== pool.settings.id || challenge.s !== user.sub) throw challengeGone();
  if (challenge.c !== session.clientId) throw new UserPoolError("WebAuthnClientMismatchException", "The registration was started by a different app client.");
  await checkRelyingPartyHash(credential, party, true);
  // Single use, whatever the outcome: the row must still hold this challenge's nonce, and only one answer deletes it.
  const pending = await deps.store.getCode(pool.settings.id, user.sub, REGISTRATION_PURPOSE);
  const expected = Buffer.from(nonceHash(deps, challenge.n), "hex");
  if (pending === null || !timingSafeEqual(expected, Buffer.from(pending.codeHash, "hex"))) throw challengeGone();
  if (!(await deps.store.deleteCode(pool.settings.id, user.sub, REGISTRATION_PURPOSE))) throw challengeGone();

  const { verifyRegistrationResponse } = await webauthnLibrary();
  let verified: VerifiedRegistrationResponse;
  try {
    verified = await verifyRegistrationResponse({
      response: credential as unknown as RegistrationResponseJSON,
      expectedChallenge: clientData.challenge,
      expectedOrigin: clientData.origin,
      expectedRPID: party.id,
      requireUserVerification: party.userVerification === "required",
    });
  } catch (error) {
    deps.logger.debug({ err: error }, "passkey registration refused");
    throw new UserPoolError("WebAuthnCredentialNotSupportedException", "The passkey credential is not supported.");
  }
  if (!verified.verified) throw new UserPoolError("WebAuthnCredentialNotSupportedException", "The passkey credential is not supported.");
  const info = verified.registrationInfo;
  if ((await deps.store.countWebAuthnCredentials(pool.settings.id, user.sub)) >= MAX_WEBAUTHN_CREDENTIALS) {
    throw new UserPoolError("LimitExceededException", `A user can have at most ${MAX_WEBAUTHN_CREDENTIALS} passkeys.`);
  }
  const transports = Array.isArray(credential.response["transports"]) ? (credential.response["transports"] as unknown[]).filter((t): t is string => typeof t === "string" && t.length <= 32).slice(0, 8) : [];
  const stored = await deps.store.addWebAuthnCredential({
    poolId: pool.settings.id,
    credentialId: info.credential.id,
    sub: user.sub,
    publicKey: Buffer.from(info.credential.publicKey).toString("base64url"),
    signCount: info.credential.counter,
    transports,
    friendlyName: friendlyNameOf(credential.authenticatorAttachment, info.credentialDeviceType),
    relyingPartyId: party.id,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    createdAt: deps.now(),
    lastUsedAt: null,
  });
  if (!stored) throw new UserPoolError("WebAuthnCredentialNotSupportedException", "This passkey is already registered.");
  return {};
}

/** ListWebAuthnCredentials: a page of up to MaxResults (1-20, default 20) of the user's passkeys. */
export async function listWebAuthnCredentials(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const maxResults = body["MaxResults"] ?? MAX_WEBAUTHN_CREDENTIALS;
  if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_WEBAUTHN_CREDENTIALS) {
    throw new UserPoolError("InvalidParameterException", `1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_WEBAUTHN_CREDENTIALS}`);
  }
  let after: string | null = null;
  if (body["NextToken"] !== undefined && body["NextToken"] !== null) {
    const token = requiredString(body, "NextToken", 512);
    after = Buffer.from(token, "base64url").toString("utf8");
    if (after.length === 0 || Buffer.from(after, "utf8").toString("base64url") !== token) throw new UserPoolError("InvalidParameterException", "The NextToken is not valid.");
  }
  const page = await deps.store.listWebAuthnCredentials(pool.settings.id, user.sub, after, maxResults);
  return {
    Credentials: page.items.map((credential) => ({
      CredentialId: credential.credentialId,
      FriendlyCredentialName: credential.friendlyName,
      RelyingPartyId: credential.relyingPartyId,
      ...(credential.authenticatorAttachment !== null ? { AuthenticatorAttachment: credential.authenticatorAttachment } : {}),
      AuthenticatorTransports: credential.transports,
      CreatedAt: credential.createdAt / 1000,
    })),
    ...(page.next !== null ? { NextToken: Buffer.from(page.next, "utf8").toString("base64url") } : {}),
  };
}

/** DeleteWebAuthnCredential. */
export async function deleteWebAuthnCredential(deps: UserPoolDeps, body: Body): Promise<Record<string, never>> {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  const credentialId = requiredString(body, "CredentialId", 1024);
  if (!(await deps.store.deleteWebAuthnCredential(pool.settings.id, user.sub, credentialId))) {
    throw new UserPoolError("ResourceNotFoundException", "The passkey was not found.");
  }
  return {};
}

/** A name for the list: the browser tells only where the authenticator is, not what it is. */
function friendlyNameOf(attachment: string | undefined, deviceType: string): string {
  if (attachment === "cross-platform") return "Security key";
  return deviceType === "multiDevice" ? "Synced passkey" : "Passkey";
}
