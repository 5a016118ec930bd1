#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secrets are read from the environment and never printed: not in a
# header echoed back, a body, command output, an error or the JSON.
. "$(dirname "$0")/lib.sh"
start_httpd
export TRIAGE_TEST_TOKEN="s3cr3t-Value-42"

cat >"$T/secrets.yaml" <<YAML
runbook: cli-secrets
secrets: [TRIAGE_TEST_TOKEN, TRIAGE_TEST_MISSING]
probes:
  echo:
    layer: app
    http: "http://$HTTPD/headers"
    headers: { Authorization: "Bearer {{env.TRIAGE_TEST_TOKEN}}" }
    expect: 'body.authorization == "Bearer ***"'
  query: { layer: app, http: "http://$HTTPD/status/500?token={{env.TRIAGE_TEST_TOKEN}}" }
  shell: { layer: host, shell: "echo token={{env.TRIAGE_TEST_TOKEN}} >&2; echo \$TRIAGE_TEST_TOKEN; exit 1" }
  missing: { layer: host, http: "http://$HTTPD/up?k={{env.TRIAGE_TEST_MISSING}}" }
YAML
for fmt in "" --json; do
	run check -f "$T/secrets.yaml" $fmt
	expect_not_in "$T/out" "s3cr3t" "secret on stdout ($fmt)"
	expect_not_in "$T/err" "s3cr3t" "secret on stderr ($fmt)"
done
expect_jq '.probes[0] | .state == "ok" and .body.authorization == "Bearer ***"' "an echoed header is redacted and conditions see the redacted value"
expect_jq '.probes[2] | .stderr == "token=***" and .stdout == "***"' "command output is redacted"
expect_jq '.probes[3].reason == "skipped: TRIAGE_TEST_MISSING unset"' "an unset secret skips its probe"

# fix: the secret in a step's argv and output, in an evidence command, in a
# URL and a header of the probes read before and after. Every byte of
# stdout, stderr and the store (the database and its WAL) is searched.
cat >"$T/fix-secrets.yaml" <<YAML
runbook: cli-secrets-fix
secrets: [TRIAGE_TEST_TOKEN]
probes:
  flag: { layer: app, file: "$T/flag", expect: exists }
  echo:
    layer: app
    http: "http://$HTTPD/headers?token={{env.TRIAGE_TEST_TOKEN}}"
    headers: { Authorization: "Bearer {{env.TRIAGE_TEST_TOKEN}}" }
failures:
  flag-missing:
    when: "!flag.ok && echo.ok"
    evidence:
      - { command: [echo, "evidence {{env.TRIAGE_TEST_TOKEN}}"] }
    fix:
      - { shell: "echo out {{env.TRIAGE_TEST_TOKEN}}; echo err \$TRIAGE_TEST_TOKEN >&2; touch $T/flag" }
    verify: [flag, echo]
YAML
for fmt in "" --json; do
	rm -f "$T/flag"
	run fix -f "$T/fix-secrets.yaml" flag-missing --apply --yes --store "$T/s.db" $fmt
	expect_rc 0 "fix with secrets resolves ($fmt)"
	expect_not_in "$T/out" "s3cr3t" "secret on fix's stdout ($fmt)"
	expect_not_in "$T/err" "s3cr3t" "secret on fix's stderr ($fmt)"
done
expect_jq '.steps[0].output == "out ***" and .steps[0].stderr == "err ***"' "a step's output is redacted"
for f in "$T"/s.db*; do
	if grep -qaF "s3cr3t" "$f"; then fail "secret in the store: $(basename "$f")"; else pass; fi
done
run incidents show 1 --json --store "$T/s.db"
expect_rc 0 "incidents show of the fix with secrets"
expect_not_in "$T/out" "s3cr3t" "secret in incidents show"

# A secret too short to redact is an error, and used as if unset, so that
# no other message (a bad port, a bad duration) quotes it.
cat >"$T/short.yaml" <<'YAML'
runbook: short-secret
secrets: [TRIAGE_SHORT_TOK]
probes:
  d: { tcp: "{{env.TRIAGE_SHORT_TOK}}", timeout: "{{env.TRIAGE_SHORT_TOK}}" }
YAML
TRIAGE_SHORT_TOK=xq7 run check -f "$T/short.yaml"
expect_rc 3 "a secret too short to redact does not load"
expect_in "$T/err" "secret TRIAGE_SHORT_TOK is 3 characters long, too short to redact" "it says why"
expect_not_in "$T/err" "xq7" "the short value is in no message"

finish
