/**
 * The hosted UI's two cookies, both HttpOnly, SameSite=Lax, scoped to the pool's path, and Secure
 * when the public URL is https:
 * - the hosted session (`syncpool_session`): who signed in on the page and that sign-in's session,
 *   sealed, one hour (Cognito's hosted-UI session), so a second authorize request skips the form
 *   while that sign-in is not revoked (GlobalSignOut, RevokeToken); `/logout` clears it.
 * - the form's CSRF token (`syncpool_csrf`): the login form echoes it in a hidden field, and a
 *   POST whose field differs from the cookie is refused. SameSite=Lax keeps other sites' forms
 *   from sending the cookie at all.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { UserPoolDeps } from "../user-pool-deps.js";
import { openSession, sealSession } from "../sealed-session.js";

/** How long the page remembers a sign-in (Cognito's hosted-UI session: one hour). */
export const HOSTED_SESSION_MS = 60 * 60_000;
const SESSION_COOKIE = "syncpool_session";
const CSRF_COOKIE = "syncpool_csrf";
const PURPOSE = "user-pool:hosted-session";

/** Who signed in on a pool's page: pool, sub, and the sign-in session's origin_jti. */
export interface HostedSession extends Record<string, unknown> {
  p: string;
  s: string;
  o: string;
}

/** The cookies of a request, by name (first wins). */
export function cookiesOf(request: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim());
  }
  return cookies;
}

const attributes = (path: string, secure: boolean, maxAgeSeconds: number) =>
  `Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;

/** The Set-Cookie value of a new hosted session. */
export function hostedSessionCookie(deps: UserPoolDeps, session: HostedSession, path: string, secure: boolean): string {
  const sealed = sealSession(deps.sessionKey, PURPOSE, { p: session.p, s: session.s, o: session.o }, deps.now() + HOSTED_SESSION_MS);
  return `${SESSION_COOKIE}=${encodeURIComponent(sealed)}; ${attributes(path, secure, HOSTED_SESSION_MS / 1000)}`;
}

/** The Set-Cookie value that ends the hosted session. */
export const clearedSessionCookie = (path: string, secure: boolean) => `${SESSION_COOKIE}=; ${attributes(path, secure, 0)}`;

/** The request's live hosted session for `poolId`, or null. */
export function hostedSessionOf(deps: UserPoolDeps, request: Request, poolId: string): HostedSession | null {
  const raw = cookiesOf(request).get(SESSION_COOKIE);
  if (raw === undefined || raw.length > 4096) return null;
  const session = openSession<HostedSession>(deps.sessionKey, PURPOSE, decodeURIComponent(raw), deps.now());
  return session !== null && session.p === poolId ? session : null;
}

/** The request's CSRF token, or a new one with the Set-Cookie that stores it. */
export function csrfTokenOf(request: Request, path: string, secure: boolean): { token: string; setCookie: string | null } {
  const existing = cookiesOf(request).get(CSRF_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{32}$/.test(existing)) return { token: existing, setCookie: null };
  const token = randomBytes(24).toString("base64url");
  return { token, setCookie: `${CSRF_COOKIE}=${token}; ${attributes(path, secure, HOSTED_SESSION_MS / 1000)}` };
}

/** Whether a form's `_csrf` field matches the request's CSRF cookie. */
export function csrfMatches(request: Request, field: string | null): boolean {
  const cookie = cookiesOf(request).get(CSRF_COOKIE);
  if (cookie === undefined || field === null) return false;
  const given = Buffer.from(field);
  const expected = Buffer.from(cookie);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
