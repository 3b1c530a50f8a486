/**
 * Identity tokens already verified, by their exact text: an app sends the same token with every
 * request until it renews it, and the ES256 signature check is the costliest step of a request's
 * authentication. Bounded: past `maxEntries` the least recently used entry goes. An entry says
 * which key verified it and what the token claims; whether it still stands (unexpired, its key
 * still held, the asked audience) is the token service's decision on every use
 * (`server/identity/tokens.ts`). Nothing about the identity itself is remembered: its status is
 * read per request by the callers, so a disabled identity is refused at once.
 */

/** One verified token: the key that verified it and the claims it carries. */
export interface VerifiedToken<Claims> {
  kid: string;
  claims: Claims;
}

/** A least-recently-used map from token text to what its verification found. */
export interface VerifiedTokenCache<Claims> {
  get(token: string): VerifiedToken<Claims> | undefined;
  set(token: string, entry: VerifiedToken<Claims>): void;
  delete(token: string): void;
  readonly size: number;
}

/** A cache of at most `maxEntries` tokens (0 remembers none). */
export function createVerifiedTokenCache<Claims>(maxEntries: number): VerifiedTokenCache<Claims> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, VerifiedToken<Claims>>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (entry !== undefined) {
        entries.delete(token);
        entries.set(token, entry);
      }
      return entry;
    },
    set(token, entry) {
      if (maxEntries <= 0) return;
      entries.delete(token);
      entries.set(token, entry);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    delete(token) {
      entries.delete(token);
    },
    get size() {
      return entries.size;
    },
  };
}
