/**
 * Creating a user that comes from the system an app is leaving, the one step the user-migration
 * trigger (`triggers/user-migration.ts`) and the built-in live-Cognito source
 * (`cognito-migration-source.ts`) share: the username it gets here, its `sub`, its password stored
 * as any other (argon2id and an SRP verifier), and the race of two sign-ins migrating it at once.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { UserPoolUserStatus, UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import { makeCredentials } from "../credentials.js";
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { findUser, looksLikeEmail } from "../user-pool-input.js";

/** A user the old system vouched for. */
export interface MigratedUser {
  /** What the user signed in or asked a reset with (a username or an email alias). */
  name: string;
  /** The username the old system knows it by; null: `name`. */
  username: string | null;
  /** The old system's `sub`, kept when it is a UUID no user here has; null: a new one. */
  sub: string | null;
  /** Checked attributes, verified flags included. */
  attributes: Record<string, string>;
  status: Extract<UserPoolUserStatus, "CONFIRMED" | "FORCE_CHANGE_PASSWORD" | "RESET_REQUIRED">;
  /** The password the old system accepted (stored even for RESET_REQUIRED, so sign-in answers the reset); null: none known. */
  password: string | null;
  /** What migrated it, for the log. */
  source: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stores `migrated` in `pool` and returns it as stored (or the user a concurrent migration stored first). */
export async function createMigratedUser(deps: UserPoolDeps, pool: LoadedUserPool, migrated: MigratedUser): Promise<UserPoolUserWithAttributes | null> {
  const poolId = pool.settings.id;
  const keepSub = migrated.sub !== null && UUID.test(migrated.sub) && (await deps.store.getUserBySub(poolId, migrated.sub.toLowerCase())) === null;
  if (migrated.sub !== null && !keepSub) deps.logger.warn({ poolId, source: migrated.source }, "migrated user's sub is not a UUID or is taken here: it gets a new one");
  const sub = keepSub ? migrated.sub!.toLowerCase() : randomUUID();
  const wanted = migrated.username ?? migrated.name;
  // Where email is a sign-in alias a username cannot look like one: the user signs in by email, named by its sub.
  const username = pool.settings.signInAliases.includes("email") && looksLikeEmail(wanted) ? sub : wanted;
  const now = deps.now();
  const credentials = await makeCredentials(deps, pool, username, sub, migrated.password ?? randomBytes(32).toString("base64url"), "signIn");
  const created = await deps.store.createUser({ poolId, username, sub, status: migrated.status, enabled: true, ...credentials, createdAt: now, updatedAt: now }, migrated.attributes);
  deps.logger.info({ poolId, sub, source: migrated.source, status: migrated.status, created }, "user-pool user migrated");
  // A concurrent sign-in of the same user may have created it first: that one is the user.
  return created ? deps.store.getUserBySub(poolId, sub) : ((await deps.store.getUser(poolId, username)) ?? findUser(deps, pool, migrated.name));
}
