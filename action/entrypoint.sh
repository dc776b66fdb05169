#!/usr/bin/env bash
# authguard's GitHub Action: install authguard, work out which commit a pull
# request is compared with, run one check, publish the counts as step outputs
# and fail the step as `fail-on` says.
#
# Inputs arrive as environment variables (action.yml maps each input to one),
# so the script also runs outside GitHub, given the same variables:
#
#   INPUT_PATHS       files or directories, whitespace-separated   (default .)
#   INPUT_POLICY      policy file                        (default: authguard's search)
#   INPUT_FORMAT      human|json|sarif|github, printed to the log   (default github)
#   INPUT_FAIL_ON     error|warning|never                           (default error)
#   INPUT_VERSION     source | a crates.io version such as 0.1.0    (default source)
#   INPUT_SARIF_FILE  where the SARIF report goes          (default authguard.sarif)
#   INPUT_BASE        git ref to compare with (default: the pull request's base)
#
#   AUTHGUARD_BIN     an authguard executable to use instead of installing one
#                     (self-hosted runners with authguard preinstalled; tests)
#
# GitHub's own variables used: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
# GITHUB_OUTPUT, GITHUB_PATH, GITHUB_ACTION_PATH, RUNNER_TEMP. authguard
# itself appends a Markdown summary to GITHUB_STEP_SUMMARY with --format github.
#
# Exit status: 2 when the check could not be made; else 1 when `fail-on`
# says the findings fail the step; else 0.
set -euo pipefail

# ------------------------------------------------------------------ helpers

# Workflow-command data escaping: %, CR, LF.
escape() {
    local s=$1
    s=${s//'%'/%25}
    s=${s//$'\r'/%0D}
    s=${s//$'\n'/%0A}
    printf '%s' "$s"
}

error() { printf '::error title=authguard::%s\n' "$(escape "$*")"; }
warning() { printf '::warning title=authguard::%s\n' "$(escape "$*")"; }
notice() { printf '::notice title=authguard::%s\n' "$(escape "$*")"; }

# The check could not be made: exit 2, as authguard does.
die() {
    error "$*"
    exit 2
}

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    s=${s%"${s##*[![:space:]]}"}
    printf '%s' "$s"
}

# ------------------------------------------------------------------ inputs

paths=${INPUT_PATHS:-.}
policy=$(trim "${INPUT_POLICY:-}")
format=$(trim "${INPUT_FORMAT:-github}")
fail_on=$(trim "${INPUT_FAIL_ON:-error}")
version=$(trim "${INPUT_VERSION:-source}")
sarif=$(trim "${INPUT_SARIF_FILE:-authguard.sarif}")
base=$(trim "${INPUT_BASE:-}")
[[ -n $format ]] || format=github
[[ -n $fail_on ]] || fail_on=error
[[ -n $version ]] || version=source
[[ -n $sarif ]] || sarif=authguard.sarif

case $format in
    human | json | sarif | github) ;;
    *) die "input format: \`$format\` is not one of human, json, sarif, github" ;;
esac
case $fail_on in
    error | warning | never) ;;
    *) die "input fail-on: \`$fail_on\` is not one of error, warning, never" ;;
