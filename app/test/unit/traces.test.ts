/// <reference types="node" />
import "./document";
import assert from "node:assert/strict";
import { test } from "node:test";
import { asMessage } from "../../src/bridge";
import { metricsView } from "../../src/metrics";
import { overviewView } from "../../src/overview";
import { contentText, errorMessage, MAX_CHARS, MAX_LINES, tracesList } from "../../src/traces";
import type { Metrics, Trace, Traces } from "../../src/types";

const HOSTILE = `<img src=x onerror="parent.postMessage('pwned','*')"><script>alert(1)</script>`;

function trace(extra: Partial<Trace> = {}): Trace {
  return { trace_id: "t1", name: "lookup_order", status: "error", latency_ms: 12.5, timestamp: "2026-11-25T03:37:02Z", ...extra };
}

function traces(list: Trace[]): Traces {
  return { account: "acme", name: "bot", window: { start: "2026-11-25T03:00:00Z", end: "2026-11-25T04:00:00Z" }, total: list.length, traces: list };
}

/** No element but the view's own: upstream text must never become markup. */
function assertInert(el: Element): void {
  assert.equal(el.querySelectorAll("img, script, iframe, object, a").length, 0);
  assert.ok([...el.querySelectorAll("*")].every((e) => [...e.attributes].every((a) => !a.name.startsWith("on"))));
}

test("a failed trace's error is its output, or the error inside JSON output as type and message", () => {
  assert.equal(errorMessage(trace({ output: "KeyError: 'customer_id'" })), "KeyError: 'customer_id'");
  const json = JSON.stringify({ error: { type: "TimeoutError", service: "orders", message: "deadline exceeded" }, attempts: 3 });
  assert.equal(errorMessage(trace({ output: json })), "TimeoutError: deadline exceeded");
  assert.equal(errorMessage(trace({ output: JSON.stringify({ error: "quota exhausted" }) })), "quota exhausted");
  assert.equal(errorMessage(trace({ output: JSON.stringify({ error: { code: 7 } }) })), '{"code":7}');
  // The server's own message wins; a trace that did not fail has none.
  assert.equal(errorMessage(trace({ output: "x", error_message: "step 3 failed:\n  model overloaded" })), "step 3 failed: model overloaded");
  assert.equal(errorMessage(trace({ status: "ok", output: "fine" })), null);
  assert.equal(errorMessage(trace({ output: null })), null);
  assert.equal(errorMessage(trace({ output: "e".repeat(1000) }))?.length, 300);
});

test("JSON content is shown indented as JSON; text, and JSON cut short by the server, as text", () => {
  assert.deepEqual(contentText('{"order_id":"A-1","customer":{"name":"Zoë"}}'), {
    text: '{\n  "order_id": "A-1",\n  "customer": {\n    "name": "Zoë"\n  }\n}',
    json: true,
  });
  assert.deepEqual(contentText("[1,2]"), { text: "[\n  1,\n  2\n]", json: true });
  const cut = '{"order_id":"A-1","hist… [cut: 5,000 characters in all]';
  assert.deepEqual(contentText(cut), { text: cut, json: false });
  assert.deepEqual(contentText('"just a string"'), { text: '"just a string"', json: false });
});

test("content is bounded in lines and characters, and says how much was left out", () => {
  const long = JSON.stringify(Array.from({ length: 100 }, (_, i) => i));
  const shown = contentText(long).text.split("\n");
  assert.equal(shown.length, MAX_LINES + 1);
  const full = JSON.stringify(JSON.parse(long), null, 2);
  const kept = shown.slice(0, MAX_LINES).join("\n");
  assert.equal(shown[MAX_LINES], `… [${(full.length - kept.length).toLocaleString("en-US")} more characters]`);
  const wide = contentText("x".repeat(10_000)).text;
  assert.equal(wide, `${"x".repeat(MAX_CHARS)}\n… [6,000 more characters]`);
});

test("the trace table lists each trace with its error under it and its content folded", () => {
  const el = tracesList(traces([trace({ input: '{"q":1}', output: "KeyError: 'id'" }), trace({ trace_id: "t2", status: "ok" })]));
  const rows = [...el.querySelectorAll("tr.trace")].map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent));
  assert.deepEqual(rows, [
    ["Nov 25 03:37", "lookup_order", "12.5 ms", "t1"],
    ["Nov 25 03:37", "lookup_order", "12.5 ms", "t2"],
  ]);
  assert.equal(el.querySelectorAll("tr.trace-detail").length, 1); // the trace that failed, and has content
  assert.equal(el.querySelector(".trace-error")?.textContent, "KeyError: 'id'");
  assert.deepEqual([...el.querySelectorAll("pre.content")].map((p) => [p.getAttribute("data-content"), p.className]), [
    ["input", "content json"],
    ["output", "content"],
  ]);
  assert.equal(el.querySelector("h2")?.textContent, "2 failing traces Nov 25 03:00–04:00 UTC");
});

test("markup in trace names, ids, errors and content stays text", () => {
  const hostile = trace({ name: HOSTILE, trace_id: HOSTILE, input: HOSTILE, output: JSON.stringify({ error: HOSTILE }) });
  const el = tracesList(traces([hostile]));
  assertInert(el);
  assert.equal(el.querySelector(".trace-error")?.textContent, HOSTILE);
  assert.equal(el.querySelector("pre.content")?.textContent, HOSTILE);
  assert.ok([...el.querySelectorAll("td")].some((td) => td.textContent === HOSTILE));
});

test("markup in agent names, headlines and reasons stays text, in the chart and the overview", () => {
  const m: Metrics = {
    account: HOSTILE,
    name: HOSTILE,
    headline: HOSTILE,
    window: { start: "2026-11-25T00:00:00Z", end: "2026-11-25T02:00:00Z", interval_minutes: 60, bucket_count: 2 },
    totals: { trace_count: 3, error_count: 1 },
    error_rate: 1 / 3,
    avg_latency_ms: 20,
    incidents: [{ kind: "spike", ongoing: true, start: "2026-11-25T01:00:00Z", end: null, metrics: ["error_rate"], headline: HOSTILE }],
    table: { interval_minutes: 60, columns: [], rows: [["2026-11-25T00:00:00Z", 2, 0, 10], ["2026-11-25T01:00:00Z", 1, 1, 40]] },
  };
  const chart = metricsView(m, 760, () => {}).element;
  assertInert(chart);
  assert.equal(chart.querySelector(".headline")?.textContent, HOSTILE);
  const overview = overviewView(
    { account: HOSTILE, window: m.window, headline: HOSTILE, agents: [{ name: HOSTILE, status: "failed", error: HOSTILE }] },
    () => {},
  );
  assertInert(overview);
  assert.equal(overview.querySelector(".agent-name")?.textContent, HOSTILE);
});

test("only well-formed JSON-RPC 2.0 messages from the host are read", () => {
  const note = { jsonrpc: "2.0", method: "ui/notifications/tool-result", params: { content: [] } };
  assert.deepEqual(asMessage(note), note);
  assert.deepEqual(asMessage({ jsonrpc: "2.0", id: 1, result: {} }), { jsonrpc: "2.0", id: 1, result: {} });
  for (const bad of [null, "text", { ...note, jsonrpc: "1.0" }, { ...note, method: 7 }, { ...note, params: [] }, { jsonrpc: "2.0", id: {}, result: {} }, { jsonrpc: "2.0", id: 1, error: "no" }]) {
    assert.equal(asMessage(bad), null, JSON.stringify(bad));
  }
});
