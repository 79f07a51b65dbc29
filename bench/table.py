"""Prints the ratio table of a bench/run run (see bench/run).

Usage: table.py WORKDIR WORKLOADS [MARKDOWN-FILE]

WORKDIR holds, per workload W: W.meta (key=value lines), W.rg.times and
W.anchor.times (one "wall user sys peak-KiB exit-status" line per run), and
the reports each side wrote (W.rg.json, W.anchor.json). For the secret-scan
workloads it compares the findings gitleaks can report, keyed by commit,
file, line and rule; findings only release-gate can see (in a commit's
message, author or committer; in a file's name; in binary or UTF-16 files
git shows as "Binary files differ"; in what a merge adds) are counted
apart. No secret is printed: gitleaks runs with --redact, and only keys
are shown.
"""

import collections
import json
import os
import re
import statistics
import subprocess
import sys

# release-gate's own rules, which gitleaks has no counterpart for.
OWN_RULES = {"forbidden-file", "suppressed-in-change", "scan-policy-edited"}


def printable(s):
    """Escapes what could drive a terminal or a log reader."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(s))


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta.setdefault(k, v)
    return meta


def read_times(path):
    runs = []
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 5:
                continue
            wall, user, sys_, rss, rc = p
            runs.append({"wall": float(wall), "cpu": float(user) + float(sys_), "rss": int(rss), "rc": int(rc)})
    return runs


def fmt(x):
    return f"{x:.2f}"


def ratio_cells(rg, an):
    """Median wall ratio with its spread, cpu ratio, memory ratio."""
    n = min(len(rg), len(an))
    if n == 0:
        return "–", "–", "–", "–"
    walls = [rg[i]["wall"] / an[i]["wall"] if an[i]["wall"] > 0 else float("inf") for i in range(n)]
    wall = fmt(statistics.median(walls))
    if n > 1:
        wall += f" ({fmt(min(walls))}–{fmt(max(walls))})"
    med = lambda runs, k: statistics.median(r[k] for r in runs[:n])
    cpu = med(rg, "cpu") / med(an, "cpu") if med(an, "cpu") > 0 else float("inf")
    rss = med(rg, "rss") / med(an, "rss") if med(an, "rss") > 0 else float("inf")
    sides = f"{med(rg, 'wall'):.2f} / {med(an, 'wall'):.2f}"
    return wall, fmt(cpu), fmt(rss), sides


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def logged_error(path):
    """Whether gitleaks logged an error: it exits 0 after some (a git
    failure stops its scan early), so its exit status is not enough."""
    try:
        with open(path, errors="replace") as f:
            return any(w in ("ERR", "FTL") for line in f for w in ANSI.sub("", line).split())
    except OSError:
        return True


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=False).stdout


def looks_binary(repo, commit, path):
    """Whether git would show the file as binary (a NUL in its first 8000 bytes)."""
    rev = f"{commit or 'HEAD'}:{path}"
    return b"\0" in git(repo, "cat-file", "blob", rev)[:8000]


def is_merge(repo, commit):
    return len(git(repo, "rev-list", "--parents", "-n", "1", commit).split()) > 2


def compare_secrets(work, wl, meta):
    """Returns the findings cell and detail lines, or an error text."""
    repo = meta["repo"]
    try:
        with open(f"{work}/{wl}.rg.json") as f:
            rep = json.load(f)
        with open(f"{work}/{wl}.anchor.json") as f:
            gl = json.load(f)
    except (OSError, ValueError) as e:
        return None, [f"cannot read a report: {printable(e)}"]
    gate = next((g for g in rep.get("gates", []) if g.get("name") == "secret-scan"), None)
    if gate is None or gate.get("status") not in ("pass", "fail"):
        why = gate.get("error", "") if gate else "no secret-scan gate in the report"
        return None, [f"release-gate reached no verdict: {printable(why)[:300]}"]
    scope = meta.get("scope")

    def key(commit, file, line, rule):
        return (commit if scope != "tree" else "", file, line, rule)

    ours = collections.Counter()
    own = 0
    extra = collections.Counter()
    for f in gate.get("findings", []):
        if f["rule"] in OWN_RULES:
            own += 1
            continue
        ours[key(f.get("commit", ""), f.get("file", ""), f.get("line", 0), f["rule"])] += 1
    theirs = collections.Counter(
        key(g.get("Commit", ""), g["File"].removeprefix("./"), g["StartLine"], g["RuleID"]) for g in gl
    )
    only_ours = ours - theirs
    only_theirs = theirs - ours
    for k, n in list(only_ours.items()):
        commit, file, line, _ = k
        if file == "":
            kind = "commit text"
        elif line == 0:
            kind = "file name"
        elif commit and is_merge(repo, commit):
            kind = "merge"
        elif looks_binary(repo, commit, file):
            kind = "binary or UTF-16 file"
        else:
            continue
        extra[kind] += n
        del only_ours[k]
    theirs_n = sum(theirs.values())
    ours_n = sum(ours.values()) - sum(extra.values())
    same = not only_ours and not only_theirs
    cell = f"{'yes' if same else 'NO'} ({theirs_n} vs {ours_n})"
    if extra:
        cell += f", +{sum(extra.values())} only release-gate sees"
    details = []
    if extra:
        details.append("only release-gate sees: " + ", ".join(f"{n} in {k}" for k, n in sorted(extra.items())))
    if own:
        details.append(f"{own} finding(s) of release-gate's own rules, not compared")
    for name, diff in (("only gitleaks", only_theirs), ("only release-gate", only_ours)):
        if diff:
            shown = [":".join(printable(p)[:80] for p in k if p != "") for k in sorted(diff)[:10]]
            details.append(f"{name} ({sum(diff.values())}): " + "; ".join(shown))
    return cell, details


def compare_backup(work, wl, rg, an):
    try:
        with open(f"{work}/{wl}.rg.json") as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        return None, [f"cannot read the report: {printable(e)}"]
    status = next((g.get("status") for g in rep.get("gates", []) if g.get("name") == "backup-freshness"), "missing")
    anchor_ok = all(r["rc"] == 0 for r in an)
    same = (status == "pass") == anchor_ok
    return f"{'yes' if same else 'NO'} (gate {status}, anchor {'ok' if anchor_ok else 'failed'})", []


def compare_together(work, wl, rg, an):
    """The verify's verdict, in one run with the scan and alone."""
    statuses = []
    for side in ("rg", "anchor"):
        try:
            with open(f"{work}/{wl}.{side}.json") as f:
                rep = json.load(f)
        except (OSError, ValueError) as e:
            return None, [f"cannot read the {side} report: {printable(e)}"]
        statuses.append({g.get("name"): g.get("status") for g in rep.get("gates", [])})
    both, alone = statuses
    same = both.get("backup-freshness") == alone.get("backup-freshness") == "pass" and both.get("secret-scan") in ("pass", "fail")
    return (f"{'yes' if same else 'NO'} (backup-freshness {printable(both.get('backup-freshness'))} in both, "
            f"secret-scan {printable(both.get('secret-scan'))})"), []


