# SPDX-License-Identifier: MIT
# free_port: prints a loopback TCP port that no socket uses, chosen below
# the kernel's ephemeral range (net.ipv4.ip_local_port_range), so that no
# outgoing connection of another process takes it as its source port
# between the choice and the bind (a port chosen inside that range was
# taken that way by a parallel test's client). Another process can still
# bind it first; callers that cannot afford that try again.
# Sourced by scripts/demo.sh, bench/probes, bench/watch, tests/cli/lib.sh
# and tests/seeds/lib/common.sh.
free_port() {
	local port lo=32768 span
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || :
	span=$((lo - 10000))
	[ "$span" -ge 1000 ] 2>/dev/null || span=30000
	while :; do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % span))
		if command -v ss >/dev/null 2>&1; then
			ss -Htan "sport = :$port" 2>/dev/null | grep -q . || break
		else
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
		fi
	done
	echo "$port"
}
