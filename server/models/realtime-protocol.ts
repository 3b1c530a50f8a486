/**
 * The messages of AppSync's realtime protocol (subprotocol `graphql-ws`, AppSync's own dialect of
 * it, not the `graphql-transport-ws` of `/graphql`) as aws-amplify 6 speaks them: what a client
 * may send, read once here, and what the server answers, built here. Everything else in
 * `realtime-*.ts` takes these typed values and never looks at raw frames.
 *
 * Client to server: `connection_init`, `start` (with `payload.data` a JSON string of
 * `{ query, variables }` and the request's auth headers in `payload.extensions.authorization`),
 * `stop`. Server to client: `connection_ack` (with `connectionTimeoutMs`), `connection_error`,
 * `ka`, `start_ack`, `data`, `error`, `complete`.
 */
import { z } from "zod";

/** How long the client may go without a `ka` or `data` before it gives the connection up (AppSync's value). */
export const CONNECTION_TIMEOUT_MS = 300_000;

/** The subprotocol the server selects; the client's second offer (`header-…`) carries its auth. */
export const REALTIME_SUBPROTOCOL = "graphql-ws";

/** Stable `errorType`s of the protocol's own refusals (GraphQL and auth refusals use AppSync's). */
export const REALTIME_ERRORS = Object.freeze({
  /** Not JSON, not an object, a field missing or of the wrong type, `payload.data` not a request. */
  BAD_REQUEST: "BadRequestException",
  /** A message type the server does not serve, or an operation that is not a model subscription. */
  UNSUPPORTED: "UnsupportedOperation",
  /** A `start` before `connection_init`. */
  NOT_INITIALIZED: "ConnectionNotInitialized",
  /** A second `start` with the id of an active subscription. */
  DUPLICATE_ID: "DuplicateSubscriptionId",
  /** More subscriptions on one connection than the server keeps. */
  LIMIT_EXCEEDED: "LimitExceededException",
  /** The connection's credentials are missing, wrong or expired (`connection_error`, code 401). */
  UNAUTHORIZED_CONNECTION: "UnauthorizedException",
  /** A subscription the caller's credentials do not reach (DataStore reads `"errorType":"Unauthorized"`). */
  UNAUTHORIZED: "Unauthorized",
});

const headers = z.record(z.string(), z.unknown());

const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("connection_init"), payload: z.unknown().optional() }),
  z.object({
    type: z.literal("start"),
    id: z.string().min(1).max(128),
    payload: z.object({ data: z.string(), extensions: z.object({ authorization: headers.optional() }).optional() }),
  }),
  z.object({ type: z.literal("stop"), id: z.string().min(1).max(128) }),
]);

/** A client message, checked. */
export type ClientMessage = z.infer<typeof clientMessage>;

/** A refused frame: answered with `error` (with the frame's id when it had one), the socket stays open. */
export interface ProtocolRefusal {
  id: string | null;
  errorType: string;
  message: string;
}

/** Reads one text frame: a checked message, or why it is refused. */
export function parseClientMessage(text: string): ClientMessage | { refused: ProtocolRefusal } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse(null, REALTIME_ERRORS.BAD_REQUEST, "the message is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return refuse(null, REALTIME_ERRORS.BAD_REQUEST, "the message is not a JSON object");
  const raw = value as Record<string, unknown>;
  const id = typeof raw["id"] === "string" ? raw["id"] : null;
  if (!["connection_init", "start", "stop"].includes(raw["type"] as string)) {
    return refuse(id, REALTIME_ERRORS.UNSUPPORTED, `${JSON.stringify(raw["type"] ?? null)} is not supported through the realtime channel`);
  }
  const parsed = clientMessage.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse(id, REALTIME_ERRORS.BAD_REQUEST, `${raw["type"]}: ${issue.path.join(".") || "message"}: ${issue.message}`);
  }
  return parsed.data;
}

/** A `start`'s `payload.data`: the GraphQL request it carries. */
export interface SubscriptionRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | null;
}

const subscriptionRequest = z.object({
  query: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().nullish(),
});

/** Reads a `start`'s `payload.data` (a JSON string), or says why it is no request. */
export function parseSubscriptionRequest(data: string): SubscriptionRequest | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { error: "payload.data is not a JSON string" };
  }
  const parsed = subscriptionRequest.safeParse(value);
  if (!parsed.success) return { error: `payload.data: ${parsed.error.issues[0]!.path.join(".") || "request"}: ${parsed.error.issues[0]!.message}` };
  return { query: parsed.data.query, variables: parsed.data.variables ?? {}, operationName: parsed.data.operationName ?? null };
}

/** One entry of an `errors` list, as AppSync writes them. */
export interface RealtimeError {
  errorType: string;
  message: string;
  errorCode?: number;
  [more: string]: unknown;
}

/** The frames the server sends, as JSON text. */
export const serverMessage = {
  connectionAck: () => JSON.stringify({ type: "connection_ack", payload: { connectionTimeoutMs: CONNECTION_TIMEOUT_MS } }),
  connectionError: (error: RealtimeError) => JSON.stringify({ type: "connection_error", payload: { errors: [error] } }),
  keepAlive: () => JSON.stringify({ type: "ka" }),
  startAck: (id: string) => JSON.stringify({ type: "start_ack", id }),
  data: (id: string, payload: { data: unknown; errors?: readonly RealtimeError[] }) => JSON.stringify({ id, type: "data", payload }),
  error: (id: string | null, errors: readonly RealtimeError[]) => JSON.stringify({ type: "error", ...(id === null ? {} : { id }), payload: { errors } }),
  complete: (id: string) => JSON.stringify({ type: "complete", id }),
};

function refuse(id: string | null, errorType: string, message: string): { refused: ProtocolRefusal } {
  return { refused: { id, errorType, message } };
}
