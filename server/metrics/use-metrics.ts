/**
 * The yoga plugin that feeds the request metrics: one count per executed operation (by root
 * field and result code), pushRecords latency, rate-limit refusals and sign-in outcomes. It reads
 * what the operation answered and never the data, so it adds no work to a resolver.
 *
 * An operation is labelled by its first root field (`pushRecords`, `records`, ...), not by its
 * client-chosen name: names are unbounded and would make label cardinality the client's choice.
 */
import { getArgumentValues, getOperationAST, type DocumentNode, type FieldNode, type GraphQLError, type GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { SignInMethod, SyncpoolMetrics } from "./syncpool-metrics.js";

/** Root fields that are sign-ins, and how each one tells its method. */
const SIGN_IN_FIELDS = new Set(["signIn", "getTokenForDeveloperIdentity"]);

/** Counts operations into `metrics`; `now` is epoch ms (the server's clock). */
export function useMetrics(metrics: SyncpoolMetrics, now: () => number = Date.now): Plugin {
  return {
    // A document refused while validating (unknown field, too deep, too costly) never executes:
    // count it here, with the code the error plugins give it.
    onValidate({ params }) {
      return ({ valid }) => {
        if (!valid) metrics.recordRequest(rootField(params.documentAST, undefined)?.name.value ?? "unknown", "BAD_USER_INPUT");
      };
    },
    onExecute({ args }) {
      const startedAt = now();
      const root = rootField(args.document, args.operationName ?? undefined);
      const field = root?.name.value ?? "unknown";
      return {
        onExecuteDone({ result }) {
          // Subscriptions answer a stream; they are counted as live connections instead.
          if (!("errors" in result) && !("data" in result)) return;
          const errors = Array.isArray(result.errors) ? (result.errors as GraphQLError[]) : [];
          const codes = errors.map((error) => String(error.extensions?.["code"] ?? "INTERNAL_SERVER_ERROR"));
          metrics.recordRequest(field, codes[0] ?? "OK");
          for (const error of errors) {
            if (error.extensions?.["code"] !== "RATE_LIMITED") continue;
            metrics.recordRateLimited(String(error.extensions["limit"] ?? error.extensions["reason"] ?? "unknown"));
          }
          if (field === "pushRecords") metrics.recordPushDuration((now() - startedAt) / 1000);
          if (root && SIGN_IN_FIELDS.has(field)) {
            metrics.recordSignIn(signInMethod(args.schema, root, args.variableValues ?? {}), codes[0] ?? "success");
          }
        },
      };
    },
  };
}

/** The first root field of the operation that runs. */
function rootField(document: DocumentNode, operationName: string | undefined): FieldNode | undefined {
  const operation = getOperationAST(document, operationName);
  return operation?.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === "Field");
}

/** `developer` for the backend's call; for `signIn`, `login` when it carries logins, else `guest`. */
function signInMethod(schema: GraphQLSchema, field: FieldNode, variables: Record<string, unknown>): SignInMethod {
  if (field.name.value === "getTokenForDeveloperIdentity") return "developer";
  const definition = schema.getMutationType()?.getFields()["signIn"];
  if (!definition) return "guest";
  try {
    const input = getArgumentValues(definition, field, variables)["input"] as { logins?: unknown[] | null } | undefined;
    return Array.isArray(input?.logins) && input.logins.length > 0 ? "login" : "guest";
  } catch {
    return "guest"; // invalid arguments: the operation failed validation and is counted as an error
  }
}
