#!/usr/bin/env bash
# esdb conformance: the official EventStore-Client-Go v4.2.0 test suite
# (esdb/*_test.go, from the module cache) run against esdbtest, the
# in-process server, in a temporary copy of the client module whose
# container set-up is replaced by containers_test.go of this directory.
# Two passes: plain gRPC, then TLS with basic auth (EVENTSTORE_INSECURE).
# Prints passed / skipped (with reasons) / failed and exits 1 on a failure.
#
# Usage: run.sh REPO_DIR   (make esdb-conformance)
# REPO_DIR is the breachledger tree whose esdbtest serves the suite (the
# copy's go.mod replaces the module with it), e.g. a snapshot made with
# git archive to run the suite against a committed server.
# GO: the go command (default go).
# ESDB_CONFORMANCE_TIMEOUT: go test -timeout of each pass (default 90s; a
# pass takes about 10 s, its longest wait in the suite is 30 s).
# ESDB_CONFORMANCE_KEEP=1 keeps the temporary copy and prints its path.
set -euo pipefail

repo=$(cd "${1:?usage: run.sh REPO_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
version=v4.2.0
timeout=${ESDB_CONFORMANCE_TIMEOUT:-90s}
go=${GO:-go}

cd "$repo"
"$go" mod download github.com/EventStore/EventStore-Client-Go/v4@$version
src="$("$go" env GOMODCACHE)/github.com/!event!store/!event!store-!client-!go/v4@$version"
gover=$("$go" list -m -f '{{.GoVersion}}')

work=$(mktemp -d)
if [ "${ESDB_CONFORMANCE_KEEP:-}" = 1 ]; then
	echo "temporary copy kept in $work"
else
	trap 'rm -rf "$work"' EXIT
fi
cp -r "$src" "$work/client"
chmod -R u+w "$work/client"
cd "$work/client"
cp "$here/containers_test.go" esdb/containers_test.go
"$go" mod edit -go="$gover" -toolchain=none \
	-require=github.com/breachledger/breachledger@v0.0.0 \
	-replace=github.com/breachledger/breachledger="$repo"
"$go" mod tidy 2>"$work/tidy.log" || { cat "$work/tidy.log"; exit 1; }

# One go test per pass (the second reuses the build); the summary decides
# from the events, and a nonzero exit with no failed test (a build error, a
# panic, a timeout) is a failure too.
status=0
EVENTSTORE_INSECURE=true "$go" test -json -count=1 -timeout "$timeout" ./esdb >"$work/plain.json" 2>&1 || status=$?
EVENTSTORE_INSECURE=false "$go" test -json -count=1 -timeout "$timeout" ./esdb >"$work/tls.json" 2>&1 || status=$?
cd "$repo"
"$go" run "$here/summary.go" -status "$status" plain="$work/plain.json" tls="$work/tls.json"
