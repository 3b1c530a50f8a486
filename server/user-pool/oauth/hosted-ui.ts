/**
 * The hosted UI and OAuth2 endpoints of every user pool, under the pool's "domain"
 * `<public url>/auth/<poolId>`, the value apps give Amplify as `oauth.domain` (without `https://`,
 * which Amplify adds): the paths below it are Cognito's.
 *
 *   GET  /auth/<poolId>/oauth2/authorize   checks the request, then the form (or a code at once with a live hosted session)
 *   GET  /auth/<poolId>/login              the sign-in form; POST: password, then the TOTP step, then the redirect with `code` and `state`
 *   GET  /auth/<poolId>/logout             ends the hosted session; to a registered `logout_uri` only
 *   POST /auth/<poolId>/oauth2/token       authorization_code (PKCE), refresh_token, client_credentials
 *   POST /auth/<poolId>/oauth2/revoke      ends a refresh token's session
 *   GET|POST /auth/<poolId>/oauth2/userInfo
 *
 * The flow is written here rather than on oidc-provider: what it would have owned (codes, grants,
 * sessions, its own token formats) must be the pool's own here, so its token endpoint and storage
 * would have been bypassed entirely, and what remained of it was this file's checks.
 * Orchestrator of `server/user-pool/oauth/`.
 */
import type { LoadedUserPool, UserPoolDeps } from "../user-pool-deps.js";
import { TooManyRequestsError } from "../user-pool-errors.js";
import { readAuthorizeRequest, withQuery, type AuthorizeRequest } from "./authorize-request.js";
import { readForm } from "./client-auth.js";
import { clearedSessionCookie, csrfMatches, csrfTokenOf, hostedSessionCookie, hostedSessionOf } from "./hosted-cookies.js";
import { errorPage, loginPage, type PageContent } from "./login-page.js";
import { resumeHostedSession, submitLogin } from "./login.js";
import { OAUTH_CORS, OAuthError, oauthErrorResponse } from "./oauth-errors.js";
import { revokeEndpoint, tokenEndpoint } from "./token-endpoint.js";
import { userInfoEndpoint } from "./user-info.js";

/** Where the hosted UI lives on the server. */
export const HOSTED_UI_PREFIX = "/auth";

/** The hosted UI's base URL of a pool: Amplify's `oauth.domain` is it without `https://`. */
export const hostedUiBaseOf = (publicUrl: string, poolId: string) => `${publicUrl}${HOSTED_UI_PREFIX}/${poolId}`;

/** The hosted UI's routes. */
export interface HostedUi {
  handles(path: string): boolean;
  /** Answers a request; `socketAddress` is the peer's address, for the per-address limits. */
  fetch(request: Request, socketAddress?: string): Promise<Response>;
}

/**
 * Takes one sign-in from the caller's address bucket of `pool` (`address-limits.ts`).
 * @throws TooManyRequestsException when the bucket is empty.
 */
export type TakeSignIn = (request: Request, socketAddress: string | undefined, pool: LoadedUserPool) => void;

/** What the form says when the address has signed in too often: no attempt was made. */
export const TOO_MANY_SIGN_INS = "Too many sign-in attempts from your network. Wait a minute, then try again.";

const redirect = (location: string, setCookies: string[] = []) => {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const cookie of setCookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 302, headers });
};

/**
 * Builds the routes; `secureCookies` when the public URL is https. Every POST of the sign-in form
 * (password or MFA code) first takes from `takeSignIn`, as InitiateAuth and RespondToAuthChallenge
 * do: an empty bucket answers the form again with HTTP 429 and `Retry-After` before the form is read.
 */
