// A hand-drawn SVG chart: three panels over one UTC time axis (traces as bars, error rate and mean
// latency as lines), with incidents shaded and idle periods hatched. A chart library would triple the
// page for the little drawn here.

import { h, s } from "./dom";
import { clock, count, day, latency, percent, periodWord, plural, span } from "./format";
import type { ComparisonRow, Metrics } from "./types";

export interface Episode {
  label: string;
  kind: "spike" | "regression";
  start: number;
  end: number | null; // null: still going at the end of the window
  headline: string;
}

export interface Slot {
  index: number;
  start: number; // the period's own start and end, before clipping to the window
  end: number;
  traces: number;
  errors: number;
  latency: number | null;
  prior: ComparisonRow | null;
}

const LEFT = 64;
const RIGHT = 16;
const TOP = 26;
const GAP = 30;
const AXIS = 38;
const TICK_STEPS = [15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160].map((m) => m * 60_000);

interface Panel {
  title: string;
  height: number;
  max: number;
  format: (v: number) => string;
}

/** A round number at or above v (1, 2, 2.5, 5 times a power of ten). */
export function niceCeil(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 2.5, 5, 10].find((f) => f * power >= v) ?? 10) * power;
}

function maxOf(values: (number | null)[], floor: number): number {
  return niceCeil(Math.max(floor, ...values.filter((v): v is number => v !== null)));
}

/** Axis labels are short: three significant digits at most, and seconds from 1,000 ms on. */
export const axisPercent = (v: number): string => `${Number((v * 100).toPrecision(3))}%`;
export const axisLatency = (v: number): string => (v >= 1000 ? `${Number((v / 1000).toPrecision(3))} s` : `${Number(v.toPrecision(3))} ms`);

const rate = (traces: number, errors: number): number | null => (traces ? errors / traces : null);

export function slotsOf(m: Metrics): Slot[] {
  const step = m.table.interval_minutes * 60_000;
  const prior = m.comparison?.rows ?? [];
  return m.table.rows.map(([start, traces, errors, lat], index) => ({
    index,
    start: Date.parse(start),
    end: Date.parse(start) + step,
    traces,
    errors,
    latency: lat,
    prior: prior[index] ?? null,
  }));
}

export function tooltipLines(slot: Slot, priorLabel: string | undefined): string[] {
  const lines = [span(slot.start, slot.end)];
  if (slot.traces === 0) {
    lines.push("idle: no traces");
  } else {
    lines.push(`${plural(slot.traces, "trace")} · ${plural(slot.errors, "error")} (${percent(slot.errors / slot.traces)})`);
    if (slot.latency !== null) lines.push(`mean latency ${latency(slot.latency)}`);
  }
  if (slot.prior && priorLabel) {
    const [t, e, l] = slot.prior;
    const parts = [plural(t, "trace"), ...(t ? [`${percent(e / t)} errors`] : []), ...(l !== null ? [latency(l)] : [])];
    lines.push(`${priorLabel}: ${parts.join(" · ")}`);
  }
  return lines;
}

