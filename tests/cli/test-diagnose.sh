#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage diagnose over tests/data/good/diagnose.yaml, a service whose state
# is files in a directory: one fault at a time, the exit code, the --json
# document, --evidence, --bundle, --only, no secret anywhere, and the human
# output byte for byte against tests/cli/golden/diagnose-*.out
# (TRIAGE_UPDATE_GOLDEN=1 rewrites them; read the diff before committing).
. "$(dirname "$0")/lib.sh"

RB=$DATA/good/diagnose.yaml
GOLDEN=$TRIAGE_SRC/tests/cli/golden
SECRET=s3cr3t-diag-TOKEN-42
export DIAG_DIR=$T/s DIAG_TOKEN=$SECRET XDG_STATE_HOME=$T/state
unset NO_COLOR TRIAGE_RUNBOOK

# healthy: a fresh state directory where every probe is ok.
healthy() {
	rm -rf "$DIAG_DIR"
	mkdir -p "$DIAG_DIR"
	touch "$DIAG_DIR/up"
	echo ok >"$DIAG_DIR/health"
	echo 2.3.1 >"$DIAG_DIR/version"
	echo 5 >"$DIAG_DIR/queue"
	printf 'INFO started\nINFO request 1 ok\n' >"$DIAG_DIR/app.log"
}

diag() { run diagnose -f "$RB" "$@"; }

# no_secret DESC: the token is in neither stdout nor stderr.
no_secret() {
	expect_not_in "$T/out" "$SECRET" "$1: no secret on stdout"
	expect_not_in "$T/err" "$SECRET" "$1: no secret on stderr"
}

# no_secret_in DIR DESC: no file under DIR holds the token, in any byte.
no_secret_in() {
	if grep -rqaF -- "$SECRET" "$1"; then
		fail "$2: the secret is in $(grep -rlaF -- "$SECRET" "$1")"
	else pass; fi
}

bundle_count() {
	find "$XDG_STATE_HOME/triage/bundles" -mindepth 1 -maxdepth 1 \
		2>/dev/null | wc -l
}

# golden NAME DESC: $T/out, with the temp directory, the source tree and the
# bundle's time stamp normalised, is tests/cli/golden/diagnose-NAME.out.
golden() {
	sed -e "s|$T|/tmp/T|g" -e "s|$TRIAGE_SRC|SRC|g" \
		-e 's|diag-[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9.]*Z|diag-TIMESTAMP|g' \
		"$T/out" >"$T/normal"
	if [ -n "${TRIAGE_UPDATE_GOLDEN:-}" ]; then
		cp "$T/normal" "$GOLDEN/diagnose-$1.out"
	fi
	if diff -u "$GOLDEN/diagnose-$1.out" "$T/normal" >"$T/diff"; then
		pass
	else
		fail "$2: human output differs from golden/diagnose-$1.out"
		cat "$T/diff" >&2
	fi
}

# --- healthy: exit 0 ------------------------------------------------------
healthy
diag --json
expect_rc 0 "healthy exits 0"
expect_jq '.schema == 1 and .runbook == "diag" and .status == "healthy"' \
	"healthy: top level"
expect_jq '[.path[] | [.node, .answer]] == [["running", true], ["healthy", true]]' \
	"healthy: the path"
expect_jq '.path[0] | .ask == "Is the service running?" and .if == "running.ok" and .values == "true" and (has("why") | not)' \
	"healthy: a decided step"
expect_jq '.failures == [] and .possible == []' "healthy: nothing matched"
expect_jq '[.probes[].id] == ["running","health","version","errors","maint","queue"]' \
	"healthy: probes in runbook order"
expect_jq '[.probes[].state] | unique == ["ok"]' "healthy: every probe ok"
expect_jq '.probes[1] | .kind == "command" and .layer == "app" and .stdout == "ok" and has("latency_ms")' \
	"healthy: probes are check's results"
expect_jq '.escalation == {"contact": "#diag-oncall"}' \
	"healthy: contact, no bundle"
expect_jq 'keys == ["escalation","failures","path","possible","probes","runbook","schema","status"]' \
	"healthy: exactly the documented keys"
