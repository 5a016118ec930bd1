#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Probes run concurrently on one loop: 40 http probes against an endpoint
# that answers after 1 s finish in about 1 s, not 40.
. "$(dirname "$0")/lib.sh"
start_httpd

{
	echo "runbook: cli-forty"
	echo "probes:"
	for i in $(seq 40); do
		echo "  p$i: { layer: app, http: \"http://$HTTPD/delay/1000?n=$i\", timeout: 30s }"
	done
} >"$T/forty.yaml"

start=$(date +%s%N)
run check -f "$T/forty.yaml" --json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "40 slow probes all ok"
expect_jq '[.probes[] | select(.state == "ok")] | length == 40' "40 ok results"
expect_jq '[.probes[].latency_ms] | min >= 990' "each probe waited its second"
# Sequential would be 40 s; allow for a loaded machine and sanitizers.
[ "$ms" -lt 5000 ] && pass || fail "40 probes of 1 s took ${ms} ms; expected about 1 s"
echo "40 probes of 1 s: ${ms} ms"

finish
