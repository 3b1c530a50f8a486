/**
 * A minimal binding between a `Y.Text` and a `<textarea>`. Typing is turned into one delete and
 * one insert (the smallest single replacement between the old and the new value); changes from
 * elsewhere (the server, another tab) re-render the textarea and move the caret through the
 * change, so text inserted before the caret does not push the user's typing somewhere else.
 */
import type * as Y from "yjs";

/** One replacement: remove `removed` UTF-16 units at `index`, then insert `inserted` there. */
export interface TextChange {
  index: number;
  removed: number;
  inserted: string;
}

/** A Yjs text delta (`event.delta`): retain, insert or delete, in order. */
export type TextDelta = ReadonlyArray<{ retain?: number; insert?: unknown; delete?: number }>;

/**
 * The smallest single replacement turning `before` into `after` (common prefix and suffix kept).
 * Never splits a surrogate pair: Yjs would encode half an emoji as U+FFFD.
 */
export function diffText(before: string, after: string): TextChange {
  const shortest = Math.min(before.length, after.length);
  let start = 0;
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  if (endBefore < before.length && isLowSurrogate(before.charCodeAt(endBefore))) {
    endBefore++;
    endAfter++;
  }
  return { index: start, removed: endBefore - start, inserted: after.slice(start, endAfter) };
}

/**
 * Where `index` (a caret in the text before the change) lands after `delta`. Text inserted
 * before it moves it right, text deleted before it moves it left; an insert exactly at the caret
 * leaves the caret in front of it.
 */
export function moveIndex(index: number, delta: TextDelta): number {
  let position = 0;
  let moved = index;
  for (const op of delta) {
    if (position >= index) break;
    if (op.retain !== undefined) {
      position += op.retain;
    } else if (op.insert !== undefined) {
      moved += typeof op.insert === "string" ? op.insert.length : 1;
    } else if (op.delete !== undefined) {
      moved -= Math.min(op.delete, index - position);
      position += op.delete;
    }
  }
  return moved;
}

/**
 * Keeps `textarea` and `text` equal both ways; returns the function that unbinds them. Kept
 * minimal: a remote change during an IME composition re-renders at once (and may end it).
 */
export function bindTextarea(text: Y.Text, textarea: HTMLTextAreaElement): () => void {
  const ownOrigin = Symbol("textarea");
  // What the textarea showed after the last sync with `text`: the base the next diff is taken on.
  let shown = text.toString();
  textarea.value = shown;

  const onInput = () => {
    const change = diffText(shown, textarea.value);
    shown = textarea.value;
    if (change.removed === 0 && change.inserted === "") return;
    const apply = () => {
      if (change.removed > 0) text.delete(change.index, change.removed);
      if (change.inserted !== "") text.insert(change.index, change.inserted);
    };
    if (text.doc) text.doc.transact(apply, ownOrigin);
    else apply();
  };

  const onChange = (event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (transaction.origin === ownOrigin) return;
    const focused = document.activeElement === textarea;
    const { selectionStart, selectionEnd, selectionDirection } = textarea;
    const delta = event.delta as TextDelta;
    shown = text.toString();
    textarea.value = shown;
    if (focused) textarea.setSelectionRange(moveIndex(selectionStart, delta), moveIndex(selectionEnd, delta), selectionDirection);
  };

  textarea.addEventListener("input", onInput);
  text.observe(onChange);
  return () => {
    textarea.removeEventListener("input", onInput);
    text.unobserve(onChange);
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
