/**
 * Building elements without HTML strings: every text (record values, identity ids, errors) goes
 * in as `textContent`, so data from users can never become markup in the admin's page.
 */

/** Attributes and event handlers of `h`; `on*` functions become listeners. */
export type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
/** What `h` accepts as children: elements, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Creates `<tag>` with attributes and children: `h("button", { onclick }, "Disable")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping empty ones; strings become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all of `parent`'s children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** The element with `id`; throws when index.html lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
}

/** A server timestamp (epoch ms) for people; "-" for none. */
export function formatTime(epochMs: number | null | undefined): string {
  return epochMs === null || epochMs === undefined ? "-" : new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}
