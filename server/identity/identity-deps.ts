/**
 * What the identity operations (sign-in, developer identities, linking, administration) need from
 * the server, assembled once in `server/create-server.ts`.
 */
import type { Limits } from "../../core/types.js";
import type { Storage } from "../storage/storage.js";
import type { SyncDeps } from "../sync/types.js";
import type { GuestQuota } from "./guest-quota.js";
import type { JwksCache } from "./jwks-cache.js";
import type { PoolRegistry } from "./pools.js";
import type { TokenService } from "./tokens.js";

/** The identity operations' dependencies. */
export interface IdentityDeps {
  storage: Storage;
  pools: PoolRegistry;
  tokens: TokenService;
  /** Server time, epoch ms. */
  now: () => number;
  /** OIDC providers' key sets. */
  jwks: JwksCache;
  /** The sync layer, for guest merges (`server/sync/merge-identities.ts`). */
  sync: SyncDeps;
  /** New guests per client address and hour, shared by every door that creates guests. */
  guestQuota: GuestQuota;
}

/** The answer to a sign-in; `deviceSecret` is set only when a guest was just created. */
export interface Session {
  identityId: string;
  token: string;
  expiresAt: number;
  deviceSecret: string | null;
  /** Identities merged into this one during this call. */
  mergedIdentityIds: string[];
  /** The pool's limits: clients check local writes against them. */
  limits: Limits;
}
