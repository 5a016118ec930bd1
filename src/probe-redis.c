/* SPDX-License-Identifier: MIT */
/* The `redis` probe kind: one command through hiredis's async API, on the
 * engine's own event loop. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "lib-curl.h"
#include "net.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

#define REDIS_DEFAULT_PORT 6379
#define REDIS_REASON_MAX 200	/* bytes of an error reply in a reason */
#define REDIS_REPLY_CAP (64u * 1024u * 1024u)	/* max_reply at most */
#define REDIS_READ_CHUNK (16u * 1024u)	/* hiredis reads this at a time */
/* curl's own timeout for the name lookup is a safety net behind the
 * engine's. */
#define REDIS_LOOKUP_SLACK 1.0

/* A command that probes and evidence may run. subs, when not NULL, lists
 * the subcommands (the second word) that are read-only, and the others are
 * refused: CONFIG GET reads, CONFIG SET writes. */
struct redis_readonly {
	const char *name;
	const char *const *subs;
};

static const char *const subs_acl[] = { "WHOAMI", NULL };
static const char *const subs_client[] = {
	"GETNAME", "ID", "INFO", "LIST", NULL,
};
static const char *const subs_cluster[] = {
	"COUNTKEYSINSLOT", "INFO", "KEYSLOT", "MYID", "NODES", "SHARDS",
	"SLOTS", NULL,
};
static const char *const subs_command[] = {
	"COUNT", "DOCS", "GETKEYS", "INFO", "LIST", NULL,
};
static const char *const subs_config[] = { "GET", NULL };
static const char *const subs_function[] = { "LIST", "STATS", NULL };
static const char *const subs_latency[] = {
	"DOCTOR", "HISTOGRAM", "HISTORY", "LATEST", NULL,
};
static const char *const subs_memory[] = {
	"DOCTOR", "MALLOC-STATS", "STATS", "USAGE", NULL,
};
static const char *const subs_object[] = {
	"ENCODING", "FREQ", "IDLETIME", "REFCOUNT", NULL,
};
static const char *const subs_pubsub[] = {
	"CHANNELS", "NUMPAT", "NUMSUB", "SHARDCHANNELS", "SHARDNUMSUB", NULL,
};
static const char *const subs_slowlog[] = { "GET", "LEN", NULL };
static const char *const subs_xinfo[] = {
	"CONSUMERS", "GROUPS", "STREAM", NULL,
};

/* Every command the server itself would run on a read-only replica, minus
 * those that change state anyway (PFCOUNT rewrites its cache, TOUCH the
 * access time), block the server (KEYS), or take the connection over
 * (SUBSCRIBE, MONITOR). The scripting _RO variants are enforced read-only
 * by the server. In alphabetical order, for the reader. */
