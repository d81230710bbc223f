/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { clock, count, day, latency, minutes, percent, periodWord, plural, span, stamp } from "../../src/format";

const at = (iso: string): number => Date.parse(iso);

test("counts are grouped by thousands, and fractions are left as they are", () => {
  assert.deepEqual([0, 999, 1000, 1234567].map(count), ["0", "999", "1,000", "1,234,567"]);
  assert.equal(count(12.5), "12.5");
});

test("a plural takes an s except for one", () => {
  assert.deepEqual([0, 1, 2, 1500].map((n) => plural(n, "trace")), ["0 traces", "1 trace", "2 traces", "1,500 traces"]);
});

test("percentages under ten have two decimals, the rest one, as the text answer writes them", () => {
  assert.equal(percent(0), "0.00%");
  assert.equal(percent(0.0512), "5.12%");
  assert.equal(percent(0.1234), "12.3%");
  assert.equal(percent(1), "100.0%");
});

test("latencies have one decimal and grouped thousands", () => {
  assert.equal(latency(0.04), "0.0 ms");
  assert.equal(latency(245.25), "245.3 ms");
  assert.equal(latency(1234567.89), "1,234,567.9 ms");
});

test("times are written in UTC whatever the machine's time zone", () => {
  const saved = process.env.TZ;
  process.env.TZ = "Pacific/Kiritimati"; // UTC+14: any local formatting would land on another day
  try {
    const t = at("2026-11-24T23:05:00Z");
    assert.equal(clock(t), "23:05");
    assert.equal(day(t), "Nov 24");
    assert.equal(stamp(t), "Nov 24 23:05");
  } finally {
    process.env.TZ = saved;
  }
});

test("a span names its day once, both days across midnight, and an open one is ongoing", () => {
  assert.equal(span(at("2026-11-25T03:00:00Z"), at("2026-11-25T04:00:00Z")), "Nov 25 03:00–04:00 UTC");
  // Ending at midnight is still the same day: the end is exclusive.
  assert.equal(span(at("2026-11-24T23:00:00Z"), at("2026-11-25T00:00:00Z")), "Nov 24 23:00–00:00 UTC");
  assert.equal(span(at("2026-11-24T22:00:00Z"), at("2026-11-25T02:00:00Z")), "Nov 24 22:00–Nov 25 02:00 UTC");
  assert.equal(span(at("2026-11-25T03:00:00Z"), null), "since Nov 25 03:00 UTC, ongoing");
});

test("period lengths read as words", () => {
  assert.deepEqual([5, 60, 180, 1440, 2880].map(minutes), ["5-minute", "1-hour", "3-hour", "1-day", "2-day"]);
  assert.deepEqual([5, 60, 180, 1440].map(periodWord), ["5 min", "hour", "3 h", "day"]);
});
