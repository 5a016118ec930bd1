#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage fix: the dry-run plan, every gate that refuses --apply (nothing
# runs), a fix that repairs a real local fault and verifies, a failing
# step with on_failure, a hung step and a flood of output, Ctrl-C mid-step,
# two fixers at once, and the rate limit. docs/safety.md maps each gate to
# the test here that covers it.
. "$(dirname "$0")/lib.sh"

export FIXDIR="$T/stack" TRIAGE_STORE="$T/triage.db"
mkdir -p "$FIXDIR"
# Sleeps with durations unique to this run, so that pgrep sees only ours.
HANG="300.$$1"
SLOW="120.$$2"
SLEEPY="121.$$3"

cat >"$T/fix.yaml" <<YAML
runbook: fixtest
vars: { dir: "{{env.FIXDIR}}" }
escalation: { contact: "#ops-test" }
probes:
  flag: { layer: app, file: "{{dir}}/flag", expect: exists }
  gate: { layer: app, file: "{{dir}}/gate", expect: exists }
  sleepy: { layer: app, command: [sleep, "$SLEEPY"], timeout: 5m }
failures:
  flag-missing:
    title: The flag file is missing
    when: "!flag.ok"
    guard: [gate.ok]
    fix:
      - { command: [touch, "{{dir}}/flag"] }
    verify: [flag]
    verify_timeout: 5s
  step-fails:
    when: "!flag.ok"
    fix:
      - { command: [sh, -c, "echo boom >&2; exit 3"] }
      - { command: [touch, "{{dir}}/after-failure"] }
    on_failure:
      - { command: [touch, "{{dir}}/rolled-back"] }
  continues:
    when: "!flag.ok"
    fix:
      - { command: ["false"], continue_on_error: true }
      - { command: [touch, "{{dir}}/flag"] }
    verify: [flag]
  hangs:
    when: "!flag.ok"
    fix:
      - { command: [sh, -c, "sleep $HANG & sleep $HANG; :"], timeout: 1s }
  floods:
    when: "!flag.ok"
    fix:
      - { command: [sh, -c, "head -c 20000000 /dev/zero | tr '\\\\0' x; echo; exit 1"] }
  slow:
    when: "!flag.ok"
    fix:
      - { command: [sh, -c, "sleep $SLOW & sleep $SLOW; :"], timeout: 5m }
  dangerous:
    when: "!flag.ok"
    fix:
      - { command: [touch, "{{dir}}/flag"], dangerous: recreates the flag }
    verify: [flag]
  no-effect:
    when: "!flag.ok"
    fix:
      - { command: ["true"] }
    verify: [flag]
    verify_timeout: 2s
    max_applies: 2
  manual:
    when: "!flag.ok"
    diagnosis: no automated fix
  slow-probe:
    when: "!sleepy.ok"
    fix:
      - { command: [touch, "{{dir}}/flag"] }
YAML
RB=(-f "$T/fix.yaml")
alive() { pgrep -f "sleep $1" >/dev/null; }

# The plan: a dry run changes nothing, shows the symptom, guard, steps.
run fix "${RB[@]}" flag-missing
expect_rc 0 "dry run"
expect_in "$T/out" "symptom: !flag.ok  (holds now)" "the plan says the symptom holds"
expect_in "$T/out" "guard: gate.ok  (DOES NOT HOLD now)" "the plan shows the guard's value"
expect_in "$T/out" "1. touch $FIXDIR/flag" "the plan shows each step's command"
expect_in "$T/out" "--apply --plan " "the plan says how to apply exactly it"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a dry run changed something"
[ ! -e "$TRIAGE_STORE" ] && pass || fail "a dry run created the store"
run fix "${RB[@]}" flag-missing --json
expect_jq '.schema == 1 and .failure == "flag-missing" and .applied == false and .refused == null and (.plan_hash | length) == 64 and .outcome == "planned"' "fix --json: the plan document"
expect_jq '.plan.steps[0].argv == ["touch", "'"$FIXDIR"'/flag"] and .plan.verify == ["flag"]' "fix --json: argv and verify"

# Usage: no failure id, an unknown one.
run fix "${RB[@]}"
expect_rc 3 "fix without a failure id"
expect_in "$T/err" "flag-missing" "the failure modes are listed"
run fix "${RB[@]}" nope
expect_rc 3 "an unknown failure id"
expect_in "$T/err" 'no failure mode named "nope"' "the unknown id is named"
run fix "${RB[@]}" flag-missing --apply --yes --store /proc/nonexistent/x.db
expect_rc 3 "a store that cannot be opened"
expect_in "$T/err" "nothing was run" "nothing runs without a store"

# A --plan that is no plan hash is a usage error; nothing is probed.
run fix "${RB[@]}" flag-missing --apply --yes --plan zz
expect_rc 3 "a --plan that is not a hash"
expect_in "$T/err" "--plan takes 6 or more hex digits" "the usage error says what --plan takes"

# Gate: no terminal and no --yes.
run fix "${RB[@]}" continues --apply </dev/null
expect_rc 2 "no terminal, no --yes"
expect_in "$T/out" "REFUSED  no terminal to confirm on" "refused without a terminal"