static const struct redis_readonly redis_readonly[] = {
	{ "ACL", subs_acl },
	{ "BITCOUNT", NULL },
	{ "BITFIELD_RO", NULL },
	{ "BITPOS", NULL },
	{ "CLIENT", subs_client },
	{ "CLUSTER", subs_cluster },
	{ "COMMAND", subs_command },
	{ "CONFIG", subs_config },
	{ "DBSIZE", NULL },
	{ "ECHO", NULL },
	{ "EVALSHA_RO", NULL },
	{ "EVAL_RO", NULL },
	{ "EXISTS", NULL },
	{ "EXPIRETIME", NULL },
	{ "FCALL_RO", NULL },
	{ "FUNCTION", subs_function },
	{ "GEODIST", NULL },
	{ "GEOHASH", NULL },
	{ "GEOPOS", NULL },
	{ "GEORADIUSBYMEMBER_RO", NULL },
	{ "GEORADIUS_RO", NULL },
	{ "GEOSEARCH", NULL },
	{ "GET", NULL },
	{ "GETBIT", NULL },
	{ "GETRANGE", NULL },
	{ "HEXISTS", NULL },
	{ "HGET", NULL },
	{ "HGETALL", NULL },
	{ "HKEYS", NULL },
	{ "HLEN", NULL },
	{ "HMGET", NULL },
	{ "HRANDFIELD", NULL },
	{ "HSCAN", NULL },
	{ "HSTRLEN", NULL },
	{ "HVALS", NULL },
	{ "INFO", NULL },
	{ "LASTSAVE", NULL },
	{ "LATENCY", subs_latency },
	{ "LCS", NULL },
	{ "LINDEX", NULL },
	{ "LLEN", NULL },
	{ "LPOS", NULL },
	{ "LRANGE", NULL },
	{ "MEMORY", subs_memory },
	{ "MGET", NULL },
	{ "OBJECT", subs_object },
	{ "PEXPIRETIME", NULL },
	{ "PING", NULL },
	{ "PTTL", NULL },
	{ "PUBSUB", subs_pubsub },
	{ "RANDOMKEY", NULL },
	{ "ROLE", NULL },
	{ "SCAN", NULL },
	{ "SCARD", NULL },
	{ "SDIFF", NULL },
	{ "SINTER", NULL },
	{ "SINTERCARD", NULL },
	{ "SISMEMBER", NULL },
	{ "SLOWLOG", subs_slowlog },
	{ "SMEMBERS", NULL },
	{ "SMISMEMBER", NULL },
	{ "SORT_RO", NULL },
	{ "SRANDMEMBER", NULL },
	{ "SSCAN", NULL },
	{ "STRLEN", NULL },
	{ "SUBSTR", NULL },
	{ "SUNION", NULL },
	{ "TIME", NULL },
	{ "TTL", NULL },
	{ "TYPE", NULL },
	{ "XINFO", subs_xinfo },
	{ "XLEN", NULL },
	{ "XPENDING", NULL },
	{ "XRANGE", NULL },
	{ "XREAD", NULL },
	{ "XREVRANGE", NULL },
	{ "ZCARD", NULL },
	{ "ZCOUNT", NULL },
	{ "ZDIFF", NULL },
	{ "ZINTER", NULL },
	{ "ZINTERCARD", NULL },
	{ "ZLEXCOUNT", NULL },
	{ "ZMSCORE", NULL },
	{ "ZRANDMEMBER", NULL },
	{ "ZRANGE", NULL },
	{ "ZRANGEBYLEX", NULL },
	{ "ZRANGEBYSCORE", NULL },
	{ "ZRANK", NULL },
	{ "ZREVRANGE", NULL },
	{ "ZREVRANGEBYLEX", NULL },
	{ "ZREVRANGEBYSCORE", NULL },
	{ "ZREVRANK", NULL },
	{ "ZSCAN", NULL },
	{ "ZSCORE", NULL },
	{ "ZUNION", NULL },
};

/* Commands known to write, named as such in the refusal; anything else
 * not in the list above is "not known to be read-only". */
static const char *const redis_writes[] = {
	"APPEND", "BITFIELD", "BITOP", "BLMOVE", "BLMPOP", "BLPOP", "BRPOP",
	"BRPOPLPUSH", "BZMPOP", "BZPOPMAX", "BZPOPMIN", "COPY", "DECR",
	"DECRBY", "DEL", "EVAL", "EVALSHA", "EXPIRE", "EXPIREAT", "FCALL",
	"FLUSHALL", "FLUSHDB", "GEOADD", "GEORADIUS", "GEORADIUSBYMEMBER",
	"GEOSEARCHSTORE", "GETDEL", "GETEX", "GETSET", "HDEL", "HINCRBY",
	"HINCRBYFLOAT", "HMSET", "HSET", "HSETNX", "INCR", "INCRBY",
	"INCRBYFLOAT", "LINSERT", "LMOVE", "LMPOP", "LPOP", "LPUSH", "LPUSHX",
	"LREM", "LSET", "LTRIM", "MIGRATE", "MOVE", "MSET", "MSETNX",
	"PERSIST", "PEXPIRE", "PEXPIREAT", "PFADD", "PFCOUNT", "PFMERGE",
	"PSETEX", "PUBLISH", "RENAME", "RENAMENX", "RESTORE", "RPOP",
	"RPOPLPUSH", "RPUSH", "RPUSHX", "SADD", "SDIFFSTORE", "SET", "SETBIT",
	"SETEX", "SETNX", "SETRANGE", "SINTERSTORE", "SMOVE", "SORT", "SPOP",
	"SPUBLISH", "SREM", "SUNIONSTORE", "SWAPDB", "TOUCH", "UNLINK", "XACK",
	"XADD", "XAUTOCLAIM", "XCLAIM", "XDEL", "XGROUP", "XREADGROUP",
	"XSETID", "XTRIM", "ZADD", "ZDIFFSTORE", "ZINCRBY", "ZINTERSTORE",
	"ZMPOP", "ZPOPMAX", "ZPOPMIN", "ZRANGESTORE", "ZREM", "ZREMRANGEBYLEX",
	"ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZUNIONSTORE", NULL,
};

