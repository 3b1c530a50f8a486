/**
 * SetUserMFAPreference (the user's access token) and the rule it shares with
 * AdminSetUserMFAPreference (`admin-mfa-preference.ts`): each of SoftwareTokenMfaSettings,
 * EmailMfaSettings and SMSMfaSettings, when given, turns its factor on or off ({Enabled,
 * PreferredMfa}; PreferredMfa true turns it on too), and at most one factor is preferred. A factor
 * turns on only when the pool offers it and the user can receive it: a verified TOTP secret, a
 * verified email (`email_verified`), a verified phone number (`phone_number_verified`).
 */
import type { UserPoolMfaOptions, UserPoolUserWithAttributes } from "../storage/user-pool-store.js";
import { offeredMfaTypes, userMfaOf } from "./mfa-factors.js";
import type { MfaType } from "./user-pool-config.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";
import type { Body } from "./user-pool-input.js";
import { verifyAccessToken } from "./user-pool-tokens.js";

/** One factor's wanted settings. */
export interface MfaSettings {
  Enabled?: boolean;
  PreferredMfa?: boolean;
}

/** The wanted settings by factor; an absent factor is left as it is. */
export type MfaPreference = Partial<Record<MfaType, MfaSettings>>;

const FIELDS: Record<MfaType, string> = { SOFTWARE_TOKEN_MFA: "SoftwareTokenMfaSettings", EMAIL_OTP: "EmailMfaSettings", SMS_MFA: "SMSMfaSettings" };

/** SetUserMFAPreference. */
export async function setUserMfaPreference(deps: UserPoolDeps, body: Body) {
  const { pool, user } = await verifyAccessToken(deps, body["AccessToken"]);
  await applyMfaPreference(deps, pool, user, body);
  return {};
}

/** Reads the three settings fields of `body`, checks them against the pool and the user, and stores them. */
export async function applyMfaPreference(deps: UserPoolDeps, pool: LoadedUserPool, user: UserPoolUserWithAttributes, body: Body): Promise<void> {
  const wanted: MfaPreference = {};
  for (const [type, field] of Object.entries(FIELDS) as [MfaType, string][]) {
    const settings = settingsOf(body, field);
    if (settings.Enabled !== undefined || settings.PreferredMfa !== undefined) wanted[type] = settings;
  }
  if (Object.values(wanted).filter((settings) => settings.PreferredMfa === true).length > 1) {
    throw new UserPoolError("InvalidParameterException", "Only one MFA type can be set as preferred.");
  }
  const offered = offeredMfaTypes(deps, pool);
  for (const [type, settings] of Object.entries(wanted) as [MfaType, MfaSettings][]) {
    if (settings.Enabled !== true && settings.PreferredMfa !== true) continue;
    if (type === "SOFTWARE_TOKEN_MFA") {
      if (!offered.includes(type)) throw new UserPoolError("SoftwareTokenMFANotFoundException", "Software Token MFA has not been enabled by the userPool.");
      const totp = await deps.store.getTotp(user.poolId, user.sub);
      if (totp === null || totp.secret === null) throw new UserPoolError("InvalidParameterException", "User has not verified software token mfa");
      continue;
    }
    const medium = type === "EMAIL_OTP" ? "Email" : "SMS";
    if (!offered.includes(type)) throw new UserPoolError("InvalidParameterException", `${medium} MFA is not enabled for this user pool.`);
    const verified = type === "EMAIL_OTP" ? "email_verified" : "phone_number_verified";
    if (user.attributes[verified] !== "true") throw new UserPoolError("InvalidParameterException", `User does not have delivery config set to turn on ${type}`);
  }
  await saveMfaPreference(deps, user, wanted);
}

/** Stores `wanted` over the user's current MFA (no checks: callers check first). */
export async function saveMfaPreference(deps: UserPoolDeps, user: Pick<UserPoolUserWithAttributes, "poolId" | "sub">, wanted: MfaPreference): Promise<void> {
  if (Object.keys(wanted).length === 0) return;
  const now = deps.now();
  const current = await userMfaOf(deps, user);
  const enabledNow = (type: MfaType) => {
    const settings = wanted[type];
    return settings === undefined ? current.enabled.includes(type) : (settings.Enabled ?? settings.PreferredMfa === true);
  };
  const chosen = (Object.entries(wanted) as [MfaType, MfaSettings][]).find(([, settings]) => settings.PreferredMfa === true)?.[0];
  let preferred: MfaType | null = chosen ?? current.preferred;
  if (preferred !== null && (!enabledNow(preferred) || wanted[preferred]?.PreferredMfa === false)) preferred = null;

  const totp = await deps.store.getTotp(user.poolId, user.sub);
  if (totp !== null) {
    const enabled = totp.secret !== null && enabledNow("SOFTWARE_TOKEN_MFA");
    const isPreferred = preferred === "SOFTWARE_TOKEN_MFA";
    if (enabled !== totp.enabled || isPreferred !== totp.preferred) await deps.store.saveTotp({ ...totp, enabled, preferred: isPreferred, updatedAt: now });
  }
  const stored = await deps.store.getMfaOptions(user.poolId, user.sub);
  const options: UserPoolMfaOptions = {
    poolId: user.poolId,
    sub: user.sub,
    emailEnabled: enabledNow("EMAIL_OTP"),
    smsEnabled: enabledNow("SMS_MFA"),
    preferred: preferred === "EMAIL_OTP" || preferred === "SMS_MFA" ? preferred : null,
    updatedAt: now,
  };
  if (stored !== null || options.emailEnabled || options.smsEnabled) await deps.store.saveMfaOptions(options);
}

function settingsOf(body: Body, field: string): MfaSettings {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new UserPoolError("InvalidParameterException", `${field} must be an object.`);
  const { Enabled, PreferredMfa } = value as Record<string, unknown>;
  if ((Enabled !== undefined && typeof Enabled !== "boolean") || (PreferredMfa !== undefined && typeof PreferredMfa !== "boolean")) {
    throw new UserPoolError("InvalidParameterException", `${field}: Enabled and PreferredMfa must be booleans.`);
  }
  return { ...(Enabled !== undefined ? { Enabled } : {}), ...(PreferredMfa !== undefined ? { PreferredMfa } : {}) };
}
