/**
 * Refusals of the OAuth2 endpoints as Cognito's answer them: the token, revocation and userInfo
 * endpoints answer JSON `{ "error": "<code>", "error_description": ... }` (RFC 6749 §5.2, RFC 6750
 * §3.1); the authorize endpoint redirects errors to a verified `redirect_uri` and shows a page
 * (`redirect_mismatch`, an unknown client) when it has none to trust.
 */

/** The error codes these endpoints answer with (RFC 6749's names, as Cognito uses them). */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "unsupported_token_type"
  | "invalid_scope"
  | "invalid_token"
  | "redirect_mismatch"
  | "server_error";

/** A refusal of an OAuth2 endpoint. */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
    /** 400, except a refused bearer token (401) and the internal error (500). */
    readonly status = code === "invalid_token" ? 401 : code === "server_error" ? 500 : 400,
  ) {
    super(message);
  }
}

/** Responses may be read by any origin: no cookie is involved at the token endpoints. */
export const OAUTH_CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, x-amz-user-agent, cache-control",
  "access-control-max-age": "86400",
};

/** A JSON answer of the token endpoints; never cached (RFC 6749 §5.1). */
export function oauthJson(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json;charset=UTF-8", "cache-control": "no-store", pragma: "no-cache", ...OAUTH_CORS, ...extra },
  });
}

/** The JSON answer for `error`. */
export function oauthErrorResponse(error: OAuthError): Response {
  const extra: Record<string, string> = error.code === "invalid_token" ? { "www-authenticate": `Bearer error="invalid_token", error_description="${error.message.replace(/["\\]/g, "")}"` } : {};
  return oauthJson({ error: error.code, error_description: error.message }, error.status, extra);
}