static const struct field_spec redis_fields[] = {
	{ "redis", FIELD_STRING, FIELD_REQUIRED,
	    "redis://[USER@]HOST[:PORT][/DB] or unix:///PATH" },
	{ "command", FIELD_ARGV, FIELD_REQUIRED | FIELD_LITERAL_HEAD,
	    "the command and its arguments, e.g. [GET, \"key\"]" },
	{ "password", FIELD_STRING, 0,
	    "\"{{env.NAME}}\", NAME listed under secrets:" },
	{ "db", FIELD_INT, 0, "the database number (SELECT)" },
	{ "max_reply", FIELD_SIZE, 0,
	    "the largest reply read (default 1MiB)" },
	{ NULL, 0, 0, NULL },
};

struct redis_conf {
	char *host;		/* NULL for a unix socket */
	long port;
	int literal;		/* host is an IP address: no lookup */
	char *lookup_url;	/* http://host:port/ for the lookup */
	char *path;		/* the unix socket */
	char *user;		/* NULL: the default user */
	char *password;		/* NULL: no AUTH */
	long db;		/* -1: no SELECT */
	int argc;
	char **argv;
	size_t *argvlen;
	size_t max_reply;
};

struct redis_run {
	struct probe_run *run;
	const struct redis_conf *conf;
	redisAsyncContext *ac;	/* NULL once hiredis has freed it */
	int fd;
	unsigned want;		/* the events hiredis asks for */
	unsigned watched;	/* the events the loop watches */
	struct net *net;
	CURL *easy;		/* the name lookup, while it runs */
	size_t nread;		/* bytes of replies read, about */
	int setup;		/* AUTH and SELECT replies still awaited */
	int done;		/* the outcome is known; later replies (and
				 * NULL ones, as hiredis frees) are ignored */
	int signalled;		/* probe_run_complete was called */
	json_t *reply;		/* NULL: no reply (or an error reply) */
	json_t *text;		/* the reply as redis-cli prints it */
};

/*
 * Load time.
 */

static const struct redis_readonly *
readonly_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(redis_readonly); i++) {
		if (strcasecmp(name, redis_readonly[i].name) == 0)
			return &redis_readonly[i];
	}
	return NULL;
}

static int
word_listed(const char *const *list, const char *w)
{
	for (; *list != NULL; list++) {
		if (strcasecmp(*list, w) == 0)
			return 1;
	}
	return 0;
}

/* 0 when argv is a read-only command, else -1 with *cause naming it. */
static int
redis_check_readonly(const struct redis_conf *c, char **cause)
{
	static const char rule[] = "only read-only commands are allowed in "
	    "probes and evidence (fix steps may write)";
	const struct redis_readonly *ro = readonly_find(c->argv[0]);
	const char *sub = c->argc > 1 ? c->argv[1] : NULL;
	char *name = xstrdup(c->argv[0]);
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)toupper((unsigned char)name[i]);
	if (ro != NULL && (ro->subs == NULL ||
	    (sub != NULL && word_listed(ro->subs, sub)))) {
		free(name);
		return 0;
	}
	if (ro != NULL && sub != NULL)
		*cause = xasprintf("%s %s is not a read-only subcommand; %s",
		    name, sub, rule);
	else if (ro != NULL)
		*cause = xasprintf("%s needs a read-only subcommand (%s, ...); "
		    "%s", name, ro->subs[0], rule);
	else if (strcmp(name, "KEYS") == 0)
		*cause = xasprintf("KEYS blocks the server while it walks "
		    "every key: use SCAN; %s", rule);
	else if (strcmp(name, "AUTH") == 0 || strcmp(name, "SELECT") == 0)
		*cause = xasprintf("%s is done for you: give %s", name,
		    name[0] == 'A' ? "password: \"{{env.NAME}}\"" : "db: N");
	else if (word_listed(redis_writes, name))
		*cause = xasprintf("%s writes; %s", name, rule);
	else
		*cause = xasprintf("%s is not known to be read-only; %s", name,
		    rule);
	free(name);
	return -1;
}

/* Fills c from url: redis://[USER@]HOST[:PORT][/DB] or unix:///PATH. The
 * URL is never quoted back: it may hold a templated secret. */
