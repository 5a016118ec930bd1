# SPDX-License-Identifier: MIT
# Helpers for the black-box CLI tests: run the binary, check output and exit
# codes, start the test HTTP server. Source it; call `finish` at the end.
set -u

: "${TRIAGE:?TRIAGE must name the triage binary}"
: "${TRIAGE_SRC:?TRIAGE_SRC must name the source tree}"
DATA=${TRIAGE_TEST_DATA:-$TRIAGE_SRC/tests/data}
. "$TRIAGE_SRC/scripts/lib/free-port.sh"
T=$(mktemp -d)
chmod 755 "$T"
PASSED=0
FAILED=0
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*" >&2
}

# run ARGS...: runs triage with stdout in $T/out, stderr in $T/err, and
# the exit status in $RC.
#
# The fields of every probe result a run prints as JSON are noted (kind and
# key), and finish checks that `triage lint` knows each as a field of its
# kind: what lint's unknown-field check takes for a typo must be no field a
# kind writes.
run() {
	"$TRIAGE" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	jq -r '.probes[]? | .kind as $k | keys[] | "\($k) \(.)"' "$T/out" \
	    >>"$T/fields.seen" 2>/dev/null
	return 0
}

# A probe of each kind, with what lint needs to load it.
fields_probe() {
	case $1 in
	http) echo 'http: "http://127.0.0.1:1/"' ;;
	tcp) echo 'tcp: "127.0.0.1:1"' ;;
	tls) echo 'tls: "127.0.0.1:1"' ;;
	command) echo 'command: ["true"]' ;;
	nagios) echo 'nagios: ["true"]' ;;
	file) echo 'file: /' ;;
	log) echo 'log: /dev/null' ;;
	sql) echo 'sql: "postgres://u@127.0.0.1:1/d", query: "select 1"' ;;
	redis) echo 'redis: "redis://127.0.0.1:1", command: [PING]' ;;
	*) echo "unknown: $1" ;;
	esac
}

# Lints a runbook whose probes read every field noted by run.
check_fields_seen() {
	local kind keys
	[ -s "$T/fields.seen" ] || return 0
	{
		echo "runbook: fields-seen"
		echo "probes:"
		sort -u "$T/fields.seen" | awk '
		    $1 != k { if (k != "") print ""; k = $1; printf "%s", k }
		    { printf " %s", $2 } END { print "" }' |
		while read -r kind keys; do
			printf '  f_%s: { %s, expect: [' "$kind" "$(fields_probe "$kind")"
			printf '"exists(%s)", ' $keys
			printf 'ok] }\n'
		done
	} >"$T/fields.yaml"
	"$TRIAGE" lint -f "$T/fields.yaml" >"$T/fields.out" 2>&1
	if [ $? -gt 1 ] || grep -q 'unknown-field' "$T/fields.out"; then
		fail "a field a kind writes is unknown to lint"
		sed 's/^/  | /' "$T/fields.out" | head -20 >&2
	else pass; fi
}

# expect_rc N DESC
expect_rc() {
	if [ "$RC" -eq "$1" ]; then pass; else
		fail "$2: exit $RC, expected $1"
		sed 's/^/  out: /' "$T/out" | head -20 >&2
		sed 's/^/  err: /' "$T/err" | head -20 >&2
	fi
}

# expect_in FILE TEXT DESC: FILE contains TEXT (fixed string).
expect_in() {
	if grep -qF -- "$2" "$1"; then pass; else
		fail "$3: \"$2\" not in $(basename "$1")"
		sed 's/^/  | /' "$1" | head -30 >&2
	fi
}

# expect_not_in FILE TEXT DESC
expect_not_in() {
	if grep -qF -- "$2" "$1"; then
		fail "$3: \"$2\" found in $(basename "$1")"
		grep -nF -- "$2" "$1" | head -5 >&2
	else pass; fi
}

# expect_jq FILTER DESC: the jq filter is true on $T/out.
expect_jq() {
	if jq -e "$1" "$T/out" >/dev/null 2>&1; then pass; else
		fail "$2: jq '$1' is not true"
		head -c 2000 "$T/out" | sed 's/^/  | /' >&2
	fi
}

# expect_eq GOT WANT DESC
expect_eq() {
	if [ "$1" = "$2" ]; then pass; else fail "$3: got \"$1\", want \"$2\""; fi
}

# start_httpd: starts tests/tools/testhttpd on a free port; sets HTTPD to
# "127.0.0.1:PORT".
start_httpd() {
	: "${TRIAGE_TESTHTTPD:?TRIAGE_TESTHTTPD must name the test server}"
	rm -f "$T/httpd.port"
	"$TRIAGE_TESTHTTPD" --port-file "$T/httpd.port" "$@" &
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -s "$T/httpd.port" ] && break
		sleep 0.05
	done
	HTTPD="127.0.0.1:$(cat "$T/httpd.port")"
}

# closed_port: a loopback port no socket uses (free_port): nothing
# answers there until a test starts something on it.
closed_port() {
	free_port
}

# until_ok SECS CMD...: CMD succeeds within SECS seconds (tried every 0.2 s).
until_ok() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

finish() {
	check_fields_seen
	echo "$(basename "$0"): $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
