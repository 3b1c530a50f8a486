/**
 * Sign-in: creates guest identities and signs returning ones in, answering a short-lived token.
 * A guest proves who it is with the device secret it was given at creation; without it nobody
 * can act as that guest (Cognito let anyone holding a guest id get its credentials; we do not).
 * Logins (OIDC, developer) arrive in a later issue: the field is accepted now, unknown providers
 * are refused by name, configured ones answer "not supported yet".
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import type { Storage } from "../storage/storage.js";
import type { PoolSettings } from "./pool-settings.js";
import type { PoolRegistry } from "./pools.js";
import type { TokenService } from "./tokens.js";

/** What a device sends to sign in (validated for shape and length by the GraphQL layer). */
export interface SignInInput {
  identityPoolId: string;
  identityId?: string | null;
  deviceSecret?: string | null;
  logins?: ReadonlyArray<{ provider: string; token: string }> | null;
}

/** The answer to a sign-in; `deviceSecret` is set only when a guest was just created. */
export interface Session {
  identityId: string;
  token: string;
  expiresAt: number;
  deviceSecret: string | null;
  mergedIdentityIds: string[];
}

export interface SignInDeps {
  storage: Storage;
  pools: PoolRegistry;
  tokens: TokenService;
  now: () => number;
}

/** The same answer for every failed guest check, so it never tells which identities exist. */
const GUEST_REFUSED = "unknown identity or wrong device secret";

/**
 * Signs a device in to a pool.
 * @throws SyncpoolError NOT_FOUND (no such pool), FORBIDDEN (the pool takes no guests),
 *   UNAUTHENTICATED (a returning guest's secret is missing or wrong, or the identity is not in
 *   this pool), BAD_USER_INPUT (an unknown login provider, a secret without an identity id).
 */
export async function signIn(deps: SignInDeps, input: SignInInput): Promise<Session> {
  const pool = await deps.pools.get(input.identityPoolId);
  if (!pool) {
    throw new SyncpoolError("NOT_FOUND", `identity pool "${input.identityPoolId}" not found`, { field: "identityPoolId" });
  }
  checkLogins(pool, input.logins ?? []);
  if (!pool.allowGuests) {
    throw new SyncpoolError("FORBIDDEN", `identity pool "${pool.id}" does not allow guest identities`, { field: "identityPoolId" });
  }

  if (input.identityId !== undefined && input.identityId !== null) {
    await checkReturningGuest(deps.storage, pool, input.identityId, input.deviceSecret ?? null);
    const issued = await deps.tokens.issue(input.identityId, pool.id);
    return { identityId: input.identityId, ...issued, deviceSecret: null, mergedIdentityIds: [] };
  }
  if (input.deviceSecret !== undefined && input.deviceSecret !== null) {
    throw new SyncpoolError("BAD_USER_INPUT", "deviceSecret needs the identityId it belongs to", { field: "identityId" });
  }

  const identityId = `${pool.region}:${randomUUID()}`;
  const deviceSecret = randomBytes(32).toString("base64url");
  await deps.storage.createIdentity({ id: identityId, poolId: pool.id, secretHash: hashDeviceSecret(deviceSecret), createdAt: deps.now() });
  const issued = await deps.tokens.issue(identityId, pool.id);
  return { identityId, ...issued, deviceSecret, mergedIdentityIds: [] };
}

function checkLogins(pool: PoolSettings, logins: ReadonlyArray<{ provider: string }>): void {
  for (const { provider } of logins) {
    const configured =
      pool.developerProvider?.name === provider ||
      pool.providers.some((candidate) => candidate.name === provider || new URL(candidate.issuer).host === provider);
    if (!configured) {
      throw new SyncpoolError("BAD_USER_INPUT", `unknown login provider "${provider}" for identity pool "${pool.id}"`, {
        field: "logins",
        provider,
      });
    }
    throw new SyncpoolError("BAD_USER_INPUT", `sign-in with login provider "${provider}" is not supported yet`, {
      field: "logins",
      provider,
      reason: "NOT_SUPPORTED",
    });
  }
}

async function checkReturningGuest(storage: Storage, pool: PoolSettings, identityId: string, deviceSecret: string | null): Promise<void> {
  if (deviceSecret === null) {
    throw new SyncpoolError("UNAUTHENTICATED", "deviceSecret is required to sign in as an existing guest identity", {
      field: "deviceSecret",
    });
  }
  const identity = await storage.getIdentity(identityId);
  const matches = identity !== null && identity.poolId === pool.id && identity.secretHash !== null && deviceSecretMatches(deviceSecret, identity.secretHash);
  if (!matches) throw new SyncpoolError("UNAUTHENTICATED", GUEST_REFUSED);
}

/**
 * The stored form of a device secret: `sha256:<base64url digest>`. A plain SHA-256 is enough
 * here, unlike for passwords: the secret is 256 random bits, so there is no dictionary to try and
 * a slow hash (scrypt) would only cost every sign-in time without adding any safety.
 */
export function hashDeviceSecret(deviceSecret: string): string {
  return `sha256:${createHash("sha256").update(deviceSecret, "utf8").digest("base64url")}`;
}

/** Compares in constant time (digests of equal length), so timing reveals nothing of the hash. */
function deviceSecretMatches(deviceSecret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, "utf8");
  const actual = Buffer.from(hashDeviceSecret(deviceSecret), "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
