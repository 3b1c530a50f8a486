/**
 * Settings of the server's YDOC work that the environment may set: the worker pool and the
 * structural budget (`core/ydoc-budget.ts`). `server/config.ts` stays the only reader of the
 * environment: it spreads `ydocEnvShape` into its schema and calls `toYdocConfig`. Only zod and
 * core here: config.ts imports this file.
 */
import { z } from "zod";
import { DEFAULT_YDOC_BUDGET, type YdocBudget } from "../../core/ydoc-budget.js";

/** The server-wide YDOC settings. */
export interface YdocConfig {
  /** Worker threads doing Yjs merges and validation. */
  workers: number;
  /** Longest one Yjs job may run before its worker is terminated and the push refused. */
  timeLimitMs: number;
  /** Caps on an incoming update's shape, checked before any Yjs work. */
  budget: YdocBudget;
}

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `expected an integer from ${min} to ${max}` }).max(max, { error: `expected an integer from ${min} to ${max}` }));

/** The defaults, for code that builds a `ServerConfig` by hand. */
export const DEFAULT_YDOC_CONFIG: Readonly<YdocConfig> = Object.freeze({ workers: 2, timeLimitMs: 2000, budget: DEFAULT_YDOC_BUDGET });

/** The environment variables of the YDOC work, for `server/config.ts`'s schema. */
export const ydocEnvShape = {
  SYNCPOOL_YDOC_WORKERS: int(1, 64).default(DEFAULT_YDOC_CONFIG.workers),
  SYNCPOOL_YDOC_TIME_LIMIT_MS: int(10, 600_000).default(DEFAULT_YDOC_CONFIG.timeLimitMs),
  SYNCPOOL_YDOC_MAX_CLIENTS: int(1, 10_000_000).default(DEFAULT_YDOC_BUDGET.maxClients),
  SYNCPOOL_YDOC_MAX_STRUCTS: int(1, 10_000_000).default(DEFAULT_YDOC_BUDGET.maxStructs),
  SYNCPOOL_YDOC_MAX_DELETE_RANGES: int(1, 10_000_000).default(DEFAULT_YDOC_BUDGET.maxDeleteRanges),
};

type YdocEnv = { [K in keyof typeof ydocEnvShape]?: z.output<(typeof ydocEnvShape)[K]> };

/** The YDOC settings from parsed environment values. */
export function toYdocConfig(env: YdocEnv): YdocConfig {
  return {
    workers: env.SYNCPOOL_YDOC_WORKERS ?? DEFAULT_YDOC_CONFIG.workers,
    timeLimitMs: env.SYNCPOOL_YDOC_TIME_LIMIT_MS ?? DEFAULT_YDOC_CONFIG.timeLimitMs,
    budget: {
      ...DEFAULT_YDOC_BUDGET,
      maxClients: env.SYNCPOOL_YDOC_MAX_CLIENTS ?? DEFAULT_YDOC_BUDGET.maxClients,
      maxStructs: env.SYNCPOOL_YDOC_MAX_STRUCTS ?? DEFAULT_YDOC_BUDGET.maxStructs,
      maxDeleteRanges: env.SYNCPOOL_YDOC_MAX_DELETE_RANGES ?? DEFAULT_YDOC_BUDGET.maxDeleteRanges,
    },
  };
}