if [ -s "$T/err" ]; then fail "healthy --json: stderr not empty"; else pass; fi
expect_eq "$(bundle_count)" 0 "healthy: no bundle written"
diag
expect_rc 0 "healthy human exits 0"
expect_not_in "$T/out" $'\033[' "no colour when stdout is not a terminal"
golden healthy "healthy"
cp "$T/out" "$T/diagnose.out"
run -f "$RB"
expect_rc 0 "triage with no command: healthy"
expect_eq "$(cat "$T/out")" "$(cat "$T/diagnose.out")" \
	"triage with no command is diagnose"

# --- the service is down: exit 2, fix plan, possible ----------------------
healthy
rm "$DIAG_DIR/up"
diag --json
expect_rc 2 "a matched failure exits 2"
no_secret "service down --json"
expect_jq '.status == "failure"' "down: status"
expect_jq '.path == [{"node": "running", "ask": "Is the service running?", "if": "running.ok", "values": "false", "answer": false}]' \
	"down: the path ends at the else leaf"
expect_jq '[.failures[].id] == ["service-down"]' "down: the one match"
expect_jq '.failures[0] | .title == "The service is not running" and .layer == "app" and .symptom == "!running.ok" and .values == "false" and .reached == true and .proven == 1 and (.diagnosis | test("pid file"))' \
	"down: the match's fields"
expect_jq '.possible | length == 1 and .[0].id == "old-version" and .[0].missing == [{"probe": "version", "reason": "skipped: needs running"}]' \
	"down: possible, with what is missing"
expect_jq '[.probes[] | select(.state == "skipped") | .id] == ["health","version"]' \
	"down: the probes that need it are skipped"
expect_jq '.probes[0] | .id == "running" and .state == "critical" and .exists == false' \
	"down: probes as check shows them"
expect_jq '.failures[0].fix.guard == [{"if": "maint.ok", "holds": true}]' \
	"down: the guard holds now"
expect_jq ".failures[0].fix.steps[0] | .step == 1 and .command == \"env DIAG_TOKEN=*** touch $DIAG_DIR/up\" and .argv == [\"touch\", \"$DIAG_DIR/up\"] and .timeout == 5 and .dangerous == null and .host == null and .continue_on_error == false" \
	"down: step 1, its exact command line"
expect_jq '.failures[0].fix.steps[1] | .step == 2 and .command == "curl -fsS -H '"'"'Authorization: Bearer ***'"'"' http://127.0.0.1:9/warm" and .argv[3] == "Authorization: Bearer ***" and .timeout == 30 and .continue_on_error == true' \
	"down: step 2, redacted, continues on error, default timeout"
expect_jq ".failures[0].fix.on_failure == [{\"step\": 1, \"command\": \"tail -n 20 $DIAG_DIR/app.log\", \"argv\": [\"tail\", \"-n\", \"20\", \"$DIAG_DIR/app.log\"], \"host\": null, \"timeout\": 30, \"dangerous\": null, \"continue_on_error\": false}]" \
	"down: on_failure"
expect_jq '.failures[0].fix | .verify == ["running", "health"] and .verify_timeout == 10 and (.run | endswith("/good/diagnose.yaml service-down")) and (.run | startswith("triage fix -f "))' \
	"down: verify and the command that applies it"
expect_jq ".failures[0].evidence | length == 2 and .[0].kind == \"log\" and .[0].command == \"tail -n 5 $DIAG_DIR/app.log\" and (.[0].text | test(\"INFO request 1 ok\")) and .[1].stdout == \"auth: Bearer ***\" and .[1].command == \"echo 'auth: Bearer ***'\"" \
	"down: the top match's evidence, redacted"
expect_eq "$(bundle_count)" 0 "down: a match writes no bundle by default"
diag
expect_rc 2 "down human exits 2"
no_secret "service down"
expect_eq "$(head -1 "$T/out")" \
	"FAILURE  service-down: The service is not running  [app]" \
	"down: the answer first"
