#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seed suite for examples/maand.yaml (seed 002, debugging maand
# deployments): the worker is a real OpenSSH server on loopback (its
# /opt/worker/<bucket_id> a directory of the test's, its PATH a directory
# of links the test can take rsync out of); the job "api" is a real nginx
# serving TLS with a certificate the bucket's CA signs (openssl); maand
# itself is a stand-in (tests/seeds/standins/maand) working on a real
# bucket directory, which rsyncs to and runs on the worker over the real
# SSH. The healthy bucket must diagnose healthy; then each failure mode of
# the seed is injected one at a time, `triage diagnose --json` must rank it
# first, and where the runbook has a fix `triage fix --apply --yes` must
# resolve it (verify green, symptom gone).
# tests/seeds/README.md maps each section of the seed to its test here.
. "$TRIAGE_SRC/tests/cli/lib.sh"
. "$TRIAGE_SRC/tests/seeds/lib/sshd.sh"
. "$TRIAGE_SRC/tests/seeds/lib/nginx.sh"
. "$TRIAGE_SRC/tests/seeds/lib/expect.sh"

RB=$TRIAGE_SRC/examples/maand.yaml
command -v rsync >/dev/null || seeds_apt_install test-maand.sh rsync ||
	{ fail "rsync is not installed and cannot be"; finish; exit 1; }
trap 'nginx_stop; sshd_stop; cleanup' EXIT

