/**
 * Refuses schema introspection (`__schema`, `__type`) unless the server runs with `--dev`. The
 * schema is public in the repository, but a live server that answers introspection hands a
 * scanner every admin operation and argument at once; clients never need it (their documents are
 * written against `schema/`). `__typename` stays allowed: it is no introspection of the schema.
 */
import { NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";

/** A plugin adding graphql-js's no-introspection validation rule; the refusal is BAD_USER_INPUT. */
export function useIntrospectionGuard(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
