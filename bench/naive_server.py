"""A naive wrapper, for comparison: the API reference's example call in a tool that returns the raw JSON.

Same SDK and HTTP stack as astro-mcp, with one pooled client; it just hands the model what the API sent.
Over stdio, or `naive_server.py <port>`: streamable HTTP on 127.0.0.1:<port>, with the SDK's defaults.
"""

import os
import sys
from typing import Any

import httpx2
from mcp.server import MCPServer

mcp = MCPServer("naive", log_level="WARNING")
http = httpx2.AsyncClient(
    base_url=os.environ["ASTRO_API_URL"],
    headers={"Authorization": f"Bearer {os.environ['ASTRO_ACCESS_TOKEN']}"},
    timeout=120,
)


@mcp.tool()
async def get_metrics(account: str, name: str, start_time: str, end_time: str, interval: int = 60) -> dict[str, Any]:
    """Get bucketed trace metrics for an agent over a time range."""
    params: dict[str, str | int] = {"start_time": start_time, "end_time": end_time, "interval": interval}
    response = await http.get(f"/agents/{account}/{name}/observability/metrics", params=params)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


if __name__ == "__main__":
    if len(sys.argv) == 2:
        mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
    else:
        mcp.run()
