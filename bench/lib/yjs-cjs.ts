/**
 * Yjs and y-websocket for the peer baseline, loaded through `require` so the y-websocket server
 * (`y-websocket/bin/utils`, CommonJS only) and its clients share ONE copy of Yjs: mixing the ESM
 * and CommonJS builds in one process breaks Yjs's constructor checks. Only the bench children
 * that run the peer load this module; the syncpool side never does.
 */
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type * as YType from "yjs";

const require = createRequire(import.meta.url);

/** Yjs, CommonJS build. */
export const Y = require("yjs") as typeof YType;

/** The parts of a y-websocket provider the benches use. */
export interface YProvider {
  synced: boolean;
  on(event: "sync", listener: (synced: boolean) => void): void;
  destroy(): void;
}

interface YAwareness {
  setLocalState(state: unknown): void;
}

const { WebsocketProvider } = require("y-websocket") as {
  WebsocketProvider: new (url: string, room: string, doc: YType.Doc, options: Record<string, unknown>) => YProvider;
};
const { Awareness } = require("y-protocols/awareness") as { Awareness: new (doc: YType.Doc) => YAwareness };
const { setupWSConnection } = require("y-websocket/bin/utils") as {
  setupWSConnection: (conn: unknown, request: unknown, options?: { docName?: string; gc?: boolean }) => void;
};

export { setupWSConnection };

/** The y-websocket server on a free port of 127.0.0.1: its ws:// URL, and `close` to end every connection and stop listening. */
export async function listenYWebsocket(): Promise<{ url: string; close(): void }> {
  const httpServer = createServer();
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (socket, request) => setupWSConnection(socket, request));
  httpServer.on("upgrade", (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request)));
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    close() {
      for (const client of wss.clients) client.terminate();
      httpServer.close();
    },
  };
}

/**
 * A Yjs client of `room` on the y-websocket server at `url` (ws://host:port), over `ws`. Without
 * presence: its awareness state is null, so joining sends no awareness update to the room (as a
 * syncpool subscriber announces nothing to the identity's other devices).
 */
export function connectYClient(url: string, room: string, webSocketImpl: unknown, doc = new Y.Doc()): { doc: YType.Doc; provider: YProvider } {
  const awareness = new Awareness(doc);
  awareness.setLocalState(null);
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: webSocketImpl, disableBc: true, awareness });
  return { doc, provider };
}

/** Resolves once `provider` has synced with the server. */
export function whenSynced(provider: YProvider): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve) => provider.on("sync", (synced) => synced && resolve()));
}
