/**
 * The pool registry: which identity pools exist and their settings. Pools from the config file
 * are written to storage at start (the file wins for the ids it names); pools created through
 * the admin API live in storage only. Without configured pools, a `default` pool that allows
 * guests is ensured. Lookups are cached in memory: a pool's settings never change while the
 * server runs, and an unknown id is looked up in storage again (another instance may have
 * created it).
 */
import { SyncpoolError } from "../../core/errors.js";
import type { Limits } from "../../core/types.js";
import type { Storage } from "../storage/storage.js";
import { DEFAULT_POOL_ID, poolSettingsSchema, type PoolSettings } from "./pool-settings.js";

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
}

/**
 * Writes the configured pools (or the default pool) to storage and returns the registry.
 * Runs once at start, after migrations.
 */
export async function openPoolRegistry(storage: Storage, configured: readonly PoolSettings[], now: () => number): Promise<PoolRegistry> {
  const cache = new Map<string, CachedPool>();

  const toCached = (stored: { id: string; settings: Record<string, unknown>; createdAt: number }): CachedPool => {
    // Stored settings were validated on the way in; parsing again applies defaults added since.
    const parsed = poolSettingsSchema.safeParse(stored.settings);
    if (!parsed.success) throw new Error(`stored settings of pool "${stored.id}" are invalid: ${parsed.error.message}`);
    return { settings: parsed.data, createdAt: stored.createdAt };
  };

  const save = async (settings: PoolSettings, createdAt: number): Promise<CachedPool> => {
    await storage.savePool({ id: settings.id, settings: settings as unknown as Record<string, unknown>, createdAt });
    const entry = { settings, createdAt };
    cache.set(settings.id, entry);
    return entry;
  };

  const lookup = async (id: string): Promise<CachedPool | null> => {
    const cached = cache.get(id);
    if (cached) return cached;
    const stored = await storage.getPool(id);
    if (!stored) return null;
    const entry = toCached(stored);
    cache.set(id, entry);
    return entry;
  };

  const pools = configured.length > 0 ? configured : [poolSettingsSchema.parse({ id: DEFAULT_POOL_ID })];
  for (const settings of pools) {
    const existing = await storage.getPool(settings.id);
    await save(settings, existing?.createdAt ?? now());
  }

  // Serializes creates in this process so two concurrent creates of one id cannot both succeed.
  let creating: Promise<unknown> = Promise.resolve();

  return {
    async get(id) {
      return (await lookup(id))?.settings ?? null;
    },

    async list() {
      const stored = await storage.listPools();
      return stored
        .map((pool) => cache.get(pool.id) ?? toCached(pool))
        .map(toView)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    create(settings) {
      const result = creating.then(async () => {
        if (await lookup(settings.id)) {
          throw new SyncpoolError("BAD_USER_INPUT", `identity pool "${settings.id}" already exists`, { field: "id" });
        }
        return toView(await save(settings, now()));
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
