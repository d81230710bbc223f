// The failing traces of an incident, as a table: when, which operation, how long, the trace id, and
// under each its error message and (folded) its input and output. Everything shown is upstream text:
// it only ever becomes text nodes, and JSON is parsed to be re-indented, never evaluated.

import { h } from "./dom";
import { count, latency, plural, span, stamp } from "./format";
import type { Trace, Traces } from "./types";

export const MAX_LINES = 40;
export const MAX_CHARS = 4000;
const MAX_ERROR = 300;

/** JSON text (an object or an array), parsed; anything else, including cut JSON, gives undefined. */
function parsed(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function bounded(text: string): string {
  const lines = text.split("\n");
  const kept = lines.slice(0, MAX_LINES).join("\n");
  const cut = kept.length > MAX_CHARS ? kept.slice(0, MAX_CHARS) : kept;
  return cut.length < text.length ? `${cut}\n… [${plural(text.length - cut.length, "more character")}]` : cut;
}

/** Trace content as shown: JSON indented as JSON, other text as it is; both bounded. */
export function contentText(text: string): { text: string; json: boolean } {
  const value = parsed(text);
  return value === undefined ? { text: bounded(text), json: false } : { text: bounded(JSON.stringify(value, null, 2)), json: true };
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}

/**
 * What went wrong, in one line: the message the server names, else what a failed trace answered: its
 * output's `error` (a string, or `type: message`) when the output is JSON, or the output text itself.
 */
export function errorMessage(tr: Trace): string | null {
  if (tr.error_message) return oneLine(tr.error_message);
  if (tr.status !== "error" || !tr.output) return null;
  const value = parsed(tr.output);
  const error = typeof value === "object" && value !== null && "error" in value ? (value as { error: unknown }).error : undefined;
  if (typeof error === "string") return oneLine(error);
  if (typeof error === "object" && error !== null) {
    const { type, message } = error as { type?: unknown; message?: unknown };
    const parts = [type, message].filter((p): p is string => typeof p === "string");
    return oneLine(parts.length ? parts.join(": ") : JSON.stringify(error));
  }
  return oneLine(tr.output);
}

function content(tr: Trace): HTMLElement | null {
  const parts = (["input", "output"] as const).flatMap((key) => {
    const value = tr[key];
    if (value === null || value === undefined) return [];
    const shown = contentText(value);
    return [h("div", { class: "content-label" }, key), h("pre", { class: shown.json ? "content json" : "content", "data-content": key }, shown.text)];
  });
  return parts.length ? h("details", {}, h("summary", {}, "Input and output"), ...parts) : null;
}

function rows(tr: Trace): HTMLElement[] {
  const main = h(
    "tr",
    { class: "trace" },
    h("td", {}, tr.timestamp ? stamp(Date.parse(tr.timestamp)) : "–"),
    h("td", {}, tr.name ?? "(unnamed)"),
    h("td", { class: "num" }, tr.latency_ms == null ? "–" : latency(tr.latency_ms)),
    h("td", { class: "mono" }, tr.trace_id ?? "–"),
  );
  const error = errorMessage(tr);
  const more = content(tr);
  if (!error && !more) return [main];
  main.classList.add("has-detail");
  const detail = h("td", { colspan: 4 }, error ? h("div", { class: "trace-error" }, error) : null, more);
  return [main, h("tr", { class: "trace-detail" }, detail)];
}

export function tracesList(t: Traces): HTMLElement {
  const when = span(Date.parse(t.window.start), Date.parse(t.window.end));
  if (t.traces.length === 0) return h("p", { class: "notice" }, `No failing traces ${when}.`);
  const total = t.total ?? t.traces.length;
  const more = total > t.traces.length ? h("p", { class: "subline" }, `Showing ${t.traces.length} of ${count(total)}.`) : null;
  const head = h("tr", {}, h("th", {}, "Time (UTC)"), h("th", {}, "Operation"), h("th", { class: "num" }, "Latency"), h("th", {}, "ID"));
  return h(
    "div",
    {},
    h("h2", {}, `${plural(total, "failing trace")} ${when}`),
    h("table", { class: "trace-table" }, h("thead", {}, head), h("tbody", {}, ...t.traces.flatMap(rows))),
    more,
  );
}
