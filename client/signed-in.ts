/**
 * Who is signed in on a client right now: the active identity's parts (`active-identity.ts`), the
 * signal live queries follow, and the shared datasets the app opened, which every identity signing
 * in pulls.
 */
import { SyncpoolError } from "../core/errors.js";
import type { Active } from "./active-identity.js";
import type { Emitter } from "./events.js";
import { IdentitySignal } from "./follow-identity.js";

/** See the module comment. */
export class SignedIn {
  #active: Active | null = null;
  /** Announces every change of the identity signed in, so watchers follow it. */
  readonly signal = new IdentitySignal<Active>();
  /** Local names of the shared datasets the app opened. */
  readonly #sharedNames = new Set<string>();

  constructor(private readonly emitter: Emitter) {}

  /** The identity signed in, or null. */
  get current(): Active | null {
    return this.#active;
  }

  /** The identity signed in; throws UNAUTHENTICATED when none is. */
  require(): Active {
    if (!this.#active) throw new SyncpoolError("UNAUTHENTICATED", "not signed in: call signIn() first");
    return this.#active;
  }

  /** Makes `active` the identity signed in (null: nobody); a new one pulls the shared datasets and emits `signedIn`. */
  set(active: Active | null): void {
    this.#active = active;
    this.signal.set(active);
    if (!active) return;
    for (const name of this.#sharedNames) active.tabs.remoteChanged(name);
    this.emitter.emit("signedIn", { identityId: active.identityId });
  }

  /** A shared dataset the app opened, by its local name: pulled now when new, and by each identity signing in. */
  openShared(localName: string): void {
    if (this.#sharedNames.has(localName)) return;
    this.#sharedNames.add(localName);
    this.#active?.tabs.remoteChanged(localName);
  }
}
