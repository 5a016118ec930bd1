#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seed suite for examples/kamal.yaml (seed 000, a Kamal-deployed Rails
# app): the box is a real OpenSSH server on loopback (dallas and chicago
# both), with the box's tools on its PATH as stand-ins (docker, systemctl,
# journalctl, sudo, iptables: tests/seeds/standins/box/); a real
# PostgreSQL holds the app's databases (matviews, the partitioned versions
# table, ICU collations); a real HAProxy is the write-VIP in front of it;
# a real nginx is kamal-proxy on the box, the Cloudflare edge (tunnel and
# Access) and Google's OAuth endpoint; the web container's Puma is the
# test HTTP server. kamal, mise, bundle, op and tailscale are stand-ins
# (tests/seeds/standins/). The healthy stack must diagnose healthy; then
# each failure mode of the seed is injected one at a time, `triage
# diagnose --json` must rank it first, and where the runbook has a fix
# `triage fix --apply --yes` must resolve it (verify green, symptom gone).
# tests/seeds/README.md maps each section of the seed to its test here.
. "$TRIAGE_SRC/tests/cli/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/pg.sh"
. "$TRIAGE_SRC/tests/seeds/lib/sshd.sh"
. "$TRIAGE_SRC/tests/seeds/lib/nginx.sh"
. "$TRIAGE_SRC/tests/seeds/lib/expect.sh"

RB=$TRIAGE_SRC/examples/kamal.yaml
command -v haproxy >/dev/null || seeds_apt_install test-kamal.sh haproxy ||
	{ fail "HAProxy is not installed and cannot be"; finish; exit 1; }

BOX=$T/box
stop_pidfile() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; }
stack_stop() {
	stop_pidfile "$BOX/app.pid"
	stop_pidfile "$BOX/sidekiq.pid"
	stop_pidfile "$T/haproxy.pid"
	nginx_stop
	sshd_stop
	pg_stop
}
trap 'stack_stop; cleanup' EXIT