expect_in "$T/out" "  run:    triage fix -f $RB service-down --apply" "down: how to apply"
golden service-down "service down"

# The guard is shown as it is now.
echo maintenance >"$DIAG_DIR/health"
touch "$DIAG_DIR/maintenance.flag"
diag --json
expect_rc 2 "down with the flag exits 2"
expect_jq '[.failures[].id] == ["service-down"] and .failures[0].fix.guard == [{"if": "maint.ok", "holds": false}]' \
	"down with the flag: the guard does not hold"
expect_jq '[.possible[].id] == ["maintenance-left-on","old-version"] and .possible[0].missing == [{"probe": "health", "reason": "skipped: needs running"}]' \
	"down with the flag: the maintenance flag is possible, not proven"
diag
expect_in "$T/out" "  guard: maint.ok  (DOES NOT HOLD now)" "human: a guard that fails"

# --- maintenance flag: leaf order, dangerous step, runners-up -------------
healthy
touch "$DIAG_DIR/maintenance.flag"
echo maintenance >"$DIAG_DIR/health"
diag --json
expect_rc 2 "maintenance exits 2"
expect_jq '[.path[].answer] == [true, false]' "maintenance: the path"
# degraded comes first in the runbook and proves as much; the leaf lists
# maintenance-left-on first.
expect_jq '[.failures[] | [.id, .reached, .proven]] == [["maintenance-left-on", true, 2], ["degraded", true, 2]]' \
	"maintenance: leaf order beats runbook order"
expect_jq '.failures[0].fix.steps[0].dangerous == "removes the flag while a deploy may still be running"' \
	"maintenance: the dangerous step"
expect_jq '.failures[0].fix.guard == [{"if": "running.ok", "holds": true}] and .failures[0].fix.verify_timeout == 30' \
	"maintenance: guard and verify"
expect_jq '(.failures[0].evidence // []) == [] and (.failures[1] | has("evidence") | not)' \
	"maintenance: the top match has no evidence steps, so none"
diag
golden maintenance "maintenance"
expect_in "$T/out" "     DANGEROUS: removes the flag" "human: DANGEROUS"
expect_in "$T/out" "Also matching" "human: the runners-up"

# --- degraded --------------------------------------------------------------
healthy
echo degraded >"$DIAG_DIR/health"
diag --json
expect_rc 2 "degraded exits 2"
expect_jq '[.failures[].id] == ["degraded"] and .failures[0].evidence[0].stdout == "degraded"' \
	"degraded: first, with its evidence"
expect_jq ".failures[0].fix.steps[0].command == \"sh -c 'echo ok > $DIAG_DIR/health'\" and .failures[0].fix.steps[0].argv == null" \
	"degraded: a shell step's command line"

# --- errors in the log: matches outside the tree, specificity -------------
healthy
printf 'ERROR db timeout token=%s\n' "$SECRET" >>"$DIAG_DIR/app.log"
diag --json
expect_rc 2 "log errors exit 2"
no_secret "log errors"
expect_jq '[.path[].answer] == [true, true] and [.failures[] | [.id, .reached]] == [["log-errors", false]]' \
	"log errors: matched outside the tree"
expect_jq '.failures[0].evidence[0].text | test("ERROR db timeout token=\\*\\*\\*")' \
	"log errors: the log excerpt, redacted"

echo 'FATAL out of memory' >>"$DIAG_DIR/app.log"
diag --json
expect_rc 2 "crash loop exits 2"
expect_jq '[.failures[] | [.id, .proven]] == [["crash-loop", 3], ["log-errors", 2]]' \
	"crash loop: more terms proven beats runbook order"
expect_jq '(.failures[0].evidence | length) == 1 and (.failures[1] | has("evidence") | not)' \
	"--evidence top (the default): the top match only"
diag --json --evidence all
expect_rc 2 "--evidence all exits 2"
expect_jq '[.failures[].evidence | length] == [1, 1] and .failures[1].evidence[0].command == "tail -n 100 '"$DIAG_DIR"'/app.log"' \
	"--evidence all: every match"
