/**
 * The resolvers of one model: thin. Each checks the caller against the model's rules, then reads
 * or writes items (`model-items.ts`, `model-sync.ts`) and answers them as DataStore reads them.
 * Server-owned fields (`createdAt`, `updatedAt`, the metadata) are set here, never taken from input.
 */
import { randomUUID } from "node:crypto";
import type { SyncDeps } from "../sync/types.js";
import { conditionFailed, conflictUnhandled, unauthorized, appsyncError } from "./appsync-errors.js";
import { matchesFilter, type ModelFilter } from "./model-filter.js";
import type { ModelItem, ModelItems, ModelTarget } from "./model-items.js";
import type { ModelDef } from "./model-schema.js";
import { syncItems, type SyncArgs } from "./model-sync.js";
import type { ResolveConflict } from "./lambda-conflict.js";
import { namesOnlyCaller, type ModelAccess, type ModelOperation, type ModelPrincipal } from "./model-auth.js";

/** What a request to the model API carries. */
export interface ModelContext {
  principal: ModelPrincipal;
}

/** What the resolvers of `model` need. */
export interface ModelResolverDeps {
  sync: SyncDeps;
  items: ModelItems;
  /** Where `principal`'s items of the model live and how they merge, or null when no rule grants it `operation`. */
  targetOf: (principal: ModelPrincipal, operation: ModelOperation) => (ModelTarget & { access: ModelAccess }) | null;
  /** The pool's `models.tombstoneTtlDays`: delta syncs from before it are answered as base syncs. */
  tombstoneTtlDays: number;
  /** For a LAMBDA model: its conflict handler and the pool's region (for the handler's event); null otherwise. */
  lambda: { resolveConflict: ResolveConflict; region: string } | null;
}

type Input = Record<string, unknown> & { id?: string; _version?: number | null };
type MutationArgs = { input: Input; condition?: ModelFilter | null };

