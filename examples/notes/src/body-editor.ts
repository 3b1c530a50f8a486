/**
 * The selected to-do's notes body: a YDOC record of the list's bodies dataset (key: the to-do id;
 * see todos.ts) bound to a `Y.Doc`, whose `Y.Text` "body" is bound to the textarea. Concurrent
 * edits on two devices, two tabs or by two family members all survive: Yjs merges them.
 */
import type * as Y from "yjs";
import type { Dataset } from "../../../client/index.js";
import { byId } from "./dom.js";
import { bindTextarea } from "./text-binding.js";

/** Opens notes bodies in the textarea, one at a time. */
export interface BodyEditor {
  /** Shows the notes body of to-do `id` (null: none). */
  open(id: string | null): Promise<void>;
}

/** The editor over `#note-body`, for the notes bodies in `bodies`. */
export function createBodyEditor(bodies: Dataset<string>): BodyEditor {
  const textarea = byId<HTMLTextAreaElement>("note-body");
  let doc: Y.Doc | null = null;
  let unbind: () => void = () => {};
  let opening = 0;

  return {
    async open(id) {
      const attempt = ++opening;
      unbind();
      unbind = () => {};
      textarea.disabled = true;
      textarea.value = "";
      const previous = doc;
      doc = null;
      if (previous) {
        // Its last edits are stored before the doc goes; they sync with the next pass.
        await bodies.flush().catch(() => undefined);
        previous.destroy();
      }
      if (id === null || attempt !== opening) return;
      const next = bodies.doc(id);
      await next.whenLoaded;
      if (attempt !== opening) return;
      doc = next;
      unbind = bindTextarea(next.getText("body"), textarea);
      textarea.disabled = false;
    },
  };
}
