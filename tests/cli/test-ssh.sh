#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `on: HOST` against a real OpenSSH server on loopback (tests/seeds/lib/
# sshd.sh): command, nagios, file and log probes give on the host what they
# give here; evidence and fix steps run there; a timeout kills the remote
# command; ssh's failures have clear reasons; the known_hosts file is the
# host's own; twenty probes on a host share one connection; nothing is
# left behind.
. "$(dirname "$0")/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/sshd.sh"

trap 'sshd_stop; cleanup' EXIT
sshd_start || { fail "sshd did not start"; finish; exit 1; }

# The control masters' directory, where the test can see it.
export XDG_RUNTIME_DIR=$T/run TRIAGE_STORE=$T/triage.db
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# Files the remote user (not root) may read and write.
W=$T/w
mkdir -p "$W"
chmod 777 "$W"
# Durations unique to this run, so that pgrep sees only ours.
SLEEP="71.$$"

SSHD_PID=$(cat "$SSHD_DIR/sshd.pid")
# under_sshd: the processes under our sshd's listener (sessions and what
# they run), one pid a line.
under_sshd() {
	local pids=$SSHD_PID kids all=
	while [ -n "$pids" ]; do
		kids=$(for p in $pids; do pgrep -P "$p"; done)
		all="$all $kids"
		pids=$kids
	done
	echo $all
}
# wait_gone CMD...: waits up to 5 s for CMD to fail (print nothing).
wait_gone() {
	local i
	for i in $(seq 100); do
		[ -z "$("$@")" ] && return 0
		sleep 0.05
	done
	return 1
}

# host NAME [KEY...]: a hosts: entry for the test server.
host() {
	local name=$1
	shift
	echo "  $name: { ssh: \"$SSH_TARGET\", port: $SSHD_PORT, identity: \"$SSH_KEY\", known_hosts: \"$SSH_KNOWN_HOSTS\" $*}"
}

printf 'one\nERROR first\ntwo\nERROR second\nthree\n' >"$W/app.log"
printf 'data\n' >"$W/data"
ln -s "$W/data" "$W/link"
ln -s "$W/nothing" "$W/dangling"
mkdir -p "$T/private"
chmod 700 "$T/private"
touch "$T/private/secret"
cat >"$T/same.yaml" <<YAML
runbook: same
hosts:
$(host box)
probes:
  cmd_here: { command: [sh, -c, 'echo "out \$TQ"; echo err >&2; exit 3'], env: { TQ: "a b" }, cwd: / }
  cmd_there: { on: box, command: [sh, -c, 'echo "out \$TQ"; echo err >&2; exit 3'], env: { TQ: "a b" }, cwd: / }
  shell_here: { shell: 'printf "%s|" "\$((2+3))" "it''s"' }
  shell_there: { on: box, shell: 'printf "%s|" "\$((2+3))" "it''s"' }
  nag_here: { nagios: [/usr/lib/nagios/plugins/check_dummy, 1, "disk at 81%"] }
  nag_there: { on: box, nagios: [/usr/lib/nagios/plugins/check_dummy, 1, "disk at 81%"] }
  file_here: { file: "$W/data" }
  file_there: { on: box, file: "$W/data" }
  link_here: { file: "$W/link" }
  link_there: { on: box, file: "$W/link" }
  dangling_here: { file: "$W/dangling" }
  dangling_there: { on: box, file: "$W/dangling" }
  dir_here: { file: "$W" }
  dir_there: { on: box, file: "$W" }
  missing_here: { file: "$W/missing" }
  missing_there: { on: box, file: "$W/missing" }
  log_here: { log: "$W/app.log", last: 4, match: ERROR }
  log_there: { on: box, log: "$W/app.log", last: 4, match: ERROR }
  nolog_here: { log: "$W/missing.log" }
  nolog_there: { on: box, log: "$W/missing.log" }
  dirlog_here: { log: "$W" }
  dirlog_there: { on: box, log: "$W" }
YAML

# --- the same fields and reasons as here -----------------------------------
have_nagios=1
[ -x /usr/lib/nagios/plugins/check_dummy ] || have_nagios=
before=$(sshd_sessions)
run check -f "$T/same.yaml" --json
after=$(sshd_sessions)
expect_eq "$((after - before))" 1 "one connection for all the probes on box"
# same A B KEYS: probe A's and B's fields KEYS are equal.
same() {
	local a b keys=$3
	a=$(jq -c --arg id "$1" ".probes[] | select(.id == \$id) | {$keys}" "$T/out")
	b=$(jq -c --arg id "$2" ".probes[] | select(.id == \$id) | {$keys}" "$T/out")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then pass; else
		fail "$2 differs from $1 in {$keys}: here $a, there $b"
	fi
}
same cmd_here cmd_there 'ok,state,reason,exit,stdout,stderr,truncated'
expect_jq '.probes[] | select(.id == "cmd_there") | .exit == 3 and .stdout == "out a b" and .reason == "exit 3: err"' "a command on the host: exit, stdout, stderr"
same shell_here shell_there 'ok,state,reason,exit,stdout'
expect_jq '.probes[] | select(.id == "shell_there") | .stdout == "5|it'"'"'s|"' "shell: on the host is sh -c there"
if [ -n "$have_nagios" ]; then
	same nag_here nag_there 'ok,state,reason,exit,output,perf'
	expect_jq '.probes[] | select(.id == "nag_there") | .state == "warning" and .output == "WARNING: disk at 81%"' "nagios on the host"
