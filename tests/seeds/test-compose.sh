#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seed suite for examples/compose.yaml (seed 001, a docker-compose app):
# a real PostgreSQL and a real Redis on loopback, the app's schema and data,
# and stand-ins for what cannot run here (docker compose, alembic, pyright:
# tests/seeds/standins/). The healthy stack must diagnose healthy; then each
# failure mode of the seed is injected one at a time, `triage diagnose
# --json` must rank it first, and where the runbook has a fix `triage fix
# --apply --yes` must resolve it (verify green, symptom gone).
# tests/seeds/README.md maps each row of the seed to its test here.
. "$TRIAGE_SRC/tests/cli/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/pg.sh"
. "$TRIAGE_SRC/tests/seeds/lib/redis.sh"
. "$TRIAGE_SRC/tests/seeds/lib/expect.sh"

RB=$TRIAGE_SRC/examples/compose.yaml
trap 'redis_stop; pg_stop; [ -n "${worker:-}" ] && kill "$worker" 2>/dev/null; COMPOSE_DIR=$T/app "$TRIAGE_SRC/tests/seeds/standins/docker" compose down >/dev/null 2>&1; cleanup' EXIT

pg_start || { fail "PostgreSQL did not start"; finish; exit 1; }
redis_start || { fail "Redis did not start"; finish; exit 1; }

export COMPOSE_DIR=$T/app COMPOSE_TENANT=demo
export COMPOSE_PG_PORT=$PG_PORT COMPOSE_PG_PASSWORD="pg-Secret-$$"
export COMPOSE_REDIS_PORT=$REDIS_PORT COMPOSE_REDIS_PASSWORD=$REDIS_PASSWORD
export COMPOSE_LIVEKIT_PORT=$(closed_port)
export COMPOSE_THREAD=01JTHREAD$$ COMPOSE_LAST_OUTPUT=$T/last-command.out
export PATH=$TRIAGE_SRC/tests/seeds/standins:$PATH
export TRIAGE_STORE=$T/triage.db XDG_STATE_HOME=$T/state

sql() { PGPASSWORD=$COMPOSE_PG_PASSWORD psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U ratiba ratiba -c "$1"; }
rcli() { redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning "$@" >/dev/null; }
now() { date -u +%FT%TZ; }
fsm() { rcli SET "ratiba:fsm:thread:$COMPOSE_THREAD" "{\"state\":\"$1\",\"updated_at\":\"$2\"}"; }

# --- the app: schema and healthy data --------------------------------------
psql -qX -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null <<SQL || fail "the app's database could not be created"
CREATE ROLE ratiba LOGIN PASSWORD '$COMPOSE_PG_PASSWORD';
CREATE DATABASE ratiba OWNER ratiba;
SQL
sql "
CREATE SCHEMA tenant_demo;
CREATE TABLE tenant_demo.staff (id serial PRIMARY KEY, name text);
CREATE TABLE tenant_demo.staff_schedules (staff_id int, day_of_week int, start_time time, end_time time);
CREATE TABLE tenant_demo.staff_blocks (staff_id int, starts_at timestamptz, ends_at timestamptz);
CREATE TABLE tenant_demo.payments (id serial PRIMARY KEY, state text, created_at timestamptz DEFAULT now());
CREATE TABLE tenant_demo.checkpoints (id bigserial PRIMARY KEY, created_at timestamptz DEFAULT now());
CREATE TABLE tenant_demo.knowledge_snippets (id serial PRIMARY KEY, category text, is_active bool DEFAULT true, created_at timestamptz DEFAULT now());
CREATE TABLE public.payment_routing (checkout_request_id text, created_at timestamptz DEFAULT now());
CREATE TABLE public.payment_callbacks_unrouted (thread text, created_at timestamptz DEFAULT now());
INSERT INTO tenant_demo.staff (name) VALUES ('Wanjiru');
INSERT INTO tenant_demo.staff_schedules SELECT 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO tenant_demo.payments (state) VALUES ('confirmed');
INSERT INTO tenant_demo.checkpoints (created_at) SELECT now() - interval '1 hour' FROM generate_series(1, 100);
INSERT INTO tenant_demo.knowledge_snippets (category) SELECT 'faq' FROM generate_series(1, 10);
" || fail "the app's schema could not be created"

mkdir -p "$COMPOSE_DIR"/{backend,frontend/.next,.standin/services,.standin/logs}
(
	cd "$COMPOSE_DIR" || exit 1
	printf 'services: {}\n' >docker-compose.yml
	printf '#!/bin/sh\necho "backend restarted"\n' >start-server.sh
	chmod +x start-server.sh
	printf '[alembic]\nscript_location = migrations\n' >backend/alembic.ini
	echo 4f2c1a9e0b7d >backend/.standin-heads
	echo "export default {}" >frontend/tailwind.config.ts
	touch -d '1 hour ago' frontend/tailwind.config.ts
	for s in postgres redis backend worker livekit frontend; do
		echo "running healthy" >".standin/services/$s"
	done
	git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm "the app"
) || fail "the app's checkout could not be made"
docker compose restart livekit
healthy_log() {
	for i in $(seq 30); do
		echo "{\"event\":\"http.request\",\"path\":\"/api/bookings\",\"status\":200,\"n\":$i}"
	done >"$COMPOSE_DIR/backend/.uvicorn.log"
}
healthy_log
: >"$COMPOSE_LAST_OUTPUT"
bash -c "exec -a 'arq worker app.worker.WorkerSettings $$' sleep 600" &
worker=$!
fsm CONFIRMED "$(now)"

