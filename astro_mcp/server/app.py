"""The MCP App (`io.modelcontextprotocol/ui`): the chart a host shows under a tool's result.

The view is one self-contained HTML file built from `app/` (see its package.json) and shipped as
package data. It is read from disk when a host asks for it, never at import, and declares no CSP
domains: it needs no network. Hosts without Apps support simply get the text and JSON as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.server.apps import APP_MIME_TYPE, Apps
from mcp.server.mcpserver.resources import FileResource

VIEW_URI = "ui://astro/metrics.html"
VIEW_META: dict[str, Any] = {"ui": {"resourceUri": VIEW_URI}}
"""The `_meta` that binds a tool's result to the view."""


def apps() -> Apps:
    """The Apps extension, serving the view lazily from the package."""
    extension = Apps()
    extension.add_resource(
        FileResource(
            uri=VIEW_URI,
            name="metrics_chart",
            title="Agent metrics chart",
            description="Interactive chart of an agent's traces, error rate and latency, or of an account's agents.",
            mime_type=APP_MIME_TYPE,
            path=Path(__file__).with_name("view.html"),
            encoding="utf-8",
            meta={"ui": {"prefersBorder": True}},
        )
    )
    return extension
