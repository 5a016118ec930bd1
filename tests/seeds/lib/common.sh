# SPDX-License-Identifier: MIT
# What the server harnesses (pg.sh, redis.sh, sshd.sh, nginx.sh) share:
# installing a Debian package when it is missing, finding a free loopback
# port, stopping a process.
# Sourced by them; defines seeds_* names (and free_port, from
# scripts/lib/free-port.sh).

# seeds_apt_install WHO PACKAGE...: apt-get install the packages (as root,
# or through sudo -n), updating the package lists once if the first try
# fails. WHO names the caller in messages. Fails, saying why on stderr,
# when it cannot.
seeds_apt_install() {
	local who=$1 sudo=
	shift
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "$who: $* not installed and I am not root" \
			    "(run scripts/deps.sh)" >&2
			return 1
		}
		sudo="sudo -n"
	fi
	command -v apt-get >/dev/null 2>&1 || {
		echo "$who: $* not installed and there is no apt-get" >&2
		return 1
	}
	echo "$who: installing $* ..." >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	    --no-install-recommends "$@" >/dev/null 2>&1 || {
		DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		    --no-install-recommends "$@" >/dev/null
	} || {
		echo "$who: apt-get install $* failed" >&2
		return 1
	}
}

# free_port: a loopback TCP port no socket uses.
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib/free-port.sh"

# seeds_stop_pid PID: TERM, then KILL after 5 s, and waits (2 s more at
# most) until the process is gone. Nothing to do for an empty PID or a
# process that is already gone.
seeds_stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	for i in $(seq 40); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
}
