#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage check against a local HTTP server: states, reasons, exit codes,
# needs, skips, --only, --json and the human table.
. "$(dirname "$0")/lib.sh"
start_httpd
CLOSED=$(closed_port)

cat >"$T/ok.yaml" <<YAML
runbook: cli-ok
probes:
  up:     { layer: app, http: "http://$HTTPD/up" }
  health:
    layer: app
    http: "http://$HTTPD/json"
    expect: [status == 200, 'body.status == "ok"', age(body.poller_last_poll_at) < 120s]
  port:   { layer: net, tcp: "$HTTPD" }
  true:   { layer: host, command: ["true"] }
YAML
run check -f "$T/ok.yaml"
expect_rc 0 "all ok"
expect_in "$T/out" "TRIAGE OK - cli-ok: 4 ok, 0 warning, 0 critical, 0 unknown, 0 skipped | ok=4 warning=0 critical=0" "status line with perfdata"
expect_eq "$(sed -n 3p "$T/out")" "app" "first layer heading"
expect_not_in "$T/out" $'\033[' "no colour when stdout is not a terminal"

cat >"$T/bad.yaml" <<YAML
runbook: cli-bad
probes:
  bad_gateway: { layer: edge, http: "http://$HTTPD/status/502" }
  forbidden:   { layer: edge, http: "http://$HTTPD/status/403", expect: status == 200 }
  refused:     { layer: app, tcp: "127.0.0.1:$CLOSED" }
  dependent:   { layer: app, http: "http://127.0.0.1:$CLOSED/", needs: [refused] }
  slow:        { layer: app, http: "http://$HTTPD/delay/10000", timeout: 1s }
  soft:        { layer: db, http: "http://$HTTPD/status/500", severity: warning }
  unset:       { layer: db, http: "http://$HTTPD/x?k={{env.TRIAGE_TEST_UNSET_VAR}}" }
  missing:     { layer: db, command: [x], requires: [triage-no-such-command] }
YAML
unset TRIAGE_TEST_UNSET_VAR
run check -f "$T/bad.yaml"
expect_rc 2 "a critical probe exits 2"
expect_in "$T/out" "TRIAGE CRITICAL - cli-bad:" "critical status line"
expect_in "$T/out" "http_502" "http_502 reason"
expect_in "$T/out" "expected status == 200, got 403" "failed expect reason"
expect_in "$T/out" "connection_refused" "connection refused reason"
expect_in "$T/out" "skipped: needs refused" "unmet need skips"
expect_in "$T/out" "timeout after 1s" "timeout reason"
expect_in "$T/out" "skipped: TRIAGE_TEST_UNSET_VAR unset" "unset env skips"
expect_in "$T/out" "skipped: requires triage-no-such-command" "requires skips"

run check -f "$T/bad.yaml" --json
expect_rc 2 "--json keeps the exit code"
expect_jq '.schema == 1 and .runbook == "cli-bad" and .status == "critical"' "json top level"
expect_jq '[.probes[].id] == ["bad_gateway","forbidden","refused","dependent","slow","soft","unset","missing"]' "json probes in runbook order"
expect_jq '.probes[0] | .kind == "http" and .layer == "edge" and .ok == false and .state == "critical" and .reason == "http_502" and .status == 502' "http_502 result"
expect_jq '.probes[0] | has("latency_ms") and has("checked_at") and (.checked_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' "latency and checked_at"
expect_jq '.probes[1].reason == "expected status == 200, got 403"' "json failed expect"
expect_jq '.probes[2] | .state == "critical" and .reason == "connection_refused" and .connected == false' "json refused"
expect_jq '.probes[3] | .state == "skipped" and .ok == false and .reason == "skipped: needs refused"' "json skipped"
expect_jq '.probes[4] | .reason == "timeout after 1s" and .latency_ms < 2000' "json timeout"
expect_jq '.probes[5] | .state == "warning" and .ok == true and .reason == "http_500"' "severity: warning"
expect_jq '.probes[6].reason == "skipped: TRIAGE_TEST_UNSET_VAR unset"' "json unset env"

