#!/usr/bin/env bash
# Sets up and runs the clock example: installs the page's npm packages, builds
# the page's script (the generated TypeScript client, type-checked by tsc and
# bundled by esbuild into examples/clock/dist), starts the server, and runs the
# console client beside it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --prefix examples/clock --no-audit --no-fund --loglevel=error
npm run build --prefix examples/clock --silent
bin=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$bin"' EXIT
go build -o "$bin/server" ./examples/clock/server
go build -o "$bin/client" ./examples/clock/client
"$bin/server" "$@" &
server=$!
echo
echo "  The clock is at http://localhost:5000 in your browser."
echo "  The console client below prints the time the server sends each second."
echo "  Ctrl-C stops both."
echo
"$bin/client"
