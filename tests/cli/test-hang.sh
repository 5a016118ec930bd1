#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A command probe that forks a grandchild and hangs is killed with its
# whole process group at its timeout; nothing is left running. SIGINT stops
# a run cleanly the same way.
. "$(dirname "$0")/lib.sh"

# Sleeps with a duration unique to this run, so that pgrep sees only ours
# and never the unit tests' own sleeps running beside us under ctest -j.
S1="300.$$1"
S2="301.$$2"
S3="302.$$3"
S4="303.$$4"
S5="304.$$5"

cat >"$T/hang.yaml" <<YAML
runbook: cli-hang
probes:
  hang:
    layer: host
    shell: "sleep $S1 & echo \$! > $T/grandchild.pid; echo started; sleep $S1"
    timeout: 1s
  quick: { layer: host, command: [echo, fine] }
YAML
start=$(date +%s%N)
run check -f "$T/hang.yaml" --json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 2 "a hung probe is critical"
expect_jq '.probes[0] | .state == "critical" and .reason == "timeout after 1s"' "timeout reason"
expect_jq '.probes[0].stdout == "started"' "output captured before the kill is kept"
expect_jq '.probes[1] | .state == "ok" and .stdout == "fine"' "the other probe is unaffected"
[ "$ms" -lt 4000 ] && pass || fail "the run took ${ms} ms; the timeout is 1 s"
gc=$(cat "$T/grandchild.pid" 2>/dev/null)
if [ -n "$gc" ] && ! kill -0 "$gc" 2>/dev/null; then pass; else
	fail "grandchild $gc survived the timeout"
	kill -9 "$gc" 2>/dev/null
fi
if pgrep -f "sleep $S1" >/dev/null; then
	fail "a 'sleep $S1' is still running"
	pkill -9 -f "sleep $S1"
else pass; fi

# SIGINT in the middle of a run: the probe's group is killed, exit 3.
cat >"$T/long.yaml" <<YAML
runbook: cli-long
probes:
  long:
    shell: "sleep $S2 & echo \$! > $T/gc2.pid; sleep $S2"
    timeout: 60s
YAML
"$TRIAGE" check -f "$T/long.yaml" --json >"$T/out" 2>"$T/err" &
tpid=$!
for _ in $(seq 100); do [ -s "$T/gc2.pid" ] && break; sleep 0.05; done
kill -INT "$tpid"
wait "$tpid"
RC=$?
expect_rc 3 "interrupted run exits 3"
expect_jq '.probes[0].reason == "interrupted"' "interrupted reason"
expect_in "$T/err" "interrupted" "interruption reported on stderr"
gc=$(cat "$T/gc2.pid" 2>/dev/null)
sleep 0.2
if [ -n "$gc" ] && ! kill -0 "$gc" 2>/dev/null; then pass; else
	fail "grandchild $gc survived SIGINT"
	kill -9 "$gc" 2>/dev/null
fi
pgrep -f "sleep $S2" >/dev/null && { fail "a 'sleep $S2' is still running"; pkill -9 -f "sleep $S2"; } || pass

# What leaves the probe's process group is not left running either: GNU
# timeout puts itself in a group of its own, setsid in a session of its
# own. When their parent is killed (or exits) they are re-parented to
# triage, the subreaper, which kills them.
cat >"$T/escape.yaml" <<YAML
runbook: cli-escape
probes:
  own_group:
    shell: "timeout 300 sleep $S3; echo done"
    timeout: 1s
  own_session:
    shell: "setsid sleep $S4 >/dev/null 2>&1 & sleep 0.2; exit 0"
YAML
run check -f "$T/escape.yaml" --json
expect_rc 2 "the probe that hangs times out"
expect_jq '.probes[0].reason == "timeout after 1s" and .probes[1].state == "ok"' "the escapes ran as before"
sleep 0.2
for s in "$S3" "$S4"; do
	if pgrep -f "sleep $s" >/dev/null; then
		fail "'sleep $s', which left its probe's process group, is still running"
		pkill -9 -f "sleep $s"
	else pass; fi
