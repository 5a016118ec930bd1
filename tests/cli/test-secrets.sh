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

finish
