#!/usr/bin/env bash
# Benchmarks the alert-presence gate against the issue's budget: classifying
# 10,000 rules must take under 100 ms. Prints each run and the medians, the
# classification as a ratio of the budget (below 1.0 is within budget).
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-5}
out=$(go test -run '^$' -bench 'Classify10k|GateLive10k|GateDelayed' -benchtime 10x -benchmem -count "$count" ./gates/alertpresence/)
echo "$out" | grep -E '^Benchmark'

# median_ms NAME: the median ns/op of benchmark NAME, in milliseconds.
median_ms() {
  echo "$out" | awk -v name="^Benchmark$1" '$0 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i / 1e6 }' |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }'
}
classify=$(median_ms Classify10k)
live=$(median_ms GateLive10k)
# median_delays NAME: the median delays/op of benchmark NAME.
median_delays() {
  echo "$out" | awk -v name="^Benchmark$1" '$0 ~ name { for (i = 1; i < NF; i++) if ($(i+1) == "delays/op") print $i }' |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}
inhibit=$(median_delays 'GateDelayed/inhibit-')
plain=$(median_delays 'GateDelayed/no-inhibit-')
awk -v c="$classify" -v l="$live" 'BEGIN {
  printf "classify 10,000 rules: median %.1f ms; budget 100 ms; ratio %.2f\n", c, c / 100
  printf "whole gate, 10,000 rules from a rules API (one request, decode, classify, checks): median %.1f ms\n", l
}'
# Requests sent one after another would wait 5 and 4 delays.
echo "servers answering each request after 50 ms: a run waits $inhibit delays with inhibit rules (5 requests), $plain without (4 requests)"
