/**
 * Errors as AppSync answers them: `errorType`, `data` and `errorInfo` beside `message`, `path` and
 * `locations` in each `errors[]` entry (DataStore reads `errors[0].errorType`, and takes
 * `errors[0].data` as the server's item). Resolvers throw `appsyncError`s; `useAppsyncErrorShape`
 * moves their extensions to where AppSync puts them, after masking.
 */
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { isSyncpoolError } from "../../core/errors.js";
import type { ModelItem } from "./model-items.js";

/** An error with AppSync's `errorType` (and the server's item in `data`, for conflicts). */
export function appsyncError(errorType: string, message: string, data: ModelItem | null = null): GraphQLError {
  return new GraphQLError(message, { extensions: { errorType, data, errorInfo: null } });
}

/** A stale `_version` under OPTIMISTIC_CONCURRENCY (or a write to a deleted item): `current` goes back. */
export function conflictUnhandled(current: ModelItem): GraphQLError {
  return appsyncError("ConflictUnhandled", "Conflict resolver rejects mutation.", current);
}

/** A `condition` that does not hold, or a create of an id that exists, or an update of none. */
export function conditionFailed(): GraphQLError {
  return appsyncError("DynamoDB:ConditionalCheckFailedException", "The conditional request failed");
}

/** The caller may not run `field`. */
export function unauthorized(field: string, type: string): GraphQLError {
  return appsyncError("Unauthorized", `Not Authorized to access ${field} on type ${type}`);
}

/**
 * The model API's `maskError`: AppSync-shaped errors and GraphQL's own (no path: syntax,
 * validation, variables) are kept; a `SyncpoolError` becomes `BadRequest` with its message;
 * anything else is masked as `InternalFailure` (yoga logs the cause).
 */
export function maskAppsyncError(error: unknown): Error {
  const located = error instanceof GraphQLError ? error : null;
  const cause = located?.originalError ?? error;
  if (cause instanceof GraphQLError && typeof cause.extensions["errorType"] === "string") {
    return new GraphQLError(cause.message, { nodes: located?.nodes ?? null, path: located?.path ?? null, extensions: cause.extensions });
  }
  if (isSyncpoolError(cause)) {
    const errorType = cause.code === "FORBIDDEN" || cause.code === "UNAUTHENTICATED" ? "Unauthorized" : cause.code === "RATE_LIMITED" ? "Throttling" : "BadRequest";
    return new GraphQLError(cause.message, { nodes: located?.nodes ?? null, path: located?.path ?? null, extensions: { errorType, data: null, errorInfo: null } });
  }
  if (located && located.path === undefined) return located;
  return new GraphQLError("An internal failure occurred.", { nodes: located?.nodes ?? null, path: located?.path ?? null, extensions: { errorType: "InternalFailure" } });
}

/** Rewrites each error of a result to AppSync's layout (no `extensions`). */
export function useAppsyncErrorShape(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result) || !result.errors) return;
      const errors = (result.errors as readonly GraphQLError[]).map((error) => {
        const json = error instanceof GraphQLError ? error.toJSON() : (error as { message: string; path?: unknown; locations?: unknown; extensions?: Record<string, unknown> });
        const extensions = json.extensions ?? {};
        return {
          ...(json.path ? { path: json.path } : {}),
          data: extensions["data"] ?? null,
          // GraphQL's own refusals (syntax, validation, variables) carry no type of ours and no path.
          errorType: extensions["errorType"] ?? (json.path ? "BadRequest" : "ValidationError"),
          errorInfo: extensions["errorInfo"] ?? null,
          ...(json.locations ? { locations: json.locations } : {}),
          message: json.message,
        };
      });
      // A request that ran no field (syntax, validation, variables, a subscription over HTTP) is
      // the caller's mistake: 400, as AppSync answers it. Field errors beside data stay 200.
      const ranNoField = !("data" in result) || result.data === null || result.data === undefined;
      setResult({ ...result, errors, ...(ranNoField ? { extensions: { ...result.extensions, http: { status: 400 } } } : {}) } as never);
    },
  };
}
