/**
 * Which MFA a sign-in asks for, as Cognito decides it. A pool offers the factors of its `mfaTypes`
 * (none when its MFA is OFF; SMS only with an `smsSender`). A user's factors are TOTP once verified
 * and enabled, and email or SMS once enabled (SetUserMFAPreference) while the address or number is
 * there to send to. After the password:
 * - the preferred factor, or the only one, is asked for (SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_MFA;
 *   the last two send their code now);
 * - several and none preferred: SELECT_MFA_TYPE, `MFAS_CAN_CHOOSE` listing them;
 * - none, in a pool whose MFA is ON: MFA_SETUP, `MFAS_CAN_SETUP` listing what the pool offers
 *   (TOTP through AssociateSoftwareToken, email by answering MFA_SETUP with `EMAIL`).
 */
import type { UserPoolUser, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { sendEmailOtp } from "./email-otp.js";
import {
  EMAIL_OTP_SESSION,
  MFA_SETUP_SESSION,
  SELECT_MFA_TYPE_SESSION,
  SMS_MFA_SESSION,
  SOFTWARE_TOKEN_MFA_SESSION,
  sealMfaSession,
  startMfaSession,
  type MfaChallenge,
  type MfaSession,
} from "./mfa-challenge.js";
import { sendSmsMfaCode } from "./sms-codes.js";
import type { MfaType } from "./user-pool-config.js";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";

/** A user's MFA as GetUser reports it. */
export interface UserMfa {
  enabled: MfaType[];
  preferred: MfaType | null;
}

/** The factors `pool` offers, in Cognito's order. */
export function offeredMfaTypes(deps: UserPoolDeps, pool: LoadedUserPool): MfaType[] {
  if (pool.settings.mfaConfiguration === "OFF") return [];
  return pool.settings.mfaTypes.filter((type) => type !== "SMS_MFA" || deps.sms.canSend(pool));
}

/** The user's enabled factors and preference, as stored. */
export async function userMfaOf(deps: UserPoolDeps, user: Pick<UserPoolUser, "poolId" | "sub">): Promise<UserMfa> {
  const totp = await deps.store.getTotp(user.poolId, user.sub);
  const options = await deps.store.getMfaOptions(user.poolId, user.sub);
  const enabled: MfaType[] = [];
  if (options?.smsEnabled) enabled.push("SMS_MFA");
  if (totp !== null && totp.enabled && totp.secret !== null) enabled.push("SOFTWARE_TOKEN_MFA");
  if (options?.emailEnabled) enabled.push("EMAIL_OTP");
  const preferred = options?.preferred ?? (enabled.includes("SOFTWARE_TOKEN_MFA") && totp?.preferred ? "SOFTWARE_TOKEN_MFA" : null);
  return { enabled, preferred: preferred !== null && enabled.includes(preferred) ? preferred : null };
}

/** The factors a sign-in of `user` may ask for now: enabled, offered, and with somewhere to send the code. */
export async function usableMfaTypes(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes): Promise<UserMfa> {
  const offered = offeredMfaTypes(deps, pool);
  const mine = await userMfaOf(deps, user);
  const deliverable = (type: MfaType) => (type === "EMAIL_OTP" ? user.attributes["email"] !== undefined : type === "SMS_MFA" ? user.attributes["phone_number"] !== undefined : true);
  const enabled = mine.enabled.filter((type) => offered.includes(type) && deliverable(type));
  return { enabled, preferred: mine.preferred !== null && enabled.includes(mine.preferred) ? mine.preferred : null };
}

/** The challenge `user` must answer before tokens are issued, or null when none. */
export async function mfaChallengeFor(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes): Promise<MfaChallenge | null> {
  const offered = offeredMfaTypes(deps, loaded.pool);
  if (offered.length === 0) return null;
  const { enabled, preferred } = await usableMfaTypes(deps, loaded.pool, user);
  if (enabled.length === 0) {
    if (loaded.pool.settings.mfaConfiguration !== "ON") return null;
    const session = await startMfaSession(deps, loaded, user, MFA_SETUP_SESSION);
    return { ChallengeName: "MFA_SETUP", Session: session, ChallengeParameters: { MFAS_CAN_SETUP: JSON.stringify(offered) } };
  }
  const type = preferred ?? (enabled.length === 1 ? enabled[0]! : null);
  if (type === null) {
    const session = await startMfaSession(deps, loaded, user, SELECT_MFA_TYPE_SESSION);
    return { ChallengeName: "SELECT_MFA_TYPE", Session: session, ChallengeParameters: { MFAS_CAN_CHOOSE: JSON.stringify(enabled) } };
  }
  return issueMfaChallenge(deps, loaded, user, type, null);
}

/**
 * The challenge of factor `type`, sending its code when it has one. `session` is the sign-in's MFA
 * session when it already has one (SELECT_MFA_TYPE answered): resealed, its wrong-code count kept.
 */
export async function issueMfaChallenge(deps: UserPoolDeps, loaded: LoadedClient, user: UserPoolUserWithAttributes, type: MfaType, session: MfaSession | null, email?: string): Promise<MfaChallenge> {
  const purpose = type === "EMAIL_OTP" ? EMAIL_OTP_SESSION : type === "SMS_MFA" ? SMS_MFA_SESSION : SOFTWARE_TOKEN_MFA_SESSION;
  const sealed =
    session === null ? await startMfaSession(deps, loaded, user, purpose) : sealMfaSession(deps, purpose, email === undefined ? session : { ...session, e: email });
  if (type === "EMAIL_OTP") {
    const parameters = await sendEmailOtp(deps, loaded.pool, user, email ?? user.attributes["email"]!);
    return { ChallengeName: "EMAIL_OTP", Session: sealed, ChallengeParameters: parameters };
  }
  if (type === "SMS_MFA") return { ChallengeName: "SMS_MFA", Session: sealed, ChallengeParameters: await sendSmsMfaCode(deps, loaded.pool, user) };
  const totp = await deps.store.getTotp(user.poolId, user.sub);
  return { ChallengeName: "SOFTWARE_TOKEN_MFA", Session: sealed, ChallengeParameters: totp?.deviceName ? { FRIENDLY_DEVICE_NAME: totp.deviceName } : {} };
}
