#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command line itself: help, version, unknown commands and options.
. "$(dirname "$0")/lib.sh"

run --help
expect_rc 0 "--help"
expect_in "$T/out" "usage: triage [COMMAND]" "--help usage line"
expect_in "$T/out" "check" "--help lists check"
expect_in "$T/out" "render" "--help lists render"

run --version
expect_rc 0 "--version"
expect_in "$T/out" "triage " "--version prints the version"

run check --help
expect_rc 0 "check --help"
expect_in "$T/out" "usage: triage check [options]" "check usage"
expect_in "$T/out" "--json" "check --help lists --json"
expect_in "$T/out" "--only LAYER|PROBE,..." "check --help lists --only"
expect_in "$T/out" "-j, --jobs N" "check --help lists -j"
expect_in "$T/out" "-f, --file RUNBOOK" "check --help lists -f"

run help check
expect_rc 0 "help check"
expect_in "$T/out" "usage: triage check" "help check shows check's help"

run frobnicate
expect_rc 3 "unknown command"
expect_in "$T/err" 'unknown command "frobnicate"' "unknown command message"

run check --jsn
expect_rc 3 "unknown option"
expect_in "$T/err" "unknown option --jsn; did you mean --json?" "did you mean"

run check -j 0 --builtin
expect_rc 3 "-j 0"
expect_in "$T/err" "--jobs takes a whole number from 1 to 1000000" "-j range"

run check -j
expect_rc 3 "-j without a value"
expect_in "$T/err" "--jobs needs a value (N)" "-j needs a value"

run check --json=yes
expect_rc 3 "flag with a value"
expect_in "$T/err" "--json takes no value" "flag with a value message"

run check extra-arg
expect_rc 3 "unexpected argument"
expect_in "$T/err" 'unexpected argument "extra-arg"' "unexpected argument message"

run check -f "$T/does-not-exist.yaml"
expect_rc 3 "missing runbook file"
expect_in "$T/err" "does-not-exist.yaml" "missing runbook names the file"

run check --builtin -f x.yaml
expect_rc 3 "--builtin with -f"
expect_in "$T/err" "--builtin and --file cannot be used together" "--builtin with -f message"

run render --format pdf --builtin
expect_rc 3 "render unknown format"
expect_in "$T/err" 'unknown format "pdf"' "render unknown format message"

# ---- output that cannot be written: an error, not a silent success
"$TRIAGE" check --builtin --json >/dev/full 2>"$T/err"
RC=$?
expect_rc 3 "check --json to a full disk"
expect_in "$T/err" "triage: cannot write the output" "a full disk is said"
"$TRIAGE" --help >/dev/full 2>"$T/err"
RC=$?
expect_rc 3 "--help to a full disk"
expect_in "$T/err" "cannot write the output: No space left on device" "with the reason when stdio has it"
# Started with stdout and stdin closed, triage puts /dev/null there (as
# ssh does), so no file or socket it opens takes their numbers: the run
# goes as with >/dev/null, and a --record store is not written over.
printf 'runbook: closed\nprobes:\n  f: { file: /etc/hostname, expect: exists }\n' >"$T/closed.yaml"
"$TRIAGE" check -f "$T/closed.yaml" --record --store "$T/closed.db" >&- <&- 2>"$T/err"
RC=$?
expect_rc 0 "check with stdout and stdin closed"
run history --store "$T/closed.db" --json
expect_rc 0 "the store it recorded into reads back"
expect_jq '[.samples[] | select(.probe == "f" and .state == "ok")] | length == 1' "with the run's sample"
# A reader that has gone (as `| head -1` after its line) fails the run
# quietly: the pipe's read end is closed before triage writes.
python3 - "$TRIAGE" >"$T/out" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "check", "--builtin", "--json"], stdout=w,
    stderr=subprocess.PIPE)
print(p.returncode)
sys.stdout.write(p.stderr.decode())
PY
expect_eq "$(head -n 1 "$T/out")" 3 "a reader that left: exit 3"
expect_eq "$(tail -n +2 "$T/out")" "" "a reader that left: nothing said"

finish
