/* SPDX-License-Identifier: MIT */
/* Running on other hosts over the OpenSSH client: command lines, ssh argv,
 * the per-process control masters, and ssh's failure reasons. */
#include "remote.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/proc.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/*
 * The remote command line.
 *
 * The login shell runs `exec /bin/sh -c WRAPPER triage-run CWD NENV ENV...
 * ARGV...`, every word quoted for sh. Without a tty, sshd does not kill a
 * command when its channel closes: the command would outlive a probe's
 * timeout. So the wrapper runs the command in a session of its own
 * (setsid, where there is one) and a watcher that reads the channel's
 * stdin, which triage keeps open and never writes; at EOF (the ssh client
 * was killed, the connection dropped) the watcher kills the command's
 * process group. Whatever the command leaves in its group is killed when
 * it exits, as proc_kill does here.
 */
static const char remote_wrapper[] =
	"d=$1 n=$2; shift 2; "
	"while [ \"$n\" -gt 0 ]; do export \"$1\" || exit 126; shift; "
	"n=$((n - 1)); done; "
	"if [ -n \"$d\" ]; then cd -- \"$d\" || exit 126; fi; "
	"command -v \"$1\" >/dev/null 2>&1 || "
	"{ echo \"command not found: $1\" >&2; exit 127; }; "
	"exec 3<&0 </dev/null; g=; "
	"if command -v setsid >/dev/null 2>&1; then g=1; setsid \"$@\" 3<&- & "
	"else \"$@\" 3<&- & fi; p=$!; "
	"{ while read -r _ <&3; do :; done; "
	"kill -KILL -$p || kill -KILL $p; } >/dev/null 2>&1 & w=$!; "
	"exec 3<&-; wait $p 2>/dev/null; r=$?; kill $w 2>/dev/null; "
	"[ -z \"$g\" ] || kill -KILL -$p 2>/dev/null; exit $r";

/* The master's own session: one byte on stdout says the connection is up
 * (its control socket listens before the session opens); then it waits
 * for EOF on stdin, so that the master ends when we do, even if we die. */
static const char remote_master_command[] =
	"exec /bin/sh -c 'echo; while read -r _; do :; done' triage-mux";

char *
remote_command(char *const argv[], const char *cwd, char *const env[])
{
	struct buf b;
	size_t i, n = 0;

	buf_init(&b, 0);
	buf_puts(&b, "exec /bin/sh -c ");
	shquote_append(&b, remote_wrapper);
	buf_puts(&b, " triage-run ");
	shquote_append(&b, cwd != NULL ? cwd : "");
	for (i = 0; env != NULL && env[i] != NULL; i++)
		n++;
	buf_printf(&b, " %zu", n);
	for (i = 0; i < n; i++) {
		buf_putc(&b, ' ');
		shquote_append(&b, env[i]);
	}
	for (i = 0; argv[i] != NULL; i++) {
		buf_putc(&b, ' ');
		shquote_append(&b, argv[i]);
	}
	return buf_steal(&b);
}

/*
 * The ssh argv.
 */

struct strv {
	char **v;
	size_t n;
};

static void
strv_push(struct strv *a, char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void
strv_opt(struct strv *a, char *opt)
{
	strv_push(a, xstrdup("-o"));
	strv_push(a, opt);
}

/* A path for ssh, which expands %-tokens in file options: % as %%. */
static void
ssh_path_append(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			buf_putc(b, '%');
		buf_putc(b, *s);
	}
}

/* "Name=value" for -o, which ssh reads as a config line: a path with white
 * space or quotes goes in double quotes, " and \ escaped. */
static char *
ssh_opt_path(const char *name, const char *path)
{
	struct buf b, v;

	buf_init(&v, 0);
	ssh_path_append(&v, path);
	buf_init(&b, 0);
	buf_printf(&b, "%s=", name);
	if (strpbrk(buf_cstr(&v), " \t\"'\\") == NULL) {
		buf_puts(&b, buf_cstr(&v));
	} else {
		const char *s;

		buf_putc(&b, '"');
		for (s = buf_cstr(&v); *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *s);
		}
		buf_putc(&b, '"');
	}
	buf_dispose(&v);
	return buf_steal(&b);
}

