#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# triage render: Markdown and HTML byte for byte against golden files, the
# formats and errors, no secret in any output, and every rendered page
# through real parsers (tests/tools/mermaid-check.sh: mermaid's own parser
# for the flowcharts, markdown-it and jsdom for tables and links).
# TRIAGE_UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change.
. "$(dirname "$0")/lib.sh"

GOLDEN=$TRIAGE_SRC/tests/cli/golden
CHECK=$TRIAGE_SRC/tests/tools/mermaid-check.sh
# A fixed "now" (2027-03-01, 98 days after the demo's last_verified) and
# fixed demo variables keep the pages stable.
export SOURCE_DATE_EPOCH=1803859200
demo_env=(DEMO_DIR=/srv/demo DEMO_APP_PORT=8081 DEMO_EDGE_PORT=8080)

# golden NAME ARGS...: renders from the source tree, compares with NAME.
golden() {
	local name=$1
	shift
	(cd "$TRIAGE_SRC" && env "${demo_env[@]}" "$TRIAGE" render "$@" \
		>"$T/$name" 2>"$T/err")
	RC=$?
	expect_rc 0 "render $*"
	[ -s "$T/err" ] && fail "render $* wrote to stderr: $(head -3 "$T/err")"
	[ -n "${TRIAGE_UPDATE_GOLDEN:-}" ] && cp "$T/$name" "$GOLDEN/$name"
	if diff -u "$GOLDEN/$name" "$T/$name" >"$T/diff"; then pass; else
		fail "render $* differs from tests/cli/golden/$name"
		head -60 "$T/diff" >&2
	fi
}

golden render-demo.md -f examples/demo.yaml
golden render-demo.html -f examples/demo.yaml --format html
golden render-builtin.md --builtin

# Markdown is the default; md is its short name; yaml is the runbook's text.
cd "$TRIAGE_SRC" || exit 1
for args in "" "--format markdown" "--format md"; do
	# shellcheck disable=SC2086
	env "${demo_env[@]}" "$TRIAGE" render -f examples/demo.yaml $args \
		>"$T/md" 2>/dev/null
	cmp -s "$T/md" "$T/render-demo.md" && pass ||
		fail "render $args is not the Markdown page"
done
run render -f examples/demo.yaml --format yaml
expect_rc 0 "render --format yaml"
cmp -s "$T/out" examples/demo.yaml && pass ||
	fail "render --format yaml is not the runbook's text"
run render -f examples/demo.yaml --format pdf
expect_rc 3 "render --format pdf"
expect_in "$T/err" 'unknown format "pdf" (formats: markdown, html, yaml)' \
	"unknown format message"
expect_eq "$(wc -c <"$T/out")" 0 "nothing on stdout for a bad format"
printf 'runbook: Bad\n' >"$T/bad.yaml"
run render -f "$T/bad.yaml"
expect_rc 3 "render a runbook that does not load"
expect_eq "$(wc -c <"$T/out")" 0 "nothing rendered from a bad runbook"

# Unset variables are named, not silently rendered as empty.
env -u DEMO_DIR -u DEMO_APP_PORT -u DEMO_EDGE_PORT "$TRIAGE" render \
	-f examples/demo.yaml >"$T/unset.md" 2>/dev/null
expect_in "$T/unset.md" 'rendered with `DEMO_DIR`, `DEMO_APP_PORT` and `DEMO_EDGE_PORT` unset' \
	"the page says which variables were unset"
# Staleness follows the clock: 2026-12-01 is 8 days after last_verified.
SOURCE_DATE_EPOCH=1764547200 env "${demo_env[@]}" "$TRIAGE" render \
	-f examples/demo.yaml >"$T/fresh.md"
expect_not_in "$T/fresh.md" "(stale:" "a fresh runbook is not stale"
expect_in "$T/render-demo.md" "**Last verified:** 2026-11-23 (stale: 98 days)" \
	"an old runbook is stale"

# Secrets: set in the environment, used everywhere, printed nowhere. In
# commands they are the variable, which the shell expands.
cat >"$T/secret.yaml" <<'EOF'
runbook: secret-demo
title: "Token {{env.RT_TOKEN}}"
secrets: [RT_TOKEN]
probes:
  api:
    description: "sends {{env.RT_TOKEN}}"
    http: "http://127.0.0.1:1/?token={{env.RT_TOKEN}}"
    headers: { Authorization: "Bearer {{env.RT_TOKEN}}" }
    expect: 'body_text != "{{env.RT_TOKEN}}"'
  who: { command: [echo, "{{env.RT_TOKEN}}"], layer: host }
  script: { shell: "echo {{env.RT_TOKEN}}\necho two", layer: host }
triage:
  start: q
  nodes:
    q: { ask: "Is {{env.RT_TOKEN}} accepted?", if: api.ok, then: [], else: [denied] }
failures:
  denied:
    title: "Denied with {{env.RT_TOKEN}}"
    when: "!api.ok"
    diagnosis: "the token {{env.RT_TOKEN}} is refused"
    evidence: [ { http: "http://127.0.0.1:1/whoami", headers: { X-Token: "{{env.RT_TOKEN}}" } } ]
    fix: [ { command: [rotate, "--old={{env.RT_TOKEN}}"], dangerous: "revokes {{env.RT_TOKEN}}" } ]
