/**
 * A controllable network between test clients and a real syncpool server (on a port, or in-process
 * without live sockets). Each device gets its own
 * fake-indexeddb instance and a `fetch` that routes to whichever server is running now, so the
 * server can stop and come back (same data directory, new port) while clients keep one endpoint.
 * Live updates go through the device's `WebSocket` (the `ws` package), likewise routed to the
 * server running now. Per device the network can be offline, and can drop or duplicate push deliveries:
 * - `drop`: the request reaches the server (which commits it), the answer is lost;
 * - `duplicate`: the request is delivered twice; the client reads the second answer.
 *
 *   const net = await TestNetwork.start();
 *   const a = net.device("a");
 *   const client = a.client();
 *   await client.signIn();
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import WebSocket from "ws";
import { createClient, type ClientOptions, type SyncClient } from "../../client/index.js";
import { sentOperationName, socketOperationName } from "./sent-operation.js";
import { startInProcessServer, startTestServer, type InProcessServer, type TestServerOptions } from "./server.js";

/** What happens to one delivery of a push. */
export type PushFault = "drop" | "duplicate";

/** The fake endpoint clients are configured with; the network rewrites it to the live server. */
export const TEST_ENDPOINT = "http://syncpool.test/graphql";

export class DeviceLink {
  /** When true every request fails as if the device had no network. */
  offline = false;
  /** Faults applied to the next push deliveries, in order. */
  readonly pushFaults: PushFault[] = [];
  /** Decides a fault for each push without a queued one (random faults in convergence tests). */
  randomFault: (() => PushFault | null) | null = null;
  /** Push requests delivered to the server (duplicates count twice). */
  pushesDelivered = 0;
  readonly indexedDB = new IDBFactory();
  /** Open live-update sockets of this device's clients. */
  readonly sockets = new Set<WebSocket>();
  /** `subscribe` messages of own datasets' changes this device's clients sent (one per (re)subscription; shared datasets' ride alongside). */
  liveSubscribes = 0;
  /** Requests and socket connections refused because the device was offline or no server ran. */
  refusedAttempts = 0;
  /** Pushes this device's clients sent over their live sockets. */
  socketPushes = 0;
  /** While true, live sockets are refused (HTTP still works): the socket alone is down. */
  socketsDown = false;
  /** The next this many push answers arriving over a live socket are lost with the socket, which drops (1006). */
  dropSocketPushAnswers = 0;
  /** The WebSocket constructor this device's clients use: to the running server, refused while offline. */
  readonly WebSocket: new (url: string | URL, protocols?: string | string[]) => WebSocket;

  constructor(
    private readonly network: TestNetwork,
    readonly name: string,
  ) {
    const link = this;
    this.WebSocket = class RoutedWebSocket extends WebSocket {
      constructor(_url: string | URL, protocols?: string | string[]) {
        const server = link.network.server;
        const refused = link.offline || link.socketsDown || !server;
        if (refused) link.refusedAttempts += 1;
        // Port 9 (discard) refuses on loopback: the connection fails as with no network.
        super(refused ? "ws://127.0.0.1:9/graphql" : server.graphqlUrl.replace(/^http/, "ws"), protocols);
        link.sockets.add(this);
        this.on("close", () => link.sockets.delete(this));
      }
      override send(data: unknown, ...rest: unknown[]): void {
        const operation = socketOperationName(data);
        if (operation === "Push") link.socketPushes += 1;
        else if (operation !== null && operation !== "SharedDatasetChanged") link.liveSubscribes += 1;
        (super.send as (...args: unknown[]) => void)(data, ...rest);
      }
      override emit(event: string | symbol, ...args: unknown[]): boolean {
        if (event === "message" && link.dropSocketPushAnswers > 0 && String(args[0]).includes('"pushRecords"')) {
          link.dropSocketPushAnswers -= 1;
          this.terminate();
          return true;
        }
        return super.emit(event, ...args);
      }
    };
  }

  /** Drops every open live socket as a lost network does (1006). */
  dropSockets(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** The fetch this device's clients use. */
  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const server = this.network.server;
    if (this.offline || !server) {
      this.refusedAttempts += 1;
      throw new TypeError(`fetch failed: ${this.name} is offline`);
    }
    // Anything but GraphQL (the user pool's API under the same origin) goes to its own path.
    const path = new URL(url).pathname;
    if (path !== new URL(TEST_ENDPOINT).pathname) return server.testFetch(`${server.url}${path}`, init);
    const isPush = sentOperationName(init.body) === "Push";
    const fault = isPush ? (this.pushFaults.shift() ?? this.randomFault?.() ?? null) : null;
    if (fault === "duplicate") {
      this.pushesDelivered += 1;
      await (await server.testFetch(server.graphqlUrl, init)).text();
    }
    const response = await server.testFetch(server.graphqlUrl, init);
    if (isPush) this.pushesDelivered += 1;
    if (fault === "drop") {
      await response.text();
      throw new TypeError(`fetch failed: the answer to ${this.name}'s push was lost`);
    }
    return response;
  };

  /** A new client on this device (same IndexedDB each time: a restarted app). */
  client(options: Partial<ClientOptions> = {}): SyncClient {
    const client = createClient({
      endpoint: TEST_ENDPOINT,
      identityPoolId: "default",
      indexedDB: this.indexedDB,
      IDBKeyRange: IDBKeyRange as unknown as typeof globalThis.IDBKeyRange,
      fetch: this.fetch,
      autoSync: false,
      intervalMs: 0,
      ...options,
    });
    this.network.clients.add(client);
    return client;
  }
}

export class TestNetwork {
  server: InProcessServer | null = null;
  readonly clients = new Set<SyncClient>();
  readonly #devices = new Map<string, DeviceLink>();

  private constructor(
    readonly dataDir: string,
    private readonly serverOptions: TestServerOptions,
    private readonly inProcess: boolean,
  ) {}

  /**
   * Starts a server on a fresh data directory. `inProcess`: without a port, requests reach it
   * through `server.fetch` (`startInProcessServer`), for tests that use no live socket.
   */
  static async start(serverOptions: TestServerOptions = {}, { inProcess = false } = {}): Promise<TestNetwork> {
    const network = new TestNetwork(mkdtempSync(join(tmpdir(), "syncpool-client-")), serverOptions, inProcess);
    await network.startServer();
    return network;
  }

  /** The device `name` (created on first use). */
  device(name: string): DeviceLink {
    let link = this.#devices.get(name);
    if (!link) this.#devices.set(name, (link = new DeviceLink(this, name)));
    return link;
  }

  /** Forgets a device and its IndexedDB (free memory between convergence seeds). */
  forgetDevice(name: string): void {
    this.#devices.delete(name);
  }

  async startServer(): Promise<void> {
    if (this.server) return;
    const options = { ...this.serverOptions, dataDir: this.dataDir };
    this.server = await (this.inProcess ? startInProcessServer(options) : startTestServer(options));
  }

  async stopServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  /** Stops every client and the server, and deletes the data directory. */
  async close(): Promise<void> {
    for (const client of this.clients) await client.close();
    await this.stopServer();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
