/// <reference types="node" />
import "./document";
import assert from "node:assert/strict";
import { test } from "node:test";
import { axisLatency, axisPercent, drawChart, niceCeil, slotsOf, tickTimes, tooltipLines } from "../../src/chart";
import type { Metrics, Row } from "../../src/types";

const HOUR = 3_600_000;
const START = "2026-11-24T10:00:00Z";

/** A metrics result of hourly rows from START, in the shape the server sends. */
function metrics(rows: [number, number, number | null][], extra: Partial<Metrics> = {}): Metrics {
  const t0 = Date.parse(START);
  const table: Row[] = rows.map(([traces, errors, lat], i) => [new Date(t0 + i * HOUR).toISOString(), traces, errors, lat]);
  const traces = rows.reduce((n, r) => n + r[0], 0);
  return {
    account: "acme",
    name: "bot",
    window: { start: START, end: new Date(t0 + rows.length * HOUR).toISOString(), interval_minutes: 60, bucket_count: rows.length },
    totals: { trace_count: traces, error_count: rows.reduce((n, r) => n + r[1], 0) },
    error_rate: null,
    avg_latency_ms: null,
    table: { interval_minutes: 60, columns: ["start", "traces", "errors", "avg_latency_ms"], rows: table },
    ...extra,
  };
}

test("scales end on a round number at or above the largest value", () => {
  assert.deepEqual([7, 10, 11, 21, 2.1, 0.013, 0.3, 480].map(niceCeil), [10, 10, 20, 25, 2.5, 0.02, 0.5, 500]);
});

test("axis labels are short: percentages to three digits, seconds from a thousand milliseconds", () => {
  assert.deepEqual([0, 0.005, 0.125, 1 / 3].map(axisPercent), ["0%", "0.5%", "12.5%", "33.3%"]);
  assert.deepEqual([0, 250, 999, 1000, 12_345].map(axisLatency), ["0 ms", "250 ms", "999 ms", "1 s", "12.3 s"]);
});

test("ticks fall on round times inside the window, some 84 px apart", () => {
  const t0 = Date.parse("2026-11-24T09:52:00Z");
  const { step, times } = tickTimes(t0, t0 + 24 * HOUR, 680);
  assert.equal(step, 3 * HOUR); // 8 ticks of 3 hours fit 680 px; 12 of 2 hours would not
  assert.equal(new Date(times[0]).toISOString(), "2026-11-24T12:00:00.000Z");
  assert.ok(times.every((t) => t % step === 0 && t >= t0 && t <= t0 + 24 * HOUR));
  assert.equal(times.length, 8);
  // A narrower chart gets fewer, coarser ticks; a week gets one a day.
  assert.equal(tickTimes(t0, t0 + 24 * HOUR, 340).step, 6 * HOUR);
  assert.equal(tickTimes(t0, t0 + 7 * 24 * HOUR, 680).step, 24 * HOUR);
});

test("each period's tooltip has its time, figures and the compared window's figures", () => {
  const m = metrics([[200, 10, 245.25], [0, 0, null]], { comparison: { label: "day before", start: "", end: "", rows: [[180, 0, 200], [0, 0, null]] } });
  const [busy, idle] = slotsOf(m);
  assert.deepEqual(tooltipLines(busy, "day before"), [
    "Nov 24 10:00–11:00 UTC",
    "200 traces · 10 errors (5.00%)",
    "mean latency 245.3 ms",
    "day before: 180 traces · 0.00% errors · 200.0 ms",
  ]);
  assert.deepEqual(tooltipLines(idle, "day before"), ["Nov 24 11:00–12:00 UTC", "idle: no traces", "day before: 0 traces"]);
});

test("bar heights are proportional to the traces, on a scale up to a round number", () => {
  const chart = drawChart(metrics([[100, 0, 50], [40, 2, 60], [0, 0, null], [250, 5, 55]]), [], 760, () => {});
  const bars = [...chart.querySelectorAll("rect.bar")];
  assert.deepEqual(bars.map((b) => b.getAttribute("data-index")), ["0", "1", "3"]); // no bar for the idle hour
  const heights = bars.map((b) => Number(b.getAttribute("height")));
  assert.ok(Math.abs(heights[0] / heights[2] - 100 / 250) < 1e-9 && Math.abs(heights[1] / heights[2] - 40 / 250) < 1e-9);
  const labels = [...chart.querySelectorAll(".y-axis")][0].querySelectorAll(".tick-label");
  assert.deepEqual([...labels].map((l) => l.textContent), ["0", "125", "250"]);
  assert.equal(chart.querySelectorAll("rect.idle").length, 1);
});

test("a window without traffic is drawn idle throughout, with no bars", () => {
  const chart = drawChart(metrics([]), [], 760, () => {});
  assert.equal(chart.querySelectorAll("rect.bar").length, 0);
  assert.equal(chart.querySelectorAll("rect.idle").length, 1);
  assert.equal(chart.querySelector(".empty")?.textContent, "No traces in this window: idle throughout");
});

test("an idle hour breaks the rate and latency lines instead of dropping them to zero", () => {
  const chart = drawChart(metrics([[10, 1, 50], [0, 0, null], [10, 2, 70]]), [], 760, () => {});
  const latencyLine = chart.querySelector("path.line.latency")?.getAttribute("d") ?? "";
  assert.equal((latencyLine.match(/M/g) ?? []).length, 2);
  assert.equal((latencyLine.match(/L/g) ?? []).length, 0);
});
