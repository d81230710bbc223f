"""The output models, one module per tool family: what a tool returns as `structuredContent`, and so its
`outputSchema`. `metrics` (get_agent_metrics and the resources), `overview`, `fleet` (list_agents), `traces`.
"""

from astro_mcp.analysis.results.fleet import Fleet
from astro_mcp.analysis.results.metrics import MetricsSummary
from astro_mcp.analysis.results.overview import AccountOverview
from astro_mcp.analysis.results.traces import TracesAnswer

__all__ = ["AccountOverview", "Fleet", "MetricsSummary", "TracesAnswer"]
