import { drawChart, type Episode } from "./chart";
import { h } from "./dom";
import { count, latency, minutes, percent, periodWord, span } from "./format";
import { pill, statusOf } from "./status";
import type { Kind, Metrics, TracesCall } from "./types";

export interface EpisodeWithCall extends Episode {
  call: TracesCall;
}

const KIND_LABEL = { spike: "Error spike", regression: "Latency regression" } as const;
// The server's kinds of incident, as the chart shades them: what came and went, or what holds.
const SHADE: Record<Kind, Episode["kind"]> = {
  spike: "spike",
  recovered: "spike",
  regression: "regression",
  drift: "regression",
  flapping: "regression",
  silence: "regression",
};

/** Incidents as the server tells them; from an older server, its anomalies (one reaching the window's end is ongoing). */
export function episodesOf(m: Metrics): EpisodeWithCall[] {
  const base = { account: m.account, name: m.name, status: "error" as const };
  if (m.incidents) {
    return m.incidents.map((i) => ({
      label: KIND_LABEL[SHADE[i.kind]],
      kind: SHADE[i.kind],
      start: Date.parse(i.start),
      end: i.ongoing || i.end === null ? null : Date.parse(i.end),
      headline: i.headline ?? `${KIND_LABEL[SHADE[i.kind]]} ${span(Date.parse(i.start), i.end === null ? null : Date.parse(i.end))}`,
      call: i.traces_call ?? { ...base, start_time: i.start, end_time: i.end ?? m.window.end },
    }));
  }
  return (m.anomalies ?? []).map((a) => {
    const kind = a.metric === "error_rate" ? "spike" : "regression";
    const ongoing = a.end === m.window.end;
    const peak = a.metric === "error_rate" ? percent(a.peak) : latency(a.peak);
    const typical = a.metric === "error_rate" ? percent(a.baseline) : latency(a.baseline);
    return {
      label: KIND_LABEL[kind],
      kind,
      start: Date.parse(a.start),
      end: ongoing ? null : Date.parse(a.end),
      headline: `${KIND_LABEL[kind]}: up to ${peak} against a typical ${typical}`,
      call: { ...base, start_time: a.start, end_time: a.end },
    };
  });
}

export interface MetricsView {
  element: HTMLElement;
  showTraces(content: Node): void;
}

export function metricsView(m: Metrics, width: number, onEpisode: (e: EpisodeWithCall) => void): MetricsView {
  const episodes = episodesOf(m);
  const status = statusOf(m, episodes.some((e) => e.end === null));
  const ref = `${m.account}/${m.name}`;
  const header = h(
    "header",
    {},
    h("div", { class: "title-row" }, pill(status), h("h1", { class: "headline" }, m.headline ?? ref)),
    h(
      "p",
      { class: "subline" },
      `${m.headline ? `${ref} · ` : ""}${span(Date.parse(m.window.start), Date.parse(m.window.end))} · ${minutes(m.table.interval_minutes)} periods`,
    ),
  );
  const t = m.totals;
  const stats = h(
    "dl",
    { class: "stats" },
    ...stat("Traces", count(t.trace_count)),
    ...stat("Errors", t.trace_count ? `${count(t.error_count)} (${percent(m.error_rate ?? t.error_count / t.trace_count)})` : "–"),
    ...stat("Mean latency", m.avg_latency_ms === null ? "–" : latency(m.avg_latency_ms)),
    ...(m.p95_latency_ms != null ? stat("p95 latency", latency(m.p95_latency_ms)) : []),
  );
  const legend = h(
    "ul",
    { class: "legend" },
    key("k-bar", `Traces per ${periodWord(m.table.interval_minutes)}`),
    key("k-line k-errors", "Error rate"),
    key("k-line k-latency", "Mean latency"),
    m.comparison ? key("k-prior", m.comparison.label) : null,
    episodes.some((e) => e.kind === "spike") ? key("k-spike", "Error spike") : null,
    episodes.some((e) => e.kind === "regression") ? key("k-regression", "Latency regression") : null,
    (m.idle?.idle_buckets ?? 0) > 0 ? key("k-idle", "Idle (no traces)") : null,
  );
  const traces = h("section", { class: "traces", "aria-live": "polite" });
  const list = episodes.length
    ? h(
        "ul",
        { class: "incidents" },
        ...episodes.map((e) =>
          h(
            "li",
            {},
            h("span", { class: `dot-${e.kind}` }),
            h("div", {}, h("strong", {}, e.label), ` · ${span(e.start, e.end)}`, h("div", { class: "subline" }, e.headline)),
            button("Failing traces", () => onEpisode(e), { "data-episode": String(episodes.indexOf(e)) }),
          ),
        ),
      )
    : null;
  const element = h(
    "article",
    { class: "metrics" },
    header,
    stats,
    legend,
    drawChart(m, episodes, width, (e) => onEpisode(e as EpisodeWithCall)),
    list,
    traces,
  );
  return { element, showTraces: (content) => traces.replaceChildren(content) };
}

function stat(label: string, value: string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function key(cls: string, label: string): HTMLElement {
  return h("li", {}, h("span", { class: `key ${cls}` }), label);
}

export function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h("button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}
