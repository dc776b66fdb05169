#!/usr/bin/env python3
"""Helpers for bench/run.sh (stdlib only; kept out of bash because they parse JSON).

  report.py scope EXPECTED [KINDS]      -> "FILES BYTES" of the files authguard reads, or of
                                          KINDS (comma-separated; `alembic`: the migrations)
  report.py times HYPERFINE_JSON        -> comma-separated run times
  report.py check EXPECTED FINDINGS [alembic]
                                        -> per-code counts vs expected.json; exit 1 on mismatch
                                          (alembic: only the plants in the Alembic folders)
  report.py alembic-dirs EXPECTED       -> the tree's Alembic versions folders, space-separated
  report.py table RESULTS_TSV           -> results table and the target figures
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
    roles = exp.get("python_roles", {})  # `alembic`: a role of Python files, not a kind
    print(sum(roles[k]["files"] if k in roles else exp["files"].get(k, 0) for k in wanted),
          sum(roles[k]["bytes"] if k in roles else exp["bytes"].get(k, 0) for k in wanted))


def alembic_dirs(expected):
    print(" ".join(json.load(open(expected)).get("alembic_dirs", [])))


def times(hf_json):
    print(",".join(f"{t:.4f}" for t in json.load(open(hf_json))["results"][0]["times"]))


def check(expected, findings, subset=""):
    exp = json.load(open(expected))
    want = {k: v for k, v in exp["findings"].items() if k != "total"}
    planted_list = exp["planted"]
    try:
        report = json.load(open(findings))
        found = report["findings"]
    except (OSError, ValueError, KeyError) as e:
        print(f"  no usable JSON report ({e})\n  findings per code: MISMATCH")
        sys.exit(1)
    ok = True
    if subset == "alembic":  # authguard run on the Alembic folders only
        dirs = tuple(d + "/" for d in exp["alembic_dirs"])
        planted_list = [p for p in planted_list if p["path"].startswith(dirs)]
        want = Counter(p["code"] for p in planted_list)
        scanned, files = report.get("summary", {}).get("files_scanned"), exp["python_roles"]["alembic"]["files"]
        ok = scanned == files
        print(f"  files scanned: expected {files}  found {scanned}  {'ok' if ok else 'MISMATCH'}")
    got = Counter(f["code"] for f in found)
    for code in sorted(set(want) | set(got)):
        mark = "ok" if want.get(code, 0) == got.get(code, 0) else "MISMATCH"
        ok &= mark == "ok"
        print(f"  {code}: expected {want.get(code, 0):4d}  found {got.get(code, 0):4d}  {mark}")
    if not ok:  # name a few files to look at: planted-but-missing and found-but-not-planted
        planted = Counter((p["path"], p["code"]) for p in planted_list)
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
    print(f"{'tree':<8} {'tool':<17} {'files':>7} {'MB':>7} {'best s':>8} {'median s':>9} {'files/s':>9} {'MB/s':>8}")
    for tree, tool, files, nbytes, best, med in rows:
        print(f"{tree:<8} {tool:<17} {files:>7} {nbytes / 1e6:>7.1f} {best:>8.3f} {med:>9.3f} "
              f"{files / best:>9.0f} {nbytes / 1e6 / best:>8.1f}")
    best = {(r[0], r[1]): r for r in rows}

    def ratio(label, a, b, fmt, target, good):
        if a in best and b in best:
            v = fmt(best[a], best[b])
            print(f"{label}: {v:.2f}x   (target {target}: {'met' if good(v) else 'NOT met'})")
        else:
            missing = ", ".join(f"{t}/{tool}" for t, tool in (a, b) if (t, tool) not in best)
            print(f"{label}: n/a, no {missing} row   (target {target})")

    # Time ratio (lower is better) and throughput ratio (higher is better), both on best-of-N.
    ratio("authguard time / I/O floor time (mixed)", ("mixed", "authguard"), ("mixed", "cat-floor"),
          lambda a, b: a[4] / b[4], "<= 5x", lambda v: v <= 5)
    ratio("authguard files/s / squawk files/s (sql)", ("sql", "authguard"), ("sql", "squawk"),
          lambda a, b: (a[2] / a[4]) / (b[2] / b[4]), ">= 2x", lambda v: v >= 2)
    key = ("python", "authguard")
    if key in best:
        v = best[key][3] / 1e6 / best[key][4]
        print(f"authguard Python MB/s (python tree, every file): {v:.1f} MB/s   "
              f"(target >= 10 MB/s: {'met' if v >= 10 else 'NOT met'})")
    else:
        print("authguard Python MB/s (python tree, every file): n/a   (target >= 10 MB/s)")
    key = ("rust", "authguard")
    if key in best:
        v = best[key][3] / 1e6 / best[key][4]
        print(f"authguard Rust MB/s (rust tree, every file): {v:.1f} MB/s   "
              f"(target >= 15 MB/s: {'met' if v >= 15 else 'NOT met'})")
    else:
        print("authguard Rust MB/s (rust tree, every file): n/a   (target >= 15 MB/s)")
    files_per_s = lambda a, b: (a[2] / a[4]) / (b[2] / b[4])  # noqa: E731
    ratio("authguard files/s / alembic-guard files/s (python, the same Alembic folders)",
          ("python", "authguard-alembic"), ("python", "alembic-guard"), files_per_s, ">= 20x", lambda v: v >= 20)
    if ("python", "authguard") in best and ("python", "alembic-guard") in best:
        v = files_per_s(best[("python", "authguard")], best[("python", "alembic-guard")])
        print(f"  for reference, authguard on the whole python tree (models and handlers too): {v:.2f}x")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"scope": scope, "times": times, "check": check, "alembic-dirs": alembic_dirs, "table": table}[cmd](*args)
