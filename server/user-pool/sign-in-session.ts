/**
 * The end of every successful sign-in, whatever proved the password: the user's status decides
 * what comes next (Cognito's order: not confirmed, disabled, reset required, a new password
 * required), then the MFA step (`mfa-challenge.ts`), and otherwise a new session starts and its
 * tokens are issued with a first refresh token, and the user's failed sign-ins are forgotten.
 */
import { randomUUID } from "node:crypto";
import type { UserPoolSignInFailures, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { clearFailedSignIns } from "./lockout.js";
import { mfaChallengeFor } from "./mfa-factors.js";
import type { LoadedClient, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import { sealSession } from "./sealed-session.js";
import { postAuthentication } from "./triggers/auth-triggers.js";
import type { TokenGenerationSource } from "./triggers/pre-token-generation.js";
import { issueTokens, newRefreshToken, refreshTokenHash, type AuthenticationResult } from "./user-pool-tokens.js";

/** How long a challenge's `Session` stays usable (Cognito's default AuthSessionValidity). */
export const CHALLENGE_SESSION_MS = 3 * 60_000;
/** The sealing purpose of a NEW_PASSWORD_REQUIRED session. */
export const NEW_PASSWORD_SESSION = "user-pool:new-password-required";

/** What a sign-in answers: tokens, or the next challenge. */
export type SignInAnswer =
  | { AuthenticationResult: AuthenticationResult; ChallengeParameters: Record<string, never> }
  | { ChallengeName: string; Session?: string; ChallengeParameters: Record<string, string>; AvailableChallenges?: string[] };

/**
 * Finishes a sign-in of `user`, whose password was just proven; `failures` is the user's count of
 * failed sign-ins the lockout check saw (`lockout.ts`), cleared once tokens are issued.
 * `skipMfa`: the first factor was a passkey, which is already two factors (Cognito asks no MFA after it).
 * `tokenSource`: the pre token generation trigger's source when tokens are issued here.
 * @throws UserNotConfirmedException, NotAuthorizedException (disabled), PasswordResetRequiredException
 */
export async function completeSignIn(
  deps: UserPoolDeps,
  loaded: LoadedClient,
  user: UserPoolUserWithAttributes,
  failures: UserPoolSignInFailures | null = null,
  options: { skipMfa?: boolean; tokenSource?: TokenGenerationSource } = {},
): Promise<SignInAnswer> {
  if (user.status === "UNCONFIRMED") throw new UserPoolError("UserNotConfirmedException", "User is not confirmed.");
  if (!user.enabled) throw new UserPoolError("NotAuthorizedException", "User is disabled.");
  if (user.status === "RESET_REQUIRED") throw new UserPoolError("PasswordResetRequiredException", "Password reset required for the user");
  if (user.status === "FORCE_CHANGE_PASSWORD") {
    const session = sealSession(deps.sessionKey, NEW_PASSWORD_SESSION, { p: loaded.pool.settings.id, c: loaded.client.id, s: user.sub }, deps.now() + CHALLENGE_SESSION_MS);
    const { email_verified: _verified, ...attributes } = user.attributes;
    return {
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: session,
      ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: "[]", userAttributes: JSON.stringify(attributes) },
    };
  }
  const challenge = options.skipMfa === true ? null : await mfaChallengeFor(deps, loaded, user);
  if (challenge !== null) return challenge;
  await clearFailedSignIns(deps, user, failures);
  return { AuthenticationResult: await startSession(deps, loaded, user, options.tokenSource), ChallengeParameters: {} };
}

/** Stores a new sign-in session and issues its tokens, with its first refresh token. */
export async function startSession(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes, tokenSource?: TokenGenerationSource): Promise<AuthenticationResult> {
  // Before the session is stored: a refusing trigger leaves no session behind.
  await postAuthentication(deps, loaded, user);
  const now = deps.now();
  const refreshToken = newRefreshToken();
  const session = {
    originJti: randomUUID(),
    poolId: loaded.pool.settings.id,
    sub: user.sub,
    clientId: loaded.client.id,
    authTime: Math.floor(now / 1000),
    createdAt: now,
    expiresAt: now + loaded.client.refreshTokenValiditySeconds * 1000,
    revokedAt: null,
    scope: null,
  };
  await deps.store.createSession(session, refreshTokenHash(deps, refreshToken));
  return { ...(await issueTokens(deps, loaded, user, session, tokenSource)), RefreshToken: refreshToken };
}
