/**
 * Pushes over the live connection: while the graphql-ws socket of `subscription.ts` is open, a
 * push is one `subscribe` message of the push mutation on it instead of an HTTP request, saving
 * the request's headers, its TLS record and, without keep-alive, a connection.
 *
 * A push that cannot go over the socket goes as a POST (`withSocketPush`): when the socket is not
 * open, when it closes or times out while the push waits for its answer, when the server's answer
 * is no verdict (a masked fault), or when the socket's token is refused (the socket authenticated
 * once, at `connection_init`; the POST carries the session's current token). Sending the same push
 * twice is safe: the server applies a push once per (identity, deviceId, mutationId) and answers a
 * repeat with the first answer (`replayed: true`), so a push the server committed just before the
 * socket dropped is answered, not applied again, when it arrives by HTTP.
 *
 * The push names its operation by hash, as over HTTP; a server that refuses the hash (it does not
 * know it, or is older than persisted operations) gets this push by HTTP, and the next ones over the
 * socket carry the text (`persisted-operations.ts`).
 *
 * graphql-ws would re-send an operation on its own after reconnecting; a push is withdrawn from
 * the client when its socket closes, so it is sent again only here, once, by HTTP.
 */
import type { GraphQLFormattedError } from "graphql";
import type { Client } from "graphql-ws/client";
import { SyncpoolError } from "../../core/errors.js";
import { CLIENT_OPERATIONS } from "../../schema/client-operations.js";
import { pushVariables, toError } from "./graphql-transport.js";
import { isNetworkError, NetworkError } from "./network-error.js";
import { hashRefusal, type PersistedOperations } from "./persisted-operations.js";
import type { PushInput, PushResult, Transport } from "./transport.js";

/** Something that may carry a push now: the live subscription, or nothing when it is off. */
export interface PushChannel {
  /** The push's answer over the socket, or null when the socket is not open now. */
  push(input: PushInput): Promise<PushResult> | null;
}

/** The pushes of one graphql-ws client, told when its socket opens and closes. */
export class SocketPushes implements PushChannel {
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #persisted: PersistedOperations;
  #open = false;
  /** Fails each push waiting for its answer; called when the socket closes. */
  readonly #waiting = new Set<(error: Error) => void>();

  constructor(client: Client, timeoutMs: number, persisted: PersistedOperations) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#persisted = persisted;
  }

  /** The socket was acknowledged: pushes may go over it. */
  connected(): void {
    this.#open = true;
  }

  /** The socket closed (or failed to open): pushes waiting on it fail over to HTTP. */
  closed(code: number | null): void {
    this.#open = false;
    for (const fail of [...this.#waiting]) fail(new NetworkError(`the live connection closed (${code ?? "no code"}) before the push was answered`));
  }

  push(input: PushInput): Promise<PushResult> | null {
    if (!this.#open) return null;
    return new Promise<PushResult>((resolve, reject) => {
      let answer: PushResult | undefined;
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#waiting.delete(fail);
        if (error === null && answer !== undefined) return resolve(answer);
        // Withdrawn, so graphql-ws does not send it again on the next socket.
        withdraw();
        reject(error ?? new NetworkError("the live connection completed the push without an answer"));
      };
      const fail = (error: Error) => settle(error);
      const timer = setTimeout(() => fail(new NetworkError(`no answer to the push over the live connection within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      this.#waiting.add(fail);
      const operation = CLIENT_OPERATIONS.push;
      const byHash = this.#persisted.byHash(operation);
      /** The first error of an answer; a refused hash is no verdict on the push: it goes by HTTP. */
      const failWith = (error: GraphQLFormattedError) => {
        const refusal = byHash ? hashRefusal(error) : null;
        if (refusal !== null) this.#persisted.refused(operation, refusal);
        fail(refusal !== null ? new NetworkError(`the live connection refused the push's hash: ${error.message}`) : toError(error));
      };
      // graphql-ws requires a query string: empty when the hash names the operation.
      const request = this.#persisted.request(operation);
      const withdraw = this.#client.subscribe<{ pushRecords: PushResult }>(
        { query: "", ...request, variables: pushVariables(input) },
        {
          next: (result) => {
            const first = result.errors?.[0];
            if (first) failWith(first);
            else answer = result.data?.pushRecords;
          },
          // GraphQL errors before execution (refused by the endpoint's checks), or the socket's failure.
          error: (error) => (Array.isArray(error) && error.length > 0 ? failWith(error[0] as GraphQLFormattedError) : fail(new NetworkError(`the push over the live connection failed: ${describe(error)}`))),
          complete: () => settle(null),
        },
      );
    });
  }
}

/**
 * `transport` with pushes over `channel()` when it can carry them, else (and after a failure that
 * is not the server's verdict on the push) by `transport.pushRecords`. See the module comment.
 */
export function withSocketPush(transport: Transport, channel: () => PushChannel | null): Transport {
  return {
    signIn: (input) => transport.signIn(input),
    records: (token, args) => transport.records(token, args),
    ...(transport.changes ? { changes: transport.changes.bind(transport) } : {}),
    datasets: (token) => transport.datasets(token),
    configureDataset: (token, name, strategy) => transport.configureDataset(token, name, strategy),
    deleteDataset: (token, name) => transport.deleteDataset(token, name),
    usage: (token) => transport.usage(token),
    pushRecords: async (token, input) => {
      const overSocket = channel()?.push(input) ?? null;
      if (overSocket === null) return transport.pushRecords(token, input);
      try {
        return await overSocket;
      } catch (error) {
        if (isNetworkError(error) || (error instanceof SyncpoolError && error.code === "UNAUTHENTICATED")) return transport.pushRecords(token, input);
        throw error;
      }
    },
  };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number") return `closed (${code})`;
  return error instanceof Error ? error.message : String(error);
}