char **
remote_ssh_argv(const struct host *h, enum remote_mode mode,
    const char *control, int connect_timeout, const char *command)
{
	struct strv a = { NULL, 0 };
	struct buf b;

	strv_push(&a, xstrdup("ssh"));
	/* No tty, whatever ~/.ssh/config says: the remote command must see
	 * pipes, and a probe never forwards anything. */
	strv_push(&a, xstrdup("-T"));
	strv_opt(&a, xstrdup("BatchMode=yes"));
	strv_opt(&a, xasprintf("ConnectTimeout=%d",
	    connect_timeout > 0 ? connect_timeout : 1));
	strv_opt(&a, xstrdup("StrictHostKeyChecking=yes"));
	/* Errors only: no banners or warnings in a command's stderr. */
	strv_opt(&a, xstrdup("LogLevel=ERROR"));
	strv_opt(&a, xstrdup("ClearAllForwardings=yes"));
	strv_opt(&a, xstrdup("ForwardAgent=no"));
	strv_opt(&a, xstrdup("ForwardX11=no"));
	strv_opt(&a, xstrdup("PermitLocalCommand=no"));
	if (h->known_hosts != NULL)
		strv_opt(&a, ssh_opt_path("UserKnownHostsFile",
		    h->known_hosts));
	if (h->identity != NULL) {
		strv_push(&a, xstrdup("-i"));
		buf_init(&b, 0);
		ssh_path_append(&b, h->identity);
		strv_push(&a, buf_steal(&b));
		strv_opt(&a, xstrdup("IdentitiesOnly=yes"));
	}
	switch (mode) {
	case REMOTE_DIRECT:
		strv_opt(&a, xstrdup("ControlMaster=no"));
		strv_opt(&a, xstrdup("ControlPath=none"));
		break;
	case REMOTE_CLIENT:
		strv_opt(&a, xstrdup("ControlMaster=no"));
		strv_opt(&a, ssh_opt_path("ControlPath", control));
		break;
	case REMOTE_MASTER:
		strv_opt(&a, xstrdup("ControlMaster=yes"));
		strv_opt(&a, ssh_opt_path("ControlPath", control));
		/* In the foreground, our child: ControlPersist would
		 * daemonize it out of our reach. */
		strv_opt(&a, xstrdup("ControlPersist=no"));
		/* A connection that died silently ends the master, and the
		 * next probe connects afresh. */
		strv_opt(&a, xstrdup("ServerAliveInterval=15"));
		strv_opt(&a, xstrdup("ServerAliveCountMax=3"));
		break;
	}
	if (h->port != 0) {
		strv_push(&a, xstrdup("-p"));
		strv_push(&a, xasprintf("%d", h->port));
	}
	strv_push(&a, xstrdup("--"));
	strv_push(&a, xstrdup(h->ssh));
	strv_push(&a, xstrdup(command));
	return a.v;
}

/*
 * What ssh's stderr means.
 */

#define REMOTE_REASON_MAX 200	/* characters of an ssh message */

/* Lines that only ssh itself prints (as a client that failed). */
static const char *const ssh_own_prefixes[] = {
	"ssh: ", "Host key verification failed", "Permission denied (",
	"mux_client", "muxclient", "Control socket", "ControlSocket",
	"kex_exchange_identification", "Connection closed by",
	"Connection reset by", "Connection timed out during banner",
	"Received disconnect from", "Disconnected from", "Bad ",
	"ssh_dispatch_run_fatal", "client_loop: ", "Timeout, server",
	"Load key", "Unable to negotiate", "no matching",
};