static int
redis_url_parse(struct redis_conf *c, const char *url, char **cause)
{
	static const char expected[] = "expected redis://[USER@]HOST[:PORT]"
	    "[/DB] or unix:///PATH";
	struct net_hostport hp;
	const char *rest, *slash, *at;
	char *auth, *hostport;
	unsigned char addr[sizeof(struct in6_addr)];
	long db;

	if (str_has_prefix(url, "unix://")) {
		if (url[7] != '/' || url[8] == '\0') {
			*cause = xasprintf("%s (an absolute path)", expected);
			return -1;
		}
		c->path = xstrdup(url + 7);
		return 0;
	}
	if (str_has_prefix(url, "rediss://")) {
		*cause = xstrdup("TLS (rediss://) is not supported; probe a "
		    "local redis://, or a TLS proxy in front of it");
		return -1;
	}
	if (!str_has_prefix(url, "redis://")) {
		*cause = xstrdup(expected);
		return -1;
	}
	rest = url + 8;
	slash = strchr(rest, '/');
	auth = xstrndup(rest, slash != NULL ? (size_t)(slash - rest) :
	    strlen(rest));
	if (strpbrk(auth, "?#") != NULL ||
	    (slash != NULL && strpbrk(slash, "?#") != NULL)) {
		*cause = xasprintf("%s; options go in their own keys (db:, "
		    "password:)", expected);
		free(auth);
		return -1;
	}
	at = strrchr(auth, '@');
	if (at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL) {
		*cause = xstrdup("the URL holds a password: give it as "
		    "password: \"{{env.NAME}}\", NAME listed under secrets:, "
		    "so that it is never written in the runbook");
		free(auth);
		return -1;
	}
	if (at == auth) {
		*cause = xasprintf("%s: the user before @ is empty", expected);
		free(auth);
		return -1;
	}
	if (at != NULL)
		c->user = xstrndup(auth, (size_t)(at - auth));
	hostport = at != NULL ? (char *)at + 1 : auth;
	if (*hostport == '\0') {
		*cause = xasprintf("%s: the host is missing", expected);
		free(auth);
		return -1;
	}
	if (net_hostport_parse(&hp, hostport, REDIS_DEFAULT_PORT,
	    cause) != 0) {
		free(auth);
		return -1;
	}
	free(auth);
	c->host = hp.host;
	c->port = hp.port;
	c->literal = inet_pton(AF_INET, hp.host, addr) == 1 ||
	    inet_pton(AF_INET6, hp.host, addr) == 1;
	c->lookup_url = net_hostport_url("http", hp.host, hp.port);
	if (slash != NULL && slash[1] != '\0') {
		if (str_to_long(slash + 1, 0, INT_MAX, &db) != 0) {
			*cause = xasprintf("%s: the path must be a database "
			    "number, as /0", expected);
			return -1;
		}
		c->db = db;
	}
	return 0;
}

static void
redis_conf_free(struct redis_conf *c)
{
	int i;

	if (c == NULL)
		return;
	free(c->host);
	free(c->lookup_url);
	free(c->path);
	free(c->user);
	free(c->password);
	for (i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c->argvlen);
	free(c);
}

/* Whether s is the value of one of p's secrets. */
static int
is_secret_value(const struct probe *p, const char *s)
{
	size_t i;

	for (i = 0; i < p->nsecret_values; i++) {
		if (strcmp(p->secret_values[i], s) == 0)
			return 1;
	}
	return 0;
}

static int
redis_prepare_params(struct probe *p, struct redis_conf *c, char **cause)
{
	json_t *argv = probe_param(p, "command"), *v;
	const char *pw = probe_param_str(p, "password", NULL);
	double db = probe_param_num(p, "db", -1);
	double max = probe_param_num(p, "max_reply", PROBE_BODY_MAX);
	size_t i;

	p->err_field = "redis";
	if (redis_url_parse(c, probe_param_str(p, "redis", ""), cause) != 0)
		return -1;
	p->err_field = "db";
	if (probe_param(p, "db") != NULL) {
		if (db < 0 || db > INT_MAX) {
			*cause = xstrdup("db must be a number from 0");
			return -1;
		}
		if (c->db >= 0) {
			*cause = xstrdup("give the database once: in the URL "
			    "or in db:, not both");
			return -1;
		}
		c->db = (long)db;
	}
	p->err_field = "password";
	if (pw != NULL) {
		if (!is_secret_value(p, pw)) {
			*cause = xstrdup("the password must come from a "
			    "secret: write password: \"{{env.NAME}}\" with "
			    "NAME listed under secrets:, so that it is "
			    "redacted everywhere");
			return -1;
		}
		c->password = xstrdup(pw);
	} else if (c->user != NULL) {
		p->err_field = "redis";
		*cause = xstrdup("a user needs a password: give password: "
		    "\"{{env.NAME}}\"");
		return -1;
	}
	p->err_field = "max_reply";
	if (max < 1 || max > REDIS_REPLY_CAP) {
		*cause = xstrdup("max_reply must be from 1 byte to 64MiB");
		return -1;
	}
	c->max_reply = (size_t)max;
	p->err_field = "command";
	if (!json_is_array(argv) || json_array_size(argv) == 0 ||
	    json_array_size(argv) > INT_MAX) {
		*cause = xstrdup("command must be a list: [GET, \"key\"]");
		return -1;
	}
	c->argc = (int)json_array_size(argv);
	c->argv = xcalloc(json_array_size(argv), sizeof(*c->argv));
	c->argvlen = xcalloc(json_array_size(argv), sizeof(*c->argvlen));
	json_array_foreach(argv, i, v) {
		c->argv[i] = xstrdup(json_string_value(v) != NULL ?
		    json_string_value(v) : "");
		c->argvlen[i] = strlen(c->argv[i]);
	}
	if (c->argv[0][0] == '\0') {
		*cause = xstrdup("the command name is empty");
		return -1;
	}
	if (!p->may_write && redis_check_readonly(c, cause) != 0)
		return -1;
	p->err_field = NULL;
	return 0;
}

