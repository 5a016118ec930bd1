#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage incidents: usage errors, a store that does not exist yet (not
# created), list, show and verify on incidents the real `triage fix
# --apply` recorded (one resolved fix of a local fault, twice, and one
# whose step fails), then a tampered event that verify must name.
. "$(dirname "$0")/lib.sh"
unset TRIAGE_STORE TRIAGE_RUNBOOK NO_COLOR
export XDG_STATE_HOME=$T/xdg

DB=$T/store/triage.db
RB=$T/inc.yaml
cat >"$RB" <<YAML
runbook: inc-test
probes:
  flagfile: { layer: app, file: $T/flag }
  marker:   { layer: app, file: $T/marker }
failures:
  flag-missing:
    title: The flag file is missing
    layer: app
    when: "!flagfile.ok"
    diagnosis: Something removed the flag file.
    evidence:
      - { command: [echo, evidence-here] }
    fix:
      - { command: [touch, $T/flag] }
    verify: [flagfile]
    verify_timeout: 5s
  marker-missing:
    title: The marker is missing
    layer: app
    when: "!marker.ok"
    fix:
      - { command: [sh, -c, "echo out-line; echo err-line >&2; exit 3"] }
    verify: [marker]
    verify_timeout: 2s
YAML

# ---- usage ----
run incidents bogus
expect_rc 3 "unknown subcommand"
expect_in "$T/err" 'unknown subcommand "bogus" (list, show ID or verify)' \
	"unknown subcommand: says which exist"
run incidents 7
expect_rc 3 "a bare number is not a subcommand"
expect_in "$T/err" "did you mean triage incidents show 7?" "bare number: hint"
run incidents show
expect_rc 3 "show without an id"
expect_in "$T/err" "show which incident?" "show without an id: says so"
run incidents show abc
expect_rc 3 "show with a non-numeric id"
expect_in "$T/err" '"abc" is not an incident id' "non-numeric id: says so"
run incidents show 0
expect_rc 3 "show 0"
run incidents show 1 2
expect_rc 3 "show with two ids"
run incidents verify extra
expect_rc 3 "verify with an argument"
expect_in "$T/err" 'unexpected argument "extra"' "verify: extra argument"
run incidents -f "$RB"
expect_rc 3 "-f names a runbook: incidents reads no runbook"
expect_in "$T/err" "use --runbook ID" "-f: points at --runbook"
run incidents --builtin
expect_rc 3 "--builtin is refused too"
run incidents show 1 --limit 3
expect_rc 3 "--limit is for list only"
expect_in "$T/err" "--limit is for list only" "--limit with show: says so"
run incidents verify --runbook x
expect_rc 3 "--runbook is for list only"
run incidents --limit 0
expect_rc 3 "--limit 0"
run incidents --limt 3
expect_rc 3 "misspelt option"
expect_in "$T/err" "did you mean --limit?" "misspelt option: hint"
run incidents --help
expect_rc 0 "--help"
expect_in "$T/out" "usage: triage incidents [options] [list | show ID | verify]" \
	"--help: usage line"
expect_in "$T/out" "--store PATH" "--help: --store"
expect_in "$T/out" "2 show: no such incident, verify: the hash chain is broken" \
	"--help: exit codes"
run --help
expect_in "$T/out" "incidents" "the command table lists incidents"

# ---- a store that does not exist yet ----
run incidents --store "$DB"
expect_rc 0 "missing store: list"
expect_in "$T/out" "no incidents (store $DB does not exist yet)" \
	"missing store: says so"
[ ! -e "$T/store" ] && pass || fail "missing store: list created $T/store"
run incidents list --store "$DB" --json
expect_rc 0 "missing store: list --json"
expect_jq '.schema == 1 and .incidents == []' "missing store: empty list"
run incidents show 1 --store "$DB"
expect_rc 2 "missing store: show"
expect_in "$T/err" "no incident 1 (store $DB does not exist yet)" \
	"missing store: show says so"
