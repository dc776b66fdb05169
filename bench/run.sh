#!/usr/bin/env bash
# authguard benchmark (not a test): authguard against an I/O floor (cat, rg) on a mixed
# tree, and against squawk on a SQL-only tree. Warm cache: one warm-up run each.
# Env: BENCH_FILES (20000), BENCH_SQL_FILES (5000), BENCH_SEED (1), BENCH_RUNS (3),
#      BENCH_DIR (trees; default $TMPDIR/authguard-bench), BENCH_SQUAWK_VERSION (2.70.0).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${BENCH_FILES:-20000}"
SQL_FILES="${BENCH_SQL_FILES:-5000}"
SEED="${BENCH_SEED:-1}"
RUNS="${BENCH_RUNS:-3}"
# Trees live outside the repository on purpose: authguard looks for authguard.yaml from
# the current directory up to the repository root and honours .gitignore (target/ is
# usually ignored); the benchmark needs the bundled default policy and every file read.
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/authguard-bench}"
VENV="$ROOT/target/bench/venv"
AG="$ROOT/target/release/authguard"
REPORT="$ROOT/bench/report.py"
RESULTS="$WORK/results.tsv"
mkdir -p "$WORK"
: > "$RESULTS"

echo "== build"
if ! (cd "$ROOT" && cargo build --release) || [[ ! -x "$AG" ]]; then
  echo "!! authguard did not build: its rows are skipped"
  AG=""
fi

echo "== trees (reused when generated with the same parameters and generator)"
MIXED="$WORK/mixed-$FILES-s$SEED"
SQLT="$WORK/sql-$SQL_FILES-s$SEED"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix mixed --files "$FILES" --seed "$SEED" --out "$MIXED"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix sql --files "$SQL_FILES" --seed "$SEED" --out "$SQLT"

echo "== squawk"
SQUAWK="$VENV/bin/squawk"
if [[ ! -x "$SQUAWK" ]]; then
  { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "squawk-cli==${BENCH_SQUAWK_VERSION:-2.70.0}"; } ||
    echo "!! squawk-cli did not install: its row is skipped"
fi
[[ -x "$SQUAWK" ]] && "$SQUAWK" --version || SQUAWK=""

# bench TREE LABEL DIR CMD: one warm-up run, then RUNS timed runs of CMD inside DIR; appends
# "TREE LABEL FILES BYTES t1,t2,.." to RESULTS. Exit codes are ignored on purpose: authguard
# and squawk exit non-zero when they report something.
bench() {
  local tree=$1 label=$2 dir=$3 cmd=$4 times="" t0 t1 i
  echo "-- $tree/$label: $cmd"
  if command -v hyperfine >/dev/null; then
    (cd "$dir" && hyperfine --style none --ignore-failure --warmup 1 --runs "$RUNS" \
      --export-json "$WORK/hf.json" "$cmd")
    times=$(python3 "$REPORT" times "$WORK/hf.json")
  else
    (cd "$dir" && eval "$cmd") >/dev/null 2>&1 || true
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s.%N)
      (cd "$dir" && eval "$cmd") >/dev/null 2>&1 || true
      t1=$(date +%s.%N)
      times+="${times:+,}$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
    done
  fi
  echo "   times: $times"
  printf '%s\t%s\t%s\t%s\n' "$tree" "$label" "$(python3 "$REPORT" scope "$dir/expected.json" "${KINDS:-}" | tr ' ' '\t')" \
    "$times" >> "$RESULTS"
}

# check TREE DIR: one authguard run writing JSON; its findings per code must equal expected.json.
declare -A CHECK=()
check() {
  local rc=0
  (cd "$2" && "$AG" check . --format json --output "$WORK/findings-$1.json") || rc=$?
  if [[ $rc -gt 1 ]]; then
    echo "  authguard exited $rc (2 = could not check)"; CHECK[$1]=MISMATCH; return
  fi
  if python3 "$REPORT" check "$2/expected.json" "$WORK/findings-$1.json"; then CHECK[$1]=OK; else CHECK[$1]=MISMATCH; fi
}

# The I/O floor reads exactly the files authguard parses (by extension), nothing more.
IN_SCOPE="\( -name '*.sql' -o -name '*.py' -o -name '*.rs' -o -name '*.env' -o -name '.env*' \)"
FLOOR="find . -type f $IN_SCOPE -print0 | xargs -0 cat > /dev/null"
# A second floor: only the files authguard parses today (SQL and env; Python
# and Rust front ends are yet to come), so the ratio is like for like.
PARSED="find . -type f \( -name '*.sql' -o -name '*.env' -o -name '.env*' \) -print0 | xargs -0 cat > /dev/null"
RG="rg -uuu -c -g '*.sql' -g '*.py' -g '*.rs' -g '*.env' -g '.env*' userbase > /dev/null"
# gcc reporter: squawk's leanest text output, so its own rendering weighs least. xargs
# splits the list only when it exceeds the command-line limit (~1800 paths a batch here).
SQUAWK_CMD="find . -name '*.sql' -print0 | xargs -0 '$SQUAWK' --reporter gcc > /dev/null 2>&1"

for spec in "mixed:$MIXED" "sql:$SQLT"; do
  tree=${spec%%:*} dir=${spec#*:}
  echo "== $tree tree: $dir"
  if [[ -n "$AG" ]]; then
    check "$tree" "$dir"
    bench "$tree" authguard "$dir" "'$AG' check . --format json --output /dev/null"
  fi
  bench "$tree" cat-floor "$dir" "$FLOOR"
  if [[ $tree == mixed ]]; then KINDS=sql,env bench "$tree" cat-parsed "$dir" "$PARSED"; fi
  if command -v rg >/dev/null; then bench "$tree" rg "$dir" "$RG"; fi
  if [[ $tree == sql && -n "$SQUAWK" ]]; then bench "$tree" squawk "$dir" "$SQUAWK_CMD"; fi
done

echo
echo "== results (warm cache, best and median of $RUNS; files/s and MB/s from the best run;"
echo "   files and MB count only the files authguard reads: .sql .py .rs and env files)"
python3 "$REPORT" table "$RESULTS"
for t in mixed sql; do echo "findings check ($t): ${CHECK[$t]:-skipped (no authguard binary)}"; done
