#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# auto_fix: a failure mode marked `auto_fix: true` is applied by triage watch
# through `triage fix --apply` (lock, guard, symptom re-check, rate limit,
# verify, incident) when it becomes active; with --no-auto-fix it is not.
. "$(dirname "$0")/lib.sh"

mkrb() {	# FILE AUTO: a runbook whose fix puts the flag back
	cat >"$1" <<YAML
runbook: autofix
probes:
  flag: { layer: app, file: "$T/flag", expect: exists, interval: 1s }
triage:
  start: top
  nodes:
    top: { ask: "Is the flag there?", if: flag.ok, then: [], else: [flag-missing] }
failures:
  flag-missing:
    title: The flag is missing
    layer: app
    when: "!flag.ok"
    diagnosis: Someone removed the flag.
    evidence: [{ command: [ls, -la, "$T"] }]
    fix: [{ command: [touch, "$T/flag"] }]
    verify: [flag]
    verify_timeout: 10s
    auto_fix: $2
YAML
}

# ---- with auto_fix: true, the daemon puts the flag back
mkrb "$T/rb.yaml" true
export XDG_STATE_HOME=$T/state
"$TRIAGE" watch -f "$T/rb.yaml" --listen "127.0.0.1:$(closed_port)" \
	--store "$T/store.db" 2>"$T/daemon.log" &
DAEMON=$!
PIDS+=($DAEMON)
if until_ok 20 test -e "$T/flag"; then pass; else
	fail "auto_fix applied the fix"; sed 's/^/  | /' "$T/daemon.log" >&2
fi
until_ok 15 grep -q "auto_fix flag-missing: triage fix exited 0" "$T/daemon.log" ||
	{ fail "the log says the fix resolved it"; sed 's/^/  | /' "$T/daemon.log" >&2; }
run incidents list --store "$T/store.db" --json
expect_jq '[.incidents[] | select(.failure == "flag-missing" and .status == "resolved")] | length == 1' \
	"one resolved incident recorded by the fix path"
kill -TERM "$DAEMON"; wait "$DAEMON"
PIDS=()

# ---- --no-auto-fix: the failure is reported, nothing is applied
rm -f "$T/flag"
"$TRIAGE" watch -f "$T/rb.yaml" --listen "127.0.0.1:$(closed_port)" \
	--store "$T/store2.db" --no-auto-fix 2>"$T/daemon2.log" &
DAEMON=$!
PIDS+=($DAEMON)
until_ok 10 grep -q "failure flag-missing: active" "$T/daemon2.log" || fail "the failure is reported"
sleep 2
if [ -e "$T/flag" ]; then fail "--no-auto-fix applied a fix"; else pass; fi
expect_not_in "$T/daemon2.log" "auto_fix" "no auto_fix started"
kill -TERM "$DAEMON"; wait "$DAEMON"
PIDS=()
finish
