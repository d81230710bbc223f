"""The text a model reads, one module per tool family, and the one answer contract (`answer`).

Each family's `Rendering` (exported here) is what its tool is registered with.
"""

from astro_mcp.render.agents import FLEET
from astro_mcp.render.metrics import METRICS
from astro_mcp.render.overview import OVERVIEW
from astro_mcp.render.traces import TRACES

__all__ = ["FLEET", "METRICS", "OVERVIEW", "TRACES"]
