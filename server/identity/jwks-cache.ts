/**
 * OIDC providers' public keys, fetched and cached. A provider's key set comes from its `jwksUri`,
 * or, when that is absent, from the `jwks_uri` of its OpenID configuration
 * (`<issuer>/.well-known/openid-configuration`). Keys are cached for `maxAgeMs`; a token signed
 * with a key id the cache does not know triggers one refetch (providers rotate keys), at most once
 * per `refetchCooldownMs` per provider, so tokens with made-up key ids cannot make the server
 * hammer a provider. Every request has the provider's timeout: a provider that hangs delays a
 * sign-in by at most that long. When a refresh fails the keys already held stay in use.
 *
 * The network is a function passed in (`FetchLike`): `server/create-server.ts` hands in the global fetch,
 * tests may hand in their own.
 */
import type { JSONWebKeySet } from "jose";
import { SyncpoolError } from "../../core/errors.js";
import { isLoopbackUrl, type ProviderSettings } from "./pool-settings.js";

/** The part of `fetch` the cache uses. */
export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;

/** How the cache behaves; every field but `fetch` has a default. */
export interface JwksCacheOptions {
  fetch: FetchLike;
  /** Time, epoch ms (the server's clock, so tests can move it). */
  now: () => number;
  /** How long fetched keys are used before they are fetched again. Default 10 minutes. */
  maxAgeMs?: number;
  /** Least time between two fetches for one provider. Default 30 s (jose's default too). */
  refetchCooldownMs?: number;
}

/** Largest discovery document or key set read, in bytes. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

interface Entry {
  keys: JSONWebKeySet;
  fetchedAt: number;
  /** Last attempt, successful or not: the cooldown counts from it. */
  attemptedAt: number;
  pending: Promise<JSONWebKeySet> | null;
}

/** The key sets of every provider the server verifies logins of. */
export interface JwksCache {
  /**
   * The provider's keys, fetched when not cached or expired, and refetched once (cooldown
   * permitting) when none has `kid`.
   * @throws SyncpoolError UNAUTHENTICATED (`reason: PROVIDER_UNAVAILABLE`) when there are no keys
   *   and the provider cannot be reached in time or answers nonsense.
   */
  keysFor(provider: ProviderSettings, kid: string | undefined): Promise<JSONWebKeySet>;
}

/** Builds an empty cache. */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.refetchCooldownMs ?? 30_000;
  const entries = new Map<string, Entry>();

  const refresh = (provider: ProviderSettings, entry: Entry | undefined): Promise<JSONWebKeySet> => {
    if (entry?.pending) return entry.pending; // concurrent sign-ins share one fetch
    const key = cacheKey(provider);
    const started = options.now();
    const pending = fetchKeySet(options.fetch, provider).then(
      (keys) => {
        entries.set(key, { keys, fetchedAt: started, attemptedAt: started, pending: null });
        return keys;
      },
      (error: unknown) => {
        if (!entry) {
          entries.delete(key);
          throw error;
        }
        entries.set(key, { ...entry, attemptedAt: started, pending: null });
        return entry.keys; // keep serving the keys we had
      },
    );
    entries.set(key, { keys: entry?.keys ?? { keys: [] }, fetchedAt: entry?.fetchedAt ?? 0, attemptedAt: started, pending });
    return pending;
  };

  return {
    async keysFor(provider, kid) {
      const entry = entries.get(cacheKey(provider));
      if (entry?.pending) return entry.pending;
      if (!entry) return refresh(provider, undefined);
      const now = options.now();
      const coolingDown = now - entry.attemptedAt < cooldownMs;
      if (now - entry.fetchedAt >= maxAgeMs && !coolingDown) return refresh(provider, entry);
      const known = kid === undefined || entry.keys.keys.some((jwk) => jwk.kid === kid);
      if (!known && !coolingDown) return refresh(provider, entry);
      return entry.keys;
    },
  };
}

/** Providers sharing an issuer and key set URL share cache entries, whichever pool lists them. */
function cacheKey(provider: ProviderSettings): string {
  return JSON.stringify([provider.issuer, provider.jwksUri ?? null]);
}

async function fetchKeySet(fetch: FetchLike, provider: ProviderSettings): Promise<JSONWebKeySet> {
  // One deadline for discovery and key set together: the sign-in waits at most this long.
  const signal = AbortSignal.timeout(provider.jwksTimeoutMs);
  const jwksUri = provider.jwksUri ?? (await discoverJwksUri(fetch, provider, signal));
  const body = await fetchJson(fetch, jwksUri, signal, provider);
  const keys = (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || !keys.every((jwk) => jwk !== null && typeof jwk === "object")) {
    throw unavailable(provider, `${jwksUri} is not a JWK set`);
  }
  return { keys } as JSONWebKeySet;
}

async function discoverJwksUri(fetch: FetchLike, provider: ProviderSettings, signal: AbortSignal): Promise<string> {
  const url = `${provider.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const document = (await fetchJson(fetch, url, signal, provider)) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was fetched for.
  if (document.issuer !== provider.issuer) throw unavailable(provider, `${url} names another issuer`);
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== "string" || !/^https?:\/\//.test(jwksUri)) throw unavailable(provider, `${url} has no jwks_uri`);
  if (jwksUri.startsWith("http:") && !provider.allowInsecureHttp && !isLoopbackUrl(jwksUri)) {
    throw unavailable(provider, `${url} names a plain-http jwks_uri`);
  }
  return jwksUri;
}

async function fetchJson(fetch: FetchLike, url: string, signal: AbortSignal, provider: ProviderSettings): Promise<unknown> {
  let text: string;
  try {
    const response = await fetch(url, { signal, headers: { accept: "application/json" } });
    if (!response.ok) throw unavailable(provider, `${url} answered HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > MAX_DOCUMENT_BYTES) throw unavailable(provider, `${url} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
    text = new TextDecoder().decode(bytes);
  } catch (error) {
    if (error instanceof SyncpoolError) throw error;
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw unavailable(provider, timedOut ? `${url} did not answer within ${provider.jwksTimeoutMs} ms` : `${url} could not be fetched`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unavailable(provider, `${url} did not answer JSON`);
  }
}

function unavailable(provider: ProviderSettings, why: string): SyncpoolError {
  return new SyncpoolError("UNAUTHENTICATED", `login provider "${provider.name}" is unavailable: ${why}; try again later`, {
    reason: "PROVIDER_UNAVAILABLE",
    provider: provider.name,
  });
}