/** Query and Mutation resolvers for `model`. */
export function modelResolvers(model: ModelDef, deps: ModelResolverDeps) {
  const { sync, items } = deps;
  // Every field checks the caller's rules for its own operation, before reading or writing anything.
  const guard = (field: string, type: string, context: ModelContext, operation: ModelOperation) => {
    const target = deps.targetOf(context.principal, operation);
    if (target === null) throw unauthorized(field, type);
    return target;
  };
  const stamp = () => new Date(sync.now()).toISOString();
  const required = new Set(model.fields.filter((field) => field.required).map((field) => field.name));

  const ownerRule = model.auth.find((rule) => rule.allow === "owner");

  /**
   * The fields an input writes: not the key, not the metadata; a required field never becomes null.
   * `creating`: a create, where a caller another rule admits (an `Admin` of a groups rule) owns
   * the item it makes unless the input names another owner.
   */
  const written = (input: Input, principal: ModelPrincipal, access: ModelAccess, field: string, creating = false): Record<string, unknown> => {
    // An owner's items carry the owner's identity id, even when the input names the caller by its
    // username (or the rule's identityClaim); an owner writes no item to another owner.
    const namesCaller = namesOnlyCaller(principal, model, input);
    if (access.scope === "owner" && !namesCaller) throw unauthorized(field, "Mutation");
    const stampedOwner = ownerRule && principal.kind === "identity" && namesCaller && (access.scope === "owner" || creating) ? ownerRule.ownerField : null;
    const fields: Record<string, unknown> = stampedOwner !== null && principal.kind === "identity" ? { [stampedOwner]: principal.identityId } : {};
    for (const [name, value] of Object.entries(input)) {
      if (name === "id" || name.startsWith("_") || value === undefined || name === stampedOwner) continue;
      if (value === null && required.has(name)) throw appsyncError("BadRequest", `${model.name}.${name} is required and cannot be null`);
      fields[name] = value;
    }
    return fields;
  };

  /**
   * An update or delete: the item must exist, not be deleted, hold the condition and (OPTIMISTIC,
   * LAMBDA) the version. A LAMBDA model's version conflict goes to its handler (`lambda-conflict.ts`).
   */
  const change = async (target: ModelTarget & { access: ModelAccess }, args: MutationArgs, fields: Record<string, unknown>, field: string, context: ModelContext): Promise<ModelItem> => {
    const id = String(args.input.id);
    const current = await items.readItem(target, id);
    if (current === null) throw conditionFailed();
    // Another owner's item, for a caller only the owner rule admits.
    if (target.reaches && !target.reaches(current)) throw unauthorized(field, "Mutation");
    if (current._deleted) throw conflictUnhandled(current);
    if (!matchesFilter(current, args.condition)) throw conditionFailed();
    const conflicted = (existing: ModelItem): Promise<ModelItem> => {
      if (deps.lambda === null) throw conflictUnhandled(existing);
      return deps.lambda.resolveConflict({ model, field, target, principal: context.principal, region: deps.lambda.region, args, fields, existing, stamp: stamp() });
    };
    const baseVersion = args.input._version ?? 0;
    if (target.strategy === "OPTIMISTIC" && baseVersion !== current._version) return conflicted(current);
    const outcome = await items.writeItem(target, id, { ...fields, updatedAt: stamp() }, { replace: false, baseVersion });
    return "conflict" in outcome ? conflicted(outcome.conflict) : outcome.item;
  };

  const { name: m, pluralName: ms } = model;
  return {
    Query: {
      [`get${m}`]: async (_: unknown, args: { id: string }, context: ModelContext) => {
        const target = guard(`get${m}`, "Query", context, "get");
        const item = await items.readItem(target, args.id);
        // Another owner's item is none of an owner-scoped caller's business: as absent.
        return item !== null && target.reaches && !target.reaches(item) ? null : item;
      },
      [`list${ms}`]: async (_: unknown, args: SyncArgs, context: ModelContext) => {
        const page = await syncItems(sync, guard(`list${ms}`, "Query", context, "list"), { ...args, lastSync: null });
        return { ...page, items: page.items.filter((item) => !item._deleted) };
      },
      [`sync${ms}`]: async (_: unknown, args: SyncArgs, context: ModelContext) => {
        return syncItems(sync, guard(`sync${ms}`, "Query", context, "sync"), args, deps.tombstoneTtlDays);
      },
    },
    // Subscriptions run over the realtime WebSocket (`realtime-endpoint.ts`); over HTTP they say so.
    Subscription: Object.fromEntries(
      ["Create", "Update", "Delete"].map((operation) => [
        `on${operation}${m}`,
        {
          subscribe: () => {
            throw appsyncError("UnsupportedOperation", "Subscriptions are served over the realtime WebSocket: <endpoint>/realtime.");
          },
        },
      ]),
    ),
    Mutation: {
      [`create${m}`]: async (_: unknown, args: MutationArgs, context: ModelContext) => {
        const target = guard(`create${m}`, "Mutation", context, "create");
        const id = args.input.id ?? randomUUID();
        if ((await items.readItem(target, id)) !== null) throw conditionFailed();
        const now = stamp();
        const outcome = await items.writeItem(target, id, { ...written(args.input, context.principal, target.access, `create${m}`, true), createdAt: now, updatedAt: now }, { replace: true, baseVersion: 0 });
        if ("conflict" in outcome) throw conditionFailed();
        return outcome.item;
      },
      [`update${m}`]: async (_: unknown, args: MutationArgs, context: ModelContext) => {
        const target = guard(`update${m}`, "Mutation", context, "update");
        return change(target, args, written(args.input, context.principal, target.access, `update${m}`), `update${m}`, context);
      },
      [`delete${m}`]: async (_: unknown, args: MutationArgs, context: ModelContext) => {
        return change(guard(`delete${m}`, "Mutation", context, "delete"), args, { _deleted: true }, `delete${m}`, context);
      },
    },
  };
}
