/**
 * Query shape limits (graphql-armor): tokens, depth, aliases and cost. They refuse abusive
 * documents before any resolver runs. A refusal is BAD_USER_INPUT with the limit named in
 * `extensions.limit` and `extensions.max`, and a message without armor's misleading
 * "Syntax Error:" prefix.
 *
 * The numbers leave room for every operation of the schema (the deepest, `pushRecords {
 * conflicts { serverRecord { key } } }`, is 4) and for GraphiQL's introspection, which depth and
 * cost ignore. The cost rule multiplies a field's cost by a literal `first` argument (not by a
 * variable); `records(first: 1000)` selecting every field costs about 36,000, and pages are
 * capped at 1000 by the server anyway, so the cost limit admits that and refuses only documents
 * far wider than any real client sends.
 */
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError, ValidationContext } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";

/** The limits, exported for docs and tests. */
export const QUERY_LIMITS = {
  maxTokens: 2000,
  maxDepth: 8,
  maxAliases: 10,
  maxCost: 50_000,
} as const;

type LimitName = keyof typeof QUERY_LIMITS;

function limitError(limit: LimitName, armorError: GraphQLError): GraphQLError {
  return createGraphQLError(armorError.message.replace(/^Syntax Error: /, ""), {
    extensions: { code: "BAD_USER_INPUT", limit, max: QUERY_LIMITS[limit] },
  });
}

/** Reports a validation-rule refusal as one more validation error (all are answered together). */
const report = (limit: LimitName) => ({
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(limitError(limit, error))],
});

/** The limit plugins, in the order they act: while parsing (tokens), then while validating. */
export function useQueryLimits(): Plugin[] {
  return [
    maxTokensPlugin({
      n: QUERY_LIMITS.maxTokens,
      // The parser has no validation context to report to: stop parsing with our error instead.
      propagateOnRejection: false,
      onReject: [
        (_context, error) => {
          throw limitError("maxTokens", error);
        },
      ],
    }) as Plugin,
    maxDepthPlugin({ n: QUERY_LIMITS.maxDepth, ...report("maxDepth") }) as Plugin,
    maxAliasesPlugin({ n: QUERY_LIMITS.maxAliases, ...report("maxAliases") }) as Plugin,
    costLimitPlugin({ maxCost: QUERY_LIMITS.maxCost, ...report("maxCost") }) as Plugin,
  ];
}
