/**
 * The AWS-compatible endpoints' orchestrator: builds the three services (Cognito Identity, Cognito
 * Sync, Kinesis read side) over the server's identity, sync, push and stream parts, and answers
 * Fetch requests under the configured prefix (`/aws` by default):
 *
 *   <prefix>/cognito-identity  AWS JSON 1.1, X-Amz-Target: AWSCognitoIdentityService.<Op>
 *   <prefix>/cognito-sync      REST-JSON, the Cognito Sync paths
 *   <prefix>/kinesis           AWS JSON 1.1, X-Amz-Target: Kinesis_20131202.<Op>
 *
 * Per request, in order: read the body (bounded), refuse an unknown operation, authenticate
 * (SigV4; unsigned only for the Cognito Identity calls AWS serves unsigned), take from the rate
 * limits shared with GraphQL (`aws-throttle.ts`: as soon as the pool is known, and per identity
 * once proven), run the operation, answer JSON; every failure is
 * answered as the service would (`aws-errors.ts`), and anything unexpected is logged and masked.
 * `server/create-server.ts` creates it; a yoga plugin (`server/http-routes.ts`) routes the prefix to `fetch`.
 */
import { createHmac } from "node:crypto";
import { clientAddress } from "../client-address.js";
import type { IdentityDeps } from "../identity/identity-deps.js";
import type { RateLimiter } from "../identity/rate-limiter.js";
import type { Logger } from "../logger.js";
import type { DeviceDeps } from "../push/devices.js";
import { startBulkPublish, bulkPublishDetails, type BulkPublishDeps } from "../stream/bulk-publish.js";
import type { SyncDeps } from "../sync/types.js";
import { authenticate, type AwsAuthDeps, type AwsPrincipal } from "./aws-auth.js";
import type { AwsConfig } from "./aws-config.js";
import { errorResponse, internalError, jsonResponse, toAwsError, AwsError, type AwsServiceName } from "./aws-errors.js";
import { readAwsRequest, type AwsRequest } from "./aws-request.js";
import { createAwsThrottle, type AwsThrottle } from "./aws-throttle.js";
import { cognitoIdentityOperation, IDENTITY_OPERATIONS, UNSIGNED_IDENTITY_OPERATIONS } from "./cognito-identity.js";
import { cognitoSyncOperation, type CognitoSyncDeps } from "./cognito-sync.js";
import { kinesisOperation, type KinesisDeps } from "./kinesis.js";
import { createCredentialIssuer } from "./temporary-credentials.js";

/** What the AWS endpoints are built from (`server/create-server.ts` assembles it). */
export interface AwsServiceDeps {
  config: AwsConfig;
  identity: IdentityDeps;
  sync: SyncDeps;
  devices: DeviceDeps;
  /** The server's HMAC secret; credential and iterator keys are derived from it. */
  sessionSecret: Uint8Array;
  /** The request buckets, shared with the GraphQL API (the new-guest quota comes with `identity`). */
  limiter: RateLimiter;
  /** Proxies in front of the server whose X-Forwarded-For entries are trusted (0: none). */
  trustedProxyHops: number;
  logger: Logger;
}

/** The AWS endpoints of one server. */
export interface AwsService {
  /** True when `path` belongs to one of the three services (and the endpoints are enabled). */
  handles(path: string): boolean;
  /** Answers one request under the prefix; `socketAddress` is the TCP peer (undefined in-process), for the rate limits. */
  fetch(request: Request, socketAddress: string | undefined): Promise<Response>;
  /** Stops bulk publishes this process started. Idempotent. */
  close(): Promise<void>;
}

const TARGET_PREFIX = { "cognito-identity": "AWSCognitoIdentityService.", kinesis: "Kinesis_20131202." } as const;
const SERVICES: readonly AwsServiceName[] = ["cognito-identity", "cognito-sync", "kinesis"];

