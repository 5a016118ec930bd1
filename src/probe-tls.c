/* SPDX-License-Identifier: MIT */
/* The `tls` probe kind: a TLS handshake that reads the server's leaf
 * certificate (subject, issuer, validity) without trusting or judging the
 * chain, so expired and self-signed certificates are still read. */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib-curl.h"
#include "net.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define TLS_DEFAULT_PORT 443L
#define TLS_WARN_DAYS 14.0
/* curl's own timeout is only a safety net behind the engine's. */
#define TLS_TIMEOUT_SLACK 1.0

struct tls_conf {
	char *url;		/* https://name:port/ */
	struct curl_slist *connect_to;	/* name:port:host:port, or NULL */
};

struct tls_run {
	struct probe_run *run;
	struct net *net;
	CURL *easy;
	int have_cert;
	char *subject;
	char *issuer;
	double not_before;
	double not_after;
	double days_left;
};

static const struct field_spec tls_fields[] = {
	{ "tls", FIELD_STRING, FIELD_REQUIRED,
	    "HOST[:PORT] to handshake with (port 443 by default)" },
	{ "servername", FIELD_STRING, 0,
	    "the name sent as SNI, when it is not HOST" },
	{ NULL, FIELD_STRING, 0, NULL },
};

static void
tls_conf_free(struct tls_conf *c)
{
	if (c == NULL)
		return;
	free(c->url);
	sym_curl_slist_free_all(c->connect_to);
	free(c);
}

static int
tls_prepare(struct probe *p, char **cause)
{
	const char *addr = probe_param_str(p, "tls", NULL);
	const char *sni = probe_param_str(p, "servername", NULL);
	struct net_hostport hp;
	struct tls_conf *c;
	char *line;

	if (probe_need_lib(p, lib_curl_load, cause) != 0)
		return -1;
	p->err_field = "tls";
	if (addr == NULL) {
		*cause = xstrdup("tls needs HOST[:PORT]");
		return -1;
	}
	if (net_hostport_parse(&hp, addr, TLS_DEFAULT_PORT, cause) != 0)
		return -1;
	if (sni != NULL && (*sni == '\0' ||
	    strpbrk(sni, ":/[]@?# \t") != NULL)) {
		*cause = xasprintf("servername \"%s\" is not a host name",
		    sni);
		p->err_field = "servername";
		free(hp.host);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	if (sni == NULL) {
		c->url = net_hostport_url("https", hp.host, hp.port);
	} else {
		/* Ask for the name (SNI, Host) but connect to the address. */
		c->url = net_hostport_url("https", sni, hp.port);
		line = xasprintf(hp.v6 ? "%s:%ld:[%s]:%ld" : "%s:%ld:%s:%ld",
		    sni, hp.port, hp.host, hp.port);
		c->connect_to = sym_curl_slist_append(NULL, line);
		free(line);
		if (c->connect_to == NULL) {
			*cause = xstrdup("out of memory");
			free(hp.host);
			tls_conf_free(c);
			return -1;
		}
	}
	free(hp.host);
	p->err_field = NULL;
	p->priv = c;
	return 0;
}

static void
tls_release(struct probe *p)
{
	tls_conf_free(p->priv);
	p->priv = NULL;
}

/* tls_parse_date: OpenSSL's "Nov 23 16:31:00 2026 GMT" (maybe with a
 * fraction of a second) or "2026-11-23 16:31:00 GMT" (curl's own ASN.1
 * code) -> epoch seconds. */
static int
tls_parse_date(const char *s, double *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	char mon[4];
	int day, hour, min, sec, year, mo, n = 0;
	const char *p, *m;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (isdigit((unsigned char)*s)) {
		if (sscanf(s, "%d-%d-%d %d:%d:%d", &year, &mo, &day, &hour,
		    &min, &sec) != 6)
			return -1;
	} else {
		if (sscanf(s, "%3s %d %d:%d:%d%n", mon, &day, &hour, &min,
		    &sec, &n) != 5 || strlen(mon) != 3)
			return -1;
		m = strstr(months, mon);
		if (m == NULL || (m - months) % 3 != 0)
			return -1;
		mo = (int)((m - months) / 3) + 1;
		p = s + n;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (sscanf(p, " %d", &year) != 1)
			return -1;
	}
	if (mo < 1 || mo > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60 || year < 1950)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)t;
	return 0;
}

