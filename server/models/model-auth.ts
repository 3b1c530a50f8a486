/**
 * Who calls the model API, and where their items live. Two modes are served:
 *
 * - `apiKey`: a key of the pool (`x-api-key`, issued by `createApiKey`) reaches models with an
 *   `allow: public` rule whose provider is `apiKey` (AppSync's default for public);
 * - a syncpool identity token sent raw in `Authorization` (as DataStore sends tokens in its
 *   `userPool` and `oidc` modes; `Bearer ` is accepted too) reaches models with an `allow: owner`
 *   rule, in the identity's own data, and models with an `allow: private` rule, for signed-in
 *   (authenticated) identities, in the pool's shared data.
 *
 * A model with an owner rule keeps its items in their owners' data whoever asks: an API key or a
 * private rule does not reach them (not yet). Rules' `operations` are not narrowed yet.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { TokenClaims } from "../identity/tokens.js";
import type { IdentityStore } from "../storage/identity-store.js";
import { verifyApiKey } from "./api-keys.js";
import type { ModelDef } from "./model-schema.js";

/** A verified caller of the model API. */
export type ModelPrincipal = { kind: "apiKey" } | { kind: "identity"; identityId: string; authenticated: boolean };

/** Where a principal's items of a model live: the pool's shared data, or the identity's own. */
export type ModelAccess = { scope: "shared" } | { scope: "owner"; identityId: string; ownerField: string };

/** What proving a principal needs. */
export interface PrincipalDeps {
  sessionSecrets: () => readonly Uint8Array[];
  now: () => number;
  verifyToken: (token: string) => Promise<TokenClaims>;
  identities: Pick<IdentityStore, "getIdentityStatus">;
}

/** The principal `request` proves for pool `poolId`, or null (no credential, a wrong, expired or foreign one). */
export async function principalOf(request: Request, poolId: string, deps: PrincipalDeps): Promise<ModelPrincipal | null> {
  const apiKey = request.headers.get("x-api-key");
  if (apiKey !== null) return verifyApiKey(deps.sessionSecrets(), apiKey, deps.now()) === poolId ? { kind: "apiKey" } : null;
  const header = request.headers.get("authorization");
  if (header === null) return null;
  const token = header.replace(/^Bearer\s+/i, "").trim();
  let claims: TokenClaims;
  try {
    claims = await deps.verifyToken(token);
  } catch (error) {
    if (error instanceof SyncpoolError) return null;
    throw error;
  }
  if (claims.poolId !== poolId) return null;
  const status = await deps.identities.getIdentityStatus(claims.identityId);
  if (status === null || status.poolId !== poolId || status.disabledAt !== null) return null;
  return { kind: "identity", identityId: claims.identityId, authenticated: claims.authenticated };
}

/** Where `principal`'s items of `model` live, or null when no rule of the model admits it. */
export function accessOf(principal: ModelPrincipal, model: ModelDef): ModelAccess | null {
  const owner = model.auth.find((rule) => rule.allow === "owner");
  if (owner) return principal.kind === "identity" ? { scope: "owner", identityId: principal.identityId, ownerField: owner.ownerField } : null;
  const admits = model.auth.some((rule) =>
    principal.kind === "apiKey"
      ? rule.allow === "public" && (rule.provider === null || rule.provider === "apiKey")
      : rule.allow === "private" && principal.authenticated,
  );
  return admits ? { scope: "shared" } : null;
}
