/**
 * The keys schema area (`schema/keys-type-defs.ts`): the admin API's `rotateServerKeys`, the same
 * rotation as `syncpool keys rotate`. This instance reloads its keys before answering, so a token
 * it issues right after the answer is signed with the new key; other instances follow on their
 * next poll.
 */
import { keysTypeDefs } from "../../schema/keys-type-defs.js";
import { resolver } from "../graphql/resolvers.js";
import type { SchemaArea } from "../graphql/schema.js";
import type { SecretBox } from "../secret-box.js";
import type { KeyStore } from "../storage/key-store.js";
import { rotateServerKeys, type KeyRing } from "./key-ring.js";

/** What the area needs: where keys live, the master key's box, and this instance's ring. */
export interface KeysAreaDeps {
  store: KeyStore;
  box: SecretBox;
  ring: KeyRing;
  now: () => number;
}

/** Builds the area. */
export function createKeysArea(deps: KeysAreaDeps): SchemaArea {
  return {
    typeDefs: keysTypeDefs,
    resolvers: {
      Mutation: {
        rotateServerKeys: resolver(async (_args: Record<string, never>, context) => {
          await context.requireAdmin();
          const rotated = await rotateServerKeys(deps.store, deps.box, deps.now);
          // A poll already under way may have read the table just before the rotation: refresh until current.
          const generation = Math.max(...rotated.map((row) => row.generation));
          while (deps.ring.generation() < generation) await deps.ring.refresh();
          return { generation: deps.ring.generation(), rotated: rotated.map(({ kind, keyId }) => ({ kind, keyId })) };
        }),
      },
    },
  };
}
