/**
 * @simplewebauthn/server, loaded on the first passkey ceremony rather than with the server: it and
 * its certificate parsers are among the heaviest modules the server would import, and most pools
 * and every CLI command other than `serve` never use them.
 */
type Library = typeof import("@simplewebauthn/server");
type Helpers = typeof import("@simplewebauthn/server/helpers");

let library: Promise<Library> | undefined;
let helpers: Promise<Helpers> | undefined;

/** The ceremony functions (options, registration and authentication checks). */
export function webauthnLibrary(): Promise<Library> {
  return (library ??= import("@simplewebauthn/server"));
}

/** The encoding helpers (base64url, client data, attestation objects, authenticator data). */
export function webauthnHelpers(): Promise<Helpers> {
  return (helpers ??= import("@simplewebauthn/server/helpers"));
}
