/**
 * The name of the GraphQL operation a client request names (`Push`, `Records`, `SignIn`,
 * `DatasetChanged`...), whether it carries the text or, as the client library sends its own
 * operations, only the text's hash (`schema/client-operations.ts`). Tests that count or hold
 * requests by operation read them through this, so they see the same names either way.
 *
 *   fetch: (url, init) => { names.push(sentOperationName(init.body)); return link.fetch(url, init); }
 */
import { CLIENT_OPERATIONS } from "../../schema/client-operations.js";

const TEXT_BY_HASH = new Map(Object.values(CLIENT_OPERATIONS).map((operation) => [operation.sha256Hash, operation.text]));

/** A request: a POST's JSON body (text or parsed) or a graphql-ws `subscribe` payload. */
type SentRequest = { query?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };

/** The operation's name, or "?" when the request names none this helper can read. */
export function sentOperationName(body: unknown): string {
  let request: SentRequest | null = null;
  try {
    request = (typeof body === "string" ? JSON.parse(body) : body) as SentRequest | null;
  } catch {
    return "?";
  }
  const hash = request?.extensions?.persistedQuery?.sha256Hash;
  const text = typeof request?.query === "string" && request.query !== "" ? request.query : typeof hash === "string" ? TEXT_BY_HASH.get(hash) : undefined;
  return /^(?:query|mutation|subscription) (\w+)/.exec(text ?? "")?.[1] ?? "?";
}

/** The operation a graphql-ws message sends (`subscribe`), or null for any other message. */
export function socketOperationName(data: unknown): string | null {
  if (typeof data !== "string") return null;
  try {
    const message = JSON.parse(data) as { type?: unknown; payload?: unknown };
    return message.type === "subscribe" ? sentOperationName(message.payload) : null;
  } catch {
    return null;
  }
}
