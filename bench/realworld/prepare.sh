#!/usr/bin/env bash
# Extract the pinned commit of every real-world project into a folder of plain trees.
#
#   bench/realworld/prepare.sh [DEST]        # DEST: $REALWORLD_DIR, else /work/rw
#
# Each bench/realworld/projects/<slug>/project.toml names a GitHub repository, the
# commit it is pinned to and the paths to check. For each, this script runs
# `git archive <commit> -- <paths> | tar -x` from a bare git directory of that repository
# into DEST/<owner>+<name>/ and writes DEST/<owner>+<name>/.authguard-commit, the marker
# run.py verifies: the commit on its first line, then the extracted paths one a line when
# only part of the tree was extracted (a marker of one line means the whole tree).
# Extracting only the paths keeps the trees small and avoids blobs a snapshot may lack
# outside them (element-hq/synapse's lacks `.ci/test_db.db`).
#
# The bare git directories default to $MIRROR_DIR/<owner>+<name>/repo (MIRROR_DIR
# defaults to /work/.mirror); `--git-dir owner/name=PATH` names one explicitly, e.g. a
# `git clone --bare https://github.com/owner/name` of your own. The snapshots are
# third-party code fetched from GitHub at the pinned commits: they are read, never
# committed to this repository.
#
# A tree that is already there with the right commit and all the paths is skipped; one
# at the right commit that lacks some of the paths is extracted again. A tree that is
# there without a marker (extracted by hand) is compared, path by path, with a fresh
# extraction and adopted only if identical. A tree whose marker names another commit is
# an error: remove it or pass --force to replace it.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  --git-dir owner/name=PATH   bare git directory for that repository (repeatable)
  --force                     replace trees whose marker names another commit
  -h, --help                  this text
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${REALWORLD_DIR:-/work/rw}
mirror_dir=${MIRROR_DIR:-/work/.mirror}
force=0
declare -A git_dirs=()

while (($#)); do
  case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  --force) force=1 ;;
  --git-dir)
    [[ $# -ge 2 && $2 == */*=* ]] || {
      echo "prepare.sh: --git-dir needs owner/name=PATH" >&2
      exit 2
    }
    git_dirs[${2%%=*}]=${2#*=}
    shift
    ;;
  -*)
    echo "prepare.sh: unknown option $1" >&2
    exit 2
    ;;
  *) dest=$1 ;;
  esac
  shift
done

# covers N MARKED... -- WANTED...: whether a marker of N lines (its paths after the
# commit line: MARKED) holds every WANTED path. A one-line marker is the whole tree.
covers() {
  local lines=$1
  shift
  local -a marked=()
  while [[ $1 != -- ]]; do
    marked+=("$1")
    shift
  done
  shift
  ((lines <= 1)) && return 0
  local want got ok
  for want in "$@"; do
    ok=0
    for got in "${marked[@]}"; do
      if [[ $got == . || $want == "$got" || $want == "$got"/* ]]; then
        ok=1
        break
      fi
    done
    ((ok)) || return 1
  done
}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
status=0

for toml in "$here"/projects/*/project.toml; do
  slug=$(basename "$(dirname "$toml")")
  # project.toml is TOML: read it with a TOML parser rather than by pattern.
  # First line: repo and commit; then the paths one a line, "." when the whole tree.
  {
    read -r repo commit
    mapfile -t paths
  } < <(python3 -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    p = tomllib.load(f)
print(p["repo"], p["commit"])
paths = [q.strip("/").removeprefix("./") or "." for q in p.get("paths", ["."])]
print("\n".join(["."] if "." in paths else sorted(set(paths))))
' "$toml")
  [[ -n ${repo:-} && ${#commit} -eq 40 ]] || {
    echo "$slug: $toml needs repo = \"owner/name\" and a 40-hex commit" >&2
    status=1
    continue
  }
  name=${repo/\//+}
  tree=$dest/$name
  gitdir=${git_dirs[$repo]:-$mirror_dir/$name/repo}

  whole=0
  [[ ${paths[*]} == "." ]] && whole=1

  if [[ -f $tree/.authguard-commit ]]; then
    mapfile -t marker <"$tree/.authguard-commit"
    have=${marker[0]:-}
    if [[ $have == "$commit" ]]; then
      if covers "${#marker[@]}" "${marker[@]:1}" -- "${paths[@]}"; then
        echo "$slug: $tree already at $commit"
        continue
      fi
      # Same commit, fewer paths: ours to extend, whatever --force says.
      echo "$slug: $tree lacks some of ${paths[*]}, extracting again"
    elif ((!force)); then
      echo "$slug: $tree is at $have, not $commit (remove it or pass --force)" >&2
      status=1
      continue
    fi
  fi

  if ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "$slug: commit $commit of $repo is not in $gitdir (clone it bare there, or pass --git-dir $repo=PATH)" >&2
    status=1
    continue
  fi

  part=$dest/.$name.part
  rm -rf "$part"
  mkdir -p "$part"
  if ((whole)); then
    git --git-dir="$gitdir" archive --format=tar "$commit" | tar -x -C "$part"
  else
    git --git-dir="$gitdir" archive --format=tar "$commit" -- "${paths[@]}" | tar -x -C "$part"
  fi
  if ((whole)); then
    echo "$commit" >"$part/.authguard-commit"
  else
    printf '%s\n' "$commit" "${paths[@]}" >"$part/.authguard-commit"
  fi

  if [[ -d $tree && ! -f $tree/.authguard-commit ]] && ((!force)); then
    # Extracted by other means: adopt it only if it is exactly the pinned commit, on
    # the paths checked (a whole tree extracted by hand may hold more than them).
    same=1
    for p in "${paths[@]}"; do
      diff -rq --no-dereference "$part/$p" "$tree/$p" >/dev/null 2>&1 || same=0
    done
    if ((same)); then
      cp "$part/.authguard-commit" "$tree/.authguard-commit"
      rm -rf "$part"
      echo "$slug: adopted $tree (identical to $commit on ${paths[*]})"
      continue
    fi
    rm -rf "$part"
    echo "$slug: $tree exists, has no marker and differs from $commit (remove it or pass --force)" >&2
    status=1
    continue
  fi

  rm -rf "$tree"
  mv "$part" "$tree"
  echo "$slug: extracted $repo@$commit into $tree"
done

exit "$status"
