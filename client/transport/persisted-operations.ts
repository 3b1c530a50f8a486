/**
 * Which client operations go by hash (`schema/client-operations.ts`) to one server, and how to read
 * a refusal of a hash. A request names its operation by hash first; the server answers
 * `PersistedQueryNotFound` for a hash it does not know (this client is newer than the server's
 * list), and the operation goes by text from then on. A server older than persisted operations
 * answers "Must provide query string." (yoga without the plugin), `PersistedQueryNotSupported`
 * (Apollo's servers without it) or, over graphql-ws, a syntax error on the empty text sent with the
 * hash: then every operation goes by text, so each costs one request again.
 */
import { persistedQueryExtension, type ClientOperation, type PersistedQueryExtension } from "../../schema/client-operations.js";

/** What a server's refusal of a hash says: this hash is unknown, or no hash is understood. */
export type HashRefusal = "unknown-hash" | "no-hashes";

const UNKNOWN_HASH_CODES = new Set(["PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_IN_LIST"]);
const NO_HASHES_MESSAGES = new Set(["PersistedQueryNotSupported", "Must provide query string.", "Syntax Error: Unexpected <EOF>."]);

/** The refusal in a GraphQL error answering a request sent by hash, or null when it is no refusal of the hash. */
export function hashRefusal(error: { message: string; extensions?: Record<string, unknown> }): HashRefusal | null {
  const code = error.extensions?.["code"];
  if (error.message === "PersistedQueryNotFound" || (typeof code === "string" && UNKNOWN_HASH_CODES.has(code))) return "unknown-hash";
  if (NO_HASHES_MESSAGES.has(error.message)) return "no-hashes";
  return null;
}

/** The operations one client sends by hash to one server; told of each refusal. */
export interface PersistedOperations {
  /** Whether `operation` goes by hash now (so a refusal of it may be retried by text). */
  byHash(operation: ClientOperation): boolean;
  /** How to name `operation` now: `{ extensions }` with its hash, or `{ query }` with its text. */
  request(operation: ClientOperation): { extensions: PersistedQueryExtension } | { query: string };
  /** The server refused `operation`'s hash: send its text (or every text) from now on. */
  refused(operation: ClientOperation, refusal: HashRefusal): void;
}

/** Every operation by hash, until the server refuses one. */
export function persistedOperations(): PersistedOperations {
  let hashesUnderstood = true;
  const unknown = new Set<string>();
  const byHash = (operation: ClientOperation) => hashesUnderstood && !unknown.has(operation.sha256Hash);
  return {
    byHash,
    request: (operation) => (byHash(operation) ? { extensions: persistedQueryExtension(operation) } : { query: operation.text }),
    refused: (operation, refusal) => {
      if (refusal === "no-hashes") hashesUnderstood = false;
      else unknown.add(operation.sha256Hash);
    },
  };
}
