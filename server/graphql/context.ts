/**
 * Who is asking. Built once per request from the `Authorization` header and checked lazily: a
 * resolver that acts for an identity awaits `caller()`, an admin resolver awaits
 * `requireAdmin()`, and `signIn` needs neither. The check runs at most once per request.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import type { PoolRegistry } from "../identity/pools.js";
import type { TokenService } from "../identity/tokens.js";
import type { Caller } from "../sync/types.js";

/** What resolvers find in their context. */
export interface GraphQLContext {
  /**
   * The identity the bearer token speaks for, with its pool's limits.
   * @throws SyncpoolError UNAUTHENTICATED without a valid, unexpired token of an existing pool.
   */
  caller(): Promise<Caller>;
  /**
   * Resolves when the request carries the admin token.
   * @throws SyncpoolError FORBIDDEN when the admin API is disabled or an identity token was sent,
   *   UNAUTHENTICATED when the token is missing or wrong.
   */
  requireAdmin(): Promise<void>;
}

export interface ContextDeps {
  tokens: TokenService;
  pools: PoolRegistry;
  /** SYNCPOOL_ADMIN_TOKEN, or null when the admin API is disabled. */
  adminToken: string | null;
}

/** Returns yoga's `context` function. */
export function createContextFactory(deps: ContextDeps): (initial: { request: Request }) => GraphQLContext {
  const adminDigest = deps.adminToken === null ? null : sha256(deps.adminToken);

  return ({ request }) => {
    const header = request.headers.get("authorization");
    let callerPromise: Promise<Caller> | undefined;

    const caller = () => (callerPromise ??= resolveCaller(deps, header));

    const requireAdmin = async () => {
      if (adminDigest === null) {
        throw new SyncpoolError("FORBIDDEN", "the admin API is disabled: start the server with SYNCPOOL_ADMIN_TOKEN set");
      }
      const token = bearerToken(header);
      if (token !== null && timingSafeEqual(sha256(token), adminDigest)) return;
      if (token !== null && (await caller().then(() => true, () => false))) {
        throw new SyncpoolError("FORBIDDEN", "an identity token cannot call admin operations: send the admin token");
      }
      throw new SyncpoolError("UNAUTHENTICATED", "admin operations need 'Authorization: Bearer <admin token>'");
    };

    return { caller, requireAdmin };
  };
}

async function resolveCaller(deps: ContextDeps, header: string | null): Promise<Caller> {
  const token = bearerToken(header);
  if (token === null) {
    throw new SyncpoolError("UNAUTHENTICATED", "sign in first: send 'Authorization: Bearer <token>' from signIn");
  }
  const claims = await deps.tokens.verify(token);
  const pool = await deps.pools.get(claims.poolId);
  if (!pool) throw new SyncpoolError("UNAUTHENTICATED", "invalid token: its identity pool does not exist");
  return { identityId: claims.identityId, poolId: claims.poolId, limits: pool.limits };
}

/** The token of `Authorization: Bearer <token>`, or null when absent. */
function bearerToken(header: string | null): string | null {
  if (header === null || header.trim() === "") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new SyncpoolError("UNAUTHENTICATED", "the Authorization header must be 'Bearer <token>'");
  return match[1]!;
}

// Digests have one length, so comparing them in constant time works for tokens of any length.
function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