cat >"$T/warn.yaml" <<YAML
runbook: cli-warn
probes:
  up: { layer: app, http: "http://$HTTPD/up", warn: latency >= 0s }
  big: { layer: app, http: "http://$HTTPD/big/100", expect: len(body_text) == 100 }
YAML
run check -f "$T/warn.yaml"
expect_rc 1 "a warning exits 1"
expect_in "$T/out" "TRIAGE WARNING - cli-warn: up latency >= 0s" "warning status line"

cat >"$T/unknown.yaml" <<YAML
runbook: cli-unknown
probes:
  plugin: { layer: host, nagios: [/usr/lib/nagios/plugins/check_dummy, "3", "cannot tell"] }
YAML
if [ -x /usr/lib/nagios/plugins/check_dummy ]; then
	run check -f "$T/unknown.yaml"
	expect_rc 3 "an unknown probe exits 3"
	expect_in "$T/out" "TRIAGE UNKNOWN - cli-unknown: plugin" "unknown status line"
fi

# --only: a layer, a probe, what it needs, and an unknown name.
run check -f "$T/bad.yaml" --only edge --json
expect_jq '[.probes[].id] == ["bad_gateway","forbidden"]' "--only a layer"
run check -f "$T/bad.yaml" --only dependent --json
expect_jq '[.probes[].id] == ["refused","dependent"]' "--only a probe brings its needs"
run check -f "$T/bad.yaml" --only edge,db --json
expect_jq '[.probes[].layer] | unique == ["db","edge"]' "--only a list"
run check -f "$T/bad.yaml" --only nosuch
expect_rc 3 "--only an unknown name"
expect_in "$T/err" 'no layer or probe named "nosuch"' "--only unknown message"
for empty in "" ","; do
	run check -f "$T/bad.yaml" --only "$empty"
	expect_rc 3 "--only '$empty' (an unset \$ARG2\$) is a usage error, not an empty OK"
	expect_in "$T/err" "--only needs a layer or probe id" "--only '$empty' says what it needs"
done

# Colour on a terminal only, and not with NO_COLOR set to something
# (no-color.org: an empty NO_COLOR does not count). Progress goes to
# stderr on a terminal and names the probe that finished.
if command -v script >/dev/null 2>&1; then
	NO_COLOR= script -qec "'$TRIAGE' check -f '$T/ok.yaml'" /dev/null >"$T/out" 2>&1
	expect_in "$T/out" $'\033[' "colour on a terminal with an empty NO_COLOR"
	expect_in "$T/out" "3/4 checked (last: " "progress names a probe that finished"
	NO_COLOR=1 script -qec "'$TRIAGE' check -f '$T/ok.yaml'" /dev/null >"$T/out" 2>&1
	expect_not_in "$T/out" $'\033[3' "no colour with NO_COLOR=1"
fi

# The status line is a plugin's: one line, and its only "|" is the one
# before the perfdata. Reasons with "|", control bytes or a condition
# written over several lines (a YAML block scalar) are shown on one line,
# "|" as U+00A6; --json keeps them as they are.
cat >"$T/plugin.yaml" <<YAML
runbook: cli-plugin
probes:
  body: { layer: app, http: "http://$HTTPD/up", expect: 'body_text matches "^(fail|bad)\$"' }
  esc:  { layer: app, command: [sh, -c, 'printf "\033[31mred|x=1\n" >&2; exit 1'] }
  multi:
    layer: app
    http: "http://$HTTPD/json"
    expect: >
      body.status == "ok" &&
      latency > 10s