/* The canonical reason for a line of ssh's, or NULL. */
static char *
ssh_known_reason(const char *line)
{
	const char *p;
	size_t n;

	if (strstr(line, "Host key verification failed") != NULL ||
	    strstr(line, "REMOTE HOST IDENTIFICATION HAS CHANGED") != NULL)
		return xstrdup("ssh: host key mismatch");
	if ((p = strstr(line, "Permission denied (")) != NULL) {
		p += strlen("Permission denied (");
		n = strcspn(p, ")");
		return xasprintf("ssh: permission denied (%.*s)", (int)n, p);
	}
	if (strstr(line, "Connection refused") != NULL)
		return xstrdup("ssh: connection refused");
	if (strstr(line, "timed out") != NULL)
		return xstrdup("ssh: connection timed out");
	if (strstr(line, "Could not resolve hostname") != NULL)
		return xstrdup("ssh: could not resolve host");
	return NULL;
}

/* Whether line is a message of ssh's own, not the remote command's. */
static int
ssh_own_line(const char *line)
{
	const char *p;
	size_t i;

	for (i = 0; i < ARRAY_LEN(ssh_own_prefixes); i++) {
		if (str_has_prefix(line, ssh_own_prefixes[i]))
			return 1;
	}
	/* "deploy@10.0.0.5: Permission denied (publickey)." */
	p = strstr(line, ": Permission denied (");
	return p != NULL && memchr(line, ' ', (size_t)(p - line)) == NULL;
}

static char *
ssh_line_reason(const char *line)
{
	char *r = ssh_known_reason(line), *cut;

	if (r != NULL)
		return r;
	if (str_has_prefix(line, "ssh: "))
		line += strlen("ssh: ");
	cut = child_text_cut(line, REMOTE_REASON_MAX);
	r = xasprintf("ssh: %s", cut);
	free(cut);
	return r;
}

char *
remote_ssh_reason(const char *err, size_t n, int sure)
{
	char *text = child_text(err, n), *line, *next, *first = NULL;
	char *last = NULL, *r = NULL;

	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		str_trim(line);
		if (line[0] == '\0')
			continue;
		if (first == NULL)
			first = line;
		last = line;
		if (sure && r == NULL)
			r = ssh_known_reason(line);
	}
	if (r == NULL) {
		if (sure)
			r = first != NULL ? ssh_line_reason(first) :
			    xstrdup("ssh: the connection failed");
		else if (last != NULL && ssh_own_line(last))
			r = ssh_line_reason(last);
	}
	free(text);
	return r;
}

int
remote_mux_refused(const char *err, size_t n)
{
	static const char needle[] = "Session open refused";
	size_t k = sizeof(needle) - 1, i;

	for (i = 0; i + k <= n; i++) {
		if (memcmp(err + i, needle, k) == 0)
			return 1;
	}
	return 0;
}

/*
 * The control masters.
 */

enum session_state {
	SESSION_CLOSED,
	SESSION_QUEUED,		/* in its target's line */
	SESSION_READY,		/* holds a place; ready() is due or ran */
	SESSION_FAILED,		/* ready() is due with an error */
};

enum conn_state {
	CONN_DOWN,		/* no master */
	CONN_CONNECTING,	/* the master is being set up */
	CONN_UP,		/* the master listens at path */
};

#define REMOTE_ERR_MAX (16u * 1024u)	/* of a master's stderr */

/* One target (user@address, port, identity, known_hosts) and its master. */
struct remote_conn {
	struct host host;	/* copies of what reaches the target */
	char *path;		/* control socket; NULL: connect directly */
	enum conn_state state;
	struct proc master;	/* pid -1: none */
	struct loop *loop;	/* watching the master while it connects */
	int out_eof;		/* its stdout ended before it was up */
	struct buf err;		/* its stderr while it connects */
	size_t sessions;	/* SESSION_READY sessions */
	struct remote_session *head, *tail;	/* the line */
};

/* The process's connections, owned here: remote_shutdown() ends them. */
static struct {
	char *dir;		/* the private control directory, or NULL */
	int no_dir;		/* it could not be made: connect directly */
	struct remote_conn **conns;
	size_t nconns;
} remotes;

/* Room for a socket path: sun_path is 108 bytes, and ssh binds at the path
 * plus a 17-byte random suffix first. */
#define REMOTE_PATH_MAX 88

