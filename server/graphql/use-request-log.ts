/**
 * One log line per executed operation: its type and name, the root fields, how long it took and
 * the error codes it answered. Never the variables or headers: they carry tokens, device secrets
 * and user data.
 */
import { getOperationAST, type GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "../logger.js";

/** Logs each operation at `info` once it finishes. */
export function useRequestLog(logger: Logger, now: () => number = Date.now): Plugin {
  return {
    onExecute({ args }) {
      const startedAt = now();
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      const fields = operation?.selectionSet.selections.flatMap((selection) => (selection.kind === "Field" ? [selection.name.value] : [])) ?? [];
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result && Array.isArray(result.errors) ? (result.errors as GraphQLError[]) : [];
          logger.info(
            {
              operation: operation?.operation,
              operationName: args.operationName ?? operation?.name?.value,
              fields,
              durationMs: now() - startedAt,
              errorCodes: errors.map((error) => error.extensions?.["code"] ?? "UNKNOWN"),
            },
            "graphql operation",
          );
        },
      };
    },
  };
}