YAML
run check -f "$T/plugin.yaml"
expect_rc 2 "reasons with | and line breaks: critical"
expect_eq "$(head -1 "$T/out" | tr -cd '|' | wc -c)" 1 "the status line has one |, before the perfdata"
expect_in "$T/out" "| ok=0 warning=0 critical=3 unknown=0 skipped=0" "the perfdata is whole"
expect_in "$T/out" 'body_text matches "^(fail¦bad)$"' "| in a reason shown as ¦"
expect_in "$T/out" 'expected body.status == "ok" && latency > 10s, got' "a block-scalar condition on one line"
expect_not_in "$T/out" $'\033' "no escape byte from a command's stderr"
expect_eq "$(grep -c . "$T/out")" "$(($(grep -c '' "$T/out") - 1))" "no line broken by a reason (one blank line before the layer)"
run check -f "$T/plugin.yaml" --json
expect_jq '.probes[0].reason | contains("(fail|bad)")' "--json keeps the |"
expect_jq '.probes[2].reason | startswith("expected body.status == \"ok\" && latency > 10s, got")' "--json shows the condition on one line too"

# A server that closes without answering, and one that answers but not in
# HTTP: reasons an operator can act on, not curl's wording.
python3 - "$T/raw.port" <<'PY' &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
for i in range(2):
    c, _ = s.accept()
    c.recv(4096)
    if i == 1:
        c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    c.close()
PY
PIDS+=($!)
until_ok 5 test -s "$T/raw.port"
RAW=127.0.0.1:$(cat "$T/raw.port")
cat >"$T/raw.yaml" <<YAML
runbook: cli-raw
probes:
  empty: { layer: app, http: "http://$RAW/" }
YAML
run check -f "$T/raw.yaml" --json
expect_jq '.probes[0].reason == "empty_reply"' "a connection closed without an answer is empty_reply"
cat >"$T/raw.yaml" <<YAML
runbook: cli-raw
probes:
  other: { layer: app, http: "http://$RAW/" }
YAML
run check -f "$T/raw.yaml" --json
expect_jq '.probes[0].reason | startswith("not_http: ")' "an answer that is not HTTP is not_http"

# An unset variable in expect skips the probe; the condition is still
# checked, so a runbook loads or fails the same whatever is set.
cat >"$T/unset.yaml" <<'YAML'
runbook: cli-unset
probes:
  f: { file: /etc/hostname, expect: "size > {{env.TRIAGE_TEST_MINSZ}}" }
YAML
unset TRIAGE_TEST_MINSZ
run check -f "$T/unset.yaml" --json
expect_rc 0 "an unset variable in expect is not a load error"
expect_jq '.probes[0].reason == "skipped: TRIAGE_TEST_MINSZ unset"' "the probe is skipped"
cat >>"$T/unset.yaml" <<'YAML'
  g: { file: /etc/hostname, expect: "size >> {{env.TRIAGE_TEST_MINSZ}}" }
YAML
run check -f "$T/unset.yaml"
expect_rc 3 "a bad condition with the variable unset"
expect_in "$T/err" 'bad condition in expect of probe "g": unexpected ">"' "is reported"
TRIAGE_TEST_MINSZ=5 run check -f "$T/unset.yaml"
expect_rc 3 "the same with the variable set"
expect_in "$T/err" 'bad condition in expect of probe "g": unexpected ">"' "the same error"

# An interrupted run is UNKNOWN in its status line and document, as its
# exit status (3) is.
cat >"$T/slow.yaml" <<YAML
runbook: cli-slow
probes:
  fast: { layer: app, command: ["true"] }
  slow: { layer: app, command: [sleep, "30"], timeout: 60s }
YAML
for fmt in "" --json; do
	"$TRIAGE" check -f "$T/slow.yaml" $fmt >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 1
	kill -INT "$pid"
	wait "$pid"
	RC=$?
	expect_rc 3 "interrupted check $fmt exits 3"
	if [ -z "$fmt" ]; then
		expect_in "$T/out" "TRIAGE UNKNOWN - cli-slow: interrupted; 1 ok, 0 warning, 1 critical" "the status line says UNKNOWN and interrupted"
	else
		expect_jq '.status == "unknown" and .probes[1].reason == "interrupted"' "--json status unknown"
	fi
done

# The runbook comes from -f, else $TRIAGE_RUNBOOK, else ./triage.yaml.
(cd "$T" && cp ok.yaml triage.yaml && "$TRIAGE" check --json >"$T/out" 2>"$T/err")
expect_jq '.runbook == "cli-ok"' "./triage.yaml is found"
TRIAGE_RUNBOOK="$T/warn.yaml" run check --json
expect_jq '.runbook == "cli-warn"' "\$TRIAGE_RUNBOOK is used"
rm -f "$T/triage.yaml"

