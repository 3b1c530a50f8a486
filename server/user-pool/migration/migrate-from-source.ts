/**
 * A user unknown here, looked up in the pool's live migration source (`migrateFrom`,
 * `cognito-migration-source.ts`) and created from its answer: at sign-in with the password the live
 * pool accepted, at a password reset as RESET_REQUIRED (so the reset code can be sent). The live
 * pool's `sub` is kept, so tokens' `sub` stays what the app's data is keyed by. Attributes this pool
 * would refuse (undeclared custom attributes, names Cognito adds such as `identities`) are left out.
 *
 * A live user whose verified email is already the verified email of a user here, in a pool that
 * signs in by email, is not migrated: two users would answer to one alias. As Cognito refuses to
 * give an alias a second owner, the migration is refused, the reason logged, and the caller answers
 * as for a user that does not exist (a wrong password at sign-in, a simulated delivery at reset).
 */
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { readAttributes } from "../user-pool-input.js";
import type { SourceUser } from "./cognito-migration-source.js";
import { createMigratedUser } from "./migrated-user.js";

const VERIFIED_FLAGS = ["email_verified", "phone_number_verified"];

/** The live pool's attributes this pool accepts, each checked alone. */
function acceptedAttributes(deps: UserPoolDeps, pool: LoadedUserPool, given: Record<string, string>): Record<string, string> {
  const accepted: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(given)) {
    if (name === "sub") continue;
    if (VERIFIED_FLAGS.includes(name)) {
      accepted[name] = value === "true" ? "true" : "false";
      continue;
    }
    try {
      Object.assign(accepted, readAttributes([{ Name: name, Value: value }], { pool, creating: true }));
    } catch {
      dropped.push(name);
    }
  }
  if (dropped.length > 0) deps.logger.warn({ poolId: pool.settings.id, dropped }, "attributes of a migrated user this pool does not accept were left out");
  return accepted;
}

const toMigrated = (deps: UserPoolDeps, pool: LoadedUserPool, name: string, user: SourceUser) => ({
  name,
  username: user.username,
  sub: user.sub,
  attributes: acceptedAttributes(deps, pool, user.attributes),
  source: `cognito:${pool.settings.migrateFrom?.cognito.userPoolId ?? "?"}`,
});

/** The user `name` signing in with `password`, created from the live pool; null: no source, or the live pool refused. */
export async function migrateSigningInFromSource(deps: UserPoolDeps, pool: LoadedUserPool, name: string, password: string): Promise<UserPoolUserWithAttributes | null | undefined> {
  const source = deps.migrationSourceOf(pool.settings.id);
  if (source === null) return undefined;
  const answer = await source.signIn(name, password);
  if (answer === null) return null;
  const migrated = toMigrated(deps, pool, name, answer.user);
  if (await aliasTaken(deps, pool, migrated.username, migrated.attributes)) return null;
  // Stored whatever the status: a RESET_REQUIRED user (MFA at the live pool) then hears PasswordResetRequiredException, not a wrong password.
  return createMigratedUser(deps, pool, { ...migrated, status: answer.status, password });
}

/** The user `name` asking for a password reset, created (RESET_REQUIRED) from the live pool; undefined: no source. */
export async function migrateForgottenFromSource(deps: UserPoolDeps, pool: LoadedUserPool, name: string): Promise<UserPoolUserWithAttributes | null | undefined> {
  const source = deps.migrationSourceOf(pool.settings.id);
  if (source === null) return undefined;
  const user = await source.lookUp(name);
  if (user === null) return null;
  const migrated = toMigrated(deps, pool, name, user);
  if (await aliasTaken(deps, pool, migrated.username, migrated.attributes)) return null;
  return createMigratedUser(deps, pool, { ...migrated, status: "RESET_REQUIRED", password: null });
}

/**
 * Whether the live user's verified email is already a user's verified email here, in a pool that
 * signs in by email; logs the refusal (with the live username, not the address) when it is.
 */
async function aliasTaken(deps: UserPoolDeps, pool: LoadedUserPool, liveUsername: string, attributes: Record<string, string>): Promise<boolean> {
  const email = attributes["email"];
  if (!pool.settings.signInAliases.includes("email") || email === undefined || attributes["email_verified"] !== "true") return false;
  for (const username of await deps.store.findUsernamesByAttribute(pool.settings.id, "email", email)) {
    const holder = await deps.store.getUser(pool.settings.id, username);
    if (holder?.attributes["email_verified"] === "true") {
      deps.logger.warn({ poolId: pool.settings.id, liveUsername, holder: holder.sub }, "user-pool migration refused: the live user's verified email is another user's verified email here");
      return true;
    }
  }
  return false;
}
