/**
 * TOTP codes of Cognito's software-token MFA (RFC 6238 through `otpauth`): six digits, 30-second
 * steps, SHA-1, a 160-bit secret shown to the user as 32 base32 characters. A code of the step
 * before or after the server's is accepted (Cognito's ±30 s). Secrets are stored sealed under the
 * master key, bound to their pool and user, like the SRP verifier.
 */
import { Secret, TOTP } from "otpauth";
import type { UserPoolDeps } from "./user-pool-deps.js";

/** Length of a TOTP step. */
export const TOTP_STEP_MS = 30_000;

const secretContext = (poolId: string, sub: string) => `user-pool:${poolId}:${sub}:totp-secret`;

/** A new secret, base32 (what AssociateSoftwareToken answers as `SecretCode`). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** `base32` sealed for storage. */
export function sealTotpSecret(deps: Pick<UserPoolDeps, "box">, poolId: string, sub: string, base32: string): string {
  return deps.box.seal(base32, secretContext(poolId, sub));
}

/** A stored secret, opened to base32. */
export function openTotpSecret(deps: Pick<UserPoolDeps, "box">, poolId: string, sub: string, sealed: string): string {
  return deps.box.open(sealed, secretContext(poolId, sub));
}

/**
 * The time step `code` belongs to when it is right for `base32` at `now` (within one step either
 * way), else null. The caller refuses a step already used.
 */
export function totpStepOf(base32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(base32), digits: 6, period: TOTP_STEP_MS / 1000, algorithm: "SHA1" });
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / TOTP_STEP_MS) + delta;
}
