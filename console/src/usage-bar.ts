/** A labelled bar of `used` against `limit` (turns red past 90 %). */
import { h } from "./dom.js";

/** `<label> <used>/<limit>` with a bar filled to the share used. */
export function usageBar(label: string, used: number, limit: number) {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const bar = h("progress", { max: limit, value: Math.min(used, limit), class: share > 0.9 ? "full" : "" });
  return h("div", { class: "usage" }, h("span", {}, label), bar, h("span", { class: "figure" }, `${used} / ${limit}`));
}
