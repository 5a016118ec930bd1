# SPDX-License-Identifier: MIT
# A throw-away OpenSSH server on loopback for tests and benchmarks: source
# it, call sshd_start, and trap sshd_stop on EXIT.
#
#   . tests/seeds/lib/sshd.sh
#   sshd_start || exit 1
#   trap sshd_stop EXIT
#   ssh -i "$SSH_KEY" -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" \
#       -p "$SSHD_PORT" "$SSH_USER@127.0.0.1" true
#
# sshd_start installs openssh-server and openssh-client when they are
# missing (apt-get; scripts/deps.sh lists them too), generates a host key
# and a client key pair in a temporary directory, and starts /usr/sbin/sshd
# on 127.0.0.1 at a free port with only that host key, public-key login
# only (the client key is the one authorized key), no PAM, and LogLevel
# VERBOSE to a log file, so that each connection logs one "Accepted
# publickey" line (sshd_sessions counts them). As root, the login user is
# triage-ssh (created when missing: shell /bin/sh, home
# /var/lib/triage-ssh, no startup files), so that what runs "on the host"
# is hermetic and can be told from everything else (pgrep -u triage-ssh);
# otherwise it is the user running the tests. It sets and exports:
#
#   SSHD_DIR         the directory (config, keys, log, pid file)
#   SSHD_PORT        the port
#   SSHD_LOG         sshd's log
#   SSH_USER         the login user
#   SSH_KEY          the client's private key (ed25519, no passphrase)
#   SSH_KNOWN_HOSTS  a known_hosts file with the server's host key
#   SSH_TARGET       $SSH_USER@127.0.0.1
#
# and writes them to $SSHD_DIR/env. SSHD_SETENV, when set before
# sshd_start, is given to sshd_config's SetEnv: NAME=VALUE words every
# session gets, after sshd's own (so PATH=... replaces the login PATH; the
# Kamal seed test puts its box stand-ins first on it). sshd_stop stops the server and removes
# the directory; it is safe to call twice.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# sshd__user: the login user, created when missing (as root).
sshd__user() {
	local u=triage-ssh home=/var/lib/triage-ssh
	if [ "$(id -u)" -ne 0 ]; then
		id -un
		return 0
	fi
	if ! id "$u" >/dev/null 2>&1; then
		useradd --system --home-dir "$home" --shell /bin/sh "$u" \
		    2>/dev/null || id "$u" >/dev/null 2>&1 || {
			echo "sshd.sh: cannot create the user $u" >&2
			return 1
		}
	fi
	# sshd refuses a locked account ("!") without PAM; "*" has no
	# password and is not locked.
	usermod -p '*' "$u" 2>/dev/null
	mkdir -p "$home" && chown "$u": "$home" && chmod 755 "$home" || {
		echo "sshd.sh: cannot make $home" >&2
		return 1
	}
	echo "$u"
}