done

# A command that reads the terminal (a password prompt) has none: it fails
# at once instead of stopping (SIGTTIN) until its timeout. script(1) gives
# triage a terminal for the run.
if command -v script >/dev/null 2>&1; then
	cat >"$T/tty.yaml" <<YAML
runbook: cli-tty
probes:
  prompt: { command: [cat, /dev/tty], timeout: 20s }
YAML
	script -qec "'$TRIAGE' check -f '$T/tty.yaml' --json" /dev/null >"$T/out" 2>&1
	tr -d '\r' <"$T/out" >"$T/tty.json"
	if jq -e '.probes[0] | (.reason | startswith("exit 1: cat: /dev/tty")) and .latency_ms < 10000' "$T/tty.json" >/dev/null; then pass; else
		fail "a command reading /dev/tty did not fail at once"
		head -20 "$T/tty.json" >&2
	fi
fi

# SIGHUP (the ssh session of an operator dropped) stops a run as SIGINT
# does: the probe's group is killed and reaped.
cat >"$T/hup.yaml" <<YAML
runbook: cli-hup
probes:
  long: { shell: "echo started; sleep $S5", timeout: 60s }
YAML
"$TRIAGE" check -f "$T/hup.yaml" --json >"$T/out" 2>"$T/err" &
tpid=$!
until_ok 5 pgrep -f "sleep $S5"
kill -HUP "$tpid"
wait "$tpid"
RC=$?
expect_rc 3 "a run that got SIGHUP exits 3"
expect_jq '.probes[0].reason == "interrupted"' "SIGHUP interrupts"
sleep 0.2
pgrep -f "sleep $S5" >/dev/null && { fail "a 'sleep $S5' survived SIGHUP"; pkill -9 -f "sleep $S5"; } || pass

# A command stuck in the kernel (on a hung NFS mount, `df` is) does not die
# on SIGKILL: the run still ends soon after the timeout, and the reason
# names the process and where it waits. A cgroup-v1 freezer makes such a
# process here; it dies once thawed, re-parented to init.
CG=/sys/fs/cgroup/freezer/triage-cli-$$
if [ "$(id -u)" = 0 ] && mkdir "$CG" 2>/dev/null; then
	freeze="echo \$\$ > $CG/cgroup.procs && echo FROZEN > $CG/freezer.state"
	cat >"$T/stuck.yaml" <<YAML
runbook: cli-stuck
probes:
  stuck: { shell: "$freeze; sleep 60", timeout: 1s }
  member: { shell: "sh -c '$freeze; sleep 60'; sleep 60", timeout: 1s }
  fine: { command: [echo, fine] }
YAML
	start=$(date +%s%N)
	RC=0
	timeout 30 "$TRIAGE" check -f "$T/stuck.yaml" --json >"$T/out" 2>"$T/err" || RC=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo FROZEN >"$CG/freezer.state"
	expect_rc 2 "a run with a process stuck in the kernel still ends"
	[ "$ms" -lt 10000 ] && pass || fail "the run took ${ms} ms"
	expect_jq '.probes[0].reason | test("^timeout after 1s; sh [(]pid [0-9]+[)] survived SIGKILL, waiting in the kernel at __refrigerator [(]its cgroup is frozen[)]$")' "the stuck leader is named"
	expect_jq '.probes[1].reason | test("^timeout after 1s; sh [(]pid [0-9]+[)] survived SIGKILL")' "a stuck member is named"
	expect_jq '.probes[0].exit == null and .probes[2].stdout == "fine"' "the rest of the run is whole"
	echo THAWED >"$CG/freezer.state"
	for _ in $(seq 200); do rmdir "$CG" 2>/dev/null && break; sleep 0.05; done
	[ -d "$CG" ] && fail "what was stuck did not go once thawed" || pass
else
	echo "test-hang.sh: not run: a process stuck in the kernel (needs root and a cgroup-v1 freezer)" >&2
fi

finish
