/**
 * Backpressure on a WebSocket. graphql-ws awaits each send, so events for a slow subscriber pile
 * up in its `EventQueue` (bounded there). But a connection has many subscriptions sending
 * concurrently, and `ws` keeps whatever the kernel did not take in `bufferedAmount`. Before each
 * event is sent we look at it: past the bound the socket is dropped with `SLOW_CONSUMER` (4413)
 * instead of buffering more. A socket so slow that even the close frame does not get out is cut
 * after `CLOSE_GRACE_MS` (the client then sees 1006, which means the same thing: reconnect).
 */
import { CLOSE_GRACE_MS, PUSH_CLOSE_CODES } from "./close-codes.js";

/** The part of a `ws` WebSocket this module uses (a fake in unit tests). */
export interface GuardedSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** `ws`'s readyState for an open socket. */
const OPEN = 1;

/**
 * Closes `socket` with `code`, and cuts it if the close handshake has not finished after
 * `CLOSE_GRACE_MS`. The reason is cut to the 123 bytes a close frame may carry.
 */
export function dropSocket(socket: GuardedSocket, code: number, reason: string): void {
  if (socket.readyState !== OPEN) return;
  socket.close(code, truncateUtf8(reason, 123));
  const timer = setTimeout(() => {
    if (socket.readyState !== 3 /* CLOSED */) socket.terminate();
  }, CLOSE_GRACE_MS);
  timer.unref();
}

/**
 * Checks `socket` before an event is sent to it: false (and the socket dropped with 4413) when
 * more than `maxBufferedBytes` already wait in its send buffer, true when it may take more.
 */
export function admitSend(socket: GuardedSocket, maxBufferedBytes: number): boolean {
  if (socket.readyState !== OPEN) return false;
  if (socket.bufferedAmount <= maxBufferedBytes) return true;
  dropSocket(socket, PUSH_CLOSE_CODES.SLOW_CONSUMER, `slow consumer: over ${maxBufferedBytes} bytes unsent; reconnect and resume`);
  return false;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  // Drop a partial character at the cut (the decoder would turn it into U+FFFD, 3 bytes).
  return bytes.subarray(0, maxBytes).toString("utf8").replace(/\uFFFD$/, "");
}