# Gate: the guard.
run fix "${RB[@]}" flag-missing --apply --yes
expect_rc 2 "the guard does not hold"
expect_in "$T/out" "REFUSED  the guard gate.ok does not hold" "refused by the guard"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a refused fix ran a step"

# Gate: a plan that drifted. The hash changes when the guard's truth does.
run fix "${RB[@]}" flag-missing --json
old=$(jq -r .plan_hash "$T/out")
touch "$FIXDIR/gate"
run fix "${RB[@]}" flag-missing --apply --yes --plan "${old:0:12}"
expect_rc 2 "a drifted plan"
expect_in "$T/out" "the plan has changed since ${old:0:12} was shown" "refused: the plan drifted"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a drifted plan ran a step"

# The fix repairs the fault, verifies green, and records it.
run fix "${RB[@]}" flag-missing --json
new=$(jq -r .plan_hash "$T/out")
[ "$new" != "$old" ] && pass || fail "the hash did not change with the guard"
run fix "${RB[@]}" flag-missing --apply --yes --plan "${new:0:8}" --json
expect_rc 0 "apply, verify, resolved"
expect_jq '.applied == true and .outcome == "resolved" and .verify.ok == true and .incident == 1 and .steps[0].exit == 0 and .steps[0].argv[0] == "touch"' "the fix document of a resolved fix"
[ -e "$FIXDIR/flag" ] && pass || fail "the fix did not create the flag"
expect_eq "$(sqlite3 "$TRIAGE_STORE" "select group_concat(kind, ',') from (select kind from events where incident = 1 order by seq)")" \
	"opened,step,verify,closed" "the incident records every stage"

# A second apply: the symptom is gone, nothing to fix, nothing run.
run fix "${RB[@]}" flag-missing --apply --yes
expect_rc 0 "nothing to fix"
expect_in "$T/out" "NOTHING TO FIX  the symptom (!flag.ok) does not hold now" "refused: the symptom is gone"
expect_eq "$(sqlite3 "$TRIAGE_STORE" "select count(*) from events where kind = 'opened'")" 1 "nothing to fix opens no incident"
rm -f "$FIXDIR/flag"

# No automated fix.
run fix "${RB[@]}" manual --apply --yes
expect_rc 2 "no automated fix"
expect_in "$T/out" "manual has no automated fix" "refused: nothing to run"

# A failing step stops the run; on_failure runs; the incident stays open.
run fix "${RB[@]}" step-fails --apply --yes --json
expect_rc 2 "a failing step"
expect_jq '.outcome == "failed" and (.steps | length) == 2 and .steps[0].exit == 3 and .steps[0].stderr == "boom" and .steps[1].phase == "on_failure" and .verify == null' "the failed step and on_failure are recorded"
[ ! -e "$FIXDIR/after-failure" ] && pass || fail "a step after a failed one ran"
[ -e "$FIXDIR/rolled-back" ] && pass || fail "on_failure did not run"
run fix "${RB[@]}" continues --apply --yes --json
expect_rc 0 "continue_on_error"
expect_jq '.outcome == "resolved" and .steps[0].ok == false and .steps[1].ok == true' "a step that may fail does not stop the run"
rm -f "$FIXDIR/flag"

# A hung step is killed with its whole process group at its timeout.
run fix "${RB[@]}" hangs --apply --yes --json
expect_rc 2 "a hung step"
expect_jq '.steps[0].reason == "timeout after 1s" and .outcome == "failed"' "the hung step times out"
sleep 0.2
alive $HANG && fail "a hung step's process group survived" || pass

# A step that floods its output is capped, in the document and the store.
run fix "${RB[@]}" floods --apply --yes --json
expect_rc 2 "a flooding step"
expect_jq '.steps[0].truncated == true and (.steps[0].output | length) <= 65536' "the flood is capped"
size=$(stat -c %s "$TRIAGE_STORE")
[ "$size" -lt 2000000 ] && pass || fail "the store grew by the flood: $size bytes"

# Ctrl-C mid-step: the step's group is killed, the incident says so.
"$TRIAGE" fix "${RB[@]}" slow --apply --yes --json >"$T/slow.out" 2>"$T/slow.err" &
slow=$!
for _ in $(seq 100); do alive $SLOW && break; sleep 0.05; done
alive $SLOW && pass || fail "the slow step did not start"

# Two fixers: the second is refused and told who holds the lock.
touch "$FIXDIR/gate"
run fix "${RB[@]}" flag-missing --apply --yes
expect_rc 2 "a second fixer"
expect_in "$T/out" "another fix of fixtest is running" "refused: the lock is held"
expect_in "$T/out" "(pid $slow on" "the holder's pid is named"
[ ! -e "$FIXDIR/flag" ] && pass || fail "the second fixer ran a step"

kill -INT "$slow"
wait "$slow"
expect_eq "$?" 130 "Ctrl-C exits 130"
sleep 0.2
alive $SLOW && fail "a process of the interrupted step survived" || pass
cp "$T/slow.out" "$T/out"
expect_jq '.outcome == "interrupted" and .steps[0].reason == "interrupted"' "the interruption is in the document"
n=$(jq .incident "$T/slow.out")
expect_eq "$(sqlite3 "$TRIAGE_STORE" "select count(*) from events where incident = $n and kind = 'interrupted'")" 1 "the incident records the interruption"

