#!/usr/bin/env bash
# Runs every check and test of hubgen on a machine with Go and Node:
# installs the Node packages the interop suites need (npm ci), checks formatting,
# vet and staticcheck, runs all Go tests with the race detector, then fuzzes each
# fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm ci"
for lock in $(git ls-files '*package-lock.json'); do
  npm ci --prefix "$(dirname "$lock")" --no-audit --no-fund --loglevel=error
done

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-clean:"; echo "$unformatted"; exit 1
fi

echo "== go vet, staticcheck"
staticcheck="go run honnef.co/go/tools/cmd/staticcheck@v0.8.2"
go vet ./...
$staticcheck ./...
(cd bench && go vet ./... && $staticcheck ./...)

echo "== generated code is up to date"
# hubgen -check (HUBGEN_CHECK) writes nothing and names the stale files.
HUBGEN_CHECK=1 go generate ./examples/...

echo "== go test -race"
go test -race -count=1 ./...
(cd bench && go build -o /dev/null ./...)

# Each fuzz target runs on its seed corpus with the tests above; here each also
# fuzzes for a short while (FUZZTIME, 5 s by default); with the instrumented
# build each target needs, about two and a half minutes on 2 cores.
echo "== go test -fuzz"
for file in $(grep -l '^func Fuzz' $(git ls-files --cached --others --exclude-standard '*_test.go')); do
  for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME:-5s}" "./$(dirname "$file")"
  done
done
