#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages triage needs to build, test and benchmark.
# Idempotent: does nothing when they are all installed. Needs root (or sudo).
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config
	libcurl4-openssl-dev libfyaml-dev libjansson-dev libpcre2-dev
	libmicrohttpd-dev libssl-dev libsqlite3-dev sqlite3 libpq-dev
	libhiredis-dev
	# tests: unit, sanitizers, fuzzers, black-box
	libcmocka-dev clang libclang-rt-14-dev jq openssl procps iproute2
	# real parts the tests, demo and benchmarks start on loopback
	nginx-light monitoring-plugins-basic wrk time hyperfine
	postgresql redis-server openssh-server openssh-client haproxy curl rsync
	python3
	# triage watch's tests: a real Alertmanager (and amtool), promtool for
	# /metrics, Chromium for the dashboard
	prometheus-alertmanager prometheus chromium
	# render's page check (tests/tools/mermaid-check.sh) runs mermaid on node
	nodejs
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs comes without npm (its own package); a node from elsewhere
# (NodeSource) bundles one and conflicts with Debian's: add it only if absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx-light's package starts a system nginx on port 80 (haproxy's, one that
# listens nowhere); triage's tests and
# demo start their own on free loopback ports and need nothing else.
