/**
 * A software passkey authenticator for the user pool's tests: it answers the options the server
 * sends (CredentialCreationOptions, CREDENTIAL_REQUEST_OPTIONS) with the JSON a browser would hand
 * Amplify (RegistrationResponseJSON, AuthenticationResponseJSON), from a P-256 key made with
 * node:crypto, attestation `none`, CBOR from @simplewebauthn/server's helpers. Each ceremony may
 * be bent (another origin, another relying party, a counter that does not grow) to test refusals.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/** What a ceremony may change from an honest browser's answer. */
export interface CeremonyBends {
  /** The page origin written into clientDataJSON. */
  origin?: string;
  /** The relying-party id whose hash the authenticator data carries (default: the options'). */
  rpId?: string;
  /** Added to the signature counter before signing (0: the counter stays; default 1). */
  counterStep?: number;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_DATA = 0x40;

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

/** One authenticator holding one credential once `create` ran. */
export class SoftwareAuthenticator {
  readonly credentialId = isoBase64URL.fromBuffer(randomBytes(16));
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private userHandle = "";
  /** The signature counter; starts at 0 as a fresh authenticator's does. */
  counter = 0;

  constructor(
    /** The origin of the page the ceremonies run in. */
    readonly origin: string,
  ) {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" }));
  }

  /** A RegistrationResponseJSON answering `options` (CredentialCreationOptions). */
  create(options: any, bends: CeremonyBends = {}) {
    this.userHandle = options.user.id;
    const clientDataJSON = JSON.stringify({ type: "webauthn.create", challenge: options.challenge, origin: bends.origin ?? this.origin, crossOrigin: false });
    const jwk = this.publicKey.export({ format: "jwk" });
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]);
    const credentialId = isoBase64URL.toBuffer(this.credentialId);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      this.header(bends.rpId ?? options.rp.id, FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA),
      Buffer.alloc(16),
      idLength,
      credentialId,
      isoCBOR.encode(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, string | Map<string, string> | Uint8Array>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", new Uint8Array(authData)],
      ]));
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: isoBase64URL.fromUTF8String(clientDataJSON),
        attestationObject: isoBase64URL.fromBuffer(attestationObject),
        transports: ["internal", "hybrid"],
        publicKeyAlgorithm: -7,
      },
    };
  }

  /** An AuthenticationResponseJSON answering `options` (the parsed CREDENTIAL_REQUEST_OPTIONS). */
  get(options: any, bends: CeremonyBends = {}) {
    this.counter += bends.counterStep ?? 1;
    const clientDataJSON = JSON.stringify({ type: "webauthn.get", challenge: options.challenge, origin: bends.origin ?? this.origin, crossOrigin: false });
    const authData = this.header(bends.rpId ?? options.rpId, FLAG_USER_PRESENT | FLAG_USER_VERIFIED);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: {
        clientDataJSON: isoBase64URL.fromUTF8String(clientDataJSON),
        authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(authData)),
        signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
        userHandle: this.userHandle,
      },
    };
  }

  private header(rpId: string, flags: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counter]);
  }
}
