#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage watch end to end on the real demo stack (examples/demo.yaml, every
# probe at a 1 s interval): the API and /health, a fault injected and
# cleared (the tile, the diagnosis, one webhook and one command alert each
# way), the token on mutating routes, pause and resume, a stopped poller
# going stale and being restarted by the supervisor, SIGHUP with a broken
# and a good runbook, sd_notify, /metrics through promtool, the samples in
# `triage history`, and SIGTERM draining to exit 0 with nothing left.
. "$(dirname "$0")/lib.sh"

DEMO=$TRIAGE_SRC/scripts/demo.sh
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	echo "SKIP: nginx is not installed (scripts/deps.sh installs nginx-light)"
	exit 0
fi

export DEMO_DIR=$T/demo XDG_STATE_HOME=$T/state
mkdir -p "$DEMO_DIR/tmp"
chmod 755 "$DEMO_DIR"
DEMO_APP_PORT=$(closed_port)
DEMO_EDGE_PORT=$(closed_port)
while [ "$DEMO_EDGE_PORT" = "$DEMO_APP_PORT" ]; do DEMO_EDGE_PORT=$(closed_port); done
export DEMO_APP_PORT DEMO_EDGE_PORT
PORT=$(closed_port)
URL=http://127.0.0.1:$PORT
DAEMON=

stop_all() {
	[ -n "$DAEMON" ] && kill -KILL "$DAEMON" 2>/dev/null
	bash "$DEMO" stop-edge 2>/dev/null
	bash "$DEMO" stop-app 2>/dev/null
}
trap 'stop_all; cleanup' EXIT

printf '{"status":"ok","updated_at":"%s","version":"1.4.2"}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$DEMO_DIR/health.json"
for i in $(seq 20); do echo "I, request $i completed 200"; done >"$DEMO_DIR/app.log"
bash "$DEMO" start-app && bash "$DEMO" start-edge || { fail "demo stack"; finish; exit; }

# The demo runbook with every probe at a 1 s interval.
RB=$T/demo.yaml
awk '/^[a-z]/ { in_probes = ($0 == "probes:") }
	{ print } in_probes && /^    layer:/ { print "    interval: 1s" }' \
	"$TRIAGE_SRC/examples/demo.yaml" >"$RB"

get() { curl -sS -o "$T/out" -w '%{http_code}' "$URL$1"; }
status_is() { get /api/v1/status >/dev/null && jq -e "$1" "$T/out"; }
health_is() { test "$(get /health)" = "$1"; }

# The webhook receiver, the alert command and the sd_notify socket.
python3 "$TRIAGE_SRC/tests/tools/webhook-sink.py" "$T/hook.port" "$T/hook.log" &
PIDS+=($!)
# A second receiver answers 500 to its first two requests: retried.
python3 "$TRIAGE_SRC/tests/tools/webhook-sink.py" "$T/flaky.port" "$T/flaky.log" 2 &
PIDS+=($!)
until_ok 5 test -s "$T/hook.port" || fail "webhook sink did not start"
until_ok 5 test -s "$T/flaky.port" || fail "flaky webhook sink did not start"
cat >"$T/alert.sh" <<'EOF'
#!/bin/sh
jq -c '{status, key}' >>"$(dirname "$0")/command.log"
EOF
chmod 755 "$T/alert.sh"
python3 - "$T/notify.sock" "$T/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n")
EOF
PIDS+=($!)
until_ok 5 test -S "$T/notify.sock" || fail "notify socket"

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=500000 "$TRIAGE" watch -f "$RB" \
	--listen "127.0.0.1:$PORT" --store "$T/store.db" --stale-after 3s \
	--webhook "http://127.0.0.1:$(cat "$T/hook.port")/hook" \
	--webhook "http://127.0.0.1:$(cat "$T/flaky.port")/flaky" \
	--alert-command "$T/alert.sh" >"$T/daemon.out" 2>"$T/daemon.log" &
DAEMON=$!

# ---- it starts, serves, and says so to systemd
if until_ok 10 status_is '[.probes[] | select(.checked_at == null)] | length == 0'; then pass; else
	fail "every probe has a result within 10 s"
	sed 's/^/  | /' "$T/daemon.log" >&2
