#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The sql probe kind end to end against a real PostgreSQL on loopback
# (tests/seeds/lib/pg.sh): the result fields in check --json, a failure
# whose `when` reads rows[0].n, read-only probes and evidence, a fix that
# writes, the password rule (exit 3 at FILE:LINE:COL) and a secret password
# that never shows.
. "$(dirname "$0")/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/pg.sh"
# PostgreSQL missing is a failure, not a skip: CI installs it.
if ! pg_start; then
	fail "cannot start PostgreSQL (scripts/deps.sh installs it)"
	finish
	exit 1
fi
trap 'pg_stop; cleanup' EXIT
export TRIAGE_STORE="$T/triage.db"
export PGPASS_SECRET=$PG_PASSWORD

pg_psql <<'SQL'
CREATE TABLE quote_bom_items (id int PRIMARY KEY, part text);
CREATE VIEW view_quote_bom_items AS SELECT * FROM quote_bom_items;
CREATE TABLE audit (msg text);
INSERT INTO quote_bom_items VALUES (1, 'frame'), (2, 'panel');
SQL

URL="postgres://postgres:{{env.PGPASS_SECRET}}@127.0.0.1:$PG_PORT/postgres"
cat >"$T/sql.yaml" <<YAML
runbook: cli-sql
secrets: [PGPASS_SECRET]
probes:
  pg: { layer: db, tcp: "127.0.0.1:$PG_PORT" }
  bom_rows:
    layer: db
    needs: [pg]
    sql: "$URL"
    query: SELECT count(*) AS n FROM view_quote_bom_items
    expect: rows[0].n > 0
  parts:
    layer: db
    sql: "$URL"
    query: SELECT id, part FROM quote_bom_items WHERE id <= \$1 ORDER BY id
    params: [5]
    max_rows: 1
failures:
  matview-empty:
    title: The BOM view is empty
    layer: db
    when: pg.ok && bom_rows.rows[0].n == 0
    diagnosis: The quote BOM items were deleted or never loaded.
    evidence:
      - { sql: "$URL", query: "INSERT INTO audit VALUES ('evidence wrote')" }
      - { sql: "$URL", query: "SELECT count(*) AS audit_rows FROM audit" }
    fix:
      - { sql: "$URL", query: "INSERT INTO quote_bom_items VALUES (3, 'restored')" }
      - { sql: "$URL", query: "INSERT INTO audit VALUES ('fix wrote')" }
    verify: [bom_rows]
    verify_timeout: 5s
YAML

# Healthy: the fields, exactly.
run check -f "$T/sql.yaml" --json
expect_rc 0 "check of a healthy database"
expect_jq '.probes[1] | keys == ["checked_at","id","kind","latency","latency_ms","layer","ok","reason","rowcount","rows","state","truncated"]' \
	"an sql probe's fields, exactly"
expect_jq '.probes[1] | .kind == "sql" and .ok and .state == "ok" and .rows == [{"n": 2}] and .rowcount == 1 and .truncated == false' \
	"bom_rows: count(*) as an integer"
expect_jq '.probes[2] | .ok and .rows == [{"id": 1, "part": "frame"}] and .rowcount == 1 and .truncated == true' \
	"parts: params bound, max_rows cuts and says so"
expect_not_in "$T/out" "$PG_PASSWORD" "the password in check --json"
run check -f "$T/sql.yaml"
expect_rc 0 "human check"
expect_in "$T/out" "rows[0].n > 0 (2)" "the human table shows the value read"
expect_not_in "$T/out" "$PG_PASSWORD" "the password in human check"

run diagnose -f "$T/sql.yaml" --json
expect_rc 0 "diagnose of a healthy database"
expect_jq '.status == "healthy" and .failures == []' "healthy: no failure"

# The fault: the view is empty. The failure whose `when` reads rows[0].n
# ranks first; its evidence is read-only (the INSERT is refused, nothing
# is written).
pg_psql -c 'DELETE FROM quote_bom_items'
run check -f "$T/sql.yaml" --json
expect_rc 2 "check of an empty view"
expect_jq '.probes[1] | .state == "critical" and .rows == [{"n": 0}] and .reason == "expected rows[0].n > 0, got 0"' \
	"bom_rows: critical with the value read"
run diagnose -f "$T/sql.yaml" --json
expect_rc 2 "diagnose of an empty view"
expect_jq '.status == "failure" and .failures[0].id == "matview-empty"' \
	"matview-empty ranks first"
expect_jq '.failures[0].evidence[0].reason == "read-only: cannot execute INSERT in a read-only transaction"' \
	"evidence is read-only"
expect_jq '.failures[0].evidence[1].rows == [{"audit_rows": 0}]' \
	"evidence reads"
expect_eq "$(pg_psql -c 'SELECT count(*) FROM audit')" 0 \
	"the evidence wrote nothing"
