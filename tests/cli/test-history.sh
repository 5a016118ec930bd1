#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage history: usage errors, a store that does not exist yet (not
# created), and samples and state changes that `triage check --record`
# stored: the human sections, --json, --probe, --runbook, --limit and
# --since as a duration and as an ISO-8601 time.
. "$(dirname "$0")/lib.sh"
unset TRIAGE_STORE TRIAGE_RUNBOOK NO_COLOR
export XDG_STATE_HOME=$T/xdg

DB=$T/store/triage.db
RB=$T/hist.yaml
cat >"$RB" <<YAML
runbook: hist-test
probes:
  flagfile: { layer: app, file: $T/flag }
  always:   { layer: host, command: ["true"] }
YAML

# ---- usage ----
run history --since bogus
expect_rc 3 "--since that is neither a duration nor a time"
expect_in "$T/err" 'not "bogus"' "--since bogus: says so"
run history --since 5
expect_rc 3 "--since with a bare number"
run history --limit 0
expect_rc 3 "--limit 0"
run history --limit many
expect_rc 3 "--limit many"
run history extra
expect_rc 3 "an argument"
expect_in "$T/err" 'unexpected argument "extra"' "an argument: says so"
run history -f "$RB"
expect_rc 3 "-f names a runbook: history reads no runbook"
expect_in "$T/err" "use --runbook ID" "-f: points at --runbook"
run history --prbe x
expect_rc 3 "misspelt option"
expect_in "$T/err" "did you mean --probe?" "misspelt option: hint"
run history --help
expect_rc 0 "--help"
expect_in "$T/out" "--since DURATION|TIME" "--help: --since"
expect_in "$T/out" "exit status: 0 ok" "--help: exit codes"
run --help
expect_in "$T/out" "history" "the command table lists history"

# ---- a store that does not exist yet ----
run history --store "$DB"
expect_rc 0 "missing store"
expect_in "$T/out" "no history (store $DB does not exist yet)" \
	"missing store: says so"
run history --store "$DB" --json --since 2026-01-02T03:04:05Z
expect_rc 0 "missing store: --json"
expect_jq '.schema == 1 and .since == "2026-01-02T03:04:05.000Z" and .samples == [] and .changes == []' \
	"missing store: an empty document"
run history
expect_in "$T/out" "store $T/xdg/triage/triage.db does not exist yet" \
	"the default store"
[ ! -e "$T/store" ] && [ ! -e "$T/xdg" ] && pass ||
	fail "reading a missing store created it"

# ---- samples stored by check --record ----
# record_run: one run that stores its results, by check --record (or, until
# check has it, diagnose --record); it must not fail to record.
has_record() { "$TRIAGE" "$1" --help | grep -q -- '--record'; }
RECORDER=
has_record diagnose && RECORDER=diagnose
has_record check && RECORDER=check
record_run() {
	run "$RECORDER" -f "$RB" --record --store "$DB"
	if [ "$RC" -ne 3 ] && ! grep -q -- "--record" "$T/err"; then pass; else
		fail "$RECORDER --record: exit $RC"
		sed 's/^/  err: /' "$T/err" | head -5 >&2
	fi
}
if [ -n "$RECORDER" ]; then
	[ "$RECORDER" = check ] || echo "NOTE: check has no --record yet; diagnose --record stored the samples"
	rm -f "$T/flag"
	record_run
	touch "$T/flag"
	record_run
	record_run

	run history --store "$DB"
	expect_rc 0 "history"
	expect_eq "$(sed -n 1p "$T/out" | sed 's/ since .*//')" \
		"3 state changes, 6 samples" "history: the answer first"
	expect_eq "$(sed -n 3p "$T/out")" "Changes" "history: changes first"
	expect_eq "$(sed -n 4p "$T/out" | awk '{print $2, $3, $4, $5}')" \
		"flagfile critical -> ok" "history: the newest change first"
	expect_in "$T/out" "flagfile  (first) -> critical  not_found: $T/flag" \
		"history: the first state of a probe, with its reason"
	expect_in "$T/out" "always    (first) -> ok" "history: the other probe"
	expect_in "$T/out" "Samples" "history: the samples"
	expect_in "$T/out" "RUNBOOK    PROBE     STATE     LATENCY  REASON" \
		"history: the samples table"
	expect_eq "$(grep -c ' hist-test ' "$T/out")" "6" "history: six samples"
	expect_not_in "$T/out" $'\033[' "history: no colour off a terminal"

	run history --store "$DB" --json
	expect_rc 0 "history --json"
	expect_jq '.schema == 1 and (.samples | length) == 6 and (.changes | length) == 3' \
		"--json: every sample and change"
	expect_jq '.since | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' \
		"--json: since is ISO-8601"
	expect_jq '[.samples[].at] == ([.samples[].at] | sort | reverse)' \
		"--json: samples newest first"
	expect_jq '.changes[0] | .probe == "flagfile" and .from == "critical" and .to == "ok" and .runbook == "hist-test"' \
		"--json: the newest change"
	expect_jq '.changes | map(select(.probe == "flagfile" and .from == null)) | .[0].reason == "not_found: '"$T"'/flag"' \
		"--json: a first change has from null"
	expect_jq '.samples | map(select(.state == "critical")) | length == 1 and .[0].probe == "flagfile"' \
		"--json: the critical sample"
	expect_jq '.samples | all(has("latency_ms") and has("reason") and (.at | test("Z$")))' \
		"--json: sample fields"

	run history --store "$DB" --json --probe flagfile
	expect_jq '(.samples | length) == 3 and all(.samples[]; .probe == "flagfile") and (.changes | length) == 2' \
		"--probe"
	run history --store "$DB" --json --runbook hist-test --limit 2
	expect_jq '(.samples | length) == 2 and (.changes | length) == 2' \
		"--limit 2"
	run history --store "$DB" --limit 2
	expect_in "$T/out" "--limit N for more" "--limit: says there is more"
	run history --store "$DB" --runbook nope
	expect_rc 0 "--runbook with nothing"
	expect_in "$T/out" "no samples of runbook nope since" "--runbook: none"
	run history --store "$DB" --json --since 2000-01-01
	expect_jq '(.samples | length) == 6 and .since == "2000-01-01T00:00:00.000Z"' \
		"--since a date"
	run history --store "$DB" --json --since 2999-01-01T00:00:00Z
	expect_jq '(.samples | length) == 0' "--since the future"
	sleep 1.2
	run history --store "$DB" --json --since 1s
	expect_jq '(.samples | length) == 0 and (.changes | length) == 0' \
		"--since 1s: nothing that recent"
	run history --store "$DB" --json --since 1h
	expect_jq '(.samples | length) == 6' "--since 1h: all of it"

	if [ "$RECORDER" = check ] && has_record diagnose; then
		run diagnose -f "$RB" --record --store "$DB"
		expect_rc 0 "diagnose --record: healthy"
		run history --store "$DB" --json --since 1h
		expect_jq '(.samples | length) == 8' "diagnose --record adds samples"
	fi
else
	echo "SKIP: neither check nor diagnose has --record yet; the populated checks did not run"
fi

finish
