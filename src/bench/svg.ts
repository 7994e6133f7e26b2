/**
 * Small, dependency-free SVG charts for docs/BENCHMARKS.md: grouped bars and lines, with axes, ticks and a legend.
 */

export interface Series {
  name: string;
  values: (number | null)[];
  color?: string;
}

const PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"];
const FONT = `font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"`;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** A round step for about `count` ticks up to `max`. */
function niceStep(max: number, count = 5): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const n = raw / power;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * power;
}

export function formatTick(v: number): string {
  if (Math.abs(v) >= 1_000_000) return `${+(v / 1_000_000).toFixed(1)}M`;
  if (Math.abs(v) >= 10_000) return `${+(v / 1_000).toFixed(1)}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(+v.toFixed(2));
}

function frame(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n` +
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="#111827">${esc(title)}</text>\n` +
    body +
    `</svg>\n`
  );
}

/** Room to the right of the plot for the legend (and a reference label): about 6.5 px per character at 12 px. */
function legendWidth(series: Series[], extra: string[] = []): number {
  const longest = Math.max(...series.map((s) => s.name.length), ...extra.map((e) => e.length), 8);
  return Math.round(40 + longest * 6.5);
}

function legend(series: Series[], x: number, y: number): string {
  return series
    .map((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      const yy = y + i * 18;
      return `<rect x="${x}" y="${yy - 10}" width="12" height="12" fill="${color}"/><text x="${x + 18}" y="${yy}" fill="#374151">${esc(s.name)}</text>`;
    })
    .join("\n");
}

function yAxis(left: number, top: number, plotW: number, plotH: number, max: number, label: string): { scale: (v: number) => number; svg: string } {
  const step = niceStep(max);
  const top_ = Math.max(step, Math.ceil(max / step) * step);
  const scale = (v: number) => top + plotH - (v / top_) * plotH;
  const ticks: string[] = [];
  for (let v = 0; v <= top_ + step / 2; v += step) {
    const y = scale(v);
    ticks.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#e5e7eb"/>` +
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#6b7280">${formatTick(v)}</text>`,
    );
  }
  const labelY = top + plotH / 2;
  return {
    scale,
    svg:
      ticks.join("\n") +
      `\n<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#9ca3af"/>` +
      `\n<text x="16" y="${labelY}" transform="rotate(-90 16 ${labelY})" text-anchor="middle" fill="#374151">${esc(label)}</text>\n`,
  };
}

/** The chart's size and its plot area: margins for the axes, and room on the right for a legend `right` wide. */
function plotArea(right: number, size: { width?: number; height?: number }) {
  const width = Math.max(size.width ?? 760, right + 480);
  const height = size.height ?? 380;
  const left = 70;
  const top = 40;
  const bottom = 60;
  return { width, height, left, top, right, plotW: width - left - right, plotH: height - top - bottom };
}

/** Grouped vertical bars: one group per category, one bar per series; an optional horizontal reference line. */
export function barChart(o: {
  title: string;
  categories: string[];
  series: Series[];
  yLabel: string;
  reference?: { value: number; label: string };
  width?: number;
  height?: number;
}): string {
  const { width, height, left, top, plotW, plotH } = plotArea(legendWidth(o.series, o.reference ? [o.reference.label] : []), o);
  const values = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(...values, o.reference?.value ?? 0, 1);
  const axis = yAxis(left, top, plotW, plotH, max * 1.08, o.yLabel);
  const groupW = plotW / o.categories.length;
  const barW = Math.min(40, (groupW * 0.8) / o.series.length);
  const bars: string[] = [];
  o.categories.forEach((category, c) => {
    const x0 = left + c * groupW + (groupW - barW * o.series.length) / 2;
    o.series.forEach((s, k) => {
      const v = s.values[c];
      if (v === null || v === undefined) return;
      const x = x0 + k * barW;
      const y = axis.scale(v);
      const color = s.color ?? PALETTE[k % PALETTE.length];
      bars.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y).toFixed(1)}" fill="${color}"><title>${esc(`${s.name}, ${category}: ${v}`)}</title></rect>` +
          `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#374151">${formatTick(v)}</text>`,
      );
    });
    bars.push(`<text x="${(left + c * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" fill="#374151">${esc(category)}</text>`);
  });
  let reference = "";
  if (o.reference) {
    const y = axis.scale(o.reference.value);
    reference =
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#111827" stroke-dasharray="6 4"/>` +
      `<text x="${left + plotW + 6}" y="${y + 4}" fill="#111827">${esc(o.reference.label)}</text>`;
  }
  return frame(width, height, o.title, axis.svg + bars.join("\n") + "\n" + reference + "\n" + legend(o.series, left + plotW + 14, top + 30) + "\n");
}

/** Lines over a numeric x axis (optionally logarithmic), a marker at each point. */
export function lineChart(o: {
  title: string;
  x: number[];
  xLabel: string;
  xLog?: boolean;
  series: Series[];
  yLabel: string;
  width?: number;
  height?: number;
}): string {
  const { width, height, left, top, plotW, plotH } = plotArea(legendWidth(o.series), o);
  const values = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const axis = yAxis(left, top, plotW, plotH, Math.max(...values, 0.001) * 1.1, o.yLabel);
  const fx = (v: number) => (o.xLog ? Math.log10(Math.max(v, 1)) : v);
  const xs = o.x.map(fx);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const span = xMax - xMin || 1;
  const pad = plotW * 0.06;
  const sx = (v: number) => left + pad + ((fx(v) - xMin) / span) * (plotW - 2 * pad);
  const ticks = o.x
    .map((v) => `<line x1="${sx(v)}" y1="${top + plotH}" x2="${sx(v)}" y2="${top + plotH + 5}" stroke="#9ca3af"/><text x="${sx(v)}" y="${top + plotH + 18}" text-anchor="middle" fill="#374151">${formatTick(v)}</text>`)
    .join("\n");
  const lines = o.series
    .map((s, k) => {
      const color = s.color ?? PALETTE[k % PALETTE.length];
      const points = o.x.map((x, i) => [x, s.values[i]] as const).filter((p): p is readonly [number, number] => p[1] !== null && p[1] !== undefined);
      const path = points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${sx(x).toFixed(1)},${axis.scale(y).toFixed(1)}`).join(" ");
      const marks = points
        .map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${axis.scale(y).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name} at ${x}: ${y}`)}</title></circle>`)
        .join("");
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${marks}`;
    })
    .join("\n");
  const xAxis =
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#9ca3af"/>` +
    `<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle" fill="#374151">${esc(o.xLabel)}${o.xLog ? " (log scale)" : ""}</text>`;
  return frame(width, height, o.title, axis.svg + xAxis + "\n" + ticks + "\n" + lines + "\n" + legend(o.series, left + plotW + 14, top + 30) + "\n");
}
