/**
 * Who calls the model API, and what the model's `@auth` rules let them do. Credentials, as
 * DataStore sends them in each auth mode:
 *
 * - `apiKey`: a key of the pool (`x-api-key`, issued by `createApiKey`);
 * - `userPool` and `oidc`: a token sent raw in `Authorization` (`Bearer ` is accepted too): a
 *   syncpool identity token, a syncpool user pool's access or ID token, or a federated OIDC ID
 *   token of a provider the identity pool trusts (`login-token-identity.ts`). Every one of them
 *   stands for an identity of the pool: a login token for the identity the pool gives its login.
 *
 * Rules, each checked for the operation at hand (`operations`, empty granting all; `read` grants
 * get, list, sync and listen):
 *
 * - `allow: public` admits API keys (provider `apiKey`, AppSync's default for public);
 * - `allow: private` admits tokens of authenticated identities (signed in with a login, not guests);
 * - `allow: groups` with static `groups` admits tokens whose group claim (`groupClaim`, default
 *   `cognito:groups`; for an identity token, the groups its sign-in brought) names one of them;
 * - `allow: owner` admits every token, in the identity's own data: the owner is the caller's
 *   identity whichever claim the rule names. An owner a client names (a subscription's owner
 *   argument, a written owner field) is the caller when it is the identity id or the token's
 *   value of the rule's `identityClaim` (`ownerNamesCaller`), and anyone else otherwise;
 * - dynamic group rules (`groupsField`), `iam` and `function` providers and `custom` admit nobody.
 *
 * A model whose owner rules stand alone (`ModelDef.ownerScoped`: no public, private or static
 * groups rule served beside them) keeps its items in their owners' own data. A model with an owner
 * rule beside such rules keeps them in the pool's shared data, each item naming its owner in the
 * owner field: a caller that another rule admits for the operation reaches every item (`scope:
 * "shared"`), one only the owner rule admits reaches its own (`itemsReachedBy`).
 *
 * A credential that is missing, wrong or expired is no principal (the API
 * answers 401 `UnauthorizedException`); a principal no rule admits gets a field error
 * `Unauthorized` (HTTP 200). Both make DataStore's multi-auth try its next mode.
 */
import { SyncpoolError } from "../../core/errors.js";
import type { TokenClaims } from "../identity/tokens.js";
import { poolOwnerId } from "../identity/shared-access.js";
import type { IdentityStore } from "../storage/identity-store.js";
import { verifyApiKey } from "./api-keys.js";
import type { LoginTokenIdentity } from "./login-token-identity.js";
import type { AuthRule, ModelDef } from "./model-schema.js";

/** A verified caller of the model API; `claims` are the token's (groups, username) when it carried any. */
export type ModelPrincipal =
  | { kind: "apiKey" }
  | { kind: "identity"; identityId: string; authenticated: boolean; claims?: Readonly<Record<string, unknown>> };

/**
 * Which of a model's items a principal reaches: every item (`shared`), or only its own (`owner`:
 * the identity's own data for a model kept per owner, its items of the shared data otherwise).
 */
export type ModelAccess = { scope: "shared" } | { scope: "owner"; identityId: string; ownerField: string };

/** What a request does to a model, as `@auth` rules' `operations` name it (`read` covers the last four). */
export type ModelOperation = "create" | "update" | "delete" | "get" | "list" | "sync" | "listen";

/** The operations `read` stands for in a rule. */
const READ_OPERATIONS: ReadonlySet<ModelOperation> = new Set(["get", "list", "sync", "listen"]);

/** What proving a principal needs. */
export interface PrincipalDeps {
  sessionSecrets: () => readonly Uint8Array[];
  now: () => number;
  verifyToken: (token: string) => Promise<TokenClaims>;
  identities: Pick<IdentityStore, "getIdentityStatus">;
  /** The identity a user-pool or federated login token reaches in pool `poolId` (null: not one); absent, only identity tokens are read. */
  loginIdentityOf?: (token: string, poolId: string) => Promise<LoginTokenIdentity | null>;
}

/** The principal `request` proves for pool `poolId`, or null (no credential, a wrong, expired or foreign one). */
export async function principalOf(request: Request, poolId: string, deps: PrincipalDeps): Promise<ModelPrincipal | null> {
  return principalOfHeaders(request.headers, poolId, deps);
}