run incidents verify --store "$DB"
expect_rc 0 "missing store: verify"
expect_in "$T/out" "hash chain intact: 0 events" "missing store: verify"
[ ! -e "$T/store" ] && pass || fail "missing store: show/verify created it"
TRIAGE_STORE=$T/env.db run incidents
expect_in "$T/out" "store $T/env.db does not exist yet" "\$TRIAGE_STORE names it"
run incidents
expect_in "$T/out" "store $T/xdg/triage/triage.db does not exist yet" \
	"else \$XDG_STATE_HOME/triage/triage.db"
[ ! -e "$T/xdg" ] && pass || fail "the default store was created"
echo "not a database, not at all, not even close to one......" >"$T/junk.db"
run incidents --store "$T/junk.db"
expect_rc 3 "a file that is not a store"
expect_in "$T/err" "triage incidents: store $T/junk.db" \
	"not a store: names the store"

# ---- incidents recorded by triage fix --apply ----
rm -f "$T/flag" "$T/marker"
run fix flag-missing --apply --yes --store "$DB" -f "$RB"
expect_rc 0 "fix 1: resolved"
expect_in "$T/out" "incident 1" "fix 1: incident 1"
[ -e "$T/flag" ] && pass || fail "fix 1: the flag file was not made"
rm -f "$T/flag"
run fix flag-missing --apply --yes --store "$DB" -f "$RB"
expect_rc 0 "fix 2: resolved"
run fix marker-missing --apply --yes --store "$DB" -f "$RB"
expect_rc 2 "fix 3: the step fails"
expect_in "$T/out" "incident 3" "fix 3: incident 3"

run incidents --store "$DB"
expect_rc 0 "list"
expect_eq "$(sed -n 1p "$T/out")" "1 open, 3 incidents, newest first" \
	"list: the answer first"
expect_eq "$(sed -n 3p "$T/out" | awk '{print $1, $3, $4, $5}')" \
	"3 open inc-test marker-missing" "list: the newest first"
expect_eq "$(sed -n 5p "$T/out" | awk '{print $1, $3}')" "1 resolved" \
	"list: the oldest last"
expect_in "$T/out" "$(id -un)@" "list: the operator"
expect_in "$T/out" "triage incidents show ID" "list: what to do next"
expect_not_in "$T/out" $'\033[' "list: no colour off a terminal"
run incidents list --store "$DB" --json
expect_rc 0 "list --json"
expect_jq '.schema == 1 and ([.incidents[].id] == [3, 2, 1])' \
	"list --json: newest first"
expect_jq '.incidents[0] | .status == "open" and .closed_at == null and .failure == "marker-missing" and .runbook == "inc-test"' \
	"list --json: the open one"
expect_jq '.incidents[2] | .status == "resolved" and (.closed_at | test("Z$")) and (.opened_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and (.operator | test("@"))' \
	"list --json: a resolved one"
run incidents --store "$DB" --json --limit 1
expect_jq '[.incidents[].id] == [3]' "--limit 1"
run incidents --store "$DB" --limit 2
expect_in "$T/out" "the last 2 incidents, newest first (--limit N for more)" \
	"--limit: says there may be more"
run incidents --store "$DB" --runbook nope
expect_rc 0 "--runbook with no incidents"
expect_in "$T/out" "no incidents of runbook nope in $DB" "--runbook: none"
run incidents --store "$DB" --runbook inc-test --json
expect_jq '(.incidents | length) == 3' "--runbook inc-test"

run incidents show 1 --store "$DB"
expect_rc 0 "show 1"
expect_eq "$(sed -n 1p "$T/out")" \
	"INCIDENT 1  resolved  flag-missing: The flag file is missing" \
	"show: the answer first"
