#!/usr/bin/env bash
# Compares the secret-scan gate of two revisions of release-gate side by
# side in one run, both built as released (-tags gore2regex):
#
#   tree: $(go env GOROOT)/src copied into a git repository (one commit);
#   diff: 50 more commits on top (some merges), the diff scope over them.
#
# Prints each one's median wall time and peak memory, the ratios (new /
# old; below 1.0 is faster) and whether both found the same findings.
# Usage: bench/secret-scan-compare.sh OLD-REV [NEW-REV] [runs]
# (NEW-REV defaults to the work tree as it is; runs to 3).
set -euo pipefail
old_rev=${1:?usage: $0 OLD-REV [NEW-REV] [runs]}
new_rev=${2:-}
runs=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old-src" >/dev/null 2>&1 || true; git -C "$root" worktree remove --force "$work/new-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

build() { # build REV OUT: "" is the work tree
  local rev=$1 out=$2 dir=$root
  if [[ -n $rev ]]; then
    dir=$work/$(basename "$out")-src
    git -C "$root" worktree add -q --detach "$dir" "$rev"
  fi
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -tags gore2regex -ldflags "-s -w" -o "$out" .)
}
echo "building $old_rev and ${new_rev:-the work tree}..." >&2
build "$old_rev" "$work/old"
build "$new_rev" "$work/new"

echo "making the test repository from $(go env GOROOT)/src..." >&2
repo="$work/src"
cp -r "$(go env GOROOT)/src" "$repo"
git_() { git -C "$repo" -c user.name=bench -c user.email=bench@example.com "$@"; }
git_ init -q -b main
git_ add -A
git_ commit -q -m "go source tree"
base=$(git_ rev-parse HEAD)
mapfile -t files < <(git_ ls-files '*.go' | awk 'NR % 97 == 0' | head -150)
for i in $(seq 1 50); do
  if (( i % 10 == 5 )); then git_ checkout -q -b "topic$i"; fi
  for j in 0 1 2; do
    f=${files[$(( (i * 3 + j) % ${#files[@]} ))]}
    printf '\n// change %d: tune the retry budget and timeouts for the next release\nvar _ = %d\n' "$i" "$i" >>"$repo/$f"
  done
  if (( i % 20 == 0 )); then # a secret slips in now and then, made up here
    printf '\nconst awsKeyID = "AKIA%s"\n' "$(tr -dc 'A-Z2-7' </dev/urandom | head -c 16)" >>"$repo/${files[i]}"
  fi
  git_ commit -q -am "change $i"
  if (( i % 10 == 7 )); then git_ checkout -q main; git_ merge -q --no-ff -m "merge topic$((i - 2))" "topic$((i - 2))"; fi
done
head=$(git_ rev-parse HEAD)
printf 'gates:\n  secret-scan:\n    scope: tree\n    forbid-files: []\n' >"$work/tree.yml"
printf 'gates:\n  secret-scan:\n    scope: diff\n    base: %s\n    head: %s\n' "$base" "$head" >"$work/diff.yml"

once() { # once NAME CMD...: appends "wall-seconds peak-KiB" to $work/NAME
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time" >>"$work/$name"
}
summarize() { sort -n "$work/$1" | awk '{w[NR]=$1; if ($2>m) m=$2} END {print w[int((NR+1)/2)], m}'; }

cd "$repo"
echo "timing ($runs runs each, alternating)..." >&2
for _ in $(seq 1 "$runs"); do
  for scope in tree diff; do
    once "old-$scope" "$work/old" check --config "$work/$scope.yml" --json "$work/old-$scope.json"
    once "new-$scope" "$work/new" check --config "$work/$scope.yml" --json "$work/new-$scope.json"
  done
done

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def found(p):
    rep = json.load(open(p))
    return sorted({(f["file"], f.get("line", 0), f["rule"]) for g in rep["gates"] for f in g["findings"]}), rep["result"]
for scope in ("tree", "diff"):
    (a, ra), (b, rb) = found(f"{w}/old-{scope}.json"), found(f"{w}/new-{scope}.json")
    print(f"{scope} findings: old {len(a)} ({ra}), new {len(b)} ({rb}): {'same' if a == b else 'DIFFERENT'}")
    if a != b:
        print("  only old:", sorted(set(a) - set(b))[:10])
        print("  only new:", sorted(set(b) - set(a))[:10])
PY
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
for scope in tree diff; do
  read -r os ok < <(summarize "old-$scope")
  read -r ns nk < <(summarize "new-$scope")
  echo "$scope scope (median of $runs): old ${os}s ${ok} KiB, new ${ns}s ${nk} KiB; ratio new/old: time $(ratio "$ns" "$os"), memory $(ratio "$nk" "$ok")"
done
