#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The human table of `triage check`, byte for byte (latencies normalised),
# against tests/cli/golden/check.out.
. "$(dirname "$0")/lib.sh"

export GOLDEN_DIR=$T
unset GOLDEN_UNSET_TOKEN
echo "listen = 8080" >"$T/app.conf"
touch "$T/maintenance.flag"
printf 'INFO ok\nERROR first\nINFO ok\nERROR PG::ConnectionBad\n' >"$T/app.log"

run check -f "$DATA/good/golden.yaml"
expect_rc 2 "golden exit status"
# Latencies and the run's duration vary; everything else must not.
# Latencies become LAT in a field of the same width, so alignment is kept.
perl -pe 's/time=[0-9.]+s/time=T/;
	s/( +)([0-9.]+(?:ms|s))(  |$)/" " x (length($1) + length($2) - 3) . "LAT$3"/e if /^  /' \
	"$T/out" >"$T/normal"
if diff -u "$TRIAGE_SRC/tests/cli/golden/check.out" "$T/normal" >"$T/diff"; then pass; else
	fail "human output differs from tests/cli/golden/check.out"
	cat "$T/diff" >&2
fi
finish
