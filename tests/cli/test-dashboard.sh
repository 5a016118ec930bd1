#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dashboard of triage watch in a real headless Chromium (Debian's, driven
# by playwright-core from npm, pinned in tests/browser/package.json and
# installed once beside the binary): the demo stack with its edge down, every
# tile and failure mode (and the acknowledgements of the probe and the
# failure mode) checked against the daemon's own API, then the edge
# started again and the tile must turn ok without a reload; screenshots in
# the build directory (dashboard.png, dashboard-phone.png).
. "$(dirname "$0")/lib.sh"

DEMO=$TRIAGE_SRC/scripts/demo.sh
for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done
if [ ! -x /usr/bin/chromium ] || { ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; }; then
	echo "SKIP: chromium or nginx is not installed (scripts/deps.sh installs them)"
	exit 0
fi

# playwright-core, once, beside the binary (as tests/tools/mermaid-check.sh).
dir=$(cd "$(dirname "$TRIAGE")" && pwd)/dashboard-check
installed() {
	[ -f "$dir/node_modules/playwright-core/package.json" ] &&
		cmp -s "$TRIAGE_SRC/tests/browser/package.json" "$dir/package.json"
}
if ! installed; then
	mkdir -p "$dir"
	exec 9>"$dir.lock"
	flock 9
	if ! installed; then
		cp "$TRIAGE_SRC/tests/browser/package.json" "$TRIAGE_SRC/tests/browser/package-lock.json" "$dir/"
		(cd "$dir" && npm ci --no-audit --no-fund >/dev/null 2>&1) || {
			fail "npm ci playwright-core"; finish; exit
		}
	fi
	exec 9>&-
fi
cp "$TRIAGE_SRC/tests/browser/dashboard.mjs" "$dir/"

export DEMO_DIR=$T/demo XDG_STATE_HOME=$T/state
mkdir -p "$DEMO_DIR/tmp"
chmod 755 "$DEMO_DIR"
DEMO_APP_PORT=$(closed_port)
DEMO_EDGE_PORT=$(closed_port)
while [ "$DEMO_EDGE_PORT" = "$DEMO_APP_PORT" ]; do DEMO_EDGE_PORT=$(closed_port); done
export DEMO_APP_PORT DEMO_EDGE_PORT
PORT=$(closed_port)
DAEMON=
trap '[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; bash "$DEMO" stop-edge 2>/dev/null; bash "$DEMO" stop-app 2>/dev/null; cleanup' EXIT

printf '{"status":"ok","updated_at":"%s","version":"1.4.2"}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$DEMO_DIR/health.json"
: >"$DEMO_DIR/app.log"
bash "$DEMO" start-app || { fail "demo app"; finish; exit; }
RB=$T/demo.yaml
awk '/^[a-z]/ { in_probes = ($0 == "probes:") }
	{ print } in_probes && /^    layer:/ { print "    interval: 1s" }' \
	"$TRIAGE_SRC/examples/demo.yaml" >"$RB"
"$TRIAGE" watch -f "$RB" --listen "127.0.0.1:$PORT" --store "$T/store.db" \
	2>"$T/daemon.log" &
DAEMON=$!
# (jq 1.6 -e answers 0 to empty input: read a file curl wrote.)
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$PORT/api/v1/diagnosis" >"$T/diag" 2>/dev/null &&
		jq -e '.failures[0].id == "edge-down"' "$T/diag" >/dev/null 2>&1 && break
	sleep 0.2
done

# Someone is on it: the probe and the failure mode acknowledged.
TOKEN=$(cat "$T/state/triage/token")
for body in '{"probe":"edge_up","by":"on-call","comment":"restarting the edge"}' \
	'{"failure":"edge-down","by":"on-call"}'; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		--data "$body" "http://127.0.0.1:$PORT/api/v1/ack")
	expect_eq "$code" 200 "ack $body"
done

out=$(dirname "$TRIAGE")
( sleep 1; for _ in $(seq 150); do [ -f "$T/ready" ] && break; sleep 0.2; done
  bash "$DEMO" start-edge ) &
STARTER=$!
if BASE_URL="http://127.0.0.1:$PORT" SCREENSHOT="$out/dashboard.png" \
	SCREENSHOT_PHONE="$out/dashboard-phone.png" READY_FILE="$T/ready" \
	EXPECT_PROBE=edge_up EXPECT_STATE=ok \
	timeout 120 node "$dir/dashboard.mjs" >"$T/node.out" 2>&1; then pass; else
	fail "the dashboard in Chromium"; sed 's/^/  | /' "$T/node.out" >&2
fi
wait "$STARTER"
[ -s "$out/dashboard.png" ] && pass || fail "no screenshot"
finish
