/**
 * A browser's part in the hosted UI's flow, by hand: a cookie jar per pool path, following the
 * server's redirects one at a time (so each Location can be checked), reading the login form's
 * action and CSRF field, and PKCE pairs as Amplify makes them (S256).
 */
import { createHash, randomBytes } from "node:crypto";

/** A PKCE verifier (128 characters, as Amplify's) and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(96).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Cookies kept by name, sent back on every request: enough for one host and path. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  /** Stores the response's cookies; a Max-Age of 0 removes one. */
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const index = pair!.indexOf("=");
      const name = pair!.slice(0, index);
      if (/max-age=0(?:;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(index + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

/** The login form's action and CSRF field in `html`. */
export function formOf(html: string): { action: string; csrf: string; session: string | null } {
  const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1];
  const csrf = /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
  if (action === undefined || csrf === undefined) throw new Error(`no login form in the page:\n${html}`);
  const session = /name="session" value="([^"]*)"/.exec(html)?.[1];
  return { action: unescape(action), csrf: unescape(csrf), session: session === undefined ? null : unescape(session) };
}
