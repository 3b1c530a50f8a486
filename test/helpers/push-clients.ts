/**
 * Live subscription clients for integration tests and the benchmark: a real graphql-ws client over
 * `ws`, and a real SSE client over `fetch` streaming. Both collect what arrives in a `Mailbox`, so
 * tests read as `expect(await sub.next()).toMatchObject({ syncCount: 2 })`.
 *
 *   const conn = connectWs(server, token);
 *   const sub = conn.subscribe({ dataset: "notes" });
 *   await sub.ready;        // the server is listening (a first event may already be queued)
 *
 * `ready` is a fact, never a pause: over SSE the response starts only once the server listens; over
 * WebSocket, given a server of this process, the server's change bus counts the subscription (a
 * child process's server is reached by URL, and there `ready` only means connected: such a test
 * waits on an event it sees).
 */
import type { GraphQLFormattedError } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/** The fields of a `DatasetChange` the tests read. */
export const DATASET_CHANGE_FIELDS = "dataset syncCount deviceId mutationId deleted behind records { key value kind syncCount deleted lastModifiedBy }";

export const DATASET_CHANGED = `subscription ($dataset: String, $since: Int) {
  datasetChanged(dataset: $dataset, sinceSyncCount: $since) { ${DATASET_CHANGE_FIELDS} } }`;

export interface DatasetChange {
  dataset: string;
  syncCount: number;
  deviceId: string | null;
  mutationId: string | null;
  deleted: boolean;
  behind: boolean;
  records: Array<{ key: string; value: string | null; kind: string; syncCount: number; deleted: boolean; lastModifiedBy: string }> | null;
}

/** Items arriving over time, read in order; `next` waits for one, `unread` lists what came and was not read. */
export class Mailbox<T> {
  readonly items: T[] = [];
  #read = 0;
  #waiters: Array<() => void> = [];

  put(item: T): void {
    this.items.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The next unread item; rejects after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.#read >= this.items.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing arrived within ${timeoutMs} ms (read ${this.#read} so far)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items[this.#read++]!;
  }

  /** Resolves once the mailbox holds an item (read or not); never rejects. */
  wait(): Promise<void> {
    if (this.items.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(() => resolve()));
  }