static int
redis_prepare(struct probe *p, char **cause)
{
	struct redis_conf *c;

	if (probe_need_lib(p, lib_curl_load, cause) != 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->db = -1;
	if (redis_prepare_params(p, c, cause) != 0) {
		redis_conf_free(c);
		return -1;
	}
	p->priv = c;
	return 0;
}

static void
redis_release(struct probe *p)
{
	redis_conf_free(p->priv);
	p->priv = NULL;
}

/*
 * Run time.
 */

/* s[0..n) as a JSON string: NUL and bytes that are not UTF-8 become
 * U+FFFD, so that a binary value still shows. */
static json_t *
text_json(const char *s, size_t n)
{
	struct buf b;
	json_t *j;
	size_t i = 0;
	int len;

	for (i = 0; i < n; i += (size_t)len) {
		len = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (len <= 0 || s[i] == '\0')
			break;
	}
	if (i == n)
		return json_stringn(s, n);
	buf_init(&b, 0);
	buf_append(&b, s, i);
	while (i < n) {
		len = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (len <= 0 || s[i] == '\0') {
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
		} else {
			buf_append(&b, s + i, (size_t)len);
			i += (size_t)len;
		}
	}
	j = json_stringn(buf_cstr(&b), b.len);
	buf_dispose(&b);
	return j;
}

static json_t *
reply_json(const redisReply *r)
{
	json_t *a;
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		return text_json(r->str, r->len);
	case REDIS_REPLY_INTEGER:
		return json_integer(r->integer);
	case REDIS_REPLY_ARRAY:
		a = json_array();
		for (i = 0; i < r->elements; i++)
			json_array_append_new(a, reply_json(r->element[i]));
		return a;
	default:
		return json_null();
	}
}

/* Appends r as `redis-cli` prints it into a pipe: a string or status as
 * it is, an integer in decimal, nil as nothing, an array one element a
 * line. */
static void
reply_text(struct buf *b, const redisReply *r)
{
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		buf_append(b, r->str, r->len);
		break;
	case REDIS_REPLY_INTEGER:
		buf_printf(b, "%lld", r->integer);
		break;
	case REDIS_REPLY_ARRAY:
		for (i = 0; i < r->elements; i++) {
			if (i > 0)
				buf_putc(b, '\n');
			reply_text(b, r->element[i]);
		}
		break;
	default:
		break;
	}
}

/* The reason for a connection that failed or broke, from hiredis's
 * error; heap. */
static char *
conn_reason(const redisContext *ctx)
{
	static const struct {
		int err;
		const char *reason;
	} errs[] = {
		{ ECONNREFUSED, "connection_refused" },
		{ ECONNRESET, "connection_reset" },
		{ EPIPE, "connection_reset" },
		{ EHOSTUNREACH, "host_unreachable" },
		{ ENETUNREACH, "network_unreachable" },
		{ ETIMEDOUT, "timeout" },
		{ ENOENT, "no_such_socket" },
		{ EACCES, "permission_denied" },
	};
	size_t i;

	if (ctx->err == REDIS_ERR_EOF)
		return xstrdup("redis: the server closed the connection");
	for (i = 0; ctx->err == REDIS_ERR_IO && i < ARRAY_LEN(errs); i++) {
		if (strstr(ctx->errstr, strerror(errs[i].err)) != NULL)
			return xstrdup(errs[i].reason);
	}
	return xasprintf("redis: %s", ctx->errstr[0] != '\0' ? ctx->errstr :
	    "connection failed");
}

