/**
 * Pool settings as the admin API may show them: every value under a secret-bearing field name
 * (a developer key, a trigger's or webhook's secret, an AWS secret access key, any token or
 * password) is replaced by a mask, at any depth. Names decide, not values, so a secret field added
 * later is masked as long as its name says what it is.
 */

/** What a masked value reads as. */
export const SECRET_MASK = "********";

const SECRET_FIELD = /secret|password|token|^key$|privateKey/i;

/** A deep copy of `value` with secret fields masked. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([field, inner]) => [field, SECRET_FIELD.test(field) && inner !== null && inner !== undefined && typeof inner !== "object" ? SECRET_MASK : maskSecrets(inner)]),
  );
}
