#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# With no runbook anywhere, triage checks this machine with the built-in
# host runbook; render --builtin prints that runbook, which loads as a file.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/empty"
(cd "$T/empty" && env -u TRIAGE_RUNBOOK "$TRIAGE" check >"$T/out" 2>"$T/err")
RC=$?
[ "$RC" -le 2 ] && pass || fail "builtin check exit $RC (expected 0, 1 or 2)"
expect_in "$T/out" "TRIAGE " "status line"
expect_in "$T/out" " - host: " "the built-in runbook is named host"
for probe in disk inodes memory swap load dns; do
	expect_in "$T/out" " $probe " "builtin probe $probe in the table"
done
[ -s "$T/err" ] && fail "builtin check wrote to stderr: $(head -3 "$T/err")" || pass

(cd "$T/empty" && env -u TRIAGE_RUNBOOK "$TRIAGE" check --json >"$T/out" 2>"$T/err")
expect_jq '.runbook == "host" and (.probes | length) >= 8' "builtin --json"
expect_jq '[.probes[] | select(.state == "unknown")] | length == 0' "no probe is unknown on this machine"
expect_jq '.probes[] | select(.id == "disk") | .json.used_pct | type == "number"' "disk reports used_pct"
expect_jq '.probes[] | select(.id == "memory") | .json.available_pct | type == "number"' "memory reports available_pct"

run render --builtin --format yaml
expect_rc 0 "render --builtin --format yaml"
expect_in "$T/out" "runbook: host" "render --builtin --format yaml prints the runbook"
cp "$T/out" "$T/host.yaml"
run check -f "$T/host.yaml" --json
expect_jq '.runbook == "host"' "the rendered runbook loads and runs as a file"

# No command at all diagnoses this machine.
(cd "$T/empty" && env -u TRIAGE_RUNBOOK XDG_STATE_HOME="$T/state" "$TRIAGE" --no-color >"$T/out" 2>"$T/err")
RC=$?
[ "$RC" -le 2 ] && pass || fail "bare triage exit $RC"
if grep -qE '^(HEALTHY  host: every probe (is ok|that ran is ok \([0-9]+ skipped\))$|FAILURE  |UNMATCHED  host: )' "$T/out"; then pass; else
	fail "bare triage does not diagnose this machine"
	head -5 "$T/out" >&2
fi
expect_in "$T/out" "probes: " "bare triage summarises the probes"

finish