/* "redis: " and the first line of an error reply, cut. */
static void
error_reply(struct redis_run *rr, const redisReply *r)
{
	size_t n = r->len;
	const char *nl = memchr(r->str, '\n', n);

	if (nl != NULL)
		n = (size_t)(nl - r->str);
	if (n > 0 && r->str[n - 1] == '\r')
		n--;
	if (n > REDIS_REASON_MAX)
		n = REDIS_REASON_MAX;
	/* Cut on a character, not inside one. */
	while (n > 0 && n < r->len &&
	    ((unsigned char)r->str[n] & 0xc0) == 0x80)
		n--;
	probe_run_error(rr->run, "redis: %.*s", (int)n, r->str);
}

/* A reply callback got NULL: hiredis is freeing the context, because the
 * connection failed or broke, or because we freed it (then done is set). */
static void
redis_lost(struct redis_run *rr, const redisAsyncContext *ac)
{
	char *reason;

	if (rr->done)
		return;
	rr->done = 1;
	reason = conn_reason(&ac->c);
	probe_run_error(rr->run, "%s", reason);
	free(reason);
}

static void
on_reply(redisAsyncContext *ac, void *r, void *arg)
{
	struct redis_run *rr = arg;
	const redisReply *reply = r;
	struct buf b;

	if (reply == NULL) {
		redis_lost(rr, ac);
		return;
	}
	if (rr->done)
		return;
	rr->done = 1;
	if (reply->type == REDIS_REPLY_ERROR) {
		error_reply(rr, reply);
	} else {
		rr->reply = reply_json(reply);
		buf_init(&b, 2 * rr->conf->max_reply + 1024);
		reply_text(&b, reply);
		rr->text = text_json(buf_cstr(&b), b.len);
		buf_dispose(&b);
		probe_run_verdict(rr->run, STATE_OK, NULL);
	}
	/* Deferred by hiredis until this callback returns. */
	redisAsyncFree(ac);
}

static int
redis_send(struct redis_run *rr, redisAsyncContext *ac)
{
	const struct redis_conf *c = rr->conf;

	if (redisAsyncCommandArgv(ac, on_reply, rr, c->argc,
	    (const char **)c->argv, c->argvlen) != REDIS_OK) {
		probe_run_error(rr->run, "redis: could not send the command");
		return -1;
	}
	return 0;
}

/* The reply to AUTH or SELECT: the command goes once both succeeded, so
 * that it never runs unauthenticated or in the wrong database. */
static void
on_setup_reply(redisAsyncContext *ac, void *r, void *arg)
{
	struct redis_run *rr = arg;
	const redisReply *reply = r;

	if (reply == NULL) {
		redis_lost(rr, ac);
		return;
	}
	if (rr->done)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		rr->done = 1;
		error_reply(rr, reply);
		redisAsyncFree(ac);
		return;
	}
	if (--rr->setup == 0 && redis_send(rr, ac) != 0) {
		rr->done = 1;
		redisAsyncFree(ac);
	}
}

/* Tells whoever runs the probe, once the outcome is known and hiredis is
 * out of its own calls. */
static void
redis_signal(struct redis_run *rr)
{
	if (rr->done && !rr->signalled) {
		rr->signalled = 1;
		probe_run_complete(rr->run);
	}
}

/* Stops at once: frees the context (its callbacks see done and do
 * nothing). Not from inside a hiredis callback. */
static void
redis_stop(struct redis_run *rr)
{
	rr->done = 1;
	if (rr->ac != NULL)
		redisAsyncFree(rr->ac);
	rr->ac = NULL;
}

/* Counts what a read is about to take and refuses replies past
 * max_reply. hiredis reads at most REDIS_READ_CHUNK at a time. */
static int
redis_over_budget(struct redis_run *rr)
{
	int avail = 0;

	if (ioctl(rr->fd, FIONREAD, &avail) != 0 || avail <= 0)
		return 0;
	rr->nread += (size_t)avail < REDIS_READ_CHUNK ? (size_t)avail :
	    REDIS_READ_CHUNK;
	return rr->nread > rr->conf->max_reply;
}

