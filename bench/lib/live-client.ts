/**
 * A graphql-ws client of syncpool's live endpoint for the benches: connected at once (not lazily),
 * never retrying, its connection errors left to the scenario's own waits (a bench measures, it
 * does not recover).
 */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/** A client of the server whose GraphQL URL is `graphqlUrl` (http://…), signed in with `token`. */
export function liveClient(graphqlUrl: string, token: string): Client {
  return createClient({
    url: graphqlUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
}
