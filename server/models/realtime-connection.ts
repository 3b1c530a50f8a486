/**
 * One realtime socket, from `connection_init` to close. Order of work, and why:
 *
 * 1. `connection_init`: the socket's credentials (from the upgrade) must prove a principal of the
 *    pool, else `connection_error` with code 401 (aws-amplify does not retry 401) and close. Then
 *    `connection_ack` with `connectionTimeoutMs` and a `ka` at once, then a `ka` every
 *    `keepAliveMs` (the client gives up after 65 s without one).
 * 2. `start`: its own credentials (`payload.extensions.authorization`, the connection's when
 *    absent) are checked again, the subscription is read (`realtime-subscription.ts`), then it
 *    listens on the change bus and only then answers `start_ack`: a change committed after the
 *    ack is never missed. Refusals are `error` frames with the start's id; the socket stays open.
 * 3. each committed change of the listened owner is read as model events (`realtime-events.ts`)
 *    and answered as `data`, in bus order (one promise chain per subscription).
 * 4. `stop` ends the subscription and answers `complete`; closing ends them all.
 *
 * A frame that cannot be read is answered with an `error` frame (no crash, no close). The socket
 * closes with 4401 when the connection's token expires (the client reconnects with a fresh one),
 * and with 4408 when `connection_init` does not come in time.
 */
import type { WebSocket } from "ws";
import type { Logger } from "../logger.js";
import type { ChangeBus } from "../push/change-bus.js";
import { admitSend, dropSocket } from "../push/backpressure.js";
import type { DatasetStore } from "../storage/dataset-store.js";
import type { ModelPrincipal, PrincipalDeps } from "./model-auth.js";
import { principalOfHeaders, tokenExpiryOf, type AuthHeaders } from "./realtime-auth.js";
import { modelEventsOf } from "./realtime-events.js";
import { parseClientMessage, parseSubscriptionRequest, REALTIME_ERRORS, serverMessage, type ClientMessage } from "./realtime-protocol.js";
import { prepareSubscription, type RealtimeModels } from "./realtime-subscription.js";

/** What a connection needs from its endpoint. */
export interface RealtimeConnectionDeps {
  poolId: string;
  /** The pool's models now (they may change while the socket is open), or null when it has none. */
  models: () => Promise<RealtimeModels | null>;
  principal: PrincipalDeps;
  bus: ChangeBus;
  storage: Pick<DatasetStore, "readRecords">;
  /** Between `ka` frames. */
  keepAliveMs: number;
  /** How long a socket may stay open without `connection_init`. */
  initTimeoutMs: number;
  maxSubscriptions: number;
  /** Bytes that may wait in the socket's send buffer before it is dropped as a slow consumer. */
  maxBufferedBytes: number;
  now: () => number;
  logger: Logger;
}

/** Close codes of the realtime channel (the client reconnects on any of them). */
export const REALTIME_CLOSE_CODES = Object.freeze({ TOKEN_EXPIRED: 4401, INIT_TIMEOUT: 4408 });

