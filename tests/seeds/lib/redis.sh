# SPDX-License-Identifier: MIT
# A throw-away Redis on loopback for tests and benchmarks: source it, call
# redis_start, and trap redis_stop on EXIT.
#
#   . tests/seeds/lib/redis.sh
#   redis_start || exit 1
#   trap redis_stop EXIT
#   redis_cli SET k v
#   triage check ... "$REDIS_URL" ...
#
# redis_start installs redis-server when it is missing (apt-get; scripts/
# deps.sh lists it too) and starts one, daemonized with a pidfile, on
# 127.0.0.1 at a free port and on a Unix socket, with its configuration,
# log, pidfile and socket in a temporary directory. It persists nothing
# (save "", no AOF). Every command needs the password (requirepass, given
# in the configuration file, never on a command line): $REDIS_PASSWORD when
# the caller set it, else a random one. DEBUG is enabled for local
# connections (DEBUG SLEEP makes a slow server). It sets and exports:
#
#   REDIS_DIR       the directory (redis.conf, redis.log, redis.pid)
#   REDIS_HOST      127.0.0.1
#   REDIS_PORT      the port
#   REDIS_SOCKET    the Unix socket ($REDIS_DIR/redis.sock)
#   REDIS_PASSWORD  the password
#   REDIS_URL       redis://127.0.0.1:PORT (the password goes apart)
#
# and writes them to $REDIS_DIR/env. redis_start returns non-zero, after
# saying why on stderr, when Redis cannot be installed or started, and is a
# no-op when this shell already started one. redis_stop stops the server
# and removes the directory; it is safe to call twice. REDIS_MAXCLIENTS
# (default 10000) sizes the server for benchmarks.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# redis__pid: the server's pid, from its pidfile; fails when it has none.
redis__pid() {
	local pid
	[ -s "$REDIS_DIR/redis.pid" ] || return 1
	pid=$(cat "$REDIS_DIR/redis.pid")
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	echo "$pid"
}

# redis_cli ARGS...: redis-cli as the test server's client (by its socket,
# with the password, no warning about it).
redis_cli() {
	REDISCLI_AUTH=$REDIS_PASSWORD redis-cli -s "$REDIS_SOCKET" "$@"
}

# redis_start: see the top of the file.
redis_start() {
	local port try i up

	if [ -n "${REDIS_DIR:-}" ] && redis__pid >/dev/null; then
		return 0
	fi
	if ! command -v redis-server >/dev/null 2>&1 ||
	    ! command -v redis-cli >/dev/null 2>&1; then
		seeds_apt_install redis.sh redis-server redis-tools || return 1
	fi
	REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-redis.XXXXXX") ||
		return 1
	chmod 700 "$REDIS_DIR"
	export REDIS_DIR
	: "${REDIS_PASSWORD:=pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}"
	export REDIS_PASSWORD REDIS_HOST=127.0.0.1
	export REDIS_SOCKET=$REDIS_DIR/redis.sock
	for try in 1 2 3 4 5; do
		port=$(free_port)
		rm -f "$REDIS_DIR/redis.log"
		# The password is in this file (mode 600), not in ps's output.
		(umask 077 && cat >"$REDIS_DIR/redis.conf") <<CONF
bind 127.0.0.1
port $port
unixsocket $REDIS_SOCKET
unixsocketperm 700
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
save ""
appendonly no
maxclients ${REDIS_MAXCLIENTS:-10000}
enable-debug-command local
requirepass "$REDIS_PASSWORD"
CONF
		if ! redis-server "$REDIS_DIR/redis.conf" \
		    >"$REDIS_DIR/start.out" 2>&1; then
			echo "redis.sh: redis-server failed:" >&2
			sed 's/^/  /' "$REDIS_DIR/start.out" >&2
			redis_stop
			return 1
		fi
		# Up when our server (our directory, by our password) answers
		# on the port; a failed listen is in the log.
		up=
		for i in $(seq 200); do
			if [ "$(REDISCLI_AUTH=$REDIS_PASSWORD redis-cli \
			    -h 127.0.0.1 -p "$port" CONFIG GET dir \
			    2>/dev/null | tail -n 1)" = "$REDIS_DIR" ]; then
				up=1
				break
			fi
			grep -q "Failed listening\|Could not create" \
			    "$REDIS_DIR/redis.log" 2>/dev/null && break
			sleep 0.05
		done
		[ -n "$up" ] && break
		redis__stop_server
		if [ "$try" = 5 ]; then
			echo "redis.sh: redis-server did not start:" >&2
			tail -20 "$REDIS_DIR/redis.log" 2>/dev/null |
			    sed 's/^/  /' >&2
			redis_stop
			return 1
		fi
	done
	export REDIS_PORT=$port
	export REDIS_URL=redis://127.0.0.1:$port
	{
		echo "REDIS_DIR=$REDIS_DIR"
		echo "REDIS_HOST=$REDIS_HOST"
		echo "REDIS_PORT=$REDIS_PORT"
		echo "REDIS_SOCKET=$REDIS_SOCKET"
		echo "REDIS_PASSWORD=$REDIS_PASSWORD"
		echo "REDIS_URL=$REDIS_URL"
	} >"$REDIS_DIR/env"
}

# redis__stop_server: TERM, then KILL after 5 s, and wait until it is gone.
redis__stop_server() {
	local pid
	pid=$(redis__pid) || return 0
	seeds_stop_pid "$pid"
}

# redis_stop: stops the server and removes REDIS_DIR; a no-op when there is
# none.
redis_stop() {
	if [ -z "${REDIS_DIR:-}" ] || [ ! -d "$REDIS_DIR" ]; then
		unset REDIS_DIR
		return 0
	fi
	redis__stop_server
	case $REDIS_DIR in
	*/triage-redis.*) rm -rf "$REDIS_DIR" ;;
	esac
	unset REDIS_DIR REDIS_HOST REDIS_PORT REDIS_SOCKET REDIS_URL
	return 0
}
