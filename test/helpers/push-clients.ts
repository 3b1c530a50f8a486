/**
 * Live subscription clients for integration tests and the benchmark: a real graphql-ws client over
 * `ws`, and a real SSE client over `fetch` streaming. Both collect what arrives in a `Mailbox`, so
 * tests read as `expect(await sub.next()).toMatchObject({ syncCount: 2 })`.
 *
 *   const conn = connectWs(server.graphqlUrl, token);
 *   const sub = conn.subscribe({ dataset: "notes" });
 *   await sub.ready;        // the server is listening (a first event may already be queued)
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

/** Items arriving over time, read in order; `next` waits for one, `expectNone` checks that none came. */
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

  /** Resolves when nothing unread arrived within `ms`; rejects with what did. */
  async expectNone(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.#read < this.items.length) throw new Error(`unexpected: ${JSON.stringify(this.items.slice(this.#read))}`);
  }
}

/** One subscription's results: events, and errors (GraphQL errors, or the socket closing). */
export interface LiveSubscription {
  events: Mailbox<DatasetChange>;
  errors: Mailbox<GraphQLFormattedError[] | { code: number; reason: string }>;
  next(timeoutMs?: number): Promise<DatasetChange>;
  /** Resolves once the server has set the subscription up (an SSE response started, or a short settle over WebSocket). */
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

/** A graphql-ws client on `graphqlUrl` (http → ws) that sends `token` in `connection_init` and never retries. */
export function connectWs(graphqlUrl: string, token: string | null, settleMs = 150): WsConnection {
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
      // graphql-ws gives no "subscribed" signal: wait for the socket, then let the server set up.
      const ready = opened.then(() => new Promise<void>((resolve) => setTimeout(resolve, settleMs)));
      return { events, errors, next: (timeoutMs) => events.next(timeoutMs), ready, close: stop };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** A `datasetChanged` subscription over SSE (`Accept: text/event-stream`), with a bearer token. */
export function subscribeSse(
  graphqlUrl: string,
  token: string | null,
  variables: { dataset?: string; since?: number } = {},
  query = DATASET_CHANGED,
): LiveSubscription & { status: Promise<number> } {
  const events = new Mailbox<DatasetChange>();
  const errors = new Mailbox<GraphQLFormattedError[] | { code: number; reason: string }>();
  const abort = new AbortController();
  let resolveStatus!: (status: number) => void;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const ready = (async () => {
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
    // The response starts once the subscription is listening; give the first write a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
  })();
  return { events, errors, next: (timeoutMs) => events.next(timeoutMs), ready, status, close: () => abort.abort() };
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
