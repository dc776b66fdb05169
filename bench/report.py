#!/usr/bin/env python3
"""Helpers for bench/run.sh (stdlib only; kept out of bash because they parse JSON).

  report.py scope EXPECTED            -> "FILES BYTES" of the files authguard reads
  report.py times HYPERFINE_JSON      -> comma-separated run times
  report.py check EXPECTED FINDINGS   -> per-code counts vs expected.json; exit 1 on mismatch
  report.py table RESULTS_TSV         -> results table and the two target ratios
"""
import json
import statistics
import sys
from collections import Counter


def scope(expected, kinds=""):
    """Files and bytes in scope, or only of the given comma-separated kinds."""
    exp = json.load(open(expected))
    if not kinds:
        d = exp["in_scope"]
        print(d["files"], d["bytes"])
        return
    wanted = kinds.split(",")
    print(sum(exp["files"].get(k, 0) for k in wanted), sum(exp["bytes"].get(k, 0) for k in wanted))


def times(hf_json):
    print(",".join(f"{t:.4f}" for t in json.load(open(hf_json))["results"][0]["times"]))


def check(expected, findings):
    exp = json.load(open(expected))
    want = {k: v for k, v in exp["findings"].items() if k != "total"}
    try:
        found = json.load(open(findings))["findings"]
    except (OSError, ValueError, KeyError) as e:
        print(f"  no usable JSON report ({e})\n  findings per code: MISMATCH")
        sys.exit(1)
    got = Counter(f["code"] for f in found)
    ok = True
    for code in sorted(set(want) | set(got)):
        mark = "ok" if want.get(code, 0) == got.get(code, 0) else "MISMATCH"
        ok &= mark == "ok"
        print(f"  {code}: expected {want.get(code, 0):4d}  found {got.get(code, 0):4d}  {mark}")
    if not ok:  # name a few files to look at: planted-but-missing and found-but-not-planted
        planted = Counter((p["path"], p["code"]) for p in exp["planted"])
        seen = Counter((f["path"].removeprefix("./"), f["code"]) for f in found)
        for label, diff in (("missing", planted - seen), ("unexpected", seen - planted)):
            for (path, code), n in sorted(diff.items())[:8]:
                print(f"    {label}: {code} {path}" + (f" x{n}" if n > 1 else ""))
    print("  findings per code:", "OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


def table(tsv):
    rows = []
    for line in open(tsv):
        tree, tool, files, nbytes, ts = line.rstrip("\n").split("\t")
        t = [float(x) for x in ts.split(",")]
        rows.append((tree, tool, int(files), int(nbytes), min(t), statistics.median(t)))
    print(f"{'tree':<8} {'tool':<10} {'files':>7} {'MB':>7} {'best s':>8} {'median s':>9} {'files/s':>9} {'MB/s':>8}")
    for tree, tool, files, nbytes, best, med in rows:
        print(f"{tree:<8} {tool:<10} {files:>7} {nbytes / 1e6:>7.1f} {best:>8.3f} {med:>9.3f} "
              f"{files / best:>9.0f} {nbytes / 1e6 / best:>8.1f}")
    best = {(r[0], r[1]): r for r in rows}

    def ratio(label, a, b, fmt, target, good):
        if a in best and b in best:
            v = fmt(best[a], best[b])
            print(f"{label}: {v:.2f}x   (target {target}: {'met' if good(v) else 'NOT met'})")
        else:
            print(f"{label}: n/a   (target {target})")

    # Time ratio (lower is better) and throughput ratio (higher is better), both on best-of-N.
    ratio("authguard time / I/O floor time (mixed)", ("mixed", "authguard"), ("mixed", "cat-floor"),
          lambda a, b: a[4] / b[4], "<= 5x", lambda v: v <= 5)
    ratio("authguard time / floor of the files it parses today (mixed, .sql and env)", ("mixed", "authguard"),
          ("mixed", "cat-parsed"), lambda a, b: a[4] / b[4], "<= 5x", lambda v: v <= 5)
    ratio("authguard files/s / squawk files/s (sql)", ("sql", "authguard"), ("sql", "squawk"),
          lambda a, b: (a[2] / a[4]) / (b[2] / b[4]), ">= 2x", lambda v: v >= 2)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"scope": scope, "times": times, "check": check, "table": table}[cmd](*args)
