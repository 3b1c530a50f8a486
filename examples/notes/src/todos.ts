/**
 * The to-do list's records: JSON records, one per to-do, keyed by to-do id, checked by a zod schema
 * on every write, and each to-do's notes body, a YDOC record under the same key. Fields merge one
 * by one, so one device renaming a to-do while another ticks it done keeps both changes.
 *
 * Where they live: before the user creates or joins a family, in the identity's own datasets
 * (`todos`, `bodies`), private to its devices; once in a family, in the family's shared datasets
 * (`family-N.todos`, `family-N.bodies`), which every member reads and writes.
 */
import { z } from "zod";
import type { Dataset, Query, SyncClient } from "../../../client/index.js";

/** A to-do as stored. */
export const Todo = z.object({
  title: z.string(),
  done: z.boolean(),
  /** Epoch ms; orders the list. */
  createdAt: z.number(),
});
export type Todo = z.infer<typeof Todo>;

/** The list shown: its to-dos (typed and validated as `Todo`) and their notes bodies. */
export interface TodoList {
  /** The family it belongs to, or null for the identity's own list. */
  family: string | null;
  todos: Dataset<Todo>;
  bodies: Dataset<string>;
}

/** The list of `family` (null: the identity's own list). */
export function todoListOf(client: SyncClient, family: string | null): TodoList {
  if (family === null) return { family, todos: client.dataset("todos", { schema: Todo }), bodies: client.dataset("bodies") };
  return {
    family,
    todos: client.sharedDataset(`${family}.todos`, { schema: Todo }),
    bodies: client.sharedDataset(`${family}.bodies`),
  };
}

/** The list's order: open to-dos first, then oldest first. */
export const TODO_ORDER: Query = { orderBy: [{ field: "done" }, { field: "createdAt" }] };
