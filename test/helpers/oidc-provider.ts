/**
 * An OpenID Connect provider for tests: a real HTTP server on 127.0.0.1 (port 0) publishing
 * `/.well-known/openid-configuration` and its key set at `/jwks`, with keys made by jose (RS256,
 * ES256, EdDSA). It signs ID tokens on request, and can also forge the tokens a server must
 * refuse (unsigned, HMAC with the public key, signed by an unpublished key), rotate keys, and
 * hang instead of answering.
 *
 *   const idp = await startTestIdentityProvider({ now: () => clockMs });
 *   const token = await idp.token({ sub: "alice" });
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

/** The algorithms the provider signs with. */
export type TestAlgorithm = "RS256" | "ES256" | "EdDSA";

interface SigningKey {
  kid: string;
  alg: TestAlgorithm;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** What a test may ask of a token; everything has a sensible default. */
export interface TokenOptions {
  sub?: string;
  /** Default "app-client". */
  aud?: string | string[];
  /** Default the provider's issuer. */
  iss?: string;
  /** Seconds from now (negative: expired). Default 600. */
  expiresIn?: number;
  /** Seconds from now of `nbf`; absent by default. */
  notBefore?: number;
  alg?: TestAlgorithm;
  /** Override the header's key id (a key the provider never published). */
  kid?: string;
  /** More claims (roles, groups, email...). */
  claims?: JWTPayload;
  /** The header's `typ`; default "JWT" (an OAuth access token says "at+jwt"). */
  typ?: string;
}

export interface TestIdentityProvider {
  /** `http://127.0.0.1:<port>`: the issuer, and the login's provider host. */
  issuer: string;
  /** How many times each document was fetched. */
  fetches: { discovery: number; jwks: number };
  /** While true, `/jwks` and discovery accept the request and never answer. */
  hang: boolean;
  /** A token signed with the current key of `alg` (default RS256). */
  token(options?: TokenOptions): Promise<string>;
  /** A token with the header of a published key but signed by another key (bad signature). */
  tokenSignedByStranger(options?: TokenOptions): Promise<string>;
  /** `alg: none`, no signature. */
  unsignedToken(options?: TokenOptions): string;
  /** HS256 with the provider's RS256 public key (PEM) as the HMAC secret: the classic confusion attack. */
  hmacWithPublicKey(options?: TokenOptions): Promise<string>;
  /** Adds a new key of `alg` (published from now on, used for new tokens); returns its kid. */
  rotate(alg?: TestAlgorithm): Promise<string>;
  close(): Promise<void>;
}

/** Starts the provider; `now` is epoch ms (share the server's clock). */
export async function startTestIdentityProvider(options: { now?: () => number } = {}): Promise<TestIdentityProvider> {
  const now = options.now ?? Date.now;
  let keyCounter = 0;
  const keys: SigningKey[] = [];
  const makeKey = async (alg: TestAlgorithm): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
    const kid = `key-${++keyCounter}-${alg}`;
    const key = { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
    keys.push(key);
    return key;
  };
  for (const alg of ["RS256", "ES256", "EdDSA"] as const) await makeKey(alg);
  const current = (alg: TestAlgorithm) => keys.filter((key) => key.alg === alg).at(-1)!;

  const hanging: Array<() => void> = [];
  const state = { hang: false, fetches: { discovery: 0, jwks: 0 } };
  let issuer = "";
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const send = (body: object) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (path === "/.well-known/openid-configuration") state.fetches.discovery++;
    if (path === "/jwks") state.fetches.jwks++;
    if (state.hang) return void hanging.push(() => response.destroy());
    if (path === "/.well-known/openid-configuration") return send({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["RS256", "ES256", "EdDSA"] });
    if (path === "/jwks") return send({ keys: keys.map((key) => key.publicJwk) });
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const claimsOf = (options: TokenOptions): JWTPayload => {
    const nowSeconds = Math.floor(now() / 1000);
    return {
      ...options.claims,
      iss: options.iss ?? issuer,
      sub: options.sub ?? "user-1",
      aud: options.aud ?? "app-client",
      iat: nowSeconds,
      exp: nowSeconds + (options.expiresIn ?? 600),
      ...(options.notBefore === undefined ? {} : { nbf: nowSeconds + options.notBefore }),
    };
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

  return {
    issuer,
    fetches: state.fetches,
    get hang() {
      return state.hang;
    },
    set hang(value: boolean) {
      state.hang = value;
      if (!value) hanging.splice(0).forEach((release) => release());
    },
    async token(options = {}) {
      const key = current(options.alg ?? "RS256");
      return new SignJWT(claimsOf(options)).setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: options.typ ?? "JWT" }).sign(key.privateKey);
    },
    async tokenSignedByStranger(options = {}) {
      const published = current("RS256");
      const { privateKey } = await generateKeyPair("RS256");
      return new SignJWT(claimsOf(options)).setProtectedHeader({ alg: "RS256", kid: published.kid }).sign(privateKey);
    },
    unsignedToken(options = {}) {
      return `${encode({ alg: "none", typ: "JWT", kid: current("RS256").kid })}.${encode(claimsOf(options))}.`;
    },
    async hmacWithPublicKey(options = {}) {
      const published = current("RS256");
      const secret = new TextEncoder().encode(await exportSPKI(published.publicKey));
      return new SignJWT(claimsOf(options)).setProtectedHeader({ alg: "HS256", kid: published.kid }).sign(secret);
    },
    async rotate(alg = "RS256") {
      return (await makeKey(alg)).kid;
    },
    async close() {
      hanging.splice(0).forEach((release) => release());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
