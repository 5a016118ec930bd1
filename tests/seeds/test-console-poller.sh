#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seed suite for examples/console-poller.yaml (seed 004, the console
# status poller): one real nginx serves what the SaaS endpoints would (the
# console behind CF Access: /health, the tiles, the force-poll API; the
# direct .herokuapp.com URLs; the Heroku platform API; the Cloudflare Pages
# deployments API; vault's /api/status), from files the stand-ins write:
# tests/seeds/standins/console/heroku (the Heroku CLI) and console-poller
# (the console's poller thread, a real background process that polls on
# its interval or at once after a force-poll). The healthy stack must
# diagnose healthy; failure modes A-H, the force-poll and the emergency
# stop are injected one at a time, ranked first, and fixed where the seed
# gives a fix.
. "$TRIAGE_SRC/tests/cli/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/nginx.sh"
. "$TRIAGE_SRC/tests/seeds/lib/expect.sh"

RB=$TRIAGE_SRC/examples/console-poller.yaml
export CONSOLE_STANDIN=$T/console
C=$CONSOLE_STANDIN
poller_stop() { seeds_stop_pid "$(cat "$C/poller.pid" 2>/dev/null)"; rm -f "$C/poller.pid"; }
trap 'poller_stop; nginx_stop; cleanup' EXIT
export PATH=$TRIAGE_SRC/tests/seeds/standins/console:$PATH

# --- the state: registry, config, dynos, Pages -----------------------------------
mkdir -p "$C"/{config/raxx-console-prod,up,crashed,pages,flags,logs,www/dynos,www/pages}
printf '%s\n' "heroku api-prod raxx-api-prod" "heroku console-prod raxx-console-prod" \
	"heroku api-staging raxx-api-staging" "heroku console-staging raxx-console-staging" \
	"pages getraxx" "vault vault" >"$C/registry"
touch "$C"/up/raxx-{api-prod,console-prod,api-staging,console-staging}
echo success >"$C/pages/getraxx"
export CF_ACCESS_CLIENT_ID="cf-id-$$.access" CF_ACCESS_CLIENT_SECRET="cf-secret-$RANDOM$RANDOM"
export HEROKU_API_KEY="hk-$RANDOM$RANDOM" CLOUDFLARE_PAGES_READ_TOKEN="cfp-$RANDOM$RANDOM"
export CLOUDFLARE_ACCOUNT_ID=0a1b2c3d4e5f CONSOLE_SESSION="sess-$RANDOM$RANDOM" PAGES_PROJECT=getraxx
cfg() { printf '%s' "$2" >"$C/config/raxx-console-prod/$1"; }
cfg CF_ACCESS_SERVICE_TOKEN_CONSOLE "$CF_ACCESS_CLIENT_ID:$CF_ACCESS_CLIENT_SECRET"
cfg CLOUDFLARE_PAGES_READ_TOKEN "$CLOUDFLARE_PAGES_READ_TOKEN"
cfg CLOUDFLARE_ACCOUNT_ID "$CLOUDFLARE_ACCOUNT_ID"
console-poller render
chmod -R a+rwX "$T"

