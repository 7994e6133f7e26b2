/** Small inline SVG charts: step lines over time and bars per category, each with a text alternative. */
import type { Point } from "../producer/chartData.js";

const COLORS = ["#0b6bcb", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490"];
const W = 600;
const H = 180;
const PAD = { left: 8, right: 8, top: 10, bottom: 4 };

export function StepChart(props: {
  title: string;
  series: Map<string, Point[]>;
  seriesLabel: (key: string) => string;
  format: (value: bigint) => string;
}) {
  const all = [...props.series.values()].flat();
  if (all.length === 0) return <p className="muted">No data yet.</p>;
  const now = Math.floor(Date.now() / 1000);
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(now, ...all.map((p) => p.t));
  const vmax = all.reduce((m, p) => (p.value > m ? p.value : m), 1n);
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: bigint) => PAD.top + (1 - Number((v * 10_000n) / vmax) / 10_000) * (H - PAD.top - PAD.bottom);
  const entries = [...props.series.entries()];
  const summary = entries.map(([key, points]) => `${props.seriesLabel(key)}: ${props.format(points.at(-1)!.value)} now`).join("; ");
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}. ${summary}`} preserveAspectRatio="none">
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} className="axis" vectorEffect="non-scaling-stroke" />
        {entries.map(([key, points], i) => {
          let d = "";
          points.forEach((p, j) => {
            d += j === 0 ? `M${x(p.t)},${y(p.value)}` : `H${x(p.t)}V${y(p.value)}`;
          });
          d += `H${x(t1)}`;
          return <path key={key} d={d} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={2} vectorEffect="non-scaling-stroke" />;
        })}
      </svg>
      <div className="chart-axis small muted" aria-hidden="true">
        <span>{new Date(t0 * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC</span>
        <span>now</span>
      </div>
      <ul className="legend">
        {entries.map(([key, points], i) => (
          <li key={key}>
            <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" /> {props.seriesLabel(key)}:{" "}
            {props.format(points.at(-1)!.value)} (max {props.format(vmax)})
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function BarChart(props: {
  title: string;
  bars: { label: string; value: bigint }[];
  format: (value: bigint) => string;
  color?: string;
}) {
  if (props.bars.length === 0) return <p className="muted">No data yet.</p>;
  const vmax = props.bars.reduce((m, b) => (b.value > m ? b.value : m), 1n);
  const slot = (W - PAD.left - PAD.right) / props.bars.length;
  const barW = Math.min(60, slot * 0.7);
  const summary = props.bars.map((b) => `${b.label}: ${props.format(b.value)}`).join("; ");
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}. ${summary}`} preserveAspectRatio="none">
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} className="axis" vectorEffect="non-scaling-stroke" />
        {props.bars.map((b, i) => {
          const h = (Number((b.value * 10_000n) / vmax) / 10_000) * (H - PAD.top - PAD.bottom);
          const cx = PAD.left + slot * i + slot / 2;
          return <rect key={b.label} x={cx - barW / 2} y={H - PAD.bottom - h} width={barW} height={h} fill={props.color ?? COLORS[0]} />;
        })}
      </svg>
      <p className="small muted">{summary}</p>
    </figure>
  );
}
