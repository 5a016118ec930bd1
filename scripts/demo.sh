#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The demo: starts a small stack on free loopback ports (an app and an edge,
# both real nginx), runs triage on examples/demo.yaml healthy, then injects
# faults one at a time and shows triage's diagnosis of each, then stops
# everything.
#
#   scripts/demo.sh                 the whole demo
#   scripts/demo.sh start-app|start-edge|stop-app|stop-edge
#                                   one step, for DEMO_DIR set by a running
#                                   demo (the runbook's fixes use these)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
triage=${TRIAGE:-$root/build/triage}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

. "$root/scripts/lib/free-port.sh"

write_conf() {	# NAME BODY
	cat >"$DEMO_DIR/$1.conf" <<CONF
daemon on;
worker_processes 1;
pid $DEMO_DIR/$1.pid;
error_log $DEMO_DIR/$1-error.log;
events { worker_connections 64; }
http {
	access_log $DEMO_DIR/$1-access.log;
	client_body_temp_path $DEMO_DIR/tmp;
	proxy_temp_path $DEMO_DIR/tmp;
	fastcgi_temp_path $DEMO_DIR/tmp;
	uwsgi_temp_path $DEMO_DIR/tmp;
	scgi_temp_path $DEMO_DIR/tmp;
	$2
}
CONF
}

start_app() {
	write_conf app "server {
		listen 127.0.0.1:$DEMO_APP_PORT;
		location = /up {
			if (-f $DEMO_DIR/maintenance.flag) { return 503 \"maintenance\n\"; }
			return 200 \"ok\n\";
		}
		location = /health { default_type application/json; alias $DEMO_DIR/health.json; }
	}"
	"$nginx" -q -p "$DEMO_DIR" -c "$DEMO_DIR/app.conf"
}

start_edge() {
	write_conf edge "server {
		listen 127.0.0.1:$DEMO_EDGE_PORT;
		location / {
			proxy_pass http://127.0.0.1:$DEMO_APP_PORT;
			proxy_connect_timeout 1s;
		}
	}"
	"$nginx" -q -p "$DEMO_DIR" -c "$DEMO_DIR/edge.conf"
}

stop() {	# NAME
	local pid
	[ -f "$DEMO_DIR/$1.pid" ] || return 0
	pid=$(cat "$DEMO_DIR/$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$DEMO_DIR/$1.pid"
}

health() {	# STATUS
	printf '{"status":"%s","updated_at":"%s","version":"1.4.2"}\n' \
		"$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$DEMO_DIR/health.json"
}

case "${1:-demo}" in
start-app) start_app; exit ;;
start-edge) start_edge; exit ;;
stop-app) stop app; exit ;;
stop-edge) stop edge; exit ;;
demo) ;;
*) echo "usage: $0 [start-app|start-edge|stop-app|stop-edge]" >&2; exit 2 ;;
esac

DEMO_DIR=$(mktemp -d /tmp/triage-demo.XXXXXX)
chmod 755 "$DEMO_DIR"
mkdir -p "$DEMO_DIR/tmp"
DEMO_APP_PORT=$(free_port)
DEMO_EDGE_PORT=$(free_port)
export DEMO_DIR DEMO_APP_PORT DEMO_EDGE_PORT
cleanup() { stop edge; stop app; rm -rf "$DEMO_DIR"; }
trap cleanup EXIT

health ok
for i in $(seq 50); do echo "I, [$(date -u +%FT%T)] INFO -- : request $i completed 200"; done >"$DEMO_DIR/app.log"
start_app
start_edge

run() {	# TITLE [COMMAND]
	echo
	echo "== $1"
	echo "\$ triage ${2:+$2 }-f examples/demo.yaml"
	(cd "$root" && "$triage" ${2:+"$2"} -f examples/demo.yaml) || echo "(exit $?)"
}

run "a healthy stack: every probe" check
run "a healthy stack: the diagnosis"

stop app
run "fault: the app is down (the edge answers 502)"
start_app

touch "$DEMO_DIR/maintenance.flag"
run "fault: a maintenance flag was left behind (the app answers 503)"
rm -f "$DEMO_DIR/maintenance.flag"

health degraded
echo "E, [$(date -u +%FT%T)] ERROR -- : PG::ConnectionBad: could not connect to server" >>"$DEMO_DIR/app.log"
run "fault: the app reports itself degraded and logs errors"

echo
echo "== the same, as JSON for one probe"
echo "\$ triage check -f examples/demo.yaml --only app_health --json"
(cd "$root" && "$triage" check -f examples/demo.yaml --only app_health --json) || true
