/**
 * Who is asking, and may they. Built once per request from the `Authorization` header and the
 * client's address, and checked lazily: a resolver that acts for an identity awaits `caller()` or
 * `authorize(dataset, ...actions)` (once), an admin resolver awaits `requireAdmin()`, and the
 * unauthenticated entry points (`signIn`, `getTokenForDeveloperIdentity`) await
 * `throttleAddress(poolId)`. The token check runs at most once per request and covers: signature
 * and expiry, the pool, the identity's status (a disabled or merged identity's tokens stop
 * working at once), and the rate limits (per identity, and per client address within the pool).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SyncpoolError } from "../../core/errors.js";
import { DEFAULT_RATE_LIMITS, type PolicyAction } from "../identity/access-settings.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { AdminLockout } from "../identity/admin-lockout.js";
import type { PoolRegistry } from "../identity/pools.js";
import { isAllowed, type PolicySubject } from "../identity/policy.js";
import type { RateLimiter } from "../identity/rate-limiter.js";
import type { TokenService } from "../identity/tokens.js";
import { identityDisabled, type IdentityStore } from "../storage/identity-store.js";
import type { GroupStore } from "../storage/group-store.js";
import type { Caller } from "../sync/types.js";
import { sharedCaller, sharedListening, type SharedAction } from "./shared-caller.js";
import { clientAddress } from "../client-address.js";
import { addressBucket } from "../ip-address.js";

/** What resolvers find in their context. */
export interface GraphQLContext {
  /**
   * The identity the bearer token speaks for, with its pool's limits.
   * @throws SyncpoolError UNAUTHENTICATED without a valid, unexpired token of an existing pool and
   *   an active identity; RATE_LIMITED (with `retryAfterMs`) when its bucket is empty.
   */
  caller(): Promise<Caller>;
  /**
   * `caller()`, after checking that its role may do every one of `actions` on `dataset`.
   * @throws SyncpoolError FORBIDDEN (`reason: POLICY_DENIED`) when a policy denies it, or as `caller()`.
   */
  authorize(dataset: string, ...actions: PolicyAction[]): Promise<Caller>;
  /**
   * The caller acting on shared dataset `dataset` (`shared-caller.ts`): the owner id as
   * `identityId`, the entry's limits, the asking identity as `writer`.
   * @throws SyncpoolError FORBIDDEN (`reason: SHARED_DENIED`) when the pool's `sharedDatasets`
   *   do not let the identity do every one of `actions` on it, or as `caller()`.
   */
  authorizeShared(dataset: string, ...actions: SharedAction[]): Promise<Caller>;
  /**
   * For a live subscription to shared datasets (one, or all with null): the owner ids to listen
   * to and the per-change read check (`shared-caller.ts`). Call `authorizeShared(dataset, "read")`
   * first for one dataset: this does not refuse.
   */
  sharedListening(dataset: string | null): Promise<ReturnType<typeof sharedListening>>;
  /** A test of which datasets the caller may read (for listings), after `caller()`'s checks. */
  readableDatasets(): Promise<(dataset: string) => boolean>;
  /**
   * Resolves when the request carries the admin token.
   * @throws SyncpoolError FORBIDDEN when the admin API is disabled or an identity token was sent,
   *   UNAUTHENTICATED when the token is missing or wrong, RATE_LIMITED (`reason: ADMIN_LOCKOUT`)
   *   while the client's address is locked out after repeated wrong tokens.
   */
  requireAdmin(): Promise<void>;
  /** The bearer token as sent, or null (the developer key of `getTokenForDeveloperIdentity`). */
  bearerToken(): string | null;
  /**
   * Takes a token from this client address's bucket in the pool (unknown pools share one bucket).
   * @throws SyncpoolError RATE_LIMITED.
   */
  throttleAddress(poolId: string): Promise<void>;
  /** The client's address (`server/client-address.ts`), for per-address quotas such as new guests. */
  clientAddress(): string;
}

/** What the context needs from the server. */
export interface ContextDeps {
  tokens: TokenService;
  pools: PoolRegistry;
  /** Identity status, checked on every authenticated request. */
  storage: { readonly identities: Pick<IdentityStore, "getIdentityStatus">; readonly groups: Pick<GroupStore, "listIdentityGroups"> };
  limiter: RateLimiter;
  /** SYNCPOOL_ADMIN_TOKEN, or null when the admin API is disabled. */
  adminToken: string | null;
  /** Locks out addresses that keep sending wrong admin tokens. */
  adminLockout: AdminLockout;
  /** Proxies in front of the server whose X-Forwarded-For entries are trusted (0: none). */
  trustedProxyHops?: number;
}

/** What yoga hands the context factory: the request, and under Node the socket's request. */
interface InitialContext {
  request: Request;
  req?: { socket?: { remoteAddress?: string | undefined } };
}

interface Verified {
  caller: Caller;
  subject: PolicySubject;
  pool: PoolSettings;
  authenticated: boolean;
  /** Groups the token carries (a user pool's), counted with stored memberships for shared datasets. */
  groups: readonly string[];
}

