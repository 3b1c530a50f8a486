/**
 * RespondToAuthChallenge for the MFA step (`mfa-challenge.ts`): SOFTWARE_TOKEN_MFA checks a TOTP
 * code (each code is good once: its time step must be later than the last accepted one), and
 * MFA_SETUP finishes once VerifySoftwareToken has verified the new secret under the same Session.
 * A wrong code is CodeMismatchException and counts both against the session and towards the
 * user's lockout; tokens are issued only here, after the code. MFA_SETUP answered with an email
 * address, and the factors that send codes, are `mfa-code-sign-in.ts`.
 */
import { checkLockout, clearFailedSignIns, countFailedSignIn } from "./lockout.js";
import { endMfaSession, MFA_SETUP_SESSION, openMfaSession, SOFTWARE_TOKEN_MFA_SESSION, countMfaAttempt, type MfaSession } from "./mfa-challenge.js";
import { answerEmailMfaSetup } from "./mfa-code-sign-in.js";
import { startSession, type SignInAnswer } from "./sign-in-session.js";
import { openTotpSecret, totpStepOf } from "./totp.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import type { Body } from "./user-pool-input.js";

const expired = () => new UserPoolError("NotAuthorizedException", "Invalid session for the user, session is expired.");

async function sessionUser(deps: UserPoolDeps, loaded: LoadedClient, session: MfaSession) {
  if (session.c !== loaded.client.id || session.p !== loaded.pool.settings.id) throw expired();
  const user = await deps.store.getUserBySub(session.p, session.s);
  if (user === null || !user.enabled) throw expired();
  return user;
}

/** RespondToAuthChallenge SOFTWARE_TOKEN_MFA. */
export async function answerSoftwareTokenMfa(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const session = await openMfaSession(deps, SOFTWARE_TOKEN_MFA_SESSION, body["Session"]);
  const user = await sessionUser(deps, loaded, session);
  const counted = await checkLockout(deps, user);
  const code = responses["SOFTWARE_TOKEN_MFA_CODE"];
  if (typeof code !== "string" || code.length === 0) throw new UserPoolError("InvalidParameterException", "Missing required parameter SOFTWARE_TOKEN_MFA_CODE");
  const totp = await deps.store.getTotp(user.poolId, user.sub);
  if (totp === null || totp.secret === null || !totp.enabled) throw expired();
  const now = deps.now();
  const step = totpStepOf(openTotpSecret(deps, user.poolId, user.sub, totp.secret), code, now);
  // A right code of a step already used is a replay: refused like a wrong one.
  if (step === null || !(await deps.store.useTotpStep(user.poolId, user.sub, step))) {
    await countMfaAttempt(deps, session);
    await countFailedSignIn(deps, user);
    throw new UserPoolError("CodeMismatchException", "Invalid code received for user");
  }
  await endMfaSession(deps, session, body["Session"] as string);
  await clearFailedSignIns(deps, user, counted);
  return { AuthenticationResult: await startSession(deps, loaded, user), ChallengeParameters: {} };
}

/** RespondToAuthChallenge MFA_SETUP: the Session VerifySoftwareToken answered, or an `EMAIL` to set email MFA up with. */
export async function answerMfaSetup(deps: UserPoolDeps, loaded: LoadedClient, body: Body, responses: Record<string, unknown>): Promise<SignInAnswer> {
  const session = await openMfaSession(deps, MFA_SETUP_SESSION, body["Session"]);
  if (responses["EMAIL"] !== undefined) return answerEmailMfaSetup(deps, loaded, body["Session"] as string, session, responses["EMAIL"]);
  const user = await sessionUser(deps, loaded, session);
  const totp = await deps.store.getTotp(user.poolId, user.sub);
  if (session.v !== true || totp === null || totp.secret === null || !totp.enabled) {
    throw new UserPoolError("InvalidParameterException", "The software token has not been verified: call VerifySoftwareToken with this Session first.");
  }
  await endMfaSession(deps, session, body["Session"] as string);
  await clearFailedSignIns(deps, user, await deps.store.getSignInFailures(user.poolId, user.sub));
  return { AuthenticationResult: await startSession(deps, loaded, user), ChallengeParameters: {} };
}
