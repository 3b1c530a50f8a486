/**
 * A small inline SVG line chart that updates in place: `push(value)` adds a point and redraws the
 * polyline; the element stays the same, so the page does not flicker or lose its scroll.
 */
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 300;
const HEIGHT = 80;

/** A chart of the last `points` values. */
export interface LineChart {
  element: HTMLElement;
  push(value: number | null): void;
}

/** Builds a chart titled `title`, showing values with `format`. */
export function lineChart(id: string, title: string, format: (value: number) => string, points = 60): LineChart {
  const values: Array<number | null> = [];
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "2");
  // The newest point, marked: a single point draws no line, and the eye looks for "now".
  const latest = document.createElementNS(SVG, "circle");
  latest.setAttribute("r", "3");
  latest.setAttribute("fill", "currentColor");
  svg.append(line, latest);
  const current = h("span", { class: "figure" }, "-");
  const element = h("figure", { class: "chart", id }, h("figcaption", {}, title, " ", current));
  element.append(svg);

  return {
    element,
    push(value) {
      values.push(value);
      if (values.length > points) values.shift();
      const known = values.filter((candidate): candidate is number => candidate !== null);
      // The top of the scale is the window's largest value, so small rates still show a shape.
      const top = Math.max(...known, 1e-9);
      const step = WIDTH / (points - 1);
      const offset = points - values.length;
      const coordinates = values.map((point, index) => [((offset + index) * step).toFixed(1), (HEIGHT - 3 - ((point ?? 0) / top) * (HEIGHT - 6)).toFixed(1)] as const);
      line.setAttribute("points", coordinates.map(([x, y]) => `${x},${y}`).join(" "));
      const [x, y] = coordinates.at(-1)!;
      latest.setAttribute("cx", String(Math.min(Number(x), WIDTH - 3)));
      latest.setAttribute("cy", y);
      current.textContent = value === null ? "-" : format(value);
      element.dataset["value"] = value === null ? "" : String(value);
    },
  };
}
