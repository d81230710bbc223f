import { h } from "./dom";
import type { Metrics, Status } from "./types";

export const LABELS: Record<Status, string> = {
  outage: "Outage",
  recovered: "Recovered",
  healthy: "Healthy",
  degraded: "Degraded",
  incident: "Incident",
  no_traffic: "No traffic",
  failed: "Failed",
  not_deployed: "Not deployed",
};

/** The server's status; for an older server without one, the nearest reading of its anomalies. */
export function statusOf(m: Metrics, ongoing: boolean): Status {
  if (m.status) return m.status;
  if (m.totals.trace_count === 0) return "no_traffic";
  if (ongoing) return "incident";
  return (m.anomalies ?? []).length > 0 ? "degraded" : "healthy";
}

export function pill(status: Status): HTMLElement {
  return h("span", { class: `pill status-${status}`, "data-status": status }, LABELS[status]);
}
