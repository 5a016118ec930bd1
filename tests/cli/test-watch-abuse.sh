#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage watch's HTTP server under abuse: slowloris, a 100 MB POST, 10,000
# connections from other loopback addresses, malformed requests. Through all
# of it /health keeps answering, no mutation works without the token, and
# nothing listens beyond loopback unless asked (and then only with a token
# file).
. "$(dirname "$0")/lib.sh"

cat >"$T/rb.yaml" <<'EOF'
runbook: abuse
probes:
  self: { tcp: "127.0.0.1:1", interval: 1s }
  after: { tcp: "127.0.0.1:1", needs: [self], interval: 1s }
EOF
PORT=$(closed_port)
URL=http://127.0.0.1:$PORT
export XDG_STATE_HOME=$T/state
"$TRIAGE" watch -f "$T/rb.yaml" --listen "127.0.0.1:$PORT" --store "$T/store.db" \
	2>"$T/daemon.log" &
DAEMON=$!
PIDS+=($DAEMON)
for _ in $(seq 50); do curl -sf "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done

# health_ok DESC: /health answers 200 within 2 s.
health_ok() {
	local code
	code=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$URL/health" 2>/dev/null)
	if [ "$code" = 200 ]; then pass; else fail "$1: /health gave '$code'"; fi
}
health_ok "at start"
# The log says a skip once: the reason already starts with "skipped:". A
# first result is no change from the ok a probe counts as before one.
until_ok 10 grep -q "after: first result skipped: needs self$" "$T/daemon.log" &&
	pass || fail "the skip is logged with its reason"
until_ok 10 grep -q "self: first result critical: connection_refused$" "$T/daemon.log" &&
	pass || fail "a first result is logged as such"
expect_not_in "$T/daemon.log" "ok -> " "a first result is not a change from ok"
expect_not_in "$T/daemon.log" "skipped: skipped" "the skip is not said twice"

# ---- slowloris: 200 connections from 4 addresses trickling a header byte a
# second, then silent: closed by the idle timeout (10 s). One address gets
# at most 64 connections (the rest are closed at once), so a client cannot
# starve the others.
python3 - "$PORT" "$T/slow.ready" >"$T/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(200):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % 4), 0))
    s.connect(("127.0.0.1", port))
    s.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
open(ready, "w").write("ready\n")
for t in range(5):
    for s in socks:
        try:
            s.send(b"X-a: b\r\n")
        except OSError:
            pass
    time.sleep(1)
time.sleep(12)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        closed += s.recv(100) == b""
    except ConnectionResetError:
        closed += 1
    except BlockingIOError:
        pass
print("closed", closed)
kept = []
for i in range(100):
    s = socket.socket()
    s.bind(("127.0.0.9", 0))
    s.connect(("127.0.0.1", port))
    kept.append(s)
time.sleep(1)
alive = 0
for s in kept:
    s.setblocking(False)
    try:
        alive += s.recv(100) != b""
    except BlockingIOError:
        alive += 1
    except ConnectionResetError:
        pass
print("kept", alive)
EOF
SLOW=$!
for _ in $(seq 100); do [ -s "$T/slow.ready" ] && break; sleep 0.1; done
health_ok "during slowloris"
wait "$SLOW"
n=$(awk '/closed/ {print $2}' "$T/slow.out")
expect_eq "${n:-none}" 200 "slowloris connections closed after the idle timeout"
n=$(awk '/kept/ {print $2}' "$T/slow.out")
if [ "${n:-999}" -le 64 ]; then pass; else fail "one address kept ${n:-?} connections (limit 64)"; fi
health_ok "after slowloris"

# ---- a 100 MB POST: refused at once, never buffered
head -c 100000000 /dev/zero >"$T/big"
code=$(curl -sS -m 20 -o "$T/out" -w '%{http_code}' -X POST --data-binary @"$T/big" \
	-H "Authorization: Bearer x" "$URL/api/v1/poll" 2>/dev/null)
expect_eq "$code" 413 "100 MB POST"
expect_jq '.error.code == "payload_too_large"' "413 as JSON"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON/status")
if [ "$rss" -lt 60000 ]; then pass; else fail "the daemon's peak RSS is $rss kB after the big POST"; fi
health_ok "after the big POST"