# --- nginx: the console, Heroku (direct URLs, platform API), CF Pages, vault -----
P_CONSOLE=$(free_port) P_DIRECT=$(free_port) P_HEROKU=$(free_port)
P_CF=$(free_port) P_VAULT=$(free_port)
nginx_body=$(cat <<CONF
	map_hash_bucket_size 128;
	map \$http_cf_access_client_id \$cf_id { "$CF_ACCESS_CLIENT_ID" 1; default 0; }
	map \$http_cf_access_client_secret \$cf_secret { "$CF_ACCESS_CLIENT_SECRET" 1; default 0; }
	map \$http_authorization \$heroku_auth { "Bearer $HEROKU_API_KEY" 1; default 0; }
	map \$http_authorization \$pages_auth { "Bearer $CLOUDFLARE_PAGES_READ_TOKEN" 1; default 0; }
	map \$cookie_session \$ops { "$CONSOLE_SESSION" 1; default 0; }
	# console.raxx.app, behind CF Access.
	server {
		listen 127.0.0.1:$P_CONSOLE;
		access_log $C/console-access.log;
		set \$access "\$cf_id\$cf_secret";
		location = /health {
			if (\$access != 11) { return 302 https://raxx.cloudflareaccess.com/cdn-cgi/access/login/console.raxx.app; }
			default_type application/json;
			alias $C/www/health.json;
		}
		location = /dashboard/api/surfaces {
			if (\$access != 11) { return 302 https://raxx.cloudflareaccess.com/cdn-cgi/access/login/console.raxx.app; }
			default_type application/json;
			alias $C/www/surfaces.json;
		}
		location = /dashboard/_force_poll {
			if (\$access != 11) { return 302 https://raxx.cloudflareaccess.com/cdn-cgi/access/login/console.raxx.app; }
			if (\$ops = 0) { return 403 '{"error":"ops+ role required"}'; }
			if (\$request_method != POST) { return 405; }
			return 202 '{"status":"queued"}';
		}
	}
	# <app>-<hash>.herokuapp.com, by path: /api/health, /console/health.
	server {
		listen 127.0.0.1:$P_DIRECT;
		location = /api/health {
			if (-f $C/crashed/raxx-api-prod) { return 502; }
			if (!-f $C/up/raxx-api-prod) { return 503 "Application error (H14 no web processes running)"; }
			return 200 '{"status":"ok"}';
		}
		location = /console/health { return 200 '{"status":"ok"}'; }
	}
	# api.heroku.com
	server {
		listen 127.0.0.1:$P_HEROKU;
		location ~ ^/apps/([a-z0-9-]+)/dynos\$ {
			if (\$heroku_auth = 0) { return 401 '{"id":"unauthorized","message":"Invalid credentials provided."}'; }
			default_type application/json;
			alias $C/www/dynos/\$1.json;
		}
	}
	# api.cloudflare.com/client/v4
	server {
		listen 127.0.0.1:$P_CF;
		location ~ ^/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/pages/projects/([a-z0-9-]+)/deployments\$ {
			if (\$pages_auth = 0) { return 403 '{"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}'; }
			if (!-f $C/www/pages/\$1.json) { return 404 '{"success":false,"errors":[{"code":8000007,"message":"Project not found."}]}'; }
			default_type application/json;
			alias $C/www/pages/\$1.json;
		}
	}
	# vault.raxx.app, behind CF Access.
	server {
		listen 127.0.0.1:$P_VAULT;
		location = /api/status {
			if (\$access_v != 11) { return 302 https://raxx.cloudflareaccess.com/cdn-cgi/access/login/vault.raxx.app; }
			if (-f $C/flags/vault-down) { return 502; }
			return 200 '{"date":"2026-11-23","message":"Ok"}';
		}
		set \$access_v "\$cf_id\$cf_secret";
	}
CONF
)
nginx_start "$nginx_body" || { fail "nginx did not start"; finish; exit 1; }
export CONSOLE_URL=http://127.0.0.1:$P_CONSOLE
export CONSOLE_HEROKU_URL=http://127.0.0.1:$P_DIRECT/console API_HEROKU_URL=http://127.0.0.1:$P_DIRECT/api
export HEROKU_API_URL=http://127.0.0.1:$P_HEROKU CF_API_URL=http://127.0.0.1:$P_CF/client/v4
export VAULT_URL=http://127.0.0.1:$P_VAULT
export TRIAGE_STORE=$T/triage.db XDG_STATE_HOME=$T/state
export CONSOLE_POLL_INTERVAL=600	# polls on start and when forced, not on its own meanwhile

heroku restart --app raxx-console-prod >/dev/null
poll() { console-poller poll; }

# --- healthy -----------------------------------------------------------------------
expect_healthy "the healthy console"
run lint --strict "$RB"
expect_rc 0 "lint --strict: clean"

# --- A: the probe uses public_url (CF Access redirect) --------------------------------
touch "$C/flags/public-url"; poll
expect_first cf-access-gated-heroku-surfaces "A: every CF-Access-gated Heroku surface DEGRADED"
rm -f "$C/flags/public-url"; poll

# --- B: CF_ACCESS_SERVICE_TOKEN_CONSOLE unset on the console app ------------------------
heroku config:unset CF_ACCESS_SERVICE_TOKEN_CONSOLE --app raxx-console-prod >/dev/null
expect_first console-token-unset "B: skipped: CF_ACCESS_SERVICE_TOKEN_CONSOLE unset"
expect_fixed console-token-unset "B"
expect_eq "$(cat "$C/config/raxx-console-prod/CF_ACCESS_SERVICE_TOKEN_CONSOLE")" "$CF_ACCESS_CLIENT_ID:$CF_ACCESS_CLIENT_SECRET" "B: client_id:client_secret set"

# --- C: CLOUDFLARE_PAGES_READ_TOKEN unset on the console app -----------------------------
heroku config:unset CLOUDFLARE_PAGES_READ_TOKEN --app raxx-console-prod >/dev/null
expect_first pages-token-unset "C: skipped: CLOUDFLARE_PAGES_READ_TOKEN unset"
expect_fixed pages-token-unset "C"
# Without the token here, triage's own Pages probe says what the tile says.
CLOUDFLARE_PAGES_READ_TOKEN= run check --json -f "$RB" --only pages
expect_jq '.probes[0].reason == "skipped: CLOUDFLARE_PAGES_READ_TOKEN unset"' "C: the same reason code from triage"

# --- D: the latest Pages deployment failed / is building -----------------------------------
echo failure >"$C/pages/getraxx"; poll
expect_first pages-deploy-failed "D: deploy_failure"
echo active >"$C/pages/getraxx"; poll
expect_first pages-deploy-failed "D: deploy_building"

# --- force-poll: the deployment succeeded, the tile still says building --------------------
echo success >"$C/pages/getraxx"; console-poller render
expect_first tiles-outdated "force-poll: a tile outdated"
expect_fixed tiles-outdated "force-poll"
expect_in "$C/logs/raxx-console-prod" "force-poll requested" "force-poll: the poller polled at once"
expect_healthy "force-poll: tiles fresh"

# --- E: raxx-api-prod has no web dyno / crashed -------------------------------------------
rm -f "$C/up/raxx-api-prod"; touch "$C/crashed/raxx-api-prod"; console-poller render; poll
expect_first heroku-dyno-down "E: health_http_502"
# The tile turns OK on the poller's next poll (every ~30 s; 1 s here).
CONSOLE_POLL_INTERVAL=1 heroku restart --app raxx-console-prod >/dev/null
expect_fixed heroku-dyno-down "E"
heroku restart --app raxx-console-prod >/dev/null
rm -f "$C/up/raxx-api-prod"; poll
expect_first heroku-dyno-down "E: health_no_response (0 dynos)"
heroku ps:scale web=1 --app raxx-api-prod >/dev/null; poll

# --- F: a registry entry for a project that does not exist ------------------------------------
mv "$C/pages/getraxx" "$T/getraxx"; console-poller render; poll
expect_first pages-project-missing "F: http_404 on every poll"
mv "$T/getraxx" "$C/pages/getraxx"; poll

# --- G: the poller thread stalled ---------------------------------------------------------------
poller_stop
printf '{"status":"ok","poller_last_poll_at":"%s"}\n' "$(date -u -d '5 minutes ago' +%FT%TZ)" >"$C/www/health.json"
expect_first poller-stalled "G: poller_last_poll_at 5 minutes old"
expect_fixed poller-stalled "G"
expect_healthy "G: restarted"

# --- H: vault unreachable -------------------------------------------------------------------------
touch "$C/flags/vault-down"; poll
expect_first vault-degraded "H: connection_error"
rm -f "$C/flags/vault-down"; poll

# --- the emergency stop: the poller raises a non-probe exception ------------------------------------
printf '%s app[web.1]: Traceback (most recent call last):\n%s app[web.1]: sqlite3.DatabaseError: database disk image is malformed (StatusPoller)\n' \
	"$(date -u +%FT%TZ)" "$(date -u +%FT%TZ)" >>"$C/logs/raxx-console-prod"
expect_first poller-exception "stop: the poller crashes"
run fix -f "$RB" poller-exception --apply --yes
expect_rc 2 "stop: refused without --allow-dangerous"
expect_fixed poller-exception "stop" --allow-dangerous --confirm poller-exception
[ -f "$C/poller.pid" ] && fail "stop: the poller still runs" || pass
expect_in "$C/logs/raxx-console-prod" "start_background_poller not started" "stop: TESTING=true keeps it off"
heroku config:unset TESTING --app raxx-console-prod >/dev/null
expect_healthy "stop: re-enabled"

# --- escalation ----------------------------------------------------------------------------------------
expect_not_in "$TRIAGE_STORE" "$HEROKU_API_KEY" "no secret in the store"
finish