static void
on_io(void *arg, int fd, unsigned events)
{
	struct redis_run *rr = arg;
	char size[32];

	(void)fd;
	if (rr->ac != NULL && (events & LOOP_READ)) {
		if (redis_over_budget(rr)) {
			snprintf(size, sizeof(size), "%zu bytes",
			    rr->conf->max_reply);
			probe_run_error(rr->run, "redis: reply larger than "
			    "max_reply (%s)", size);
			redis_stop(rr);
		} else {
			redisAsyncHandleRead(rr->ac);
		}
	}
	if (rr->ac != NULL && (events & LOOP_WRITE))
		redisAsyncHandleWrite(rr->ac);
	redis_signal(rr);
}

/* The adapter: hiredis says which events it wants; the loop watches them
 * (hiredis asks for the same ones again and again: no system call then). */
static void
ev_sync(struct redis_run *rr)
{
	struct loop *l = rr->run->loop;

	if (rr->want == rr->watched)
		return;
	if (rr->want == 0) {
		loop_io_del(l, rr->fd);
	} else if (loop_io_add(l, rr->fd, rr->want, on_io, rr) != 0) {
		/* The engine's timeout ends it; this is the reason. */
		probe_run_error(rr->run, "redis: cannot watch the connection: "
		    "%s", strerror(errno));
		return;
	}
	rr->watched = rr->want;
}

static void
ev_add_read(void *arg)
{
	struct redis_run *rr = arg;

	rr->want |= LOOP_READ;
	ev_sync(rr);
}

static void
ev_del_read(void *arg)
{
	struct redis_run *rr = arg;

	rr->want &= ~LOOP_READ;
	ev_sync(rr);
}

static void
ev_add_write(void *arg)
{
	struct redis_run *rr = arg;

	rr->want |= LOOP_WRITE;
	ev_sync(rr);
}

static void
ev_del_write(void *arg)
{
	struct redis_run *rr = arg;

	rr->want &= ~LOOP_WRITE;
	ev_sync(rr);
}

/* hiredis is about to close the descriptor and free the context. */
static void
ev_cleanup(void *arg)
{
	struct redis_run *rr = arg;

	if (rr->watched != 0)
		loop_io_forget(rr->run->loop, rr->fd);
	rr->want = rr->watched = 0;
	rr->ac = NULL;
}

/* Connects to ip (or the socket) and queues AUTH, SELECT or the command.
 * 0, or -1 after probe_run_error with nothing left open. */
static int
redis_connect(struct redis_run *rr, const char *ip)
{
	const struct redis_conf *c = rr->conf;
	redisAsyncContext *ac;
	const char *argv[3];
	size_t lens[3];
	char db[32];
	char *reason;
	int argc = 0, flags, i, ok = 1;

	ac = c->path != NULL ? redisAsyncConnectUnix(c->path) :
	    redisAsyncConnect(ip, (int)c->port);
	if (ac == NULL) {
		probe_run_error(rr->run, "redis: out of memory");
		return -1;
	}
	if (ac->err != 0) {
		reason = conn_reason(&ac->c);
		probe_run_error(rr->run, "%s", reason);
		free(reason);
		redisAsyncFree(ac);
		return -1;
	}
	rr->ac = ac;
	rr->fd = ac->c.fd;
	/* hiredis 0.14 opens it without close-on-exec. */
	flags = fcntl(rr->fd, F_GETFD);
	if (flags >= 0)
		fcntl(rr->fd, F_SETFD, flags | FD_CLOEXEC);
	ac->data = rr;
	ac->ev.data = rr;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	if (c->password != NULL) {
		argv[argc++] = "AUTH";
		if (c->user != NULL)
			argv[argc++] = c->user;
		argv[argc++] = c->password;
		for (i = 0; i < argc; i++)
			lens[i] = strlen(argv[i]);
		ok = redisAsyncCommandArgv(ac, on_setup_reply, rr, argc, argv,
		    lens) == REDIS_OK;
		rr->setup++;
	}
	if (ok && c->db >= 0) {
		snprintf(db, sizeof(db), "%ld", c->db);
		argv[0] = "SELECT";
		argv[1] = db;
		lens[0] = strlen(argv[0]);
		lens[1] = strlen(db);
		ok = redisAsyncCommandArgv(ac, on_setup_reply, rr, 2, argv,
		    lens) == REDIS_OK;
		rr->setup++;
	}
	if (!ok || (rr->setup == 0 && redis_send(rr, ac) != 0)) {
		probe_run_error(rr->run, "redis: could not send the command");
		redis_stop(rr);
		return -1;
	}
	return 0;
}

/* The name is looked up (by libcurl's resolver, on the loop) and
 * connected to once: then hiredis connects to the address that answered. */
