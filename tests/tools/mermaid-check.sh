#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mermaid-check.sh FILE...: parses every mermaid diagram in FILEs (Markdown,
# HTML or .mmd) with the real mermaid parser. The parser (npm packages
# mermaid and jsdom, pinned in tests/tools/mermaid-check/package.json) is
# installed once into $TRIAGE_MERMAID_DIR (default: mermaid-check/ beside
# the triage binary in the build directory) and used offline after that.
# Exit 0: all parse; 1: some do not; 2: the parser cannot be installed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TRIAGE_MERMAID_DIR:-}" ]; then
	: "${TRIAGE:?set TRIAGE (the binary, in the build directory) or TRIAGE_MERMAID_DIR}"
	TRIAGE_MERMAID_DIR=$(cd "$(dirname "$TRIAGE")" && pwd)/mermaid-check
fi
dir=$TRIAGE_MERMAID_DIR

for tool in node npm; do
	command -v "$tool" >/dev/null || {
		echo "mermaid-check: $tool is not installed (scripts/deps.sh installs nodejs)" >&2
		exit 2
	}
done

installed() {
	[ -f "$dir/node_modules/mermaid/package.json" ] &&
		[ -f "$dir/node_modules/jsdom/package.json" ] &&
		cmp -s "$here/mermaid-check/package.json" "$dir/package.json"
}

if ! installed; then
	mkdir -p "$(dirname "$dir")"
	# One installer at a time; the others wait and then find it done.
	exec 9>"$dir.lock"
	flock 9
	if ! installed; then
		tmp=$(mktemp -d "$dir.tmp.XXXXXX")
		cp "$here/mermaid-check/package.json" "$tmp/"
		echo "mermaid-check: installing mermaid and jsdom into $dir (once)" >&2
		if ! (cd "$tmp" && npm install --no-audit --no-fund \
			--no-package-lock --prefer-offline --loglevel=error \
			>"$tmp/npm.log" 2>&1); then
			echo "mermaid-check: npm install failed:" >&2
			tail -n 20 "$tmp/npm.log" >&2
			rm -rf "$tmp"
			exit 2
		fi
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	exec 9>&-
fi
cp "$here/mermaid-check/check.mjs" "$dir/check.mjs"
exec node "$dir/check.mjs" "$@"
