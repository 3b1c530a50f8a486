/**
 * A user's stored password: the argon2id hash (USER_PASSWORD_AUTH, ChangePassword) and the SRP
 * salt and verifier (USER_SRP_AUTH), always written together. The verifier is one SHA-256 away from
 * the password, so it is sealed under the master key, bound to its pool and user.
 */
import type { UserPoolUser } from "../storage/user-pool-store.js";
import type { LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { refuseBreachedPassword } from "./breached-passwords.js";
import { hashPassword } from "./passwords.js";
import { createVerifier } from "./srp.js";

/** The stored fields of a password. */
export type StoredCredentials = Pick<UserPoolUser, "passwordHash" | "srpSalt" | "srpVerifier">;

const verifierContext = (poolId: string, sub: string) => `user-pool:${poolId}:${sub}:srp-verifier`;

/**
 * The stored fields for `password` of the user `username`/`sub`. Every password set goes through
 * here, so this is where the pool's breached-password list refuses one (InvalidPasswordException);
 * `origin` `signIn` (a password the user already had, stored anew: an imported hash replaced, a
 * migrated user) is not checked, as passwords already set are not checked at sign-in.
 */
export async function makeCredentials(
  deps: Pick<UserPoolDeps, "box">,
  pool: Pick<LoadedUserPool, "settings" | "srpPoolName">,
  username: string,
  sub: string,
  password: string,
  origin: "newPassword" | "signIn" = "newPassword",
): Promise<StoredCredentials> {
  if (origin === "newPassword") await refuseBreachedPassword(pool.settings.passwordPolicy.breachedPasswords, password);
  const { saltHex, verifier } = createVerifier(pool.srpPoolName, username, password);
  return {
    passwordHash: await hashPassword(password),
    srpSalt: saltHex,
    srpVerifier: sealVerifier(deps, pool.settings.id, sub, verifier.toString(16)),
  };
}

/** An SRP verifier (hex) sealed for storage as the user `sub` of `poolId`'s. */
export function sealVerifier(deps: Pick<UserPoolDeps, "box">, poolId: string, sub: string, verifierHex: string): string {
  return deps.box.seal(verifierHex, verifierContext(poolId, sub));
}

/** The user's SRP verifier, opened. */
export function openVerifier(deps: Pick<UserPoolDeps, "box">, user: Pick<UserPoolUser, "poolId" | "sub" | "srpVerifier">): bigint {
  return BigInt(`0x${deps.box.open(user.srpVerifier, verifierContext(user.poolId, user.sub))}`);
}
