"""The floor for cold start: a bare MCPServer with one trivial tool, over stdio."""

from mcp.server import MCPServer

mcp = MCPServer("floor")


@mcp.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    mcp.run()
