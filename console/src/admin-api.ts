/**
 * The console's only way to the server: the admin GraphQL API at `/graphql` and `/metrics`, with
 * the admin token in an `Authorization: Bearer` header. The token is kept in this tab's
 * sessionStorage (gone when the tab closes), never in a cookie (so no other site can make the
 * browser send it: nothing to forge) and never in a URL (so no history, log or referrer holds it).
 */

const TOKEN_KEY = "syncpool-console-admin-token";

/** An answer with errors, carrying the first error's code (`UNAUTHENTICATED`, `NOT_FOUND`, ...). */
export class AdminApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Calls of the admin API, all with the token. */
export interface AdminApi {
  /** Runs a GraphQL operation and answers its data; throws `AdminApiError` on any error. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** The Prometheus text of `/metrics`; throws `AdminApiError` when metrics are off or refused. */
  metrics(): Promise<string>;
}

/** The token kept for this tab, or null. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps (or with null forgets) the token for this tab. */
export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The API over `token`. */
export function createAdminApi(token: string): AdminApi {
  const headers = { authorization: `Bearer ${token}` };
  return {
    async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query, variables }),
        credentials: "omit",
      });
      const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      const error = body.errors?.[0];
      if (error) throw new AdminApiError(error.extensions?.code ?? "UNKNOWN", error.message);
      return body.data as T;
    },
    async metrics() {
      const response = await fetch("/metrics", { headers, credentials: "omit" });
      if (response.status === 404) throw new AdminApiError("NOT_FOUND", "metrics are off: start the server with SYNCPOOL_METRICS=admin (or on)");
      if (!response.ok) throw new AdminApiError("UNAUTHENTICATED", `metrics refused (HTTP ${response.status})`);
      return response.text();
    },
  };
}
