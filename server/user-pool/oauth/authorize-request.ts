/**
 * Reading `GET /oauth2/authorize` (and the same query on `/login`): the app client of this pool,
 * its `redirect_uri` among the client's callback URLs exactly (else the `redirect_mismatch` page:
 * an unverified URL is never redirected to), then, with errors redirected to that URL as RFC 6749
 * §4.1.2.1 says, `response_type=code`, the client's `code` flow, the scopes, and PKCE: S256 only,
 * and required of public clients, which have no secret to prove themselves at the token endpoint.
 */
import type { LoadedClient, LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { OAuthError } from "./oauth-errors.js";

/** A checked authorize request. */
export interface AuthorizeRequest {
  loaded: LoadedClient;
  redirectUri: string;
  state: string | null;
  /** Granted scopes, in the order asked. */
  scopes: string[];
  codeChallenge: string | null;
  nonce: string | null;
  /** `login`: show the form even with a live hosted session; `none`: never show it. */
  prompt: string | null;
  /** A username the form starts with (Amplify's `loginHint`). */
  loginHint: string | null;
}

/** What reading the query found. */
export type AuthorizeOutcome =
  | { kind: "ok"; request: AuthorizeRequest }
  /** No redirect URL to trust: show an error page. */
  | { kind: "page"; error: OAuthError }
  /** Redirect the error to the client's verified URL. */
  | { kind: "redirect"; location: string };

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;
/** Scopes that need `openid` beside them (they shape the ID token and userInfo). */
const OPENID_SCOPES = new Set(["email", "phone", "profile"]);

/** `url` with `params` added to its query. */
export function withQuery(url: string, params: Record<string, string | null>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) if (value !== null) target.searchParams.set(name, value);
  return target.toString();
}

/** Checks an authorize query for `pool`; see the module comment. */
export function readAuthorizeRequest(deps: UserPoolDeps, pool: LoadedUserPool, query: URLSearchParams): AuthorizeOutcome {
  const single = (name: string, max: number): string | null => {
    const values = query.getAll(name);
    if (values.length > 1) throw new OAuthError("invalid_request", `${name} is given more than once`);
    const value = values[0] ?? null;
    if (value !== null && value.length > max) throw new OAuthError("invalid_request", `${name} is too long`);
    return value === "" ? null : value;
  };
  let clientId: string | null;
  let redirectUri: string | null;
  try {
    clientId = single("client_id", 128);
    redirectUri = single("redirect_uri", 1024);
  } catch (error) {
    return { kind: "page", error: error as OAuthError };
  }
  const loaded = clientId === null ? undefined : deps.clients.get(clientId);
  if (loaded === undefined || loaded.pool !== pool) return { kind: "page", error: new OAuthError("invalid_request", "The client_id names no app client of this user pool.") };
  if (redirectUri === null || !loaded.client.callbackUrls.includes(redirectUri)) {
    return { kind: "page", error: new OAuthError("redirect_mismatch", "The redirect_uri is not one of the app client's callback URLs.") };
  }
  let state: string | null = null;
  try {
    state = single("state", 2048);
    const refuse = (code: OAuthError["code"], message: string) => ({ kind: "redirect" as const, location: withQuery(redirectUri, { error: code, error_description: message, state }) });
    const responseType = single("response_type", 64);
    if (responseType !== "code") return refuse("unsupported_response_type", "response_type must be code");
    if (!loaded.client.allowedOAuthFlows.includes("code")) return refuse("unauthorized_client", "The app client may not use the code flow.");
    const provider = single("identity_provider", 128) ?? single("idp_identifier", 128);
    if (provider !== null && provider !== "COGNITO") return refuse("invalid_request", "This user pool has no identity provider of that name; only COGNITO.");
    const asked = single("scope", 4096);
    const scopes = asked === null ? [...loaded.client.allowedOAuthScopes] : [...new Set(asked.split(" ").filter((scope) => scope !== ""))];
    if (scopes.length === 0 || scopes.some((scope) => !loaded.client.allowedOAuthScopes.includes(scope))) return refuse("invalid_scope", "A requested scope is not allowed for this app client.");
    if (!scopes.includes("openid") && scopes.some((scope) => OPENID_SCOPES.has(scope))) return refuse("invalid_scope", "email, phone and profile need the openid scope.");
    const codeChallenge = single("code_challenge", 128);
    const method = single("code_challenge_method", 16);
    if (codeChallenge === null && method !== null) return refuse("invalid_request", "code_challenge_method without code_challenge");
    if (codeChallenge !== null && (method !== "S256" || !CODE_CHALLENGE.test(codeChallenge))) return refuse("invalid_request", "PKCE needs code_challenge_method=S256 and a 43-128 character base64url code_challenge.");
    if (codeChallenge === null && loaded.client.secret === undefined) return refuse("invalid_request", "A public app client must use PKCE: code_challenge and code_challenge_method=S256 are required.");
    return { kind: "ok", request: { loaded, redirectUri, state, scopes, codeChallenge, nonce: single("nonce", 512), prompt: single("prompt", 64), loginHint: single("login_hint", 128) } };
  } catch (error) {
    return { kind: "redirect", location: withQuery(redirectUri, { error: (error as OAuthError).code, error_description: (error as OAuthError).message, state }) };
  }
}
