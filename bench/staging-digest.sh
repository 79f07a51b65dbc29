#!/usr/bin/env bash
# Benchmark of the staging-digest gate against its anchor, side by side in one
# run: `release-gate check --gates staging-digest` versus two
# `crane digest --insecure` calls (one per reference), on the same local
# Debian docker-registry, with the same image pushed by crane.
#
# Prints the mean wall time per iteration of each, the ratio (target <= 1.0),
# and the requests each made, counted in the registry's access log.
#
# Usage: bench/staging-digest.sh [iterations]   (default 30; N=... works too)
# Needs: go, docker-registry (Debian package), the Go module proxy for crane.
set -euo pipefail

n=${1:-${N:-30}}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
reg_pid=
cleanup() {
	if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt-get install docker-registry)" >&2; exit 2; }

echo "building release-gate and installing crane v0.22.1 ..." >&2
(cd "$repo" && go build -o "$tmp/release-gate" .)
GOBIN=$tmp go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
crane=$tmp/crane
rg=$tmp/release-gate

# Start the registry on a free port (try a few random ones).
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 40000))
	host=127.0.0.1:$port
	cat >"$tmp/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $tmp/data
http:
  addr: $host
EOF
	env -i "$(command -v docker-registry)" serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
	reg_pid=$!
	for _ in $(seq 100); do
		if curl -fsS "http://$host/v2/" >/dev/null 2>&1; then break 2; fi
		kill -0 "$reg_pid" 2>/dev/null || break
		sleep 0.02
	done
	kill "$reg_pid" 2>/dev/null || true
	wait "$reg_pid" 2>/dev/null || true
	reg_pid=
done
[ -n "$reg_pid" ] || { echo "could not start docker-registry" >&2; cat "$tmp/registry.log" >&2; exit 1; }

# An image pushed with crane, tagged for the candidate and for staging.
head -c 65536 /dev/urandom >"$tmp/blob"
tar -C "$tmp" -cf "$tmp/layer.tar" blob
"$crane" append --insecure -f "$tmp/layer.tar" -t "$host/bench/app:candidate" >/dev/null 2>&1
"$crane" tag --insecure "$host/bench/app:candidate" staging >/dev/null 2>&1

cat >"$tmp/release-gate.yml" <<EOF
version: 1
gates:
  staging-digest:
    image: $host/bench/app:candidate
    staging: $host/bench/app:staging
    insecure: true
EOF

# The environment of both tools: no docker config of this machine, no CI.
run_env=(env -i "PATH=$PATH" "HOME=$tmp/home")
mkdir -p "$tmp/home" "$tmp/ws"

if ! out=$(cd "$tmp/ws" && "${run_env[@]}" "$rg" validate --config "$tmp/release-gate.yml" 2>&1); then
	echo "release-gate does not know the staging-digest gate yet (not wired in gatelist.go?):" >&2
	echo "$out" >&2
	exit 2
fi

gate() { (cd "$tmp/ws" && "${run_env[@]}" "$rg" check --gates staging-digest --config "$tmp/release-gate.yml" --format text >"$tmp/gate.out" 2>&1); }
crane2() {
	"${run_env[@]}" "$crane" digest --insecure "$host/bench/app:candidate" >/dev/null
	"${run_env[@]}" "$crane" digest --insecure "$host/bench/app:staging" >/dev/null
}

# Requests, from the registry's access log (one line per request).
count() {
	local before after
	before=$(grep -c '"[A-Z]* /v2/' "$tmp/registry.log" || true)
	"$@"
	after=$(grep -c '"[A-Z]* /v2/' "$tmp/registry.log" || true)
	echo $((after - before))
}
manifests() {
	local before after
	before=$(grep -c '/manifests/' "$tmp/registry.log" || true)
	"$@"
	after=$(grep -c '/manifests/' "$tmp/registry.log" || true)
	echo $((after - before))
}

# Warm up (page cache, first connection) and check the verdict.
if ! gate; then echo "release-gate did not pass:" >&2; cat "$tmp/gate.out" >&2; exit 1; fi
crane2

gate_reqs=$(count gate); gate_man=$(manifests gate)
crane_reqs=$(count crane2); crane_man=$(manifests crane2)

now() { date +%s%N; }
gate_ns=0 crane_ns=0
for _ in $(seq "$n"); do
	t0=$(now); gate || { echo "release-gate failed:" >&2; cat "$tmp/gate.out" >&2; exit 1; }
	t1=$(now); crane2
	t2=$(now)
	gate_ns=$((gate_ns + t1 - t0))
	crane_ns=$((crane_ns + t2 - t1))
done

awk -v n="$n" -v g="$gate_ns" -v c="$crane_ns" -v gr="$gate_reqs" -v gm="$gate_man" -v cr="$crane_reqs" -v cm="$crane_man" 'BEGIN {
	printf "iterations:                                  %d\n", n
	printf "release-gate check --gates staging-digest:   %7.2f ms/run  (%d requests, %d manifest)\n", g / n / 1e6, gr, gm
	printf "2 x crane digest --insecure:                 %7.2f ms/run  (%d requests, %d manifest)\n", c / n / 1e6, cr, cm
	printf "ratio release-gate / crane:                  %7.2f  (target <= 1.0)\n", g / c
}'
