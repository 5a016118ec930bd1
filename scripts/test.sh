#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is needed and runs every test: the unit and CLI suites in a
# release build and again under ASan+UBSan, then the fuzzers for a bounded
# number of inputs. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1

jobs=$(nproc)
passed=0
failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# run NAME BUILD-DIR CTEST-ARGS... : builds nothing; runs ctest and counts.
suite() {
	local name=$1 dir=$2
	shift 2
	echo "== $name"
	(cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") | tee "$logs/$name"
	local line total bad
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$logs/$name" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: ctest printed no summary" >&2
		failed=$((failed + 1))
		return
	fi
	bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
	total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
	passed=$((passed + total - bad))
	failed=$((failed + bad))
}

build() {
	local dir=$1
	shift
	echo "== build $dir $*"
	if ! bash scripts/build.sh "$dir" "$@"; then
		echo "build $dir failed" >&2
		failed=$((failed + 1))
		return 1
	fi
}

build build && suite release build
build build-asan -DTRIAGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	suite sanitizers build-asan
CC=clang build build-fuzz -DTRIAGE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	-DFUZZ_SECONDS="${FUZZ_SECONDS:-60}" -DFUZZ_RUNS="${FUZZ_RUNS:-150000}" \
	-DFUZZ_SEED="${FUZZ_SEED:-1}" && suite fuzz build-fuzz -L fuzz

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