export function createHostedUi(deps: UserPoolDeps, secureCookies: boolean, takeSignIn: TakeSignIn): HostedUi {
  const pageRoute = async (request: Request, socketAddress: string | undefined, poolPath: string, page: PageContent, route: string): Promise<Response> => {
    const url = new URL(request.url);
    const pool = deps.pools.get(page.poolId)!;
    if (route === "/logout" && request.method === "GET") return logout(url.searchParams, poolPath, page);
    const outcome = readAuthorizeRequest(deps, pool, url.searchParams);
    if (outcome.kind === "page") return errorPage({ ...page, error: outcome.error.message }, outcome.error.code);
    if (outcome.kind === "redirect") return redirect(outcome.location);
    const authorized = outcome.request;
    const loginPath = `${poolPath}/login${url.search}`;
    if (route === "/oauth2/authorize" && request.method === "GET") {
      const session = authorized.prompt === "login" ? null : hostedSessionOf(deps, request, page.poolId);
      const code = session === null ? null : await resumeHostedSession(deps, authorized, session);
      if (code !== null) return redirect(withQuery(authorized.redirectUri, { code, state: authorized.state }));
      // OpenID Connect's prompt=none: answer at once, never with a page.
      if (authorized.prompt === "none") return redirect(withQuery(authorized.redirectUri, { error: "login_required", error_description: "The user is not signed in.", state: authorized.state }));
      return redirect(loginPath);
    }
    const csrf = csrfTokenOf(request, poolPath, secureCookies);
    const cookies = csrf.setCookie === null ? [] : [csrf.setCookie];
    if (request.method === "GET") return loginPage(page, { step: "password", action: loginPath, csrf: csrf.token, ...(authorized.loginHint === null ? {} : { username: authorized.loginHint }) }, 200, cookies);
    try {
      takeSignIn(request, socketAddress, pool);
    } catch (error) {
      if (!(error instanceof TooManyRequestsError)) throw error;
      const refused = loginPage({ ...page, error: TOO_MANY_SIGN_INS }, { step: "password", action: loginPath, csrf: csrf.token }, 429, cookies);
      refused.headers.set("retry-after", String(error.retryAfterSeconds));
      return refused;
    }
    return login(request, authorized, page, poolPath, loginPath, csrf.token, cookies);
  };

  const login = async (request: Request, authorized: AuthorizeRequest, page: PageContent, poolPath: string, action: string, csrf: string, cookies: string[]) => {
    let form;
    try {
      form = await readForm(request);
    } catch {
      return loginPage({ ...page, error: "The form could not be read. Try again." }, { step: "password", action, csrf }, 400, cookies);
    }
    const username = (form.get("username") ?? "").slice(0, 128);
    if (!csrfMatches(request, form.get("_csrf"))) return loginPage({ ...page, error: "The form expired. Sign in again." }, { step: "password", action, csrf, username }, 403, cookies);
    if (username === "") return loginPage({ ...page, error: "Enter your username." }, { step: "password", action, csrf }, 400, cookies);
    const outcome = await submitLogin(deps, authorized, { username, password: form.get("password"), code: form.get("code"), session: form.get("session") });
    if (outcome.kind === "refused") return loginPage({ ...page, error: outcome.message }, { step: "password", action, csrf, username }, 400, cookies);
    if (outcome.kind === "mfa") {
      const error = outcome.error === undefined ? {} : { error: outcome.error };
      return loginPage({ ...page, ...error }, { step: "mfa", action, csrf, username, session: outcome.session }, outcome.error === undefined ? 200 : 400, cookies);
    }
    const sessionCookie = hostedSessionCookie(deps, { p: page.poolId, s: outcome.sub, o: outcome.originJti }, poolPath, secureCookies);
    return redirect(withQuery(authorized.redirectUri, { code: outcome.code, state: authorized.state }), [...cookies, sessionCookie]);
  };

  // Cognito's /logout: `client_id` and `logout_uri` (a registered logout URL), or `client_id`,
  // `response_type` and `redirect_uri` to sign in again at once.
  const logout = (query: URLSearchParams, poolPath: string, page: PageContent): Response => {
    const loaded = deps.clients.get(query.get("client_id") ?? "");
    if (loaded === undefined || loaded.pool.settings.id !== page.poolId) return errorPage({ ...page, error: "The client_id names no app client of this user pool." }, "invalid_request");
    const cleared = [clearedSessionCookie(poolPath, secureCookies)];
    const logoutUri = query.get("logout_uri");
    if (logoutUri !== null) {
      if (!loaded.client.logoutUrls.includes(logoutUri)) return errorPage({ ...page, error: "The logout_uri is not one of the app client's sign-out URLs." }, "redirect_mismatch");
      return redirect(logoutUri, cleared);
    }
    if (query.get("redirect_uri") !== null && query.get("response_type") !== null) return redirect(`${poolPath}/oauth2/authorize?${query.toString()}`, cleared);
    return errorPage({ ...page, error: "logout needs logout_uri, or response_type and redirect_uri." }, "invalid_request");
  };

  const apiRoute = async (request: Request, poolId: string, route: string): Promise<Response> => {
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: OAUTH_CORS });
    const pool = deps.pools.get(poolId)!;
    try {
      if (route === "/oauth2/token" && request.method === "POST") return await tokenEndpoint(deps, pool, request);
      if (route === "/oauth2/revoke" && request.method === "POST") return await revokeEndpoint(deps, pool, request);
      if (route === "/oauth2/userInfo" && (request.method === "GET" || request.method === "POST")) return await userInfoEndpoint(deps, pool, request);
      return new Response("Method Not Allowed", { status: 405, headers: OAUTH_CORS });
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(error);
      deps.logger.error({ err: error }, "unexpected error at an OAuth2 endpoint (masked in the response)");
      return oauthErrorResponse(new OAuthError("server_error", "Internal server error."));
    }
  };

  return {
    handles: (path) => path.startsWith(`${HOSTED_UI_PREFIX}/`),
    async fetch(request, socketAddress) {
      const match = /^\/auth\/([^/]+)(\/.*)$/.exec(new URL(request.url).pathname);
      const pool = match ? deps.pools.get(match[1]!) : undefined;
      if (!match || !pool) return new Response("Not Found", { status: 404 });
      const [, poolId, route] = match as unknown as [string, string, string];
      if (route.startsWith("/oauth2/") && route !== "/oauth2/authorize") return apiRoute(request, poolId, route);
      const methods = route === "/login" ? ["GET", "POST"] : route === "/oauth2/authorize" || route === "/logout" ? ["GET"] : [];
      if (!methods.includes(request.method)) return new Response(methods.length === 0 ? "Not Found" : "Method Not Allowed", { status: methods.length === 0 ? 404 : 405 });
      const page: PageContent = { poolId, branding: pool.settings.hostedUi };
      try {
        return await pageRoute(request, socketAddress, `${HOSTED_UI_PREFIX}/${poolId}`, page, route);
      } catch (error) {
        deps.logger.error({ err: error }, "unexpected error on a hosted UI page (masked in the response)");
        return errorPage({ ...page, error: "Something went wrong. Try again." }, "server_error", 500);
      }
    },
  };
}
