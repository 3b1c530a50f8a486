/**
 * Who calls the model API, and which models they may use. This slice serves one mode: an API key
 * of the pool (`x-api-key`, issued by `createApiKey`) reaches the models with an `allow: public`
 * rule whose provider is `apiKey` (AppSync's default for public). Models with only owner, private
 * or group rules refuse every caller until those modes are served.
 */
import type { ModelDef } from "./model-schema.js";
import { verifyApiKey } from "./api-keys.js";

/** A verified caller of the model API. */
export type ModelPrincipal = { kind: "apiKey" };

/** The principal `request` proves for pool `poolId`, or null (no key, a wrong or expired one). */
export function principalOf(request: Request, poolId: string, secrets: readonly Uint8Array[], now: number): ModelPrincipal | null {
  const apiKey = request.headers.get("x-api-key");
  if (apiKey !== null && verifyApiKey(secrets, apiKey, now) === poolId) return { kind: "apiKey" };
  return null;
}

/** True when `principal` may use `model` at all (every operation, this slice). */
export function mayUse(principal: ModelPrincipal, model: ModelDef): boolean {
  return principal.kind === "apiKey" && model.auth.some((rule) => rule.allow === "public" && (rule.provider === null || rule.provider === "apiKey"));
}
