/**
 * Secrets copied from the docs and examples are public: anyone can forge a webhook's signature or
 * call as the pool's developer with them. They are fine on a developer's machine (the documented
 * commands start the server with `examples/stream/syncpool.json` as it is), and refused anywhere
 * else: with NODE_ENV=production, or when the server listens beyond loopback.
 */
import type { PoolSettings } from "./identity/pool-settings.js";

/** Every secret the docs and examples print, compared exactly. */
export const EXAMPLE_SECRETS: ReadonlySet<string> = new Set([
  "change-me-to-a-long-random-secret",
  "at-least-16-characters",
]);

/** A published secret found in the config: where (`pools[0].stream.webhooks[0].secret`). */
export interface ExampleSecretUse {
  path: string;
}

/** The config file's fields that hold one of `EXAMPLE_SECRETS`. */
export function findExampleSecrets(pools: readonly PoolSettings[]): ExampleSecretUse[] {
  const found: ExampleSecretUse[] = [];
  const check = (path: string, value: string | undefined) => {
    if (value !== undefined && EXAMPLE_SECRETS.has(value)) found.push({ path });
  };
  pools.forEach((pool, index) => {
    const at = `pools[${index}]`;
    check(`${at}.developerProvider.key`, pool.developerProvider?.key);
    check(`${at}.developerCredentials.secretAccessKey`, pool.developerCredentials?.secretAccessKey);
    if (pool.syncTrigger && "secret" in pool.syncTrigger) check(`${at}.syncTrigger.secret`, pool.syncTrigger.secret);
    (pool.stream.webhooks ?? []).forEach((webhook, hook) => check(`${at}.stream.webhooks[${hook}].secret`, webhook.secret));
  });
  return found;
}

/** True for a host only this machine reaches (the default 127.0.0.1 included). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