/** Returns yoga's `context` function. */
export function createContextFactory(deps: ContextDeps): (initial: InitialContext) => GraphQLContext {
  const adminDigest = deps.adminToken === null ? null : sha256(deps.adminToken);

  return (initial) => {
    const header = initial.request.headers.get("authorization");
    // Behind a proxy every client shares the proxy's address unless its hops are trusted; an IPv6
    // client counts by its /64, the block one subscriber is handed.
    const address = addressBucket(clientAddress(initial.req?.socket?.remoteAddress, initial.request.headers.get("x-forwarded-for"), deps.trustedProxyHops ?? 0));
    let verified: Promise<Verified> | undefined;
    const verify = () => (verified ??= verifyCaller(deps, header, address));

    const requireAdmin = async () => {
      if (adminDigest === null) {
        throw new SyncpoolError("FORBIDDEN", "the admin API is disabled: start the server with SYNCPOOL_ADMIN_TOKEN set");
      }
      // Checked before the token, so a locked-out address learns nothing from any guess.
      deps.adminLockout.check(address);
      const token = bearerToken(header);
      if (token !== null && timingSafeEqual(sha256(token), adminDigest)) {
        deps.adminLockout.succeed(address);
        return;
      }
      if (token !== null && (await verify().then(() => true, () => false))) {
        throw new SyncpoolError("FORBIDDEN", "an identity token cannot call admin operations: send the admin token");
      }
      // A missing token is a mistake, not a guess; only wrong tokens count toward a lockout.
      if (token !== null) deps.adminLockout.fail(address);
      throw new SyncpoolError("UNAUTHENTICATED", "admin operations need 'Authorization: Bearer <admin token>'");
    };

    return {
      caller: async () => (await verify()).caller,
      async authorize(dataset, ...actions) {
        const { caller, subject, pool } = await verify();
        if (!isAllowed(pool, subject, actions, dataset)) {
          throw new SyncpoolError("FORBIDDEN", `role "${subject.role ?? "(none)"}" may not ${actions.join(" and ")} dataset "${dataset}"`, {
            reason: "POLICY_DENIED",
            actions,
            dataset,
          });
        }
        return caller;
      },
      async authorizeShared(dataset, ...actions) {
        return sharedCaller(deps.storage.groups, await verify(), dataset, actions);
      },
      async sharedListening(dataset) {
        return sharedListening(deps.storage.groups, await verify(), dataset);
      },
      async readableDatasets() {
        const { subject, pool } = await verify();
        return readableBy(pool, subject);
      },
      requireAdmin,
      bearerToken: () => bearerToken(header),
      clientAddress: () => address,
      async throttleAddress(poolId) {
        const pool = await deps.pools.get(poolId);
        deps.limiter.take("perAddress", `${pool?.id ?? "\u0000unknown"}\u0000${address}`, pool?.rateLimits.perAddress ?? DEFAULT_RATE_LIMITS.perAddress);
      },
    };
  };
}

async function verifyCaller(deps: ContextDeps, header: string | null, address: string): Promise<Verified> {
  const token = bearerToken(header);
  if (token === null) {
    throw new SyncpoolError("UNAUTHENTICATED", "sign in first: send 'Authorization: Bearer <token>' from signIn");
  }
  const claims = await deps.tokens.verify(token);
  const pool = await deps.pools.get(claims.poolId);
  if (!pool) throw new SyncpoolError("UNAUTHENTICATED", "invalid token: its identity pool does not exist");
  const status = await deps.storage.identities.getIdentityStatus(claims.identityId);
  if (status === null || status.poolId !== pool.id) throw new SyncpoolError("UNAUTHENTICATED", "invalid token: its identity does not exist");
  if (status.disabledAt !== null) throw identityDisabled(status);
  deps.limiter.take("perIdentity", claims.identityId, pool.rateLimits.perIdentity);
  deps.limiter.take("perAddress", `${pool.id}\u0000${address}`, pool.rateLimits.perAddress);
  return {
    caller: { identityId: claims.identityId, poolId: claims.poolId, limits: pool.limits },
    subject: { identityId: claims.identityId, poolId: claims.poolId, role: claims.role, tags: claims.tags },
    pool,
    authenticated: claims.authenticated,
    groups: claims.groups ?? [],
  };
}

/**
 * The read test of `readableDatasets`, made outside the context's scope: a live subscription keeps
 * it for as long as it listens, and it should keep the pool and the subject, not the whole request.
 */
function readableBy(pool: PoolSettings, subject: PolicySubject): (dataset: string) => boolean {
  // A pool without roles lets everyone read everything, and a role it does not define reads
  // nothing: one shared test each, holding neither (thousands of idle subscriptions keep theirs).
  if (Object.keys(pool.roles).length === 0) return readsAll;
  if (subject.role === null || !Object.hasOwn(pool.roles, subject.role)) return readsNone;
  return (dataset) => isAllowed(pool, subject, ["read"], dataset);
}
const readsAll = (): boolean => true;
const readsNone = (): boolean => false;

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