no_secret "--evidence all"
diag --json --evidence none
expect_rc 2 "--evidence none exits 2"
expect_jq '[.failures[] | has("evidence")] == [false, false]' "--evidence none: none"
diag --evidence none
expect_not_in "$T/out" "Evidence" "human --evidence none: no evidence section"
diag --evidence top
expect_in "$T/out" "  \$ tail -n 20 $DIAG_DIR/app.log" "human: the evidence's command line"
expect_in "$T/out" "    | FATAL out of memory" "human: the evidence's excerpt"
diag --evidence bogus
expect_rc 3 "--evidence bogus is a usage error"
expect_in "$T/err" 'top, all or none' "--evidence bogus: says what it takes"
if [ -s "$T/out" ]; then fail "--evidence bogus: stdout not empty"; else pass; fi

# --- unmatched, critical: exit 1 and the bundle ---------------------------
healthy
echo 500 >"$DIAG_DIR/queue"
printf 'INFO token=%s\n' "$SECRET" >>"$DIAG_DIR/app.log"
diag --json
expect_rc 1 "unmatched exits 1"
no_secret "unmatched --json"
expect_jq '.status == "unmatched" and .failures == [] and .possible == []' \
	"unmatched: status"
expect_jq '.escalation.contact == "#diag-oncall"' "unmatched: the contact"
BUNDLE=$(jq -r '.escalation.bundle // empty' "$T/out")
case $BUNDLE in
"$XDG_STATE_HOME"/triage/bundles/diag-*) pass ;;
*) fail "unmatched: bundle \"$BUNDLE\" not under \$XDG_STATE_HOME/triage/bundles/diag-*" ;;
esac
expect_eq "$(bundle_count)" 1 "unmatched: one bundle"
if [ -n "$BUNDLE" ] && [ -d "$BUNDLE" ]; then
	expect_eq "$(cd "$BUNDLE" && find . -type f | sort | tr '\n' ' ')" \
		"./README.txt ./bring/01-command.json ./bring/01-command.txt ./bring/02-log.json ./bring/02-log.txt ./bring/03-command.json ./bring/03-command.txt ./diagnosis.json ./host.json ./probes.json ./runbook.sha256 ./runbook.yaml " \
		"unmatched: the bundle holds exactly the escalation items"
	expect_eq "$(stat -c %a "$BUNDLE")" 700 "unmatched: the bundle is private"
	no_secret_in "$BUNDLE" "unmatched: bundle"
	expect_in "$BUNDLE/bring/01-command.txt" "bring: token ***" "bundle: bring item 1 redacted"
	expect_in "$BUNDLE/bring/02-log.txt" "INFO token=***" "bundle: the log, redacted"
	expect_in "$BUNDLE/bring/03-command.txt" "500" "bundle: bring item 3"
	expect_in "$BUNDLE/README.txt" "#diag-oncall" "bundle: README names the contact"
	expect_eq "$(jq -r .status "$BUNDLE/diagnosis.json")" unmatched "bundle: diagnosis.json"
	expect_eq "$(jq -r '.[5].id' "$BUNDLE/probes.json")" queue "bundle: probes.json"
	expect_eq "$(cut -d' ' -f1 "$BUNDLE/runbook.sha256")" \
		"$(sha256sum "$RB" | cut -d' ' -f1)" "bundle: the runbook's hash"
	expect_eq "$(sha256sum <"$BUNDLE/runbook.yaml" | cut -d' ' -f1)" \
		"$(sha256sum "$RB" | cut -d' ' -f1)" "bundle: the runbook as run"
fi
no_secret_in "$XDG_STATE_HOME" "the bundle written by --json"
# A fresh state directory: the run above may have been in this very second
# (see the name clash below).
rm -rf "$XDG_STATE_HOME"
diag
expect_rc 1 "unmatched human exits 1"
no_secret "unmatched"
expect_in "$T/out" "Escalate to #diag-oncall, with the bundle:" "human: escalate with the bundle"
golden unmatched "unmatched"
no_secret_in "$XDG_STATE_HOME" "the bundle written by the human run"