/** Builds the AWS endpoints; see the module comment. */
export function createAwsService(deps: AwsServiceDeps): AwsService {
  const { config, identity, sync, logger } = deps;
  const { storage, pools, now } = identity;
  const derive = (label: string) => createHmac("sha256", deps.sessionSecret).update(label).digest();
  const credentials = createCredentialIssuer(deps.sessionSecret, config.credentialsTtlSeconds, now);
  const auth: AwsAuthDeps = { pools, credentials, storage: storage.identities, now };
  const kinesis: KinesisDeps = { storage: storage.stream, pools, iteratorKey: derive("syncpool kinesis iterators v1"), now };

  const bulk: BulkPublishDeps = { storage, now, logger };
  const stopBulk = new AbortController();
  const bulkJobs = new Set<Promise<unknown>>();
  const cognitoSync: CognitoSyncDeps = {
    storage,
    pools,
    bulk,
    sync,
    devices: deps.devices,
    pushGatewayUrl: config.pushGatewayUrl,
    async startBulkPublish(pool) {
      const { run } = await startBulkPublish(bulk, pool.id, pool.stream.shards, { onProgress: () => sync.stream.onAppended(), signal: stopBulk.signal });
      const job = run().finally(() => bulkJobs.delete(job));
      bulkJobs.add(job);
      return bulkPublishDetails(bulk, pool.id);
    },
  };

  const serviceOf = (path: string): AwsServiceName | null => {
    if (!config.enabled) return null;
    return SERVICES.find((service) => path === `${config.pathPrefix}/${service}` || path.startsWith(`${config.pathPrefix}/${service}/`)) ?? null;
  };

  /** Authenticates a signed request, then takes from its pool's (and identity's) buckets. */
  const signedBy = async (read: AwsRequest, service: AwsServiceName, throttle: AwsThrottle): Promise<AwsPrincipal> => {
    let principal: AwsPrincipal;
    try {
      principal = await authenticate(auth, read, service);
    } catch (error) {
      // Failed signatures count too, against the bucket of requests for no known pool.
      throttle.address(null);
      throw error;
    }
    throttle.address(principal.pool);
    if (principal.kind === "identity") throttle.identity(principal.pool, principal.claims.identityId);
    return principal;
  };

  const run = async (service: AwsServiceName, request: Request, throttle: AwsThrottle): Promise<unknown> => {
    const read = await readAwsRequest(request, `${config.pathPrefix}/${service}`);
    if (service === "cognito-sync") return cognitoSyncOperation(cognitoSync, read, await signedBy(read, service, throttle));
    if (read.method.toUpperCase() !== "POST") throw new AwsError("UnknownOperationException", 404, `${service} takes POST requests.`);
    const target = read.headers.get("x-amz-target") ?? "";
    const prefix = TARGET_PREFIX[service];
    if (!target.startsWith(prefix)) throw new AwsError("UnknownOperationException", 400, `X-Amz-Target must be ${prefix}<Operation>.`);
    const operation = target.slice(prefix.length);
    if (service === "cognito-identity" && !IDENTITY_OPERATIONS.has(operation)) throw new AwsError("UnknownOperationException", 400, `Unknown operation ${operation.slice(0, 128)}`);
    const body = read.json();
    if (service === "kinesis") return kinesisOperation(kinesis, operation, body, await signedBy(read, service, throttle));
    const principal = UNSIGNED_IDENTITY_OPERATIONS.has(operation) ? null : await signedBy(read, service, throttle);
    return cognitoIdentityOperation({ identity, credentials, throttle }, operation, body, principal);
  };

  let closing: Promise<void> | undefined;
  return {
    handles: (path) => serviceOf(path) !== null,
    async fetch(request, socketAddress) {
      const service = serviceOf(new URL(request.url).pathname);
      if (service === null) return new Response("Not Found", { status: 404 });
      const protocol = service === "cognito-sync" ? "rest-json" : "json";
      const address = clientAddress(socketAddress, request.headers.get("x-forwarded-for"), deps.trustedProxyHops);
      const throttle = createAwsThrottle({ limiter: deps.limiter, guestQuota: identity.guestQuota }, address);
      try {
        return jsonResponse(await run(service, request, throttle), protocol);
      } catch (error) {
        const known = toAwsError(service, error);
        if (known) {
          logger.debug({ service, type: known.type }, known.message);
          return errorResponse(known, protocol);
        }
        logger.error({ err: error, service }, "unexpected error in an AWS endpoint (masked in the response)");
        return errorResponse(internalError(service), protocol);
      }
    },
    close: () =>
      (closing ??= (async () => {
        stopBulk.abort();
        await Promise.allSettled([...bulkJobs]);
      })()),
  };
}
