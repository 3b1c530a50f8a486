/**
 * The graphql-transport-ws protocol (the graphql-ws client library's) on `ws` sockets, served by a
 * small loop of our own instead of graphql-ws's `makeServer`: thousands of connections sit idle
 * with a subscription each, and `makeServer` keeps, per subscription, the suspended frame of its
 * whole message handler (the raw and parsed message, the execution arguments, three emitter
 * closures) and, per connection, its init timer for life. Here an idle connection is one
 * `GraphqlWsSocket` and an idle subscription one `Operation`, which its results wake when an event
 * is ready (`Pollable`): while it waits, no promise, reaction or suspended frame is held for it.
 *
 * The behaviour is graphql-ws's (its `parseMessage` validates each message): `connection_init`
 * within `CONNECTION_INIT_TIMEOUT_MS` or 4408; a second one 4429; a refused one 4403 (unless the
 * hook closed the socket already); `subscribe` before the ack 4401; an id in use 4409; an invalid
 * message 4400; no subprotocol 4406; a failure of the server's own 4500; `ping` gets `pong`. An
 * event is sent once the previous one was handed to the socket, so a slow reader's events wait in
 * the subscription's bounded queue.
 */
import { GraphQLError, getOperationAST, type ExecutionArgs, type ExecutionResult } from "graphql";
import { CloseCode, MessageType, parseMessage, stringifyMessage, type SubscribePayload } from "graphql-ws";
import type { WebSocket } from "ws";
import type { Logger } from "../logger.js";
import type { Pollable, Waker } from "./event-queue.js";
import { EMPTY_ID_TABLE, idTableDelete, idTableGet, idTableHas, idTableSet, idTableSize, idTableValues, type IdTable } from "./id-table.js";

/** How long a socket may wait before its `connection_init` (graphql-ws's default). */
export const CONNECTION_INIT_TIMEOUT_MS = 3000;

/** What the endpoint decides; `Session` is what it keeps per authenticated socket. */
export interface GraphqlWsHooks<Session> {
  /** `connection_init`: the session and the ack's payload, or false when refused (the hook may close the socket itself). */
  connect(socket: GraphqlWsSocket<Session>, params: Readonly<Record<string, unknown>> | undefined): Promise<{ session: Session; ack: Record<string, unknown> } | false>;
  /** `subscribe`: the operation to run, or the errors to answer with. `sizeBytes` is the message's size. */
  operation(socket: GraphqlWsSocket<Session>, id: string, payload: SubscribePayload, sizeBytes: number): Promise<ExecutionArgs | readonly GraphQLError[]>;
  execute(args: ExecutionArgs): Promise<ExecutionResult> | ExecutionResult;
  subscribe(args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult>;
  /** Before each result is sent: the payload's JSON text when it was serialized already, else undefined. */
  beforeNext(socket: GraphqlWsSocket<Session>, result: ExecutionResult): string | undefined;
  /** After the socket closed and its operations were stopped. */
  closed(socket: GraphqlWsSocket<Session>): void;
}

/** A running subscription's results: polled when they can be (`Pollable`), else awaited step by step. */
type Results = AsyncIterator<ExecutionResult> & { return?: () => Promise<unknown> } & Partial<Pollable<ExecutionResult>>;

/** One subscription: its id and results, and what its results wake when a step is ready. */
class Operation implements Waker {
  constructor(
    readonly id: string,
    readonly results: Results,
    readonly owner: GraphqlWsSocket<unknown>,
  ) {}

  /** Resumes sending, in a microtask shared with every operation woken in the same turn (one fan-out). */
  wake(): void {
    if (woken.push(this) === 1) queueMicrotask(resumeWoken);
  }
}

const woken: Operation[] = [];
function resumeWoken(): void {
  for (const operation of woken.splice(0)) void operation.owner.stream(operation);
}

/** What every socket of one endpoint shares. */
export type Endpoint<Session> = { hooks: GraphqlWsHooks<Session>; logger: Logger };

/** One socket's protocol state. */
export class GraphqlWsSocket<Session> {
  /** Set by an accepted `connection_init`. */
  session: Session | null = null;
  #initReceived = false;
  #initTimer: NodeJS.Timeout | null;
  /** Operations by id; null while an id's operation is being set up. */
  #operations: IdTable<Operation | null> = EMPTY_ID_TABLE;
  failed = false; // set once the socket reported an error (it is closing)

