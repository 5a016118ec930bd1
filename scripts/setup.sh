#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job on a fresh Debian machine: install what is needed, build,
# run triage on this machine (the built-in host runbook), then the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
echo "== triage check  (the built-in host runbook: this machine)"
build/triage check || true	# exits 1 or 2 when this machine has problems
echo
echo "== triage  (diagnose this machine)"
build/triage || true
echo
bash scripts/demo.sh