export function drawChart(
  m: Metrics,
  episodes: Episode[],
  width: number,
  onEpisode: (e: Episode) => void,
): HTMLElement {
  const slots = slotsOf(m);
  const t0 = Date.parse(m.window.start);
  const t1 = Date.parse(m.window.end);
  const plotWidth = Math.max(120, width - LEFT - RIGHT);
  const x = (t: number): number => LEFT + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotWidth;
  const priorRows = slots.map((sl) => sl.prior);
  const per = periodWord(m.table.interval_minutes);
  const panels: Panel[] = [
    {
      title: `Traces per ${per}`,
      height: 130,
      max: maxOf([...slots.map((sl) => sl.traces), ...priorRows.map((p) => p?.[0] ?? null)], 10),
      format: count,
    },
    {
      title: "Error rate",
      height: 76,
      max: maxOf([...slots.map((sl) => rate(sl.traces, sl.errors)), ...priorRows.map((p) => (p ? rate(p[0], p[1]) : null))], 0.01),
      format: axisPercent,
    },
    {
      title: "Mean latency",
      height: 76,
      max: maxOf([...slots.map((sl) => sl.latency), ...priorRows.map((p) => p?.[2] ?? null)], 1),
      format: axisLatency,
    },
  ];
  const tops: number[] = [];
  let y = TOP;
  for (const p of panels) {
    tops.push(y);
    y += p.height + GAP;
  }
  const bottom = y - GAP;
  const height = bottom + AXIS;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" });
  svg.append(s("title", {}, `${m.account}/${m.name}: traces, error rate and mean latency per ${per}, UTC`));
  svg.append(hatchPattern());

  const layer = (cls: string): SVGElement => svg.appendChild(s("g", { class: cls }));
  const bands = layer("bands");
  const grid = layer("grid");
  const marks = layer("marks");
  const hits = layer("hits");

  // Idle runs and incidents first, so the data is drawn over them.
  // With no traffic at all the API sends no rows: the whole window is one idle stretch.
  const idle = slots.length === 0 && m.totals.trace_count === 0 ? [[t0, t1] as [number, number]] : idleRuns(slots);
  for (const [a, b] of idle) {
    const x0 = x(a);
    const x1 = x(b);
    bands.append(s("rect", { class: "idle", x: x0, y: TOP, width: x1 - x0, height: bottom - TOP }));
    if (x1 - x0 > 34 && slots.length) bands.append(s("text", { class: "idle-label", x: (x0 + x1) / 2, y: tops[0] + panels[0].height - 6 }, "idle"));
  }
  episodes.forEach((e, i) => bands.append(shade(e, i, x, x(e.end ?? t1) - x(e.start), bottom, LEFT + plotWidth)));

  panels.forEach((p, i) => grid.append(yAxis(p, tops[i], LEFT, LEFT + plotWidth)));
  grid.append(xAxis(t0, t1, x, bottom, plotWidth));

  const yOf = (i: number, v: number): number => tops[i] + panels[i].height * (1 - Math.min(v, panels[i].max) / panels[i].max);
  const centre = (sl: Slot): number => (x(sl.start) + x(sl.end)) / 2;
  for (const sl of slots) {
    if (sl.traces === 0) continue;
    const x0 = x(sl.start);
    const w = Math.max(1, x(sl.end) - x0 - 1.5);
    const top = yOf(0, sl.traces);
    marks.append(s("rect", { class: "bar", "data-index": sl.index, x: x0 + 0.75, y: top, width: w, height: tops[0] + panels[0].height - top }));
  }
  const lines: [number, (sl: Slot) => number | null, (sl: Slot) => number | null, string][] = [
    [0, () => null, (sl) => sl.prior?.[0] ?? null, "traces"],
    [1, (sl) => rate(sl.traces, sl.errors), (sl) => (sl.prior ? rate(sl.prior[0], sl.prior[1]) : null), "errors"],
    [2, (sl) => sl.latency, (sl) => sl.prior?.[2] ?? null, "latency"],
  ];
  const dots = slots.length > 0 && plotWidth / slots.length >= 9;
  for (const [panel, value, prior, cls] of lines) {
    marks.append(s("path", { class: `prior ${cls}`, d: path(slots, prior, centre, (v) => yOf(panel, v)) }));
    marks.append(s("path", { class: `line ${cls}`, d: path(slots, value, centre, (v) => yOf(panel, v)) }));
    if (!dots) continue;
    for (const sl of slots) {
      const v = value(sl);
      if (v !== null) marks.append(s("circle", { class: `dot ${cls}`, cx: centre(sl), cy: yOf(panel, v), r: 2.2 }));
    }
  }

  const wrap = h("div", { class: "chart-wrap" }, svg);
  const tip = h("div", { class: "tooltip", role: "tooltip", hidden: "" });
  const cursor = s("line", { class: "cursor", y1: TOP, y2: bottom, visibility: "hidden" });
  marks.append(cursor);
  wrap.append(tip);
  // In time, not pixels: a period whose middle is exactly an onset is in the incident, however it rounds on screen.
  const clip = (t: number): number => Math.min(Math.max(t, t0), t1);
  const episodeAt = (sl: Slot): Episode | undefined => {
    const middle = (clip(sl.start) + clip(sl.end)) / 2;
    return episodes.find((e) => middle >= e.start && middle <= (e.end ?? t1));
  };
  for (const sl of slots) {
    const x0 = x(sl.start);
    const hit = s("rect", { class: "hit", "data-index": sl.index, x: x0, y: TOP, width: Math.max(1, x(sl.end) - x0), height: bottom - TOP });
    const e = episodeAt(sl);
    if (e) hit.classList.add("in-episode");
    hit.addEventListener("mouseenter", () => {
      tip.replaceChildren(...tooltipLines(sl, m.comparison?.label).map((line) => h("div", {}, line)));
      if (e) tip.append(h("div", { class: "tip-action" }, `${e.label}: click for failing traces`));
      tip.hidden = false;
      const cx = centre(sl);
      cursor.setAttribute("x1", String(cx));
      cursor.setAttribute("x2", String(cx));
      cursor.setAttribute("visibility", "visible");
      const left = cx > LEFT + plotWidth / 2 ? cx - 12 - tip.offsetWidth : cx + 12;
      tip.style.left = `${Math.max(0, left)}px`;
      tip.style.top = `${TOP + 4}px`;
    });
    hit.addEventListener("mouseleave", () => {
      tip.hidden = true;
      cursor.setAttribute("visibility", "hidden");
    });
    if (e) hit.addEventListener("click", () => onEpisode(e));
    hits.append(hit);
  }
  if (slots.length === 0) {
    svg.append(s("text", { class: "empty", x: LEFT + plotWidth / 2, y: tops[0] + panels[0].height / 2 }, "No traces in this window: idle throughout"));
  }
  return wrap;
}

