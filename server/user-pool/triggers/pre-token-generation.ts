/**
 * The pre token generation trigger: changes the claims of the tokens about to be signed. Version
 * 1 (`V1_0`) gets the ID token's groups and answers `claimsOverrideDetails` (claims of the ID token,
 * groups of both tokens); versions 2 and 3 (`V2_0`, `V3_0`) also get the access token's scopes and
 * answer `claimsAndScopeOverrideDetails` (`idTokenGeneration`, `accessTokenGeneration` with
 * `scopesToAdd`/`scopesToSuppress`, `groupOverrideDetails`). As in Cognito, the claims that make a
 * token what it is (issuer, subject, audience, times, ids, `token_use`, `cognito:username`,
 * `client_id`, `scope`, `username`) cannot be added, overridden or suppressed: such entries are
 * ignored (and logged); groups change only through `groupOverrideDetails`. Additions go first, then
 * suppressions.
 */
import type { JWTPayload } from "jose";
import type { UserPoolUserWithAttributes } from "../../storage/user-pool-store.js";
import type { GroupClaims } from "../group-claims.js";
import type { LoadedClient, UserPoolDeps } from "../user-pool-deps.js";
import { UserPoolError } from "../user-pool-errors.js";
import { triggerAttributes } from "./user-pool-triggers.js";

/** Claims no trigger changes (`version` is the client_credentials token's). */
const RESTRICTED = new Set([
  "version",
  "acr", "amr", "aud", "at_hash", "auth_time", "azp", "c_hash", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use", "event_id",
  "cognito:username", "client_id", "scope", "username", "cognito:groups", "cognito:roles", "cognito:preferred_role",
]);

const invalid = () => new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");

/** Where the tokens come from: Cognito's TokenGeneration_* trigger sources. */
export type TokenGenerationSource = "TokenGeneration_Authentication" | "TokenGeneration_RefreshTokens" | "TokenGeneration_NewPasswordChallenge" | "TokenGeneration_HostedAuth";

/**
 * Runs the pool's trigger, if any, and applies its answer to `idClaims` and `accessClaims` in place.
 * `groups` are the group claims the tokens were built with.
 */
export async function preTokenGeneration(
  deps: Pick<UserPoolDeps, "triggers" | "logger">,
  loaded: LoadedClient,
  user: UserPoolUserWithAttributes,
  source: TokenGenerationSource,
  idClaims: JWTPayload,
  accessClaims: JWTPayload,
  groups: GroupClaims,
): Promise<void> {
  const poolId = loaded.pool.settings.id;
  if (!deps.triggers.has(poolId, "preTokenGeneration")) return;
  const version = deps.triggers.tokenVersionOf(poolId);
  const groupConfiguration = { groupsToOverride: groups["cognito:groups"] ?? [], iamRolesToOverride: groups["cognito:roles"] ?? [], preferredRole: groups["cognito:preferred_role"] ?? null };
  const scopes = typeof accessClaims["scope"] === "string" ? accessClaims["scope"].split(" ") : [];
  const response = await deps.triggers.run(poolId, "preTokenGeneration", {
    triggerSource: source,
    userName: user.username,
    clientId: loaded.client.id,
    request: { userAttributes: triggerAttributes(user), groupConfiguration, ...(version === "1" ? {} : { scopes }), clientMetadata: {} },
    response: version === "1" ? { claimsOverrideDetails: null } : { claimsAndScopeOverrideDetails: null },
  });
  const ignored: string[] = [];
  if (version === "1") {
    const details = objectOrNull(response?.["claimsOverrideDetails"]);
    if (details === null) return;
    changeClaims(idClaims, details, ignored);
    overrideGroups(idClaims, accessClaims, objectOrNull(details["groupOverrideDetails"]));
  } else {
    applyV2(response, idClaims, accessClaims, scopes, ignored);
  }
  warnIgnored(deps, poolId, ignored);
}

/**
 * `TokenGeneration_ClientCredentials`: a V3_0 trigger changes the access token of a
 * `client_credentials` grant (no user: `userName` is the app client's id, `userAttributes` empty).
 * Pools with a V1_0 or V2_0 trigger are not called, as in Cognito.
 */
