/**
 * The secrets inside a pool's settings, sealed for storage and opened on load (`server/secret-box.ts`):
 * the developer provider's key, the AWS developer secret key, the HTTPS sync trigger's secret, the
 * HTTPS LAMBDA conflict handler's secret and each webhook's secret. Everything else in the settings is stored as it is. Each secret is bound
 * to its pool and field, so a sealed value moved elsewhere does not open.
 */
import type { SecretBox } from "../secret-box.js";

type Json = Record<string, unknown>;

/** One secret's place in the stored settings: its name (for binding) and how to reach its holder. */
interface SecretField {
  path: string;
  /** The objects holding the secret, under `key`. */
  holders(settings: Json): Json[];
  key: string;
}

const asObject = (value: unknown): Json | null => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null);

const SECRET_FIELDS: readonly SecretField[] = [
  { path: "developerProvider.key", key: "key", holders: (settings) => [asObject(settings["developerProvider"])].filter((item) => item !== null) },
  {
    path: "developerCredentials.secretAccessKey",
    key: "secretAccessKey",
    holders: (settings) => [asObject(settings["developerCredentials"])].filter((item) => item !== null),
  },
  { path: "syncTrigger.secret", key: "secret", holders: (settings) => [asObject(settings["syncTrigger"])].filter((item) => item !== null) },
  {
    path: "models.lambdaConflictHandler.secret",
    key: "secret",
    holders: (settings) => [asObject(asObject(settings["models"])?.["lambdaConflictHandler"])].filter((item) => item !== null),
  },
  {
    path: "stream.webhooks.secret",
    key: "secret",
    holders: (settings) => {
      const webhooks = asObject(settings["stream"])?.["webhooks"];
      return Array.isArray(webhooks) ? webhooks.map(asObject).filter((item) => item !== null) : [];
    },
  },
];

/** A deep copy of `settings` with every secret rewritten by `rewrite` (given the value and its binding). */
function rewriteSecrets(poolId: string, settings: Json, rewrite: (value: string, context: string) => string): Json {
  const copy = structuredClone(settings);
  for (const field of SECRET_FIELDS) {
    for (const holder of field.holders(copy)) {
      const value = holder[field.key];
      if (typeof value === "string") holder[field.key] = rewrite(value, `pool:${poolId}:${field.path}`);
    }
  }
  return copy;
}

/** The settings as stored: secrets sealed. */
export function sealPoolSecrets(box: SecretBox, poolId: string, settings: Json): Json {
  return rewriteSecrets(poolId, settings, (value, context) => (box.isSealed(value) ? value : box.seal(value, context)));
}

/**
 * The settings as loaded: secrets opened (plaintext written before sealing existed is kept).
 * @throws Error when a secret was sealed under another master key.
 */
export function openPoolSecrets(box: SecretBox, poolId: string, stored: Json): Json {
  return rewriteSecrets(poolId, stored, (value, context) => box.open(value, context));
}

/** True when a stored row still holds a secret in plaintext (to be sealed at start). */
export function hasPlaintextSecrets(box: SecretBox, poolId: string, stored: Json): boolean {
  let found = false;
  rewriteSecrets(poolId, stored, (value) => {
    if (!box.isSealed(value)) found = true;
    return value;
  });
  return found;
}
