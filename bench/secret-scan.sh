#!/usr/bin/env bash
# Benchmarks the secret-scan gate side by side with the gitleaks CLI v8.30.1,
# both built as released (-tags gore2regex), in one run on this machine:
#
#   tree: $(go env GOROOT)/src copied into a git repository (one commit),
#         release-gate's tree scope vs `gitleaks dir`;
#   diff: 50 more commits on top, release-gate's diff scope vs
#         `gitleaks git --log-opts=BASE..HEAD`.
#
# Prints wall time and peak memory of each, the ratios (release-gate /
# gitleaks; below 1.0 is faster) and whether both found the same
# gitleaks-rule findings. Usage: bench/secret-scan.sh [runs] (default 3).
set -euo pipefail
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

echo "building release-gate and gitleaks v8.30.1 (-tags gore2regex)..." >&2
(cd "$root" && CGO_ENABLED=0 go build -trimpath -tags gore2regex -ldflags "-s -w" -o "$work/release-gate" .)
GOBIN="$work" CGO_ENABLED=0 go install -trimpath -tags gore2regex -ldflags "-s -w" github.com/zricethezav/gitleaks/v8@v8.30.1

echo "making the test repository from $(go env GOROOT)/src..." >&2
repo="$work/src"
cp -r "$(go env GOROOT)/src" "$repo"
git_() { git -C "$repo" -c user.name=bench -c user.email=bench@example.com "$@"; }
git_ init -q -b main
git_ add -A
git_ commit -q -m "go source tree"
base=$(git_ rev-parse HEAD)
# 50 commits that each edit a few existing files, like a busy pull request.
mapfile -t files < <(git_ ls-files '*.go' | awk 'NR % 97 == 0' | head -150)
for i in $(seq 1 50); do
  for j in 0 1 2; do
    f=${files[$(( (i * 3 + j) % ${#files[@]} ))]}
    printf '\n// change %d: tune the retry budget and timeouts for the next release\nvar _ = %d\n' "$i" "$i" >>"$repo/$f"
  done
  if (( i % 20 == 0 )); then # a secret slips in now and then, made up here
    printf '\nconst awsKeyID = "AKIA%s"\n' "$(tr -dc 'A-Z2-7' </dev/urandom | head -c 16)" >>"$repo/${files[i]}"
  fi
  git_ commit -q -am "change $i"
done
head=$(git_ rev-parse HEAD)
cat >"$work/tree.yml" <<EOF
gates:
  secret-scan:
    scope: tree
    forbid-files: []
EOF
cat >"$work/diff.yml" <<EOF
gates:
  secret-scan:
    scope: diff
    base: $base
    head: $head
EOF

# once NAME CMD...: runs CMD once, appending "wall-seconds peak-KiB" to $work/NAME.
once() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time" >>"$work/$name" # after "Command exited with non-zero status" when findings
}
# summarize NAME: the median wall time and the highest peak memory.
summarize() {
  sort -n "$work/$1" | awk '{w[NR]=$1; if ($2>m) m=$2} END {print w[int((NR+1)/2)], m}'
}

cd "$repo"
echo "timing ($runs runs each, alternating)..." >&2
for _ in $(seq 1 "$runs"); do
  once gl-tree "$work/gitleaks" dir . --no-banner --exit-code 0 --report-path "$work/gitleaks-tree.json"
  once rg-tree "$work/release-gate" check --config "$work/tree.yml" --json "$work/rg-tree.json"
  once gl-diff "$work/gitleaks" git . --no-banner --exit-code 0 --log-opts="$base..$head" --report-path "$work/gitleaks-diff.json"
  once rg-diff "$work/release-gate" check --config "$work/diff.yml" --json "$work/rg-diff.json"
done
read -r gl_tree_s gl_tree_kb < <(summarize gl-tree)
read -r rg_tree_s rg_tree_kb < <(summarize rg-tree)
read -r gl_diff_s gl_diff_kb < <(summarize gl-diff)
read -r rg_diff_s rg_diff_kb < <(summarize rg-diff)

# Same findings? Compare file:line:rule of gitleaks rules (forbid-files off).
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def gl(p):
    return sorted({(f["File"].removeprefix("./"), f["StartLine"], f["RuleID"]) for f in json.load(open(p))})
def rg(p):
    rep = json.load(open(p))
    return sorted({(f["file"], f.get("line", 0), f["rule"]) for g in rep["gates"] for f in g["findings"]})
for scope in ("tree", "diff"):
    a, b = gl(f"{w}/gitleaks-{scope}.json"), rg(f"{w}/rg-{scope}.json")
    same = "same" if a == b else "DIFFERENT"
    print(f"{scope} findings: gitleaks {len(a)}, release-gate {len(b)}: {same}")
    if a != b:
        print("  only gitleaks:", sorted(set(a) - set(b))[:10])
        print("  only release-gate:", sorted(set(b) - set(a))[:10])
PY

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
nfiles=$(git -C "$repo" ls-files | wc -l)
echo
echo "tree scope, $nfiles files (median of $runs):"
echo "  gitleaks dir      ${gl_tree_s}s  ${gl_tree_kb} KiB peak"
echo "  release-gate      ${rg_tree_s}s  ${rg_tree_kb} KiB peak"
echo "  ratio: time $(ratio "$rg_tree_s" "$gl_tree_s"), memory $(ratio "$rg_tree_kb" "$gl_tree_kb")"
echo "diff scope, 50 commits (median of $runs):"
echo "  gitleaks git      ${gl_diff_s}s  ${gl_diff_kb} KiB peak"
echo "  release-gate      ${rg_diff_s}s  ${rg_diff_kb} KiB peak"
echo "  ratio: time $(ratio "$rg_diff_s" "$gl_diff_s"), memory $(ratio "$rg_diff_kb" "$gl_diff_kb")"
