/**
 * Secrets at rest: pool settings hold secrets (developer keys, AWS secret keys, trigger and webhook
 * signing secrets), and the server's own keys live in the database (`server/keys/`); none may be
 * readable by whoever can read the database or a backup of it.
 * They are sealed with AES-256-GCM under a master key before they are stored, and opened when
 * read.
 *
 * The master key is `SYNCPOOL_MASTER_KEY` (base64 of 32 bytes) when set, else `<dataDir>/keys/master-key`,
 * created once (mode 0600). Every instance sharing a database must use the same key: set the
 * variable on each (`server/config.ts` requires it with PostgreSQL in production).
 *
 * A sealed value is `sealed:v1:<base64url of 12-byte IV | ciphertext | 16-byte tag>`. The caller's
 * `context` (e.g. `pool:<id>:developerProvider.key`) is authenticated with it, so a sealed value
 * copied into another pool or field does not open. Values without the prefix are plaintext written
 * before sealing existed; `open` returns them as they are, so old rows keep loading.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { readOrCreateSecretFile } from "./secret-file.js";

const PREFIX = "sealed:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Length of the master key, in bytes (AES-256). */
export const MASTER_KEY_BYTES = 32;
const MASTER_KEY_FILE = "master-key";

/** Seals and opens secrets under the master key. */
export interface SecretBox {
  /** `plaintext` sealed, bound to `context`. */
  seal(plaintext: string, context: string): string;
  /**
   * The plaintext of a sealed value (a value that is not sealed is returned as is).
   * @throws Error when the value was sealed under another key or for another context.
   */
  open(stored: string, context: string): string;
  /** True when `stored` is sealed (not legacy plaintext). */
  isSealed(stored: string): boolean;
}

/** A box over a 32-byte key. */
export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== MASTER_KEY_BYTES) throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes`);
  const key = Buffer.from(masterKey);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(stored, context) {
      if (!stored.startsWith(PREFIX)) return stored;
      const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error(`a sealed secret (${context}) is truncated`);
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES)).setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch {
        throw new Error(`a sealed secret (${context}) does not open with this master key: SYNCPOOL_MASTER_KEY or keys/${MASTER_KEY_FILE} differs from the one it was sealed with`);
      }
    },
    isSealed: (stored) => stored.startsWith(PREFIX),
  };
}

/**
 * The master key: `fromEnv` (already validated as 32 bytes) when given, else the key file in
 * `<dataDir>/keys/`, created on first start.
 */
export async function loadMasterKey(dataDir: string, fromEnv: Uint8Array | null): Promise<Uint8Array> {
  if (fromEnv !== null) return fromEnv;
  const dir = join(dataDir, "keys");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const text = await readOrCreateSecretFile(join(dir, MASTER_KEY_FILE), async () => randomBytes(MASTER_KEY_BYTES).toString("base64"));
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`${join(dir, MASTER_KEY_FILE)} must hold ${MASTER_KEY_BYTES} bytes, base64`);
  return new Uint8Array(key);
}
