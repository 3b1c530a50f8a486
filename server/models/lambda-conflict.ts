/**
 * AppSync's LAMBDA conflict handler on syncpool's hook machinery. A model whose `conflictHandler`
 * is LAMBDA keeps its items in an OPTIMISTIC dataset; when an update or delete names another
 * `_version` than the stored one, the pool's `models.lambdaConflictHandler` (an in-process module
 * or a signed HTTPS endpoint, called as a sync trigger is) receives AppSync's event
 * (`newItem`, `existingItem`, `arguments`, `resolver`, `identity`) and answers:
 * - `{ action: "RESOLVE", item }`: `item` is stored as the whole item, over the version the
 *   handler saw (a write in between makes it a ConflictUnhandled after all);
 * - `{ action: "REJECT" }`: the mutation gets ConflictUnhandled with the stored item;
 * - `{ action: "DISCARD" }`: nothing is written and the stored item is the answer.
 * The handler runs outside any lock: the write it decides is checked against the version it saw.
 */
import { z } from "zod";
import { isSyncpoolError } from "../../core/errors.js";
import type { Logger } from "../logger.js";
import type { TriggerCall } from "../stream/sync-trigger.js";
import { appsyncError, conflictUnhandled } from "./appsync-errors.js";
import type { ModelAccess, ModelPrincipal } from "./model-auth.js";
import type { ModelItem, ModelItems, ModelTarget } from "./model-items.js";
import type { ModelDef } from "./model-schema.js";

/** What the handler receives, as AppSync sends it to a Lambda conflict handler. */
export interface LambdaConflictEvent {
  /** The item as the mutation would leave it, had there been no conflict. */
  newItem: Record<string, unknown>;
  /** The stored item. */
  existingItem: ModelItem;
  /** The mutation's arguments (`input`, `condition`). */
  arguments: Record<string, unknown>;
  resolver: { tableName: string; awsRegion: string; parentType: "Mutation"; field: string; outputs: string[] };
  /** The caller: null for an API key, as AppSync sends it. */
  identity: { sub: string; claims: Readonly<Record<string, unknown>> } | null;
}

const answerSchema = z.discriminatedUnion("action", [
  z.looseObject({ action: z.literal("RESOLVE"), item: z.record(z.string(), z.unknown()).optional(), resolvedItem: z.record(z.string(), z.unknown()).optional() }),
  z.looseObject({ action: z.literal("REJECT") }),
  z.looseObject({ action: z.literal("DISCARD") }),
]);

/** Fields every item answers besides the model's own. */
const METADATA = ["createdAt", "updatedAt", "_version", "_lastChangedAt", "_deleted"];

/** The error a failed or malformed handler answers; DataStore hands it to its errorHandler. */
function handlerFailed(message: string) {
  return appsyncError("LambdaConflictHandlerFailed", `The conflict handler failed: ${message}`);
}

/** One conflict to settle. */
export interface LambdaConflict {
  model: ModelDef;
  field: string;
  target: ModelTarget & { access: ModelAccess };
  principal: ModelPrincipal;
  region: string;
  args: { input: Record<string, unknown>; condition?: unknown };
  /** The fields the mutation writes (`_deleted: true` for a delete). */
  fields: Record<string, unknown>;
  existing: ModelItem;
  /** The server's time as an ISO string, for `updatedAt`. */
  stamp: string;
}

/** Settles one conflict of a LAMBDA model: the item to answer, or an AppSync error thrown. */
export type ResolveConflict = (conflict: LambdaConflict) => Promise<ModelItem>;

/** Settles conflicts of LAMBDA models by calling `call`. */
export function createLambdaConflictResolver(call: TriggerCall, items: ModelItems, logger: Logger): ResolveConflict {
  return async function resolveConflict(conflict) {
    const { model, field, target, existing } = conflict;
    const event: LambdaConflictEvent = {
      newItem: { ...existing, ...conflict.fields, updatedAt: conflict.stamp, _version: existing._version + 1 },
      existingItem: existing,
      arguments: { ...conflict.args },
      resolver: { tableName: target.dataset, awsRegion: conflict.region, parentType: "Mutation", field, outputs: [...new Set([...model.fields.map((def) => def.name), ...METADATA])] },
      identity: conflict.principal.kind === "identity" ? { sub: conflict.principal.identityId, claims: conflict.principal.claims ?? {} } : null,
    };
    let raw: unknown;
    try {
      raw = await call(event);
    } catch (error) {
      // TRIGGER_FAILED: a timeout, an unreachable endpoint, an answer that is not JSON.
      if (isSyncpoolError(error)) throw handlerFailed(error.message);
      logger.error({ err: error, model: model.name, field }, "the conflict handler threw");
      throw handlerFailed("it threw an error (see the server log)");
    }
    const parsed = answerSchema.safeParse(raw);
    if (!parsed.success) throw handlerFailed('expected { action: "RESOLVE", item } or { action: "REJECT" } or { action: "DISCARD" }');
    const answer = parsed.data;
    if (answer.action === "REJECT") throw conflictUnhandled(existing);
    if (answer.action === "DISCARD") return existing;
    const resolved = answer.item ?? answer.resolvedItem;
    if (resolved === undefined) throw handlerFailed("RESOLVE without an item");
    const outcome = await items.writeItem(target, existing.id, resolvedFields(model, target.access, resolved, existing, conflict.stamp), { replace: true, baseVersion: existing._version });
    if ("conflict" in outcome) throw conflictUnhandled(outcome.conflict);
    return outcome.item;
  };
}

/** The resolved item as stored: the model's fields (required ones present), the owner kept, server times. */
function resolvedFields(model: ModelDef, access: ModelAccess, item: Record<string, unknown>, existing: ModelItem, stamp: string): Record<string, unknown> {
  // The owner of an item stays its owner, whatever the handler answers: the caller for an owner
  // in its own data, the stored item's owner fields when another rule admitted the caller.
  const owners: Record<string, unknown> = access.scope === "owner" ? { [access.ownerField]: access.identityId } : {};
  for (const rule of model.auth) if (rule.allow === "owner" && access.scope === "shared" && existing[rule.ownerField] !== undefined) owners[rule.ownerField] = existing[rule.ownerField];
  const given = { ...item, ...owners };
  const fields: Record<string, unknown> = {};
  for (const def of model.fields) {
    if (def.name === "id" || METADATA.includes(def.name)) continue;
    const value = given[def.name];
    if ((value === undefined || value === null) && def.required) throw handlerFailed(`the resolved item has no ${model.name}.${def.name}`);
    if (value !== undefined) fields[def.name] = value;
  }
  Object.assign(fields, owners);
  if (item["_deleted"] === true) fields["_deleted"] = true;
  return { ...fields, createdAt: existing["createdAt"], updatedAt: stamp };
}
