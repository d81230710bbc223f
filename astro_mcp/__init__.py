from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml holds the only copy of the version; the installed metadata carries it here.
    __version__ = version("astro-ai-mcp")
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"
