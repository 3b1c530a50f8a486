/**
 * The pool registry: which identity pools exist and their settings. Every stored pool records
 * its origin: the config file (`config`), the admin API (`admin`), or the implicit `default` pool
 * a server without a config file ensures (`default`). At start, the config file's pools are written
 * (the file wins for the ids it names) and pools it no longer names are **retired**: a `config`
 * pool the file dropped, and the implicit `default` once a config file is in use. A retired pool
 * is kept in storage (its identities and data stay) but answers as if it did not exist: no
 * sign-ins, no tokens, no AWS credentials, no webhooks, until the file names it again. Pools
 * created through the admin API are never retired. Pools stored before origins were recorded are
 * read as admin pools (except `default`), with a warning, since the server cannot tell.
 *
 * Secrets in the settings are sealed at rest (`pool-secrets.ts`); plaintext rows written before
 * that are sealed at start.
 *
 * Lookups are cached in memory: a pool's settings never change while the server runs, and an
 * unknown id is looked up in storage again (another instance may have created it).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { Limits } from "../../core/types.js";
import type { SecretBox } from "../secret-box.js";
import type { Storage, StoredPool } from "../storage/storage.js";
import { DEFAULT_POOL_ID, poolSettingsSchema, type PoolSettings } from "./pool-settings.js";
import { hasPlaintextSecrets, openPoolSecrets, sealPoolSecrets } from "./pool-secrets.js";

/** Where a pool came from; decides whether it is retired when the config file stops naming it. */
export type PoolOrigin = "config" | "admin" | "default";

/** What the registry keeps beside a pool's settings, under `META_KEY` in the stored settings. */
interface PoolMeta {
  origin: PoolOrigin;
  /** When the pool was retired (epoch ms), or null while live. */
  retiredAt: number | null;
}

/** The reserved key of the stored settings object that holds `PoolMeta` (never a settings field). */
const META_KEY = "$syncpool";

/** A pool as the admin API shows it (no secrets). */
export interface IdentityPoolView {
  id: string;
  region: string;
  allowGuests: boolean;
  limits: Limits;
  createdAt: number;
}

/** Finds and creates identity pools. */
export interface PoolRegistry {
  /** The pool's settings, or null when no such pool exists. */
  get(id: string): Promise<PoolSettings | null>;
  /** Every pool, ordered by id. */
  list(): Promise<IdentityPoolView[]>;
  /**
   * Stores a new pool.
   * @throws SyncpoolError BAD_USER_INPUT when the id is taken.
   */
  create(settings: PoolSettings): Promise<IdentityPoolView>;
}

interface CachedPool {
  settings: PoolSettings;
  createdAt: number;
  meta: PoolMeta;
}

/** What the registry needs at start. */
export interface PoolRegistryOptions {
  /** The config file's pools. */
  configured: readonly PoolSettings[];
  /** True when the server runs with a config file: the implicit `default` pool is then retired. */
  hasConfigFile: boolean;
  /** Seals the settings' secrets at rest. */
  box: SecretBox;
  /** Server time, epoch ms. */
  now: () => number;
  /** Start-up remarks for the log (retired pools, pools of unknown origin). */
  warn: (message: string) => void;
  /** The implicit `default` pool's settings (default: all defaults); the built-in user pool adds its login. */
  implicitDefault?: PoolSettings;
}

/**
 * Reads a stored pool: its settings (secrets opened, defaults applied) and its origin. Also for
 * tools that read storage without a running server (`syncpool stream`).
 * @throws Error when the settings do not parse or a secret does not open with the box's key.
 */
export function readStoredPool(stored: StoredPool, box: SecretBox): { settings: PoolSettings; createdAt: number; meta: PoolMeta } {
  const { [META_KEY]: rawMeta, ...sealed } = stored.settings;
  const meta = parseMeta(stored.id, rawMeta);
  // Stored settings were validated on the way in; parsing again applies defaults added since.
  const parsed = poolSettingsSchema.safeParse(openPoolSecrets(box, stored.id, sealed));
  if (!parsed.success) throw new Error(`stored settings of pool "${stored.id}" are invalid: ${parsed.error.message}`);
  return { settings: parsed.data, createdAt: stored.createdAt, meta };
}

function parseMeta(id: string, raw: unknown): PoolMeta {
  const meta = raw !== null && typeof raw === "object" ? (raw as Partial<PoolMeta>) : {};
  const origin = meta.origin === "config" || meta.origin === "admin" || meta.origin === "default" ? meta.origin : null;
  // Rows from before origins were recorded: only `default` is known to be the implicit one.
  return { origin: origin ?? (id === DEFAULT_POOL_ID ? "default" : "admin"), retiredAt: typeof meta.retiredAt === "number" ? meta.retiredAt : null };
}