# --- healthy ----------------------------------------------------------------
expect_healthy "the healthy stack"
run lint --strict --max-age 90d --now 2026-11-23 "$RB"
expect_rc 0 "lint --strict: every row's last_verified is within 90 days"
run lint --strict --max-age 1d --now 2026-11-23 "$RB"
expect_rc 1 "lint --max-age 1d: stale rows are findings"

# --- each row of the table, one at a time ------------------------------------
# Row 1: a service unhealthy or exited; restart it.
echo "running unhealthy" >"$COMPOSE_DIR/.standin/services/backend"
expect_first service-unhealthy "row 1: a service is unhealthy"
expect_fixed service-unhealthy "row 1"
expect_healthy "row 1: restarted"

# Row 1, Postgres: a port conflict on :5434 (another server answers there).
echo "running unhealthy" >"$COMPOSE_DIR/.standin/services/postgres"
start_httpd
COMPOSE_PG_PORT=${HTTPD#*:} expect_first postgres-port-conflict "row 1: a port conflict on Postgres's port"
echo "running healthy" >"$COMPOSE_DIR/.standin/services/postgres"

# Row 1, Postgres: volume corruption; down -v is dangerous, and guarded by
# Postgres not answering (the real one is running: point at a closed port).
echo "exited -" >"$COMPOSE_DIR/.standin/services/postgres"
echo "PANIC:  could not read block 0 in file \"base/16384/2619\"" >"$COMPOSE_DIR/.standin/logs/postgres.log"
run fix -f "$RB" postgres-volume-corrupt --apply --yes --allow-dangerous --confirm postgres-volume-corrupt
expect_rc 2 "row 1: the guard refuses down -v while Postgres answers"
expect_in "$T/out" 'the guard !pg.ok does not hold' "row 1: refused by the guard"
pg_real=$COMPOSE_PG_PORT
COMPOSE_PG_PORT=$(closed_port)
expect_first postgres-volume-corrupt "row 1: Postgres's volume is corrupt"
run fix -f "$RB" postgres-volume-corrupt --apply --yes
expect_rc 2 "row 1: down -v is refused without --allow-dangerous"
expect_fixed postgres-volume-corrupt "row 1: volume" --allow-dangerous --confirm postgres-volume-corrupt
[ -e "$COMPOSE_DIR/.standin/volumes-removed" ] && pass || fail "row 1: down -v did not run"
COMPOSE_PG_PORT=$pg_real
expect_healthy "row 1: volume recreated"

# Row 2: the WhatsApp webhook's signature check fails.
echo '{"event":"webhook.whatsapp","signature_valid=False":true,"msg":"webhook.whatsapp signature_valid=False"}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_first whatsapp-signature-invalid "row 2: webhook signature"
healthy_log

# Row 3: LiveKit down; restart it.
kill "$(cat "$COMPOSE_DIR/.standin/livekit.pid")"
echo "exited -" >"$COMPOSE_DIR/.standin/services/livekit"
expect_first livekit-sip-failing "row 3: LiveKit is down"
expect_fixed livekit-sip-failing "row 3"
expect_healthy "row 3: LiveKit restarted"
echo 'ICE failed: no STUN candidate' >"$COMPOSE_DIR/.standin/logs/livekit.log"
expect_first livekit-sip-failing "row 3: LiveKit's log shows ICE failures"
rm -f "$COMPOSE_DIR/.standin/logs/livekit.log"

# Row 4: an STK push with no callback: a payment stuck in 'initiated'.
sql "INSERT INTO tenant_demo.payments (state, created_at) VALUES ('initiated', now() - interval '10 minutes')"
expect_first stk-callback-missing "row 4: payment stuck in initiated"
expect_jq '.failures[0].evidence[0].rows[0].state == "initiated"' "row 4: the evidence shows the row"
sql "DELETE FROM tenant_demo.payments WHERE state = 'initiated'"

# Row 5: FSM stuck in COLLECT_SLOT: no staff schedules; insert them.
sql "DELETE FROM tenant_demo.staff_schedules"
expect_first fsm-stuck-collect-slot "row 5: no staff schedules"
expect_fixed fsm-stuck-collect-slot "row 5"
expect_eq "$(sql 'SELECT count(*) FROM tenant_demo.staff_schedules')" 5 "row 5: a schedule for each weekday"
expect_healthy "row 5: schedules inserted"

# Row 6: FSM stuck in GREET: the intent router has no route.
echo '{"event":"intent_router no_route intent=plumbing"}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_first fsm-no-route "row 6: no route for an intent"
healthy_log

# Row 7: payment stuck in PAYMENT_PENDING for over 60 s; run the reaper.
fsm PAYMENT_PENDING "$(date -u -d '5 minutes ago' +%FT%TZ)"
expect_first payment-stuck-pending "row 7: PAYMENT_PENDING for 5 minutes"
expect_fixed payment-stuck-pending "row 7"
expect_eq "$(sql 'SELECT count(*) FROM public.payment_callbacks_unrouted')" 1 "row 7: the reaper drained it"
fsm PAYMENT_PENDING "$(now)"
expect_healthy "row 7: a fresh PAYMENT_PENDING is not stuck"
fsm CONFIRMED "$(now)"

# Row 8: Daraja "request cancelled".
echo '{"event":"daraja.stk_push","errorCode":"500.002.1001","errorMessage":"request cancelled"}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_first stk-request-cancelled "row 8: request cancelled"
healthy_log

# Row 9: TTS latency above 2.5 s.
echo '{"event":"elevenlabs.synthesize duration_ms=3200"}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_first tts-latency-high "row 9: slow TTS"
healthy_log
echo '{"event":"elevenlabs.synthesize duration_ms=900"}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_healthy "row 9: a fast synthesis is no symptom"
healthy_log

# Row 10: backend OOM: checkpoints accumulate; the archival reaper.
sql "INSERT INTO tenant_demo.checkpoints (created_at) SELECT now() - interval '30 days' FROM generate_series(1, 1000000)"
expect_first backend-oom-checkpoints "row 10: a million checkpoints"
expect_fixed backend-oom-checkpoints "row 10"
expect_healthy "row 10: reaped"

# Row 11: knowledge_overflow: too many active snippets; deactivate five.
sql "INSERT INTO tenant_demo.knowledge_snippets (category, created_at) SELECT 'general', now() - (g || ' minutes')::interval FROM generate_series(1, 15) g"
echo '{"level":"warning","event":"knowledge_overflow","snippets":25}' >>"$COMPOSE_DIR/backend/.uvicorn.log"
expect_first knowledge-overflow "row 11: 25 active snippets"
healthy_log
expect_fixed knowledge-overflow "row 11"
expect_eq "$(sql 'SELECT count(*) FROM tenant_demo.knowledge_snippets WHERE is_active')" 20 "row 11: five deactivated"
expect_healthy "row 11: within the cap"

# Row 12: test pollution: leftover test tenant schemas; drop them.
sql "CREATE SCHEMA test_tenant_spa_01; CREATE TABLE test_tenant_spa_01.t (i int); CREATE SCHEMA test_tenant_spa_02"
expect_first test-schema-pollution "row 12: leftover test schemas"
expect_fixed test-schema-pollution "row 12"
expect_healthy "row 12: dropped"

# Row 13: two alembic heads.
printf '4f2c1a9e0b7d\n9a8b7c6d5e4f\n' >"$COMPOSE_DIR/backend/.standin-heads"
expect_first alembic-multiple-heads "row 13: two migration heads"
echo 4f2c1a9e0b7d >"$COMPOSE_DIR/backend/.standin-heads"

# --- the extras ---------------------------------------------------------------
(cd "$COMPOSE_DIR" && alembic heads) >"$COMPOSE_LAST_OUTPUT" 2>&1
expect_first alembic-wrong-cwd "extra: alembic from the repository root"
echo "ModuleNotFoundError: No module named 'app'" >"$COMPOSE_LAST_OUTPUT"
expect_first pytest-wrong-cwd "extra: pytest from the repository root"
: >"$COMPOSE_LAST_OUTPUT"
echo "3 errors, 0 warnings, 0 informations" >"$COMPOSE_DIR/.standin/pyright"
expect_first pyright-cli-errors "extra: the pyright CLI reports errors"
rm -f "$COMPOSE_DIR/.standin/pyright"
touch -d '2 hours ago' "$COMPOSE_DIR/frontend/.next"
touch "$COMPOSE_DIR/frontend/tailwind.config.ts"
expect_first tailwind-stale-classes "extra: .next older than tailwind.config.ts"
expect_fixed tailwind-stale-classes "extra: stale Tailwind"
expect_healthy "extra: the cache is gone"

# --- escalation: nothing matches; the bundle has what the seed asks for -------
redis_stop
expect_escalated
expect_in "$T/bring.txt" "app-postgres-1" "escalation: docker compose ps"
expect_in "$T/bring.txt" '"event":"http.request"' "escalation: the last 200 log lines"
expect_in "$T/bring.txt" "the app" "escalation: git log -10"
expect_in "$bundle/README.txt" "Adrian" "escalation: who to call"

finish
