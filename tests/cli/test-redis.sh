#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The redis probe kind, black-box, against a real redis-server on loopback
# (tests/seeds/lib/redis.sh): an FSM key stuck in PAYMENT_PENDING, the
# fields of --json, load-time refusals (a literal password, a write in a
# probe, a templated command name) and the secret never printed.
. "$(dirname "$0")/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/redis.sh"
trap 'redis_stop; cleanup' EXIT

if ! redis_start; then
	fail "redis-server did not start (install it: scripts/deps.sh)"
	finish
	exit 1
fi
export TRIAGE_TEST_REDIS_PW=$REDIS_PASSWORD
export TRIAGE_STORE=$T/triage.db
key=ratiba:fsm:thread:01JTESTTHREAD
iso() { date -u -d "$1" +%FT%TZ; }
fsm() { redis_cli SET "$key" "{\"state\":\"$1\",\"updated_at\":\"$2\"}" >/dev/null; }

cat >"$T/fsm.yaml" <<YAML
runbook: cli-redis
secrets: [TRIAGE_TEST_REDIS_PW]
vars:
  redis: "$REDIS_URL"
  thread: 01JTESTTHREAD
probes:
  redis:
    layer: cache
    redis: "{{redis}}"
    password: "{{env.TRIAGE_TEST_REDIS_PW}}"
    command: [PING]
  fsm:
    layer: payments
    needs: [redis]
    redis: "{{redis}}"
    password: "{{env.TRIAGE_TEST_REDIS_PW}}"
    command: [GET, "ratiba:fsm:thread:{{thread}}"]
    expect: 'json.state != "PAYMENT_PENDING" || age(json.updated_at) < 60s'
failures:
  payment-stuck-pending:
    title: A payment is stuck in PAYMENT_PENDING
    when: redis.ok && !fsm.ok
    diagnosis: The payment reaper has not moved the thread on.
    evidence:
      - redis: "{{redis}}"
        password: "{{env.TRIAGE_TEST_REDIS_PW}}"
        command: [GET, "ratiba:fsm:thread:{{thread}}"]
    fix:
      - redis: "{{redis}}"
        password: "{{env.TRIAGE_TEST_REDIS_PW}}"
        command: [SET, "ratiba:fsm:thread:{{thread}}", '{"state":"PAYMENT_EXPIRED","updated_at":"2026-01-01T00:00:00Z"}']
    verify: [fsm]
    verify_timeout: 5s
YAML

# Stuck for two minutes: critical, and the condition read the JSON value.
fsm PAYMENT_PENDING "$(iso '-120 sec')"
run check -f "$T/fsm.yaml" --json
expect_rc 2 "a thread stuck in PAYMENT_PENDING for 2 minutes is critical"
expect_jq '.probes[1] | .id == "fsm" and .state == "critical" and .json.state == "PAYMENT_PENDING"' "the FSM value is parsed into json"
expect_jq '.probes[1].reason | startswith("expected json.state != \"PAYMENT_PENDING\"")' "the failed expect is the reason"
expect_jq '[.probes[1] | keys[]] == ["checked_at","id","json","kind","latency","latency_ms","layer","ok","reason","reply","state","text"]' "a redis result has exactly its fields"
expect_jq '.probes[0] | .kind == "redis" and .reply == "PONG" and .text == "PONG" and (has("json") | not)' "PING's status reply, no json"
expect_jq '.probes[1].reply | fromjson | .state == "PAYMENT_PENDING"' "reply is the value as stored"

# Pending for 10 s, or another state: ok.
fsm PAYMENT_PENDING "$(iso '-10 sec')"
run check -f "$T/fsm.yaml" --json
expect_rc 0 "PAYMENT_PENDING for 10 s is fine"
fsm CONFIRMED "$(iso '-1 hour')"
run check -f "$T/fsm.yaml"
expect_rc 0 "an old thread in another state is fine"
expect_in "$T/out" "ok        fsm" "the human table shows the probe"

# A missing key is nil: reply null, json absent, the expect holds
# (json.state is null).
redis_cli DEL "$key" >/dev/null
run check -f "$T/fsm.yaml" --json
expect_jq '.probes[1] | .reply == null and (has("json") | not) and .state == "ok"' "a missing key is null"

# diagnose names it, with the value as evidence; fix writes (a fix step
# may), and verify sees it gone.
fsm PAYMENT_PENDING "$(iso '-5 min')"
run diagnose -f "$T/fsm.yaml"
expect_rc 2 "diagnose matches the stuck payment"
expect_in "$T/out" "payment-stuck-pending" "the failure is named"
expect_in "$T/out" "redis-cli -h 127.0.0.1 -p $REDIS_PORT -a *** GET $key" "the evidence command, password redacted"
expect_in "$T/out" '"state":"PAYMENT_PENDING"' "the evidence shows the value"
run fix -f "$T/fsm.yaml" payment-stuck-pending --apply --yes --json
expect_rc 0 "the fix step's SET runs and verify passes"
expect_jq '.applied == true and .verify.ok == true' "applied and verified"
expect_eq "$(redis_cli GET "$key")" '{"state":"PAYMENT_EXPIRED","updated_at":"2026-01-01T00:00:00Z"}' "the fix wrote the key"

