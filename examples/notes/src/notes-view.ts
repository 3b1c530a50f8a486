/**
 * The notes list and the selected note's title: STRING records of the `notes` dataset, one per
 * note, keyed by note id, whose value is JSON `{ "title": string, "createdAt": epoch ms }`.
 * Everything is read from the device (it works offline) and re-rendered on every change, local,
 * synced, or made in another tab.
 */
import type { SyncClient } from "../../../client/index.js";
import { byId, listen } from "./dom.js";

/** A note as the list shows it. */
export interface Note {
  id: string;
  title: string;
  createdAt: number;
}

/** The notes in the `notes` dataset's values, oldest first; values that are not a note are skipped. */
export function parseNotes(values: Record<string, string>): Note[] {
  const notes: Note[] = [];
  for (const [id, value] of Object.entries(values)) {
    try {
      const parsed = JSON.parse(value) as Partial<Note>;
      notes.push({ id, title: String(parsed.title ?? ""), createdAt: Number(parsed.createdAt ?? 0) });
    } catch {
      // Written by something else: not a note.
    }
  }
  return notes.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** Shows the list and the title field; `onSelect` opens (or, with null, closes) a note's body. */
export function mountNotes(client: SyncClient, onSelect: (id: string | null) => void): () => void {
  const notes = client.dataset("notes");
  const list = byId<HTMLUListElement>("note-list");
  const title = byId<HTMLInputElement>("note-title");
  const editor = byId("note-editor");
  const hint = byId("no-note");
  let current: Note[] = [];
  let selected: string | null = null;

  const select = (id: string | null) => {
    if (id === selected) return;
    selected = id;
    editor.hidden = id === null;
    hint.hidden = id !== null;
    title.value = current.find((note) => note.id === id)?.title ?? "";
    render();
    onSelect(id);
  };

  const render = () => {
    list.replaceChildren(
      ...current.map((note) => {
        const item = document.createElement("li");
        item.dataset.id = note.id;
        item.className = note.id === selected ? "selected" : "";
        item.textContent = note.title || "Untitled";
        return item;
      }),
    );
    const note = current.find((candidate) => candidate.id === selected);
    // Deleted here, in another tab or on another device.
    if (selected !== null && !note) select(null);
    // Do not overwrite what the user is typing; a remote title shows once the field loses focus.
    else if (note && document.activeElement !== title) title.value = note.title;
  };

  const stopWatching = notes.watch(undefined, (values) => {
    current = parseNotes(values);
    render();
  });
  const stops = [
    stopWatching,
    listen(list, "click", (event) => {
      const id = (event.target as HTMLElement).closest("li")?.dataset.id;
      if (id) select(id);
    }),
    listen(byId("new-note"), "click", () => {
      const note: Note = { id: crypto.randomUUID().slice(0, 8), title: "Untitled", createdAt: Date.now() };
      // Shown and selected at once, so what the user types next names this note.
      current = [...current, note];
      select(note.id);
      title.focus();
      title.select();
      void notes.put(note.id, JSON.stringify({ title: note.title, createdAt: note.createdAt }));
    }),
    listen(title, "input", () => {
      const note = current.find((candidate) => candidate.id === selected);
      if (note) void notes.put(note.id, JSON.stringify({ title: title.value, createdAt: note.createdAt }));
    }),
    listen(title, "blur", render),
    listen(byId("delete-note"), "click", async () => {
      const id = selected;
      if (id === null) return;
      select(null);
      await notes.remove(id);
      const bodies = client.dataset("bodies");
      if (await bodies.getRecord(id)) await bodies.remove(id);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
    select(null);
  };
}
