/**
 * Observables that follow the client's signed-in identity. A `watch()`/`observe()` made before
 * `signIn()`, or kept across a sign-out and a new sign-in, must keep working: each subscriber
 * runs its query against the identity signed in now, re-subscribes when another one signs in,
 * and receives the signed-out value (undefined, an empty object, 0...) while nobody is.
 *
 * The observable speaks both contracts apps reach for: Svelte stores (`subscribe(fn)` returns an
 * unsubscribe function and calls `fn` at once with the current value when it is known) and the
 * TC39/RxJS interop (`subscribe({ next, error })` returning `{ unsubscribe }`, and
 * `[Symbol.observable]()` / `"@@observable"` for `from()`). Equal values are not re-emitted.
 */

/** What `subscribe` returns: call it, or call its `unsubscribe` (RxJS style). */
export type Unsubscribe = (() => void) & { unsubscribe(): void };

/** An observer object (RxJS / TC39 shape). */
export interface Observer<T> {
  next?: (value: T) => void;
  error?: (error: unknown) => void;
}

/** A value that changes over time: local reads re-run whenever the data they read changes. */
export interface Observable<T> {
  /**
   * Starts delivering values to `observer` (a function or `{ next, error }`). When the current
   * value is already known it is delivered synchronously, before `subscribe` returns.
   */
  subscribe(observer: ((value: T) => void) | Observer<T>): Unsubscribe;
  /** Interop for RxJS `from()` and other libraries (`Symbol.observable` too, where defined). */
  "@@observable"(): Observable<T>;
}

/** The identity currently signed in (any object standing for it), and who wants to hear of changes. */
export class IdentitySignal<I extends object> {
  #current: I | null = null;
  readonly #listeners = new Set<(current: I | null) => void>();

  get current(): I | null {
    return this.#current;
  }

  /** Announces a new identity (or null on sign-out) to every follower. */
  set(current: I | null): void {
    if (current === this.#current) return;
    this.#current = current;
    for (const listener of [...this.#listeners]) listener(current);
  }

  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: (current: I | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** A query of one identity's data, as the store provides it (Dexie's `liveQuery`). */
export type LiveQuery<T> = () => { subscribe(observer: Observer<T>): { unsubscribe(): void } };

/**
 * An observable of `query` run against whichever identity `signal` holds; `signedOut` is the
 * value while nobody is signed in.
 */
export function followIdentity<I extends object, T>(signal: IdentitySignal<I>, query: LiveQuery<T>, signedOut: T): Observable<T> {
  // The latest value any subscriber saw, with the identity it belongs to: what a new subscriber
  // receives synchronously (the Svelte store contract), never another identity's data.
  let latest: { identity: I | null; value: T } | null = null;

  const observable: Observable<T> = {
    subscribe(observerOrNext) {
      const observer: Observer<T> = typeof observerOrNext === "function" ? { next: observerOrNext } : observerOrNext;
      let closed = false;
      let delivered: { value: T } | null = null;
      let inner: { unsubscribe(): void } | null = null;

      const deliver = (identity: I | null, value: T) => {
        if (closed || signal.current !== identity) return;
        latest = { identity, value };
        if (delivered && sameValue(delivered.value, value)) return;
        delivered = { value };
        observer.next?.(value);
      };
      const follow = (identity: I | null) => {
        // Stop the old identity's query first: its database is about to close.
        inner?.unsubscribe();
        inner = null;
        if (closed) return;
        if (!identity) return deliver(null, signedOut);
        inner = query().subscribe({
          next: (value) => deliver(identity, value),
          error: (error) => {
            if (!closed && signal.current === identity) observer.error?.(error);
          },
        });
      };

      if (latest && latest.identity === signal.current) deliver(latest.identity, latest.value);
      const stopFollowing = signal.subscribe(follow);
      follow(signal.current);
      const unsubscribe = () => {
        closed = true;
        stopFollowing();
        inner?.unsubscribe();
        inner = null;
      };
      return Object.assign(unsubscribe, { unsubscribe });
    },
    "@@observable": () => observable,
  };
  const symbol = (Symbol as { observable?: symbol }).observable;
  if (symbol) Object.defineProperty(observable, symbol, { value: () => observable });
  return observable;
}

/** Structural equality of plain values (strings, numbers, records of them, arrays of records). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null) && (a === undefined) === (b === undefined);
}
