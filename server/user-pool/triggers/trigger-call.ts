/**
 * Calls one user-pool trigger where its setting says it runs: an in-process module (its default
 * export or a `handler` export, loaded once, path relative to the config file), or an HTTPS
 * endpoint, POSTed the event signed as sync triggers are (`server/stream/signature.ts`) under the
 * outbound guard (`server/outbound-http.ts`). As Cognito does with Lambda, each attempt has a time
 * limit (5 s unless `timeoutMs` says otherwise) and an endpoint that fails or is late is tried
 * three times in all. Failures become Cognito's exceptions:
 *
 * - the trigger refused (a module threw, an endpoint answered 4xx with `errorMessage`):
 *   UserLambdaValidationException "<Trigger> failed with error <message>.";
 * - no answer in time, unreachable, 5xx: UnexpectedLambdaException;
 * - an answer that is not a JSON object: InvalidLambdaResponseException "Unrecognizable lambda output".
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "../../logger.js";
import type { PostSigned } from "../../stream/post-signed.js";
import { UserPoolError } from "../user-pool-errors.js";
import type { TriggerName, TriggerSettings } from "./trigger-config.js";

/** Calls of endpoints that fail or time out, in all (Cognito's). */
export const TRIGGER_ATTEMPTS = 3;

/** What building a trigger call needs. */
export interface TriggerCallDeps {
  /** Module paths are resolved against this directory (the config file's). */
  baseDir: string;
  post: PostSigned;
  now: () => number;
  logger: Logger;
}

/** Resolves with the trigger's answer as a JSON object; rejects with a `UserPoolError` as the module comment says. */
export type TriggerCall = (event: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** A module trigger's function, as Lambda handlers are written: it may return (a promise of) the event, or call `callback`. */
type TriggerFunction = (event: unknown, context: unknown, callback: (error?: unknown, result?: unknown) => void) => unknown;

/** Cognito's name of a trigger in its messages: `preSignUp` -> `PreSignUp`. */
export const triggerLabel = (name: TriggerName) => name.charAt(0).toUpperCase() + name.slice(1);

/** Why an attempt failed without the trigger refusing. */
class Unavailable extends Error {}

/** Builds the call of trigger `name` with `settings`. Nothing is loaded or called until the first event. */
export function createTriggerCall(name: TriggerName, settings: TriggerSettings, deps: TriggerCallDeps): TriggerCall {
  const label = triggerLabel(name);
  const refused = (message: string) => new UserPoolError("UserLambdaValidationException", `${label} failed with error ${message}.`);
  const unavailable = (why: string) => new UserPoolError("UnexpectedLambdaException", `${label} invocation failed due to error ${why}.`);
  const attempt = "module" in settings ? moduleAttempt(isAbsolute(settings.module) ? settings.module : resolve(deps.baseDir, settings.module)) : httpAttempt(settings, deps);
  const attempts = "module" in settings ? 1 : TRIGGER_ATTEMPTS;
  return async (event) => {
    let answer: unknown;
    for (let tried = 1; ; tried += 1) {
      try {
        answer = await withTimeout(attempt(event), settings.timeoutMs);
        break;
      } catch (error) {
        if (error instanceof Refusal) throw refused(error.message);
        const why = error instanceof TimedOut ? "Socket timeout while invoking Lambda function" : (error as Error).message;
        deps.logger.warn({ trigger: name, attempt: tried, err: error }, "a user-pool trigger did not answer");
        if (tried >= attempts) throw unavailable(why);
      }
    }
    if (answer === null || typeof answer !== "object" || Array.isArray(answer)) throw new UserPoolError("InvalidLambdaResponseException", "Unrecognizable lambda output");
    return answer as Record<string, unknown>;
  };
}

/** The trigger said no: its message goes to the caller. */
class Refusal extends Error {}
/** An attempt outlived its time limit. */
class TimedOut extends Error {}

function moduleAttempt(path: string): (event: Record<string, unknown>) => Promise<unknown> {
  let loading: Promise<TriggerFunction> | undefined;
  const load = () =>
    (loading ??= import(pathToFileURL(path).href).then((module: { default?: unknown; handler?: unknown }) => {
      const handler = typeof module.default === "function" ? module.default : module.handler;
      if (typeof handler !== "function") throw new Unavailable(`trigger module ${path} exports no default or handler function`);
      return handler as TriggerFunction;
    })).catch((error: unknown) => {
      loading = undefined; // a module fixed on disk is picked up by the next call
      throw error instanceof Unavailable ? error : new Unavailable(`trigger module ${path} could not be loaded: ${(error as Error).message}`);
    });
  return async (event) => {
    const handler = await load();
    // A copy: the handler edits and returns the event it was given, as Cognito's examples do.
    const copy = structuredClone(event);
    return new Promise<unknown>((resolvePromise, reject) => {
      const fail = (error: unknown) => reject(new Refusal(error instanceof Error ? error.message : String(error)));
      const callback = (error?: unknown, result?: unknown) => (error ? fail(error) : resolvePromise(result));
      try {
        const returned = handler(copy, { functionName: "syncpool-trigger", getRemainingTimeInMillis: () => 0 }, callback);
        // A handler that takes a callback answers through it; one that does not answers with what it returns.
        if (handler.length < 3 || returned !== undefined) Promise.resolve(returned).then(resolvePromise, fail);
      } catch (error) {
        fail(error);
      }
    });
  };
}

function httpAttempt(settings: { url: string; secret: string; timeoutMs: number }, deps: TriggerCallDeps) {
  return async (event: Record<string, unknown>): Promise<unknown> => {
    let answer;
    try {
      answer = await deps.post({ url: settings.url, secret: settings.secret, body: JSON.stringify(event), timeoutMs: settings.timeoutMs }, deps.now());
    } catch (error) {
      if ((error as Error).name === "TimeoutError") throw new TimedOut("timed out");
      throw new Unavailable((error as Error).message);
    }
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = undefined;
    }
    if (answer.status >= 400 && answer.status < 500) {
      const { errorMessage, message } = (body ?? {}) as { errorMessage?: unknown; message?: unknown };
      throw new Refusal(typeof errorMessage === "string" ? errorMessage : typeof message === "string" ? message : `HTTP ${answer.status}`);
    }
    if (answer.status < 200 || answer.status > 299) throw new Unavailable(`the endpoint answered HTTP ${answer.status}`);
    return body ?? null;
  };
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