static void
on_resolved(void *arg, CURLcode rc)
{
	struct redis_run *rr = arg;
	char reason[CURL_ERROR_SIZE + 64], ip[64] = "";
	char *primary = NULL;

	if (rc != CURLE_OK) {
		probe_run_error(rr->run, "%s",
		    net_reason(rr->easy, rc, reason, sizeof(reason)));
		rr->done = 1;
	} else if (sym_curl_easy_getinfo(rr->easy, CURLINFO_PRIMARY_IP,
	    &primary) != CURLE_OK || primary == NULL || *primary == '\0') {
		probe_run_error(rr->run, "dns_failure");
		rr->done = 1;
	} else {
		snprintf(ip, sizeof(ip), "%s", primary);
	}
	net_easy_put(rr->net, rr->easy);
	rr->easy = NULL;
	if (!rr->done && redis_connect(rr, ip) != 0)
		rr->done = 1;
	redis_signal(rr);
}

static int
redis_start(struct probe_run *run)
{
	const struct redis_conf *c = run->probe->priv;
	struct redis_run *rr = xcalloc(1, sizeof(*rr));
	double timeout = run->deadline > run->started ?
	    run->deadline - run->started : run->probe->timeout;
	char *cause = NULL;

	rr->run = run;
	rr->conf = c;
	rr->fd = -1;
	run->priv = rr;
	if (c->path != NULL || c->literal) {
		if (redis_connect(rr, c->host) != 0) {
			rr->done = 1;
			return -1;
		}
		return 0;
	}
	rr->net = net_get(run->loop);
	rr->easy = net_easy_connect_only(rr->net, c->lookup_url,
	    timeout + REDIS_LOOKUP_SLACK);
	if (net_add(rr->net, rr->easy, on_resolved, rr, &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
		rr->done = 1;
		return -1;
	}
	return 0;
}

static void
redis_cancel(struct probe_run *run)
{
	struct redis_run *rr = run->priv;

	if (rr == NULL)
		return;
	if (rr->easy != NULL)
		net_remove(rr->net, rr->easy);
	redis_stop(rr);
}

static void
redis_finish(struct probe_run *run, json_t *out)
{
	struct redis_run *rr = run->priv;
	json_t *doc;

	if (rr == NULL)
		return;
	redis_stop(rr);
	if (rr->easy != NULL)
		net_easy_put(rr->net, rr->easy);
	doc = json_is_string(rr->reply) ? json_loadb(json_string_value(
	    rr->reply), json_string_length(rr->reply), JSON_DECODE_ANY, NULL) :
	    NULL;
	json_object_set_new(out, "reply", rr->reply != NULL ? rr->reply :
	    json_null());
	json_object_set_new(out, "text", rr->text != NULL ? rr->text :
	    json_string(""));
	if (doc != NULL)
		json_object_set_new(out, "json", doc);
	free(rr);
	run->priv = NULL;
}

/* redis-cli with the same connection and command. The password is shown
 * as it is: whoever prints the line redacts it (`***`, or "$NAME" in
 * triage render). */
static char *
redis_manual(const struct probe *p)
{
	const struct redis_conf *c = p->priv;
	json_t *argv = probe_param(p, "command"), *v;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "redis-cli");
	if (c == NULL) {
		/* Not valid (an unset variable, say): show it as written. */
		buf_puts(&b, " -u ");
		shquote_append(&b, probe_param_str(p, "redis", ""));
	} else if (c->path != NULL) {
		buf_puts(&b, " -s ");
		shquote_append(&b, c->path);
	} else {
		buf_puts(&b, " -h ");
		shquote_append(&b, c->host);
		buf_printf(&b, " -p %ld", c->port);
	}
	if (c != NULL && c->db >= 0)
		buf_printf(&b, " -n %ld", c->db);
	if (c != NULL && c->user != NULL) {
		buf_puts(&b, " --user ");
		shquote_append(&b, c->user);
	}
	if (c != NULL && c->password != NULL) {
		buf_puts(&b, " -a ");
		shquote_append(&b, c->password);
	}
	json_array_foreach(argv, i, v) {
		buf_putc(&b, ' ');
		shquote_append(&b, json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	}
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const redis_results[] = {
	"reply", "text", "json", NULL,
};

const struct probe_kind probe_kind_redis = {
	.name = "redis",
	.alias = NULL,
	.fields = redis_fields,
	.results = redis_results,
	.flags = 0,
	.prepare = redis_prepare,
	.release = redis_release,
	.start = redis_start,
	.cancel = redis_cancel,
	.finish = redis_finish,
	.manual = redis_manual,
};