/* Makes the private control directory (0700), under $XDG_RUNTIME_DIR when
 * that is usable, else /tmp. NULL when neither works. */
static const char *
remote_dir(void)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char *tmpl;

	if (remotes.dir != NULL || remotes.no_dir)
		return remotes.dir;
	if (base == NULL || base[0] != '/' ||
	    strlen(base) > REMOTE_PATH_MAX - 32 ||
	    strpbrk(base, " \t\n\"'\\%") != NULL)
		base = "/tmp";
	tmpl = xasprintf("%s/triage-ssh.XXXXXX", base);
	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		tmpl = NULL;
		if (strcmp(base, "/tmp") != 0) {
			tmpl = xstrdup("/tmp/triage-ssh.XXXXXX");
			if (mkdtemp(tmpl) == NULL) {
				free(tmpl);
				tmpl = NULL;
			}
		}
	}
	remotes.dir = tmpl;
	remotes.no_dir = tmpl == NULL;
	return remotes.dir;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
master_reset(struct proc *m)
{
	memset(m, 0, sizeof(*m));
	m->pid = -1;
	m->pidfd = m->out_fd = m->err_fd = m->in_fd = -1;
	m->exit_code = -1;
}

/* The connection to h's target, made when there is none. */
static struct remote_conn *
conn_get(const struct host *h)
{
	struct remote_conn *c;
	const char *dir;
	size_t i;

	for (i = 0; i < remotes.nconns; i++) {
		c = remotes.conns[i];
		if (strcmp(c->host.ssh, h->ssh) == 0 &&
		    c->host.port == h->port &&
		    str_same(c->host.identity, h->identity) &&
		    str_same(c->host.known_hosts, h->known_hosts))
			return c;
	}
	c = xcalloc(1, sizeof(*c));
	c->host.name = xstrdup(h->name != NULL ? h->name : h->ssh);
	c->host.ssh = xstrdup(h->ssh);
	c->host.port = h->port;
	c->host.identity = xstrdup(h->identity);
	c->host.known_hosts = xstrdup(h->known_hosts);
	if ((dir = remote_dir()) != NULL)
		c->path = xasprintf("%s/m%zu", dir, remotes.nconns);
	master_reset(&c->master);
	buf_init(&c->err, REMOTE_ERR_MAX);
	remotes.conns = xreallocarray(remotes.conns, remotes.nconns + 1,
	    sizeof(*remotes.conns));
	remotes.conns[remotes.nconns++] = c;
	return c;
}

/* ConnectTimeout for a caller who gives up at deadline: ssh must give up
 * first, so that the reason is ssh's ("ssh: connection timed out"). */
static int
connect_timeout(double deadline)
{
	double left;

	if (deadline <= 0)
		return 10;
	left = deadline - time_mono();
	if (left < 2)
		return 1;
	return left > 61 ? 60 : (int)left - 1;
}

static void
conn_unwatch(struct remote_conn *c)
{
	if (c->loop == NULL)
		return;
	if (c->master.out_fd >= 0)
		loop_io_del(c->loop, c->master.out_fd);
	if (c->master.err_fd >= 0)
		loop_io_del(c->loop, c->master.err_fd);
	if (c->master.pidfd >= 0)
		loop_io_del(c->loop, c->master.pidfd);
	c->loop = NULL;
}

/* Kills and reaps the master, if any; the target is down. */
static void
conn_stop_master(struct remote_conn *c)
{
	conn_unwatch(c);
	if (c->master.pid >= 0) {
		proc_kill(&c->master);
		proc_close(&c->master);
		master_reset(&c->master);
	}
	if (c->path != NULL)
		unlink(c->path);
	c->state = CONN_DOWN;
	c->out_eof = 0;
	buf_reset(&c->err);
}

/* Arms s's timer: ready() runs from the loop. */
static void
session_due(struct remote_session *s)
{
	loop_timer_after(s->loop, &s->timer, 0);
}