fi
for f in file link dangling dir missing; do
	same ${f}_here ${f}_there 'ok,state,reason,exists,type,target,size,mode,uid,gid,owner'
done
expect_jq '[.probes[] | select(.id == "file_here" or .id == "file_there") | .age] | length == 2 and (.[0] - .[1] | fabs) < 3' "file: age on the host too"
expect_jq '.probes[] | select(.id == "link_there") | .type == "symlink" and .size == 5 and .target == "'"$W/data"'"' "file: a symlink on the host"
expect_jq '.probes[] | select(.id == "dangling_there") | .exists == false and (.reason | startswith("not_found: "))' "file: a dangling symlink on the host"
expect_jq '.probes[] | select(.id == "missing_there") | .reason == "not_found: '"$W/missing"'"' "file: missing on the host"
same log_here log_there 'ok,state,reason,lines,matches,last_match,text'
expect_jq '.probes[] | select(.id == "log_there") | .lines == 4 and .matches == 2 and .last_match == "ERROR second"' "log: the tail on the host"
same nolog_here nolog_there 'ok,state,reason'
same dirlog_here dirlog_there 'ok,state,reason'

# The remote user may not look where root may: the reason is the one here.
if [ "$SSH_USER" != root ] && [ "$(id -u)" -eq 0 ]; then
	cat >"$T/perm.yaml" <<YAML
runbook: perm
hosts:
$(host box)
probes:
  secret: { on: box, file: "$T/private/secret" }
  secret_log: { on: box, log: "$T/private/secret" }
YAML
	run check -f "$T/perm.yaml" --json
	expect_jq '.probes[0].reason == "permission denied: '"$T/private/secret"'"' "file: permission denied on the host"
	expect_jq '.probes[1].reason == "permission denied: '"$T/private/secret"'"' "log: permission denied on the host"
fi

# --- evidence and fix steps on the host ------------------------------------
cat >"$T/fix.yaml" <<YAML
runbook: fixssh
hosts:
$(host box)
escalation: { contact: "#ops-test" }
probes:
  flag: { on: box, file: "$W/flag", expect: exists }
failures:
  flag-missing:
    title: The flag file is missing on box
    when: "!flag.ok"
    evidence:
      - { on: box, command: [sh, -c, 'echo evidence from \$(id -un)'] }
      - { on: box, log: "$W/app.log", last: 2 }
    fix:
      - { on: box, command: [sh, -c, 'id -un >"$W/flag"'] }
    verify: [flag]
    verify_timeout: 10s
YAML
run diagnose -f "$T/fix.yaml" --json
expect_rc 2 "diagnose: the flag is missing on box"
expect_jq '.failures[0].id == "flag-missing"' "diagnose: the failure on box"
expect_jq '.failures[0].evidence[0].stdout == "evidence from '"$SSH_USER"'"' "evidence on the host, as its user"
expect_jq '.failures[0].evidence[1].lines == 2' "log evidence on the host"
run fix flag-missing -f "$T/fix.yaml" --apply --yes --json
expect_rc 0 "fix --apply on the host"
expect_jq '.applied == true and .steps[0].host == "box" and .steps[0].exit == 0' "the fix step ran on box"
expect_jq '.verify.ok == true' "verify on the host"
expect_eq "$(cat "$W/flag" 2>/dev/null)" "$SSH_USER" "the step ran there, as the remote user"

# --- a timeout kills the remote command ------------------------------------
cat >"$T/hang.yaml" <<YAML
runbook: hang
hosts:
$(host box)
probes:
  hangs: { on: box, command: [sh, -c, 'sleep $SLEEP & sleep $SLEEP; echo late'], timeout: 1s }
YAML
t0=$(date +%s%N)
run check -f "$T/hang.yaml" --json
t1=$(date +%s%N)
expect_jq '.probes[0].reason == "timeout after 1s" and .probes[0].stdout == ""' "the remote command timed out"
[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] && pass || fail "check did not return soon after the 1s timeout"
if wait_gone pgrep -f "sleep $SLEEP"; then pass; else
	fail "the remote command outlived the timeout: $(pgrep -af "sleep $SLEEP")"