export async function clientCredentialsTokenGeneration(deps: Pick<UserPoolDeps, "triggers" | "logger">, loaded: LoadedClient, accessClaims: JWTPayload): Promise<void> {
  const poolId = loaded.pool.settings.id;
  if (!deps.triggers.has(poolId, "preTokenGeneration") || deps.triggers.tokenVersionOf(poolId) !== "3") return;
  const scopes = typeof accessClaims["scope"] === "string" ? accessClaims["scope"].split(" ") : [];
  const response = await deps.triggers.run(poolId, "preTokenGeneration", {
    triggerSource: "TokenGeneration_ClientCredentials",
    userName: loaded.client.id,
    clientId: loaded.client.id,
    request: { userAttributes: {}, groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null }, scopes, clientMetadata: {} },
    response: { claimsAndScopeOverrideDetails: null },
  });
  const ignored: string[] = [];
  applyV2(response, null, accessClaims, scopes, ignored);
  warnIgnored(deps, poolId, ignored);
}

function applyV2(response: Record<string, unknown> | null, idClaims: JWTPayload | null, accessClaims: JWTPayload, scopes: string[], ignored: string[]): void {
  const details = objectOrNull(response?.["claimsAndScopeOverrideDetails"]);
  if (details === null) return;
  const idChanges = objectOrNull(details["idTokenGeneration"]);
  const accessChanges = objectOrNull(details["accessTokenGeneration"]);
  if (idChanges !== null && idClaims !== null) changeClaims(idClaims, idChanges, ignored);
  if (accessChanges !== null) {
    changeClaims(accessClaims, accessChanges, ignored);
    const kept = new Set([...scopes, ...stringList(accessChanges["scopesToAdd"])]);
    for (const scope of stringList(accessChanges["scopesToSuppress"])) kept.delete(scope);
    accessClaims["scope"] = [...kept].join(" ");
  }
  if (idClaims !== null) overrideGroups(idClaims, accessClaims, objectOrNull(details["groupOverrideDetails"]));
}

function warnIgnored(deps: Pick<UserPoolDeps, "logger">, poolId: string, ignored: string[]): void {
  if (ignored.length > 0) deps.logger.warn({ poolId, claims: [...new Set(ignored)] }, "the pre token generation trigger tried to change claims no trigger may change: ignored");
}

function changeClaims(claims: JWTPayload, changes: Record<string, unknown>, ignored: string[]): void {
  const additions = objectOrNull(changes["claimsToAddOrOverride"]) ?? {};
  for (const [claim, value] of Object.entries(additions)) {
    if (RESTRICTED.has(claim)) ignored.push(claim);
    else if (value !== null && value !== undefined) claims[claim] = value;
  }
  for (const claim of stringList(changes["claimsToSuppress"])) {
    if (RESTRICTED.has(claim)) ignored.push(claim);
    else delete claims[claim];
  }
}

/** `groupOverrideDetails`: the groups of both tokens, the roles and preferred role of the ID token; an empty list removes the claim. */
function overrideGroups(idClaims: JWTPayload, accessClaims: JWTPayload, details: Record<string, unknown> | null): void {
  if (details === null) return;
  const set = (claims: JWTPayload, claim: string, value: string[] | string | null) => {
    if (value === null || value.length === 0) delete claims[claim];
    else claims[claim] = value;
  };
  if (details["groupsToOverride"] !== undefined && details["groupsToOverride"] !== null) {
    const groups = stringList(details["groupsToOverride"]);
    set(idClaims, "cognito:groups", groups);
    set(accessClaims, "cognito:groups", groups);
  }
  if (details["iamRolesToOverride"] !== undefined && details["iamRolesToOverride"] !== null) set(idClaims, "cognito:roles", stringList(details["iamRolesToOverride"]));
  if (details["preferredRole"] !== undefined) {
    const role = details["preferredRole"];
    if (role !== null && typeof role !== "string") throw invalid();
    set(idClaims, "cognito:preferred_role", role);
  }
}

function objectOrNull(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid();
  return value as Record<string, unknown>;
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== "string")) throw invalid();
  return value as string[];
}