# Errors reported as reasons.
cat >"$T/errors.yaml" <<YAML
runbook: cli-redis-errors
secrets: [TRIAGE_TEST_REDIS_PW]
probes:
  noauth: { redis: "$REDIS_URL", command: [PING] }
  wrongtype: { redis: "$REDIS_URL", password: "{{env.TRIAGE_TEST_REDIS_PW}}", command: [LLEN, "$key"] }
  refused: { redis: "redis://127.0.0.1:$(closed_port)", command: [PING] }
  socket: { redis: "unix://$REDIS_SOCKET", password: "{{env.TRIAGE_TEST_REDIS_PW}}", command: [DBSIZE] }
YAML
run check -f "$T/errors.yaml" --json
expect_rc 2 "errors are critical"
expect_jq '.probes[0].reason == "redis: NOAUTH Authentication required."' "no password: NOAUTH"
expect_jq '.probes[1].reason | startswith("redis: WRONGTYPE ")' "an error reply is the reason"
expect_jq '.probes[2].reason == "connection_refused"' "connection_refused"
expect_jq '.probes[3] | .state == "ok" and (.reply | type) == "number"' "a Unix socket, an integer reply"

# Load-time refusals: FILE:LINE:COL, exit 3, nothing run.
cat >"$T/literal.yaml" <<'YAML'
runbook: cli-redis-literal
probes:
  fsm:
    redis: "redis://127.0.0.1:6379"
    password: hunter2-literal
    command: [GET, k]
YAML
run check -f "$T/literal.yaml"
expect_rc 3 "a literal password does not load"
expect_in "$T/err" "literal.yaml:5:15: error: probe \"fsm\": the password must come from a secret" "a literal password at its FILE:LINE:COL"
run lint -f "$T/literal.yaml"
expect_rc 3 "lint refuses a literal password too"

cat >"$T/inurl.yaml" <<'YAML'
runbook: cli-redis-inurl
probes:
  fsm: { redis: "redis://app:hunter2-url@127.0.0.1:6379/0", command: [GET, k] }
YAML
run check -f "$T/inurl.yaml"
expect_rc 3 "a password in the URL does not load"
expect_in "$T/err" "inurl.yaml:3:17: error: probe \"fsm\": the URL holds a password" "a password in the URL at its FILE:LINE:COL"

cat >"$T/notsecret.yaml" <<'YAML'
runbook: cli-redis-notsecret
probes:
  fsm: { redis: "redis://127.0.0.1:6379", password: "{{env.TRIAGE_TEST_REDIS_PW}}", command: [PING] }
YAML
run check -f "$T/notsecret.yaml"
expect_rc 3 "a password from a variable not under secrets: does not load"
expect_in "$T/err" "notsecret.yaml:3:53: error: probe \"fsm\": the password must come from a secret" "not under secrets:"

cat >"$T/write.yaml" <<'YAML'
runbook: cli-redis-write
probes:
  fsm: { redis: "redis://127.0.0.1:6379", command: [SET, k, v] }
failures:
  f:
    when: "!fsm.ok"
    evidence:
      - { redis: "redis://127.0.0.1:6379", command: [DEL, k] }
YAML
run check -f "$T/write.yaml"
expect_rc 3 "a write in a probe or evidence does not load"
expect_in "$T/err" "write.yaml:3:52: error: probe \"fsm\": SET writes; only read-only commands are allowed in probes and evidence (fix steps may write)" "SET in a probe"
expect_in "$T/err" "write.yaml:8:53: error: step evidence[0] of failure \"f\": DEL writes" "DEL in evidence"

cat >"$T/templated.yaml" <<'YAML'
runbook: cli-redis-templated
vars: { cmd: GET }
probes:
  fsm: { redis: "redis://127.0.0.1:6379", command: ["{{cmd}}", k] }
YAML
run check -f "$T/templated.yaml"
expect_rc 3 "a templated command name does not load"
expect_in "$T/err" "templated.yaml:4:53: error: the first item of command in probe \"fsm\" is templated" "a templated command name"

# The secret is never printed: check, diagnose, fix, render, lint,
# incidents, and the store's files.
fsm PAYMENT_PENDING "$(iso '-5 min')"
: >"$T/all"
for args in "check" "check --json" "diagnose" "diagnose --json" \
    "fix payment-stuck-pending" "fix payment-stuck-pending --json" \
    "render" "lint"; do
	# shellcheck disable=SC2086
	run $args -f "$T/fsm.yaml"
	cat "$T/out" "$T/err" >>"$T/all"
done
run incidents show 1 --json
cat "$T/out" "$T/err" >>"$T/all"
expect_in "$T/all" 'redis-cli -h 127.0.0.1' "the outputs were captured"
expect_in "$T/all" '-a "$TRIAGE_TEST_REDIS_PW"' "render names the variable instead"
expect_not_in "$T/all" "$REDIS_PASSWORD" "the password in an output"
for f in "$T"/triage.db*; do
	if grep -qaF -- "$REDIS_PASSWORD" "$f"; then
		fail "the password in the store: $(basename "$f")"
	else pass; fi
done

finish
