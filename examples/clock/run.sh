#!/usr/bin/env bash
# Sets up and runs the clock example: installs the page's npm packages (again
# only when package-lock.json changed), builds the page's script (the generated
# TypeScript client, type-checked by tsc and bundled by esbuild into
# examples/clock/dist), builds the server and the console client, starts the
# server, waits until it listens, then runs the client beside it. Each line is
# prefixed with the process it comes from. Ctrl-C (or SIGTERM) stops both and
# exits 0.
#
#	examples/clock/run.sh [server flags, e.g. -addr localhost:5055 -interval 2s]
set -euo pipefail
cd "$(dirname "$0")/../.."
example=examples/clock

# npm ci only when the lock file is newer than the last install.
stamp=$example/node_modules/.hubgen-npm-ci
if [ ! -f "$stamp" ] || [ "$example/package-lock.json" -nt "$stamp" ]; then
  echo "== installing the page's npm packages (npm ci)"
  npm ci --prefix "$example" --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
echo "== building the page's script (tsc, esbuild)"
npm run build --prefix "$example" --silent

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hubgen-clock.XXXXXX")
server= client=
stop() {
  trap - EXIT INT TERM
  for pid in $client $server; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $client $server; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap 'status=$?; stop; exit $status' EXIT
trap 'stop; exit 0' INT TERM

echo "== building the server and the console client (the first build downloads modules and takes a minute or two)"
go build -o "$tmp/server" ./$example/server
go build -o "$tmp/client" ./$example/client

# prefix NAME copies its input to stdout, each line prefixed with NAME; on the
# server's "listening" line it writes the server's URL to $tmp/url.
prefix() {
  local line
  trap '' INT # Ctrl-C reaches the whole group: keep copying until the process ends
  while IFS= read -r line; do
    printf '%s | %s\n' "$1" "$line"
    if [ "$1" = server ] && [ ! -f "$tmp/url" ] && [[ $line == *"clock server listening"* ]]; then
      url=${line##*url=}
      echo "${url%% *}" >"$tmp/url.new" && mv "$tmp/url.new" "$tmp/url"
    fi
  done
}

"$tmp/server" "$@" > >(prefix server) 2>&1 &
server=$!
for _ in $(seq 300); do
  [ -f "$tmp/url" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    wait "$server" || true
    echo "run.sh: the server stopped before it listened (is the address taken? pass -addr host:port)" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -f "$tmp/url" ]; then
  echo "run.sh: the server did not listen within 30 s" >&2
  exit 1
fi
url=$(cat "$tmp/url")

echo
echo "  The clock is at $url in your browser."
echo "  The console client below prints the time the server sends each second."
echo "  Ctrl-C stops both."
echo
"$tmp/client" -url "$url/hubs/clock" > >(prefix client) 2>&1 &
client=$!

# Run until a signal arrives or either process ends on its own. (The wait
# returns at once when a signal arrives; a foreground sleep would not.)
while kill -0 "$server" 2>/dev/null && kill -0 "$client" 2>/dev/null; do
  sleep 0.5 &
  wait $! || true
done
echo "run.sh: a process ended on its own; stopping the other" >&2
exit 1