/**
 * The principal a set of headers proves: the HTTP request's, or the ones a realtime connection
 * or `start` message carries (`x-api-key`, `Authorization`), header names in any case.
 */
export async function principalOfHeaders(headers: Headers | Readonly<Record<string, string>>, poolId: string, deps: PrincipalDeps): Promise<ModelPrincipal | null> {
  const read = headers instanceof Headers ? (name: string) => headers.get(name) : (name: string) => headerOf(headers, name);
  const apiKey = read("x-api-key");
  if (apiKey !== null) return verifyApiKey(deps.sessionSecrets(), apiKey, deps.now()) === poolId ? { kind: "apiKey" } : null;
  const header = read("authorization");
  if (header === null) return null;
  const token = header.replace(/^Bearer\s+/i, "").trim();
  if (token === "") return null;
  const caller = (await identityTokenCaller(token, poolId, deps)) ?? (await loginTokenCaller(token, poolId, deps));
  if (caller === null) return null;
  const status = await deps.identities.getIdentityStatus(caller.identityId);
  if (status === null || status.poolId !== poolId || status.disabledAt !== null) return null;
  return { kind: "identity", ...caller };
}

type Caller = { identityId: string; authenticated: boolean; claims: Record<string, unknown> };

async function identityTokenCaller(token: string, poolId: string, deps: PrincipalDeps): Promise<Caller | null> {
  let claims: TokenClaims;
  try {
    claims = await deps.verifyToken(token);
  } catch (error) {
    if (error instanceof SyncpoolError) return null;
    throw error;
  }
  if (claims.poolId !== poolId) return null;
  // The groups the sign-in brought (a user pool's `cognito:groups`) answer groups rules as the login token would.
  return { identityId: claims.identityId, authenticated: claims.authenticated, claims: { "cognito:groups": claims.groups ?? [] } };
}

async function loginTokenCaller(token: string, poolId: string, deps: PrincipalDeps): Promise<Caller | null> {
  const login = deps.loginIdentityOf ? await deps.loginIdentityOf(token, poolId) : null;
  return login === null ? null : { identityId: login.identityId, authenticated: true, claims: login.claims };
}

function headerOf(headers: Readonly<Record<string, string>>, name: string): string | null {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === "string" ? value : null;
}

/** Whether `rule` grants `operation` (no `operations` grants all). */
export function ruleGrants(rule: AuthRule, operation: ModelOperation): boolean {
  if (rule.operations.length === 0) return true;
  return rule.operations.includes(operation) || (READ_OPERATIONS.has(operation) && rule.operations.includes("read"));
}

/**
 * Where `principal`'s items of `model` live for `operation`, or null when no rule of the model
 * admits it for that operation. Without an operation: reading (`sync`), as before operations were
 * enforced.
 */
export function accessOf(principal: ModelPrincipal, model: ModelDef, operation: ModelOperation = "sync"): ModelAccess | null {
  // A public, private or groups rule granting the operation reaches every item, the owners' included.
  if (model.auth.some((rule) => rule.allow !== "owner" && ruleGrants(rule, operation) && ruleAdmits(rule, principal))) return { scope: "shared" };
  const owner = model.auth.find((rule) => rule.allow === "owner");
  if (!owner || principal.kind !== "identity" || !tokenProvider(owner)) return null;
  const granted = model.auth.some((rule) => rule.allow === "owner" && tokenProvider(rule) && ruleGrants(rule, operation));
  return granted ? { scope: "owner", identityId: principal.identityId, ownerField: owner.ownerField } : null;
}

/** The owner id whose data holds `model`'s items for `access`: the identity's own for a model kept per owner, the pool's shared data otherwise. */
export function dataOwnerOf(model: ModelDef, access: ModelAccess, poolId: string): string {
  return model.ownerScoped && access.scope === "owner" ? access.identityId : poolOwnerId(poolId);
}

/**
 * Which items of the dataset `dataOwnerOf` names `principal` reaches with `access`, or null for
 * all of them: a model kept per owner holds only the caller's items there; in the shared data an
 * owner-scoped caller reaches the items an owner field names it in (`ownsItem`).
 */
