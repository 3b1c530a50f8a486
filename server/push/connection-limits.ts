/**
 * Live connections per identity: a graphql-ws WebSocket counts once from its `connection_init`
 * to its close, an SSE subscription (one HTTP response) counts while it streams. Bounding them
 * per identity keeps one identity (or a stolen token) from holding the server's sockets and memory.
 * Counts are per server process; behind a load balancer the limit applies per instance.
 */

/** How a live connection reaches the server. */
export type LiveTransport = "websocket" | "sse";

/** Counts live connections per identity against one limit. */
export class ConnectionLimits {
  readonly #maxPerIdentity: number;
  readonly #open = new Map<string, number>();
  // Totals per transport, for the `syncpool_live_connections` gauge.
  readonly #byTransport: Record<LiveTransport, number> = { websocket: 0, sse: 0 };

  constructor(maxPerIdentity: number) {
    this.#maxPerIdentity = maxPerIdentity;
  }

  /** The limit, for error messages. */
  get maxPerIdentity(): number {
    return this.#maxPerIdentity;
  }

  /**
   * Takes a slot for `identityId`: returns its release function (idempotent), or null when the
   * identity already holds `maxPerIdentity` connections.
   */
  acquire(identityId: string, transport: LiveTransport): (() => void) | null {
    if (!this.take(identityId, transport)) return null;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.give(identityId, transport);
    };
  }

  /**
   * Takes a slot for `identityId` without a release function: false when none is left. The caller
   * gives it back with `give`, exactly once. For what holds thousands of slots at once (idle
   * WebSockets), where a closure and its scope per slot would be most of what the slot costs.
   */
  take(identityId: string, transport: LiveTransport): boolean {
    const open = this.#open.get(identityId) ?? 0;
    if (open >= this.#maxPerIdentity) return false;
    this.#open.set(identityId, open + 1);
    this.#byTransport[transport] += 1;
    return true;
  }

  /** Gives back a slot taken with `take` (once per `take`). */
  give(identityId: string, transport: LiveTransport): void {
    this.#byTransport[transport] -= 1;
    const now = (this.#open.get(identityId) ?? 1) - 1;
    if (now === 0) this.#open.delete(identityId);
    else this.#open.set(identityId, now);
  }

  /** Connections held now by every identity, per transport. */
  totals(): Record<LiveTransport, number> {
    return { ...this.#byTransport };
  }

  /** Connections `identityId` holds now. */
  count(identityId: string): number {
    return this.#open.get(identityId) ?? 0;
  }
}