# -j 1 runs one at a time: three 1 s probes in series, else at once.
cat >"$T/serial.yaml" <<YAML
runbook: cli-serial
probes:
  a: { http: "http://$HTTPD/delay/1000" }
  b: { http: "http://$HTTPD/delay/1000" }
  c: { http: "http://$HTTPD/delay/1000" }
YAML
start=$(date +%s%N)
run check -f "$T/serial.yaml" -j 1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "-j 1 run"
[ "$ms" -ge 2900 ] && pass || fail "-j 1 took ${ms} ms; expected the three probes in series (>= 3 s)"
start=$(date +%s%N)
run check -f "$T/serial.yaml"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 2500 ] && pass || fail "default -j took ${ms} ms; expected the three probes at once (~1 s)"

# -f - reads the runbook from standard input; errors call it <stdin>.
printf 'runbook: from-stdin\nprobes:\n  f: { file: /etc/hostname, expect: exists }\n' >"$T/stdin.yaml"
"$TRIAGE" check -f - --json <"$T/stdin.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "check -f - (standard input)"
expect_jq '.runbook == "from-stdin" and .probes[0].state == "ok"' "the runbook from standard input ran"
printf 'runbook: bad\nprobes:\n  f: { fil: /etc/hostname }\n' |
	"$TRIAGE" check -f - >"$T/out" 2>"$T/err"
RC=$?
expect_rc 3 "check -f - with an error"
expect_in "$T/err" '<stdin>:3:8: error: unknown key "fil"' "the error names <stdin>:LINE:COL"
expect_in "$T/err" "triage: <stdin>: 1 error; nothing was run" "the summary names <stdin>"
"$TRIAGE" render -f - <"$T/stdin.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "render -f -"
expect_in "$T/out" '`triage -f RUNBOOK` runs every probe' "render shows a placeholder, not -f -"
"$TRIAGE" watch -f - --listen 127.0.0.1:1 <"$T/stdin.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 3 "watch -f - is refused"
expect_in "$T/err" "the daemon reads its runbook again" "watch says why"


# libcurl, libpq and libmicrohttpd are opened when a probe kind or the
# daemon needs them, not at start (src/util/dlib.h). The dynamic loader
# names every library it opens under LD_DEBUG=libs.
cat >"$T/local.yaml" <<YAML
runbook: local-only
probes:
  f: { layer: host, file: /etc/hostname }
  c: { layer: host, command: ["true"] }
YAML
LD_DEBUG=libs "$TRIAGE" check -f "$T/local.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "a runbook of local probes"
expect_in "$T/err" "libjansson.so" "LD_DEBUG=libs lists the libraries opened"
for lib in libcurl.so libpq.so libmicrohttpd.so; do
	expect_not_in "$T/err" "$lib" "$lib is not opened for file and command probes"
done
LD_DEBUG=libs "$TRIAGE" check -f "$T/ok.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0 "http probes"
expect_in "$T/err" "libcurl.so" "http probes open libcurl"
expect_not_in "$T/err" "libpq.so" "http probes do not open libpq"


# A library that cannot be opened is a load error at the probe, exit 3,
# with the loader's words: libcurl is hidden behind an empty file in a
# mount namespace of the run's own (needs root; said and skipped without).
curl_so=$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
if [ -n "$curl_so" ] && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount --bind /dev/null "$1" && shift &&
	    exec "$@"' sh "$curl_so" "$TRIAGE" check -f "$T/ok.yaml" \
	    >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 3 "http probes without libcurl"
	expect_in "$T/err" 'probe "up": http probes need a library that cannot be loaded: '"$curl_so" "the error names the kind and the library"
	expect_in "$T/err" "nothing was run" "nothing runs"
else
	echo "test-check.sh: not run: libcurl hidden (needs unshare -m, as root)" >&2
fi

finish
