#!/usr/bin/env bash
# Benchmarks the staging-analysis gate: a ten-query analysis against a real
# Prometheus (backfilled with promtool), beside the same ten instant queries
# sent one after the other with net/http, as a curl loop would. Prints each
# run, the medians, the request counts and the ratio gate / loop.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-5}
out=$(go test -run '^$' -bench 'Analysis10|PlainLoop10' -count "$count" ./gates/staginganalysis/)
echo "$out" | grep -E '^Benchmark'

# median_ms NAME: the median ns/op of benchmark NAME, in milliseconds.
median_ms() {
  echo "$out" | awk -v name="^Benchmark$1" '$0 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i / 1e6 }' |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}
requests() {
  echo "$out" | awk -v name="^Benchmark$1" '$0 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == "requests/op") print $i }' | tail -1
}
gate=$(median_ms Analysis10)
loop=$(median_ms PlainLoop10)
awk -v g="$gate" -v l="$loop" -v rg="$(requests Analysis10)" -v rl="$(requests PlainLoop10)" 'BEGIN {
  printf "ten-query analysis: gate %s requests, loop %s requests; time ratio gate / loop %.2f\n", rg, rl, g / l
}'