def compare_digest(work, wl, rg, an):
    try:
        with open(f"{work}/{wl}.rg.json") as f:
            rep = json.load(f)
        with open(f"{work}/{wl}.anchor.candidate") as f:
            cand = f.read().strip()
        with open(f"{work}/{wl}.anchor.staging") as f:
            stag = f.read().strip()
    except (OSError, ValueError) as e:
        return None, [f"cannot read a result: {printable(e)}"]
    gate = next((g for g in rep.get("gates", []) if g.get("name") == "staging-digest"), {})
    ours = (gate.get("outputs") or {}).get("digest", "")
    same = gate.get("status") == "pass" and cand == stag and ours == cand
    return f"{'yes' if same else 'NO'} (gate {gate.get('status', 'missing')}, {printable(ours)[:19] or 'no digest'})", []


def main():
    work, workloads = sys.argv[1], sys.argv[2].split(",")
    md_path = sys.argv[3] if len(sys.argv) > 3 else None
    machine = collections.defaultdict(list)
    with open(f"{work}/machine") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            machine[k].append(v)
    m = {k: v[0] for k, v in machine.items()}

    header = ["workload", "what", "anchor", "wall ratio, median (min–max)", "cpu ratio", "peak memory ratio",
              "median wall s (release-gate / anchor)", "same findings or verdict (anchor vs release-gate)"]
    rows, notes = [], []
    for wl in workloads:
        if not os.path.exists(f"{work}/{wl}.meta"):
            continue
        meta = read_meta(f"{work}/{wl}.meta")
        if "skipped" in meta:
            rows.append([wl, meta["label"], meta["anchor"], "skipped", "", "", "", printable(meta["skipped"])])
            continue
        rg = read_times(f"{work}/{wl}.rg.times")
        an = read_times(f"{work}/{wl}.anchor.times")
        wall, cpu, rss, sides = ratio_cells(rg, an)
        problems = []
        bad_rg = sorted({r["rc"] for r in rg if r["rc"] not in (0, 1)})
        bad_an = sorted({r["rc"] for r in an if r["rc"] != 0})
        if bad_rg:
            problems.append(f"release-gate exited {bad_rg} (see {work}/{wl}.rg.stderr)")
        if bad_an and meta["kind"] != "backup":
            problems.append(f"the anchor exited {bad_an} (see {work}/{wl}.anchor.stderr)")
        if meta["kind"] == "secrets" and logged_error(f"{work}/{wl}.anchor.stderr"):
            problems.append(f"gitleaks logged an error, its findings may be partial (see {work}/{wl}.anchor.stderr)")
        if meta["kind"] == "secrets":
            cell, details = compare_secrets(work, wl, meta)
        elif meta["kind"] == "backup":
            cell, details = compare_backup(work, wl, rg, an)
        elif meta["kind"] == "together":
            cell, details = compare_together(work, wl, rg, an)
        else:
            cell, details = compare_digest(work, wl, rg, an)
        if cell is None:
            cell = "ERROR"
        if problems:
            cell = "ERROR"
        rows.append([wl, meta["label"], meta["anchor"], wall, cpu, rss, sides, cell])
        notes += [f"{wl}: {d}" for d in problems + details]

    title = (f"{m['date']}: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, load at the end {m['load']}; "
             f"{m['git']}; {m['go']}")
    tools = (f"release-gate {m['release-gate']} and gitleaks {m['gitleaks']} built with -tags gore2regex"
             + (f", crane {m['crane']}" if "crane" in m else "")
             + (f", {m['gzip']}" if "gzip" in m else "")
             + f"; {m['runs']} run(s) of each side, alternating"
             + ("; --quick (small corpora)" if m["quick"] == "1" else ""))
    ratios = "Ratios are release-gate / anchor: below 1.0 is faster or smaller."
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [title, tools, ratios, "", line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    if notes:
        out += [""] + notes
    out += [""] + [f"corpus {c}" for c in machine.get("corpus", [])]
    print("\n".join(out))

    if md_path:
        md = [f"Measured {title}. {tools}. {ratios}", "",
              "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        md += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
        if notes:
            md += [""] + ["- " + printable(n).replace("|", "\\|") for n in notes]
        md += [""] + [f"- corpus {c}" for c in machine.get("corpus", [])]
        with open(md_path, "w") as f:
            f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
