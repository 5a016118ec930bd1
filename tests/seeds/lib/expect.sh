# SPDX-License-Identifier: MIT
# What every seed test checks, on the runbook $RB (tests/cli/lib.sh must be
# sourced first): the healthy stack diagnoses healthy, an injected fault is
# ranked first by `triage diagnose --json`, and a fix applied with
# `triage fix --apply --yes` verifies green with the symptom gone; an
# unmatched failure writes the escalation bundle.

# diag: triage diagnose --json -f $RB, into $T/out and $RC.
diag() { run diagnose --json -f "$RB"; }

# expect_healthy DESC
expect_healthy() {
	diag
	if [ "$RC" -eq 0 ] && jq -e '.status == "healthy" and .failures == []' "$T/out" >/dev/null; then
		pass
	else
		fail "$1: not healthy (exit $RC)"
		jq -c '{failures: [.failures[].id], probes: [.probes[] | select(.state != "ok") | {id, state, reason}]}' "$T/out" >&2
	fi
}

# expect_first ID DESC: diagnose ranks ID first.
expect_first() {
	diag
	expect_rc 2 "$2: exit 2"
	if jq -e ".status == \"failure\" and .failures[0].id == \"$1\"" "$T/out" >/dev/null 2>&1; then
		pass
	else
		fail "$2: $1 not ranked first"
		jq -c '{status, path: [.path[]? | {node, answer}], failures: [.failures[]?.id], probes: [.probes[]? | select(.state != "ok") | {id, state, reason}]}' "$T/out" >&2
	fi
}

# expect_fixed ID DESC [FIX OPTIONS]: fix --apply --yes resolves it.
expect_fixed() {
	local id=$1 desc=$2
	shift 2
	run fix -f "$RB" "$id" --apply --yes --json "$@"
	expect_rc 0 "$desc: fix --apply resolves it"
	expect_jq '.outcome == "resolved" and .verify.ok == true and .verify.symptom_holds == false' \
		"$desc: verify green, the symptom gone"
}

# expect_escalated: diagnose finds nothing that matches and writes an
# escalation bundle; sets $bundle to it and puts what its `bring` items
# captured in $T/bring.txt.
expect_escalated() {
	diag
	expect_rc 1 "escalation: an unmatched failure"
	expect_jq '.status == "unmatched" and (.escalation.bundle | type) == "string"' "escalation: a bundle was written"
	bundle=$(jq -r '.escalation.bundle // empty' "$T/out")
	cat "$bundle"/bring/*.txt >"$T/bring.txt" 2>&1
}
