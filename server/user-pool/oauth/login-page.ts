/**
 * The hosted sign-in page: server-rendered HTML with no script, carrying the pool's branding
 * (`hostedUi`: title, logo, two hex colours). Every value from a request or the config is escaped;
 * the colours are validated hex at config time, so none can leave its CSS declaration. Pages
 * forbid framing and scripts by their Content-Security-Policy.
 */
import type { HostedUiSettings } from "./oauth-settings.js";

/** What a page shows. */
export interface PageContent {
  poolId: string;
  branding: HostedUiSettings;
  /** An error message above the form. */
  error?: string;
}

/** The password step, or the TOTP step of a user with MFA. */
export type LoginForm =
  | { step: "password"; action: string; csrf: string; username?: string }
  | { step: "mfa"; action: string; csrf: string; username: string; session: string };

/** HTML-escapes text for element content and quoted attributes. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"'`=]/g, (character) => `&#${character.charCodeAt(0)};`);

const SECURITY_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; img-src https: http://localhost:*; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
};

function layout(content: PageContent, body: string): string {
  const { branding } = content;
  const title = escapeHtml(branding.title ?? content.poolId);
  const logo = branding.logoUrl === undefined ? "" : `<img class="logo" src="${escapeHtml(branding.logoUrl)}" alt="">`;
  const error = content.error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(content.error)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - ${title}</title>
<style>
body{margin:0;font:16px/1.4 system-ui,sans-serif;background:${branding.backgroundColor};color:#1f2328}
main{max-width:22rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1rem}.logo{display:block;max-width:100%;max-height:5rem;margin:0 auto 1rem}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;font:inherit;color:#fff;background:${branding.primaryColor};cursor:pointer}
.error{color:#b42318;background:#fef3f2;padding:.5rem;border-radius:4px}
</style></head>
<body><main>${logo}<h1>${title}</h1>${error}${body}</main></body></html>`;
}

/** The page of a login form. */
export function loginPage(content: PageContent, form: LoginForm, status = 200, setCookies: string[] = []): Response {
  const hidden = `<input type="hidden" name="_csrf" value="${escapeHtml(form.csrf)}">`;
  const body =
    form.step === "password"
      ? `<form method="post" action="${escapeHtml(form.action)}">${hidden}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required value="${escapeHtml(form.username ?? "")}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="signIn">Sign in</button></form>`
      : `<form method="post" action="${escapeHtml(form.action)}">${hidden}
<input type="hidden" name="username" value="${escapeHtml(form.username)}"><input type="hidden" name="session" value="${escapeHtml(form.session)}">
<label for="code">Code from your authenticator app</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
<button type="submit" name="verify">Verify</button></form>`;
  const headers = new Headers(SECURITY_HEADERS);
  for (const cookie of setCookies) headers.append("set-cookie", cookie);
  return new Response(layout(content, body), { status, headers });
}

/** A page that only shows an error (a request with no redirect URL to trust). */
export function errorPage(content: PageContent & { error: string }, code: string, status = 400): Response {
  return new Response(layout(content, `<p>Error: <code>${escapeHtml(code)}</code></p>`), { status, headers: SECURITY_HEADERS });
}
