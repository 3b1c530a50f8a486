/**
 * `Transport` over GraphQL: one POST per operation through an injected `fetch` (the global one by
 * default). The operations are those of `schema/client-operations.ts`, each named by its hash
 * (persisted operations) and sent as text only to a server that does not know the hash
 * (`persisted-operations.ts`). GraphQL errors become
 * `SyncpoolError`s with the server's `extensions.code` (the other extensions land in `details`);
 * an answer that is not GraphQL from a wrong endpoint (404, an HTML page) is a `BadEndpointError`;
 * anything else (no answer, a gateway's 502 page, an error without a known code) is a `NetworkError`.
 */
import { ERROR_CODES, SyncpoolError, type ErrorCode } from "../../core/errors.js";
import type { ConflictStrategy } from "../../core/types.js";
import { CLIENT_OPERATIONS as OPERATIONS, type ClientOperation } from "../../schema/client-operations.js";
import { BadEndpointError } from "./bad-endpoint-error.js";
import { NetworkError } from "./network-error.js";
import { hashRefusal, persistedOperations } from "./persisted-operations.js";
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

/** One entry of a GraphQL answer's `errors`. */
export interface GraphqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

/** A GraphQL answer: data, errors or both. */
interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

/** Builds the GraphQL transport. */
export function createGraphqlTransport(options: GraphqlTransportOptions): Transport {
  const fetchFn: FetchFunction = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  const persisted = persistedOperations();

  /** One operation; by hash first, and by text when the server does not know the hash. */
  async function call<T>(operation: ClientOperation, variables: Record<string, unknown>, token?: string): Promise<T> {
    const byHash = persisted.byHash(operation);
    let answer = await post({ ...persisted.request(operation), variables }, token);
    const refusal = byHash && answer.body.errors?.[0] ? hashRefusal(answer.body.errors[0]) : null;
    if (refusal !== null) {
      persisted.refused(operation, refusal);
      answer = await post({ query: operation.text, variables }, token);
    }
    const { status, body } = answer;
    const first = body.errors?.[0];
    if (first) throw toError(first, status);
    const data = body.data ? Object.values(body.data)[0] : undefined;
    if (data === undefined) throw new NetworkError(`empty answer (HTTP ${status})`, status);
    return data as T;
  }

  /** POSTs one GraphQL request; its answer when it is GraphQL (data or errors), else the failure. */
  async function post(request: Record<string, unknown>, token: string | undefined): Promise<{ status: number; body: GraphqlAnswer }> {
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
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      // Read in full first: a connection lost mid-body is the network's failure, not a bad answer.
      text = await response.text();
    } catch (error) {
      throw new NetworkError(`cannot reach ${options.endpoint}: ${describe(error)}`, undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    let body: GraphqlAnswer;
    try {
      body = JSON.parse(text) as GraphqlAnswer;
    } catch (error) {
      throw notGraphql(response.status, options.endpoint, "the answer is not JSON", error);
    }
    if (typeof body !== "object" || body === null || (body.data === undefined && body.errors === undefined)) {
      throw notGraphql(response.status, options.endpoint, "the JSON answer has neither data nor errors");
    }
    return { status: response.status, body };
  }

  return {
    signIn: (input: SignInInput) => call<Session>(OPERATIONS.signIn, { input }),
    // Local names of shared datasets (`shared/<name>`) become the server's name plus shared: true.
    records: (token: string, args: RecordsArgs) => {
      const { dataset, shared } = serverName(args.dataset);
      return call<RecordPage>(OPERATIONS.records, { ...args, dataset, ...(shared ? { shared } : {}) }, token);
    },
    changes: (token: string, cursor: string | null) => call<ChangeFeed>(OPERATIONS.changes, cursor === null ? {} : { cursor }, token),
    pushRecords: (token: string, input: PushInput) => call<PushResult>(OPERATIONS.push, pushVariables(input), token),
    datasets: (token: string) => call<RemoteDataset[]>(OPERATIONS.datasets, {}, token),
    configureDataset: (token: string, name: string, conflictStrategy: ConflictStrategy) => {
      if (serverName(name).shared) {
        return Promise.reject(new SyncpoolError("BAD_USER_INPUT", "a shared dataset's conflict strategy is not set by clients", { field: "name" }));
      }
      return call<RemoteDataset>(OPERATIONS.configureDataset, { name, conflictStrategy }, token);
    },
    deleteDataset: (token: string, name: string) => {
      const { dataset, shared } = serverName(name);
      return call<DeleteDatasetResult>(OPERATIONS.deleteDataset, { name: dataset, ...(shared ? { shared } : {}) }, token);
    },
    usage: (token: string) => call<Usage>(OPERATIONS.usage, {}, token),
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
