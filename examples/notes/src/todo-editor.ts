/**
 * The selected to-do: its title (a field of its JSON record, changed with `update` so a title
 * edit never overwrites `done` ticked elsewhere), its notes body (a YDOC record, see
 * body-editor.ts) and a delete button.
 */
import { createBodyEditor } from "./body-editor.js";
import { byId, listen } from "./dom.js";
import type { TodoList } from "./todos.js";

/** The editor column; `select(id)` shows to-do `id` (null: none). */
export interface TodoEditor {
  select(id: string | null): void;
  close(): void;
}

/** Binds the editor column's elements to `list`; `onError` hears failed body loads. */
export function mountTodoEditor(list: TodoList, onError: (error: unknown) => void): TodoEditor {
  const { todos, bodies } = list;
  const body = createBodyEditor(bodies);
  const title = byId<HTMLInputElement>("note-title");
  const editor = byId("note-editor");
  const hint = byId("no-note");
  let selected: string | null = null;
  let stopWatching: () => void = () => {};

  const select = (id: string | null) => {
    if (id === selected) return;
    selected = id;
    stopWatching();
    stopWatching = () => {};
    editor.hidden = id === null;
    hint.hidden = id !== null;
    title.value = "";
    void body.open(id).catch(onError);
    if (id === null) return;
    let seen = false; // a to-do just added may not be stored yet
    stopWatching = todos.watch(id, (todo) => {
      // Deleted here, in another tab or on another device.
      if (todo === undefined) {
        if (seen) select(null);
        return;
      }
      seen = true;
      // Do not overwrite what the user is typing; a remote title shows once the field loses focus.
      if (document.activeElement !== title) title.value = todo.title;
    });
  };

  const stops = [
    listen(title, "input", () => {
      if (selected !== null) void todos.update(selected, { title: title.value }).catch(onError);
    }),
    listen(byId("delete-note"), "click", async () => {
      const id = selected;
      if (id === null) return;
      select(null);
      await todos.remove(id);
      if (await bodies.getRecord(id)) await bodies.remove(id);
    }),
  ];
  return {
    select,
    close() {
      for (const stop of stops) stop();
      select(null);
    },
  };
}
