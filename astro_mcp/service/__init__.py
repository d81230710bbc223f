"""The use cases: resolve the arguments, fetch from the API (concurrently where there are several), analyse.

`core` holds what they share (the client, one cache policy, one clock reading per call) and the metrics
of one agent; `fleet` the accounts and the overview; `traces` the drill-down.
"""

from astro_mcp.service.core import Clock
from astro_mcp.service.fleet import FleetCases
from astro_mcp.service.traces import TraceCases


class Service(FleetCases, TraceCases):
    """What the server does, for its whole lifetime."""


__all__ = ["Clock", "Service"]