  constructor(
    readonly socket: WebSocket,
    /** The peer's address, for per-address rate limits (not the upgrade request, which would stay alive with the socket). */
    readonly peerAddress: string | undefined,
    readonly endpoint: Endpoint<Session>,
  ) {
    this.#initTimer = setTimeout(GraphqlWsSocket.#initTimedOut, CONNECTION_INIT_TIMEOUT_MS, this);
    this.#initTimer.unref();
  }

  /** Operations registered now, the one being set up included. */
  get operationCount(): number {
    return idTableSize(this.#operations);
  }

  static #initTimedOut(this: void, socket: GraphqlWsSocket<unknown>): void {
    socket.#initTimer = null;
    if (!socket.#initReceived) socket.socket.close(CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
  }

  /** A message from the client. */
  received(data: Buffer): void {
    let message;
    try {
      message = parseMessage(data.toString("utf8"));
    } catch {
      return this.socket.close(CloseCode.BadRequest, "Invalid message received");
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        return this.#guard(this.#init(message.payload));
      case MessageType.Ping:
        return this.#guard(this.#send(stringifyMessage(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong })));
      case MessageType.Pong: // nothing to do: `ws`'s own pings keep the socket alive
        return;
      case MessageType.Subscribe:
        if (this.session === null) return this.socket.close(CloseCode.Unauthorized, "Unauthorized");
        if (idTableHas(this.#operations, message.id)) return this.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${message.id} already exists`);
        this.#operations = idTableSet(this.#operations, message.id, null);
        return this.#guard(this.#subscribe(message.id, message.payload, data.byteLength));
      case MessageType.Complete: {
        const operation = idTableGet(this.#operations, message.id);
        this.#operations = idTableDelete(this.#operations, message.id);
        if (operation) return this.#guard(operation.results.return?.());
        return;
      }
      default:
        // parseMessage admits client-bound messages too (`next`, `connection_ack`, ...): a client sending one is broken.
        return this.socket.close(CloseCode.BadRequest, `Unexpected message of type ${message.type} received`);
    }
  }

  /** The socket closed: stops its operations, then tells the endpoint. */
  async onClosed(): Promise<void> {
    clearTimeout(this.#initTimer ?? undefined);
    const operations = idTableValues(this.#operations);
    this.#operations = EMPTY_ID_TABLE;
    await Promise.all(operations.map((operation) => operation?.results.return?.()));
    this.endpoint.hooks.closed(this);
  }

  async #init(payload: unknown): Promise<void> {
    if (this.#initReceived) return this.socket.close(CloseCode.TooManyInitialisationRequests, "Too many initialisation requests");
    this.#initReceived = true;
    if (this.#initTimer) clearTimeout(this.#initTimer);
    this.#initTimer = null;
    const params = typeof payload === "object" && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
    const accepted = await this.endpoint.hooks.connect(this, params);
    if (accepted === false) return this.socket.close(CloseCode.Forbidden, "Forbidden");
    this.session = accepted.session;
    await this.#send(stringifyMessage({ type: MessageType.ConnectionAck, payload: accepted.ack }));
  }

  async #subscribe(id: string, payload: SubscribePayload, sizeBytes: number): Promise<void> {
    let streaming = false;
    try {
      const { hooks } = this.endpoint;
      const args = await hooks.operation(this, id, payload, sizeBytes);
      if (Array.isArray(args)) return await this.#sendErrorsIfOpen(id, args as readonly GraphQLError[]);
      const executionArgs = args as ExecutionArgs;
      const operation = getOperationAST(executionArgs.document, executionArgs.operationName);
      if (!operation) return await this.#sendErrorsIfOpen(id, [new GraphQLError("Unable to identify operation")]);
      const result = operation.operation === "subscription" ? await hooks.subscribe(executionArgs) : await hooks.execute(executionArgs);
      if (Symbol.asyncIterator in result) {
        const results = result[Symbol.asyncIterator]() as Results;
        // The client completed it while it was being set up.
        if (!idTableHas(this.#operations, id)) return void (await results.return?.());
        const running = new Operation(id, results, this as GraphqlWsSocket<unknown>);
        this.#operations = idTableSet(this.#operations, id, running);
        streaming = true;
        void this.stream(running);
        return;
      }
      if (idTableHas(this.#operations, id)) await this.#sendResult(id, result);
      await this.#complete(id, null);
    } finally {
      if (!streaming && idTableGet(this.#operations, id) === null) this.#operations = idTableDelete(this.#operations, id);
    }
  }

  /**
   * Sends each result of a subscription, one after the other, until it ends, fails or is completed,
   * or (polled results) until none is ready: it runs again when the operation is woken. Never
   * rejects (nothing waits on it). A failed send closes the socket with 4500, which stops the results.
   */
  async stream(operation: Operation): Promise<void> {
    const { id, results } = operation;
    try {
      for (;;) {
        let step: IteratorResult<ExecutionResult> | undefined;
        try {
          step = results.poll ? results.poll(operation) : await results.next();
          if (step === undefined) return;
        } catch (error) {
          // The results failed (and closed themselves): an `error` message with the failure's message and extensions.
          if (idTableGet(this.#operations, id) !== operation) return;
          this.#operations = idTableDelete(this.#operations, id);
          return await this.#send(stringifyMessage({ id, type: MessageType.Error, payload: [streamError(error).toJSON()] }));
        }
        if (step.done) return await this.#complete(id, operation);
        if (idTableGet(this.#operations, id) !== operation) return;
        await this.#sendResult(id, step.value);
      }
    } catch (error) {
      this.#failed(error);
    }
  }

  /** Sends `complete` when the operation is still registered (not completed by the client, nor closed), and forgets it. */
  async #complete(id: string, operation: Operation | null): Promise<void> {
    if (idTableGet(this.#operations, id) !== operation) return;
    this.#operations = idTableDelete(this.#operations, id);
    await this.#send(stringifyMessage({ id, type: MessageType.Complete }));
  }

  async #sendResult(id: string, result: ExecutionResult): Promise<void> {
    const prepared = this.endpoint.hooks.beforeNext(this, result);
    if (prepared !== undefined) return this.#send(`{"id":${JSON.stringify(id)},"type":"next","payload":${prepared}}`);
    const { errors, ...rest } = result;
    const payload = errors ? { ...rest, errors: errors.map((error) => error.toJSON()) } : rest;
    return this.#send(stringifyMessage({ id, type: MessageType.Next, payload }));
  }

  async #sendErrorsIfOpen(id: string, errors: readonly GraphQLError[]): Promise<void> {
    if (idTableHas(this.#operations, id)) await this.#send(stringifyMessage({ id, type: MessageType.Error, payload: errors.map((error) => error.toJSON()) }));
  }

  /** Resolves once `ws` handed the frame to the kernel (or at once when the socket is no longer open). */
  #send(frame: string): Promise<void> {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => socket.send(frame, (error) => (error ? reject(error) : resolve())));
  }

  /** A failure of the server's own (a hook threw, a send failed) is logged and closes the socket with 4500. */
  #guard(work: Promise<unknown> | undefined): void {
    work?.catch((error: unknown) => this.#failed(error));
  }
  #failed(error: unknown): void {
    this.endpoint.logger.error({ err: error }, "graphql-ws message handling failed");
    this.socket.close(CloseCode.InternalServerError, "Internal server error");
  }
}

/** A subscription's failure as graphql-ws reports it: its message, and its extensions when it has some. */
function streamError(error: unknown): GraphQLError {
  const cause = error instanceof Error ? error : new Error(String(error));
  return new GraphQLError(cause.message, { originalError: cause });
}
