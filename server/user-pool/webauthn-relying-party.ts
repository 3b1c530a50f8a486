/**
 * What registering a passkey and signing in with one both check before the signature: which
 * relying party and page origins a pool accepts, and that a ceremony's client data and
 * authenticator data name them. These checks run first so each refusal carries Cognito's own
 * exception (WebAuthnOriginNotAllowedException, WebAuthnRelyingPartyMismatchException) rather
 * than one generic failure from the verifying library.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { webauthnHelpers } from "./webauthn-library.js";
import type { LoadedUserPool } from "./user-pool-deps.js";
import { UserPoolError } from "./user-pool-errors.js";

/** How long a ceremony's options ask the browser to wait (Cognito's options say 60 s; challenges live longer). */
export const WEBAUTHN_TIMEOUT_MS = 60_000;

/** A pool's relying party. */
export interface RelyingParty {
  /** The domain credentials are bound to. */
  id: string;
  userVerification: "preferred" | "required";
  /** Whether a page at `origin` may run a ceremony for this relying party. */
  allowsOrigin(origin: string): boolean;
}

/** The relying party of `pool`: its configured id, or the host of the public URL its issuer starts with. */
export function relyingPartyOf(pool: LoadedUserPool): RelyingParty {
  const id = pool.settings.webAuthnRelyingPartyId ?? new URL(pool.issuer).hostname;
  const listed = pool.settings.webAuthnOrigins;
  return {
    id,
    userVerification: pool.settings.webAuthnUserVerification,
    allowsOrigin(origin) {
      if (listed.length > 0) return listed.includes(origin);
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      if (url.origin !== origin) return false;
      const host = url.hostname;
      const underId = host === id || host.endsWith(`.${id}`);
      // Browsers allow WebAuthn over plain http only on localhost.
      return underId && (url.protocol === "https:" || (url.protocol === "http:" && (host === "localhost" || host.endsWith(".localhost"))));
    },
  };
}

/** Refuses unless passkeys are among the pool's first factors. */
export function requireWebAuthnEnabled(pool: LoadedUserPool): void {
  if (!pool.settings.signInPolicy.allowedFirstAuthFactors.includes("WEB_AUTHN")) {
    throw new UserPoolError("WebAuthnNotEnabledException", "WebAuthn is not enabled for this user pool.");
  }
}

/** A ceremony's response as the client sends it (RegistrationResponseJSON / AuthenticationResponseJSON), loosely typed until checked. */
export interface CeremonyResponse {
  id: string;
  rawId: string;
  type: string;
  response: Record<string, unknown>;
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

/**
 * `value` as a ceremony response whose `fields` (in `response`) are base64url strings.
 * @throws InvalidParameterException when it is not one.
 */
export function readCeremonyResponse(value: unknown, fields: readonly string[], name: string): CeremonyResponse {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new UserPoolError("InvalidParameterException", `${name} is not JSON.`);
    }
  }
  const bad = () => new UserPoolError("InvalidParameterException", `${name} is not a public-key credential.`);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw bad();
  const credential = parsed as Record<string, unknown>;
  const response = credential["response"];
  if (typeof credential["id"] !== "string" || !isBase64Url(credential["id"]) || typeof credential["rawId"] !== "string" || credential["type"] !== "public-key") throw bad();
  if (response === null || typeof response !== "object" || Array.isArray(response)) throw bad();
  for (const field of fields) {
    const text = (response as Record<string, unknown>)[field];
    if (typeof text !== "string" || !isBase64Url(text)) throw bad();
  }
  const extensions = credential["clientExtensionResults"];
  const attachment = credential["authenticatorAttachment"];
  return {
    id: credential["id"],
    rawId: credential["rawId"],
    type: "public-key",
    response: response as Record<string, unknown>,
    clientExtensionResults: extensions !== null && typeof extensions === "object" && !Array.isArray(extensions) ? (extensions as Record<string, unknown>) : {},
    ...(attachment === "platform" || attachment === "cross-platform" ? { authenticatorAttachment: attachment } : {}),
  };
}

const isBase64Url = (text: string) => text.length > 0 && text.length <= 65_536 && /^[A-Za-z0-9_-]+={0,2}$/.test(text);

/**
 * The client data of a ceremony of `type` (webauthn.create or webauthn.get), after checking its
 * origin is one `party` allows.
 * @throws InvalidParameterException (unreadable or of the other type), WebAuthnOriginNotAllowedException
 */
export async function checkClientData(credential: CeremonyResponse, type: "webauthn.create" | "webauthn.get", party: RelyingParty): Promise<{ challenge: string; origin: string }> {
  const { decodeClientDataJSON } = await webauthnHelpers();
  let clientData: { type: unknown; challenge: unknown; origin: unknown };
  try {
    clientData = decodeClientDataJSON(credential.response["clientDataJSON"] as string);
  } catch {
    throw new UserPoolError("InvalidParameterException", "The credential's clientDataJSON is not readable.");
  }
  if (clientData.type !== type || typeof clientData.challenge !== "string" || typeof clientData.origin !== "string") {
    throw new UserPoolError("InvalidParameterException", `The credential's clientDataJSON is not of a ${type} ceremony.`);
  }
  if (!party.allowsOrigin(clientData.origin)) throw new UserPoolError("WebAuthnOriginNotAllowedException", "The credential's origin is not allowed for this user pool.");
  return { challenge: clientData.challenge, origin: clientData.origin };
}

/**
 * Checks the authenticator data is for `party` (its first 32 bytes are the hash of the relying-party id).
 * `attested`: the data is inside a registration's attestation object.
 * @throws InvalidParameterException (unreadable), WebAuthnRelyingPartyMismatchException
 */
export async function checkRelyingPartyHash(credential: CeremonyResponse, party: RelyingParty, attested: boolean): Promise<void> {
  const { decodeAttestationObject, isoBase64URL, parseAuthenticatorData } = await webauthnHelpers();
  let rpIdHash: Uint8Array;
  try {
    const authData = attested
      ? decodeAttestationObject(isoBase64URL.toBuffer(credential.response["attestationObject"] as string)).get("authData")
      : isoBase64URL.toBuffer(credential.response["authenticatorData"] as string);
    rpIdHash = parseAuthenticatorData(authData).rpIdHash;
  } catch {
    throw new UserPoolError("InvalidParameterException", "The credential's authenticator data is not readable.");
  }
  const expected = createHash("sha256").update(party.id).digest();
  if (rpIdHash.length !== expected.length || !timingSafeEqual(rpIdHash, expected)) {
    throw new UserPoolError("WebAuthnRelyingPartyMismatchException", "The credential is for a different relying party than this user pool's.");
  }
}