static struct remote_session *
conn_pop(struct remote_conn *c)
{
	struct remote_session *s = c->head;

	c->head = s->next;
	if (c->head == NULL)
		c->tail = NULL;
	s->next = NULL;
	return s;
}

/* The master could not be set up: everyone in line gets reason. */
static void
conn_fail(struct remote_conn *c, const char *reason)
{
	struct remote_session *s;

	while (c->head != NULL) {
		s = conn_pop(c);
		s->state = SESSION_FAILED;
		s->error = xstrdup(reason);
		session_due(s);
	}
	conn_stop_master(c);
}

static void conn_pump(struct remote_conn *c);

/* Reads what the master wrote on stderr so far. 1 at EOF. */
static int
master_drain_err(struct remote_conn *c)
{
	char chunk[4096];
	ssize_t n;

	if (c->master.err_fd < 0)
		return 1;
	for (;;) {
		n = read(c->master.err_fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_append(&c->err, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
	}
}

/* The master exited before it was up: say why. */
static void
master_failed(struct remote_conn *c)
{
	char *reason;

	master_drain_err(c);
	reason = remote_ssh_reason(buf_cstr(&c->err), c->err.len, 1);
	conn_fail(c, reason);
	free(reason);
}

static void
master_on_out(void *arg, int fd, unsigned events)
{
	struct remote_conn *c = arg;
	char chunk[256];
	ssize_t n;

	(void)events;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n > 0) {
		/* Up: from now on nobody watches it; pump() looks at its
		 * pid before each use, and remote_shutdown() ends it. */
		conn_unwatch(c);
		c->state = CONN_UP;
		buf_reset(&c->err);
		conn_pump(c);
		return;
	}
	/* It is going away: its exit says why. */
	loop_io_del(c->loop, fd);
	c->out_eof = 1;
}

static void
master_on_err(void *arg, int fd, unsigned events)
{
	struct remote_conn *c = arg;

	(void)events;
	if (master_drain_err(c))
		loop_io_del(c->loop, fd);
}

static void
master_on_exit(void *arg, int fd, unsigned events)
{
	struct remote_conn *c = arg;

	(void)fd;
	(void)events;
	master_failed(c);
}

/* Starts the master for the first in line. */
static void
conn_connect(struct remote_conn *c)
{
	struct proc_opts o = { .stdin_pipe = 1 };
	struct remote_session *first = c->head;
	char **argv, *cause = NULL;

	argv = remote_ssh_argv(&c->host, REMOTE_MASTER, c->path,
	    connect_timeout(first->deadline), remote_master_command);
	/* A socket left by a master that was killed would make the new one
	 * give up multiplexing. */
	unlink(c->path);
	buf_reset(&c->err);
	c->out_eof = 0;
	if (proc_spawn(&c->master, argv, &o, &cause) != 0) {
		strv_free(argv);
		master_reset(&c->master);
		conn_fail(c, cause);
		free(cause);
		return;
	}
	strv_free(argv);
	c->state = CONN_CONNECTING;
	c->loop = first->loop;
	if (loop_io_add(c->loop, c->master.out_fd, LOOP_READ, master_on_out,
	    c) != 0 || loop_io_add(c->loop, c->master.err_fd, LOOP_READ,
	    master_on_err, c) != 0 || loop_io_add(c->loop, c->master.pidfd,
	    LOOP_READ, master_on_exit, c) != 0) {
		cause = xasprintf("cannot watch ssh: %s", strerror(errno));
		conn_fail(c, cause);
		free(cause);
	}
}

/* Moves the line along: (re)connects when someone waits and there is no
 * master, and hands out free places once it is up. */
static void
conn_pump(struct remote_conn *c)
{
	struct remote_session *s;

	/* A master that went away (its connection dropped) is replaced. */
	if (c->state == CONN_UP && proc_poll(&c->master) != 0)
		conn_stop_master(c);
	if (c->state == CONN_DOWN && c->head != NULL && c->path != NULL)
		conn_connect(c);
	if (c->state != CONN_UP && c->path != NULL)
		return;
	while (c->head != NULL && c->sessions < REMOTE_SESSIONS_MAX) {
		s = conn_pop(c);
		s->state = SESSION_READY;
		c->sessions++;
		session_due(s);
	}
}

static void
session_on_timer(void *arg)
{
	struct remote_session *s = arg;
	remote_ready_fn ready = s->ready;
	void *ready_arg = s->arg;
	char *error = s->error;

	/* ready() may close s and free it. */
	s->error = NULL;
	ready(ready_arg, error);
	free(error);
}

void
remote_session_open(struct remote_session *s, const struct host *h,
    struct loop *l, double deadline, remote_ready_fn ready, void *arg)
{
	struct remote_conn *c = conn_get(h);

	memset(s, 0, sizeof(*s));
	s->conn = c;
	s->loop = l;
	s->ready = ready;
	s->arg = arg;
	s->deadline = deadline;
	loop_timer_init(&s->timer, session_on_timer, s);
	s->state = SESSION_QUEUED;
	if (c->tail != NULL)
		c->tail->next = s;
	else
		c->head = s;
	c->tail = s;
	conn_pump(c);
}

char **
remote_session_argv(const struct remote_session *s, int direct,
    const char *command)
{
	const struct remote_conn *c = s->conn;

	return remote_ssh_argv(&c->host, direct || c->path == NULL ?
	    REMOTE_DIRECT : REMOTE_CLIENT, c->path,
	    connect_timeout(s->deadline), command);
}

void
remote_session_close(struct remote_session *s)
{
	struct remote_conn *c = s->conn;
	struct remote_session **pp, *prev = NULL;

	if (c == NULL)
		return;
	loop_timer_stop(s->loop, &s->timer);
	if (s->state == SESSION_QUEUED) {
		for (pp = &c->head; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				if (c->tail == s)
					c->tail = prev;
				break;
			}
			prev = *pp;
		}
	} else if (s->state == SESSION_READY && c->sessions > 0) {
		c->sessions--;
	}
	free(s->error);
	s->error = NULL;
	s->next = NULL;
	s->conn = NULL;
	s->state = SESSION_CLOSED;
	/* Nobody waits for the connection any more, and the loop that
	 * watches it may be about to go. */
	if (c->state == CONN_CONNECTING && c->head == NULL)
		conn_stop_master(c);
	else
		conn_pump(c);
}

