/**
 * The to-do list, in React over `syncpool/react`: a live query over the list's to-dos (the
 * identity's own or its family's, see todos.ts; open to-dos first), a checkbox per to-do, and a button that adds one. It re-renders on every change,
 * local, synced from another device, or made in another tab; on sign-out it shows nothing.
 */
import { createElement as h, useState } from "react";
import { createRoot } from "react-dom/client";
import type { Dataset, SyncClient } from "../../../client/index.js";
import { SyncpoolProvider, useQuery } from "../../../client/react/index.js";
import { TODO_ORDER, type Todo } from "./todos.js";

interface TodoListProps {
  todos: Dataset<Todo>;
  /** Called with the id of the to-do clicked (or just added). */
  onSelect(id: string): void;
}

function TodoList({ todos, onSelect }: TodoListProps) {
  const rows = useQuery(todos, TODO_ORDER);
  const [selected, setSelected] = useState<string | null>(null);
  const select = (id: string) => {
    setSelected(id);
    onSelect(id);
  };
  const add = () => {
    const id = crypto.randomUUID().slice(0, 8);
    void todos.put(id, { title: "Untitled", done: false, createdAt: Date.now() });
    select(id);
  };
  return h(
    "div",
    null,
    h("button", { id: "new-todo", type: "button", onClick: add }, "+ New to-do"),
    h(
      "ul",
      { id: "todo-list" },
      rows.map(({ key, value }) =>
        h(
          "li",
          { key, "data-id": key, "data-done": String(value.done), className: key === selected ? "selected" : "" },
          h("input", {
            type: "checkbox",
            "aria-label": "Done",
            checked: value.done,
            onChange: (event: { target: HTMLInputElement }) => void todos.update(key, { done: event.target.checked }),
          }),
          h("span", { className: "title", onClick: () => select(key) }, value.title || "Untitled"),
        ),
      ),
    ),
  );
}

/** Renders the to-dos of `todos` into `container`; returns the function that unmounts it. */
export function mountTodoList(container: HTMLElement, client: SyncClient, todos: Dataset<Todo>, onSelect: (id: string) => void): () => void {
  const root = createRoot(container);
  root.render(h(SyncpoolProvider, { client }, h(TodoList, { todos, onSelect })));
  return () => root.unmount();
}