fi
expect_jq '.runbook == "demo" and (.probes | length) == 7' "status names the runbook and its probes"
expect_jq '[.probes[] | select(.id == "edge_up")][0] | .state == "ok" and .interval_s == 1' "edge_up ok at 1 s"
expect_eq "$(get /health)" 200 "/health 200"
code=$(curl -sS -I -o /dev/null -w '%{http_code}' "$URL/health")
expect_eq "$code" 200 "HEAD /health"
expect_eq "$(get /health)" 200 "still serving after a HEAD"
expect_jq '.status == "ok" and (.poller_last_poll_at | test("^20")) and .paused == false' "/health document"
until_ok 5 grep -q WATCHDOG=1 "$T/notify.log" || fail "no WATCHDOG=1"
expect_in "$T/notify.log" "READY=1" "sd_notify READY=1"
expect_eq "$(get /nope)" 404 "unknown route 404"
expect_jq '.error.code == "not_found"' "JSON error"
# Nothing listens beyond loopback.
ss -Hltn "sport = :$PORT" >"$T/ss"
expect_in "$T/ss" "127.0.0.1:$PORT" "listens on loopback"
expect_not_in "$T/ss" "0.0.0.0:$PORT" "not on every address"

# ---- the token guards every mutation
TOKEN=$(cat "$T/state/triage/token")
expect_eq "$(stat -c %a "$T/state/triage/token")" 600 "token file mode 0600"
expect_in "$T/daemon.log" "token in $T/state/triage/token" "token path logged"
expect_not_in "$T/daemon.log" "$TOKEN" "the token itself is never logged"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/poll")
expect_eq "$code" 401 "poll without a token"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer nope-nope-nope-nope" "$URL/api/v1/poll")
expect_eq "$code" 403 "poll with a wrong token"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/poll")
expect_eq "$code" 202 "poll with the token"

# ---- a fault: the edge stops; the tile, the diagnosis, one alert each
bash "$DEMO" stop-edge
if until_ok 5 status_is '[.probes[] | select(.id == "edge_up")][0] | .state == "critical" and .reason == "connection_refused"'; then pass; else
	fail "edge_up critical (connection_refused) within 5 s"; jq '.probes' "$T/out" | head -40 >&2
fi
if until_ok 5 eval 'get /api/v1/diagnosis >/dev/null && jq -e ".status == \"failure\" and .failures[0].id == \"edge-down\" and (.failures[0].fix.steps | length) > 0" "$T/out"'; then pass; else
	fail "diagnosis: edge-down with its fix plan"; head -c 1500 "$T/out" >&2
fi
expect_jq '.failures[0].fix.run | test("^triage fix .*edge-down$")' "the plan says how to apply it"
until_ok 5 grep -q '"failure/edge-down"' "$T/hook.log" || fail "webhook for edge-down"
until_ok 5 grep -q 'failure/edge-down' "$T/command.log" 2>/dev/null || fail "command alert for edge-down"
status_is '.failures[0].id == "edge-down"' >/dev/null && pass || fail "status lists the active failure"
sleep 2	# more polls while it stays down: no more alerts
expect_eq "$(grep -c '"firing".*"failure/edge-down"\|"failure/edge-down".*"firing"' "$T/hook.log")" 1 "webhook fired once"
expect_eq "$(grep -c 'firing.*failure/edge-down' "$T/command.log")" 1 "command ran once"

