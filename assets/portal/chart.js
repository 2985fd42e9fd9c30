// Hourly stacked bar charts as inline SVG, shared by the audit log (events per hour by
// category) and the webhooks page (delivery attempts per hour by outcome). The chart is drawn
// for the width it is shown at (its text stays legible on a phone) and redrawn when that
// changes; a legend and a one-sentence summary say in words what the bars show.
import { h, svg, when } from "./dom.js";

export const HOUR = 3_600_000;

/**
 * A <figure> with the chart of `data` ({from, to, buckets: [{hour, total, counts}]}) stacked by
 * `keys`, drawn into `section`. `id` prefixes the element ids (`${id}-summary`), `noun` names
 * what is counted ("event"), `legend` names the keys ("Categories"), `colour(key, i)` fills
 * a key's bars, `note` ends the summary.
 */
export function hourlyChart(section, { id, title, data, keys, colour, noun, legend: named, note = "" }) {
  const first = Math.floor(Date.parse(data.from) / HOUR);
  const hours = Math.floor(Date.parse(data.to) / HOUR) - first + 1;
  const max = Math.max(1, ...data.buckets.map((b) => b.total));
  const range = `${when(data.from)} to ${when(data.to)}`;
  const perKey = keys.map((k) => [k, data.buckets.reduce((s, b) => s + (b.counts[k] || 0), 0)]);
  const chart = { id, title: `${title}, ${range}`, first, hours, max, keys, colour,
    byHour: new Map(data.buckets.map((b) => [Math.floor(Date.parse(b.hour) / HOUR), b])) };
  const legend = h("ul", { class: "legend", "aria-label": named },
    perKey.map(([k, n], i) => h("li", {},
      svg("svg", { width: 14, height: 14, "aria-hidden": "true", focusable: "false" },
        svg("rect", { width: 14, height: 14, rx: 2, fill: colour(k, i) })),
      ` ${k} (${n})`)));
  const width = () => Math.max(300, Math.round(section.clientWidth - 40));
  let drawn = width();
  const figure = h("figure", { class: "chart-figure" }, plot(chart, drawn), legend,
    h("figcaption", { id: `${id}-summary` }, summary(data, perKey, range, noun, note)));
  new ResizeObserver(() => {
    if (!figure.isConnected || Math.abs(width() - drawn) < 24) return;
    drawn = width();
    figure.firstElementChild.replaceWith(plot(chart, drawn));
  }).observe(section);
  return figure;
}

function summary(data, perKey, range, noun, note) {
  const total = data.buckets.reduce((sum, b) => sum + b.total, 0);
  if (total === 0) return `No ${noun}s from ${range}.${note ? ` ${note}` : ""}`;
  const busiest = data.buckets.reduce((a, b) => (b.total > (a?.total ?? -1) ? b : a), null);
  return `${total} ${total === 1 ? noun : `${noun}s`} from ${range}: ${perKey.map(([k, n]) => `${k} ${n}`).join(", ")}. ` +
    `Busiest hour: ${when(busiest.hour)} with ${busiest.total}.${note ? ` ${note}` : ""}`;
}

const label = (props, text) => svg("text", { "font-size": 12, fill: "#4a5568", ...props }, text);

/** The SVG at `W` user units wide. */
function plot(c, W) {
  const H = 240, left = 44, right = 8, top = 10, bottom = 34;
  const plotW = W - left - right, plotH = H - top - bottom;
  const slot = plotW / c.hours;
  const barW = Math.min(48, Math.max(1, slot * 0.8));
  const y = (n) => top + plotH - (n / c.max) * plotH;
  const graph = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${c.id}-svg-title ${c.id}-summary`,
    class: "chart" },
    svg("title", { id: `${c.id}-svg-title` }, c.title));
  // Gridlines: 0, half and the maximum.
  for (const n of [...new Set([0, Math.round(c.max / 2), c.max])]) {
    graph.append(svg("line", { x1: left, x2: W - right, y1: y(n), y2: y(n), stroke: "#cfd6e0", "stroke-width": 1 }),
      label({ x: left - 6, y: y(n) + 4, "text-anchor": "end" }, String(n)));
  }
  // Hour labels: one per ~90 units at most (fewer on a narrow screen).
  const every = Math.max(1, Math.ceil(c.hours / Math.max(2, Math.floor(plotW / 90))));
  for (let i = 0; i < c.hours; i += every) {
    const d = new Date((c.first + i) * HOUR);
    const text = c.hours > 25 ? `${d.getMonth() + 1}/${d.getDate()} ${d.getHours()}h` : `${String(d.getHours()).padStart(2, "0")}:00`;
    graph.append(label({ x: left + i * slot + slot / 2, y: H - bottom + 16, "text-anchor": "middle" }, text));
  }
  graph.append(label({ x: left + plotW / 2, y: H - 2, "text-anchor": "middle" }, "Hour (your time zone)"));
  for (let i = 0; i < c.hours; i++) {
    const bucket = c.byHour.get(c.first + i);
    if (bucket) graph.append(...stack(c, bucket, left + i * slot + (slot - barW) / 2, barW, y));
  }
  graph.append(svg("line", { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, stroke: "#16202e", "stroke-width": 1 }));
  return graph;
}

/** One hour's bars, stacked in key order from the axis up. */
function stack(c, bucket, x, width, y) {
  let base = 0;
  const bars = [];
  c.keys.forEach((key, i) => {
    const n = bucket.counts[key] || 0;
    if (!n) return;
    const y0 = y(base + n);
    bars.push(svg("rect", { x, y: y0, width, height: Math.max(1, y(base) - y0), fill: c.colour(key, i), class: "bar",
      "data-category": key, "data-count": n },
      svg("title", {}, `${when(bucket.hour)}: ${key} ${n}`)));
    base += n;
  });
  return bars;
}
