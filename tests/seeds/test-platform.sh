#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seed suite for examples/platform.yaml (seed 003, "Troubleshoot
# Production Issues" for a Helpifyr fabric): a real nginx serves the four
# health and readiness surfaces and one user path from JSON files the test
# rewrites (the platform's stand-in), and a checkout of the fabric repo
# holds stand-ins of its three scripts (the drift check in Python, run by
# Debian's python3; the guardrails check and the redeploy in bash) that
# read and write a "runtime" directory. The healthy stack must diagnose
# healthy; each failure mode is injected one at a time and must be ranked
# first; the guarded redeploy must be refused without its guardrails and
# its confirmation, and once applied it must resolve the incident with the
# seed's six "resolved" criteria in the incident record.
. "$TRIAGE_SRC/tests/cli/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/nginx.sh"
. "$TRIAGE_SRC/tests/seeds/lib/expect.sh"

RB=$TRIAGE_SRC/examples/platform.yaml
command -v python3 >/dev/null || seeds_apt_install test-platform.sh python3 ||
	{ fail "python3 is not installed and cannot be"; finish; exit 1; }
trap 'nginx_stop; cleanup' EXIT

# --- the platform: its surfaces as files nginx serves ---------------------------
P=$T/platform
RUNTIME=$T/runtime
mkdir -p "$P/healthy" "$RUNTIME"
echo '{"status":"ok","version":"2026.11.3"}' >"$P/healthy/health.json"
echo '{"services":[{"name":"gateway","status":"up"},{"name":"agents","status":"up"},{"name":"scheduler","status":"up"}]}' >"$P/healthy/services.json"
echo '{"ready":true,"checks":{"traces":"ok","metrics":"ok"}}' >"$P/healthy/readiness.json"
echo '{"ready":true,"checks":{"secrets_rotation":"ok","tls":"ok"}}' >"$P/healthy/security.json"
chmod -R a+rX "$T"
surfaces_ok() {
	cp "$P"/healthy/*.json "$P/"
	rm -f "$P"/*.down "$P/user-path.broken"
	chmod a+r "$P"/*
}
surfaces_ok
PORT=$(free_port)
surface() {	# PATH FILE
	printf 'location = %s { if (-f %s/%s.down) { return 502; } default_type application/json; alias %s/%s.json; }\n' \
		"$1" "$P" "$2" "$P" "$2"
}
nginx_start "server {
	listen 127.0.0.1:$PORT;
	$(surface /health health)
	$(surface /api/v1/platform/services services)
	$(surface /api/v1/observability/readiness readiness)
	$(surface /api/v1/security/readiness security)
	location = /api/v1/agents/ping {
		if (-f $P/user-path.broken) { return 500 '{\"error\":\"agent lane timed out\"}'; }
		default_type application/json;
		return 200 '{\"pong\":true}';
	}
}" || { fail "nginx did not start"; finish; exit 1; }

# --- the fabric repo: its three scripts (stand-ins) ---------------------------------
export PLATFORM_URL=http://127.0.0.1:$PORT PLATFORM_REPO=$T/fabric PLATFORM_USER_PATH=/api/v1/agents/ping
mkdir -p "$PLATFORM_REPO/scripts"
echo "gateway@4c1d2e agents@9f0a11 scheduler@77b3c0" >"$PLATFORM_REPO/materialization.lock"
cp "$PLATFORM_REPO/materialization.lock" "$RUNTIME/materialization.lock"
cat >"$PLATFORM_REPO/scripts/verify_runtime_materialization.py" <<PY
"""Stand-in: compares the repo's materialization.lock with the runtime's."""
import sys
repo = open("materialization.lock").read().split()
runtime = open("$RUNTIME/materialization.lock").read().split()
drift = sorted(set(repo) ^ set(runtime))
if drift:
    print("DRIFT: " + " ".join(drift))
    sys.exit(1)
print("runtime matches repo (%d units)" % len(repo))
PY
cat >"$PLATFORM_REPO/scripts/verify-runtime-guardrails.sh" <<SH
# Stand-in: the guardrails hold unless the runtime says otherwise.
if [ -e "$RUNTIME/guardrails.broken" ]; then echo "guardrail: backup older than 24h"; exit 1; fi
echo "guardrails: backup fresh, maintenance window open, owner ack present"
SH
cat >"$PLATFORM_REPO/scripts/redeploy-host-stack.sh" <<SH
# Stand-in: materializes the repo onto the runtime; the platform comes back.
cp materialization.lock "$RUNTIME/materialization.lock"
echo redeployed >>"$RUNTIME/redeploys"
rm -f "$P"/*.down
cp "$P"/healthy/health.json "$P"/healthy/services.json "$P"/healthy/readiness.json "$P/"
chmod a+r "$P"/*
echo "host stack redeployed"
SH
export TRIAGE_STORE=$T/triage.db XDG_STATE_HOME=$T/state

# --- healthy ---------------------------------------------------------------------
expect_healthy "the healthy stack"
run lint --strict "$RB"
expect_rc 0 "lint --strict: clean (the redeploy is dangerous and guarded)"

# --- a broad outage: the guarded redeploy ---------------------------------------------
touch "$P/health.down" "$P/services.down"
expect_first broad-outage "outage: health and services fail"
touch "$RUNTIME/guardrails.broken"
run fix -f "$RB" broad-outage --apply --yes --allow-dangerous --confirm broad-outage
expect_rc 2 "outage: no redeploy while the guardrails fail"
expect_in "$T/out" "guard guardrails.ok does not hold" "outage: refused by the guardrails"
rm -f "$RUNTIME/guardrails.broken"
run fix -f "$RB" broad-outage --apply --yes
expect_rc 2 "outage: the redeploy is refused without --allow-dangerous"
expect_eq "$(cat "$RUNTIME/redeploys" 2>/dev/null)" "" "outage: nothing was redeployed by a refusal"
expect_fixed broad-outage "outage" --allow-dangerous --confirm broad-outage
id=$(jq -r .incident "$T/out")
expect_healthy "outage: redeployed"

# The incident record holds the seed's six "resolved" criteria.
run incidents show "$id" --json
expect_rc 0 "record: incidents show"
opened='.incidents[0].events[] | select(.kind == "opened") | .body'
expect_jq "$opened | .symptom.when == \"!health.ok && !services.ok\" and .symptom.holds" "record: 1. the original symptom, as it held"
expect_jq "[$opened | .evidence[] | .url // empty] | map(select(test(\"/health|/readiness\"))) | length == 3" "record: 2. health and both readiness surfaces captured before recovery"
expect_jq "$opened | .evidence[] | select(.kind == \"command\") | .stdout | test(\"runtime matches repo\")" "record: 3. the drift check"
expect_jq '[.incidents[0].events[] | select(.kind == "step")] | length == 1 and (.[0].body | tostring | test("redeploy-host-stack"))' "record: 4. the one fix that ran"
expect_jq '.incidents[0].events[] | select(.kind == "verify") | .body.ok and ([.body.probes[].id] | sort == ["drift","health","readiness","security","services","user_path"])' "record: 5. and 6. the same sequence and the user path, green"
expect_jq '.incidents[0].status == "resolved"' "record: resolved"

# --- a degraded service: no restart before the boundary is clear ------------------------
echo '{"services":[{"name":"gateway","status":"up"},{"name":"agents","status":"degraded"},{"name":"scheduler","status":"up"}]}' >"$P/services.json"
expect_first degraded-services "degraded: one service"
run fix -f "$RB" degraded-services --apply --yes
expect_rc 2 "degraded: no fix to apply (no restart without a boundary)"
surfaces_ok

# --- readiness is not health ----------------------------------------------------------
echo '{"ready":false,"checks":{"traces":"ok","metrics":"stale"}}' >"$P/readiness.json"
expect_first readiness-regression "readiness: ready false while /health is ok"
expect_jq '.probes[] | select(.id == "health") | .ok == true' "readiness: health itself is green"
surfaces_ok

echo '{"ready":false,"checks":{"secrets_rotation":"overdue","tls":"ok"}}' >"$P/security.json"
expect_first security-posture "security: not ready"
surfaces_ok

# --- runtime drift: the narrowest fix, guarded ----------------------------------------------
echo "gateway@4c1d2e agents@1111aa scheduler@77b3c0" >"$RUNTIME/materialization.lock"
expect_first runtime-drift "drift: runtime differs from the repo"
expect_jq '.probes[] | select(.id == "drift") | .stdout | test("agents@1111aa")' "drift: the check names the drifted unit"
expect_fixed runtime-drift "drift" --allow-dangerous --confirm runtime-drift
expect_healthy "drift: materialized again"

# --- the guardrails themselves fail --------------------------------------------------------
touch "$RUNTIME/guardrails.broken"
expect_first guardrails-failing "guardrails: failing"
rm -f "$RUNTIME/guardrails.broken"

# --- a product failure that only looks stack-wide ------------------------------------------
touch "$P/user-path.broken"
expect_first product-failure "product: the user path fails, the stack is green"
expect_jq '.failures | length == 1' "product: nothing stack-wide matches"
rm -f "$P/user-path.broken"
expect_healthy "all repaired"

finish
