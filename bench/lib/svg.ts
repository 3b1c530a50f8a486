/**
 * Small hand-written SVG charts for BENCHMARKS.md: lines over a numeric x axis (linear or log),
 * or grouped bars over categories. No library: a few dozen elements, readable as text.
 */

export interface Series {
  name: string;
  /** [x, y] for lines; for bars, x is the category index. */
  points: Array<[number, number]>;
}

export interface LineChart {
  /** File name without directory, e.g. `push-notify.svg`. */
  file: string;
  title: string;
  xLabel: string;
  yLabel: string;
  kind: "line" | "bar";
  /** Category names (bar charts). */
  categories?: string[];
  logX?: boolean;
  logY?: boolean;
  series: Series[];
}

const WIDTH = 800;
const HEIGHT = 360;
const MARGIN = { left: 70, right: 250, top: 36, bottom: 56 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** Renders `chart` as an SVG document. */
export function renderChart(chart: LineChart): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = chart.series.flatMap((series) => series.points).filter(([, y]) => Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const tx = (value: number) => (chart.logX ? Math.log10(value) : value);
  const ty = (value: number) => (chart.logY ? Math.log10(Math.max(value, 1e-6)) : value);
  const xMin = chart.kind === "bar" ? -0.5 : tx(Math.min(...xs));
  const xMax = chart.kind === "bar" ? (chart.categories?.length ?? 1) - 0.5 : tx(Math.max(...xs));
  const yMin = chart.logY ? Math.floor(ty(Math.min(...ys))) : 0;
  const yMax = chart.logY ? Math.ceil(ty(Math.max(...ys))) : niceCeil(Math.max(...ys, 1e-9));
  const px = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((ty(y) - yMin) / (yMax - yMin || 1)) * plotH;

  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(text(WIDTH / 2, 20, chart.title, { anchor: "middle", weight: "bold", size: 14 }));
  // Y grid and ticks.
  const yTicks = chart.logY ? range(yMin, yMax).map((power) => 10 ** power) : range(0, 4).map((step) => (yMax / 4) * step);
  for (const tick of yTicks) {
    const y = py(tick);
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#ddd"/>`);
    parts.push(text(MARGIN.left - 6, y + 4, formatTick(tick), { anchor: "end" }));
  }
  // X ticks.
  if (chart.kind === "bar") {
    chart.categories?.forEach((category, index) => parts.push(text(px(index), MARGIN.top + plotH + 16, category, { anchor: "middle" })));
  } else {
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) parts.push(text(px(tx(x)), MARGIN.top + plotH + 16, formatTick(x), { anchor: "middle" }));
  }
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(text(MARGIN.left + plotW / 2, HEIGHT - 14, chart.xLabel, { anchor: "middle" }));
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-family="sans-serif" font-size="12">${escapeXml(chart.yLabel)}</text>`);

  chart.series.forEach((series, seriesIndex) => {
    const color = COLORS[seriesIndex % COLORS.length]!;
    const points = series.points.filter(([, y]) => Number.isFinite(y));
    if (chart.kind === "bar") {
      const groupWidth = (plotW / (chart.categories?.length ?? 1)) * 0.8;
      const barWidth = groupWidth / chart.series.length;
      for (const [x, y] of points) {
        const left = px(x) - groupWidth / 2 + seriesIndex * barWidth;
        const top = py(y);
        parts.push(`<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(MARGIN.top + plotH - top).toFixed(1)}" fill="${color}"><title>${escapeXml(`${series.name}: ${formatTick(y)}`)}</title></rect>`);
      }
    } else {
      const path = points.map(([x, y], index) => `${index === 0 ? "M" : "L"}${px(tx(x)).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
      parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const [x, y] of points) parts.push(`<circle cx="${px(tx(x)).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${series.name}: ${formatTick(y)}`)}</title></circle>`);
    }
    const legendY = MARGIN.top + 10 + seriesIndex * 18;
    parts.push(`<rect x="${WIDTH - MARGIN.right + 12}" y="${legendY - 9}" width="12" height="12" fill="${color}"/>`);
    parts.push(text(WIDTH - MARGIN.right + 30, legendY + 1, series.name, {}));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">\n${parts.join("\n")}\n</svg>\n`;
}

function text(x: number, y: number, content: string, options: { anchor?: string; weight?: string; size?: number }): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="sans-serif" font-size="${options.size ?? 11}"${options.anchor ? ` text-anchor="${options.anchor}"` : ""}${options.weight ? ` font-weight="${options.weight}"` : ""}>${escapeXml(content)}</text>`;
}

function niceCeil(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

function formatTick(value: number): string {
  if (value >= 1000) return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (value >= 10) return value.toFixed(0);
  if (value >= 1) return value.toFixed(1);
  return value.toPrecision(2);
}

function escapeXml(content: string): string {
  return content.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