fi
# Nothing of ours is left on the host once triage has exited.
if wait_gone under_sshd; then pass; else
	fail "processes left under sshd: $(ps -o pid,args -p "$(under_sshd | tr ' ' ,)")"
fi
if [ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]; then pass; else
	fail "the control directory was not removed: $(ls -A "$XDG_RUNTIME_DIR")"
fi

# --- ssh's failures ---------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key" >/dev/null 2>&1
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/other_key.pub")" >"$T/wrong_known_hosts"
: >"$T/empty_known_hosts"
CLOSED=$(closed_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(60)' "$T/silent.port" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/silent.port" ] && break; sleep 0.05; done
cat >"$T/fail.yaml" <<YAML
runbook: fail
hosts:
  refused: { ssh: "$SSH_TARGET", port: $CLOSED, identity: "$SSH_KEY", known_hosts: "$SSH_KNOWN_HOSTS" }
  wrongkey: { ssh: "$SSH_TARGET", port: $SSHD_PORT, identity: "$T/other_key", known_hosts: "$SSH_KNOWN_HOSTS" }
  changed: { ssh: "$SSH_TARGET", port: $SSHD_PORT, identity: "$SSH_KEY", known_hosts: "$T/wrong_known_hosts" }
  unknown: { ssh: "$SSH_TARGET", port: $SSHD_PORT, identity: "$SSH_KEY", known_hosts: "$T/empty_known_hosts" }
  silent: { ssh: "$SSH_TARGET", port: $(cat "$T/silent.port"), identity: "$SSH_KEY", known_hosts: "$SSH_KNOWN_HOSTS" }
  nowhere: { ssh: "$SSH_USER@nonexistent.invalid", identity: "$SSH_KEY", known_hosts: "$SSH_KNOWN_HOSTS" }
probes:
  refused: { on: refused, command: ["true"] }
  refused2: { on: refused, command: ["true"] }
  wrongkey: { on: wrongkey, command: ["true"] }
  changed: { on: changed, command: ["true"] }
  unknown: { on: unknown, file: /etc/hostname }
  silent: { on: silent, log: /etc/hostname, timeout: 3s }
  nowhere: { on: nowhere, nagios: ["true"], timeout: 10s }
YAML
run check -f "$T/fail.yaml" --json
expect_rc 2 "ssh failures are critical"
reason() { jq -r --arg id "$1" '.probes[] | select(.id == $id) | .reason' "$T/out"; }
expect_eq "$(reason refused)" "ssh: connection refused" "closed port"
expect_eq "$(reason refused2)" "ssh: connection refused" "closed port, second probe"
expect_eq "$(reason wrongkey)" "ssh: permission denied (publickey)" "wrong key"
expect_eq "$(reason changed)" "ssh: host key mismatch" "known_hosts with another key"
expect_eq "$(reason unknown)" "ssh: host key mismatch" "a host key not in known_hosts"
expect_eq "$(reason silent)" "ssh: connection timed out" "a server that never answers"
expect_eq "$(reason nowhere)" "ssh: could not resolve host" "a name that does not resolve"
expect_jq '[.probes[] | select(.id == "unknown" or .id == "silent")] | all(has("exists") or has("lines") | not)' "no kind fields when ssh failed"

# --- twenty probes on one host, one connection -----------------------------
{
	echo "runbook: twenty"
	echo "hosts:"
	host box
	echo "probes:"
	for i in $(seq 20); do
		echo "  p$i: { on: box, command: [sh, -c, 'echo $i; sleep 0.2'] }"
	done
} >"$T/twenty.yaml"
before=$(sshd_sessions)
run check -f "$T/twenty.yaml" --json
after=$(sshd_sessions)
expect_rc 0 "twenty probes on box"
expect_jq '[.probes[] | select(.ok and (.stdout == (.id | ltrimstr("p"))))] | length == 20' "every probe ran and said its number"
expect_eq "$((after - before))" 1 "twenty probes share one connection (sshd sessions)"

# --- the load errors and the manual command --------------------------------
cat >"$T/tcp.yaml" <<YAML
runbook: tcp
hosts:
$(host box)
probes:
  port: { on: box, tcp: "127.0.0.1:22" }
YAML
run check -f "$T/tcp.yaml"
expect_rc 3 "tcp on a host does not load"
expect_in "$T/err" 'probe "port": tcp probes cannot run on a host; `on:` is for command, nagios, file and log' "the load error names the kinds that can"
run render -f "$T/same.yaml"
expect_in "$T/out" "ssh -o BatchMode=yes -p $SSHD_PORT" "render: the ssh command an operator would type"

finish
