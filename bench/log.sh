#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The log probe on a 1 GB file against `tail -n 200 | grep -c`, measured in
# the same run: a `log: FILE, last: 200, match: 'ERROR|FATAL'` probe must
# cost what tail costs (goal: within 2x), because it reads only the tail.
# Usage: bench/log.sh [TRIAGE]   (default build/triage)
# Env: BENCH_LOG_MB (file size, default 1024), BENCH_LOG_RUNS (runs per
# round, default 20), BENCH_ROUNDS (best of, default 3).
set -euo pipefail

triage=${1:-build/triage}
MB=${BENCH_LOG_MB:-1024}
RUNS=${BENCH_LOG_RUNS:-20}
ROUNDS=${BENCH_ROUNDS:-3}

if [ ! -x "$triage" ]; then
	echo "log.sh: $triage is not an executable (build first, or pass its path)" >&2
	exit 2
fi
case $triage in /*) ;; *) triage=$PWD/$triage ;; esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/triage-bench-log.XXXXXX")
trap 'rm -rf "$dir"' EXIT
log=$dir/production.log
rb=$dir/log.yaml

# One ~1 MiB chunk of Rails-like lines, a few of them errors, then the
# chunk repeated up to the size. The chunk ends with errors so the last
# 200 lines hold some.
echo "log.sh: writing a ${MB} MB log in $dir ..." >&2
awk 'BEGIN {
	srand(42)
	paths[0] = "/"; paths[1] = "/quotes/1842"; paths[2] = "/api/v1/boms"
	paths[3] = "/up"; paths[4] = "/users/sign_in"
	size = 0; i = 0
	while (size < 1048576) {
		ts = sprintf("2026-11-23T10:%02d:%02d.%06d", int(i / 60) % 60, i % 60, i * 7919 % 1000000)
		id = sprintf("%08x-%04x", i * 2654435761 % 4294967296, i % 65536)
		p = paths[i % 5]
		if (i % 499 == 0)
			l = sprintf("E, [%s #1234] ERROR -- : [%s] ActiveRecord::StatementInvalid (PG::UndefinedTable: ERROR:  relation \"view_quote_bom_items\" does not exist)", ts, id)
		else if (i % 4 == 0)
			l = sprintf("I, [%s #1234]  INFO -- : [%s] Started GET \"%s\" for 10.0.%d.%d at 2026-11-23 10:00:00 +0000", ts, id, p, i % 256, i * 31 % 256)
		else if (i % 4 == 1)
			l = sprintf("I, [%s #1234]  INFO -- : [%s] Processing by QuotesController#show as HTML", ts, id)
		else if (i % 4 == 2)
			l = sprintf("I, [%s #1234]  INFO -- : [%s]   Parameters: {\"id\"=>\"%d\"}", ts, id, i)
		else
			l = sprintf("I, [%s #1234]  INFO -- : [%s] Completed 200 OK in %dms (Views: %.1fms | ActiveRecord: %.1fms)", ts, id, 5 + i % 90, (i % 37) / 3, (i % 23) / 4)
		print l
		size += length(l) + 1
		i++
	}
	for (j = 0; j < 3; j++)
		print "F, [2026-11-23T10:59:59.000000 #1234] FATAL -- : [ffffffff-0000] PG::ConnectionBad (could not connect to server)"
}' >"$dir/chunk"
chunk_kb=$(($(wc -c <"$dir/chunk") / 1024))
copies=$(((MB * 1024 + chunk_kb - 1) / chunk_kb))
for ((i = 0; i < copies; i++)); do cat "$dir/chunk"; done >"$log"
rm -f "$dir/chunk"

cat >"$rb" <<YAML
runbook: bench-log
probes:
  errors: { layer: app, log: $log, last: 200, match: 'ERROR|FATAL' }
YAML

tail_run() { tail -n 200 "$log" | grep -cE 'ERROR|FATAL' || true; }
triage_run() { "$triage" check -f "$rb" --json || true; }

# Correctness first: the same count, and a runbook that loads (exit 3 is a
# runbook or usage error).
want=$(tail_run)
set +e
out=$("$triage" check -f "$rb" --json 2>"$dir/err")
rc=$?
set -e
if [ "$rc" -ge 3 ]; then
	echo "log.sh: triage check exited $rc:" >&2
	cat "$dir/err" >&2
	exit 1
fi
got=$(printf '%s\n' "$out" | grep -o '"matches": *[0-9]*' | grep -o '[0-9]*$' || true)
if [ "$got" != "$want" ]; then
	echo "log.sh: triage counted '${got}' matches, tail | grep counted $want" >&2
	exit 1
fi

# ns_per_run N FN: the mean wall time of one call of FN over N calls.
ns_per_run() {
	local n=$1 fn=$2 t0 t1 i
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do "$fn" >/dev/null 2>&1; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / n))
}

# hf_mean_ns FILE INDEX: a hyperfine result's mean, in ns.
hf_mean_ns() {
	python3 -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"] * 1e9))' "$1" "$2"
}

tail_ns=0
triage_ns=0
if command -v hyperfine >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
	hyperfine --warmup 3 --runs "$((RUNS * ROUNDS))" -i --style basic \
	    --export-json "$dir/hf.json" \
	    "tail -n 200 '$log' | grep -cE 'ERROR|FATAL'" \
	    "'$triage' check -f '$rb' --json" >&2
	tail_ns=$(hf_mean_ns "$dir/hf.json" 0)
	triage_ns=$(hf_mean_ns "$dir/hf.json" 1)
else
	# Rounds alternate between the two so drift hits both; best of
	# rounds.
	tail_run >/dev/null
	triage_run >/dev/null 2>&1
	for ((r = 0; r < ROUNDS; r++)); do
		t=$(ns_per_run "$RUNS" tail_run)
		if [ "$tail_ns" -eq 0 ] || [ "$t" -lt "$tail_ns" ]; then
			tail_ns=$t
		fi
		t=$(ns_per_run "$RUNS" triage_run)
		if [ "$triage_ns" -eq 0 ] || [ "$t" -lt "$triage_ns" ]; then
			triage_ns=$t
		fi
	done
fi

echo "log.sh: $want matching lines in the last 200, both agree" >&2
awk -v a="$triage_ns" -v b="$tail_ns" -v mb="$MB" 'BEGIN {
	printf "%-34s %12.2f %12.2f %6.2fx %s\n", "log last 200 of " mb " MB: ms", a / 1e6, b / 1e6, (b > 0 ? a / b : 0), "<= 2.00x (triage vs tail|grep)"
}'