escalation:
  contact: "{{env.RT_TOKEN}}"
  bring: [ { shell: "echo '{{env.RT_TOKEN}}'" } ]
EOF
for fmt in markdown html yaml; do
	RT_TOKEN="v@lue'xyz-42" "$TRIAGE" render -f "$T/secret.yaml" \
		--format "$fmt" >"$T/rendered.$fmt" 2>"$T/err"
	RC=$?
	expect_rc 0 "render --format $fmt with a secret"
	for piece in "v@lue" "xyz-42" "lue&#39;xyz"; do
		expect_not_in "$T/rendered.$fmt" "$piece" "no secret in $fmt"
	done
	expect_not_in "$T/err" "v@lue" "no secret on stderr ($fmt)"
done
expect_in "$T/rendered.markdown" "-H 'Authorization: Bearer '\"\$RT_TOKEN\"" \
	"a secret in a command is written as \$RT_TOKEN"
expect_in "$T/rendered.markdown" "\`echo \"\$RT_TOKEN\"\`" "a secret argument is \$RT_TOKEN"
expect_in "$T/rendered.markdown" "Denied with \\*\\*\\*" "a secret in text is ***"
# The command still works: the shell puts the value back.
line=$(grep -o "echo \"\$RT_TOKEN\"" "$T/rendered.markdown" | head -1)
expect_eq "$(RT_TOKEN="v@lue'xyz-42" sh -c "$line")" "v@lue'xyz-42" \
	"the rendered command expands to the secret"

# Every flowchart parses with mermaid's own parser; every page's tables
# and links hold. The demo, each good runbook with a tree, the built-in
# page, and a runbook whose texts are full of mermaid and Markdown syntax.
cat >"$T/nasty.yaml" <<'EOF'
runbook: nasty
title: 'Nasty | `tick` *star* <b>tag</b> & [link](x) #1'
owner: "#ops | <team>"
probes:
  a-b: { layer: "edge & <core>", http: "http://127.0.0.1:1/up?x=1&y=2", description: "pipe | and `tick` and 1. list" }
  a_b: { layer: edge, tcp: "127.0.0.1:1" }
  end: { layer: host, command: [echo, "it's $HOME"], expect: 'stdout contains "|"' }
triage:
  start: end
  nodes:
    end:
      ask: 'Quotes "double" and ''single'', [x] (y) {z}, #hash; <lt> >gt & `tick` | pipe %% pct \ back #quot;'
      if: end.ok
      then: a-b
      else: [graph]
    a-b:
      ask: "subgraph end style class click; default -->|x| y"
      if: a-b.ok && a_b.ok
      then: []
      else: a_b
    a_b:
      if: 'a_b.state == "critical" || end.stdout contains "x<y>"'
      then: [graph, end-x]
failures:
  graph:
    title: 'Title "quoted" <tag> & #5; `x` | y'
    when: "!end.ok"
    diagnosis: "Line one\nLine | two\n- a list?\n# heading?"
    fix: [ { command: [sh, -c, "echo 'fix | it'"], dangerous: "wipes <everything> & more" } ]
  end-x: { when: a_b.ok }
EOF
pages=("$T/render-demo.md" "$T/render-demo.html")
i=0
for rb in "$DATA"/good/*.yaml "$T/nasty.yaml"; do
	grep -q '^triage:' "$rb" || continue
	# One that does not load is the loader's tests' business, not ours.
	if ! "$TRIAGE" render -f "$rb" --format yaml >/dev/null 2>&1; then
		echo "test-render: $(basename "$rb") does not load; not rendered" >&2
		continue
	fi
	i=$((i + 1))
	for fmt in md html; do
		run render -f "$rb" --format "$fmt"
		expect_rc 0 "render $(basename "$rb") --format $fmt"
		cp "$T/out" "$T/page$i.$fmt"
		pages+=("$T/page$i.$fmt")
	done
done
[ "$i" -ge 2 ] && pass || fail "expected good runbooks with a triage tree"
if [ -n "${TRIAGE_SKIP_MERMAID:-}" ]; then
	echo "test-render: TRIAGE_SKIP_MERMAID is set; mermaid not checked" >&2
else
	bash "$CHECK" "${pages[@]}" --no-diagram-ok "$T/render-builtin.md" \
		>"$T/check.out" 2>&1
	RC=$?
	expect_rc 0 "every rendered page passes mermaid-check"
	[ "$RC" -eq 0 ] || sed 's/^/  /' "$T/check.out" | head -40 >&2
	expect_eq "$(grep -c ': ok (flowchart-v2)$' "$T/check.out")" \
		"$((${#pages[@]}))" "one flowchart checked per page"
	# The check itself must fail on a broken flowchart and a broken table.
	printf 'flowchart TD\n    end{"x"} -->|yes| a["y"]\n' >"$T/broken.mmd"
	sed '0,/^| <a id="probe-edge_up">/s//| x | y | <a id="probe-edge_up">/' \
		"$T/render-demo.md" >"$T/broken.md"
	for f in "$T/broken.mmd" "$T/broken.md"; do
		bash "$CHECK" "$f" >"$T/check.out" 2>&1
		RC=$?
		expect_rc 1 "mermaid-check rejects $(basename "$f")"
	done
fi

finish
