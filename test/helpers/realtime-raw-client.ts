/**
 * A raw client of the model API's realtime WebSocket, for the tests that speak it frame by frame
 * as aws-amplify 6 does: every frame it received, and a wait for the next one matching (a frame
 * already received counts). Each frame is taken by the first wait that matches it.
 */
import { WebSocket } from "ws";

/** A connected socket and its frames. */
export interface RawRealtimeClient {
  socket: WebSocket;
  protocol: string;
  send(message: unknown): void;
  next(match: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Frames received and not yet taken by `next`. */
  frames: any[];
  closed: Promise<{ code: number }>;
}

/** Opens `url` offering `protocols`; resolves once the socket is open. */
export async function connectRealtime(url: string, protocols: string[]): Promise<RawRealtimeClient> {
  const socket = new WebSocket(url, protocols);
  const frames: any[] = [];
  const waiters: { match: (frame: any) => boolean; resolve: (frame: any) => void }[] = [];
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.match(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number }>((resolve) => socket.once("close", (code) => resolve({ code })));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    socket,
    protocol: socket.protocol,
    frames,
    closed,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    next: (match, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const seen = frames.find(match);
        if (seen) {
          frames.splice(frames.indexOf(seen), 1);
          return resolve(seen);
        }
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (frame) => {
            clearTimeout(timer);
            frames.splice(frames.indexOf(frame), 1);
            resolve(frame);
          },
        });
      }),
  };
}

/** The `header-` subprotocol carrying `headers` (base64url JSON), as aws-amplify >= 6.6 offers it. */
export const headerProtocol = (headers: object): string => `header-${Buffer.from(JSON.stringify(headers)).toString("base64url")}`;

/** A `start` message; without `authorization` it relies on the connection's credentials. */
export const startMessage = (id: string, query: string, variables: object = {}, authorization?: object) => ({
  id,
  type: "start",
  payload: { data: JSON.stringify({ query, variables }), ...(authorization ? { extensions: { authorization: { ...authorization, "x-amz-user-agent": "aws-amplify/6.22.1 datastore/1" } } } : {}) },
});