/* tls_dn_clean: OpenSSL's one-line "CN = a, O = b" as "CN=a, O=b"; quoted
 * values are left alone. Heap. */
static char *
tls_dn_clean(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	int quoted = 0;

	while (*s != '\0') {
		if (*s == '"' && (o == out || o[-1] != '\\'))
			quoted = !quoted;
		if (!quoted && strncmp(s, " = ", 3) == 0) {
			*o++ = '=';
			s += 3;
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* tls_read_cert: the leaf certificate's fields from curl's certinfo; -1
 * with *cause when there is none or its dates do not parse. */
static int
tls_read_cert(struct tls_run *tr, char **cause)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;
	int have_start = 0, have_end = 0;

	if (sym_curl_easy_getinfo(tr->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1) {
		*cause = xstrdup("tls_error: the server sent no certificate");
		return -1;
	}
	for (s = ci->certinfo[0]; s != NULL; s = s->next) {
		const char *d = s->data;

		if (str_has_prefix(d, "Subject:") && tr->subject == NULL)
			tr->subject = tls_dn_clean(d + 8);
		else if (str_has_prefix(d, "Issuer:") && tr->issuer == NULL)
			tr->issuer = tls_dn_clean(d + 7);
		else if (str_has_prefix(d, "Start date:"))
			have_start = tls_parse_date(d + 11,
			    &tr->not_before) == 0;
		else if (str_has_prefix(d, "Expire date:"))
			have_end = tls_parse_date(d + 12, &tr->not_after) == 0;
	}
	if (!have_start || !have_end) {
		*cause = xstrdup("tls_error: cannot read the certificate's "
		    "validity dates");
		return -1;
	}
	tr->have_cert = 1;
	return 0;
}

/* tls_span: days as "5 days", "1 day", "7 hours", "12 minutes" or "under
 * a minute". */
static void
tls_span(double days, char *out, size_t n)
{
	long v;
	const char *unit;

	if (days >= 1.0) {
		v = lround(days);
		unit = "day";
	} else if (days * 24.0 >= 1.0) {
		v = lround(days * 24.0);
		unit = "hour";
	} else if (days * 24.0 * 60.0 >= 1.0) {
		v = lround(days * 24.0 * 60.0);
		unit = "minute";
	} else {
		snprintf(out, n, "under a minute");
		return;
	}
	snprintf(out, n, "%ld %s%s", v, unit, v == 1 ? "" : "s");
}

static void
tls_on_done(void *arg, CURLcode rc)
{
	struct tls_run *tr = arg;
	struct probe_run *run = tr->run;
	char reason[CURL_ERROR_SIZE + 64], span[64];
	char *cause = NULL;

	if (rc != CURLE_OK) {
		probe_run_error(run, "%s",
		    net_reason(tr->easy, rc, reason, sizeof(reason)));
	} else if (tls_read_cert(tr, &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
	} else {
		tr->days_left = (tr->not_after - time_now()) / 86400.0;
		if (tr->days_left > TLS_WARN_DAYS) {
			probe_run_verdict(run, STATE_OK, NULL);
		} else if (tr->days_left > 0) {
			tls_span(tr->days_left, span, sizeof(span));
			probe_run_verdict(run, STATE_WARNING,
			    "certificate expires in %s", span);
		} else {
			tls_span(-tr->days_left, span, sizeof(span));
			probe_run_verdict(run, STATE_CRITICAL,
			    "certificate expired %s ago", span);
		}
	}
	probe_run_complete(run);
}

static void
tls_run_free(struct tls_run *tr)
{
	net_easy_put(tr->net, tr->easy);
	free(tr->subject);
	free(tr->issuer);
	free(tr);
}

static int
tls_start(struct probe_run *run)
{
	const struct tls_conf *c = run->probe->priv;
	struct tls_run *tr = xcalloc(1, sizeof(*tr));
	double timeout = run->deadline > run->started ?
	    run->deadline - run->started : run->probe->timeout;
	char *cause = NULL;
	CURL *e;

	tr->run = run;
	tr->net = net_get(run->loop);
	/* Handshake and stop. Verification is off so that a bad certificate
	 * is still read: judging it is this probe's job. */
	e = tr->easy = net_easy_connect_only(tr->net, c->url,
	    timeout + TLS_TIMEOUT_SLACK);
	sym_curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	sym_curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	if (c->connect_to != NULL)
		sym_curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	if (net_add(tr->net, e, tls_on_done, tr, &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
		tls_run_free(tr);
		return -1;
	}
	run->priv = tr;
	return 0;
}

static void
tls_cancel(struct probe_run *run)
{
	struct tls_run *tr = run->priv;

	if (tr != NULL)
		net_remove(tr->net, tr->easy);
}

static void
tls_finish(struct probe_run *run, json_t *out)
{
	struct tls_run *tr = run->priv;
	char iso[64];

	if (tr == NULL)
		return;
	if (tr->have_cert) {
		json_object_set_new(out, "days_left",
		    json_real(tr->days_left));
		if (tr->subject != NULL)
			json_object_set_new(out, "subject",
			    json_string(tr->subject));
		if (tr->issuer != NULL)
			json_object_set_new(out, "issuer",
			    json_string(tr->issuer));
		time_format_iso8601(tr->not_before, 0, iso, sizeof(iso));
		json_object_set_new(out, "not_before", json_string(iso));
		time_format_iso8601(tr->not_after, 0, iso, sizeof(iso));
		json_object_set_new(out, "not_after", json_string(iso));
	}
	tls_run_free(tr);
	run->priv = NULL;
}

/* openssl: the same handshake, then the certificate's names and dates. */
static char *
tls_manual(const struct probe *p)
{
	const char *addr = probe_param_str(p, "tls", "");
	const char *sni = probe_param_str(p, "servername", NULL);
	struct net_hostport hp;
	unsigned char ip[16];
	char *cause = NULL, *target;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "openssl s_client -connect ");
	if (net_hostport_parse(&hp, addr, TLS_DEFAULT_PORT, &cause) == 0) {
		target = xasprintf(hp.v6 ? "[%s]:%ld" : "%s:%ld", hp.host,
		    hp.port);
		shquote_append(&b, target);
		free(target);
		/* Like curl, send no SNI for an address. */
		if (sni == NULL && !hp.v6 &&
		    inet_pton(AF_INET, hp.host, ip) != 1)
			sni = hp.host;
		if (sni != NULL) {
			buf_puts(&b, " -servername ");
			shquote_append(&b, sni);
		}
		free(hp.host);
	} else {
		free(cause);
		shquote_append(&b, addr);
		if (sni != NULL) {
			buf_puts(&b, " -servername ");
			shquote_append(&b, sni);
		}
	}
	buf_puts(&b, " </dev/null 2>/dev/null | openssl x509 -noout "
	    "-subject -issuer -dates");
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const tls_results[] = {
	"days_left", "subject", "issuer", "not_before", "not_after", NULL,
};

const struct probe_kind probe_kind_tls = {
	.name = "tls",
	.alias = NULL,
	.fields = tls_fields,
	.results = tls_results,
	.flags = 0,
	.prepare = tls_prepare,
	.release = tls_release,
	.start = tls_start,
	.cancel = tls_cancel,
	.finish = tls_finish,
	.manual = tls_manual,
};
