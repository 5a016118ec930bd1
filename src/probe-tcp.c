/* SPDX-License-Identifier: MIT */
/* The `tcp` probe kind: can a TCP connection to host:port be opened? */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib-curl.h"
#include "net.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/xmalloc.h"

/* curl's own timeout is only a safety net behind the engine's. */
#define TCP_TIMEOUT_SLACK 1.0

struct tcp_conf {
	char *url;		/* http://host:port/, only connected to */
};

struct tcp_run {
	struct probe_run *run;
	struct net *net;
	CURL *easy;
	int connected;
};

static const struct field_spec tcp_fields[] = {
	{ "tcp", FIELD_STRING, FIELD_REQUIRED,
	    "HOST:PORT or [IPv6]:PORT to connect to" },
	{ NULL, FIELD_STRING, 0, NULL },
};

static int
tcp_prepare(struct probe *p, char **cause)
{
	const char *addr = probe_param_str(p, "tcp", NULL);
	struct net_hostport hp;
	struct tcp_conf *c;

	if (probe_need_lib(p, lib_curl_load, cause) != 0)
		return -1;
	p->err_field = "tcp";
	if (addr == NULL) {
		*cause = xstrdup("tcp needs HOST:PORT");
		return -1;
	}
	if (net_hostport_parse(&hp, addr, 0, cause) != 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->url = net_hostport_url("http", hp.host, hp.port);
	free(hp.host);
	p->err_field = NULL;
	p->priv = c;
	return 0;
}

static void
tcp_release(struct probe *p)
{
	struct tcp_conf *c = p->priv;

	if (c != NULL)
		free(c->url);
	free(c);
	p->priv = NULL;
}

static void
tcp_on_done(void *arg, CURLcode rc)
{
	struct tcp_run *tr = arg;
	char reason[CURL_ERROR_SIZE + 64];

	if (rc == CURLE_OK) {
		tr->connected = 1;
		probe_run_verdict(tr->run, STATE_OK, NULL);
	} else {
		probe_run_error(tr->run, "%s",
		    net_reason(tr->easy, rc, reason, sizeof(reason)));
	}
	probe_run_complete(tr->run);
}

static void
tcp_run_free(struct tcp_run *tr)
{
	net_easy_put(tr->net, tr->easy);
	free(tr);
}

static int
tcp_start(struct probe_run *run)
{
	const struct tcp_conf *c = run->probe->priv;
	struct tcp_run *tr = xcalloc(1, sizeof(*tr));
	double timeout = run->deadline > run->started ?
	    run->deadline - run->started : run->probe->timeout;
	char *cause = NULL;

	tr->run = run;
	tr->net = net_get(run->loop);
	/* curl resolves asynchronously, connects and stops: no request. */
	tr->easy = net_easy_connect_only(tr->net, c->url,
	    timeout + TCP_TIMEOUT_SLACK);
	if (net_add(tr->net, tr->easy, tcp_on_done, tr, &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
		tcp_run_free(tr);
		return -1;
	}
	run->priv = tr;
	return 0;
}

static void
tcp_cancel(struct probe_run *run)
{
	struct tcp_run *tr = run->priv;

	if (tr != NULL)
		net_remove(tr->net, tr->easy);
}

static void
tcp_finish(struct probe_run *run, json_t *out)
{
	struct tcp_run *tr = run->priv;

	if (tr == NULL)
		return;
	json_object_set_new(out, "connected", json_boolean(tr->connected));
	tcp_run_free(tr);
	run->priv = NULL;
}

/* nc: connect and close, waiting no longer than the probe would. */
static char *
tcp_manual(const struct probe *p)
{
	const char *addr = probe_param_str(p, "tcp", "");
	struct net_hostport hp;
	char *cause = NULL, *host, port[32];
	const char *colon;
	long wait = (long)ceil(p->timeout);
	struct buf b;

	if (net_hostport_parse(&hp, addr, 0, &cause) == 0) {
		host = hp.host;
		snprintf(port, sizeof(port), "%ld", hp.port);
	} else {
		/* Not valid (an unset variable, say): show it as written. */
		free(cause);
		colon = strrchr(addr, ':');
		host = colon != NULL ? xstrndup(addr, (size_t)(colon - addr)) :
		    xstrdup(addr);
		snprintf(port, sizeof(port), "%s",
		    colon != NULL ? colon + 1 : "");
	}
	buf_init(&b, 0);
	buf_printf(&b, "nc -vz -w %ld ", wait < 1 ? 1 : wait);
	shquote_append(&b, host);
	buf_putc(&b, ' ');
	shquote_append(&b, port);
	free(host);
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const tcp_results[] = {
	"connected", NULL,
};

const struct probe_kind probe_kind_tcp = {
	.name = "tcp",
	.alias = NULL,
	.fields = tcp_fields,
	.results = tcp_results,
	.flags = 0,
	.prepare = tcp_prepare,
	.release = tcp_release,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.finish = tcp_finish,
	.manual = tcp_manual,
};
