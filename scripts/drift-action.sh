#!/usr/bin/env bash
# The body of the repository's GitHub Action (action.yml): `purchases drift` on a spec pair,
# with the action's inputs taken from the environment.
#
#   INPUT_BASE, INPUT_REVISION    the old and the new spec (files), or instead
#   INPUT_PROVIDER, INPUT_AGAINST the checked-in spec of a provider and a candidate (file or URL)
#   INPUT_FAIL_ON                 breaking (default), warning, info or never
#   INPUT_FORMAT                  githubactions (default), text, json, markdown or junit
#   INPUT_IGNORE, INPUT_LEVELS    optional ignore (TOML) and levels files
#   INPUT_EVIDENCE                optional folder of recorded replies (`purchases list --record`)
#   INPUT_EVIDENCE_POLICY         report (default) or lower-unseen
#   PURCHASES_BIN                 the binary (default: `purchases` on PATH)
#
# Exits with the binary's code: 0 nothing at or above fail-on, 1 changes at or above it, 2 a
# usage or input error (a bad input here exits 2 too, naming the input). Where GitHub sets them,
# writes `exit-code` and `report` (the report's file) to $GITHUB_OUTPUT, and the Markdown report
# to $GITHUB_STEP_SUMMARY.
set -euo pipefail

fail() {
    echo "drift-action: $1" >&2
    if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
        # `%` is the one character of these messages an annotation must escape.
        echo "::error title=purchases drift::${1//%/%25}"
    fi
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        echo "exit-code=2" >>"$GITHUB_OUTPUT"
    fi
    exit 2
}

# A path input that is given must be a readable file.
check_file() {
    local name=$1 value=$2
    if [ ! -f "$value" ]; then
        fail "input '$name': no such file: $value"
    fi
    if [ ! -r "$value" ]; then
        fail "input '$name': cannot read $value"
    fi
}

base=${INPUT_BASE:-}
revision=${INPUT_REVISION:-}
provider=${INPUT_PROVIDER:-}
against=${INPUT_AGAINST:-}
fail_on=${INPUT_FAIL_ON:-breaking}
format=${INPUT_FORMAT:-githubactions}
ignore=${INPUT_IGNORE:-}
levels=${INPUT_LEVELS:-}
evidence=${INPUT_EVIDENCE:-}
evidence_policy=${INPUT_EVIDENCE_POLICY:-report}
bin=${PURCHASES_BIN:-purchases}

case "$fail_on" in
    breaking | warning | info | never) ;;
    *) fail "input 'fail-on' is '$fail_on'; expected one of breaking, warning, info, never" ;;
esac
case "$evidence_policy" in
    report | lower-unseen) ;;
    *) fail "input 'evidence-policy' is '$evidence_policy'; expected report or lower-unseen" ;;
esac
case "$format" in
    text | json | markdown | githubactions | junit) ;;
    *) fail "input 'format' is '$format'; expected one of text, json, markdown, githubactions, junit" ;;
esac

# What to compare: two files, or a provider's checked-in spec and a candidate.
inputs=()
if [ -n "$provider" ] || [ -n "$against" ]; then
    if [ -n "$base" ] || [ -n "$revision" ]; then
        fail "give either inputs 'base' and 'revision', or 'provider' and 'against', not both"
    fi
    [ -n "$provider" ] || fail "input 'provider' is required with 'against'"
    [ -n "$against" ] || fail "input 'against' is required with 'provider'"
    case "$against" in
        https://* | http://*) ;;
        *) check_file against "$against" ;;
    esac
    inputs=(--provider "$provider" --against "$against")
else
    [ -n "$base" ] || fail "input 'base' is required (the old spec, a file)"
    [ -n "$revision" ] || fail "input 'revision' is required (the new spec, a file)"
    check_file base "$base"
    check_file revision "$revision"
    # `--` keeps a path that begins with a dash a path.
    inputs=(-- "$base" "$revision")
fi

# The options come before the specs (after `--` everything is a path). An empty array is
# expanded as ${options[@]+"${options[@]}"}: bash before 4.4 calls it unbound under `set -u`.
options=()
if [ -n "$ignore" ]; then
    check_file ignore "$ignore"
    options+=(--ignore "$ignore")
fi
if [ -n "$levels" ]; then
    check_file levels "$levels"
    options+=(--levels "$levels")
fi
if [ -n "$evidence" ]; then
    [ -d "$evidence" ] || fail "input 'evidence': no such folder: $evidence"
    options+=(--evidence "$evidence" --evidence-policy "$evidence_policy")
elif [ "$evidence_policy" != report ]; then
    fail "input 'evidence-policy' needs input 'evidence' (a folder of recorded replies)"
fi

if ! command -v "$bin" >/dev/null 2>&1; then
    fail "the purchases binary was not found: $bin (set the action's 'binary' input, or PURCHASES_BIN)"
fi

report_dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/purchases-drift.XXXXXX")
case "$format" in
    json) report=$report_dir/drift.json ;;
    markdown) report=$report_dir/drift.md ;;
    junit) report=$report_dir/drift.xml ;;
    *) report=$report_dir/drift.txt ;;
esac

code=0
"$bin" drift --format "$format" --fail-on "$fail_on" ${options[@]+"${options[@]}"} "${inputs[@]}" >"$report" || code=$?
# Annotations are read from the step's standard output.
cat "$report"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "exit-code=$code"
        echo "report=$report"
    } >>"$GITHUB_OUTPUT"
fi

# The run summary gets the Markdown report (only when the comparison itself ran).
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$code" -le 1 ]; then
    if [ "$format" = markdown ]; then
        cat "$report" >>"$GITHUB_STEP_SUMMARY"
    else
        # The Markdown report does not depend on --fail-on; `never` keeps this run's exit 0.
        "$bin" drift --format markdown --fail-on never ${options[@]+"${options[@]}"} "${inputs[@]}" \
            >>"$GITHUB_STEP_SUMMARY" ||
            echo "drift-action: the Markdown summary could not be written" >&2
    fi
fi

exit "$code"