/**
 * Writes the configured pools (or the default pool), retires the ones no longer configured, and
 * returns the registry. Runs once at start, after migrations.
 */
export async function openPoolRegistry(storage: Storage, options: PoolRegistryOptions): Promise<PoolRegistry> {
  const { configured, box, now, warn } = options;
  const cache = new Map<string, CachedPool>();

  const save = async (settings: PoolSettings, createdAt: number, meta: PoolMeta): Promise<CachedPool> => {
    const stored = { ...sealPoolSecrets(box, settings.id, settings as unknown as Record<string, unknown>), [META_KEY]: meta };
    await storage.pools.savePool({ id: settings.id, settings: stored, createdAt });
    const entry = { settings, createdAt, meta };
    cache.set(settings.id, entry);
    return entry;
  };

  const lookup = async (id: string): Promise<CachedPool | null> => {
    const cached = cache.get(id);
    if (cached) return cached;
    const stored = await storage.pools.getPool(id);
    if (!stored) return null;
    const entry = readStoredPool(stored, box);
    cache.set(id, entry);
    return entry;
  };

  const implicitDefault = !options.hasConfigFile && configured.length === 0;
  const pools = implicitDefault ? [options.implicitDefault ?? poolSettingsSchema.parse({ id: DEFAULT_POOL_ID })] : configured;
  const written = new Set<string>();
  for (const settings of pools) {
    const existing = await storage.pools.getPool(settings.id);
    await save(settings, existing?.createdAt ?? now(), { origin: implicitDefault ? "default" : "config", retiredAt: null });
    written.add(settings.id);
  }
  for (const stored of await storage.pools.listPools()) {
    if (written.has(stored.id)) continue;
    const entry = readStoredPool(stored, box);
    const recorded = (stored.settings[META_KEY] as { origin?: unknown } | undefined)?.origin !== undefined;
    if (entry.meta.origin === "admin") {
      if (!recorded) warn(`identity pool "${stored.id}" was stored before pool origins were recorded: kept live as a pool created through the admin API`);
      // Seals plaintext secrets of rows written before sealing existed, and records the origin.
      if (!recorded || hasPlaintextSecrets(box, stored.id, stored.settings)) await save(entry.settings, entry.createdAt, entry.meta);
      continue;
    }
    const retiredAt = entry.meta.retiredAt ?? now();
    const why = entry.meta.origin === "default" ? "the implicit default pool, and a config file is in use" : "no longer in the config file";
    warn(`identity pool "${stored.id}" is retired (${why}): its sign-ins, tokens, credentials and webhooks are refused; name it in the config file to bring it back`);
    await save(entry.settings, entry.createdAt, { ...entry.meta, retiredAt });
  }

  // Serializes creates in this process so two concurrent creates of one id cannot both succeed.
  let creating: Promise<unknown> = Promise.resolve();

  return {
    async get(id) {
      // `<region>:<id>` names the pool `<id>` of that region too: Amplify refuses pool ids without a region.
      const regional = /^([a-z0-9-]{1,18}):([^:]+)$/.exec(id);
      let entry = await lookup(id);
      if (!entry && regional) entry = await lookup(regional[2]!).then((found) => (found?.settings.region === regional[1] ? found : null));
      return entry && entry.meta.retiredAt === null ? entry.settings : null;
    },

    async list() {
      const stored = await storage.pools.listPools();
      return stored
        .map((pool) => cache.get(pool.id) ?? readStoredPool(pool, box))
        .filter((entry) => entry.meta.retiredAt === null)
        .map(toView)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    create(settings) {
      const result = creating.then(async () => {
        const existing = await lookup(settings.id);
        if (existing) {
          const retired = existing.meta.retiredAt === null ? "" : " (retired: it was removed from the config file)";
          throw new SyncpoolError("BAD_USER_INPUT", `identity pool "${settings.id}" already exists${retired}`, { field: "id" });
        }
        return toView(await save(settings, now(), { origin: "admin", retiredAt: null }));
      });
      creating = result.catch(() => undefined);
      return result;
    },
  };
}

function toView({ settings, createdAt }: CachedPool): IdentityPoolView {
  return {
    id: settings.id,
    region: settings.region,
    allowGuests: settings.allowGuests,
    limits: settings.limits,
    createdAt,
  };
}