# Two runs in the same second each get a bundle of their own. Taking the
# next few seconds' names first makes the clash certain.
rm -rf "$XDG_STATE_HOME"
mkdir -p "$XDG_STATE_HOME/triage/bundles"
now=$(date +%s)
for s in 0 1 2 3 4 5; do
	mkdir "$XDG_STATE_HOME/triage/bundles/diag-$(date -u -d "@$((now + s))" +%Y-%m-%dT%H.%M.%SZ)"
done
diag --json
expect_rc 1 "a bundle name already taken: still exits 1"
# The name is RUNBOOK-TIMESTAMP; a taken one gets -2, -3, ...
expect_jq '.escalation.bundle | test("-[0-9]+$")' "a bundle name already taken: the next free one is used"

# --- unmatched, a warning alone: exit 1, no bundle ------------------------
rm -rf "$XDG_STATE_HOME"
healthy
echo 70 >"$DIAG_DIR/queue"
diag --json
expect_rc 1 "a warning alone exits 1"
expect_jq '.status == "unmatched" and (.escalation | has("bundle") | not)' \
	"a warning alone: no bundle"
expect_jq '.probes[5].state == "warning"' "a warning alone: the warning"
expect_eq "$(bundle_count)" 0 "a warning alone: nothing under bundles/"
diag
expect_rc 1 "a warning alone, human, exits 1"
golden warning "warning"

# --- --bundle, whatever matched -------------------------------------------
healthy
rm "$DIAG_DIR/up"
diag --json --bundle "$T/b1"
expect_rc 2 "--bundle DIR keeps exit 2"
expect_jq ".escalation.bundle == \"$T/b1\"" "--bundle DIR: where it is"
expect_eq "$(jq -r .status "$T/b1/diagnosis.json" 2>/dev/null)" failure \
	"--bundle DIR: the diagnosis in it"
expect_eq "$(jq -r '.failures[0].id' "$T/b1/diagnosis.json" 2>/dev/null)" \
	service-down "--bundle DIR: the match in it"
expect_eq "$(find "$T/b1/bring" -type f | wc -l)" 6 "--bundle DIR: one pair per item"
no_secret_in "$T/b1" "--bundle DIR"
diag --bundle "$T/b2.tar.gz"
expect_rc 2 "--bundle FILE.tar.gz keeps exit 2"
expect_in "$T/out" "$T/b2.tar.gz" "human: where the tarball is"
expect_eq "$(tar -tzf "$T/b2.tar.gz" 2>/dev/null | grep -v '/$' | sed 's,^\./,,' | sort | tr '\n' ' ')" \
	"README.txt bring/01-command.json bring/01-command.txt bring/02-log.json bring/02-log.txt bring/03-command.json bring/03-command.txt diagnosis.json host.json probes.json runbook.sha256 runbook.yaml " \
	"--bundle FILE.tar.gz: its members"
mkdir -p "$T/unpacked"
tar -xzf "$T/b2.tar.gz" -C "$T/unpacked"
no_secret_in "$T/unpacked" "--bundle FILE.tar.gz"
expect_eq "$(ls "$T" | grep -c '^b2\.tar\.gz\.')" 0 "--bundle FILE.tar.gz: no staging left"
diag --json --bundle "$T/b1"
expect_rc 2 "--bundle to an existing directory: exit code unchanged"
expect_jq '(.escalation | has("bundle") | not) and (.escalation.bundle_error | test("exists already"))' \
	"--bundle to an existing directory: bundle_error"
expect_in "$T/err" "the escalation bundle: $T/b1 exists already" \
	"--bundle to an existing directory: said on stderr"
healthy
diag --json --bundle "$T/b3"
expect_rc 0 "--bundle when healthy exits 0"
expect_eq "$(jq -r .status "$T/b3/diagnosis.json" 2>/dev/null)" healthy \
	"--bundle when healthy: written anyway"

# --- --only ----------------------------------------------------------------
healthy
diag --json --only health
expect_rc 0 "--only health"
expect_jq '[.probes[].id] == ["running","health"]' "--only a probe brings its needs"
healthy
diag --json --only edge
expect_rc 0 "--only edge on a healthy stack"
expect_jq '[.probes[].id] == ["maint"]' "--only a layer"
expect_jq '.path | length == 1 and .[0].answer == null and (.[0].why | test("running")) and (.[0].why | test("not run"))' \
	"--only: the walk cannot tell what did not run"