run diagnose -f "$T/sql.yaml"
expect_rc 2 "human diagnose of an empty view"
expect_in "$T/out" '{"audit_rows":0}' "human evidence shows the rows read"
expect_in "$T/out" "(read-only: cannot execute INSERT in a read-only transaction)" \
	"human evidence shows the refused write"
for f in "$T/out" "$T/err"; do
	expect_not_in "$f" "$PG_PASSWORD" "the password in diagnose"
done

# The fix may write: its steps commit, and the verify probe sees it.
run fix -f "$T/sql.yaml" matview-empty --apply --yes --json
expect_rc 0 "the fix applies and verifies"
expect_jq '.applied == true and .verify.ok == true' "applied and verified"
expect_jq '.steps[1].rowcount == 1 and .steps[1].rows == [] and .steps[1].kind == null' \
	"a step's record carries what the sql kind read"
expect_eq "$(pg_psql -c "SELECT part FROM quote_bom_items")" restored \
	"the fix step's INSERT is committed"
expect_eq "$(pg_psql -c "SELECT msg FROM audit")" "fix wrote" \
	"the second step ran too"
for f in "$T/out" "$T/err"; do
	expect_not_in "$f" "$PG_PASSWORD" "the password in fix"
done

# Errors as reasons an operator reads.
cat >"$T/errors.yaml" <<YAML
runbook: cli-sql-errors
secrets: [PGPASS_SECRET, PGPASS_WRONG]
probes:
  refused: { sql: "postgres://postgres@127.0.0.1:$(closed_port)/postgres", query: SELECT 1 }
  badpw: { sql: "postgres://postgres:{{env.PGPASS_WRONG}}@127.0.0.1:$PG_PORT/postgres", query: SELECT 1 }
  nodb: { sql: "postgres://postgres:{{env.PGPASS_SECRET}}@127.0.0.1:$PG_PORT/nope", query: SELECT 1 }
  norel: { sql: "$URL", query: SELECT * FROM v }
  write: { sql: "$URL", query: "DELETE FROM audit" }
  slow: { sql: "$URL", query: "SELECT pg_sleep(20)", timeout: 1s }
  unset: { sql: "postgres://postgres:{{env.PGPASS_UNSET}}@127.0.0.1:$PG_PORT/postgres", query: SELECT 1 }
YAML
PGPASS_WRONG=wrong-Password-9 PGPASS_UNSET= run check -f "$T/errors.yaml" --json
expect_rc 2 "check with errors"
expect_jq '[.probes[] | .reason] == ["connection_refused", "authentication failed for user \"postgres\"", "database \"nope\" does not exist", "sql: ERROR: relation \"v\" does not exist", "read-only: cannot execute DELETE in a read-only transaction", "timeout after 1s", "skipped: PGPASS_UNSET unset"]' \
	"the reasons"
expect_jq '.probes[0] | has("rows") | not' "no rows when nothing ran"
expect_not_in "$T/out" "wrong-Password-9" "a wrong secret password is redacted too"
expect_eq "$(pg_psql -c 'SELECT count(*) FROM audit')" 1 \
	"the probe's DELETE was refused"

# The password rule: a literal password does not load (exit 3, at the
# value), whatever the environment; nothing runs.
cat >"$T/literal.yaml" <<YAML
runbook: cli-sql-literal
probes:
  ok: { file: /etc/hostname }
  bom_rows:
    layer: db
    sql: "postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
    query: SELECT 1
YAML
for cmd in check lint render; do
	run "$cmd" -f "$T/literal.yaml"
	expect_rc 3 "$cmd of a literal password"
	# lint reports on stdout, the others on stderr.
	cat "$T/out" "$T/err" >"$T/all"
	expect_in "$T/all" "$T/literal.yaml:6:10: error: probe \"bom_rows\": a password is written in the connection URL" \
		"$cmd: the literal password's FILE:LINE:COL"
	expect_in "$T/all" "{{env.NAME}}" "$cmd: the hint"
done
cat >"$T/literal2.yaml" <<YAML
runbook: cli-sql-literal2
probes:
  kv: { sql: "host=127.0.0.1 user=postgres password=hunter2", query: SELECT 1 }
YAML
run check -f "$T/literal2.yaml"
expect_rc 3 "a password= in a key=value string"
expect_in "$T/err" "literal2.yaml:3:14: error:" "its position"

# render shows the psql command with the secret as "$NAME", never its
# value.
run render -f "$T/sql.yaml"
expect_rc 0 "render"
expect_in "$T/out" "psql postgres://postgres:\"\$PGPASS_SECRET\"@127.0.0.1:$PG_PORT/postgres -c 'SELECT count(*) AS n FROM view_quote_bom_items'" \
	"render: the psql command"
expect_not_in "$T/out" "$PG_PASSWORD" "the password in render"

finish