# --- the box's state and tools -----------------------------------------------
mkdir -p "$BOX"/{containers,units,journal,iptables,logs,app,assets,bin}
cp "$TRIAGE_SRC"/tests/seeds/standins/box/* "$BOX/bin/"
chmod -R a+rwX "$BOX"
export KAMAL_STANDIN_BOX=$BOX
SSHD_SETENV="PATH=$BOX/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin KAMAL_STANDIN_BOX=$BOX"
sshd_start || { fail "sshd did not start"; finish; exit 1; }
pg_start || { fail "PostgreSQL did not start"; finish; exit 1; }

ver=3f9c2a1
echo "$ver" >"$BOX/version"
closed_port >"$BOX/app.port"
up() { for c in "$@"; do echo "Up 2 hours" >"$BOX/containers/heatwave-$c"; done; }
up postgres valkey_cache valkey_sessions valkey_queue mailpit
web_log() {
	for i in $(seq 20); do
		echo "I, [$(date -u +%FT%T)] INFO -- : Completed 200 OK in 12ms (request $i)"
	done >"$BOX/logs/web.log"
}
web_log
echo "LOG:  database system is ready to accept connections" >"$BOX/logs/postgres.log"
printf 'Chain DOCKER-USER (1 references)\ntarget     prot opt source               destination\nRETURN     all  --  100.64.0.0/10        0.0.0.0/0\nDROP       tcp  --  0.0.0.0/0            0.0.0.0/0            multiport dports 80,443\n' \
	>"$BOX/iptables/DOCKER-USER"
chown 1001:1001 "$BOX/assets" 2>/dev/null || fail "cannot chown the asset volume (not root?)"
chmod -R a+rwX "$BOX"

# --- the databases -----------------------------------------------------------
export KAMAL_DB_PASSWORD="deploy-Pw-$$"
year=$(date -u +%Y)
psql -qX -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null <<SQL || fail "the app's databases could not be created"
CREATE ROLE deploy LOGIN PASSWORD '$KAMAL_DB_PASSWORD';
CREATE DATABASE heatwave OWNER deploy TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8';
CREATE DATABASE heatwave_versions OWNER deploy TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8';
SQL
hw() { PGPASSWORD=$KAMAL_DB_PASSWORD psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U deploy "${2:-heatwave}" -c "$1" 2>/dev/null; }
hw "
CREATE TABLE quote_items (id serial PRIMARY KEY, sku text, kind text);
INSERT INTO quote_items (sku, kind) SELECT 'TRT-' || g, CASE WHEN g % 2 = 0 THEN 'control' ELSE 'element' END FROM generate_series(1, 40) g;
CREATE MATERIALIZED VIEW view_quote_bom_items AS SELECT id, sku, kind FROM quote_items;
CREATE TABLE sales (id serial PRIMARY KEY, amount numeric, at timestamptz DEFAULT now());
INSERT INTO sales (amount) SELECT g * 10 FROM generate_series(1, 30) g;
CREATE MATERIALIZED VIEW view_sales_facts AS SELECT date_trunc('day', at) AS day, sum(amount) AS total FROM sales GROUP BY 1;
CREATE MATERIALIZED VIEW view_opportunities_facts AS SELECT count(*) AS n FROM sales HAVING count(*) > 0;
" || fail "the heatwave schema could not be created"
hw "
CREATE TABLE versions (id bigserial, item_type text, event text, created_at timestamptz NOT NULL DEFAULT now()) PARTITION BY RANGE (created_at);
CREATE TABLE versions_$year PARTITION OF versions FOR VALUES FROM ('$year-01-01') TO ('$((year + 1))-01-01');
CREATE TABLE versions_default PARTITION OF versions DEFAULT;
" heatwave_versions || fail "the versions schema could not be created"

# --- HAProxy: the write-VIP in front of Postgres -------------------------------
VIP_PORT=$(closed_port)
STATS_PORT=$(closed_port)
haproxy_start() {	# BACKEND_PORT
	stop_pidfile "$T/haproxy.pid"
	cat >"$T/haproxy.cfg" <<CFG
global
	maxconn 100
defaults
	mode tcp
	timeout connect 1s
	timeout client 30s
	timeout server 30s
frontend pg_write
	bind 127.0.0.1:$VIP_PORT
	default_backend pg_write
backend pg_write
	server primary 127.0.0.1:$1 check inter 300ms fall 1 rise 1
listen stats
	mode http
	bind 127.0.0.1:$STATS_PORT
	stats enable
	stats uri /
CFG
	haproxy -D -p "$T/haproxy.pid" -f "$T/haproxy.cfg" || { fail "haproxy did not start"; return 1; }
	# until the first health check has run
	for _ in $(seq 50); do
		curl -s "http://127.0.0.1:$STATS_PORT/;csv" | grep -q '^pg_write,BACKEND,.*,\(UP\|DOWN\),' && return 0
		sleep 0.1
	done
}
haproxy_start "$PG_PORT"

# --- nginx: kamal-proxy on the box, the Cloudflare edge, Google's OAuth --------
PROXY_PORT=$(closed_port)
EDGE_PORT=$(closed_port)
GOOGLE_PORT=$(closed_port)
export CF_ACCESS_CLIENT_ID="cf-id-$$.access" CF_ACCESS_CLIENT_SECRET="cf-secret-$RANDOM$RANDOM"
export KAMAL_OAUTH_CLIENT_ID=114261933316-b7694test.apps.googleusercontent.com
oauth_uris() { printf '"%s" 1;\n' "$@" >"$T/redirect_uris"; }
oauth_uris https://crm.warmlyyours.ws/accounts/auth/google_oauth2/callback https://crm.warmlyyours.com/accounts/auth/google_oauth2/callback
nginx_body=$(cat <<CONF
	map_hash_bucket_size 128;
	map \$http_cf_access_client_id \$cf_id { "$CF_ACCESS_CLIENT_ID" 1; default 0; }
	map \$http_cf_access_client_secret \$cf_secret { "$CF_ACCESS_CLIENT_SECRET" 1; default 0; }
	map \$arg_redirect_uri \$redirect_ok { include $T/redirect_uris; default 0; }
	# kamal-proxy on the box, in front of the web container's Puma.
	server {
		listen 127.0.0.1:$PROXY_PORT;
		location = /up {
			# config.hosts / force_ssl rejecting the health probe
			if (-f $BOX/app/hosts-blocked) { return 403 "Blocked host: www.warmlyyours.ws\n"; }
			proxy_pass http://127.0.0.1:$(cat "$BOX/app.port");
			proxy_connect_timeout 1s;
		}
		location / {
			proxy_pass http://127.0.0.1:$(cat "$BOX/app.port");
			proxy_connect_timeout 1s;
		}
	}
	# Cloudflare: Access in front, then the tunnel to the box.
	server {
		listen 127.0.0.1:$EDGE_PORT;
		location / {
			set \$deny "";
			if (\$cf_id = 0) { set \$deny 1; }
			if (\$cf_secret = 0) { set \$deny 1; }
			if (-f $BOX/access-deny) { set \$deny 1; }
			if (\$deny) { return 302 https://warmlyyours.cloudflareaccess.com/cdn-cgi/access/login/www.warmlyyours.ws?redirect_url=\$uri; }
			if (!-f $BOX/units/cloudflared.active) { return 530 "error code: 1033\n"; }
			proxy_pass http://127.0.0.1:$PROXY_PORT;
			proxy_set_header Host www.warmlyyours.ws;
			proxy_set_header X-Forwarded-Proto https;
		}
	}
	# accounts.google.com's authorization endpoint.
	server {
		listen 127.0.0.1:$GOOGLE_PORT;
		location = /o/oauth2/v2/auth {
			if (\$redirect_ok = 0) { return 400 "Error 400: redirect_uri_mismatch\n"; }
			return 302 https://accounts.google.com/v3/signin/identifier;
		}
	}
CONF
)
nginx_start "$nginx_body" || { fail "nginx did not start"; finish; exit 1; }

# --- the app checkout ------------------------------------------------------------
export KAMAL_DIR=$T/heatwave
mkdir -p "$KAMAL_DIR"/{config/environments,.kamal,log,db}
(
	cd "$KAMAL_DIR" || exit 1
	printf 'log/\n.kamal/secrets*\n' >.gitignore
	printf 'service: heatwave\nimage: warmlyyours/heatwave\ndeploy_timeout: 90\n' >config/deploy.yml
	printf 'Rails.application.configure do\n  config.force_ssl = true\n  config.ssl_options = { redirect: { exclude: ->(r) { r.path == "/up" } } }\n  config.host_authorization = { exclude: ->(r) { r.path == "/up" } }\nend\n' \
		>config/environments/staging.rb
	printf 'FROM ruby:3.3-slim\nRUN apt-get install -y --no-install-recommends libpq5 libvips42\nUSER 1001\n' >Dockerfile
	printf '.git\nlog/*\ntmp/*\n' >.dockerignore
	echo "-- structure" >db/structure.sql
	printf 'staging=7f1e0c-master-key\nBUNDLE_GEMS__CONTRIBSYS__COM=cafebabe:deadbeef\nKAMAL_REGISTRY_PASSWORD=ghp_x\n' >.kamal/secrets.staging
	git init -q -b master && git add -A && git -c user.name=t -c user.email=t@t commit -qm "heatwave"
	git clone -q --bare . "$T/origin.git" && git remote add origin "$T/origin.git" &&
		git fetch -q origin && git branch -q -u origin/master
) || fail "the app checkout could not be made"
deploy_ok() {
	printf '  INFO [7e2f1a0c] Running docker buildx build ...\n  webpack 5.94.0 compiled successfully in 9412 ms\n  INFO Container is healthy!\nFinished all in 184.2 seconds\n' \
		>"$KAMAL_DIR/log/deploy.log"
}
deploy_ok

# --- the environment the runbook reads ---------------------------------------------
export KAMAL_DESTINATION=staging
export KAMAL_BOX=$SSH_TARGET KAMAL_STANDBY=$SSH_TARGET KAMAL_SSH_PORT=$SSHD_PORT
export KAMAL_SSH_KEY=$SSH_KEY KAMAL_KNOWN_HOSTS=$SSH_KNOWN_HOSTS
export KAMAL_PUBLIC_URL=http://127.0.0.1:$EDGE_PORT
export KAMAL_PROXY=http://127.0.0.1:$PROXY_PORT
export KAMAL_DB=127.0.0.1:$PG_PORT KAMAL_DB_BOX_PORT=$PG_PORT
export KAMAL_VIP=127.0.0.1:$VIP_PORT
export KAMAL_HAPROXY_STATS=http://127.0.0.1:$STATS_PORT
export KAMAL_ASSET_PATH=$BOX/assets
export KAMAL_GOOGLE_AUTH=http://127.0.0.1:$GOOGLE_PORT/o/oauth2/v2/auth
start_httpd
export KAMAL_MAILPIT_URL=http://$HTTPD/up
unset KAMAL_REPORTED_URL
export PATH=$TRIAGE_SRC/tests/seeds/standins:$PATH
export TRIAGE_STORE=$T/triage.db XDG_STATE_HOME=$T/state

kamal() { (cd "$KAMAL_DIR" && mise exec -- bundle exec kamal "$@" -d staging) >/dev/null; }
box_run() { sshd_ssh "$@" >/dev/null 2>&1; }

# The box's services: cloudflared, the app (web + Sidekiq).
box_run sudo -n systemctl start cloudflared
kamal app boot

# --- healthy ---------------------------------------------------------------------
expect_healthy "the healthy stack"
run lint --strict "$RB"
expect_rc 0 "lint --strict: clean"

# --- edge / ingress --------------------------------------------------------------
# A URL with :3000 in it: the public URL answers, the reported one does not.
KAMAL_REPORTED_URL=http://127.0.0.1:$(closed_port)/en-US expect_first port-in-url "edge: :3000 in the URL"

# Tunnel down: cloudflared stopped on the box; the edge answers 530.
box_run sudo -n systemctl stop cloudflared
expect_first tunnel-down "edge: the tunnel is down"
expect_jq '[.failures[0].evidence[].stdout // ""] | join("\n") | test("inactive")' "edge: the evidence shows systemctl status"
expect_fixed tunnel-down "edge: tunnel"
expect_healthy "edge: cloudflared restarted"

# Stuck at the Cloudflare Access login: the policy no longer lets the
# service token through.
touch "$BOX/access-deny"
expect_first access-denied "edge: Access login loop"
rm -f "$BOX/access-deny"

# Edge up but app down: the web container exited; the box's /up is 502.
stop_pidfile "$BOX/app.pid"
echo "Exited (1) 1 minute ago" >"$BOX/containers/heatwave-web-$ver"
expect_first edge-up-app-down "edge: edge up, app down"
expect_jq '.path | map(.node) | index("running") != null' "edge: the walk went through \"app/proxy down\""
kamal app boot --roles=web

# Google login blocked: the CRM's callback is not an authorized redirect URI.
oauth_uris https://crm.warmlyyours.com/accounts/auth/google_oauth2/callback
nginx_reload
expect_first oauth-redirect-mismatch "edge: redirect_uri_mismatch"
oauth_uris https://crm.warmlyyours.ws/accounts/auth/google_oauth2/callback
nginx_reload
expect_healthy "edge: callback authorized again"

# --- deploy / boot -----------------------------------------------------------------
# 1Password: the CLI cannot reach the desktop app.
touch "$BOX/op-broken"
expect_first onepassword-cli "deploy: op vault list fails"
echo "ERROR: op read op://IT/Sidekiq-Pro/credential: couldn't connect to the 1Password desktop app" >"$KAMAL_DIR/log/deploy.log"
expect_first onepassword-cli "deploy: bin/deploy stopped at the op gate"
rm -f "$BOX/op-broken"
deploy_ok

# The clean-tree gate: an uncommitted change.
echo "# wip" >>"$KAMAL_DIR/config/deploy.yml"
echo "ERROR: Working tree is not clean - commit and push, or use --allow-dirty / --in-worktree" >"$KAMAL_DIR/log/deploy.log"
expect_first dirty-tree "deploy: working tree not clean"
(cd "$KAMAL_DIR" && git checkout -q config/deploy.yml)
deploy_ok

# The build-failure table, row by row.
build_fails() {	# ID LINE
	printf '  INFO [7e2f1a0c] Running docker buildx build ...\n%s\n' "$2" >"$KAMAL_DIR/log/deploy.log"
	expect_first "$1" "build: $1"
	deploy_ok
}
build_fails sidekiq-pro-401 "#14 12.1 Bad username or password for https://cafebabe@gems.contribsys.com/. (401)"
build_fails registry-401 "ERROR: failed to push ghcr.io/warmlyyours/heatwave:$ver: unexpected status from POST request to https://ghcr.io/v2/warmlyyours/heatwave/blobs/uploads/: 401 Unauthorized"
build_fails structure-sql-ignored "#19 4.2 db/structure.sql doesn't exist yet. Run \`bin/rails db:migrate\` to create it, then try again."
build_fails cli-missing-in-image "  ERROR heatwave-web-$ver: sh: 1: vips: not found"
build_fails webpack-full-rebuild "#22 311.4 webpack 5.94.0 compiled successfully in 284113 ms"

# /up returns 403: host allow-listing or force_ssl rejects the probe.
touch "$BOX/app/hosts-blocked"
expect_first up-forbidden "boot: /up is 403"
rm -f "$BOX/app/hosts-blocked"

# Boot is just slow: the healthcheck gave up, the database is fine.
healthcheck_timeout() {
	printf '  INFO [1c0ffee1] Running docker container ls ...\nERROR (SSHKit::Command::Failed): docker stderr: Error: target failed to become healthy within configured timeout (90s)\n' \
		>"$KAMAL_DIR/log/deploy.log"
}
healthcheck_timeout
expect_first slow-boot "boot: slow boot vs deploy_timeout"

# DB unreachable at boot: HAProxy has no healthy backend.
haproxy_start "$(closed_port)"
expect_first db-unreachable-at-boot "boot: the HAProxy backend is down"
expect_jq '.failures | map(.id) | index("slow-boot") == null' "boot: not called a slow boot"
haproxy_start "$PG_PORT"
deploy_ok
expect_healthy "boot: HAProxy back"

# Crash-loop after a reboot: the accessories are not up, web restarts.
for c in postgres valkey_cache valkey_sessions valkey_queue; do
	echo "Exited (255) 3 minutes ago" >"$BOX/containers/heatwave-$c"
done
kamal app boot --roles=web
expect_eq "$(cat "$BOX/containers/heatwave-web-$ver")" "Restarting (1) 1 second ago" "reboot: web crash-loops without Postgres"
expect_first crash-loop-after-reboot "reboot: app crash-loops"
run fix -f "$RB" crash-loop-after-reboot
expect_in "$T/out" "kamal accessory boot postgres -d staging" "reboot: the plan boots the accessories"
expect_in "$T/out" "kamal app boot -d staging" "reboot: then the app"
expect_fixed crash-loop-after-reboot "reboot"
expect_healthy "reboot: accessories first, then the app"

# Sidekiq left quieted (pre-deploy's TSTP, never resumed).
(cd "$KAMAL_DIR" && mise exec -- bundle exec kamal app exec -d staging --roles=sidekiq --reuse 'kill -TSTP 1') >/dev/null
expect_first sidekiq-quieted "sidekiq: stuck quieted"
expect_fixed sidekiq-quieted "sidekiq"
expect_healthy "sidekiq: booted again"

# --- database ---------------------------------------------------------------------
# A restore: matviews refreshed on empty tables, then the data loaded.
restore_without_refresh() {	# TABLE MATVIEW
	hw "CREATE TEMP TABLE keep AS SELECT * FROM $1; TRUNCATE $1; REFRESH MATERIALIZED VIEW $2; INSERT INTO $1 SELECT * FROM keep;"
}
restore_without_refresh quote_items view_quote_bom_items
expect_first bom-matview-empty "db: the BOM matview is empty after a restore"
expect_fixed bom-matview-empty "db: BOM"
expect_eq "$(hw 'SELECT count(*) FROM view_quote_bom_items')" 40 "db: the BOM matview has its rows"

# versions: no partition for this year, no default.
hw "DROP TABLE versions_$year; DROP TABLE versions_default;" heatwave_versions
if PGPASSWORD=$KAMAL_DB_PASSWORD psql -qAtX -h 127.0.0.1 -p "$PG_PORT" -U deploy heatwave_versions \
	-c "INSERT INTO versions (item_type, event) VALUES ('Quote', 'create')" 2>"$T/insert.err"; then
	fail "db: a write to versions succeeded without partitions"
else
	expect_in "$T/insert.err" "no partition of relation \"versions\" found for row" "db: a write 500s as in the seed"
fi
expect_first versions-partition-missing "db: versions partitions missing"
expect_fixed versions-partition-missing "db: versions"
expect_eq "$(hw "INSERT INTO versions (item_type, event) VALUES ('Quote', 'create') RETURNING tableoid::regclass" heatwave_versions)" "versions_$year" "db: a write lands in this year's partition"

# Analytics dashboards empty after a restore.
restore_without_refresh sales view_sales_facts
hw "REFRESH MATERIALIZED VIEW view_opportunities_facts WITH NO DATA"
expect_first analytics-matviews-empty "db: analytics matviews empty"
expect_jq '.probes[] | select(.id == "analytics") | .rows[0].names == "view_opportunities_facts, view_sales_facts"' "db: the probe names the empty ones"
expect_fixed analytics-matviews-empty "db: analytics"

# Collation version mismatch (the volume was initialized under another image).
psql -qAtX "$PG_URL" -c "UPDATE pg_database SET datcollversion = '153.14' WHERE datname = 'heatwave'" >/dev/null
expect_first collation-mismatch "db: collation version mismatch"
run fix -f "$RB" collation-mismatch --apply --yes
expect_rc 2 "db: the refresh is refused without --allow-dangerous"
expect_fixed collation-mismatch "db: collation" --allow-dangerous --confirm collation-mismatch
expect_healthy "db: all repaired"

# --- app runtime ---------------------------------------------------------------------
chown 1002:1002 "$BOX/assets"
expect_first asset-uid-drift "runtime: the asset volume is not uid 1001"
chown 1001:1001 "$BOX/assets"
echo "E, [$(date -u +%FT%T)] ERROR -- : DELETE_MAPS failed: EACCES: permission denied, unlink '/rails/public/packs/js/application.js.map'" >>"$BOX/logs/web.log"
expect_first asset-uid-drift "runtime: EACCES in the app log"
web_log

sed -i '/^staging=/d' "$KAMAL_DIR/.kamal/secrets.staging"
expect_first missing-key-error "runtime: no staging secret"
expect_jq '.failures[0].evidence[0].stdout | test("BUNDLE_GEMS__CONTRIBSYS__COM=\\(set\\)") and (test("cafebabe") | not)' "runtime: the evidence shows names, not values"
echo "staging=7f1e0c-master-key" >>"$KAMAL_DIR/.kamal/secrets.staging"
echo "E, [$(date -u +%FT%T)] ERROR -- : Heatwave::Configuration::MissingKeyError: ENV['staging']" >>"$BOX/logs/web.log"
expect_first missing-key-error "runtime: MissingKeyError in the app log"
web_log

echo "E, [$(date -u +%FT%T)] ERROR -- : Gemini::Error: 400 Bad Request (empty body) [AppSignal #3808]" >>"$BOX/logs/web.log"
expect_first sunny-ai-400 "runtime: AI 400s are not this runbook"
web_log

# --- network / access ----------------------------------------------------------------
touch "$BOX/tailscale-stopped"
KAMAL_SSH_PORT=$(closed_port) expect_first off-tailnet "network: not on the tailnet"
rm -f "$BOX/tailscale-stopped"
KAMAL_SSH_PORT=$(closed_port) expect_first ssh-not-on-tailnet "network: SSH refused"
expect_jq '.probes[] | select(.id == "box") | .reason == "ssh: connection refused"' "network: the reason is ssh's"

KAMAL_DB=127.0.0.1:$(closed_port) expect_first psql-mailpit-unreachable "network: psql bound to the box's 127.0.0.1"
KAMAL_MAILPIT_URL=http://127.0.0.1:$(closed_port)/ expect_first psql-mailpit-unreachable "network: mailpit unreachable"

mv "$BOX/iptables/DOCKER-USER" "$T/docker-user"
expect_first docker-user-chain "network: DOCKER-USER not loaded"
mv "$T/docker-user" "$BOX/iptables/DOCKER-USER"
expect_healthy "network: all repaired"

# --- escalation: nothing matches; the bundle has the four log layers ---------------
stop_pidfile "$T/haproxy.pid"
expect_escalated
expect_in "$T/bring.txt" "Completed 200 OK" "escalation: kamal app logs"
expect_in "$T/bring.txt" "ready to accept connections" "escalation: the postgres accessory's logs"
expect_in "$T/bring.txt" "Registered tunnel connection" "escalation: journalctl -u cloudflared"
expect_in "$T/bring.txt" "heatwave-web-$ver" "escalation: docker ps on the box"
expect_in "$bundle/README.txt" "AppSignal" "escalation: where the fourth layer is"
expect_not_in "$T/bring.txt" "$KAMAL_DB_PASSWORD" "escalation: no secret in the bundle"

finish