healthy
rm "$DIAG_DIR/up"
diag --json --only app
expect_rc 2 "--only app: the failure"
expect_jq '[.failures[].id] == ["service-down"] and (.probes | map(.id) | index("maint") == null)' \
	"--only app: matched without the other layers"
diag --only nosuch
expect_rc 3 "--only an unknown name"
expect_in "$T/err" 'no layer or probe named "nosuch"' "--only unknown message"

# Secrets never show, even unset (the steps that use it are skipped).
healthy
rm "$DIAG_DIR/up"
DIAG_TOKEN= run diagnose -f "$RB" --json
expect_rc 2 "secret unset: still diagnosed"
expect_jq '.failures[0].evidence[1].state == "skipped"' "secret unset: its evidence is skipped"

# --- evidence: concurrent, under timeouts, capped --------------------------
MARK=triage-evidence-$$
cat >"$T/evidence.yaml" <<YAML
runbook: evidence
probes:
  down: { command: ["false"] }
failures:
  slow:
    title: Evidence that takes its time
    when: "!down.ok"
    evidence:
      - { command: [sleep, "1"], timeout: 3s }
      - { shell: "sleep 1; echo second", timeout: 3s }
      - { shell: "sleep 30; : $MARK", timeout: 1s }
      - { command: [seq, "1", "200000"] }
      - { shell: "echo partial; sleep 30; : $MARK", timeout: 1s }
YAML
start=$(date +%s%N)
run diagnose -f "$T/evidence.yaml" --json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 2 "evidence runbook exits 2"
# One after another it would take 3 s and more; together about 1 s.
[ "$ms" -lt 2800 ] && pass || fail "evidence took ${ms} ms: not run concurrently, or a timeout not enforced"
expect_jq '.failures[0].evidence | length == 5 and .[0].state == "ok" and .[1].stdout == "second"' \
	"evidence: every step ran"
expect_jq '.failures[0].evidence[2] | .ok == false and .reason == "timeout after 1s"' \
	"evidence: a step past its timeout is stopped"
expect_jq '.failures[0].evidence[3] | .truncated == true and (.stdout | length) <= 65536 and (.stdout | startswith("1\n2\n"))' \
	"evidence: output is capped"
expect_jq '.failures[0].evidence[4] | .reason == "timeout after 1s" and .stdout == "partial"' \
	"evidence: what a timed-out step printed is kept"
if pgrep -f "$MARK" >/dev/null; then
	fail "evidence: the timed-out step's process is still running"
else pass; fi
run diagnose -f "$T/evidence.yaml"
expect_in "$T/out" " earlier lines)" "human: a long excerpt says how many lines were cut"
# sleep prints nothing; then "second", 15 lines of seq and "partial".
expect_eq "$(grep -c '^    | ' "$T/out")" 17 \
	"human: the last 15 lines of a long output"
expect_in "$T/out" "    (timeout after 1s)" "human: a step that timed out says so"
# A step that printed something and then timed out says so too.
[ "$(grep -c '(timeout after 1s)' "$T/out")" -eq 2 ] && pass ||
	fail "every step that timed out says so"

# --- the proof line names only the probes the symptom reads ---------------
cat >"$T/proof.yaml" <<YAML
runbook: proof
probes:
  up: { layer: edge, command: ["false"] }
  app_up: { layer: app, command: ["false"] }
failures:
  app-down: { title: The app is down, when: "!app_up.ok" }
YAML
run diagnose -f "$T/proof.yaml"
expect_rc 2 "proof runbook exits 2"
expect_in "$T/out" "app_up: exit 1" "human: the proof"
# The proof names only the probes the symptom reads: not "up".
if grep -q "^  .*  up: exit 1" "$T/out"; then
	fail "the proof names probe up, which !app_up.ok does not read"
else pass; fi

finish
