/**
 * Turns a pool's `syncTrigger` setting into a callable `SyncTrigger`: an in-process module (its
 * default export, loaded once, path relative to the config file) or an HTTPS endpoint (a signed
 * POST). Either way the call has a time limit and the answer is checked before the push uses it;
 * every failure becomes TRIGGER_FAILED with a reason, and the push commits nothing.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isSyncpoolError } from "../../core/errors.js";
import type { SyncTriggerSettings } from "./sync-trigger-settings.js";
import type { Logger } from "../logger.js";
import type { PostSigned } from "./post-signed.js";
import { parseTriggerAnswer, triggerFailed, type SyncTrigger, type SyncTriggerEvent } from "./trigger-contract.js";

/** Time limit of in-process module triggers (HTTPS triggers take theirs from the setting). */
export const DEFAULT_TRIGGER_TIMEOUT_MS = 5000;

/** What building a trigger needs. */
export interface SyncTriggerDeps {
  /** Module paths are resolved against this directory (the config file's). */
  baseDir: string;
  post: PostSigned;
  now: () => number;
  logger: Logger;
  /** Time limit for module triggers; default `DEFAULT_TRIGGER_TIMEOUT_MS`. */
  moduleTimeoutMs?: number;
}

/** A module trigger's default export. It may return the answer or a promise of it. */
export type SyncTriggerFunction = (event: SyncTriggerEvent) => unknown;

/**
 * Calls a hook written as `settings` with an event and resolves with its raw answer (the module's
 * return value, or the endpoint's JSON). Throws TRIGGER_FAILED on a timeout, an unreachable
 * endpoint or an answer that is not JSON; a module's own error is thrown as it is.
 */
export type TriggerCall = (event: unknown) => Promise<unknown>;

/** The call of one hook setting (a sync trigger, a LAMBDA conflict handler). Nothing is loaded until the first call. */
export function createTriggerCall(settings: SyncTriggerSettings, deps: SyncTriggerDeps): TriggerCall {
  return "module" in settings
    ? moduleCall(isAbsolute(settings.module) ? settings.module : resolve(deps.baseDir, settings.module), deps.moduleTimeoutMs ?? DEFAULT_TRIGGER_TIMEOUT_MS)
    : httpCall(settings, deps);
}

/** Builds the trigger for one pool's setting. Nothing is loaded or called until the first push. */
export function createSyncTrigger(settings: SyncTriggerSettings, deps: SyncTriggerDeps): SyncTrigger {
  const logger = deps.logger.child({ component: "sync-trigger" });
  const call = createTriggerCall(settings, deps);
  return async (event) => {
    try {
      return parseTriggerAnswer(await call(event));
    } catch (error) {
      if (isSyncpoolError(error) && error.code === "TRIGGER_FAILED") {
        logger.warn({ pool: event.identityPoolId, dataset: event.datasetName, reason: error.details["reason"] }, error.message);
        throw error;
      }
      logger.error({ err: error, pool: event.identityPoolId, dataset: event.datasetName }, "the sync trigger threw");
      throw triggerFailed("ERROR", "it threw an error (see the server log)");
    }
  };
}

function moduleCall(path: string, timeoutMs: number): TriggerCall {
  // Any hook's default export: the event's shape is the caller's contract (a sync trigger's, a conflict handler's).
  let loading: Promise<(event: unknown) => unknown> | undefined;
  const load = () =>
    (loading ??= import(pathToFileURL(path).href).then((module: { default?: unknown }) => {
      if (typeof module.default !== "function") throw new Error(`sync trigger module ${path} has no default export function`);
      return module.default as (event: unknown) => unknown;
    })).catch((error: unknown) => {
      loading = undefined; // a module fixed on disk is picked up by the next push
      throw error;
    });
  return async (event) => {
    const trigger = await load();
    // A copy: the trigger may edit and return the event it was given, as Cognito's examples do.
    return withTimeout(Promise.resolve().then(() => trigger(structuredClone(event))), timeoutMs);
  };
}

function httpCall(settings: { url: string; secret: string; timeoutMs: number }, deps: SyncTriggerDeps) {
  return async (event: unknown): Promise<unknown> => {
    let answer;
    try {
      answer = await deps.post({ url: settings.url, secret: settings.secret, body: JSON.stringify(event), timeoutMs: settings.timeoutMs }, deps.now());
    } catch (error) {
      if ((error as Error).name === "TimeoutError") throw triggerFailed("TIMEOUT", `no answer within ${settings.timeoutMs} ms`);
      throw triggerFailed("UNAVAILABLE", `the endpoint could not be reached (${(error as Error).message})`);
    }
    if (answer.status < 200 || answer.status > 299) throw triggerFailed("UNAVAILABLE", `the endpoint answered HTTP ${answer.status}`);
    try {
      return JSON.parse(answer.text) as unknown;
    } catch {
      throw triggerFailed("MALFORMED_ANSWER", "the endpoint's answer is not JSON");
    }
  };
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(triggerFailed("TIMEOUT", `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
