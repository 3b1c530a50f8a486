/**
 * The hosted UI's and OAuth2 endpoints' settings, as the config file writes them: per app client
 * the callback and logout URLs, the OAuth flows and scopes it may use (Cognito's
 * `CallbackURLs`, `LogoutURLs`, `AllowedOAuthFlows`, `AllowedOAuthScopes`), and per pool the
 * sign-in page's branding and the resource servers whose scopes machine clients ask for. Only zod
 * here; `user-pool-config.ts` spreads these shapes into its own.
 */
import { z } from "zod";

/** Scopes of a signed-in user that Cognito defines. */
export const USER_SCOPES = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"] as const;

/** Cognito's rule for callback and logout URLs: HTTPS, or plain HTTP to localhost only; no fragment. */
const redirectUrl = z
  .string()
  .max(1024)
  .refine((text) => {
    if (!URL.canParse(text)) return false;
    const url = new URL(text);
    return url.hash === "" && (url.protocol === "https:" || (url.protocol === "http:" && url.hostname === "localhost"));
  }, { error: "expected an https:// URL (or http://localhost), without a #fragment" });

/** A scope name as Cognito allows them: a user scope, or `<resource server>/<scope>`. */
const scopeName = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/, { error: "expected a scope name without spaces or quotes" });

/** The OAuth fields of an app client (spread into the client schema). */
export const oauthClientShape = {
  /** Where the hosted UI may send codes (the authorize request's `redirect_uri` must be one exactly). Empty: no hosted UI. */
  callbackUrls: z.array(redirectUrl).max(100).default([]),
  /** Where `/logout` may send the browser afterwards (`logout_uri` must be one exactly). */
  logoutUrls: z.array(redirectUrl).max(100).default([]),
  /** `code` (users through the hosted UI) and/or `client_credentials` (machines; needs a secret). */
  allowedOAuthFlows: z.array(z.enum(["code", "client_credentials"])).default(["code"]),
  /** Scopes the client may ask for: the user scopes, or resource-server scopes for `client_credentials`. */
  allowedOAuthScopes: z.array(scopeName).max(50).default([...USER_SCOPES]),
};

/** A CSS colour the page may carry: hex only, so no value can escape its declaration. */
const colour = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, { error: "expected a hex colour such as #1f6feb" });

/** The sign-in page's branding. */
const hostedUiSchema = z
  .object({
    /** The page's heading (default: the pool's id). */
    title: z.string().min(1).max(100).optional(),
    /** An image shown above the form: an https:// URL (or http://localhost). */
    logoUrl: z.string().max(2048).regex(/^(https:\/\/|http:\/\/localhost[:/])/, { error: "expected an https:// URL" }).optional(),
    /** The button's and links' colour. */
    primaryColor: colour.default("#1f6feb"),
    /** The page's background. */
    backgroundColor: colour.default("#f6f8fa"),
  })
  .strict();

/** A pool's hosted UI branding, after defaults. */
export type HostedUiSettings = z.output<typeof hostedUiSchema>;

/** A resource server: its scopes are `<identifier>/<name>` (Cognito's resource servers). */
const resourceServerSchema = z
  .object({
    identifier: z.string().regex(/^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E][\x21\x23-\x5B\x5D-\x7E]{0,255}$/, { error: "expected an identifier such as https://api.example.com" }),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/)).min(1).max(100),
  })
  .strict();

/** The OAuth fields of a pool (spread into the pool schema). */
export const oauthPoolShape = {
  hostedUi: hostedUiSchema.prefault({}),
  resourceServers: z.array(resourceServerSchema).max(25).default([]),
};