  /**
   * The items not read yet. To show that something did NOT arrive, wait on a fact that comes after
   * it (a later change the same listener must hear, or the server's own queue going idle), then
   * check this is empty: never a quiet spell.
   */
  unread(): T[] {
    return this.items.slice(this.#read);
  }
}

/** One subscription's results: events, and errors (GraphQL errors, or the socket closing). */
export interface LiveSubscription {
  events: Mailbox<DatasetChange>;
  errors: Mailbox<GraphQLFormattedError[] | { code: number; reason: string }>;
  next(timeoutMs?: number): Promise<DatasetChange>;
  /**
   * Resolves once the server listens (an SSE response started; over WebSocket the server's change
   * bus counts this subscription), or once the server refused it (see `errors`).
   */
  ready: Promise<void>;
  close(): void;
}

export interface WsConnection {
  client: Client;
  /** The `connection_ack` payload, or the close event when the server refused. */
  opened: Promise<{ ack: Record<string, unknown> | undefined } | { closed: { code: number; reason: string } }>;
  /** Every close event of the socket. */
  closes: Mailbox<{ code: number; reason: string }>;
  /** The underlying socket once connected (to pause it, say). */
  socket(): WebSocket | undefined;
  subscribe(variables?: { dataset?: string; since?: number }, query?: string): LiveSubscription;
  dispose(): Promise<void>;
}

/** A server of this process: its change bus tells when a subscription is registered. */
export interface LiveServer {
  graphqlUrl: string;
  server: { push: { bus: { listenerCount(): number } } };
}

/** Subscriptions asked for together (in one synchronous run) on one bus: counted once it counts `target`. */
interface Batch {
  target: number;
}
/** Per bus: the batch being asked for now, and the batches not yet counted. */
const batchesOf = new WeakMap<object, { forming: Batch | null; waiting: Set<Batch> }>();

/**
 * Resolves once `bus` counts the subscription asked for now, with the others asked for in the same
 * synchronous run and those of earlier batches still waiting; or once `refused` settles (then the
 * batch waits for one subscription less). Registering takes a network round trip, so no
 * subscription of a batch can be counted before the batch's base is read.
 */
function counted(bus: { listenerCount(): number }, refused: Promise<unknown>): Promise<void> {
  const state = batchesOf.get(bus) ?? { forming: null, waiting: new Set<Batch>() };
  batchesOf.set(bus, state);
  let batch = state.forming;
  if (!batch) {
    const base = Math.max(bus.listenerCount(), ...[...state.waiting].map((earlier) => earlier.target));
    const formed: Batch = { target: base };
    batch = state.forming = formed;
    state.waiting.add(formed);
    queueMicrotask(() => {
      if (state.forming === formed) state.forming = null;
    });
  }
  const mine = batch;
  mine.target++;
  let refusedNow = false;
  const registered = (async () => {
    const deadline = Date.now() + 5000;
    while (!refusedNow && bus.listenerCount() < mine.target) {
      if (Date.now() > deadline) throw new Error(`the server counts ${bus.listenerCount()} subscriptions, expected ${mine.target}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    state.waiting.delete(mine);
  })();
  const gaveUp = refused.then(() => {
    refusedNow = true;
    mine.target--;
  });
  return Promise.race([registered, gaveUp]);
}

/**
 * A graphql-ws client on `target` (a server of this process, or a URL; http → ws) that sends
 * `token` in `connection_init` and never retries.
 */
export function connectWs(target: LiveServer | string, token: string | null): WsConnection {
  const graphqlUrl = typeof target === "string" ? target : target.graphqlUrl;
  const closes = new Mailbox<{ code: number; reason: string }>();
  let socket: WebSocket | undefined;
  let resolveOpened!: (value: { ack: Record<string, unknown> | undefined } | { closed: { code: number; reason: string } }) => void;
  const opened = new Promise<{ ack: Record<string, unknown> | undefined } | { closed: { code: number; reason: string } }>((resolve) => (resolveOpened = resolve));
  const client = createClient({
    url: graphqlUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      connected: (connectedSocket, payload) => {
        socket = connectedSocket as WebSocket;
        resolveOpened({ ack: payload as Record<string, unknown> | undefined });
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.put({ code, reason: String(reason) });
        resolveOpened({ closed: { code, reason: String(reason) } });
      },
    },
  });
  return {
    client,
    opened,
    closes,
    socket: () => socket,
    subscribe(variables = {}, query = DATASET_CHANGED) {
      const events = new Mailbox<DatasetChange>();
      const errors = new Mailbox<GraphQLFormattedError[] | { code: number; reason: string }>();
      const stop = client.subscribe<{ datasetChanged: DatasetChange }>(
        { query, variables },
        {
          next: (result) => (result.errors ? errors.put([...result.errors]) : events.put(result.data!.datasetChanged)),
          error: (error) => errors.put(Array.isArray(error) ? error : { code: (error as { code: number }).code, reason: String((error as { reason: string }).reason) }),
          complete: () => undefined,
        },
      );
      // graphql-ws gives no "subscribed" signal: the server's bus counts the subscription instead.
      const bus = typeof target === "string" ? null : target.server.push.bus;
      const refused = Promise.race([errors.wait(), closes.wait()]);
      const ready = bus ? counted(bus, refused) : opened.then(() => undefined);
      return { events, errors, next: (timeoutMs) => events.next(timeoutMs), ready, close: stop };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** A `datasetChanged` subscription over SSE (`Accept: text/event-stream`) on `target` (see `connectWs`), with a bearer token. */
export function subscribeSse(
  target: LiveServer | string,
  token: string | null,
  variables: { dataset?: string; since?: number } = {},
  query = DATASET_CHANGED,
): LiveSubscription & { status: Promise<number> } {
  const events = new Mailbox<DatasetChange>();
  const errors = new Mailbox<GraphQLFormattedError[] | { code: number; reason: string }>();
  const abort = new AbortController();
  let resolveStatus!: (status: number) => void;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const graphqlUrl = typeof target === "string" ? target : target.graphqlUrl;
  // Joins the batch of subscriptions asked for now, so that WebSocket ones asked for with it wait for it too.
  const refused = Promise.race([errors.wait(), status.then((code) => (code === 200 ? new Promise<never>(() => undefined) : undefined))]);
  const listening = typeof target === "string" ? Promise.resolve() : counted(target.server.push.bus, refused);
  const started = (async () => {
    const response = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    resolveStatus(response.status);
    void readEvents(response, (result) => {
      const parsed = result as { data?: { datasetChanged: DatasetChange }; errors?: GraphQLFormattedError[] };
      if (parsed.errors) errors.put(parsed.errors);
      else if (parsed.data) events.put(parsed.data.datasetChanged);
    }).catch(() => undefined);
  })();
  const ready = Promise.all([started, listening]).then(() => undefined);
  return { events, errors, next: (timeoutMs) => events.next(timeoutMs), ready, status, close: () => abort.abort() };
}

/**
 * Resolves once `server` holds no live subscription any more: a closed socket or stream is released
 * on the server a moment after the client lets go, and the next test's counting starts from there.
 */
export async function subscriptionsReleased(server: LiveServer, timeoutMs = 5000): Promise<void> {
  const { bus } = server.server.push;
  const deadline = Date.now() + timeoutMs;
  while (bus.listenerCount() > 0) {
    if (Date.now() > deadline) throw new Error(`the server still holds ${bus.listenerCount()} subscriptions`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Reads `event: next` messages of an SSE response and hands each data JSON to `onNext`. */
async function readEvents(response: Response, onNext: (data: unknown) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = message.split("\n");
      const type = lines.find((line) => line.startsWith("event:"))?.slice(6).trim();
      const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n");
      if (type === "next" && data) onNext(JSON.parse(data));
    }
  }
}
