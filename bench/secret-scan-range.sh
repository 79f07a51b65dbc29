#!/usr/bin/env bash
# Benchmarks the secret-scan gate's diff scope on a real repository's
# history side by side with the gitleaks CLI v8.30.1, both built as
# released (-tags gore2regex), alternating runs in one run on this machine.
#
#   bench/secret-scan-range.sh REPO BASE HEAD [runs]
#
# REPO is a clone (or a bundle, cloned to a temporary directory first: keep
# it outside git, fetched once); BASE..HEAD the range, at least 10,000
# commits for the figure in docs/performance.md. Prints each run (wall,
# user, system seconds, peak KiB), the medians and spread, the ratios
# (release-gate / gitleaks; below 1.0 is faster) and whether both found
# the same gitleaks-rule findings (file, line, rule, commit).
set -euo pipefail
repo=${1:?usage: $0 REPO BASE HEAD [runs]}
base=${2:?usage: $0 REPO BASE HEAD [runs]}
head=${3:?usage: $0 REPO BASE HEAD [runs]}
runs=${4:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

if [[ -f $repo ]]; then
  echo "cloning the bundle $repo..." >&2
  git clone -q "$repo" "$work/repo"
  repo=$work/repo
fi
repo=$(cd "$repo" && pwd)
echo "building release-gate and gitleaks v8.30.1 (-tags gore2regex)..." >&2
(cd "$root" && CGO_ENABLED=0 go build -trimpath -tags gore2regex -ldflags "-s -w" -o "$work/release-gate" .)
GOBIN="$work" CGO_ENABLED=0 go install -trimpath -tags gore2regex -ldflags "-s -w" github.com/zricethezav/gitleaks/v8@v8.30.1
printf 'gates:\n  secret-scan:\n    scope: diff\n    base: %s\n    head: %s\n    forbid-files: []\n' "$base" "$head" >"$work/diff.yml"
echo "$(git -C "$repo" rev-list --count "$base..$head") commits in $base..$head" >&2

once() { # once NAME CMD...: appends "wall user system peak-KiB" to $work/NAME.times
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time" | tee -a "$work/$name.times" | sed "s/^/$name /" >&2
}
cd "$repo"
for _ in $(seq 1 "$runs"); do
  once gitleaks "$work/gitleaks" git . --no-banner --exit-code 0 --log-opts="$base..$head" --report-path "$work/gitleaks.json"
  once release-gate "$work/release-gate" check --config "$work/diff.yml" --json "$work/rg.json"
done

python3 - "$work" <<'PY'
import json, statistics, sys
w = sys.argv[1]
def runs(name):
    return [list(map(float, l.split())) for l in open(f"{w}/{name}.times")]
gl, rg = runs("gitleaks"), runs("release-gate")
for label, i in (("wall", 0), ("cpu", None), ("peak memory", 3)):
    pick = (lambda r: r[1] + r[2]) if i is None else (lambda r: r[i])
    a, b = [pick(r) for r in gl], [pick(r) for r in rg]
    print(f"{label}: gitleaks median {statistics.median(a):.2f} (min {min(a):.2f}, max {max(a):.2f}), "
          f"release-gate median {statistics.median(b):.2f} (min {min(b):.2f}, max {max(b):.2f}), "
          f"ratio {statistics.median(b) / statistics.median(a):.2f}")
ratios = [r[0] / g[0] for g, r in zip(gl, rg)]
print("wall ratio of each pair:", " ".join(f"{x:.2f}" for x in ratios))
a = sorted({(f["File"], f["StartLine"], f["RuleID"], f["Commit"]) for f in json.load(open(f"{w}/gitleaks.json"))})
rep = json.load(open(f"{w}/rg.json"))
b = sorted({(f["file"], f.get("line", 0), f["rule"], f.get("commit", "")) for g in rep["gates"] for f in g["findings"]
            if f.get("commit") and f["file"]})
print(f"findings: gitleaks {len(a)}, release-gate {len(b)}: {'same' if a == b else 'DIFFERENT'}")
if a != b:
    print("  only gitleaks:", sorted(set(a) - set(b))[:10])
    print("  only release-gate:", sorted(set(b) - set(a))[:10])
PY
