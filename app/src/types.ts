// The structured results the view reads: the `structuredContent` of get_agent_metrics,
// get_account_overview and get_agent_traces, whose output models are in astro_mcp/analysis/results/.
// Fields that newer servers add are optional: from an older server the view still draws what it gets.

export type Status =
  | "outage"
  | "incident"
  | "degraded"
  | "recovered"
  | "healthy"
  | "no_traffic"
  | "failed"
  | "not_deployed";

export type Row = [start: string, traces: number, errors: number, latencyMs: number | null, ...tokens: number[]];
export type ComparisonRow = [traces: number, errors: number, latencyMs: number | null];

export interface TracesCall {
  account: string;
  name: string;
  start_time: string;
  end_time: string | null;
  status: "error" | "ok" | "all";
  order?: "newest" | "slowest" | "spread";
}

export type Kind = "spike" | "regression" | "drift" | "flapping" | "silence" | "recovered";

export interface Incident {
  kind: Kind;
  ongoing: boolean;
  start: string;
  end: string | null;
  metrics: string[];
  headline?: string;
  traces_call?: TracesCall;
}

export interface Anomaly {
  metric: "error_rate" | "avg_latency_ms";
  start: string;
  end: string;
  peak: number;
  baseline: number;
  trace_count: number;
  error_count: number;
}

export interface Metrics {
  account: string;
  name: string;
  status?: Status | null;
  headline?: string | null;
  window: { start: string; end: string; interval_minutes: number; bucket_count: number };
  totals: { trace_count: number; error_count: number };
  error_rate: number | null;
  avg_latency_ms: number | null;
  p95_latency_ms?: number | null;
  incidents?: Incident[] | null;
  anomalies?: Anomaly[] | null;
  comparison?: { label: string; start: string; end: string; rows: ComparisonRow[] } | null;
  idle?: { idle_buckets: number } | null;
  notes?: string[] | null;
  table: { interval_minutes: number; columns: string[]; rows: Row[] };
}

export interface OverviewAgent {
  name: string;
  status: Status;
  headline?: string | null;
  reason?: string | null;
  trace_count?: number | null;
  error_rate?: number | null;
  avg_latency_ms?: number | null;
  sparkline?: number[] | null;
  error?: string | null;
}

export interface Overview {
  account: string;
  window: { start: string; end: string };
  status?: Status | null;
  headline?: string | null;
  agents: OverviewAgent[];
  more_agents?: number;
}

export interface Trace {
  trace_id: string | null;
  name: string | null;
  status: string | null;
  latency_ms: number | null;
  timestamp: string | null;
  /** As text: JSON that was not a string arrives as JSON text; a shortened one ends with a cut mark. */
  input?: string | null;
  output?: string | null;
  error_message?: string | null;
}

export interface Traces {
  account: string;
  name: string;
  window: { start: string; end: string };
  total: number | null;
  traces: Trace[];
  groups?: { name: string; count: number }[] | null;
  next_offset?: number | null;
}

export function isMetrics(data: unknown): data is Metrics {
  return typeof data === "object" && data !== null && "table" in data && "window" in data;
}

export function isOverview(data: unknown): data is Overview {
  return typeof data === "object" && data !== null && Array.isArray((data as Overview).agents);
}

export function isTraces(data: unknown): data is Traces {
  return typeof data === "object" && data !== null && Array.isArray((data as Traces).traces);
}