# ---- 10,000 connections from 127.0.0.2-127.0.0.200 (50 each: under the
# per-address limit of 64), held open while /health is asked from 127.0.0.1
ulimit -n 20000 2>/dev/null
python3 - "$PORT" "$T/conns.ready" >"$T/conns.out" 2>&1 <<'EOF' &
import socket, sys, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
port, ready = int(sys.argv[1]), sys.argv[2]
socks, failed = [], 0
for i in range(10000):
    src = "127.0.0.%d" % (2 + i % 199)
    try:
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        failed += 1
open(ready, "w").write("%d %d\n" % (len(socks), failed))
time.sleep(6)
EOF
CONNS=$!
for _ in $(seq 300); do [ -s "$T/conns.ready" ] && break; sleep 0.1; done
health_ok "with 10,000 connections open"
wait "$CONNS"
read -r opened refused <"$T/conns.ready"
echo "note: 10,000 connections: $opened connected, $refused refused"
health_ok "after 10,000 connections"

# ---- malformed requests
python3 - "$PORT" >"$T/bad.out" 2>&1 <<'EOF'
import socket, sys
port = int(sys.argv[1])
cases = {
    "garbage": b"\x00\x01\x02garbage\r\n\r\n",
    "no-version": b"GET /health\r\n\r\n",
    "http09": b"GET /health\n",
    "nul-in-path": b"GET /he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n",
    "huge-header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n",
    "bad-length": b"POST /api/v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "negative-length": b"POST /api/v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "bad-method": b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n",
}
for name, req in cases.items():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(req)
        reply = s.recv(200)
    except OSError as e:
        reply = b"(closed: %s)" % str(e).encode()
    status = reply.split(b"\r\n")[0].decode("latin-1")
    print(name, status if status else "(closed)")
    s.close()
EOF
if grep -E ' HTTP/1\.[01] 2' "$T/bad.out"; then fail "a malformed request got a 2xx"; else pass; fi
cat "$T/bad.out" | sed 's/^/note: malformed /'
health_ok "after malformed requests"

# ---- no mutation without the token
for route in poll pause resume; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/$route")
	expect_eq "$code" 401 "POST /api/v1/$route without a token"
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 64)" "$URL/api/v1/$route")
	expect_eq "$code" 403 "POST /api/v1/$route with a wrong token"
done
get_paused=$(curl -sS "$URL/health" | jq -r .paused)
expect_eq "$get_paused" false "nothing was paused"
curl -sS -D "$T/hdr" -o /dev/null "$URL/"
for h in "Content-Security-Policy: default-src 'none'" "X-Content-Type-Options: nosniff" "X-Frame-Options: DENY"; do
	expect_in "$T/hdr" "$h" "security header"
done
expect_not_in "$T/hdr" "Access-Control-Allow-Origin" "no CORS"

# ---- loopback unless asked; beyond loopback only with a token file
ss -Hltn "sport = :$PORT" >"$T/ss"
expect_in "$T/ss" "127.0.0.1:$PORT" "listening on loopback"
run watch -f "$T/rb.yaml" --listen "0.0.0.0:$(closed_port)" --store "$T/store2.db"
expect_rc 3 "0.0.0.0 without --token-file"
expect_in "$T/err" "needs --token-file" "it says why"

# libmicrohttpd is opened when the server starts; hidden behind an empty
# file in a mount namespace (root only), the daemon does not start.
mhd_so=$(ldconfig -p | awk '$1 == "libmicrohttpd.so.12" { print $NF; exit }')
if [ -n "$mhd_so" ] && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount --bind /dev/null "$1" && shift &&
	    exec "$@"' sh "$mhd_so" "$TRIAGE" watch -f "$T/rb.yaml" \
	    --listen "127.0.0.1:$(closed_port)" --store "$T/store3.db" \
	    >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 3 "watch without libmicrohttpd"
	expect_in "$T/err" "the HTTP server needs a library that cannot be loaded: $mhd_so" "it names the library"
else
	echo "test-watch-abuse.sh: not run: libmicrohttpd hidden (needs unshare -m, as root)" >&2
fi

kill -TERM "$DAEMON"; wait "$DAEMON"; rc=$?
PIDS=()
expect_eq "$rc" 0 "exit 0 after SIGTERM"
finish
