#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage watch's retention: a store holding 20,000 samples, 20,000 state
# changes and 3,000 alert deliveries older than --retain is pruned at start
# (in batches of 2,000 rows a table, the loop running in between), what is
# newer stays, and the daemon serves /health.
. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null; then
	echo "SKIP: sqlite3 is not installed (scripts/deps.sh installs it)"
	exit 0
fi

cat >"$T/rb.yaml" <<YAML
runbook: keep
probes:
  f: { layer: app, file: "$T/rb.yaml", expect: exists, interval: 1s }
YAML

start() {	# RETAIN
	PORT=$(closed_port)
	XDG_STATE_HOME=$T/state "$TRIAGE" watch -f "$T/rb.yaml" \
		--listen "127.0.0.1:$PORT" --store "$T/store.db" --retain "$1" \
		>"$T/daemon.out" 2>>"$T/daemon.log" &
	DAEMON=$!
	PIDS+=("$DAEMON")
	until_ok 10 curl -sf "http://127.0.0.1:$PORT/health"
}
stop() {
	kill -TERM "$DAEMON"
	wait "$DAEMON"
}

# A first run creates the store and writes some samples of its own.
start 30d || fail "the daemon did not start"
until_ok 10 eval '[ "$(sqlite3 "$T/store.db" "SELECT count(*) FROM samples")" -ge 2 ]' ||
	fail "samples written"
stop
new=$(sqlite3 "$T/store.db" "SELECT count(*) FROM samples")

# A backlog from long ago: a day of samples, each a state change, and
# alert deliveries.
old=$(date -d '10 days ago' +%s)
sqlite3 "$T/store.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO samples (series, at, state, latency_ms, reason)
	SELECT (SELECT id FROM series LIMIT 1), $old + i, i % 2, 1, NULL FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO changes (series, at, from_state, to_state, reason)
	SELECT (SELECT id FROM series LIMIT 1), $old + i, 1 - i % 2, i % 2, NULL FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO alerts (at, runbook, key, status, target, ok, attempt, error)
	SELECT $old + i, 'keep', 'probe/f', 'firing', 'http://127.0.0.1:9/', 1, 1, NULL FROM n;
SQL
expect_eq "$(sqlite3 "$T/store.db" "SELECT count(*) FROM samples WHERE at < $old + 100000")" 20000 "the backlog is in"

# --retain 7d: it all goes, in batches, and /health answers throughout.
start 7d || fail "the daemon did not start again"
if until_ok 20 grep -q "retention: 43000 rows older than the --retain window deleted" "$T/daemon.log"; then pass; else
	fail "the backlog pruned and logged"; tail -5 "$T/daemon.log" >&2
fi
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" 200 "/health answers"
stop
expect_eq "$(sqlite3 "$T/store.db" "SELECT count(*) FROM samples WHERE at < $old + 100000")" 0 "old samples gone"
expect_eq "$(sqlite3 "$T/store.db" "SELECT count(*) FROM changes WHERE at < $old + 100000")" 0 "old changes gone"
expect_eq "$(sqlite3 "$T/store.db" "SELECT count(*) FROM alerts WHERE at < $old + 100000")" 0 "old alert deliveries gone"
n=$(sqlite3 "$T/store.db" "SELECT count(*) FROM samples")
if [ "$n" -ge "$new" ]; then pass; else fail "newer samples kept: $n < $new"; fi

finish
