/**
 * The built-in user pool's orchestrator: gives each configured pool its signing key (loaded on first use), and answers
 * Cognito's user-pool API as unmodified Amplify and the AWS SDK call it:
 *
 *   POST <prefix>/cognito-idp                                    AWS JSON 1.1, X-Amz-Target: AWSCognitoIdentityProviderService.<Op>
 *   GET  <prefix>/cognito-idp/<poolId>/.well-known/jwks.json     the pool's public key
 *   GET  <prefix>/cognito-idp/<poolId>/.well-known/openid-configuration
 *   /auth/<poolId>/...                                           the hosted UI and OAuth2 endpoints (`oauth/hosted-ui.ts`)
 *
 * The issuer of a pool's tokens is `<public url><prefix>/cognito-idp/<poolId>`. Identity pools that a
 * user pool names accept its ID tokens as logins (`linkTo`), under both keys Amplify and Cognito
 * use: the issuer without its scheme, and `cognito-idp.<region>.amazonaws.com/<poolId>`; their key
 * set is read in-process (`localFetch`), never over the network.
 * Group and Admin* operations (`groups.ts`, `admin-users.ts`) are the pool's developer's, signed with SigV4 (`admin-auth.ts`).
 * Errors: HTTP 400 with the exception's name in `__type` and `x-amzn-errortype` (`user-pool-errors.ts`);
 * anything unexpected is logged and answered as InternalErrorException.
 */
import { createHmac } from "node:crypto";
import { decodeJwt, type JWTPayload } from "jose";
import { clientAddress } from "../client-address.js";
import type { FetchLike } from "../identity/jwks-cache.js";
import type { RoleMapping } from "../identity/access-settings.js";
import type { PoolSettings } from "../identity/pool-settings.js";
import type { Logger } from "../logger.js";
import type { OutboundPolicy } from "../outbound-http.js";
import { createPostSigned, type PostSigned } from "../stream/post-signed.js";
import type { SecretBox } from "../secret-box.js";
import type { KeyStore } from "../storage/key-store.js";
import type { AuthEventStore } from "../storage/auth-event-store.js";
import type { UserPoolStore } from "../storage/user-pool-store.js";
import { createAddressLimits } from "./address-limits.js";
import { adminPoolOf, authenticateAdmin } from "./admin-auth.js";
import { auditedOperation } from "./audited-operation.js";
import { breachedPasswordList } from "./breached-passwords.js";
import { createAuditLog, type AuditLogDeps } from "./audit-log.js";
import { migrateCustomAttributes } from "./attribute-schema.js";
import { createCodeMailer } from "./code-mailer.js";
import { createSmsSender } from "./sms-sender.js";
import { createMigrationSources } from "./migration/cognito-migration-source.js";
import { createUserPoolTriggers } from "./triggers/user-pool-triggers.js";
import type { UserPoolsConfig } from "./user-pool-config.js";
import { DEVELOPER_OPERATIONS, OPERATIONS } from "./user-pool-operations.js";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "./user-pool-deps.js";
import { UserPoolError, userPoolErrorResponse } from "./user-pool-errors.js";
import { verifyAccessToken } from "./user-pool-tokens.js";
import type { Body } from "./user-pool-input.js";
import { jwksOf, userPoolKey, USER_POOL_TOKEN_ALGORITHM } from "./user-pool-keys.js";
import { createHostedUi, hostedUiBaseOf } from "./oauth/hosted-ui.js";

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
/** What the service is built from (`server/create-server.ts` assembles it). */
export interface UserPoolServiceOptions {
  config: UserPoolsConfig;
  /** The AWS endpoints' path prefix (`/aws`). */
  pathPrefix: string;
  store: UserPoolStore;
  /** The audit log's rows, appended with their stream events. */
  authEvents: AuthEventStore;
  /** The stream shard count of an identity pool (null: no such pool), where linked user pools' auth events go. */
  streamShardsOf: AuditLogDeps["streamShardsOf"];
  /** Told after an auth event was appended to the stream. */
  onStreamAppended(): void;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted for the caller's address (`client-address.ts`). */
  trustedProxyHops: number;
  keys: KeyStore;
  box: SecretBox;
  /** A server secret shared by every instance and never rotated; the session and hash keys derive from it. */
  secret: Uint8Array;
  dataDir: string;
  /** The developer key pair of an identity pool, which signs the group and Admin* operations (`admin-auth.ts`). */
  developerCredentialsOf: UserPoolDeps["developerCredentialsOf"];
  /** The config file (trigger module paths are relative to its directory); null: none. */
  configFile: string | null;
  /** What trigger endpoints and the SMS sender's webhook may be (`server/outbound-http.ts`). */
  outbound: OutboundPolicy;
  /** How trigger endpoints and the SMS sender are called; signed POSTs under `outbound` by default. */
  post?: PostSigned;
  now: () => number;
  /** Monotonic milliseconds for the per-address buckets (`address-limits.ts`); `performance.now` by default. */
  rateLimitClock?: () => number;
  logger: Logger;
}