# Ctrl-C while the symptom is being probed: nothing runs, no incident.
"$TRIAGE" fix "${RB[@]}" slow-probe --apply --yes --json >"$T/sleepy.out" 2>&1 &
sleepy=$!
for _ in $(seq 100); do alive $SLEEPY && break; sleep 0.05; done
kill -INT "$sleepy"
wait "$sleepy"
expect_eq "$?" 130 "Ctrl-C while probing exits 130"
cp "$T/sleepy.out" "$T/out"
expect_jq '.outcome == "interrupted" and .applied == false and .incident == null and .steps == []' "interrupted while probing: nothing ran"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a step ran after Ctrl-C while probing"
alive $SLEEPY && fail "the interrupted probe survived" || pass

# The lock is released: the next fixer goes ahead.
run fix "${RB[@]}" flag-missing --apply --yes
expect_rc 0 "the lock was released"
rm -f "$FIXDIR/flag"

# A fixer killed with SIGKILL leaves its lock behind; the lock names a
# process that is gone, on this host, so the next fixer takes it over.
"$TRIAGE" fix "${RB[@]}" slow --apply --yes >/dev/null 2>&1 &
slow=$!
for _ in $(seq 100); do alive $SLOW && break; sleep 0.05; done
{ kill -KILL "$slow"; wait "$slow"; } 2>/dev/null
pkill -f "sleep $SLOW"	# SIGKILL gave triage no chance to stop its step
run fix "${RB[@]}" flag-missing --apply --yes --json
expect_rc 0 "a stale lock is taken over"
expect_jq '.lock_taken_over.stale == true and .lock_taken_over.pid == '"$slow" "the takeover is reported"
rm -f "$FIXDIR/flag"

# Dangerous steps: --allow-dangerous and the failure id typed.
run fix "${RB[@]}" dangerous --apply --yes
expect_rc 2 "a dangerous step without --allow-dangerous"
expect_in "$T/out" "it needs --allow-dangerous" "refused: dangerous"
run fix "${RB[@]}" dangerous --apply --yes --allow-dangerous </dev/null
expect_rc 2 "a dangerous step, not typed"
expect_in "$T/out" "needs the failure id typed" "refused: no typed confirmation"
run fix "${RB[@]}" dangerous --apply --yes --allow-dangerous --confirm flag-missing
expect_rc 2 "a dangerous step, the wrong id"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a refused dangerous step ran"
run fix "${RB[@]}" dangerous --apply --yes --allow-dangerous --confirm dangerous
expect_rc 0 "a dangerous step, confirmed"
[ -e "$FIXDIR/flag" ] && pass || fail "the confirmed dangerous step did not run"
rm -f "$FIXDIR/flag"

# On a terminal (script(1) gives the command a pty): the typed id, then
# the y/N prompt; anything but the id or "y" refuses.
tty_fix() {	# INPUT...: one line each, typed after the plan is shown
	(sleep 1; for line in "$@"; do printf '%s\n' "$line"; sleep 0.3; done) |
		script -qec "$TRIAGE fix -f $T/fix.yaml dangerous --apply --allow-dangerous --no-color" /dev/null >"$T/out" 2>&1
	RC=$?
}
tty_fix wrong
expect_rc 2 "a terminal: the wrong id typed"
expect_in "$T/out" "Type the failure id (dangerous) to go on" "the typed id is asked for"
expect_in "$T/out" "the failure id was not typed" "refused: the wrong id"
tty_fix dangerous n
expect_rc 2 "a terminal: declined"
expect_in "$T/out" "Apply 1 step to fixtest now? [y/N]" "confirmation is asked for"
expect_in "$T/out" "not confirmed at the prompt" "refused: declined"
[ ! -e "$FIXDIR/flag" ] && pass || fail "a declined fix ran a step"
tty_fix dangerous y
expect_rc 0 "a terminal: confirmed"
[ -e "$FIXDIR/flag" ] && pass || fail "the confirmed fix did not run"
rm -f "$FIXDIR/flag"

# Verify stays red: not resolved, and the rate limit (max_applies: 2).
run fix "${RB[@]}" no-effect --apply --yes --json
expect_rc 2 "verify does not go green"
expect_jq '.outcome == "unresolved" and .verify.ok == false and .verify.failing == ["flag"] and .verify.symptom_holds == true and .verify.attempts >= 2' "what is still failing"
run fix "${RB[@]}" no-effect --apply --yes
expect_rc 2 "the second apply runs (and fails to verify)"
run fix "${RB[@]}" no-effect --apply --yes
expect_rc 2 "the rate limit"
expect_in "$T/out" "no-effect was applied 2 times in the last 1h (max_applies: 2)" "refused: the rate limit"
expect_in "$T/out" "escalate to #ops-test" "the refusal points at escalation"

alive "$HANG" || alive "$SLOW" || alive "$SLEEPY" && fail "a process this test started survived" || pass
finish