size_t
remote_masters(void)
{
	size_t i, n = 0;

	for (i = 0; i < remotes.nconns; i++) {
		if (remotes.conns[i]->master.pid >= 0 &&
		    proc_poll(&remotes.conns[i]->master) == 0)
			n++;
	}
	return n;
}

/* Asks the master to go (EOF on its session, SIGTERM) and gives it a
 * second before proc_kill. */
static void
master_stop(struct remote_conn *c)
{
	double end = time_mono() + 1.0, left;
	struct pollfd pfd;

	if (c->master.pid < 0)
		return;
	conn_unwatch(c);
	if (c->master.in_fd >= 0) {
		close(c->master.in_fd);
		c->master.in_fd = -1;
	}
	if (proc_poll(&c->master) == 0) {
		kill(-c->master.pid, SIGTERM);
		while (c->master.pidfd >= 0 && proc_poll(&c->master) == 0 &&
		    (left = end - time_mono()) > 0) {
			pfd.fd = c->master.pidfd;
			pfd.events = POLLIN;
			poll(&pfd, 1, (int)(left * 1000) + 1);
		}
	}
	conn_stop_master(c);
}

void
remote_shutdown(void)
{
	struct remote_conn *c;
	size_t i;

	for (i = 0; i < remotes.nconns; i++) {
		c = remotes.conns[i];
		master_stop(c);
		buf_dispose(&c->err);
		free(c->path);
		free(c->host.name);
		free(c->host.ssh);
		free(c->host.identity);
		free(c->host.known_hosts);
		free(c);
	}
	free(remotes.conns);
	if (remotes.dir != NULL)
		rmdir(remotes.dir);
	free(remotes.dir);
	memset(&remotes, 0, sizeof(remotes));
}
