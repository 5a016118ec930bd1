#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every malformed runbook in tests/data/bad/ gets its exact FILE:LINE:COL
# diagnostics (golden NAME.err) and exit 3, and nothing runs.
. "$(dirname "$0")/lib.sh"

n=0
cd "$TRIAGE_SRC" || exit 1
for yaml in tests/data/bad/*.yaml; do
	name=${yaml%.yaml}
	n=$((n + 1))
	rm -f /tmp/triage-must-not-run
	run check -f "$yaml"
	expect_rc 3 "$yaml"
	# The summary line after the diagnostics is checked separately.
	grep -v '^triage: .*: [0-9]* errors\?; nothing was run$' "$T/err" >"$T/diag"
	if diff -u "$name.err" "$T/diag" >"$T/diff"; then pass; else
		fail "$yaml: diagnostics differ from $name.err"
		head -40 "$T/diff" >&2
	fi
	expect_in "$T/err" "nothing was run" "$yaml: says nothing ran"
	[ -s "$T/out" ] && fail "$yaml: printed on stdout" || pass
	[ -e /tmp/triage-must-not-run ] && fail "$yaml: a probe ran" || pass
done
[ "$n" -ge 25 ] && pass || fail "only $n malformed runbooks in tests/data/bad"

# A runbook with errors and a probe that would leave a mark: nothing runs.
cat >"$T/mixed.yaml" <<'YAML'
runbook: mixed
probes:
  mark: { command: [touch, /tmp/triage-must-not-run] }
  broken: { http: "http://127.0.0.1:1/", timout: 2s }
YAML
rm -f /tmp/triage-must-not-run
run check -f "$T/mixed.yaml"
expect_rc 3 "a runbook with one bad probe"
expect_in "$T/err" "mixed.yaml:4:42: error: unknown key \"timout\"" "FILE:LINE:COL of the bad key"
[ -e /tmp/triage-must-not-run ] && fail "a probe ran from a runbook with errors" || pass

finish