/** Serves `socket`, whose upgrade carried `headers` (null: none); everything ends when it closes. */
export function serveRealtimeConnection(socket: WebSocket, headers: AuthHeaders | null, deps: RealtimeConnectionDeps): void {
  let principal: ModelPrincipal | null = null;
  let initializing = false;
  const subscriptions = new Map<string, () => void>();
  const timers: NodeJS.Timeout[] = [];
  const send = (text: string) => {
    if (admitSend(socket, deps.maxBufferedBytes)) socket.send(text);
  };
  const after = (ms: number, run: () => void) => {
    const timer = setTimeout(run, Math.min(Math.max(ms, 0), 2 ** 31 - 1));
    timer.unref();
    timers.push(timer);
  };
  after(deps.initTimeoutMs, () => {
    if (principal === null) dropSocket(socket, REALTIME_CLOSE_CODES.INIT_TIMEOUT, "connection_init timeout");
  });

  const init = async () => {
    if (initializing || principal !== null) return; // a repeated init changes nothing
    initializing = true;
    const proven = headers === null ? null : await principalOfHeaders(headers, deps.poolId, deps.principal);
    if (!proven || (await deps.models()) === null) {
      send(serverMessage.connectionError({ errorType: REALTIME_ERRORS.UNAUTHORIZED_CONNECTION, message: "You are not authorized to make this call.", errorCode: 401 }));
      dropSocket(socket, 1000, "unauthorized");
      return;
    }
    principal = proven;
    send(serverMessage.connectionAck());
    send(serverMessage.keepAlive());
    const keepAlive = setInterval(() => send(serverMessage.keepAlive()), deps.keepAliveMs);
    keepAlive.unref();
    timers.push(keepAlive);
    const expiresAtMs = tokenExpiryOf(headers!);
    if (expiresAtMs !== null) after(expiresAtMs - deps.now(), () => dropSocket(socket, REALTIME_CLOSE_CODES.TOKEN_EXPIRED, "token expired: reconnect with a fresh one"));
  };

  const start = async (message: Extract<ClientMessage, { type: "start" }>) => {
    const { id } = message;
    const refuse = (errorType: string, text: string) => send(serverMessage.error(id, [{ errorType, message: text }]));
    if (principal === null) return refuse(REALTIME_ERRORS.NOT_INITIALIZED, "send connection_init and wait for connection_ack before start");
    if (subscriptions.has(id)) return refuse(REALTIME_ERRORS.DUPLICATE_ID, `a subscription with id ${id} is already active`);
    if (subscriptions.size >= deps.maxSubscriptions) return refuse(REALTIME_ERRORS.LIMIT_EXCEEDED, `at most ${deps.maxSubscriptions} subscriptions per connection`);
    // Held while the checks below run, so a second start with this id is refused; a stop (or the
    // socket closing) calls it, and the start then ends quietly.
    let stopped = false;
    const pending = () => void (stopped = true);
    subscriptions.set(id, pending);
    const release = () => {
      if (subscriptions.get(id) === pending) subscriptions.delete(id);
    };
    const request = parseSubscriptionRequest(message.payload.data);
    const authorization = message.payload.extensions?.authorization;
    const caller = authorization === undefined ? principal : await principalOfHeaders(authorization, deps.poolId, deps.principal);
    const models = await deps.models();
    if (stopped) return;
    if ("error" in request || caller === null || models === null) {
      release();
      if ("error" in request) return refuse(REALTIME_ERRORS.BAD_REQUEST, request.error);
      return refuse(REALTIME_ERRORS.UNAUTHORIZED, "You are not authorized to make this call.");
    }
    const prepared = prepareSubscription(models, request, caller);
    if ("errors" in prepared) {
      release();
      return send(serverMessage.error(id, prepared.errors));
    }
    let chain = Promise.resolve();
    const unsubscribe = deps.bus.subscribe(prepared.dataOwnerId, (change) => {
      chain = chain
        .then(async () => {
          for (const event of await modelEventsOf(change, prepared.model.name, deps.storage)) {
            if (subscriptions.get(id) !== unsubscribe || event.operation !== prepared.operation || !prepared.accepts(event.item)) continue;
            send(serverMessage.data(id, await prepared.render(event.item)));
          }
        })
        .catch((error: unknown) => deps.logger.error({ err: error, model: prepared.model.name }, "realtime: an event could not be sent"));
    });
    subscriptions.set(id, unsubscribe);
    send(serverMessage.startAck(id));
  };

  const stop = (id: string) => {
    const unsubscribe = subscriptions.get(id);
    subscriptions.delete(id);
    unsubscribe?.();
    send(serverMessage.complete(id));
  };

  socket.on("message", (data, isBinary) => {
    const message = isBinary ? null : parseClientMessage(data.toString());
    if (message === null) return send(serverMessage.error(null, [{ errorType: REALTIME_ERRORS.BAD_REQUEST, message: "binary frames are not read" }]));
    if ("refused" in message) return send(serverMessage.error(message.refused.id, [{ errorType: message.refused.errorType, message: message.refused.message }]));
    const handled = message.type === "connection_init" ? init() : message.type === "start" ? start(message) : Promise.resolve(stop(message.id));
    handled.catch((error: unknown) => {
      // Not the client's fault (storage down, a bug): keep the cause in the log, tell the client little.
      deps.logger.error({ err: error, type: message.type }, "realtime: a message could not be handled");
      send(serverMessage.error("id" in message ? message.id : null, [{ errorType: "InternalFailure", message: "An internal failure occurred." }]));
    });
  });
  socket.on("close", () => {
    for (const timer of timers) clearTimeout(timer);
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    principal = null;
  });
}
