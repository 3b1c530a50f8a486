/**
 * How errors leave the server. Every error a caller sees carries a stable `extensions.code`:
 * the protocol's codes for `SyncpoolError`s (their details spread beside the code), BAD_USER_INPUT
 * for requests GraphQL itself refuses (syntax, validation, variable types, query limits), and
 * INTERNAL_SERVER_ERROR for anything unexpected, whose message is masked and whose cause is
 * logged.
 *
 * HTTP status: errors raised while executing resolvers answer 200 with `errors` (GraphQL over
 * HTTP: a partial result is still a result). Requests refused before execution keep yoga's
 * statuses (400 for validation with `application/graphql-response+json`, 413 for a body too
 * large, 405 for a mutation over GET).
 */
import type { GraphQLError } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";
import { isSyncpoolError, type ErrorCode, type SyncpoolError } from "../core/errors.js";
import type { Logger } from "./logger.js";

/** Codes beyond the protocol's that the server can answer. */
export type ServerErrorCode = ErrorCode | "INTERNAL_SERVER_ERROR";

/**
 * True for a GraphQL error of any copy of graphql-js. `instanceof` is not enough: under vitest our
 * files load graphql's ESM build while yoga loads its CJS build, two distinct `GraphQLError`
 * classes. For the same reason errors are built with yoga's `createGraphQLError`.
 */
export function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === "GraphQLError";
}

/** The message every unexpected error is replaced with. */
export const MASKED_MESSAGE = "Unexpected error.";

/**
 * A `SyncpoolError` as a GraphQL error: `extensions = { ...details, code }` (the code last, so a
 * detail can never overwrite it). `located` carries the path and nodes of the field that failed.
 */
export function toGraphQLError(error: SyncpoolError, located?: GraphQLError): GraphQLError {
  return createGraphQLError(error.message, {
    nodes: located?.nodes ?? null,
    source: located?.source ?? null,
    positions: located?.positions ?? null,
    path: located?.path ?? null,
    extensions: { ...error.details, code: error.code },
  });
}

/** The innermost non-GraphQL cause of an error (what a resolver actually threw). */
function rootCause(error: unknown): unknown {
  let current = error;
  while (isGraphQLError(current) && current.originalError !== undefined && current.originalError !== null) {
    current = current.originalError;
  }
  return current;
}

/**
 * yoga's `maskedErrors.maskError`: keeps errors we raised on purpose, converts `SyncpoolError`s
 * that escaped a resolver, and masks everything else. yoga logs an error whenever this returns a
 * different object, so unexpected errors reach the log with their cause (see `yogaLogger`).
 */
export function maskError(error: unknown): Error {
  const located = isGraphQLError(error) ? error : undefined;
  const cause = rootCause(error);
  if (isSyncpoolError(cause)) return toGraphQLError(cause, located);
  if (isDeliberate(error)) {
    // Ours, yoga's (413, 405) or a request GraphQL refused: keep it (with its path), with a code.
    const kept = error as GraphQLError;
    return needsBadUserInput(kept) ? withCode(kept, "BAD_USER_INPUT") : kept;
  }
  return createGraphQLError(MASKED_MESSAGE, {
    nodes: located?.nodes ?? null,
    path: located?.path ?? null,
    extensions: { code: "INTERNAL_SERVER_ERROR", ...(located?.extensions["http"] ? { http: located.extensions["http"] } : {}) },
  });
}

/**
 * True for a GraphQL error raised on purpose: one without a path (GraphQL refused the request
 * before execution: syntax, validation, a variable a scalar rejected), or one whose root cause is
 * a GraphQL error with a code (ours). A resolver's plain `Error`, or a code-less error with a path
 * (graphql-js reporting our bug, a null in a non-null field), is not.
 */
function isDeliberate(error: unknown): boolean {
  if (!isGraphQLError(error)) return false;
  if (error.path === undefined) return true;
  const cause = rootCause(error);
  return isGraphQLError(cause) && cause.extensions["code"] !== undefined;
}

/** yoga's and graphql's codes for a request refused before execution; our contract says BAD_USER_INPUT. */
const REQUEST_ERROR_CODES = new Set(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST"]);

/** A request-level error (no path) without a code, or with one of GraphQL's own codes. */
function needsBadUserInput(error: GraphQLError): boolean {
  const code = error.extensions["code"];
  return error.path === undefined && (code === undefined || (typeof code === "string" && REQUEST_ERROR_CODES.has(code)));
}

function withCode(error: GraphQLError, code: ServerErrorCode): GraphQLError {
  const field = fieldOfVariableError(error.message);
  return createGraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: { ...(field === null ? {} : { field }), ...error.extensions, code },
  });
}

/**
 * graphql-js names the field of a bad variable only in its message (`Variable "$input" got
 * invalid value -5 at "input.patches[0].deviceLastModifiedAt"; ...`); copied into
 * `extensions.field`, so clients read every BAD_USER_INPUT the same way.
 */
function fieldOfVariableError(message: string): string | null {
  const match = /^Variable "\$([^"]+)" (?:got invalid value .*? at "([^"]+)";|got invalid value|of required type)/s.exec(message);
  return match ? (match[2] ?? match[1]!) : null;
}

/**
 * Gives every error of a request refused before execution (parse and validation errors,
 * variables of the wrong type) `code: BAD_USER_INPUT`: GraphQL raises them without a code, and
 * our contract says malformed input is BAD_USER_INPUT, with GraphQL's own message naming the
 * field. Errors that already have a code (ours, yoga's 413/405) are left alone.
 */
export function useBadUserInputCodes(): Plugin {
  const tag = (errors: readonly Error[]) =>
    errors.map((error) =>
      isGraphQLError(error) && needsBadUserInput(error) ? withCode(error, "BAD_USER_INPUT") : error,
    );
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(tag(result));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // Variable coercion fails inside `execute` and answers `{ errors }` without `data`.
          if ("errors" in result && result.errors && !("data" in result && result.data !== undefined)) {
            setResult({ ...result, errors: tag(result.errors) as GraphQLError[] });
          }
        },
      };
    },
  };
}

function codeOf(error: unknown): unknown {
  return isSyncpoolError(error) ? error.code : isGraphQLError(error) ? error.extensions["code"] : undefined;
}

/**
 * yoga's logger interface over pino. yoga calls `error(err)` with each error it masked; we log
 * the root cause (with its stack and `cause` chain) and the GraphQL path, never the variables.
 */
export function yogaLogger(logger: Logger) {
  // Objects stay objects (under `yoga`), so pino's redaction still sees their field names.
  const at = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => {
    const message = args.filter((arg) => typeof arg === "string").join(" ");
    const objects = args.filter((arg) => typeof arg !== "string");
    if (objects.length > 0) logger[level]({ yoga: objects }, message);
    else logger[level](message);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: (...args: unknown[]) => {
      const [first] = args;
      if (first instanceof Error) {
        const cause = rootCause(first);
        const path = isGraphQLError(first) ? first.path?.join(".") : undefined;
        // yoga reports every error it re-shaped; only the masked ones are news.
        if (isSyncpoolError(cause) || isDeliberate(first)) logger.debug({ code: codeOf(cause), path }, String((cause as Error).message));
        else logger.error({ err: cause, path }, "unexpected error (masked in the response)");
      } else {
        at("error")(...args);
      }
    },
  };
}
