#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage lint: every finding in tests/data/lint/ at its exact FILE:LINE:COL
# (golden NAME.out), exit codes, --strict, --json, --max-age and --now,
# several runbooks at once, the examples and the built-in runbook clean
# under --strict, and the sample pre-commit hook.
. "$(dirname "$0")/lib.sh"

cd "$TRIAGE_SRC" || exit 1
NOW=2026-11-23

# The exit code a golden output implies: 3 when the runbook does not
# load, 1 with errors, else 0.
golden_rc() {
	if grep -q 'the runbook does not load$' "$1"; then echo 3
	elif grep -q ': [1-9][0-9]* errors\?, ' "$1"; then echo 1
	else echo 0; fi
}

n=0
for yaml in tests/data/lint/*.yaml; do
	name=${yaml%.yaml}
	n=$((n + 1))
	run lint --now "$NOW" "$yaml"
	expect_rc "$(golden_rc "$name.out")" "lint $yaml"
	if diff -u "$name.out" "$T/out" >"$T/diff"; then pass; else
		fail "lint $yaml: output differs from $name.out"
		head -40 "$T/diff" >&2
	fi
	[ -s "$T/err" ] && fail "lint $yaml: wrote to stderr: $(head -3 "$T/err")" || pass
done
[ "$n" -ge 10 ] && pass || fail "only $n runbooks in tests/data/lint"

# Each code has a runbook named after it that triggers it, with a
# position.
for code in unreachable-node unreachable-failure unused-probe no-verify \
    dangerous-without-guard stale future-verified contradiction \
    fix-without-evidence verify-misses-symptom unknown-field; do
	expect_in "tests/data/lint/$code.out" "[$code]" "$code.yaml triggers $code"
	grep -Eq "^triage: tests/data/lint/$code\.yaml:[0-9]+:[0-9]+: (warning|error): .* \[$code\]$" \
		"tests/data/lint/$code.out" && pass || fail "$code has FILE:LINE:COL"
done
expect_in tests/data/lint/clean.out "clean.yaml: no findings" "clean runbook"
# ... and a section in docs/lint.md.
for code in unreachable-node unreachable-failure unused-probe no-verify \
    dangerous-without-guard stale future-verified contradiction \
    fix-without-evidence verify-misses-symptom unknown-field; do
	expect_in docs/lint.md "### \`$code\`" "docs/lint.md documents $code"
done

# --strict: warnings become errors, and the exit code follows.
run lint --now "$NOW" tests/data/lint/unused-probe.yaml
expect_rc 0 "warnings alone exit 0"
expect_in "$T/out" ": warning: probe \"cache\" is never read [unused-probe]" "a warning"
run lint --strict --now "$NOW" tests/data/lint/unused-probe.yaml
expect_rc 1 "--strict: warnings exit 1"
expect_in "$T/out" "unused-probe.yaml:8:3: error: probe \"cache\" is never read [unused-probe]" "--strict prints error:"
expect_in "$T/out" "unused-probe.yaml: 1 error, 0 warnings" "--strict counts an error"
run lint --strict --now "$NOW" tests/data/lint/clean.yaml
expect_rc 0 "--strict on a clean runbook"

# --json: one document on stdout, nothing on stderr.
run lint --json --now "$NOW" tests/data/lint/stale.yaml tests/data/lint/load-error.yaml tests/data/lint/clean.yaml
expect_rc 3 "--json with a runbook that does not load"
[ -s "$T/err" ] && fail "--json wrote to stderr" || pass
expect_jq '.schema == 1 and (.runbooks | length) == 3 and .errors == 3 and .warnings == 0' "--json top level"
expect_jq '.runbooks[0] | .path == "tests/data/lint/stale.yaml" and .runbook == "lint-stale" and (.findings | length) == 2' "--json runbook"
expect_jq '.runbooks[0].findings[0] == {"file": "tests/data/lint/stale.yaml", "line": 4, "col": 16, "level": "error", "code": "stale", "message": "runbook \"lint-stale\" was last verified 2026-01-02, 325 days ago (--max-age 90d)", "hint": "check it against reality, then set last_verified to the day you did"}' "--json finding"
expect_jq '.runbooks[1] | .runbook == null and .findings[0].code == "load" and .findings[0].line == 4 and .findings[0].col == 30' "--json load error"
expect_jq '.runbooks[2].findings == []' "--json clean runbook"
expect_jq '[.runbooks[].findings[] | keys] | unique == [["code", "col", "file", "hint", "level", "line", "message"]]' "--json finding keys"
run lint --json --strict --now "$NOW" tests/data/lint/unreachable-node.yaml
expect_rc 1 "--json --strict"
expect_jq '.errors == 2 and .warnings == 0 and ([.runbooks[0].findings[].level] | unique) == ["error"]' "--json --strict levels"

# --max-age and --now.
run lint --now "$NOW" --max-age 400d tests/data/lint/stale.yaml
expect_rc 1 "--max-age 400d"
expect_in "$T/out" "failure \"app-down\" was last verified 2025-06-30, 511 days ago (--max-age 400d) [stale]" "--max-age in the message"
expect_not_in "$T/out" "runbook \"lint-stale\" was last verified" "the runbook is within 400d"
run lint --now "$NOW" --max-age 1000d tests/data/lint/stale.yaml
expect_rc 0 "--max-age 1000d"
run lint --now "$NOW" --max-age 2w tests/data/lint/stale.yaml
expect_in "$T/out" "failure \"app-fresh\" was last verified 2026-11-01, 22 days ago (--max-age 2w)" "--max-age 2w"
run lint --now 2025-07-01 tests/data/lint/stale.yaml
expect_rc 0 "--now before the runbook went stale"
expect_in "$T/out" "has last_verified 2026-01-02, which is in the future [future-verified]" "--now: the future"
cat >"$T/edge.yaml" <<'YAML'
runbook: edge
last_verified: 2026-01-01
YAML
run lint --now 2026-04-01 "$T/edge.yaml"
expect_rc 0 "90 days old is not stale with --max-age 90d"
run lint --now 2026-04-02 "$T/edge.yaml"
expect_rc 1 "91 days old is stale"
expect_in "$T/out" "91 days ago (--max-age 90d) [stale]" "91 days"
for bad in 90 -1d soon 7days; do
	run lint --max-age "$bad" tests/data/lint/clean.yaml
	expect_rc 3 "--max-age $bad"
	expect_in "$T/err" "triage lint: bad --max-age \"$bad\"" "--max-age $bad: message"
	[ -s "$T/out" ] && fail "--max-age $bad: printed on stdout" || pass
done
for bad in 2026-02-30 2026-1-1 tomorrow 2026-11-23T00:00:00Z; do
	run lint --now "$bad" tests/data/lint/clean.yaml
	expect_rc 3 "--now $bad"
	expect_in "$T/err" "triage lint: bad --now \"$bad\"" "--now $bad: message"
done

# Several runbooks at once: each is reported, the worst exit code wins.
run lint --now "$NOW" tests/data/lint/clean.yaml tests/data/lint/unused-probe.yaml
expect_rc 0 "clean + warnings"
expect_in "$T/out" "triage: tests/data/lint/clean.yaml: no findings" "first summary"
expect_in "$T/out" "triage: tests/data/lint/unused-probe.yaml: 0 errors, 1 warning" "second summary"
run lint --now "$NOW" tests/data/lint/unused-probe.yaml tests/data/lint/stale.yaml tests/data/lint/clean.yaml
expect_rc 1 "warnings + errors"
run lint --now "$NOW" tests/data/lint/load-error.yaml tests/data/lint/stale.yaml
expect_rc 3 "a runbook that does not load wins"
expect_in "$T/out" "stale.yaml: 2 errors, 0 warnings" "the rest is still linted"
run lint "$T/missing.yaml"
expect_rc 3 "a missing runbook"
expect_in "$T/out" "the runbook does not load" "a missing runbook is reported"
run lint --frobnicate
expect_rc 3 "an unknown option"

# The examples and the built-in runbook are clean under --strict. Their
# last_verified ages with the calendar; staleness is tested above.
run lint --strict --max-age 36500d examples/*.yaml src/builtin/host.yaml
expect_rc 0 "examples and host.yaml are lint-clean with --strict"
[ "$(grep -c ': no findings$' "$T/out")" -eq $(($(ls examples/*.yaml | wc -l) + 1)) ] && pass ||
	fail "every example: $(cat "$T/out")"
run lint --strict --builtin
expect_rc 0 "the built-in runbook is lint-clean"
expect_in "$T/out" "triage: <builtin>: no findings" "--builtin is linted"

# Which runbook, with no argument: -f, $TRIAGE_RUNBOOK, ./triage.yaml,
# else the built-in one.
mkdir -p "$T/lookup"
cp tests/data/lint/unused-probe.yaml "$T/lookup/triage.yaml"
(cd "$T/lookup" && env -u TRIAGE_RUNBOOK "$TRIAGE" lint >"$T/out" 2>"$T/err")
expect_in "$T/out" "triage: triage.yaml: 0 errors, 1 warning" "./triage.yaml"
(cd "$T/lookup" && TRIAGE_RUNBOOK="$TRIAGE_SRC/tests/data/lint/stale.yaml" "$TRIAGE" lint --now "$NOW" >"$T/out" 2>"$T/err")
expect_in "$T/out" "stale.yaml: 2 errors, 0 warnings" "\$TRIAGE_RUNBOOK"
(cd "$T" && env -u TRIAGE_RUNBOOK "$TRIAGE" lint >"$T/out" 2>"$T/err")
expect_in "$T/out" "triage: <builtin>: no findings" "the built-in runbook by default"
run lint -f tests/data/lint/no-verify.yaml
expect_in "$T/out" "no-verify.yaml: 0 errors, 1 warning" "-f"
run lint --builtin -f tests/data/lint/clean.yaml
expect_rc 3 "--builtin with -f"

# A directory runbook: findings name the file they are in.
mkdir -p "$T/split"
printf 'runbook: split\nprobes:\n  a: { tcp: "127.0.0.1:1" }\n' >"$T/split/00-main.yaml"
printf 'failures:\n  x:\n    when: a.ok && !a.ok\n' >"$T/split/10-failures.yaml"
run lint "$T/split"
expect_rc 1 "a directory runbook"
expect_in "$T/out" "$T/split/10-failures.yaml:3:11: error: when of failure \"x\" can never be true: \`a.ok\` and \`!a.ok\` cannot both be true [contradiction]" "directory: FILE:LINE:COL"

# The loader's own warning about an unreachable node is not repeated.
run lint --now "$NOW" tests/data/lint/unreachable-node.yaml
[ "$(grep -c 'node "orphan" is never reached' "$T/out")" -eq 1 ] && pass ||
	fail "the orphan node is reported once"

# The sample pre-commit hook lints what is staged.
if command -v git >/dev/null; then
	repo=$T/repo
	mkdir -p "$repo/runbooks" "$T/bin"
	ln -s "$TRIAGE" "$T/bin/triage"
	git init -q "$repo"
	hook() {
		(cd "$repo" && PATH="$T/bin:$PATH" sh "$TRIAGE_SRC/contrib/pre-commit" >"$T/out" 2>"$T/err")
		RC=$?
	}
	cp tests/data/lint/clean.yaml "$repo/runbooks/web.yaml"
	printf 'services:\n  web: { image: nginx }\n' >"$repo/compose.yaml"
	git -C "$repo" add runbooks/web.yaml compose.yaml
	hook
	expect_rc 0 "pre-commit: a clean runbook (and other YAML) passes"
	cp tests/data/lint/unused-probe.yaml "$repo/runbooks/web.yaml"
	git -C "$repo" add runbooks/web.yaml
	cp tests/data/lint/clean.yaml "$repo/runbooks/web.yaml"
	hook
	expect_rc 1 "pre-commit: the staged runbook has a warning (--strict)"
	expect_in "$T/out" "triage: runbooks/web.yaml:8:3: error: probe \"cache\" is never read [unused-probe]" "pre-commit: repository paths"
	expect_in "$T/err" "triage lint found problems in the staged runbooks" "pre-commit: says why"
	git -C "$repo" add runbooks/web.yaml
	hook
	expect_rc 0 "pre-commit: fixed and staged"
	# A directory runbook: a file without runbook: is linted with its
	# directory.
	mkdir -p "$repo/split"
	cp "$T/split/00-main.yaml" "$T/split/10-failures.yaml" "$repo/split/"
	git -C "$repo" add split/00-main.yaml
	git -C "$repo" add split/10-failures.yaml
	hook
	expect_rc 1 "pre-commit: a directory runbook"
	expect_in "$T/out" "triage: split/10-failures.yaml:3:11: error: when of failure \"x\"" "pre-commit: the directory is linted"
	git -C "$repo" config triage.lintArgs "--max-age 1d --now 2030-01-01"
	git -C "$repo" rm -q --cached split/10-failures.yaml
	cp tests/data/lint/clean.yaml "$repo/runbooks/web.yaml"
	git -C "$repo" add runbooks/web.yaml
	hook
	expect_rc 1 "pre-commit: triage.lintArgs"
	expect_in "$T/out" "(--max-age 1d) [stale]" "pre-commit: --max-age from git config"
	(cd "$repo" && PATH=/usr/bin:/bin TRIAGE=no-such-triage sh "$TRIAGE_SRC/contrib/pre-commit" >"$T/out" 2>"$T/err")
	RC=$?
	expect_rc 1 "pre-commit: no triage binary"
	expect_in "$T/err" "no-such-triage not found" "pre-commit: says triage is missing"
fi

finish