# ---- acknowledgements: behind the token, only for what is failing
AUTH=(-H "Authorization: Bearer $TOKEN")
post() { curl -sS -o "$T/out" -w '%{http_code}' -X POST "${AUTH[@]}" --data "$2" "$URL/api/v1/$1"; }
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data '{"probe":"edge_up"}' "$URL/api/v1/ack")
expect_eq "$code" 401 "ack without a token"
expect_eq "$(post ack '{"probe":"edge_up","by":"alice","comment":"on it <b>"}')" 200 "ack the failing probe"
expect_jq '.probe == "edge_up" and .ack.by == "alice" and .ack.comment == "on it <b>" and (.ack.at | test("^20"))' "the answer is the ack"
status_is '[.probes[] | select(.id == "edge_up")][0].ack.by == "alice"' >/dev/null && pass || fail "status shows the probe's ack"
expect_eq "$(post ack '{"failure":"edge-down"}')" 200 "ack the active failure mode"
expect_jq '.ack.by == "127.0.0.1" and .ack.comment == null' "by defaults to the client's address"
status_is '.failures[0].ack.by == "127.0.0.1"' >/dev/null && pass || fail "status shows the failure's ack"
expect_eq "$(get /)" 200 "dashboard with acks"
expect_in "$T/out" '<span class="mark ack" title="' "the ACK mark on the dashboard"
expect_in "$T/out" 'on it &lt;b&gt;' "the comment is escaped"
expect_eq "$(post ack '{"probe":"app_tcp"}')" 409 "ack of an ok probe: nothing to acknowledge"
expect_jq '.error.code == "not_failing"' "409 says not_failing"
expect_eq "$(post ack '{"probe":"nope"}')" 404 "ack of an unknown probe"
expect_eq "$(post ack '{"failure":"nope"}')" 404 "ack of an unknown failure mode"
expect_eq "$(post ack '{"probe":"edge_up","failure":"edge-down"}')" 400 "ack of both at once"
expect_eq "$(post ack '{"probe":1}')" 400 "ack with a number for an id"
expect_jq '.error.message == "\"probe\" must be a string"' "the 400 names the member"
expect_eq "$(post ack '{"probe":"edge_up","extra":1}')" 400 "ack with an unknown key"
expect_jq '.error.message | startswith("unknown key \"extra\": want {\"probe\": ID}")' "the 400 names the key"
expect_eq "$(post ack 'not json')" 400 "ack with a body that is not JSON"
expect_jq '.error.message | startswith("the body is not JSON (")' "the 400 says it is not JSON"
expect_eq "$(post ack '["edge_up"]')" 400 "ack with a body that is not an object"
expect_eq "$(post unack '{"failure":"edge-down"}')" 200 "withdraw the failure's ack"
status_is '.failures[0].ack == null' >/dev/null && pass || fail "the failure's ack is gone"
expect_in "$T/daemon.log" "probe edge_up: acknowledged by alice from 127.0.0.1: on it <b>" "the ack is logged"
expect_eq "$(grep -c 'firing.*failure/edge-down' "$T/command.log")" 1 "an ack sends no second command alert"

# The flaky receiver got it on the third attempt (after 1 s and 2 s).
if until_ok 8 eval '[ "$(grep -c "failure/edge-down" "$T/flaky.log")" -ge 3 ]'; then pass; else
	fail "retried webhook"; cat "$T/flaky.log" >&2
fi

# ---- cleared: resolved, once
bash "$DEMO" start-edge
if until_ok 6 eval 'get /api/v1/diagnosis >/dev/null && jq -e ".status == \"healthy\"" "$T/out"'; then pass; else
	fail "healthy again after the edge is back"
fi
until_ok 5 grep -q '"resolved".*"failure/edge-down"\|"failure/edge-down".*"resolved"' "$T/hook.log" || fail "resolved webhook"
sleep 1
expect_eq "$(grep -c 'resolved.*failure/edge-down' "$T/command.log")" 1 "resolved command ran once"
status_is '[.changes[] | select(.probe == "edge_up" and .to == "ok")] | length >= 1' >/dev/null && pass || fail "the change is in the recent changes"
status_is '[.probes[] | select(.id == "edge_up")][0].ack == null' >/dev/null && pass || fail "the recovery ends the probe's ack"

# ---- metrics
expect_eq "$(get /metrics)" 200 "/metrics 200"
expect_in "$T/out" 'triage_probe_up{runbook="demo",probe="edge_up",layer="edge",kind="http"} 1' "probe_up for edge_up"
expect_in "$T/out" 'triage_failure_active{runbook="demo",failure="edge-down",layer="edge"} 0' "failure_active back to 0"
if command -v promtool >/dev/null; then
	if promtool check metrics <"$T/out" >"$T/promtool" 2>&1; then pass; else
		fail "promtool check metrics"; sed 's/^/  | /' "$T/promtool" >&2
	fi