# sshd__listening PORT: whether something accepts on 127.0.0.1:PORT.
sshd__listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sshd_start: see the top of the file. Returns non-zero, after saying why on
# stderr, when OpenSSH cannot be installed or sshd does not start.
sshd_start() {
	local try port pid i

	if [ -n "${SSHD_DIR:-}" ] && [ -f "$SSHD_DIR/sshd.pid" ]; then
		return 0
	fi
	if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null 2>&1 ||
	    ! command -v ssh-keygen >/dev/null 2>&1; then
		seeds_apt_install sshd.sh openssh-server openssh-client || return 1
	fi
	SSH_USER=$(sshd__user) || return 1
	SSHD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-sshd.XXXXXX") || return 1
	export SSHD_DIR
	# sshd reads authorized_keys as the login user.
	chmod 755 "$SSHD_DIR"
	SSHD_LOG=$SSHD_DIR/log
	SSH_KEY=$SSHD_DIR/client_key
	SSH_KNOWN_HOSTS=$SSHD_DIR/known_hosts
	if ! ssh-keygen -q -t ed25519 -N '' -C triage-test-host \
	    -f "$SSHD_DIR/host_key" >/dev/null 2>&1 ||
	    ! ssh-keygen -q -t ed25519 -N '' -C triage-test-client \
	    -f "$SSH_KEY" >/dev/null 2>&1; then
		echo "sshd.sh: ssh-keygen failed" >&2
		sshd_stop
		return 1
	fi
	cp "$SSH_KEY.pub" "$SSHD_DIR/authorized_keys"
	chmod 644 "$SSHD_DIR/authorized_keys"
	# sshd's privilege separation directory.
	[ -d /run/sshd ] || mkdir -p -m 755 /run/sshd 2>/dev/null
	for try in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$SSHD_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $SSH_USER
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
MaxStartups 100:30:200
EOF
		[ -n "${SSHD_SETENV:-}" ] &&
		    echo "SetEnv $SSHD_SETENV" >>"$SSHD_DIR/sshd_config"
		rm -f "$SSHD_DIR/sshd.pid"
		if /usr/sbin/sshd -f "$SSHD_DIR/sshd_config" \
		    -E "$SSHD_LOG" 2>>"$SSHD_DIR/start.err"; then
			for i in $(seq 100); do
				[ -s "$SSHD_DIR/sshd.pid" ] &&
				    sshd__listening "$port" && break
				sleep 0.05
			done
			if sshd__listening "$port"; then
				break
			fi
			pid=$(cat "$SSHD_DIR/sshd.pid" 2>/dev/null)
			[ -n "$pid" ] && kill "$pid" 2>/dev/null
		fi
		if [ "$try" = 5 ]; then
			echo "sshd.sh: sshd did not start:" >&2
			cat "$SSHD_DIR/start.err" "$SSHD_LOG" 2>/dev/null |
			    tail -20 | sed 's/^/  /' >&2
			sshd_stop
			return 1
		fi
	done
	SSHD_PORT=$port
	SSH_TARGET=$SSH_USER@127.0.0.1
	printf '[127.0.0.1]:%s %s\n' "$port" \
	    "$(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$SSH_KNOWN_HOSTS"
	export SSHD_PORT SSHD_LOG SSH_USER SSH_KEY SSH_KNOWN_HOSTS SSH_TARGET
	{
		echo "SSHD_DIR=$SSHD_DIR"
		echo "SSHD_PORT=$SSHD_PORT"
		echo "SSHD_LOG=$SSHD_LOG"
		echo "SSH_USER=$SSH_USER"
		echo "SSH_KEY=$SSH_KEY"
		echo "SSH_KNOWN_HOSTS=$SSH_KNOWN_HOSTS"
		echo "SSH_TARGET=$SSH_TARGET"
	} >"$SSHD_DIR/env"
}

# sshd_sessions: the number of SSH connections the server has accepted
# (one "Accepted publickey" line each; sessions multiplexed over one
# connection log none).
sshd_sessions() {
	grep -c 'Accepted publickey' "$SSHD_LOG" 2>/dev/null || true
}

# sshd_ssh ARGS...: the OpenSSH client against the test server, as a test
# would type it (strict host key checking against SSH_KNOWN_HOSTS).
sshd_ssh() {
	ssh -o BatchMode=yes -o StrictHostKeyChecking=yes \
	    -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o IdentitiesOnly=yes \
	    -i "$SSH_KEY" -p "$SSHD_PORT" "$SSH_TARGET" "$@"
}

# sshd_stop: stops the server (the listener; sessions end with their
# connections) and removes SSHD_DIR; a no-op when there is none.
sshd_stop() {
	if [ -z "${SSHD_DIR:-}" ] || [ ! -d "$SSHD_DIR" ]; then
		unset SSHD_DIR
		return 0
	fi
	seeds_stop_pid "$(cat "$SSHD_DIR/sshd.pid" 2>/dev/null)"
	case $SSHD_DIR in
	*/triage-sshd.*) rm -rf "$SSHD_DIR" ;;
	esac
	unset SSHD_DIR SSHD_PORT SSHD_LOG SSH_USER SSH_KEY SSH_KNOWN_HOSTS \
	    SSH_TARGET
	return 0
}