/** The user-pool endpoints of one server. */
export interface UserPoolService {
  handles(path: string): boolean;
  /** Answers one request; `socketAddress` is the TCP peer (undefined in-process), for the audit log's IpAddress. */
  fetch(request: Request, socketAddress?: string): Promise<Response>;
  /** `settings` with the logins of every user pool linked to that identity pool added. */
  linkTo(settings: PoolSettings): PoolSettings;
  /** `fallback`, except that the user pools' own discovery and key-set URLs are answered in-process. */
  localFetch(fallback: FetchLike): FetchLike;
  /** The issuer of a pool's tokens. */
  issuerOf(poolId: string): string | null;
  /**
   * The claims of `token` when it is a valid access token of one of the pools: signed, unexpired,
   * its sign-in session not revoked, its user present and enabled (as the API's own calls check
   * it); null otherwise. The model API takes these tokens in `Authorization`.
   */
  verifyAccessToken(token: string): Promise<JWTPayload | null>;
  close(): void;
}

/** Builds the service; see the module comment. */
export async function createUserPoolService(options: UserPoolServiceOptions): Promise<UserPoolService> {
  const { config, pathPrefix, logger } = options;
  const base = `${pathPrefix}/cognito-idp`;
  const pools = new Map<string, LoadedUserPool>();
  const clients = new Map<string, LoadedClient>();
  for (const settings of config.pools) {
    const pool: LoadedUserPool = { settings, key: userPoolKey(options.keys, options.box, settings.id, options.now), issuer: `${config.publicUrl}${base}/${settings.id}`, srpPoolName: settings.id.split("_")[1]! };
    pools.set(settings.id, pool);
    for (const client of settings.clients) {
      if (clients.has(client.id)) throw new Error(`user pool app client id "${client.id}" is used by two pools: client ids must be unique`);
      clients.set(client.id, { pool, client });
    }
  }
  // Renamed custom attributes move before the first request is answered.
  for (const settings of config.pools) await migrateCustomAttributes(options.store, settings, logger);
  // A breached-password list that cannot be read stops the start, not the first sign-up.
  for (const { passwordPolicy } of config.pools) if (passwordPolicy.breachedPasswords) await breachedPasswordList(passwordPolicy.breachedPasswords.file);
  const derive = (label: string) => new Uint8Array(createHmac("sha256", options.secret).update(label).digest());
  const mailer = createCodeMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: options.dataDir, logger });
  const auditLog = createAuditLog({
    store: options.authEvents,
    linkedIdentityPoolOf: (poolId) => pools.get(poolId)?.settings.identityPool ?? null,
    streamShardsOf: options.streamShardsOf,
    onAppended: options.onStreamAppended,
    now: options.now,
  });
  const deps: UserPoolDeps = {
    store: options.store,
    pools,
    clients,
    box: options.box,
    sessionKey: derive("syncpool user-pool sessions v1"),
    hashKey: derive("syncpool user-pool hashes v1"),
    mailer,
    triggers: createUserPoolTriggers({ pools: config.pools, configFile: options.configFile, post: options.post ?? createPostSigned(options.outbound), now: options.now, logger }),
    audit: auditLog.forRequest(null),
    sms: createSmsSender({ post: options.post ?? createPostSigned(options.outbound), now: options.now, logger }),
    developerCredentialsOf: options.developerCredentialsOf,
    migrationSourceOf: createMigrationSources(config.pools, config.migrationCredentials ?? null, logger),
    now: options.now,
    logger,
  };

  const addressLimits = createAddressLimits(options.rateLimitClock ? { clock: options.rateLimitClock } : {});
  const wellKnown = async (path: string): Promise<Response | null> => {
    const match = /^\/([^/]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path.slice(base.length));
    const pool = match ? pools.get(match[1]!) : undefined;
    if (!match || !pool) return null;
    const body = match[2] === "jwks.json" ? jwksOf(await pool.key.get()) : discoveryOf(pool, hostedUiBaseOf(config.publicUrl, pool.settings.id));
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json", "cache-control": "public, max-age=300", ...CORS } });
  };

  const answer = async (request: Request, socketAddress: string | undefined): Promise<Response> => {
    const target = request.headers.get("x-amz-target") ?? "";
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
    const operation = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    const developerOperation = Object.hasOwn(DEVELOPER_OPERATIONS, name) ? DEVELOPER_OPERATIONS[name] : undefined;
    if (operation === undefined && developerOperation === undefined) throw new UserPoolError("UnknownOperationException", `Unknown operation ${target.slice(0, 128)}`);
    // The bytes are kept: a developer call's signature covers their hash.
    const bytes = new Uint8Array(await request.arrayBuffer());
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new UserPoolError("InvalidParameterException", "The request body is not JSON.");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new UserPoolError("InvalidParameterException", "The request body must be a JSON object.");
    const ipAddress = clientAddress(socketAddress, request.headers.get("x-forwarded-for"), options.trustedProxyHops);
    // Before anything runs: a refused request changes nothing.
    const clientId = (body as Body)["ClientId"];
    addressLimits.take(name, typeof clientId === "string" ? (clients.get(clientId)?.pool ?? null) : null, ipAddress);
    const requestDeps: UserPoolDeps = { ...deps, audit: auditLog.forRequest({ ipAddress, deviceName: request.headers.get("user-agent")?.slice(0, 256) ?? null }) };
    let result: unknown;
    if (developerOperation !== undefined) {
      const pool = adminPoolOf(deps, body as Body);
      const url = new URL(request.url);
      await authenticateAdmin(deps, { method: request.method, rawPath: url.pathname, rawQuery: url.search.replace(/^\?/, ""), headers: request.headers, body: bytes }, pool);
      result = await auditedOperation(requestDeps, name, body as Body, () => developerOperation(requestDeps, body as Body, pool));
    } else {
      result = await auditedOperation(requestDeps, name, body as Body, () => operation!(requestDeps, body as Body));
    }
    return Response.json(result, { headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": crypto.randomUUID(), ...CORS } });
  };

  // The hosted sign-in form's POSTs take from the same per-address sign-in bucket as InitiateAuth.
  const hostedUi = createHostedUi(deps, config.publicUrl.startsWith("https:"), (request, socketAddress, pool) =>
    addressLimits.takeFrom("signIn", pool, clientAddress(socketAddress, request.headers.get("x-forwarded-for"), options.trustedProxyHops)),
  );
  return {
    handles: (path) => path === base || path === `${base}/` || path.startsWith(`${base}/`) || hostedUi.handles(path),
    async fetch(request, socketAddress) {
      const path = new URL(request.url).pathname;
      if (hostedUi.handles(path)) return hostedUi.fetch(request, socketAddress);
      if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: PREFLIGHT });
      if (request.method === "GET" || request.method === "HEAD") return (await wellKnown(path)) ?? new Response("Not Found", { status: 404 });
      if (request.method !== "POST" || (path !== base && path !== `${base}/`)) return new Response("Not Found", { status: 404 });
      try {
        return await answer(request, socketAddress);
      } catch (error) {
        const known = error instanceof UserPoolError ? error : null;
        if (known === null) logger.error({ err: error }, "unexpected error in the user-pool API (masked in the response)");
        else logger.debug({ type: known.type }, known.message);
        const response = userPoolErrorResponse(known ?? new UserPoolError("InternalErrorException", "Internal server error."));
        for (const [name, value] of Object.entries(CORS)) response.headers.set(name, value);
        return response;
      }
    },
    linkTo(settings) {
      const linked = [...pools.values()].filter((pool) => pool.settings.identityPool === settings.id);
      const providers = linked
        .filter((pool) => !settings.providers.some((provider) => provider.issuer === pool.issuer))
        .map((pool) => ({
          name: `cognito-idp.${pool.settings.id.split("_")[0]}.amazonaws.com/${pool.settings.id}`,
          issuer: pool.issuer,
          audiences: pool.settings.clients.map((client) => client.id),
          jwksUri: `${pool.issuer}/.well-known/jwks.json`,
          allowInsecureHttp: true,
          jwksTimeoutMs: 5000,
        }));
      if (providers.length === 0) return settings;
      // Cognito's "Choose role from token": a user's groups choose the role (`cognito:roles`,
      // `cognito:preferred_role`); a token naming none gets the authenticated role. Only pools with roles map them.
      const roleMappings = { ...settings.roleMappings };
      if (Object.keys(settings.roles).length > 0) for (const provider of providers) roleMappings[provider.name] ??= { ...TOKEN_ROLE_MAPPING };
      return { ...settings, providers: [...settings.providers, ...providers], roleMappings };
    },
    localFetch(fallback) {
      return async (url, init) => {
        const parsed = new URL(url);
        const own = `${parsed.origin}${parsed.pathname}`.startsWith(`${config.publicUrl}${base}/`);
        return own ? ((await wellKnown(parsed.pathname)) ?? new Response("Not Found", { status: 404 })) : fallback(url, init);
      };
    },
    issuerOf: (poolId) => pools.get(poolId)?.issuer ?? null,
    async verifyAccessToken(token) {
      try {
        const { pool } = await verifyAccessToken(deps, token);
        return { ...decodeJwt(token), iss: pool.issuer };
      } catch (error) {
        if (error instanceof UserPoolError) return null;
        throw error;
      }
    },
    close: () => mailer.close(),
  };
}

