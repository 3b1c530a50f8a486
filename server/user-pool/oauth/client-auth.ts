/**
 * Who calls the token and revocation endpoints: an app client of the pool, proving itself with
 * its secret in HTTP Basic (`client_secret_basic`) or in the body (`client_secret_post`), or a
 * public client naming itself with `client_id` alone. Cognito's form bodies are
 * `application/x-www-form-urlencoded`, and each parameter appears at most once.
 */
import { timingSafeEqual } from "node:crypto";
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { OAuthError } from "./oauth-errors.js";

/** A form body's single-valued parameters. */
export interface FormParams {
  get(name: string): string | null;
}

/** The form body of `request`, with each parameter at most once. @throws OAuthError invalid_request */
export async function readForm(request: Request): Promise<FormParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) throw new OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.");
  const params = new URLSearchParams(await request.text());
  for (const name of new Set(params.keys())) if (params.getAll(name).length > 1) throw new OAuthError("invalid_request", `${name} is given more than once`);
  return { get: (name) => (params.get(name) || null) };
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
};

/** The authenticated client of a token or revocation request to `pool`. @throws OAuthError invalid_client, invalid_request */
export function authenticateClient(deps: UserPoolDeps, pool: LoadedUserPool, request: Request, form: FormParams): LoadedClient {
  const header = request.headers.get("authorization");
  let clientId = form.get("client_id");
  let secret = form.get("client_secret");
  if (header !== null) {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    const pair = match ? Buffer.from(match[1]!, "base64").toString("utf8") : "";
    const colon = pair.indexOf(":");
    if (colon < 0) throw new OAuthError("invalid_client", "The Authorization header is not HTTP Basic client_id:client_secret.");
    if (secret !== null) throw new OAuthError("invalid_request", "Use one way of client authentication, not two.");
    const headerId = decode(pair.slice(0, colon));
    if (clientId !== null && clientId !== headerId) throw new OAuthError("invalid_client", "client_id differs from the Authorization header's.");
    clientId = headerId;
    secret = decode(pair.slice(colon + 1));
  }
  if (clientId === null) throw new OAuthError("invalid_request", "client_id is required.");
  const loaded = deps.clients.get(clientId);
  if (loaded === undefined || loaded.pool !== pool) throw new OAuthError("invalid_client", "Client authentication failed.");
  const expected = loaded.client.secret;
  if (expected === undefined) {
    if (secret !== null) throw new OAuthError("invalid_client", "Client authentication failed.");
    return loaded;
  }
  const given = Buffer.from(secret ?? "");
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new OAuthError("invalid_client", "Client authentication failed.");
  return loaded;
}