function path(slots: Slot[], value: (sl: Slot) => number | null, cx: (sl: Slot) => number, cy: (v: number) => number): string {
  let d = "";
  let pen = false;
  for (const sl of slots) {
    const v = value(sl);
    if (v === null) {
      pen = false; // an idle period has no rate or latency: the line stops rather than dipping to zero
      continue;
    }
    d += `${pen ? "L" : "M"}${cx(sl).toFixed(1)},${cy(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

function idleRuns(slots: Slot[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const sl of slots) {
    if (sl.traces !== 0) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === sl.start) last[1] = sl.end;
    else runs.push([sl.start, sl.end]);
  }
  return runs;
}

function shade(e: Episode, i: number, x: (t: number) => number, w: number, bottom: number, right: number): SVGElement {
  const x0 = x(e.start);
  const g = s("g", { class: `shade ${e.kind}${e.end === null ? " ongoing" : ""}`, "data-episode": i });
  g.append(s("rect", { class: "shade-fill", x: x0, y: TOP - 18, width: Math.max(2, w), height: bottom - TOP + 18 }));
  g.append(s("line", { class: "shade-edge", x1: x0, x2: x0, y1: TOP - 18, y2: bottom }));
  if (e.end !== null) g.append(s("line", { class: "shade-edge", x1: x0 + w, x2: x0 + w, y1: TOP - 18, y2: bottom }));
  const label = e.end === null ? `${e.label}, ongoing →` : e.label;
  // Keep the label inside the plot: start it at the shade, or end it at the plot's right edge.
  const fits = x0 + 4 + label.length * 6.4 <= right;
  g.append(s("text", { class: "shade-label", x: fits ? x0 + 4 : right - 4, y: TOP - 6, "text-anchor": fits ? "start" : "end" }, label));
  g.append(s("title", {}, e.headline));
  return g;
}

function yAxis(p: Panel, top: number, left: number, right: number): SVGElement {
  const g = s("g", { class: "y-axis" });
  g.append(s("text", { class: "panel-title", x: left, y: top - 8 }, p.title));
  for (const f of [0, 0.5, 1]) {
    const y = top + p.height * (1 - f);
    g.append(s("line", { class: f === 0 ? "baseline" : "gridline", x1: left, x2: right, y1: y, y2: y }));
    g.append(s("text", { class: "tick-label", x: left - 6, y: y + 4, "text-anchor": "end" }, p.format(p.max * f)));
  }
  return g;
}

/** The axis's tick times: the finest round step that leaves some 84 px between ticks, on multiples of it. */
export function tickTimes(t0: number, t1: number, plotWidth: number): { step: number; times: number[] } {
  const step = TICK_STEPS.find((st) => (t1 - t0) / st <= plotWidth / 84) ?? TICK_STEPS[TICK_STEPS.length - 1];
  const times: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) times.push(t);
  return { step, times };
}

function xAxis(t0: number, t1: number, x: (t: number) => number, bottom: number, plotWidth: number): SVGElement {
  const g = s("g", { class: "x-axis" });
  const { step, times } = tickTimes(t0, t1, plotWidth);
  const daily = step >= 86_400_000;
  let previousDay = "";
  for (const t of times) {
    const date = day(t);
    const tick = s("g", { class: "tick", "data-x": x(t).toFixed(2) });
    tick.append(s("line", { x1: x(t), x2: x(t), y1: bottom, y2: bottom + 4 }));
    const text = s("text", { x: x(t), y: bottom + 16, "text-anchor": "middle" });
    text.append(s("tspan", { class: "tick-time" }, daily ? date : clock(t)));
    if (!daily && date !== previousDay) text.append(s("tspan", { class: "tick-date", x: x(t), dy: 13 }, date));
    tick.append(text);
    g.append(tick);
    previousDay = date;
  }
  g.append(s("text", { class: "axis-unit", x: LEFT + plotWidth, y: bottom + 29, "text-anchor": "end" }, "UTC"));
  return g;
}

function hatchPattern(): SVGElement {
  const defs = s("defs");
  const pattern = s("pattern", { id: "idle-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  pattern.append(s("rect", { width: 6, height: 6, class: "hatch-bg" }), s("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }));
  defs.append(pattern);
  return defs;
}
