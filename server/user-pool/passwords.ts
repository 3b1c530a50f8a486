/**
 * Passwords of the built-in user pool: Cognito's password policy, argon2id hashes at OWASP's
 * parameters (12 MiB, 3 passes, 1 lane; `@node-rs/argon2` defaults to argon2id), and the
 * rehash-on-login rule. The SRP verifier kept beside the hash is made in `srp.ts`. No more hashes
 * run at once than the machine has cores (`concurrency-limit.ts` says why). The argon2 addon is
 * loaded by the first hash or check, not at start: a server without user pools, and every CLI
 * command, never needs it.
 */
import { availableParallelism } from "node:os";
import { createConcurrencyLimit } from "./concurrency-limit.js";
import { isForeignHash, verifyForeignHash } from "./foreign-hashes.js";
import type { PasswordPolicy } from "./user-pool-config.js";
import { UserPoolError } from "./user-pool-errors.js";

/**
 * argon2id parameters of new hashes: the third of OWASP's five sets, which its Password Storage
 * Cheat Sheet gives as equal in defence and differing only in memory against passes. Of those,
 * this one measured cheapest on our 2-core machines: a verify took about 7 ms of CPU against
 * about 15 ms for the 19 MiB, 2-pass set (the 12 MiB block stays in the processor's cache far more
 * of the time), and each sign-in in flight holds 12 MiB instead of 19. Hashes made with other
 * parameters are replaced at the user's next password sign-in (`needsRehash`).
 */
export const ARGON2_PARAMETERS = { memoryCost: 12_288, timeCost: 3, parallelism: 1 } as const;
/** `Algorithm.Argon2id` (a const enum in the package's typings, so spelled as its value). */
const ARGON2ID = 2;
/** Longest password Cognito accepts. */
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id hashes and verifies in progress at once, across the process. */
const argon2Limit = createConcurrencyLimit(availableParallelism());

let argon2Module: Promise<typeof import("@node-rs/argon2")> | undefined;
/** The argon2 addon, loaded on first use. */
const argon2 = () => (argon2Module ??= import("@node-rs/argon2"));

/** An argon2id hash of `password`, PHC string. */
export async function hashPassword(password: string): Promise<string> {
  const { hash } = await argon2();
  return argon2Limit(() => hash(password, { ...ARGON2_PARAMETERS }));
}

/** Whether `password` matches `passwordHash` (argon2, or an imported hash: `foreign-hashes.ts`); false for a hash that does not parse. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (isForeignHash(passwordHash)) return argon2Limit(() => verifyForeignHash(passwordHash, password));
  const { verify } = await argon2();
  try {
    return await argon2Limit(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

/** True when a hash was made with other parameters than today's: it is replaced at the next password sign-in. */
export async function needsRehash(passwordHash: string): Promise<boolean> {
  const { parseOptions } = await argon2();
  try {
    const options = parseOptions(passwordHash);
    return (
      (options.algorithm as number) !== ARGON2ID ||
      options.memoryCost !== ARGON2_PARAMETERS.memoryCost ||
      options.timeCost !== ARGON2_PARAMETERS.timeCost ||
      options.parallelism !== ARGON2_PARAMETERS.parallelism
    );
  } catch {
    return true;
  }
}

const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/;

/**
 * Refuses a password outside the pool's policy, with Cognito's message.
 * @throws UserPoolError InvalidPasswordException
 */
export function checkPasswordPolicy(policy: PasswordPolicy, password: string): void {
  const fail = (why: string) => {
    throw new UserPoolError("InvalidPasswordException", `Password did not conform with policy: ${why}`);
  };
  if (password.length < policy.minimumLength) fail("Password not long enough");
  if (password.length > MAX_PASSWORD_LENGTH) fail("Password is too long");
  if (/^\s|\s$/.test(password)) fail("Password must not begin or end with a space");
  if (policy.requireLowercase && !/[a-z]/.test(password)) fail("Password must have lowercase characters");
  if (policy.requireUppercase && !/[A-Z]/.test(password)) fail("Password must have uppercase characters");
  if (policy.requireNumbers && !/[0-9]/.test(password)) fail("Password must have numeric characters");
  if (policy.requireSymbols && !SYMBOLS.test(password)) fail("Password must have symbol characters");
}
