import type { McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { Bridge } from "./bridge";
import { h } from "./dom";
import { button, metricsView, type EpisodeWithCall } from "./metrics";
import { tracesList } from "./traces";
import { overviewView } from "./overview";
import { isMetrics, isOverview, isTraces, type Overview, type OverviewAgent } from "./types";

const root = document.getElementById("root") as HTMLElement;

let current: CallToolResult | null = null;
let overview: Overview | null = null; // kept while an agent opened from it is shown, for "back"
let drawnWidth = 0;

function width(): number {
  return Math.max(320, Math.floor(root.clientWidth));
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

function notice(message: string, detail?: string): HTMLElement {
  return h("div", { class: "notice" }, h("p", {}, message), detail ? h("pre", {}, detail) : null);
}

function render(result: CallToolResult): void {
  current = result;
  const data = result.structuredContent;
  root.dataset.state = "ready";
  if (result.isError) {
    root.replaceChildren(notice("The tool reported an error.", textOf(result)));
  } else if (isOverview(data)) {
    overview = data;
    root.replaceChildren(overviewView(data, openAgent));
  } else if (isMetrics(data)) {
    drawnWidth = width();
    const view = metricsView(data, drawnWidth, (e) => void showTraces(e, view.showTraces));
    const back = overview ? button("← All agents", () => overview && render({ content: [], structuredContent: overview as unknown as Record<string, unknown> }), { class: "back" }) : null;
    root.replaceChildren(...(back ? [back] : []), view.element);
  } else {
    // Some hosts drop structuredContent: say so instead of showing an empty frame.
    root.replaceChildren(notice("This host passed no structured result, so there is no chart; the text answer has the figures.", textOf(result)));
  }
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return bridge.callTool(name, args);
}

async function showTraces(e: EpisodeWithCall, show: (n: Node) => void): Promise<void> {
  show(h("p", { class: "subline" }, `Asking for the failing traces of the ${e.label.toLowerCase()}…`));
  try {
    const result = await call("get_agent_traces", { ...e.call });
    const data = result.structuredContent;
    show(result.isError || !isTraces(data) ? notice("The traces could not be listed.", textOf(result)) : tracesList(data));
  } catch (err) {
    show(notice("The host did not run the traces tool.", String(err)));
  }
}

async function openAgent(a: OverviewAgent): Promise<void> {
  if (!overview) return;
  root.dataset.state = "loading";
  root.replaceChildren(h("p", { class: "subline" }, `Loading the chart of ${a.name}…`));
  const { account, window } = overview;
  try {
    render(await call("get_agent_metrics", { account, name: a.name, start_time: window.start, end_time: window.end }));
  } catch (err) {
    root.replaceChildren(notice(`The chart of ${a.name} could not be loaded.`, String(err)));
  }
}

/** The host's theme, colour variables and fonts, as the spec's host context carries them. */
function applyContext(ctx: McpUiHostContext): void {
  const doc = document.documentElement;
  if (ctx.theme) {
    doc.dataset.theme = ctx.theme;
    doc.style.colorScheme = ctx.theme;
  }
  for (const [name, value] of Object.entries(ctx.styles?.variables ?? {})) {
    if (value !== undefined) doc.style.setProperty(name, value);
  }
  const fonts = ctx.styles?.css?.fonts;
  if (fonts && !document.getElementById("host-fonts")) document.head.append(h("style", { id: "host-fonts" }, fonts));
}

const bridge = new Bridge({
  toolInput(args) {
    if (current) return;
    const name = typeof args?.name === "string" ? ` of ${args.name}` : "";
    root.replaceChildren(h("p", { class: "subline" }, `Loading the metrics${name}…`));
  },
  toolResult: render,
  toolCancelled(reason) {
    root.dataset.state = "ready";
    root.replaceChildren(notice(`The tool call was cancelled${reason ? ` (${reason})` : ""}: there is nothing to show.`));
  },
  hostContext: applyContext,
});

new ResizeObserver(() => {
  // Redraw the chart at a new width; height changes are the bridge's to report.
  if (current && width() !== drawnWidth && isMetrics(current.structuredContent)) render(current);
}).observe(root);

bridge.connect({ name: "astro-mcp chart", version: "1.0.0" }).catch((err: unknown) => {
  root.replaceChildren(notice("The host did not complete the MCP Apps handshake.", String(err)));
});
