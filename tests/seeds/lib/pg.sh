# SPDX-License-Identifier: MIT
# A throw-away PostgreSQL on loopback for tests and benchmarks: source it,
# call pg_start, and trap pg_stop on EXIT.
#
#   . tests/seeds/lib/pg.sh
#   pg_start || exit 1
#   trap pg_stop EXIT
#   pg_psql -c 'CREATE TABLE t (n int)'
#   triage check ... "$PG_URL" ...
#
# pg_start installs PostgreSQL when it is missing (apt-get; scripts/deps.sh
# lists it too), makes a cluster in a temporary directory with initdb and
# starts it with pg_ctl on 127.0.0.1 at a free port, its Unix socket in that
# directory. PostgreSQL refuses to run as root: as root, the server runs as
# the system user triage-test (created when missing), which owns the
# directory. Every connection needs a password (scram-sha-256), so the
# superuser's URL exercises secrets. It sets and exports:
#
#   PG_DIR       the directory (cluster in $PG_DIR/data, log in $PG_DIR/log,
#                the socket in $PG_DIR)
#   PG_HOST      127.0.0.1
#   PG_PORT      the port
#   PG_USER      postgres (the superuser)
#   PG_PASSWORD  its password (random)
#   PG_DB        postgres
#   PG_URL       postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres
#   PG_URL_NOPW  the same without the password
#
# and writes them to $PG_DIR/env, which a process that did not source this
# file can read (tests/unit/test-sql.c does). pg_stop stops the server and
# removes the directory; it is safe to call twice, and with only PG_DIR
# set. PG_MAX_CONNECTIONS (default 300) sizes the server for benchmarks;
# PG_SERVER_OPTS adds postgres options ("-c shared_buffers=16MB").

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# pg__bindir: the directory of initdb and pg_ctl, newest version first.
pg__bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	d=$(command -v initdb 2>/dev/null) || return 1
	dirname "$(readlink -f "$d")"
}

# pg__as_owner CMD...: runs CMD as the cluster's owner.
pg__as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u triage-test -- "$@")
	else
		"$@"
	fi
}

# pg_start: see the top of the file. Returns non-zero, after saying why on
# stderr, when PostgreSQL cannot be installed or started.
pg_start() {
	local bindir pwfile port try max=${PG_MAX_CONNECTIONS:-300}

	if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
		return 0
	fi
	if ! bindir=$(pg__bindir); then
		seeds_apt_install pg.sh postgresql || return 1
		bindir=$(pg__bindir) || {
			echo "pg.sh: no initdb after installing postgresql" >&2
			return 1
		}
	fi
	if [ "$(id -u)" -eq 0 ] && ! id triage-test >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin triage-test 2>/dev/null ||
			id triage-test >/dev/null 2>&1 || {
			echo "pg.sh: cannot create the user triage-test" >&2
			return 1
		}
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-pg.XXXXXX") || return 1
	export PG_DIR
	PG_PASSWORD="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	pwfile=$PG_DIR/pwfile
	printf '%s\n' "$PG_PASSWORD" >"$pwfile"
	[ "$(id -u)" -eq 0 ] && chown -R triage-test: "$PG_DIR"
	chmod 700 "$PG_DIR"
	if ! pg__as_owner "$bindir/initdb" -D "$PG_DIR/data" -U postgres \
	    --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C \
	    >"$PG_DIR/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		sed 's/^/  /' "$PG_DIR/initdb.log" >&2
		pg_stop
		return 1
	fi
	rm -f "$pwfile"
	for try in 1 2 3 4 5; do
		port=$(free_port)
		if pg__as_owner "$bindir/pg_ctl" -D "$PG_DIR/data" \
		    -l "$PG_DIR/log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
-c port=$port -c unix_socket_directories=$PG_DIR \
-c max_connections=$max -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off ${PG_SERVER_OPTS:-}" start >/dev/null 2>&1; then
			break
		fi
		if [ "$try" = 5 ]; then
			echo "pg.sh: pg_ctl start failed:" >&2
			tail -20 "$PG_DIR/log" 2>/dev/null | sed 's/^/  /' >&2
			pg_stop
			return 1
		fi
	done
	export PG_HOST=127.0.0.1 PG_PORT=$port PG_USER=postgres PG_DB=postgres
	export PG_PASSWORD
	export PG_URL="postgres://$PG_USER:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB"
	export PG_URL_NOPW="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB"
	{
		echo "PG_DIR=$PG_DIR"
		echo "PG_HOST=$PG_HOST"
		echo "PG_PORT=$PG_PORT"
		echo "PG_USER=$PG_USER"
		echo "PG_PASSWORD=$PG_PASSWORD"
		echo "PG_DB=$PG_DB"
		echo "PG_URL=$PG_URL"
		echo "PG_URL_NOPW=$PG_URL_NOPW"
	} >"$PG_DIR/env"
	chmod 644 "$PG_DIR/env"
}

# pg_psql ARGS...: psql as the superuser on the test server (no .psqlrc,
# stop at the first error, unaligned tuples only: easy to compare).
pg_psql() {
	PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=10 psql -X -q -At \
	    -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" \
	    -d "${PG_PSQL_DB:-$PG_DB}" "$@"
}

# pg_stop: stops the server and removes PG_DIR; a no-op when there is none.
pg_stop() {
	local bindir
	if [ -z "${PG_DIR:-}" ] || [ ! -d "$PG_DIR" ]; then
		unset PG_DIR
		return 0
	fi
	if [ -f "$PG_DIR/data/postmaster.pid" ] && bindir=$(pg__bindir); then
		pg__as_owner "$bindir/pg_ctl" -D "$PG_DIR/data" -m immediate \
		    -w -t 30 stop >/dev/null 2>&1 || true
	fi
	case $PG_DIR in
	*/triage-pg.*) rm -rf "$PG_DIR" ;;
	esac
	unset PG_DIR PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DB PG_URL \
	    PG_URL_NOPW
	return 0
}