B=$T/bucket
BUCKET_ID=b-7f3a
WD=$T/worker/opt/worker/$BUCKET_ID
FLAGS=$T/flags
WB=$T/worker-bin
mkdir -p "$B"/{workspace/jobs/db,workspace/jobs/api/bin,data,secrets,logs,tmp,.standin/kv,.standin/built,.standin/fail,.standin/lifecycle} "$WD/jobs" "$FLAGS" "$WB"
# The worker's PATH: every program of /usr/bin, so one can be taken away.
ln -s /usr/bin/* /usr/sbin/* "$WB/" 2>/dev/null
chmod -R a+rwX "$T/worker" "$FLAGS"
SSHD_SETENV="PATH=$WB"
sshd_start || { fail "sshd did not start"; finish; exit 1; }
OTHER_KEY=$T/other_key
ssh-keygen -q -t ed25519 -N '' -C not-authorized -f "$OTHER_KEY" >/dev/null

# --- the bucket ----------------------------------------------------------------
TLS_PORT=$(closed_port)
worker_access() {	# after (re)starting sshd: the bucket's key and the worker's port
	cp "$SSH_KEY" "$B/secrets/worker.key"
	chmod 600 "$B/secrets/worker.key"
	cat >"$B/maand.conf" <<CONF
bucket_id = $BUCKET_ID
ssh_user = $SSH_USER
use_sudo = false
ssh_port = $SSHD_PORT
known_hosts = $SSH_KNOWN_HOSTS
standin_worker_dir = $WD
CONF
	export MAAND_WORKER=$SSH_TARGET MAAND_SSH_PORT=$SSHD_PORT MAAND_KNOWN_HOSTS=$SSH_KNOWN_HOSTS
}
worker_access
echo '[{"host": "127.0.0.1", "labels": ["db", "api"]}]' >"$B/workers.json"
echo '{"jobs": {}}' >"$B/disabled.json"
api_manifest() {	# PORT
	cat >"$B/workspace/jobs/api/manifest.json" <<JSON
{"selectors": ["api"], "version": "1.0", "cert_cn": "api.bucket.test",
 "ports": {"https": $1},
 "health_check": {"path": "/health", "command": "sh bin/health.sh"},
 "template_keys": ["mykey"],
 "commands": {"hook_migrate": {"executed_on": ["pre_deploy"]}, "hook_kv": {"executed_on": ["post_build"]}}}
JSON
}
api_manifest "$TLS_PORT"
printf '#!/bin/sh\n[ ! -e %s/health-broken ] || { echo "health: db connection check failed" >&2; exit 1; }\n' "$FLAGS" >"$B/workspace/jobs/api/bin/health.sh"
printf 'restart:\n\t@echo restart\n' >"$B/workspace/jobs/api/Makefile"
echo "mykey=hello" >"$B/workspace/jobs/api/_kv"
echo 1.0 >"$B/workspace/jobs/api/version"
echo '{"selectors": ["db"], "commands": {"hook_migrate": {"executed_on": ["pre_deploy"]}}}' >"$B/workspace/jobs/db/manifest.json"
printf 'restart:\n\t@echo restart\n' >"$B/workspace/jobs/db/Makefile"
echo 1.0 >"$B/workspace/jobs/db/version"
S=$B/.standin
echo 1 >"$S/update_seq"
printf 'db 0\napi 1\n' >"$S/jobs"
printf 'db\t127.0.0.1\tnew\t-\t1.0\t-\napi\t127.0.0.1\tnew\t-\t1.0\t-\n' >"$S/alloc"
: >"$S/kv/db"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=bucket-ca \
	-keyout "$B/secrets/ca.key" -out "$B/secrets/ca.crt" 2>/dev/null || fail "the CA could not be made"
cp "$B/secrets/ca.crt" "$T/ca.good"
touch -d '1 minute ago' "$B"/workspace/jobs/*/* "$B"/workspace/jobs/*/bin/*

export PATH=$TRIAGE_SRC/tests/seeds/standins:$PATH
export TRIAGE_STORE=$T/triage.db XDG_STATE_HOME=$T/state
export MAAND_BUCKET=$B MAAND_JOB=api MAAND_WORKER_DIR=$WD MAAND_TLS_ENDPOINT=127.0.0.1:$TLS_PORT
unset MAAND_SKIPPED_JOB
m() { (cd "$B" && maand "$@") >>"$T/maand.out" 2>&1; }
alloc() {	# JOB FIELD VALUE: edit the catalog (3 rollout, 5 new_version, 6 post_deploy_status)
	awk -v j="$1" -v f="$2" -v v="$3" 'BEGIN{OFS="\t"} $1==j {$f=v} {print}' "$S/alloc" >"$S/alloc.new" && mv "$S/alloc.new" "$S/alloc"
}

# The first build (the leaf certificate), the worker's copy, then nginx
# (the api job: TLS with the worker's certificate, /health 503 while
# starting), then the first deploy.
m build || fail "the first maand build failed"
mkdir -p "$WD/jobs/api/certs" && cp "$B/data/certs/api.crt" "$B/data/certs/api.key" "$WD/jobs/api/certs/"
chmod -R a+rwX "$T/worker"
chown -R "$SSH_USER" "$T/worker"
nginx_body=$(cat <<CONF
	server {
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $WD/jobs/api/certs/api.crt;
		ssl_certificate_key $WD/jobs/api/certs/api.key;
		location = /health {
			if (-f $FLAGS/starting) { return 503 "starting\n"; }
			return 200 "ok\n";
		}
	}
CONF
)
nginx_start "$nginx_body" || { fail "nginx did not start"; finish; exit 1; }
# the api job's lifecycle on the worker (make restart): nginx re-reads its certificate
printf '#!/bin/sh\nnginx -q -p %s -c %s/nginx.conf -s reload && sleep 0.3\n' "$NGINX_DIR" "$NGINX_DIR" >"$S/lifecycle/api"
chmod +x "$S/lifecycle/api"
m deploy || { fail "the first maand deploy failed"; tail -20 "$T/maand.out" >&2; }

# --- healthy ---------------------------------------------------------------------
expect_healthy "the healthy bucket"
run lint --strict "$RB"
expect_rc 0 "lint --strict: clean"

# --- deploy: skip job "..." ----------------------------------------------------------
MAAND_SKIPPED_JOB=api expect_first skip-expected "skip: no workspace change since the last deploy"

echo "# tuned" >>"$B/workspace/jobs/api/Makefile"
m deploy
expect_first build-not-run "skip: edited the workspace but only ran deploy"
expect_jq '[.failures[0].evidence[].stdout // ""] | join("\n") | test("jobs/api/Makefile")' "skip: the evidence names the edited file"
expect_fixed build-not-run "skip: build then deploy"

# Version bump without content change: new_version set, still promoted.
echo 1.1 >"$B/workspace/jobs/api/version"
touch "$B/data/maand.db"
alloc api 5 1.1
expect_first version-not-rolled "skip: version bump, current_version != new_version"
expect_fixed version-not-rolled "skip: version rolled"
expect_eq "$(awk '$1=="api" {print $4}' "$S/alloc")" 1.1 "skip: current_version is 1.1"

# --- rollout states ---------------------------------------------------------------
alloc api 3 restart
expect_first rollout-pending "rollout: restart pending"
expect_fixed rollout-pending "rollout: deploy"

alloc api 3 health_failed
expect_first health-failed-state "rollout: legacy health_failed"
expect_fixed health-failed-state "rollout: deploy --force"

printf 'legacy\t127.0.0.1\tremoved\t1.0\t1.0\tsuccess\n' >>"$S/alloc"
mkdir -p "$WD/jobs/legacy/data" && chown -R "$SSH_USER" "$WD/jobs/legacy"
expect_first removed-not-gc "gc: a removed allocation"
expect_fixed removed-not-gc "gc: build, deploy, gc"
[ -e "$WD/jobs/legacy" ] && fail "gc: the worker's jobs/legacy tree is still there" || pass

# --- job not in deploy wave --------------------------------------------------------
alloc api 3 restart
m deploy --jobs db
expect_first job-filtered-out "wave: deploy --jobs db omits api"
expect_fixed job-filtered-out "wave: deploy --jobs api"

cp "$S/alloc" "$T/alloc.good"
awk '$1 != "api"' "$T/alloc.good" >"$S/alloc"
expect_first no-matching-workers "wave: no allocation rows for api"
cp "$T/alloc.good" "$S/alloc"

alloc db 3 restart; alloc api 3 restart
echo "hook_migrate: psql: connection refused" >"$S/fail/db.pre_deploy"
m deploy
expect_first earlier-wave-failed "wave: deployment_seq 0 failing blocks api"
expect_jq '.failures | map(.id) | index("pre-deploy-hook-failed") != null' "wave: the earlier job's cause is shown too"
rm -f "$S/fail/db.pre_deploy"
m deploy

# --- hook failures, per event -----------------------------------------------------
deploy_fails() {	# EVENT MESSAGE: api's deploy fails there
	alloc api 3 restart
	echo "$2" >"$S/fail/api.$1"
	m deploy
}
alloc db 3 restart
deploy_fails pre_deploy "hook_migrate: exit 1"
expect_first pre-deploy-hook-failed "hooks: pre_deploy"
expect_eq "$(awk '$1=="db" {print $3}' "$S/alloc")" promoted "hooks: the other jobs continue"
rm -f "$S/fail/api.pre_deploy"; m deploy

deploy_fails job_control "job_control.py: KeyError: 'replicas'"
expect_first job-control-failed "hooks: job_control"
rm -f "$S/fail/api.job_control"; m deploy

deploy_fails after_allocation_started "after_allocation_started.py: exit 2"
expect_first allocation-hook-failed "hooks: after_allocation_started"
rm -f "$S/fail/api.after_allocation_started"; m deploy

deploy_fails post_deploy "hook_smoke: exit 1"
rm -f "$S/fail/api.post_deploy"	# the hook is fixed; the state stays
expect_first post-deploy-hook-failed "hooks: post_deploy_status = failed"
expect_fixed post-deploy-hook-failed "hooks: re-run deploy"

# --- template / KV ---------------------------------------------------------------
sed -i '/^mykey=/d' "$S/kv/api"
alloc api 3 restart
m deploy
expect_first template-kv-missing "template: get missing key"
expect_fixed template-kv-missing "template: build (post_build writes KV), deploy"

deploy_fails template "map has no entry for key \"vault\""
expect_first template-panic "template: panic"
rm -f "$S/fail/api.template"; m deploy

# --- partial deploy ------------------------------------------------------------------
alloc db 3 restart; alloc api 3 restart
touch "$FLAGS/starting"
m deploy
rm -f "$FLAGS/starting"	# api is fixed; the rollout is not
expect_eq "$(awk '{print $1 "=" $3}' "$S/alloc" | paste -sd, -)" "db=promoted,api=restart" "partial: db promoted, api not"
expect_first partial-deploy "partial: some jobs succeeded, others failed"
expect_fixed partial-deploy "partial: re-run deploy"

# --- health check failed -----------------------------------------------------------
touch "$FLAGS/starting"
expect_first health-not-ready "health: probe not ready yet"
rm -f "$FLAGS/starting"

touch "$FLAGS/health-broken"
expect_first health-command-failed "health: command health failed"
rm -f "$FLAGS/health-broken"

api_manifest "$(closed_port)"
m build; m deploy
expect_first health-wrong-port "health: wrong port in manifest"
expect_jq '[.failures[0].evidence[].stdout // ""] | join("\n") | test("api\thttps\t[0-9]+")' "health: the evidence shows maand cat ports"
api_manifest "$TLS_PORT"
m build; m deploy
expect_healthy "health: all passing"

# --- disabled / re-enable ---------------------------------------------------------
echo '{"jobs": {"api": {}}}' >"$B/disabled.json"
m build
expect_first job-disabled "disable: job fully disabled"
echo '{"jobs": {}}' >"$B/disabled.json"
expect_first reenabled-not-starting "disable: re-enabled job not starting"
expect_fixed reenabled-not-starting "disable: build, deploy"

alloc api 3 removed
expect_first job-removed-kv-gone "disable: cat kv --jobs api empty (removed, not disabled)"
alloc api 3 promoted
expect_healthy "disable: all repaired"

# --- SSH / rsync -------------------------------------------------------------------
cp "$OTHER_KEY" "$B/secrets/worker.key"
expect_first worker-key-denied "ssh: the worker refuses the key"
expect_jq '.probes[] | select(.id == "worker_ssh") | .reason == "ssh: permission denied (publickey)"' "ssh: the reason is ssh's"
cp "$SSH_KEY" "$B/secrets/worker.key"

sshd_stop
expect_first worker-unreachable "ssh: the worker is down (connection refused)"
expect_jq '.probes[] | select(.id == "worker_ssh") | .reason == "ssh: connection refused"' "ssh: connection refused"
sshd_start || { fail "sshd did not start again"; finish; exit 1; }
worker_access
expect_healthy "ssh: the worker is back"

rm -f "$WB/rsync"
expect_first worker-prereqs-missing "ssh: rsync missing on the worker's PATH"
expect_jq '[.failures[0].evidence[].stdout // ""] | join("\n") | test("rsync: missing")' "ssh: the evidence says which"
ln -s /usr/bin/rsync "$WB/rsync"

CLI=$T/cli-bin
mkdir -p "$CLI" && ln -s /usr/bin/* /usr/sbin/* "$CLI/" 2>/dev/null
rm -f "$CLI/rsync"
PATH=$TRIAGE_SRC/tests/seeds/standins:$CLI expect_first cli-prereqs-missing "ssh: rsync missing on the CLI host"

{
	echo "$(date -u +%FT%TZ) deploy: start run=x jobs=all"
	echo "$(date -u +%FT%TZ) deploy: removed worker 10.0.0.9 unreachable, assuming dead"
	echo "$(date -u +%FT%TZ) deploy: complete"
} >>"$B/logs/maand.log"
expect_first removed-worker-unreachable "ssh: removed worker unreachable (safe to ignore)"
m deploy

# --- worker.json / update_seq --------------------------------------------------------
m build
expect_first update-seq-mismatch "worker.json: update_seq behind"
expect_fixed update-seq-mismatch "worker.json: deploy refreshes it"

# --- TLS certificates ------------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=api.bucket.test \
	-keyout "$B/data/certs/api.key" -out "$T/api.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/api.csr" -CA "$B/secrets/ca.crt" -CAkey "$B/secrets/ca.key" -CAcreateserial \
	-days 5 -out "$B/data/certs/api.crt" 2>/dev/null || fail "tls: the 5-day certificate could not be made"
m deploy --jobs api --force
expect_first cert-expiring "tls: the api certificate expires in 5 days"
expect_jq '.probes[] | select(.id == "cert") | .days_left < 5.1 and .days_left > 4.9' "tls: nginx serves it"
expect_fixed cert-expiring "tls: build renews, deploy ships it"

# The bucket CA: expiring soon (5 days), then expired (openssl ca backdates it).
openssl req -x509 -key "$B/secrets/ca.key" -days 5 -subj /CN=bucket-ca -out "$B/secrets/ca.crt" 2>/dev/null
expect_first ca-expiring "tls: the CA expires in 5 days"
mkdir -p "$T/ca" && (
	cd "$T/ca" || exit 1
	printf '[ca]\ndefault_ca = x\n[x]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' >ca.cnf
	: >index.txt; echo 01 >serial
	openssl req -new -key "$B/secrets/ca.key" -subj /CN=bucket-ca -out ca.csr 2>/dev/null &&
		openssl ca -batch -config ca.cnf -selfsign -keyfile "$B/secrets/ca.key" -in ca.csr \
		-startdate 20240101000000Z -enddate 20250101000000Z -out "$B/secrets/ca.crt" >/dev/null 2>&1
) || fail "tls: the expired CA could not be made"
expect_first ca-expired "tls: the CA expired"
(cd "$B" && maand build) >"$T/build.out" 2>&1 && fail "tls: maand build succeeded with an expired CA" || pass
cp "$T/ca.good" "$B/secrets/ca.crt"
expect_healthy "tls: CA restored"

# --- escalation: nothing matches; the bundle has the checklist ---------------------------
cp "$S/jobs" "$T/jobs.good"
echo "db 0" >"$S/jobs"
expect_escalated
expect_in "$T/bring.txt" "DEPLOYMENT_SEQ" "escalation: maand cat jobs (deployment_seq)"
expect_in "$T/bring.txt" "ROLLOUT" "escalation: maand cat deployments"
expect_in "$T/bring.txt" "no deployment required" "escalation: maand deploy --dry-run"
expect_in "$T/bring.txt" '"jobs"' "escalation: disabled.json"
expect_in "$T/bring.txt" "deploy: complete" "escalation: the deploy log"
expect_in "$T/bring.txt" "update_seq" "escalation: maand info and worker.json"
expect_in "$T/bring.txt" "rsync: $WB/rsync" "escalation: the worker's prerequisites"
cp "$T/jobs.good" "$S/jobs"
expect_healthy "escalation: restored"

finish
