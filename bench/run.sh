#!/usr/bin/env bash
# authguard benchmark (not a test): authguard against an I/O floor (cat, rg) on a mixed
# tree and a Rust-only tree, against squawk on a SQL-only tree, and against alembic-guard
# on the Alembic migrations of a Python-heavy tree. Warm cache: one warm-up run each.
# Env: BENCH_FILES (20000), BENCH_SQL_FILES (5000), BENCH_PY_FILES (5000),
#      BENCH_RS_FILES (5000), BENCH_SEED (1),
#      BENCH_RUNS (3), BENCH_DIR (trees; default $TMPDIR/authguard-bench),
#      BENCH_SQUAWK_VERSION (2.70.0), BENCH_ALEMBIC_GUARD_VERSION (0.1.1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${BENCH_FILES:-20000}"
SQL_FILES="${BENCH_SQL_FILES:-5000}"
PY_FILES="${BENCH_PY_FILES:-5000}"
RS_FILES="${BENCH_RS_FILES:-5000}"
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
PYT="$WORK/python-$PY_FILES-s$SEED"
RST="$WORK/rust-$RS_FILES-s$SEED"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix mixed --files "$FILES" --seed "$SEED" --out "$MIXED"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix sql --files "$SQL_FILES" --seed "$SEED" --out "$SQLT"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix python --files "$PY_FILES" --seed "$SEED" --out "$PYT"
python3 "$ROOT/bench/gen_repo.py" --reuse --mix rust --files "$RS_FILES" --seed "$SEED" --out "$RST"

# install PACKAGE==VERSION BIN: pip-install into the bench venv unless BIN is already there.
install() {
  [[ -x "$VENV/bin/$2" ]] && return 0
  { [[ -x "$VENV/bin/pip" ]] || python3 -m venv "$VENV"; } && "$VENV/bin/pip" install -q "$1"
}

echo "== squawk"
SQUAWK="$VENV/bin/squawk"
install "squawk-cli==${BENCH_SQUAWK_VERSION:-2.70.0}" squawk || echo "!! squawk-cli did not install: its row is skipped"
[[ -x "$SQUAWK" ]] && "$SQUAWK" --version || SQUAWK=""

echo "== alembic-guard"
ALEMBIC_GUARD="$VENV/bin/alembic-guard"
AGV="${BENCH_ALEMBIC_GUARD_VERSION:-0.1.1}"
install "alembic-guard==$AGV" alembic-guard || echo "!! alembic-guard did not install: its row is skipped"
[[ -x "$ALEMBIC_GUARD" ]] && "$ALEMBIC_GUARD" --version || ALEMBIC_GUARD=""

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

# check NAME DIR [SUBSET PATHS...]: one authguard run writing JSON; its findings per code must
# equal expected.json (for SUBSET=alembic: the plants in the Alembic folders, every one of
# their files scanned).
declare -A CHECK=()
check() {
  local name=$1 dir=$2 subset=${3:-} rc=0 paths=(.)
  if [[ $# -gt 3 ]]; then paths=("${@:4}"); fi
  (cd "$dir" && "$AG" check "${paths[@]}" --format json --output "$WORK/findings-$name.json") || rc=$?
  if [[ $rc -gt 1 ]]; then
    echo "  authguard exited $rc (2 = could not check)"; CHECK[$name]=MISMATCH; return
  fi
  if python3 "$REPORT" check "$dir/expected.json" "$WORK/findings-$name.json" "$subset"; then
    CHECK[$name]=OK; else CHECK[$name]=MISMATCH; fi
}

# The I/O floor reads exactly the files authguard parses (by extension), nothing more.
IN_SCOPE="\( -name '*.sql' -o -name '*.py' -o -name '*.rs' -o -name '*.env' -o -name '.env*' \)"
FLOOR="find . -type f $IN_SCOPE -print0 | xargs -0 cat > /dev/null"
RG="rg -uuu -c -g '*.sql' -g '*.py' -g '*.rs' -g '*.env' -g '.env*' userbase > /dev/null"
# gcc reporter: squawk's leanest text output, so its own rendering weighs least. xargs
# splits the list only when it exceeds the command-line limit (~1800 paths a batch here).
SQUAWK_CMD="find . -name '*.sql' -print0 | xargs -0 '$SQUAWK' --reporter gcc > /dev/null 2>&1"
# alembic-guard and authguard get the same arguments: the tree's Alembic versions folders.
# alembic-guard is single-threaded, parses each file with Python's ast and checks upgrade()
# only (its default); its text report is as lean as its JSON one. It exits 1 on errors.
ALEMBIC_DIRS=$(python3 "$REPORT" alembic-dirs "$PYT/expected.json")
AG_ALEMBIC_CMD="'$AG' check $ALEMBIC_DIRS --format json --output /dev/null"
ALEMBIC_GUARD_CMD="'$ALEMBIC_GUARD' $ALEMBIC_DIRS > /dev/null 2>&1"

# alembic_guard_ok: one run; it must parse every migration (exit 2 = a file it could not parse).
alembic_guard_ok() {
  local rc=0 out
  out=$(cd "$PYT" && "$ALEMBIC_GUARD" $ALEMBIC_DIRS 2>&1) || rc=$?
  echo "  alembic-guard exited $rc: $(tail -n 1 <<< "$out")"
  [[ $rc -le 1 ]] || { echo "!! alembic-guard could not check the tree: its row is skipped"; return 1; }
}

for spec in "mixed:$MIXED" "sql:$SQLT" "python:$PYT" "rust:$RST"; do
  tree=${spec%%:*} dir=${spec#*:}
  echo "== $tree tree: $dir"
  if [[ -n "$AG" ]]; then
    check "$tree" "$dir"
    bench "$tree" authguard "$dir" "'$AG' check . --format json --output /dev/null"
  fi
  bench "$tree" cat-floor "$dir" "$FLOOR"
  if command -v rg >/dev/null; then bench "$tree" rg "$dir" "$RG"; fi
  if [[ $tree == sql && -n "$SQUAWK" ]]; then bench "$tree" squawk "$dir" "$SQUAWK_CMD"; fi
  if [[ $tree == python ]]; then
    if [[ -n "$AG" ]]; then
      # shellcheck disable=SC2086  # the folders are plain relative paths
      check python-alembic "$dir" alembic $ALEMBIC_DIRS
      KINDS=alembic bench "$tree" authguard-alembic "$dir" "$AG_ALEMBIC_CMD"
    fi
    if [[ -n "$ALEMBIC_GUARD" ]] && alembic_guard_ok; then
      KINDS=alembic bench "$tree" alembic-guard "$dir" "$ALEMBIC_GUARD_CMD"
    elif [[ -z "$ALEMBIC_GUARD" ]]; then
      echo "!! alembic-guard is not installed: its row and ratio are skipped"
    fi
  fi
done

echo
echo "== results (warm cache, best and median of $RUNS; files/s and MB/s from the best run;"
echo "   files and MB count only the files authguard reads: .sql .py .rs and env files;"
echo "   the *-alembic and alembic-guard rows only the Alembic migrations)"
python3 "$REPORT" table "$RESULTS"
for t in mixed sql python python-alembic rust; do
  echo "findings check ($t): ${CHECK[$t]:-skipped (no authguard binary)}"
done
