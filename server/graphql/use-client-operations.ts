/**
 * Persisted operations: the client library names each of its operations by the sha256 of its text
 * (`schema/client-operations.ts`) in Apollo's shape, `extensions.persistedQuery: { version: 1,
 * sha256Hash }`, and this plugin (graphql-yoga's `usePersistedOperations`) puts the text back
 * before parsing. Parsing limits, validation, masking and logs then run as for any text.
 *
 * Any operation sent as text still runs (backend developers, the console, older clients). A hash
 * this server does not know answers `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`,
 * as Apollo's servers answer), and the client sends the text instead. Over graphql-ws, where
 * yoga's request hooks do not run, the WebSocket endpoint resolves hashes with
 * `clientOperationText` (`server/push/ws-endpoint.ts`).
 */
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import type { GraphQLError } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";
import { CLIENT_OPERATIONS } from "../../schema/client-operations.js";

/** The client's operation texts by their sha256 (lowercase hex). */
const TEXT_BY_HASH: ReadonlyMap<string, string> = new Map(Object.values(CLIENT_OPERATIONS).map((operation) => [operation.sha256Hash, operation.text]));

/** The message and code of the answer to an unknown hash, as clients of Apollo's protocol expect them. */
export const PERSISTED_QUERY_NOT_FOUND = { message: "PersistedQueryNotFound", code: "PERSISTED_QUERY_NOT_FOUND" } as const;

/** The error answering a hash this server does not know. */
export function persistedQueryNotFound(): GraphQLError {
  return createGraphQLError(PERSISTED_QUERY_NOT_FOUND.message, { extensions: { code: PERSISTED_QUERY_NOT_FOUND.code } });
}

/**
 * The text of a request that names its operation by hash: the client operation's text, null when
 * the hash is unknown, or undefined when the request names no hash (it carries its own text).
 */
export function clientOperationText(extensions: unknown): string | null | undefined {
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | null | undefined)?.persistedQuery;
  if (persisted?.version !== 1 || typeof persisted.sha256Hash !== "string") return undefined;
  return TEXT_BY_HASH.get(persisted.sha256Hash) ?? null;
}

/** The plugin: the client's operations by hash, anything else by text. */
export function useClientOperations(): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: true,
    getPersistedOperation: (sha256Hash) => TEXT_BY_HASH.get(sha256Hash) ?? null,
    customErrors: { notFound: () => persistedQueryNotFound() },
  });
}
