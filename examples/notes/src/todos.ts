/**
 * The family to-do list's records: JSON records of the `todos` dataset, one per to-do, keyed by
 * to-do id, checked by a zod schema on every write. Fields merge one by one, so one device renaming
 * a to-do while another ticks it done keeps both changes.
 */
import { z } from "zod";
import type { Query, SyncClient } from "../../../client/index.js";

/** A to-do as stored. */
export const Todo = z.object({
  title: z.string(),
  done: z.boolean(),
  /** Epoch ms; orders the list. */
  createdAt: z.number(),
});
export type Todo = z.infer<typeof Todo>;

/** The typed `todos` dataset of `client`: writes are validated, reads typed as `Todo`. */
export function todosOf(client: SyncClient) {
  return client.dataset("todos", { schema: Todo });
}

/** The list's order: open to-dos first, then oldest first. */
export const TODO_ORDER: Query = { orderBy: [{ field: "done" }, { field: "createdAt" }] };
