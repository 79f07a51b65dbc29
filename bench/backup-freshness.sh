#!/usr/bin/env bash
# Benchmark of the backup-freshness gate's verification (issue 5).
#
# Anchor: `gzip -t FILE && sha256sum FILE` on the same file. The gate reads
# the file once, hashing and decompressing it in parallel, and must be no
# slower (ratio <= 1.0) with peak memory under 64 MiB whatever the size.
#
# Usage: bench/backup-freshness.sh            # one 256 MiB gzip dump
#        MIBS="64 256 1024" RUNS=5 bench/backup-freshness.sh
# Needs gzip, sha256sum and GNU time (/usr/bin/time). Files go to a temporary
# directory (BENCH_DIR to choose it) and are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

MIBS=${MIBS:-256}
RUNS=${RUNS:-3}
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/backup-freshness-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

go build -o "$dir/driver" ./bench/backup-freshness

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-8s %-10s %-12s %-12s %-7s %-14s %s\n' size raw "anchor (s)" "gate (s)" ratio "gate max RSS" "anchor max RSS"
for mib in $MIBS; do
  f="$dir/backup-$mib.sql.gz"
  "$dir/driver" gen -mib "$mib" -out "$f"
  (cd "$dir" && sha256sum "$(basename "$f")" >"$(basename "$f").sha256")
  # Warms the page cache (both sides then read from it) and says how big
  # the dump is decompressed (gzip -l reads the whole file for that).
  raw=$("$dir/driver" verify "$f" | sed -n 's/.*gzip ok (\(.*\) decompressed).*/\1/p')
  : >"$dir/anchor" ; : >"$dir/gate"
  for _ in $(seq "$RUNS"); do
    # Alternate the two so that neither gets a warmer machine.
    # shellcheck disable=SC2016 # the inner shell expands $1
    /usr/bin/time -f '%e %M' -o "$dir/t" sh -c 'gzip -t "$1" && sha256sum "$1" >/dev/null' sh "$f"
    cat "$dir/t" >>"$dir/anchor"
    /usr/bin/time -f '%e %M' -o "$dir/t" "$dir/driver" verify "$f" >/dev/null
    cat "$dir/t" >>"$dir/gate"
  done
  a=$(awk '{print $1}' "$dir/anchor" | median)
  g=$(awk '{print $1}' "$dir/gate" | median)
  grss=$(awk '{print $2}' "$dir/gate" | sort -n | tail -1)
  arss=$(awk '{print $2}' "$dir/anchor" | sort -n | tail -1)
  printf '%-8s %-10s %-12s %-12s %-7s %-14s %s\n' "${mib}MiB" "$raw" "$a" "$g" \
    "$(awk -v g="$g" -v a="$a" 'BEGIN {printf "%.2f", g/a}')" \
    "$(awk -v k="$grss" 'BEGIN {printf "%.1f MiB", k/1024}')" \
    "$(awk -v k="$arss" 'BEGIN {printf "%.1f MiB", k/1024}')"
  rm -f "$f" "$f.sha256"
done
echo "median of $RUNS alternating runs each; ratio = gate / anchor (<= 1.0 wanted); $(nproc) CPUs"
