#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage watch against a real Alertmanager (Debian's prometheus-alertmanager,
# started here on a free loopback port): a service goes down, its probe
# turns HARD critical after `retries`, the probe's and the failure mode's
# alerts show in `amtool alert query` with our labels; the service comes
# back and Alertmanager no longer lists them as active. Every delivery is
# recorded in the store's alerts table.
. "$(dirname "$0")/lib.sh"

AM=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
if [ ! -x "$AM" ] || ! command -v amtool >/dev/null; then
	echo "SKIP: prometheus-alertmanager is not installed (scripts/deps.sh installs it)"
	exit 0
fi

DAEMON=
AMPID=
stop_all() {
	[ -n "$DAEMON" ] && kill -KILL "$DAEMON" 2>/dev/null
	[ -n "$AMPID" ] && kill "$AMPID" 2>/dev/null && wait "$AMPID" 2>/dev/null
}
trap 'stop_all; cleanup' EXIT

# Alertmanager: one receiver that goes nowhere, no clustering.
AMPORT=$(closed_port)
cat >"$T/am.yml" <<'EOF'
route: { receiver: sink, group_wait: 1s, group_interval: 1s }
receivers: [{ name: sink }]
EOF
"$AM" --config.file="$T/am.yml" --storage.path="$T/am-data" \
	--web.listen-address="127.0.0.1:$AMPORT" --cluster.listen-address= \
	>"$T/am.log" 2>&1 &
AMPID=$!
AMURL=http://127.0.0.1:$AMPORT
if until_ok 20 curl -sf "$AMURL/-/ready"; then pass; else
	fail "Alertmanager did not start"; tail -5 "$T/am.log" >&2; finish; exit
fi

# The watched service: the test HTTP server on a port we keep.
start_httpd
SVC=$HTTPD
SVCPORT=${SVC#*:}
cat >"$T/rb.yaml" <<EOF
runbook: am-test
probes:
  svc:
    layer: app
    http: "http://$SVC/up"
    timeout: 1s
    interval: 1s
    retries: 2
triage:
  start: up
  nodes:
    up: { ask: "Does the service answer?", if: svc.ok, then: [], else: [svc-down] }
failures:
  svc-down:
    title: The service does not answer
    layer: app
    when: "!svc.ok"
    diagnosis: The test server is stopped.
    evidence: [{ command: ["true"] }]
    fix: [{ command: ["true"] }]
    verify: [svc]
EOF

PORT=$(closed_port)
XDG_STATE_HOME=$T/state "$TRIAGE" watch -f "$T/rb.yaml" --listen "127.0.0.1:$PORT" \
	--store "$T/store.db" --alertmanager "$AMURL" --alert-resend 1s \
	>"$T/daemon.out" 2>"$T/daemon.log" &
DAEMON=$!
until_ok 10 curl -sf "http://127.0.0.1:$PORT/health" || fail "the daemon did not start"

query() {	# ALERTNAME: amtool's active alerts of that name, as JSON
	amtool --alertmanager.url="$AMURL" alert query -o json "alertname=$1"
}
active() {	# ALERTNAME JQ: the query's result satisfies JQ
	query "$1" >"$T/q" 2>/dev/null && jq -e "$2" "$T/q"
}

# ---- the service stops: both alerts reach Alertmanager
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
PIDS=()
if until_ok 15 active TriageFailure 'length == 1 and .[0].labels.failure == "svc-down"'; then pass; else
	fail "TriageFailure svc-down in amtool alert query"; cat "$T/q" >&2; tail -5 "$T/daemon.log" >&2
fi
jq -e '.[0].labels.runbook == "am-test" and .[0].labels.severity == "critical" and (.[0].annotations.summary | test("does not answer"))' "$T/q" >/dev/null &&
	pass || fail "the failure alert's labels and annotations"
jq -e '.[0].annotations.fix | test("triage fix .*svc-down")' "$T/q" >/dev/null && pass || fail "the alert says how to fix it"
if until_ok 10 active TriageProbe '.[0].labels.probe == "svc" and .[0].labels.state == "critical"'; then pass; else
	fail "TriageProbe svc in amtool alert query"; cat "$T/q" >&2
fi
# Re-sent while active: endsAt stays in the future.
sleep 3
curl -sf "$AMURL/api/v2/alerts?active=true" >"$T/api"
jq -e '[.[] | select(.labels.alertname == "TriageFailure")] | length == 1' "$T/api" >/dev/null && pass || fail "still active after resends"

# An acknowledgement reaches Alertmanager as an annotation of the same
# alert (the labels, its identity, unchanged).
TOKEN=$(cat "$T/state/triage/token")
code=$(curl -sS -o "$T/ack" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
	--data '{"failure":"svc-down","by":"alice","comment":"restarting it"}' \
	"http://127.0.0.1:$PORT/api/v1/ack")
expect_eq "$code" 200 "ack the failure mode"
if until_ok 10 active TriageFailure 'length == 1 and (.[0].annotations.acknowledged | test("^by alice at 20.*: restarting it$"))'; then pass; else
	fail "the ack as an annotation in Alertmanager"; cat "$T/q" >&2
fi

# ---- the service is back: resolved in Alertmanager
"$TRIAGE_TESTHTTPD" --port-file "$T/httpd2.port" --port "$SVCPORT" &
PIDS+=($!)
if until_ok 15 active TriageFailure 'length == 0'; then pass; else
	fail "TriageFailure resolved"; cat "$T/q" >&2
fi
if until_ok 10 active TriageProbe 'length == 0'; then pass; else fail "TriageProbe resolved"; fi

# ---- recorded in the store
kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?; DAEMON=
expect_eq "$rc" 0 "daemon exits 0"
n=$(sqlite3 "$T/store.db" "SELECT count(*) FROM alerts WHERE runbook = 'am-test' AND status = 'batch' AND ok = 1")
if [ "$n" -ge 3 ]; then pass; else fail "alert deliveries in the store: $n"; fi
target=$(sqlite3 "$T/store.db" "SELECT DISTINCT target FROM alerts LIMIT 1")
expect_eq "$target" "$AMURL/api/v2/alerts" "the target recorded"

finish