/** The role mapping linked identity pools use for a user pool's logins unless they name one. */
const TOKEN_ROLE_MAPPING: RoleMapping = { type: "token", claim: "cognito:roles", preferredRoleClaim: "cognito:preferred_role", ambiguousRoleResolution: "AUTHENTICATED_ROLE" };

/** Responses may be read by any origin: no cookies are involved, tokens travel in bodies. */
const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "x-amzn-errortype, x-amzn-requestid, retry-after" };
const PREFLIGHT = {
  ...CORS,
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "content-type, x-amz-target, x-amz-user-agent, cache-control, amz-sdk-invocation-id, amz-sdk-request, authorization, x-amz-date, x-amz-security-token, x-amz-content-sha256",
  "access-control-max-age": "86400",
};

function discoveryOf(pool: LoadedUserPool, hostedUiBase: string) {
  return {
    issuer: pool.issuer,
    authorization_endpoint: `${hostedUiBase}/oauth2/authorize`,
    token_endpoint: `${hostedUiBase}/oauth2/token`,
    userinfo_endpoint: `${hostedUiBase}/oauth2/userInfo`,
    revocation_endpoint: `${hostedUiBase}/oauth2/revoke`,
    end_session_endpoint: `${hostedUiBase}/logout`,
    jwks_uri: `${pool.issuer}/.well-known/jwks.json`,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [USER_POOL_TOKEN_ALGORITHM],
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "cognito:username", "origin_jti", "email", "email_verified"],
  };
}
