/**
 * TOTP set-up: AssociateSoftwareToken makes a secret, VerifySoftwareToken checks a code of it and
 * makes it the user's authenticator (SetUserMFAPreference turns it on or off for sign-in), as
 * Cognito's operations do. The first two take an access token, or the Session of an MFA_SETUP
 * challenge (then each answers a new Session, and verifying also enables TOTP as the preferred
 * MFA). A new secret replaces the old authenticator only once a code verifies it. SetUserMFAPreference
 * is `mfa-preference.ts`.
 */
import type { UserPoolTotp, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { countFailedSignIn } from "./lockout.js";
import { countMfaAttempt, MFA_SETUP_SESSION, openMfaSession, sealMfaSession, type MfaSession } from "./mfa-challenge.js";
import { newTotpSecret, openTotpSecret, sealTotpSecret, totpStepOf } from "./totp.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { requiredString, type Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";

interface Caller {
  pool: LoadedUserPool;
  user: UserPoolUserWithAttributes;
  /** The MFA_SETUP session, when the call came with one instead of an access token. */
  session: MfaSession | null;
}

/** Who calls: the access token's user, or the MFA_SETUP session's. */
async function callerOf(deps: UserPoolDeps, body: Body): Promise<Caller> {
  if (body["AccessToken"] !== undefined && body["Session"] !== undefined) throw new UserPoolError("InvalidParameterException", "Only one of AccessToken or Session may be given.");
  let caller: Caller;
  if (body["Session"] !== undefined) {
    const session = await openMfaSession(deps, MFA_SETUP_SESSION, body["Session"]);
    const pool = deps.pools.get(session.p);
    const user = await deps.store.getUserBySub(session.p, session.s);
    if (pool === undefined || user === null) throw new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");
    caller = { pool, user, session };
  } else {
    caller = { ...(await verifyAccessToken(deps, body["AccessToken"])), session: null };
  }
  if (caller.pool.settings.mfaConfiguration === "OFF") throw new UserPoolError("SoftwareTokenMFANotFoundException", "Software Token MFA has not been enabled by the userPool.");
  return caller;
}

const noTotp = (poolId: string, sub: string, now: number): UserPoolTotp => ({
  poolId, sub, secret: null, pendingSecret: null, deviceName: null, enabled: false, preferred: false, lastStep: null, updatedAt: now,
});

/** AssociateSoftwareToken: a new secret, to be verified. */
export async function associateSoftwareToken(deps: UserPoolDeps, body: Body) {
  const { user, session } = await callerOf(deps, body);
  const now = deps.now();
  const secret = newTotpSecret();
  const stored = (await deps.store.getTotp(user.poolId, user.sub)) ?? noTotp(user.poolId, user.sub, now);
  await deps.store.saveTotp({ ...stored, pendingSecret: sealTotpSecret(deps, user.poolId, user.sub, secret), updatedAt: now });
  return session === null ? { SecretCode: secret } : { SecretCode: secret, Session: sealMfaSession(deps, MFA_SETUP_SESSION, session) };
}

/** VerifySoftwareToken: a right code makes the associated secret the user's authenticator. */
export async function verifySoftwareToken(deps: UserPoolDeps, body: Body) {
  const { user, session } = await callerOf(deps, body);
  const code = requiredString(body, "UserCode", 6);
  const deviceName = typeof body["FriendlyDeviceName"] === "string" && body["FriendlyDeviceName"] !== "" ? body["FriendlyDeviceName"].slice(0, 131) : null;
  const now = deps.now();
  const stored = await deps.store.getTotp(user.poolId, user.sub);
  if (stored === null || stored.pendingSecret === null) throw new UserPoolError("InvalidParameterException", "User has not associated a software token.");
  const step = totpStepOf(openTotpSecret(deps, user.poolId, user.sub, stored.pendingSecret), code, now);
  if (step === null) {
    if (session !== null) {
      await countMfaAttempt(deps, session);
      await countFailedSignIn(deps, user);
    }
    throw new UserPoolError("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA mfa");
  }
  const enable = session !== null;
  await deps.store.saveTotp({
    ...stored,
    secret: stored.pendingSecret,
    pendingSecret: null,
    deviceName,
    enabled: enable || stored.enabled,
    preferred: enable || stored.preferred,
    lastStep: step,
    updatedAt: now,
  });
  return session === null ? { Status: "SUCCESS" } : { Status: "SUCCESS", Session: sealMfaSession(deps, MFA_SETUP_SESSION, { ...session, v: true }) };
}
