/**
 * The secrets of a user export (SRP verifiers, TOTP secrets) sealed under a key derived from an
 * export passphrase, not under the server's master key: the importing server has its own master
 * key, and the file, unlike the database, is copied around. A verifier is one SHA-256 away from
 * the password, so a verifier in the clear would let whoever holds the file guess passwords at
 * the speed of SHA-256; sealed, they must first guess the passphrase through scrypt.
 *
 * Key: scrypt(passphrase, 16 random bytes, N = 2^15, r = 8, p = 1, 32 bytes). Each secret:
 * AES-256-GCM with a random 96-bit IV, its user's `sub` and purpose as associated data, written
 * base64url(iv ‖ tag ‖ ciphertext). The header carries the salt and parameters and a sealed check
 * value, so a wrong passphrase is reported before anything is imported.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";

/** What an export's header says about its sealing. */
export interface ExportSealingHeader {
  kdf: "scrypt";
  salt: string;
  n: number;
  r: number;
  p: number;
  /** `CHECK_TEXT` sealed under the key. */
  check: string;
}

/** Seals and opens an export's secrets. */
export interface ExportSealer {
  header: ExportSealingHeader;
  seal(text: string, context: string): string;
  /** The text; throws when the key or context is wrong. */
  open(sealed: string, context: string): string;
}

const CHECK_TEXT = "syncpool user export";
const PARAMETERS = { n: 2 ** 15, r: 8, p: 1 } as const;

function sealerOf(key: Buffer, header: Omit<ExportSealingHeader, "check">): ExportSealer {
  const seal = (text: string, context: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  };
  const open = (sealed: string, context: string) => {
    const bytes = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12)).setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
  };
  return { header: { ...header, check: seal(CHECK_TEXT, "check") }, seal, open };
}

const keyOf = (passphrase: string, salt: Buffer, n: number, r: number, p: number) =>
  scryptSync(passphrase.normalize("NFC"), salt, 32, { N: n, r, p, maxmem: 256 * n * r * p + 16 * 1024 * 1024 });

/** A sealer with a new salt, for an export. */
export function newExportSealer(passphrase: string): ExportSealer {
  const salt = randomBytes(16);
  return sealerOf(keyOf(passphrase, salt, PARAMETERS.n, PARAMETERS.r, PARAMETERS.p), { kdf: "scrypt", salt: salt.toString("base64url"), ...PARAMETERS });
}

/**
 * The sealer of an export whose header is `header`, or null when `passphrase` does not open it.
 * Parameters above 2^20 (or r, p above 16) are refused: a file must not make the importer spend unbounded memory.
 */
export function openExportSealer(header: ExportSealingHeader, passphrase: string): ExportSealer | null {
  if (header.n > 2 ** 20 || header.r > 16 || header.p > 16) return null;
  const key = keyOf(passphrase, Buffer.from(header.salt, "base64url"), header.n, header.r, header.p);
  const sealer = sealerOf(key, header);
  try {
    if (sealer.open(header.check, "check") !== CHECK_TEXT) return null;
  } catch {
    return null;
  }
  return { ...sealer, header };
}