expect_in "$T/out" "  runbook:   inc-test ($RB, sha256 " "show: the runbook"
expect_in "$T/out" " on $(hostname)" "show: the host"
expect_in "$T/out" "  plan:      " "show: the plan hash"
expect_in "$T/out" "symptom: !flagfile.ok  (held)" "show: the symptom"
expect_in "$T/out" "not_found: $T/flag" "show: the probe before"
expect_in "$T/out" '$ echo evidence-here' "show: the evidence command"
expect_in "$T/out" "| evidence-here" "show: the evidence output"
expect_in "$T/out" "1. \$ touch $T/flag" "show: the step"
expect_in "$T/out" "ok  exit 0" "show: the step's exit"
expect_in "$T/out" "Verify  ok after 1 attempt" "show: verify"
expect_in "$T/out" "Closed  resolved" "show: closed"
expect_in "$T/out" "4 events (seq 1..4)" "show: the events"
expect_not_in "$T/out" $'\033[' "show: no colour off a terminal"
run incidents show 3 --store "$DB"
expect_rc 0 "show 3"
expect_in "$T/out" "INCIDENT 3  open  marker-missing" "show 3: open"
expect_in "$T/out" "not closed" "show 3: not closed"
expect_in "$T/out" "FAILED  exit 3" "show 3: the failed step"
expect_in "$T/out" "| out-line" "show 3: the step's output"
expect_in "$T/out" "| err-line" "show 3: the step's stderr"
expect_in "$T/out" "Stopped  a step failed" "show 3: the stopped event"
run incidents show 1 --store "$DB" --json
expect_rc 0 "show --json"
expect_jq '.schema == 1 and (.incidents | length) == 1' "show --json: one incident"
expect_jq '.incidents[0] | .id == 1 and .status == "resolved" and .runbook == "inc-test" and .failure == "flag-missing"' \
	"show --json: the header"
expect_jq '[.incidents[0].events[].kind] == ["opened", "step", "verify", "closed"]' \
	"show --json: the events in order"
expect_jq '.incidents[0].events[0].body | (.plan_hash | length) == 64 and .symptom.when == "!flagfile.ok" and .probes[0].state == "critical" and .evidence[0].stdout == "evidence-here"' \
	"show --json: the opened event"
expect_jq ".incidents[0].events[1].body | .argv == [\"touch\", \"$T/flag\"] and .exit == 0 and (.duration_ms | type) == \"number\"" \
	"show --json: the step"
expect_jq '.incidents[0].events[2].body.ok == true and .incidents[0].events[3].body.outcome == "resolved"' \
	"show --json: verify and closed"
expect_jq '.incidents[0].events | all(.hash | length == 64)' "show --json: hashes"
run incidents show 99 --store "$DB"
expect_rc 2 "show: no such incident"
expect_in "$T/err" "no incident 99 in $DB" "show 99: says so"

run incidents verify --store "$DB"
expect_rc 0 "verify"
expect_in "$T/out" "hash chain intact: 11 events" "verify: intact"
run incidents verify --store "$DB" --json
expect_rc 0 "verify --json"
expect_jq '.schema == 1 and .ok == true and .events == 11' "verify --json"

# ---- tampering ----
if command -v sqlite3 >/dev/null; then
	if sqlite3 "$DB" "UPDATE events SET body = '{}' WHERE seq = 6" \
		2>"$T/sqlerr"; then
		fail "the store let an event be edited"
	else
		expect_in "$T/sqlerr" "append-only" "the events table refuses an UPDATE"
	fi
	run incidents verify --store "$DB"
	expect_rc 0 "a refused edit leaves the chain intact"
	sqlite3 "$DB" "DROP TRIGGER events_no_update;
		UPDATE events SET body = replace(body, 'touch', 'rm') WHERE seq = 6;"
	expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE seq = 6 AND body LIKE '%\"rm\"%'")" \
		"1" "the event was edited"
	run incidents verify --store "$DB"
	expect_rc 2 "verify: a broken chain"
	expect_in "$T/out" "hash chain BROKEN at event 6: its hash does not match its contents" \
		"verify: names the first bad event and why"
	run incidents verify --store "$DB" --json
	expect_rc 2 "verify --json: a broken chain"
	expect_jq '.ok == false and .first_bad == 6 and .events == 11 and (.reason | test("edited"))' \
		"verify --json: first_bad"
else
	echo "SKIP: no sqlite3 command; the tampering checks did not run"
fi

finish