else
	echo "note: promtool not installed (scripts/deps.sh installs prometheus)"
fi

# ---- pause and resume
curl -sS -o /dev/null -X POST "${AUTH[@]}" "$URL/api/v1/pause"
get /health >/dev/null
expect_jq '.status == "paused" and .paused == true' "/health says paused"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" "$URL/api/v1/poll")
expect_eq "$code" 409 "no forced poll while paused"
curl -sS -o /dev/null -X POST "${AUTH[@]}" "$URL/api/v1/resume"
get /health >/dev/null
expect_jq '.status == "ok" and .paused == false' "/health after resume"

# ---- a stopped poller: stale (503) within the rule, then restarted
POLLER=$(pgrep -P "$DAEMON" -f "watch -f $RB" | head -1)
if [ -n "$POLLER" ]; then pass; else fail "the poller is a child of the daemon"; fi
kill -STOP "$POLLER"
if until_ok 6 health_is 503; then pass; else fail "/health 503 within the stale rule (3 s)"; fi
expect_jq '.status == "stale"' "/health says stale"
if until_ok 15 health_is 200; then pass; else
	fail "the supervisor restarted the poller"; tail -5 "$T/daemon.log" >&2
fi
kill -0 "$POLLER" 2>/dev/null && fail "the stopped poller was not killed" || pass
expect_in "$T/daemon.log" "killing it" "the log says why it was killed"
status_is '.scheduler.restarts >= 1' >/dev/null && pass || fail "restarts counted"

# ---- SIGHUP: a broken runbook keeps the old one; a good one is taken
cp "$RB" "$T/good.yaml"
sed -i '0,/^    layer:/s//    bogus: 1\n&/' "$RB"
kill -HUP "$DAEMON"
until_ok 5 eval 'get /health >/dev/null; jq -e ".reload_error != null" "$T/out"' && pass || fail "reload error in /health"
expect_in "$T/out" "bogus" "the error names the key"
status_is '(.probes | length) == 7' >/dev/null && pass || fail "still watching the old runbook"
expect_in "$T/daemon.log" "reload failed" "reload failure logged"
cp "$T/good.yaml" "$RB"
sed -i 's/^title: .*/title: Demo reloaded/' "$RB"
kill -HUP "$DAEMON"
until_ok 5 status_is '.title == "Demo reloaded" and .reload_error == null' && pass || fail "good reload taken"
expect_in "$T/notify.log" "RELOADING=1" "sd_notify RELOADING=1"

# ---- the store: what the daemon wrote, triage history reads
if until_ok 5 eval '"$TRIAGE" history --store "$T/store.db" --probe edge_up --json >"$T/hist" 2>&1 && jq -e "(.samples | length) > 3" "$T/hist"'; then pass; else
	fail "triage history reads the daemon's samples"; head -c 600 "$T/hist" >&2
fi

# ---- every delivery attempt is in the store
flaky=$(sqlite3 "$T/store.db" "SELECT group_concat(attempt || ':' || ok, ' ') FROM (SELECT attempt, ok FROM alerts WHERE target LIKE '%/flaky' AND key = 'failure/edge-down' AND status = 'firing' ORDER BY at)")
expect_eq "$flaky" "1:0 2:0 3:1" "the flaky webhook's attempts recorded"

# ---- SIGTERM: drains, exits 0, leaves nothing running
kill -TERM "$DAEMON"
rc=0
for _ in $(seq 100); do kill -0 "$DAEMON" 2>/dev/null || break; sleep 0.1; done
wait "$DAEMON" || rc=$?
DAEMON=
expect_eq "$rc" 0 "exit 0 after SIGTERM"
expect_in "$T/notify.log" "STOPPING=1" "sd_notify STOPPING=1"
if pgrep -f "watch -f $RB" >/dev/null; then fail "a poller outlived the daemon"; else pass; fi

finish
