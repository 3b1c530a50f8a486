/**
 * `Transport` over GraphQL: one POST per operation through an injected `fetch` (the global one by
 * default). The operations are exactly those of `schema/type-defs.ts`. GraphQL errors become
 * `SyncpoolError`s with the server's `extensions.code` (the other extensions land in `details`);
 * an answer that is not GraphQL from a wrong endpoint (404, an HTML page) is a `BadEndpointError`;
 * anything else (no answer, a gateway's 502 page, an error without a known code) is a `NetworkError`.
 */
import { ERROR_CODES, SyncpoolError, type ErrorCode } from "../../core/errors.js";
import type { ConflictStrategy } from "../../core/types.js";
import { BadEndpointError } from "./bad-endpoint-error.js";
import { NetworkError } from "./network-error.js";
import { serverName } from "./shared-name.js";
import type {
  ChangeFeed,
  DeleteDatasetResult,
  PushInput,
  PushResult,
  RecordPage,
  RecordsArgs,
  RemoteDataset,
  Session,
  SignInInput,
  Transport,
  Usage,
} from "./transport.js";

/** The subset of `fetch` the transport needs, so tests can wrap or replace it. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** How long a request may take before it fails with a NetworkError, unless the options say otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface GraphqlTransportOptions {
  /** The GraphQL endpoint, e.g. `https://sync.example.com/graphql`. */
  endpoint: string;
  fetch?: FetchFunction;
  /** A request taking longer fails with a NetworkError. Default 30 s. */
  requestTimeoutMs?: number;
}

const RECORD = "key value kind syncCount clock lastModifiedBy lastModifiedAt deviceLastModifiedAt deleted";
const DATASET = "name syncCount recordCount sizeBytes conflictStrategy createdAt lastModifiedAt lastModifiedBy";

const SIGN_IN = `mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { identityId token expiresAt deviceSecret mergedIdentityIds
    limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs } }
}`;
const RECORDS = `query Records($dataset: String!, $sinceSyncCount: Int, $first: Int, $after: String, $shared: Boolean) {
  records(dataset: $dataset, sinceSyncCount: $sinceSyncCount, first: $first, after: $after, shared: $shared) {
    records { ${RECORD} } datasetSyncCount datasetExists deletedAfterSince mergedDatasetNames
    conflictStrategy syncSessionToken nextCursor
  }
}`;
const CHANGES = `query Changes($cursor: String) {
  changes(cursor: $cursor) {
    cursor resync more datasets { name shared sinceSyncCount datasetSyncCount complete mergedDatasetNames
      conflictStrategy records { ${RECORD} } }
  }
}`;
/** The push mutation, sent as a POST or, by `socket-push.ts`, over the live connection. */
export const PUSH = `mutation Push($input: PushRecordsInput!) {
  pushRecords(input: $input) {
    datasetSyncCount records { ${RECORD} } replayed
    conflicts { key patchSyncCount serverRecord { ${RECORD} } }
  }
}`;
const DATASETS = `query Datasets { datasets { ${DATASET} } }`;
const CONFIGURE = `mutation Configure($name: String!, $conflictStrategy: ConflictStrategy!) {
  configureDataset(name: $name, conflictStrategy: $conflictStrategy) { ${DATASET} }
}`;
const DELETE = `mutation Delete($name: String!, $shared: Boolean) { deleteDataset(name: $name, shared: $shared) { name deleted syncCount } }`;
const USAGE = `query Usage { usage { identityId datasetCount sizeBytes
  limits { maxDatasets maxRecords maxDatasetBytes maxClockSkewMs } } }`;

/** One entry of a GraphQL answer's `errors`. */
export interface GraphqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

/** Builds the GraphQL transport. */
export function createGraphqlTransport(options: GraphqlTransportOptions): Transport {
  const fetchFn: FetchFunction = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  async function call<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(options.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
      // Read in full first: a connection lost mid-body is the network's failure, not a bad answer.
      text = await response.text();
    } catch (error) {
      throw new NetworkError(`cannot reach ${options.endpoint}: ${describe(error)}`, undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    let body: { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      throw notGraphql(response.status, options.endpoint, "the answer is not JSON", error);
    }
    if (typeof body !== "object" || body === null || (body.data === undefined && body.errors === undefined)) {
      throw notGraphql(response.status, options.endpoint, "the JSON answer has neither data nor errors");
    }
    const first = body.errors?.[0];
    if (first) throw toError(first, response.status);
    const data = body.data ? Object.values(body.data)[0] : undefined;
    if (data === undefined) throw new NetworkError(`empty answer (HTTP ${response.status})`, response.status);
    return data as T;
  }

  return {
    signIn: (input: SignInInput) => call<Session>(SIGN_IN, { input }),
    // Local names of shared datasets (`shared/<name>`) become the server's name plus shared: true.
    records: (token: string, args: RecordsArgs) => {
      const { dataset, shared } = serverName(args.dataset);
      return call<RecordPage>(RECORDS, { ...args, dataset, ...(shared ? { shared } : {}) }, token);
    },
    changes: (token: string, cursor: string | null) => call<ChangeFeed>(CHANGES, cursor === null ? {} : { cursor }, token),
    pushRecords: (token: string, input: PushInput) => call<PushResult>(PUSH, pushVariables(input), token),
    datasets: (token: string) => call<RemoteDataset[]>(DATASETS, {}, token),
    configureDataset: (token: string, name: string, conflictStrategy: ConflictStrategy) => {
      if (serverName(name).shared) {
        return Promise.reject(new SyncpoolError("BAD_USER_INPUT", "a shared dataset's conflict strategy is not set by clients", { field: "name" }));
      }
      return call<RemoteDataset>(CONFIGURE, { name, conflictStrategy }, token);
    },
    deleteDataset: (token: string, name: string) => {
      const { dataset, shared } = serverName(name);
      return call<DeleteDatasetResult>(DELETE, { name: dataset, ...(shared ? { shared } : {}) }, token);
    },
    usage: (token: string) => call<Usage>(USAGE, {}, token),
  };
}

/** The push mutation's variables: a shared dataset's local name (`shared/<name>`) becomes the server's name plus shared: true. */
export function pushVariables(input: PushInput): { input: PushInput } {
  const { dataset, shared } = serverName(input.dataset);
  return { input: { ...input, dataset, ...(shared ? { shared } : {}) } };
}

/** A GraphQL error as a SyncpoolError with the server's code, or a NetworkError when it has none. */
export function toError(error: GraphqlError, status?: number): Error {
  const { code, ...details } = error.extensions ?? {};
  if (typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code)) {
    return new SyncpoolError(code as ErrorCode, error.message, details);
  }
  // Masked server faults and unknown codes are not verdicts on the request: retry later.
  return new NetworkError(`server error${status === undefined ? "" : ` (HTTP ${status})`}: ${error.message}`, status);
}

/**
 * An answer that is not GraphQL. A gateway's or an overloaded server's page (5xx, 408, 429) means
 * "not now": a NetworkError, retried as offline. Anything else (404, 200 with HTML, a redirect to a
 * login page) means the endpoint is wrong: a BadEndpointError, which no retry will cure.
 */
function notGraphql(status: number, endpoint: string, why: string, cause?: unknown): Error {
  if (status >= 500 || status === 408 || status === 429) {
    return new NetworkError(`no GraphQL answer from ${endpoint} (HTTP ${status}): ${why}`, status, { cause });
  }
  return new BadEndpointError(`${endpoint} is not a syncpool GraphQL endpoint (HTTP ${status}): ${why}`, status, endpoint, { cause });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