export function itemsReachedBy(principal: ModelPrincipal, model: ModelDef, access: ModelAccess): ((item: Readonly<Record<string, unknown>>) => boolean) | null {
  if (access.scope === "shared" || model.ownerScoped) return null;
  return (item) => ownsItem(principal, model, item);
}

/** Whether an owner field of `item` (one per owner rule of `model`) names `principal`. */
export function ownsItem(principal: ModelPrincipal, model: ModelDef, item: Readonly<Record<string, unknown>>): boolean {
  return model.auth.some((rule) => rule.allow === "owner" && ownerNamesCaller(principal, rule, item[rule.ownerField]));
}

/**
 * What a realtime subscription of `principal` to `model` may receive, or null to refuse it with
 * `Unauthorized`: the `listen` operation. For `owner` access, deliver only the items of
 * `identityId`'s own data; owner arguments are checked apart (`namesOnlyCaller`).
 */
export function subscriptionAccessOf(principal: ModelPrincipal, model: ModelDef): ModelAccess | null {
  return accessOf(principal, model, "listen");
}

/**
 * Whether `value`, given as the owner under `rule`'s `ownerField`, names `principal`: its identity
 * id, or what its token holds for the rule's `identityClaim`. DataStore in `userPool` mode sends the
 * access token but takes the owner argument from the ID token, so as on AppSync `cognito:username`
 * (ID token) and `username` (access token) stand for each other; a composite claim such as
 * `sub::username` is named by the joined values or by either part.
 */
export function ownerNamesCaller(principal: ModelPrincipal, rule: AuthRule, value: unknown): boolean {
  if (principal.kind !== "identity" || typeof value !== "string") return false;
  return value === principal.identityId || claimNamesOf(principal.claims, rule.identityClaim).includes(value);
}

/**
 * Whether every owner `values` name is `principal`: for each owner rule of `model`, the value under
 * its `ownerField` (a subscription's arguments, a mutation's input). Absent and null name nobody.
 */
export function namesOnlyCaller(principal: ModelPrincipal, model: ModelDef, values: Readonly<Record<string, unknown>>): boolean {
  return model.auth.every((rule) => rule.allow !== "owner" || values[rule.ownerField] === undefined || values[rule.ownerField] === null || ownerNamesCaller(principal, rule, values[rule.ownerField]));
}

/** The values naming the holder of `claims` under `identityClaim` (`a::b`: "<a>::<b>", "<a>", "<b>"). */
function claimNamesOf(claims: Readonly<Record<string, unknown>> | undefined, identityClaim: string): string[] {
  const parts = identityClaim.split("::").map((name) => claimValue(claims, name));
  const names = parts.filter((part): part is string => part !== null);
  if (parts.length > 1 && names.length === parts.length) names.push(names.join("::"));
  return names;
}

/** A claim as a non-empty string, or null; `cognito:username` and `username` answer for each other. */
function claimValue(claims: Readonly<Record<string, unknown>> | undefined, name: string): string | null {
  const alias = name === "cognito:username" ? "username" : name === "username" ? "cognito:username" : null;
  const value = claims?.[name] ?? (alias === null ? undefined : claims?.[alias]);
  return typeof value === "string" && value !== "" ? value : null;
}

/** Whether a non-owner rule admits `principal` (operations aside). */
function ruleAdmits(rule: AuthRule, principal: ModelPrincipal): boolean {
  if (principal.kind === "apiKey") return rule.allow === "public" && (rule.provider === null || rule.provider === "apiKey");
  if (!tokenProvider(rule)) return false;
  if (rule.allow === "private") return principal.authenticated;
  if (rule.allow === "groups" && rule.groupsField === null) {
    const member = groupsOf(principal.claims?.[rule.groupClaim]);
    return rule.groups.some((group) => member.has(group));
  }
  return false;
}

/** Rules DataStore answers with a token in `Authorization`: provider `userPools` or `oidc` (the default for all but public). */
function tokenProvider(rule: AuthRule): boolean {
  return rule.allow !== "public" && (rule.provider === null || rule.provider === "userPools" || rule.provider === "oidc");
}

/** A group claim as a set: an array of names, or one name (OIDC providers send either). */
function groupsOf(claim: unknown): Set<string> {
  if (typeof claim === "string") return new Set([claim]);
  return new Set(Array.isArray(claim) ? claim.filter((group): group is string => typeof group === "string") : []);
}
