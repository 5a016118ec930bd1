# SPDX-License-Identifier: MIT
# A throw-away nginx on loopback for the seed tests: source it, call
# nginx_start with the body of its http {} block, and trap nginx_stop on
# EXIT.
#
#   . tests/seeds/lib/nginx.sh
#   port=$(free_port)
#   nginx_start "server { listen 127.0.0.1:$port; return 200; }" || exit 1
#   trap nginx_stop EXIT
#   nginx_reload        # after changing a file the configuration includes
#
# nginx_start installs nginx-light when nginx is missing (apt-get;
# scripts/deps.sh lists it too), makes a temporary directory for the
# configuration, logs, pid file and temp paths, starts nginx with them
# (as root its workers run as nobody: what they read or test with -f must
# be world-readable), and waits until every `listen 127.0.0.1:PORT` of the
# body accepts connections. It sets and exports NGINX_DIR (error log in
# $NGINX_DIR/error.log). The caller picks the ports (free_port);
# nginx_stop stops nginx and removes the directory, and is safe to call
# twice.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

nginx__bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# nginx_start HTTP_BODY: see the top of the file. Returns non-zero, after
# saying why on stderr, when nginx cannot be installed or started.
nginx_start() {
	local body=$1 nginx port i

	nginx=$(nginx__bin)
	if [ ! -x "$nginx" ]; then
		seeds_apt_install nginx.sh nginx-light || return 1
		nginx=$(nginx__bin)
	fi
	NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-nginx.XXXXXX") || return 1
	export NGINX_DIR
	chmod 755 "$NGINX_DIR"
	mkdir -p "$NGINX_DIR/tmp"
	cat >"$NGINX_DIR/nginx.conf" <<CONF
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
events { worker_connections 64; }
http {
	access_log $NGINX_DIR/access.log;
	client_body_temp_path $NGINX_DIR/tmp;
	proxy_temp_path $NGINX_DIR/tmp;
	fastcgi_temp_path $NGINX_DIR/tmp;
	uwsgi_temp_path $NGINX_DIR/tmp;
	scgi_temp_path $NGINX_DIR/tmp;
$body
}
CONF
	if ! "$nginx" -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" 2>"$NGINX_DIR/start.err"; then
		echo "nginx.sh: nginx did not start:" >&2
		sed 's/^/  /' "$NGINX_DIR/start.err" >&2
		nginx_stop
		return 1
	fi
	for port in $(printf '%s\n' "$body" | sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\).*/\1/p'); do
		for i in $(seq 50); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
			sleep 0.1
		done
	done
}

# nginx_reload: re-reads the configuration and what it includes, and waits
# for the new workers.
nginx_reload() {
	"$(nginx__bin)" -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -s reload 2>/dev/null
	sleep 0.3
}

# nginx_stop: stops nginx and removes NGINX_DIR; a no-op when there is none.
nginx_stop() {
	if [ -z "${NGINX_DIR:-}" ] || [ ! -d "$NGINX_DIR" ]; then
		unset NGINX_DIR
		return 0
	fi
	seeds_stop_pid "$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)"
	case $NGINX_DIR in
	*/triage-nginx.*) rm -rf "$NGINX_DIR" ;;
	esac
	unset NGINX_DIR
	return 0
}
