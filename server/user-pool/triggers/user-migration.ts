/**
 * The user migration trigger: a user this pool does not know, signing in with USER_PASSWORD_AUTH
 * (UserMigration_Authentication, with the password) or asking for a password reset
 * (UserMigration_ForgotPassword), is looked up by the trigger in the system the app is leaving. An
 * answer with `userAttributes` creates the user: with that password, in `finalUserStatus`
 * (CONFIRMED unless it says RESET_REQUIRED; always RESET_REQUIRED from a password reset), and the
 * sign-in or reset goes on as for any user. A trigger that refuses answers as for an unknown user
 * (this pool never tells who exists); one that fails or answers nonsense is Cognito's exception.
 * A pool with `migrateFrom` asks its live Cognito pool instead (`migration/migrate-from-source.ts`).
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import { createMigratedUser } from "../migration/migrated-user.js";
import { migrateForgottenFromSource, migrateSigningInFromSource } from "../migration/migrate-from-source.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import { readAttributes, type Body } from "../user-pool-input.js";
import { stringMap } from "./user-pool-triggers.js";

const invalid = () => new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");
const VERIFIED_FLAGS = ["email_verified", "phone_number_verified"];

/** UserMigration_Authentication: the user `name` with `password`, created from the trigger's answer, or null. */
export async function migrateSigningInUser(deps: UserPoolDeps, loaded: LoadedClient, name: string, password: string, body: Body): Promise<UserPoolUserWithAttributes | null> {
  const fromSource = await migrateSigningInFromSource(deps, loaded.pool, name, password);
  if (fromSource !== undefined) return fromSource;
  return migrate(deps, loaded, name, body, "UserMigration_Authentication", password);
}

/** UserMigration_ForgotPassword: the user `name`, created (RESET_REQUIRED) from the trigger's answer, or null. */
export async function migrateForgottenUser(deps: UserPoolDeps, loaded: LoadedClient, name: string, body: Body): Promise<UserPoolUserWithAttributes | null> {
  const fromSource = await migrateForgottenFromSource(deps, loaded.pool, name);
  if (fromSource !== undefined) return fromSource;
  return migrate(deps, loaded, name, body, "UserMigration_ForgotPassword", null);
}

async function migrate(deps: UserPoolDeps, loaded: LoadedClient, name: string, body: Body, source: string, password: string | null): Promise<UserPoolUserWithAttributes | null> {
  const { pool, client } = loaded;
  if (!deps.triggers.has(pool.settings.id, "userMigration")) return null;
  let response: Record<string, unknown> | null;
  try {
    response = await deps.triggers.run(pool.settings.id, "userMigration", {
      triggerSource: source,
      userName: name,
      clientId: client.id,
      request: { ...(password === null ? {} : { password }), validationData: stringMap(body["ClientMetadata"]) ?? {}, clientMetadata: stringMap(body["ClientMetadata"]) ?? {} },
      response: { userAttributes: null, finalUserStatus: null, messageAction: null, desiredDeliveryMediums: null, forceAliasCreation: null, enableSMSMFA: null },
    });
  } catch (error) {
    // "User not found" or "wrong password" in the old system: the same answer as an unknown user here.
    if (error instanceof UserPoolError && error.type === "UserLambdaValidationException") return null;
    throw error;
  }
  const given = response?.["userAttributes"];
  if (given === undefined || given === null) return null;
  if (typeof given !== "object" || Array.isArray(given)) throw invalid();
  const entries = Object.entries(given).filter(([attribute]) => attribute !== "sub" && !attribute.startsWith("cognito:"));
  if (entries.some(([, value]) => typeof value !== "string")) throw invalid();
  let attributes: Record<string, string>;
  try {
    attributes = readAttributes(entries.filter(([attribute]) => !VERIFIED_FLAGS.includes(attribute)).map(([Name, Value]) => ({ Name, Value })), { pool, creating: true });
  } catch {
    throw invalid();
  }
  for (const [flag, value] of entries) if (VERIFIED_FLAGS.includes(flag)) attributes[flag] = value === "true" ? "true" : "false";
  const finalStatus = response?.["finalUserStatus"] ?? null;
  if (finalStatus !== null && finalStatus !== "CONFIRMED" && finalStatus !== "RESET_REQUIRED") throw invalid();
  const status = password === null || finalStatus === "RESET_REQUIRED" ? "RESET_REQUIRED" : "CONFIRMED";
  return createMigratedUser(deps, pool, { name, username: null, sub: null, attributes, status, password, source });
}