esac
if [[ $version != source && ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    die "input version: \`$version\` is neither \`source\` nor a version such as 0.1.0"
fi

scratch=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/authguard-action.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# ------------------------------------------------------------------ install

if [[ -n ${AUTHGUARD_BIN:-} ]]; then
    [[ -f $AUTHGUARD_BIN && -x $AUTHGUARD_BIN ]] ||
        die "AUTHGUARD_BIN=$AUTHGUARD_BIN is not an executable file"
    authguard=$AUTHGUARD_BIN
else
    command -v cargo >/dev/null 2>&1 ||
        die "cargo is needed to install authguard (version: $version); install a Rust toolchain first, or set AUTHGUARD_BIN"
    install_root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/authguard-action-bin/$version"
    echo "::group::Install authguard ($version)"
    if [[ $version == source ]]; then
        [[ -n ${GITHUB_ACTION_PATH:-} && -f ${GITHUB_ACTION_PATH}/Cargo.toml ]] ||
            die "version: source needs GITHUB_ACTION_PATH to be the action's checkout (no Cargo.toml in \`${GITHUB_ACTION_PATH:-}\`)"
        cargo install --path "$GITHUB_ACTION_PATH" --locked --root "$install_root" ||
            die "cargo install --path $GITHUB_ACTION_PATH failed"
    else
        cargo install authguard --version "$version" --locked --root "$install_root" ||
            die "cargo install authguard --version $version failed"
    fi
    echo "::endgroup::"
    authguard=$install_root/bin/authguard
    [[ -x $authguard ]] || authguard=$install_root/bin/authguard.exe
    [[ -x $authguard ]] || die "cargo install left no authguard executable in $install_root/bin"
    # Later steps of the job can run authguard too.
    if [[ -n ${GITHUB_PATH:-} ]]; then
        printf '%s\n' "$install_root/bin" >>"$GITHUB_PATH"
    fi
fi
bin_dir=$(cd "$(dirname "$authguard")" && pwd)
PATH=$bin_dir:$PATH
export PATH
"$authguard" --version || die "$authguard does not run"

# ------------------------------------------------------------------ base

event=${GITHUB_EVENT_NAME:-}
from_event=false
if [[ -z $base && ($event == pull_request || $event == pull_request_target) ]]; then
    [[ -n ${GITHUB_EVENT_PATH:-} && -f ${GITHUB_EVENT_PATH} ]] ||
        die "a $event event without its payload (GITHUB_EVENT_PATH=${GITHUB_EVENT_PATH:-})"
    base=$(python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    event = json.load(f)
pr = event.get("pull_request") or {}
print((pr.get("base") or {}).get("sha") or "")
' "$GITHUB_EVENT_PATH") || die "cannot read the event payload $GITHUB_EVENT_PATH"
    [[ $base =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] ||
        die "the $event payload has no pull_request.base.sha (found \`$base\`)"
    from_event=true
fi

git_() { git -c advice.detachedHead=false "$@"; }

has_merge_base() {
    git_ rev-parse --verify --quiet "$1^{commit}" >/dev/null 2>&1 &&
        git_ merge-base "$1" HEAD >/dev/null 2>&1
}

# Commits from $1 back to the shallow boundary (or the root).
depth_of() {
    git_ rev-list --count "$1" 2>/dev/null || echo 0
}

# Make sure the merge-base of $1 and HEAD is in the local history: fetch the
# base commit and deepen both sides until git finds it, then unshallow. A
# failed fetch (no remote, no network) leaves the local history as it is.
ensure_history() {
    local ref=$1 spec head depth d
    has_merge_base "$ref" && return 0
    if ! git_ remote get-url origin >/dev/null 2>&1; then
        notice "no remote \`origin\`: looking for the merge-base of $ref and HEAD in the local history only"
        return 0
    fi
    # What to ask the remote for: a commit id as is; `origin/X` as branch X.
    if [[ $ref =~ ^[0-9a-f]{7,64}$ ]]; then
        spec=$ref
    elif [[ $ref == origin/* ]]; then
        spec="+refs/heads/${ref#origin/}:refs/remotes/$ref"
    else
        spec=
    fi
    head=$(git_ rev-parse HEAD)
    echo "::group::Fetch history for the merge-base of $ref and HEAD"
    if [[ $(git_ rev-parse --is-shallow-repository) == true ]]; then
        # --depth counts from the tips; start beyond what is here so that
        # nothing is cut off, and double until the histories meet.
        depth=$(depth_of HEAD)
        d=$(depth_of "$ref")
        ((d > depth)) && depth=$d
        depth=$((depth < 25 ? 50 : depth * 2))
        for _ in 1 2 3 4; do
            if ! git_ fetch --no-tags --quiet --depth="$depth" origin ${spec:+"$spec"} "$head"; then
                echo "::endgroup::"
                warning "git fetch from origin failed: using the local history"
                return 0
            fi
            if has_merge_base "$ref"; then
                echo "::endgroup::"
                return 0
            fi
            depth=$((depth * 4))
        done
        git_ fetch --no-tags --quiet --unshallow origin ${spec:+"$spec"} ||
            warning "git fetch --unshallow from origin failed: using the local history"
    elif [[ -n $spec ]]; then
        git_ fetch --no-tags --quiet origin "$spec" ||
            warning "git fetch $ref from origin failed: using the local history"
    fi
    echo "::endgroup::"
}

if [[ -n $base ]]; then
    if git_ rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        ensure_history "$base"
        if ! has_merge_base "$base"; then
            if $from_event; then
                # Checking more than the pull request changed is better than
                # checking nothing.
                warning "no merge-base of the pull request's base $base and HEAD in the history: checking every file"
                base=
            fi
            # An explicit `base` input is passed on: authguard reports it (exit 2).
        fi
    elif $from_event; then
        warning "not a git repository: checking every file, not only the pull request's changes"
        base=
    fi
fi

# ------------------------------------------------------------------ check

# Whitespace-separated paths, no glob expansion.
set -f
# shellcheck disable=SC2206
path_list=($paths)
set +f
((${#path_list[@]} > 0)) || path_list=(.)

json_report=$scratch/report.json
sarif_dir=$(dirname "$sarif")
mkdir -p "$sarif_dir"

args=(check --format "$format" --report "sarif:$sarif" --report "json:$json_report")
[[ -z $policy ]] || args+=(--policy "$policy")
[[ -z $base ]] || args+=(--base "$base")
args+=(-- "${path_list[@]}")

echo "authguard ${args[*]}" >&2
set +e
"$authguard" "${args[@]}"
status=$?
set -e

if ((status != 0 && status != 1)); then
    die "authguard could not make the check (exit $status): see its messages above"
fi

counts=$(python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    s = json.load(f)["summary"]
print(int(s["findings"]), int(s["errors"]), int(s["warnings"]))
' "$json_report") || die "authguard wrote no readable JSON report to $json_report"
read -r findings errors warnings <<<"$counts"

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    {
        echo "findings=$findings"
        echo "errors=$errors"
        echo "warnings=$warnings"
        echo "sarif-file=$sarif"
    } >>"$GITHUB_OUTPUT"
fi
echo "authguard: $findings finding(s): $errors error(s), $warnings warning(s); SARIF report in $sarif" >&2

case $fail_on in
    error) ((errors == 0)) || exit 1 ;;
    warning) ((errors + warnings == 0)) || exit 1 ;;
    never) ;;
esac
exit 0
