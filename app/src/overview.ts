import { h, s } from "./dom";
import { count, latency, percent, span } from "./format";
import { LABELS, pill } from "./status";
import type { Overview, OverviewAgent } from "./types";

export function overviewView(o: Overview, onAgent: (a: OverviewAgent) => void): HTMLElement {
  const rows = o.agents.map((a) => {
    const row = h(
      "tr",
      { class: `agent status-${a.status}`, tabindex: "0", "data-agent": a.name, title: `Open the chart of ${a.name}` },
      h("td", {}, pill(a.status)),
      h("td", {}, h("div", { class: "agent-name" }, a.name), h("div", { class: "subline" }, a.error ?? a.reason ?? a.headline ?? LABELS[a.status])),
      h("td", { class: "num" }, a.trace_count == null ? "–" : count(a.trace_count)),
      h("td", { class: "num" }, a.error_rate == null ? "–" : percent(a.error_rate)),
      h("td", { class: "num" }, a.avg_latency_ms == null ? "–" : latency(a.avg_latency_ms)),
      h("td", {}, sparkline(a.sparkline ?? [])),
    );
    row.addEventListener("click", () => onAgent(a));
    row.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") onAgent(a);
    });
    return row;
  });
  const more = o.more_agents ? h("p", { class: "subline" }, `${o.more_agents} more agent(s) not shown.`) : null;
  return h(
    "article",
    { class: "overview" },
    h(
      "header",
      {},
      h("div", { class: "title-row" }, o.status ? pill(o.status) : null, h("h1", { class: "headline" }, o.headline ?? o.account)),
      h("p", { class: "subline" }, `${o.headline ? `${o.account} · ` : ""}${span(Date.parse(o.window.start), Date.parse(o.window.end))} · worst first; click an agent for its chart`),
    ),
    h(
      "table",
      { class: "agents" },
      h("thead", {}, h("tr", {}, h("th", {}, "Status"), h("th", {}, "Agent"), h("th", { class: "num" }, "Traces"), h("th", { class: "num" }, "Errors"), h("th", { class: "num" }, "Latency"), h("th", {}, "Traffic"))),
      h("tbody", {}, ...rows),
    ),
    more,
  );
}

function sparkline(values: number[]): SVGElement {
  const width = 120;
  const height = 24;
  const svg = s("svg", { class: "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });
  const max = Math.max(1, ...values);
  const w = width / Math.max(1, values.length);
  values.forEach((v, i) => {
    const bh = v === 0 ? 1 : Math.max(1.5, (v / max) * (height - 2));
    svg.append(s("rect", { class: v === 0 ? "spark-idle" : "spark-bar", x: (i * w + 0.5).toFixed(1), y: (height - bh).toFixed(1), width: Math.max(0.5, w - 1).toFixed(1), height: bh.toFixed(1) }));
  });
  return svg;
}
