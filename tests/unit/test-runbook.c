/* SPDX-License-Identifier: MIT */
/* Tests for the runbook loader: good runbooks into structs, every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "expr.h"
#include "runbook-index.h"
#include "runbook.h"
#include "util/buf.h"

static const char *
data_dir(void)
{
	const char *d = getenv("TRIAGE_TEST_DATA");

	return d != NULL && *d != '\0' ? d : "tests/data";
}

static char *
data_path(const char *rel)
{
	return xasprintf("%s/%s", data_dir(), rel);
}

/* The whole of path (heap), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		cap = cap * 2 + 4096;
		text = xrealloc(text, cap + 1);
		r = fread(text + n, 1, cap - n, f);
		n += r;
	} while (n == cap);
	fclose(f);
	text[n] = '\0';
	if (len != NULL)
		*len = n;
	return text;
}

static char *
printed(const struct diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	diags_print(d, f);
	fclose(f);
	return text;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* The environment the good runbooks expect. */
static int
setup_env(void **state)
{
	(void)state;
	setenv("TRIAGE_TEST_TOKEN", "tok-s3cr3t", 1);
	unsetenv("TRIAGE_TEST_UNSET_SECRET");
	unsetenv("TRIAGE_TEST_API_HOST");
	unsetenv("TRIAGE_TEST_DALLAS_ADDR");
	return 0;
}

static struct runbook *
load_good(const char *rel)
{
	struct runbook *rb = NULL;
	struct diags d;
	char *path = data_path(rel), *out;
	int rc;

	diags_init(&d);
	rc = runbook_load_file(path, &rb, &d);
	out = printed(&d);
	if (rc != 0 || d.errors != 0 || d.warnings != 0)
		fprintf(stderr, "%s", out);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(rb);
	free(out);
	free(path);
	diags_dispose(&d);
	return rb;
}

static const struct probe *
probe_named(const struct runbook *rb, const char *id)
{
	long i = runbook_probe_index(rb, id);

	assert_true(i >= 0);
	return &rb->probes[i];
}

static const struct failure *
failure_named(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		if (strcmp(rb->failures[i].id, id) == 0)
			return &rb->failures[i];
	}
	fail_msg("no failure %s", id);
	abort();
}

static size_t
node_named(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->triage.nnodes; i++) {
		if (strcmp(rb->triage.nodes[i].id, id) == 0)
			return i;
	}
	fail_msg("no node %s", id);
	abort();
}

static void
test_full_top(void **state)
{
	struct runbook *rb;

	(void)state;
	rb = load_good("good/full.yaml");
	assert_string_equal(rb->id, "full-stack");
	assert_string_equal(rb->title, "Full stack (every section)");
	assert_string_equal(rb->owner, "#ops-oncall");
	assert_string_equal(rb->last_verified, "2026-11-01");
	assert_int_equal(rb->last_verified_pos.line, 5);
	assert_int_equal(rb->last_verified_pos.col, 16);
	assert_int_equal(rb->nfiles, 1);
	assert_non_null(rb->source);
	assert_ptr_equal(runbook_source(rb, rb->probes[0].pos.file),
	    rb->source);
	/* vars, with an unset {{env.X}} expanded to nothing */
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "box")), "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "api_base")), "http://:8080");
	/* secrets: names, and the values of the set ones */
	assert_int_equal(rb->nsecrets, 2);
	assert_string_equal(rb->secrets[0], "TRIAGE_TEST_TOKEN");
	assert_string_equal(rb->secrets[1], "TRIAGE_TEST_UNSET_SECRET");
	assert_int_equal(rb->nsecret_values, 1);
	assert_string_equal(rb->secret_values[0], "tok-s3cr3t");
	/* hosts */
	assert_int_equal(rb->nhosts, 1);
	assert_string_equal(rb->hosts[0].name, "dallas");
	assert_string_equal(rb->hosts[0].ssh, "deploy@");
	assert_int_equal(rb->hosts[0].port, 2222);
	assert_string_equal(rb->hosts[0].identity, "~/.ssh/deploy_ed25519");
	assert_string_equal(rb->hosts[0].known_hosts,
	    "/etc/triage/known_hosts");
	assert_int_equal(rb->hosts[0].pos.line, 15);
	runbook_free(rb);
}

static void
test_full_probes(void **state)
{
	const struct probe *p;
	struct runbook *rb;
	struct srcpos pos;
	json_t *h;

	(void)state;
	rb = load_good("good/full.yaml");
	assert_int_equal(rb->nprobes, 12);
	assert_string_equal(rb->probes[0].id, "proxy_up");
	assert_string_equal(rb->probes[11].id, "listing");

	p = probe_named(rb, "proxy_up");
	assert_string_equal(p->kind->name, "http");
	assert_string_equal(p->layer, "app");
	assert_string_equal(p->description, "the box's proxy answers /up");
	assert_int_equal(p->pos.line, 22);
	assert_int_equal(p->pos.col, 3);
	assert_true(p->timeout == 2.0);
	assert_true(p->interval == 60.0);
	assert_int_equal(p->retries, 3);
	assert_int_equal(p->severity, STATE_WARNING);
	assert_int_equal(p->nexpect, 1);
	assert_string_equal(expr_source(p->expect[0]), "status == 200");
	assert_int_equal(p->nwarn, 1);
	assert_null(p->missing_env);
	assert_null(p->on);
	assert_string_equal(probe_param_str(p, "http", NULL),
	    "http://127.0.0.1/up");
	assert_string_equal(probe_param_str(p, "method", NULL), "GET");
	h = probe_param(p, "headers");
	assert_true(json_is_object(h));
	assert_string_equal(json_string_value(json_object_get(h, "Host")),
	    "www.example.test");
	assert_int_equal(probe_param_bool(p, "follow", 0), 1);
	assert_true(json_is_integer(probe_param(p, "max_body")));
	assert_int_equal(json_integer_value(probe_param(p, "max_body")),
	    65536);
	pos = probe_param_srcpos(p, "http");
	assert_int_equal(pos.line, 25);
	assert_int_equal(pos.col, 11);
	pos = probe_param_srcpos(p, "timeout");
	assert_int_equal(pos.line, 30);

	/* defaults */
	p = probe_named(rb, "edge_up");
	assert_true(p->timeout == 5.0);
	assert_true(p->interval == 30.0);
	assert_int_equal(p->retries, 1);
	assert_int_equal(p->severity, STATE_CRITICAL);
	assert_int_equal(p->nexpect, 2);
	assert_string_equal(expr_source(p->expect[1]), "body.status == \"ok\"");
	/* a set secret is expanded (and redacted later, not here) */
	assert_string_equal(json_string_value(json_object_get(probe_param(p,
	    "headers"), "Authorization")), "Bearer tok-s3cr3t");

	/* unset env: directly, through a var; prepared all the same, the
	 * URL with no host is not an error, and nothing is compiled */
	assert_string_equal(probe_named(rb, "api")->missing_env,
	    "TRIAGE_TEST_API_HOST");
	assert_string_equal(probe_param_str(probe_named(rb, "api"), "http",
	    NULL), "http://:8080/health");
	assert_string_equal(probe_named(rb, "secret_check")->missing_env,
	    "TRIAGE_TEST_UNSET_SECRET");
	/* its header value was empty, not its URL: prepared and compiled */
	assert_non_null(probe_named(rb, "secret_check")->priv);
	p = probe_named(rb, "tunnel");
	assert_null(p->on);
	assert_null(p->missing_env);
	assert_string_equal(p->kind->name, "command");

	p = probe_named(rb, "pg");
	assert_string_equal(p->kind->name, "tcp");
	assert_true(p->timeout == 0.5);
	p = probe_named(rb, "rows");
	assert_int_equal(p->nneeds, 1);
	assert_string_equal(p->needs[0], "pg");
	assert_int_equal(p->nrequires, 2);
	assert_string_equal(p->requires[1], "/usr/bin/env");
	h = probe_param(p, "command");
	assert_int_equal(json_array_size(h), 4);
	assert_string_equal(json_string_value(json_array_get(h, 3)),
	    "select count(*) from items");
	assert_int_equal(json_integer_value(probe_param(probe_named(rb,
	    "errors"), "last")), 200);
	assert_string_equal(probe_named(rb, "disk")->kind->name, "nagios");
	assert_string_equal(probe_named(rb, "pidfile")->kind->name, "file");
	assert_string_equal(probe_named(rb, "cert")->kind->name, "tls");
	/* `shell:` selects the command kind */
	p = probe_named(rb, "listing");
	assert_string_equal(p->kind->name, "command");
	assert_string_equal(probe_param_str(p, "shell", NULL),
	    "ls / | wc -l");
	assert_int_equal(p->nneeds, 2);
	assert_int_equal(runbook_probe_index(rb, "nope"), -1);
	runbook_free(rb);
}

static void
test_full_tree_failures(void **state)
{
	const struct failure *f;
	const struct tnode *n;
	const struct step *s;
	struct runbook *rb;
	size_t site, edge, app;

	(void)state;
	rb = load_good("good/full.yaml");
	assert_true(rb->triage.present);
	assert_int_equal(rb->triage.nnodes, 3);
	site = node_named(rb, "site");
	edge = node_named(rb, "edge");
	app = node_named(rb, "app");
	assert_int_equal(rb->triage.start, site);
	n = &rb->triage.nodes[site];
	assert_string_equal(n->ask,
	    "App or edge? Does the box's proxy answer /up?");
	assert_string_equal(expr_source(n->cond), "proxy_up.ok");
	assert_true(n->then_branch.is_node);
	assert_int_equal(n->then_branch.node, edge);
	assert_true(n->else_branch.is_node);
	assert_int_equal(n->else_branch.node, app);
	/* a failure named without a list is a list of one */
	n = &rb->triage.nodes[edge];
	assert_false(n->else_branch.is_node);
	assert_int_equal(n->else_branch.nfailures, 1);
	assert_string_equal(rb->failures[n->else_branch.failures[0]].id,
	    "tunnel-down");
	assert_int_equal(n->then_branch.nfailures, 1);
	assert_string_equal(rb->failures[n->then_branch.failures[0]].id,
	    "access-denied");

	assert_int_equal(rb->nfailures, 4);
	f = failure_named(rb, "tunnel-down");
	assert_string_equal(f->title,
	    "Site can't be reached; cloudflared tunnel is down");
	assert_string_equal(f->layer, "edge");
	assert_string_equal(f->diagnosis,
	    "cloudflared on www.example.test is not active.");
	assert_string_equal(expr_source(f->when), "proxy_up.ok && !tunnel.ok");
	assert_int_equal(f->nguard, 1);
	assert_int_equal(f->nevidence, 1);
	s = &f->evidence[0];
	assert_string_equal(s->probe.id, "tunnel-down.evidence[0]");
	assert_string_equal(s->probe.layer, "edge");
	assert_true(s->probe.timeout == 10.0);
	assert_null(s->probe.on);
	assert_null(s->probe.missing_env);
	assert_int_equal(f->nfix, 1);
	assert_string_equal(f->fix[0].probe.id, "tunnel-down.fix[0]");
	assert_true(f->fix[0].probe.timeout == 45.0);
	assert_null(f->fix[0].dangerous);
	assert_int_equal(f->nverify, 2);
	assert_string_equal(rb->probes[f->verify[0]].id, "tunnel");
	assert_string_equal(rb->probes[f->verify[1]].id, "edge_up");
	assert_true(f->verify_timeout == 90.0);
	assert_string_equal(f->last_verified, "2026-10-12");
	assert_int_equal(f->auto_fix, 1);

	f = failure_named(rb, "access-denied");
	assert_string_equal(f->layer, "default");
	assert_true(f->verify_timeout == 60.0);
	assert_int_equal(f->auto_fix, 0);
	assert_null(f->diagnosis);

	f = failure_named(rb, "matview-empty");
	assert_int_equal(f->fix[0].continue_on_error, 1);
	assert_string_equal(f->fix[0].probe.description, "refresh the view");
	assert_true(f->fix[0].probe.timeout == 30.0);
	assert_int_equal(f->non_failure, 1);
	assert_string_equal(f->on_failure[0].probe.id,
	    "matview-empty.on_failure[0]");
	assert_int_equal(f->nverify, 1);
	assert_string_equal(rb->probes[f->verify[0]].id, "rows");

	f = failure_named(rb, "db-down");
	assert_int_equal(f->nfix, 2);
	assert_string_equal(f->fix[0].dangerous, "drops all data");
	assert_null(f->fix[1].dangerous);
	assert_string_equal(f->evidence[0].probe.kind->name, "log");
	assert_int_equal(f->nguard, 1);

	assert_string_equal(rb->escalation.contact, "#ops-oncall");
	assert_int_equal(rb->escalation.nbring, 3);
	s = &rb->escalation.bring[2];
	assert_string_equal(s->probe.id, "escalation.bring[2]");
	assert_string_equal(s->probe.layer, "escalation");
	assert_true(s->probe.timeout == 5.0);
	assert_true(rb->escalation.bring[0].probe.timeout == 10.0);
	assert_string_equal(rb->escalation.bring[1].probe.kind->name, "log");
	runbook_free(rb);
}

static void
test_redact(void **state)
{
	struct runbook *rb;
	json_t *v, *inner;
	char *s;

	(void)state;
	rb = load_good("good/full.yaml");
	s = runbook_redact(rb, "Bearer tok-s3cr3t, again tok-s3cr3t.");
	assert_string_equal(s, "Bearer ***, again ***.");
	free(s);
	s = runbook_redact(rb, "nothing here");
	assert_string_equal(s, "nothing here");
	free(s);
	assert_null(runbook_redact(rb, NULL));
	v = json_pack("{s:s, s:[s, i], s:{s:s}}", "a", "x tok-s3cr3t",
	    "tok-s3cr3t", "tok-s3cr3t", 7, "o", "k", "tok-s3cr3t!");
	assert_non_null(v);
	runbook_redact_json(rb, v);
	assert_string_equal(json_string_value(json_object_get(v, "a")),
	    "x ***");
	assert_null(json_object_get(v, "tok-s3cr3t"));
	inner = json_object_get(v, "***");
	assert_true(json_is_array(inner));
	assert_string_equal(json_string_value(json_array_get(inner, 0)),
	    "***");
	assert_int_equal(json_integer_value(json_array_get(inner, 1)), 7);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(v, "o"), "k")), "***!");
	json_decref(v);
	runbook_free(rb);
}

static void
test_redact_longest_first(void **state)
{
	const char *text = "runbook: r\nsecrets: [TRIAGE_TEST_S1, "
	    "TRIAGE_TEST_S2]\n";
	struct runbook *rb = NULL;
	struct diags d;
	char *s;

	(void)state;
	setenv("TRIAGE_TEST_S1", "abcd", 1);
	setenv("TRIAGE_TEST_S2", "abcdefgh", 1);
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), 0);
	s = runbook_redact(rb, "abcdefgh abcd abc");
	assert_string_equal(s, "*** *** abc");
	free(s);
	runbook_free(rb);
	diags_dispose(&d);
	unsetenv("TRIAGE_TEST_S1");
	unsetenv("TRIAGE_TEST_S2");
}

static void
test_secret_not_in_diagnostics(void **state)
{
	const char *text = "runbook: r\nsecrets: [TRIAGE_TEST_S3]\n"
	    "probes:\n  p:\n    tcp: h:1\n"
	    "    timeout: \"{{env.TRIAGE_TEST_S3}}\"\n";
	struct runbook *rb = NULL;
	struct diags d;
	char *out;

	(void)state;
	setenv("TRIAGE_TEST_S3", "hunter2", 1);
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), -1);
	assert_null(rb);
	out = printed(&d);
	assert_null(strstr(out, "hunter2"));
	assert_non_null(strstr(out, "bad duration \"***\" for timeout"));
	free(out);
	diags_dispose(&d);
	unsetenv("TRIAGE_TEST_S3");
}

static void
test_minimal_defaults(void **state)
{
	struct runbook *rb;
	const struct probe *p;

	(void)state;
	rb = load_good("good/minimal.yaml");
	assert_string_equal(rb->id, "minimal");
	assert_null(rb->title);
	assert_null(rb->last_verified);
	assert_int_equal(rb->nprobes, 1);
	p = &rb->probes[0];
	assert_string_equal(p->layer, "default");
	assert_null(p->description);
	assert_true(p->timeout == 5.0);
	assert_int_equal(p->nexpect, 0);
	assert_null(p->expect);
	assert_false(rb->triage.present);
	assert_int_equal(rb->nfailures, 0);
	assert_int_equal(rb->nhosts, 0);
	assert_int_equal(rb->escalation.nbring, 0);
	assert_null(rb->escalation.contact);
	runbook_free(rb);
	runbook_free(NULL);
}

static void
test_anchors_merge(void **state)
{
	struct runbook *rb;
	const struct probe *p;

	(void)state;
	rb = load_good("good/anchors.yaml");
	p = probe_named(rb, "web2");
	assert_string_equal(p->layer, "app");
	assert_true(p->timeout == 1.0);
	assert_int_equal(p->nexpect, 1);
	assert_string_equal(probe_param_str(p, "http", NULL),
	    "http://127.0.0.1:8082/up");
	p = probe_named(rb, "web3");
	assert_string_equal(p->layer, "edge");
	assert_true(p->timeout == 1.0);
	assert_string_equal(probe_param_str(p, "http", NULL),
	    "http://127.0.0.1:8083/up");
	runbook_free(rb);
}

static void
test_quoting(void **state)
{
	struct runbook *rb;

	(void)state;
	rb = load_good("good/quoting.yaml");
	assert_string_equal(rb->title, "ab'c");
	assert_string_equal(rb->owner, "x y\nz ");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "empty")), "");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "quotes")), "''''''");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "lead")), " lead");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "double")), "tab\there \xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "literal")), "line one\nline two\n");
	assert_string_equal(json_string_value(json_object_get(rb->vars,
	    "folded")), "one two");
	assert_string_equal(expr_source(rb->probes[0].expect[0]),
	    "connected == true");
	runbook_free(rb);
}

/* One error class: the runbook text, where the first error is and what
 * its message starts with. */
struct bad_case {
	const char *yaml;
	int line;
	int col;
	const char *message;
	const char *hint;		/* NULL: none expected */
};

static const struct bad_case bad_cases[] = {
	{ "runbook: r\nprobes:\n  pg: { tcp: h:1, timout: 2s }\n", 3, 19,
	    "unknown key \"timout\" in probe \"pg\"",
	    "did you mean \"timeout\"?" },
	{ "runbook: r\nprobes:\n  pg: { tcp: [x] }\n", 3, 14,
	    "expected a string for tcp in probe \"pg\", got a list", NULL },
	{ "runbook: r\nprobes:\n  pg: { command: ls -l }\n", 3, 18,
	    "expected a list of strings for command in probe \"pg\"", "" },
	{ "runbook: r\nprobes: [a]\n", 2, 9,
	    "expected a mapping of probe ids for probes, got a list", NULL },
	{ "runbook: r\nprobes:\n  pg: { mysql: x }\n", 3, 9,
	    "unknown key \"mysql\" in probe \"pg\"", "" },
	{ "runbook: r\nprobes:\n  pg: { tcp: h:1, http: y }\n", 3, 19,
	    "probe \"pg\" has two kinds: \"tcp\" and \"http\"", "" },
	{ "runbook: r\nprobes:\n  pg: { layer: db }\n", 3, 3,
	    "probe \"pg\" has no kind", "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\n  a: { tcp: h:2 }\n", 4, 3,
	    "duplicate probe \"a\"; the first is at line 3", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, needs: b }\n", 3, 25,
	    "probe \"a\" needs unknown probe \"b\"", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, needs: b }\n"
	    "  b: { tcp: h:1, needs: a }\n", 3, 3,
	    "needs cycle: a -> b -> a", NULL },
	{ "runbook: r\nprobes:\n  a: { command: [ls], on: h }\n", 3, 27,
	    "unknown host \"h\" in probe \"a\"", "define it under hosts:" },
	{ "runbook: r\nhosts: { h: { ssh: x } }\n"
	    "probes:\n  a: { tcp: h:1, on: h }\n", 4, 22,
	    "probe \"a\": tcp probes cannot run on a host; `on:` is for "
	    "command, nagios, file and log",
	    "leave out on: to check it from here, or run a command on h "
	    "(curl, nc, ...)" },
	{ "runbook: r\nprobes:\n  a: { log: /x, last: -5 }\n", 3, 23,
	    "probe \"a\": `last:` must be a number of lines from 1 to ",
	    NULL },
	{ "runbook: r\nprobes:\n  a: { log: /x, last: -5, x: 1 }\n", 3, 23,
	    "probe \"a\": `last:` must be a number of lines from 1 to ",
	    NULL },
	{ "runbook: r\nhosts: { h: { ssh: x } }\n"
	    "probes:\n  a: { log: /x, last: -5, on: h }\n", 4, 23,
	    "probe \"a\": `last:` must be a number of lines from 1 to ",
	    NULL },
	{ "runbook: r\ntitle: \"{{who}}\"\n", 2, 9,
	    "unknown var \"who\" in title", "define it under vars:" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, timeout: 5x }\n", 3, 27,
	    "bad duration \"5x\" for timeout", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, timeout: 5 }\n", 3, 27,
	    "bad duration \"5\" for timeout: write a unit, e.g. 5s", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, expect: connected && }\n", 3,
	    38, "bad condition in expect of probe \"a\": ", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, expect: \"x ==\" }\n", 3, 31,
	    "bad condition in expect of probe \"a\": ", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f: { when: b.ok }\n", 5, 14,
	    "condition reads \"b\", which is not a probe", "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f: { when: a.ok }\ntriage:\n  start: n\n"
	    "  nodes:\n    n: { if: a.ok, then: m }\n", 9, 26,
	    "unknown node or failure \"m\" in then of node \"n\"", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f: { when: a.ok }\ntriage:\n  start: n\n"
	    "  nodes:\n    n: { if: a.ok, else: [g] }\n", 9, 27,
	    "unknown failure \"g\" in else of node \"n\"", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\ntriage:\n  start: n\n"
	    "  nodes:\n    n: { if: a.ok, then: m }\n"
	    "    m: { if: a.ok, else: n }\n", 7, 5,
	    "triage tree cycle: n -> m -> n", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: \"{{host}}\" }\n", 3, 14,
	    "unknown var \"host\" in tcp of probe \"a\"", "" },
	{ "runbook: R\n", 1, 10, "bad runbook id \"R\"", NULL },
	{ "runbook: r\nlast_verified: 2025-02-29\n", 2, 16,
	    "bad date \"2025-02-29\" for last_verified", NULL },
	{ "runbook: r\nprobes: {\n", 3, 1, "bad YAML: ", NULL },
	{ "runbook: r\nhosts:\n  h: { ssh: x, port: 0 }\n", 3, 22,
	    "bad port \"0\" for host \"h\": it must be 1-65535", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, retries: 0 }\n", 3, 27,
	    "bad retries \"0\" in probe \"a\": it must be 1 or more", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, severity: ok }\n", 3, 28,
	    "bad severity \"ok\" in probe \"a\"", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f: { when: a.ok, verify: [a, b] }\n", 5, 32,
	    "verify names unknown probe \"b\" in failure \"f\"", "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f:\n    when: a.ok\n    evidence:\n"
	    "      - { command: [ls], dangerous: yes }\n", 8, 26,
	    "dangerous is only allowed in fix and on_failure steps", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n"
	    "  f:\n    when: a.ok\n    fix:\n"
	    "      - { command: [ls], needs: a }\n", 8, 26,
	    "needs is not allowed in a step", "" },
	{ "title: t\n", 1, 1, "missing required key \"runbook\"", "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\nfailures:\n  f: {}\n", 5, 3,
	    "missing required key \"when\" in failure \"f\"", "" },
	{ "runbook: r\nvars:\n  a: x\n  b: \"{{a}}\"\n", 4, 7,
	    "a var cannot use another var ({{a}}) in var \"b\"", "" },
	{ "runbook: r\nsecrets: [TOK]\nprobes:\n  a: { tcp: \"{{TOK}}\" }\n", 4,
	    14, "unknown var \"TOK\"", "TOK is a secret: write {{env.TOK}}" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, timeout: *t }\n", 3, 27,
	    "unknown alias \"*t\"", "" },
	{ "runbook: r\n---\nrunbook: s\n", 2, 1, "a second YAML document",
	    "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1, timeout: 1s, timeout: 2s }\n",
	    3, 31, "duplicate key \"timeout\" in probe \"a\"; the first is at "
	    "line 3", NULL },
	{ "runbook: r\n\xff\n", 2, 1, "invalid UTF-8", NULL },
	{ "runbook: r\nprobes:\n  a: { http: x, max_body: lots }\n", 3, 27,
	    "bad size \"lots\" for max_body", NULL },
	{ "runbook: r\nprobes:\n  a: { http: x, follow: 1 }\n", 3, 25,
	    "expected true or false for follow in probe \"a\"", NULL },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\n"
	    "escalation:\n  bring: [{ tcp: h:1, expect: a }]\n", 5, 23,
	    "expect is not allowed in a step", "" },
	{ "runbook: r\nprobes:\n  a: { tcp: h:1 }\ntriage:\n  start: b\n"
	    "  nodes: { a: { if: a.ok } }\n", 5, 10,
	    "start names unknown node \"b\"", NULL },
	{ "runbook: r\nhosts:\n  h: { ssh: \"-oX\" }\n", 3, 13,
	    "bad ssh \"-oX\" for host \"h\"", NULL },
};

static void
test_error_classes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct runbook *rb = (struct runbook *)1;
		struct diags d;
		int rc;

		diags_init(&d);
		rc = runbook_load_string("t.yaml", c->yaml, strlen(c->yaml),
		    &rb, &d);
		if (d.n == 0 || d.v[0].line != c->line ||
		    d.v[0].col != c->col ||
		    strncmp(d.v[0].message, c->message, strlen(c->message)) !=
		    0 || (c->hint == NULL) != (d.v[0].hint == NULL) ||
		    (c->hint != NULL && strncmp(d.v[0].hint, c->hint,
		    strlen(c->hint)) != 0)) {
			char *out = printed(&d);

			fail_msg("case %zu:\n%s\nwant %d:%d: %s\ngot:\n%s", i,
			    c->yaml, c->line, c->col, c->message, out);
		}
		assert_int_equal(rc, -1);
		assert_null(rb);
		assert_true(d.errors > 0);
		assert_string_equal(d.v[0].file, "t.yaml");
		diags_dispose(&d);
	}
}

static void
test_several_errors_together(void **state)
{
	const char *text = "runbook: r\nprobes:\n"
	    "  a: { tcp: h:1, timeout: 1 }\n"
	    "  b: { tcp: h:1, retries: 0, needs: c }\n"
	    "failures:\n  f: { when: z.ok }\n";
	struct runbook *rb = NULL;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), -1);
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[1].line, 4);
	assert_int_equal(d.v[1].col, 27);
	assert_int_equal(d.v[2].line, 4);
	assert_int_equal(d.v[2].col, 37);
	assert_int_equal(d.v[3].line, 6);
	diags_dispose(&d);
}

static void
test_missing_env_through_var(void **state)
{
	const char *text = "runbook: r\nvars:\n"
	    "  url: \"http://{{ env.TRIAGE_TEST_NOPE }}/x\"\n"
	    "probes:\n  a: { http: \"{{ url }}\" }\n"
	    "  b: { http: \"{{env.TRIAGE_TEST_SET}}"
	    "{{env.TRIAGE_TEST_NOPE2}}\" }\n"
	    "  c: { tcp: \"{{env.TRIAGE_TEST_SET}}:1\" }\n";
	struct runbook *rb = NULL;
	struct diags d;

	(void)state;
	unsetenv("TRIAGE_TEST_NOPE");
	unsetenv("TRIAGE_TEST_NOPE2");
	setenv("TRIAGE_TEST_SET", "set", 1);
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), 0);
	assert_string_equal(rb->probes[0].missing_env, "TRIAGE_TEST_NOPE");
	assert_string_equal(probe_param_str(&rb->probes[0], "http", NULL),
	    "http:///x");
	assert_string_equal(rb->probes[1].missing_env, "TRIAGE_TEST_NOPE2");
	assert_string_equal(probe_param_str(&rb->probes[1], "http", NULL),
	    "set");
	assert_null(rb->probes[2].missing_env);
	assert_string_equal(probe_param_str(&rb->probes[2], "tcp", NULL),
	    "set:1");
	runbook_free(rb);
	diags_dispose(&d);
	unsetenv("TRIAGE_TEST_SET");
}

static void
test_go_templates_pass_through(void **state)
{
	const char *text = "runbook: r\nprobes:\n"
	    "  a: { command: [docker, inspect, -f, "
	    "'{{.State.Health.Status}}', app] }\n";
	struct runbook *rb = NULL;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), 0);
	assert_string_equal(json_string_value(json_array_get(probe_param(
	    &rb->probes[0], "command"), 3)), "{{.State.Health.Status}}");
	runbook_free(rb);
	diags_dispose(&d);
}

static void
test_unreachable_node_warns(void **state)
{
	const char *text = "runbook: r\nprobes:\n  a: { tcp: h:1 }\n"
	    "triage:\n  start: n\n  nodes:\n    n: { if: a.ok }\n"
	    "    lost: { if: a.ok }\n";
	struct runbook *rb = NULL;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), 0);
	assert_non_null(rb);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.v[0].level, DIAG_WARNING);
	assert_int_equal(d.v[0].line, 8);
	assert_string_equal(d.v[0].message,
	    "node \"lost\" is never reached from start");
	runbook_free(rb);
	diags_dispose(&d);
}

static void
test_alias_bomb_is_bounded(void **state)
{
	struct runbook *rb = NULL;
	struct diags d;
	struct buf b;
	size_t i;

	(void)state;
	/* 3000 probes share one list of 1000 commands: 3 million nodes
	 * to look at from 40 KB of text. */
	buf_init(&b, 0);
	buf_puts(&b, "runbook: r\nx: &big [");
	for (i = 0; i < 1000; i++)
		buf_puts(&b, "ls, ");
	buf_puts(&b, "ls]\nprobes:\n  p0: &p { tcp: h:1, requires: *big }\n");
	for (i = 1; i < 3000; i++)
		buf_printf(&b, "  p%zu: *p\n", i);
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", buf_cstr(&b), b.len,
	    &rb, &d), -1);
	assert_null(rb);
	assert_true(d.errors >= 1);
	assert_non_null(strstr(d.v[0].message, "too large"));
	buf_dispose(&b);
	diags_dispose(&d);
}

/* Loads text, which must load cleanly (no diagnostics at all). */
static struct runbook *
load_text(const char *text, size_t len)
{
	struct runbook *rb = NULL;
	struct diags d;
	char *out;
	int rc;

	diags_init(&d);
	rc = runbook_load_string("t.yaml", text, len, &rb, &d);
	if (rc != 0 || d.n != 0) {
		out = printed(&d);
		fail_msg("does not load cleanly:\n%s", out);
	}
	diags_dispose(&d);
	return rb;
}

/* The diagnostics of loading text (which must fail), printed (heap). */
static char *
load_errors(const char *text)
{
	struct runbook *rb = NULL;
	struct diags d;
	char *out;

	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text), &rb,
	    &d), -1);
	assert_null(rb);
	diags_sort(&d);
	out = printed(&d);
	diags_dispose(&d);
	return out;
}

/* Past 100 errors the rest are counted, in the total too; an error
 * repeated through an alias is one error, so repeats cannot push a
 * different one out. */
static void
test_error_limit(void **state)
{
	struct runbook *rb = NULL;
	struct diags d;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	buf_puts(&b, "runbook: r\nprobes:\n");
	for (i = 0; i < 105; i++)
		buf_printf(&b, "  p%zu: { tcp: \"h:1\", timeout: x }\n", i);
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", buf_cstr(&b), b.len,
	    &rb, &d), -1);
	assert_int_equal(d.errors, 105);
	assert_int_equal(d.n, 101);
	assert_string_equal(d.v[100].message, "5 more errors not shown");
	/* It stays last when a caller sorts the list again (check, lint). */
	diags_sort(&d);
	assert_string_equal(d.v[100].message, "5 more errors not shown");
	diags_dispose(&d);
	buf_reset(&b);
	buf_puts(&b, "runbook: r\nprobes:\n"
	    "  p0: &a { tcp: \"h:1\", timeout: x }\n");
	for (i = 1; i < 150; i++)
		buf_printf(&b, "  p%zu: *a\n", i);
	buf_puts(&b, "  last: { tcp: \"h:1\", timout: 5s }\n");
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", buf_cstr(&b), b.len,
	    &rb, &d), -1);
	assert_int_equal(d.errors, 2);
	diags_sort(&d);
	assert_string_equal(d.v[1].message, "unknown key \"timout\" in "
	    "probe \"last\"");
	diags_dispose(&d);
	buf_dispose(&b);
}

static void
test_short_secret_refused(void **state)
{
	const char *text = "runbook: r\nsecrets: [TRIAGE_TEST_S4]\n"
	    "probes:\n  p:\n    tcp: h:1\n    expect: exit == 0\n";
	char *out;

	(void)state;
	/* "x" would redact every x of every message and condition. */
	setenv("TRIAGE_TEST_S4", "x", 1);
	out = load_errors(text);
	assert_string_equal(out, "triage: t.yaml:2:11: error: secret "
	    "TRIAGE_TEST_S4 is 1 character long, too short to redact\n"
	    "    secrets: [TRIAGE_TEST_S4]\n"
	    "              ^\n"
	    "  hint: a secret is at least 4 characters; unset TRIAGE_TEST_S4 "
	    "to skip what uses it\n");
	free(out);
	setenv("TRIAGE_TEST_S4", "abcd", 1);
	runbook_free(load_text(text, strlen(text)));
	unsetenv("TRIAGE_TEST_S4");
}

static void
test_nested_aliases_are_bounded(void **state)
{
	const char *text = "runbook: r\nvars:\n"
	    "  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	    "  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	    "  i: [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	char *out;

	(void)state;
	/* A billion nodes from nine lines: stopped while building. */
	out = load_errors(text);
	assert_non_null(strstr(out, "t.yaml: error: the runbook is too large: "
	    "its aliases and merges expand past 2000000 nodes"));
	free(out);
}

/* One probe per line, n of them, each { http: "http://127.0.0.1:1/up" }. */
static char *
many_probes(size_t n, size_t *len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "runbook: many\nprobes:\n");
	for (i = 0; i < n; i++)
		buf_printf(&b, "  p%zu: { http: \"http://127.0.0.1:1/up\" }\n",
		    i);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_many_probes_load(void **state)
{
	struct runbook *rb;
	size_t len;
	char *text;

	(void)state;
	/* Ordinary nodes are not counted against the alias bound: 100,000
	 * probes (4 MiB of text) load. */
	text = many_probes(100000, &len);
	rb = load_text(text, len);
	assert_int_equal(rb->nprobes, 100000);
	assert_string_equal(rb->probes[99999].id, "p99999");
	assert_int_equal(runbook_probe_index(rb, "p0"), 0);
	assert_int_equal(runbook_probe_index(rb, "p77777"), 77777);
	assert_int_equal(runbook_probe_index(rb, "p100000"), -1);
	assert_string_equal(probe_param_str(&rb->probes[54321], "http", NULL),
	    "http://127.0.0.1:1/up");
	runbook_free(rb);
	free(text);
}

static void
test_large_merges_and_duplicates(void **state)
{
	struct runbook *rb = NULL;
	struct diags d;
	struct buf b;
	size_t i;
	char *want;

	(void)state;
	/* Large mappings: `<<` of 3000 probes into probes:, which give 3000
	 * more, one of which repeats a merged id (the mapping's own key
	 * wins) and one of which repeats its own. */
	buf_init(&b, 0);
	buf_puts(&b, "runbook: r\nx: &all\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "  m%zu: { tcp: \"h:%zu\" }\n", i, i + 1);
	buf_puts(&b, "probes:\n  <<: *all\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "  p%zu: { tcp: \"h:1\", needs: m%zu }\n", i,
		    2999 - i);
	buf_puts(&b, "  m7: { tcp: \"own:7\" }\n");
	buf_puts(&b, "  p42: { tcp: \"again:1\" }\n");
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", buf_cstr(&b), b.len,
	    &rb, &d), -1);
	/* x: is not a key of a runbook, and p42 is there twice. */
	assert_int_equal(d.errors, 2);
	diags_sort(&d);
	assert_string_equal(d.v[0].message, "unknown key \"x\"");
	want = xasprintf("duplicate probe \"p42\"; the first is at line %d",
	    3000 + 4 + 42 + 1);
	assert_string_equal(d.v[1].message, want);
	free(want);
	diags_dispose(&d);
	buf_dispose(&b);

	/* The same without the errors loads, in order: the merged probes
	 * where << stands, less those the mapping gives itself. */
	buf_init(&b, 0);
	buf_puts(&b, "runbook: r\nprobes:\n  <<: &all\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "    m%zu: { tcp: \"h:%zu\" }\n", i, i + 1);
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "  p%zu: { tcp: \"h:1\", needs: m%zu }\n", i,
		    2999 - i);
	buf_puts(&b, "  m7: { tcp: \"own:7\" }\n");
	rb = load_text(buf_cstr(&b), b.len);
	assert_int_equal(rb->nprobes, 6000);
	assert_string_equal(rb->probes[0].id, "m0");
	assert_string_equal(rb->probes[7].id, "m8");
	assert_string_equal(rb->probes[2999].id, "p0");
	assert_string_equal(rb->probes[5999].id, "m7");
	assert_string_equal(probe_param_str(&rb->probes[5999], "tcp", NULL),
	    "own:7");
	assert_string_equal(rb->probes[2999].needs[0], "m2999");
	runbook_free(rb);
	buf_dispose(&b);
}

static void
test_directory_of_many_files(void **state)
{
	char tmpl[] = "/tmp/triage-test-runbook-XXXXXX", *dir, *name, *p;
	struct runbook *rb = NULL;
	struct diags d;
	struct buf b;
	size_t f, i;

	(void)state;
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	for (f = 0; f < 40; f++) {
		buf_init(&b, 0);
		if (f == 0)
			buf_puts(&b, "runbook: split\n");
		buf_puts(&b, "probes:\n");
		for (i = 0; i < 100; i++)
			buf_printf(&b, "  f%zu_p%zu: { tcp: \"h:1\" }\n", f, i);
		name = xasprintf("%03zu.yaml", f);
		write_file(dir, name, buf_cstr(&b));
		free(name);
		buf_dispose(&b);
	}
	diags_init(&d);
	assert_int_equal(runbook_load_file(dir, &rb, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(rb->nfiles, 40);
	assert_int_equal(rb->nprobes, 4000);
	assert_string_equal(rb->probes[3999].id, "f39_p99");
	assert_int_equal(runbook_probe_index(rb, "f20_p5"), 2005);
	runbook_free(rb);
	diags_dispose(&d);
	for (f = 0; f < 40; f++) {
		p = xasprintf("%s/%03zu.yaml", dir, f);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static void
test_condition_with_secret(void **state)
{
	const char *text = "runbook: r\nsecrets: [TRIAGE_TEST_S4]\n"
	    "probes:\n  p:\n    command: [printenv, TRIAGE_TEST_S4]\n"
	    "    expect: 'stdout == \"{{env.TRIAGE_TEST_S4}}\"'\n"
	    "failures:\n"
	    "  f: { when: 'p.stdout != \"{{env.TRIAGE_TEST_S4}}\"' }\n";
	struct runbook *rb;
	json_t *result, *all;

	(void)state;
	setenv("TRIAGE_TEST_S4", "hunter2", 1);
	rb = load_text(text, strlen(text));
	/* The condition holds the redacted text, like the results it reads,
	 * so that it can hold. */
	assert_string_equal(expr_source(rb->probes[0].expect[0]),
	    "stdout == \"***\"");
	result = json_pack("{s:s}", "stdout", "hunter2");
	runbook_redact_json(rb, result);
	assert_string_equal(json_string_value(json_object_get(result,
	    "stdout")), "***");
	assert_true(expr_test(rb->probes[0].expect[0], result, 0));
	all = json_pack("{s:O}", "p", result);
	assert_false(expr_test(rb->failures[0].when, all, 0));
	json_decref(all);
	json_decref(result);
	result = json_pack("{s:s}", "stdout", "something else");
	runbook_redact_json(rb, result);
	assert_false(expr_test(rb->probes[0].expect[0], result, 0));
	json_decref(result);
	runbook_free(rb);
	unsetenv("TRIAGE_TEST_S4");
}

static void
test_prepare_with_unset_env(void **state)
{
	const char *text = "runbook: r\nprobes:\n"
	    "  a: { http: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  b: { tcp: \"{{env.TRIAGE_TEST_NOPE3}}:1\" }\n"
	    "  c: { shell: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  d: { http: \"http://h/{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  e: { log: \"/var/log/{{env.TRIAGE_TEST_NOPE3}}\", match: x+ }\n"
	    /* typed values: a number, a duration, a size, a host's port */
	    "  f: { log: /l, last: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  g: { tcp: \"h:1\", timeout: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  h: { http: \"http://h/\", max_body: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n"
	    "  i: { command: [hostname], on: box }\n"
	    "hosts:\n  box: { ssh: deploy@h, port: \"{{env.TRIAGE_TEST_NOPE3}}\" }\n";
	const char *bad = "runbook: r\nprobes:\n"
	    "  a: { log: \"/var/log/{{env.TRIAGE_TEST_NOPE3}}\", "
	    "match: \"(\" }\n"
	    "  b: { http: \"http://h/{{env.TRIAGE_TEST_NOPE3}}\", "
	    "method: \"G T\" }\n";
	struct runbook *rb;
	char *unset_out, *set_out;
	size_t i;

	(void)state;
	unsetenv("TRIAGE_TEST_NOPE3");
	/* Values that came out empty from an unset variable are not load
	 * errors: the probe is skipped when it runs. */
	rb = load_text(text, strlen(text));
	for (i = 0; i < rb->nprobes; i++)
		assert_string_equal(rb->probes[i].missing_env,
		    "TRIAGE_TEST_NOPE3");
	assert_null(rb->probes[0].priv);	/* "" is no URL: not compiled */
	assert_non_null(rb->probes[3].priv);	/* this one is a URL */
	assert_non_null(rb->probes[4].priv);	/* and its regex compiled */
	assert_true(rb->probes[6].timeout == 5.0);	/* the default */
	assert_int_equal(rb->hosts[0].port, 0);
	runbook_free(rb);

	/* Errors in what does not come from the variable are errors whether
	 * or not it is set. */
	unset_out = load_errors(bad);
	setenv("TRIAGE_TEST_NOPE3", "set", 1);
	set_out = load_errors(bad);
	unsetenv("TRIAGE_TEST_NOPE3");
	assert_string_equal(unset_out, set_out);
	assert_non_null(strstr(unset_out, "t.yaml:3:58: error: probe \"a\": "
	    "`match:` is not a valid regex"));
	assert_non_null(strstr(unset_out, "t.yaml:4:60: error: probe \"b\": "
	    "method \"G T\" is not an HTTP method"));
	free(unset_out);
	free(set_out);
}

static void
test_on_refused_alike(void **state)
{
	const char *text = "runbook: r\n"
	    "hosts: { h: { ssh: \"deploy@{{env.TRIAGE_TEST_NOPE4}}\" } }\n"
	    "probes:\n"
	    "  a: { command: [ls], on: h }\n"
	    "  b: { http: \"http://x/\", on: h }\n"
	    "  c: { file: \"/{{env.TRIAGE_TEST_NOPE4}}\", on: h }\n"
	    "failures:\n  f:\n    when: a.ok\n"
	    "    fix: [{ log: /x, on: h }]\n";
	char *unset_out, *set_out;

	(void)state;
	/* `on:` loads the same, set variables or not: command, file and log
	 * may run on a host, http is one error. */
	unsetenv("TRIAGE_TEST_NOPE4");
	unset_out = load_errors(text);
	setenv("TRIAGE_TEST_NOPE4", "10.0.0.5", 1);
	set_out = load_errors(text);
	unsetenv("TRIAGE_TEST_NOPE4");
	assert_string_equal(unset_out, set_out);
	assert_string_equal(unset_out,
	    "triage: t.yaml:5:31: error: probe \"b\": http probes cannot run "
	    "on a host; `on:` is for command, nagios, file and log\n"
	    "      b: { http: \"http://x/\", on: h }\n"
	    "                                  ^\n"
	    "  hint: leave out on: to check it from here, or run a command on "
	    "h (curl, nc, ...)\n");
	free(unset_out);
	free(set_out);
}

static void
test_top_level_templated(void **state)
{
	const char *text = "runbook: r\nvars: { team: payments }\n"
	    "title: \"{{team}} on {{env.TRIAGE_TEST_ENV5}}\"\n"
	    "owner: \"#{{team}}-oncall\"\n";
	struct runbook *rb;

	(void)state;
	setenv("TRIAGE_TEST_ENV5", "prod", 1);
	rb = load_text(text, strlen(text));
	assert_string_equal(rb->title, "payments on prod");
	assert_string_equal(rb->owner, "#payments-oncall");
	runbook_free(rb);
	unsetenv("TRIAGE_TEST_ENV5");
}

static const char *
test_key_of(const void *arg, size_t pos)
{
	char *const *keys = arg;

	return keys[pos];
}

static void
test_keyindex(void **state)
{
	struct keyindex x;
	char *keys[5000];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(keys); i++)
		keys[i] = xasprintf("k%zu", i % 4000);
	keyindex_init(&x, test_key_of, keys);
	assert_int_equal(keyindex_find(&x, "k1"), -1);
	/* The first position of a key stays; growing keeps them all. */
	for (i = 0; i < ARRAY_LEN(keys); i++)
		assert_int_equal(keyindex_add(&x, keys[i], i), i % 4000);
	for (i = 0; i < 4000; i++)
		assert_int_equal(keyindex_find(&x, keys[i]), i);
	assert_int_equal(keyindex_find(&x, "k4000"), -1);
	assert_int_equal(keyindex_find(&x, ""), -1);
	keyindex_dispose(&x);
	assert_int_equal(keyindex_find(&x, "k1"), -1);
	for (i = 0; i < ARRAY_LEN(keys); i++)
		free(keys[i]);
}

static void
test_directory(void **state)
{
	static const char *const names[] = { "10-base.yaml", "20-more.yml",
		"30-dup.yaml", "notes.txt" };
	char tmpl[] = "/tmp/triage-test-runbook-XXXXXX", *dir, *first, *p;
	struct runbook *rb = NULL;
	struct diags d;
	size_t i;

	(void)state;
	dir = mkdtemp(tmpl);
	assert_non_null(dir);
	write_file(dir, "10-base.yaml", "runbook: split\nvars: { box: b }\n"
	    "probes:\n  a: { tcp: \"{{box}}:1\" }\n"
	    "triage:\n  start: n\n  nodes:\n    n: { if: a.ok, then: m }\n");
	write_file(dir, "20-more.yml", "probes:\n  b: { tcp: h:1, needs: a }\n"
	    "triage:\n  nodes:\n    m: { if: b.ok, else: [f] }\n"
	    "failures:\n  f: { when: \"!b.ok\" }\n");
	write_file(dir, "notes.txt", "not yaml: [\n");
	diags_init(&d);
	assert_int_equal(runbook_load_file(dir, &rb, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(rb->nfiles, 2);
	assert_string_equal(rb->id, "split");
	assert_int_equal(rb->nprobes, 2);
	assert_string_equal(probe_param_str(&rb->probes[0], "tcp", NULL),
	    "b:1");
	assert_string_equal(rb->probes[1].needs[0], "a");
	assert_non_null(strstr(rb->probes[1].pos.file, "20-more.yml"));
	assert_non_null(runbook_source(rb, rb->probes[1].pos.file));
	assert_non_null(strstr(runbook_source(rb, rb->probes[1].pos.file),
	    "needs: a"));
	assert_int_equal(rb->triage.nnodes, 2);
	assert_true(rb->triage.nodes[0].then_branch.is_node);
	assert_int_equal(rb->nfailures, 1);
	runbook_free(rb);
	diags_dispose(&d);

	/* The same probe id and runbook: in two files. */
	write_file(dir, "30-dup.yaml", "runbook: again\n"
	    "probes:\n  a: { tcp: h:2 }\n");
	diags_init(&d);
	assert_int_equal(runbook_load_file(dir, &rb, &d), -1);
	assert_null(rb);
	assert_int_equal(d.errors, 2);
	first = xasprintf("duplicate key \"runbook\"; the first is at "
	    "%s/10-base.yaml:1", dir);
	assert_string_equal(d.v[0].message, first);
	free(first);
	first = xasprintf("duplicate probe \"a\"; the first is at "
	    "%s/10-base.yaml:4", dir);
	assert_string_equal(d.v[1].message, first);
	free(first);
	assert_int_equal(d.v[1].line, 3);
	assert_non_null(d.v[1].source_line);
	assert_string_equal(d.v[1].source_line, "  a: { tcp: h:2 }");
	diags_dispose(&d);

	for (i = 0; i < ARRAY_LEN(names); i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	/* An empty directory is an error, not a crash. */
	diags_init(&d);
	assert_int_equal(runbook_load_file(dir, &rb, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].message, "no *.yaml"));
	diags_dispose(&d);
	rmdir(dir);
}

static void
test_missing_file(void **state)
{
	struct runbook *rb = (struct runbook *)1;
	struct diags d;

	(void)state;
	diags_init(&d);
	assert_int_equal(runbook_load_file("/nonexistent/triage.yaml", &rb,
	    &d), -1);
	assert_null(rb);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "/nonexistent/triage.yaml");
	assert_int_equal(d.v[0].line, 0);
	assert_non_null(strstr(d.v[0].message, "cannot open"));
	diags_dispose(&d);
}

static void
test_too_large_and_not_text(void **state)
{
	size_t len = 17u * 1024u * 1024u;
	char *big = xmalloc(len);
	struct runbook *rb = (struct runbook *)1;
	struct diags d;

	(void)state;
	memset(big, '#', len);
	diags_init(&d);
	assert_int_equal(runbook_load_string("big.yaml", big, len, &rb, &d),
	    -1);
	assert_null(rb);
	assert_non_null(strstr(d.v[0].message, "larger than 16 MiB"));
	diags_dispose(&d);
	free(big);

	diags_init(&d);
	assert_int_equal(runbook_load_string("nul.yaml", "runbook: r\n\0x",
	    14, &rb, &d), -1);
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[0].col, 1);
	assert_string_equal(d.v[0].message,
	    "a NUL byte: a runbook is UTF-8 text");
	diags_dispose(&d);
}

/* Every tests/data/bad/NAME.yaml prints exactly NAME.err. */
static void
test_bad_goldens(void **state)
{
	char *dirpath = data_path("bad"), *path, *golden, *text, *out, *name;
	struct runbook *rb;
	struct dirent *de;
	struct diags d;
	size_t len, n = 0, nlen;
	DIR *dp;

	(void)state;
	dp = opendir(dirpath);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen < 6 || strcmp(de->d_name + nlen - 5, ".yaml") != 0)
			continue;
		path = xasprintf("%s/%s", dirpath, de->d_name);
		golden = xasprintf("%s/%.*s.err", dirpath, (int)(nlen - 5),
		    de->d_name);
		name = xasprintf("tests/data/bad/%s", de->d_name);
		text = slurp(path, &len);
		assert_non_null(text);
		rb = NULL;
		diags_init(&d);
		assert_int_equal(runbook_load_string(name, text, len, &rb, &d),
		    -1);
		assert_null(rb);
		assert_true(d.errors > 0);
		diags_sort(&d);
		out = printed(&d);
		free(text);
		text = slurp(golden, NULL);
		if (text == NULL)
			fail_msg("%s has no .err", path);
		if (strcmp(out, text) != 0)
			fail_msg("%s prints:\n%s\nbut %s holds:\n%s", path, out,
			    golden, text);
		free(out);
		free(text);
		free(name);
		free(golden);
		free(path);
		diags_dispose(&d);
		n++;
	}
	closedir(dp);
	free(dirpath);
	assert_true(n >= 25);
}

/* Every tests/data/good/ runbook loads with no diagnostics. */
static void
test_good_all(void **state)
{
	char *dirpath = data_path("good"), *rel;
	struct runbook *rb;
	struct dirent *de;
	size_t nlen, n = 0;
	DIR *dp;

	(void)state;
	dp = opendir(dirpath);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen < 6 || strcmp(de->d_name + nlen - 5, ".yaml") != 0)
			continue;
		rel = xasprintf("good/%s", de->d_name);
		rb = load_good(rel);
		runbook_free(rb);
		free(rel);
		n++;
	}
	closedir(dp);
	free(dirpath);
	assert_true(n >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_top),
		cmocka_unit_test(test_full_probes),
		cmocka_unit_test(test_full_tree_failures),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_redact_longest_first),
		cmocka_unit_test(test_secret_not_in_diagnostics),
		cmocka_unit_test(test_short_secret_refused),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_anchors_merge),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_several_errors_together),
		cmocka_unit_test(test_missing_env_through_var),
		cmocka_unit_test(test_go_templates_pass_through),
		cmocka_unit_test(test_unreachable_node_warns),
		cmocka_unit_test(test_alias_bomb_is_bounded),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_nested_aliases_are_bounded),
		cmocka_unit_test(test_many_probes_load),
		cmocka_unit_test(test_large_merges_and_duplicates),
		cmocka_unit_test(test_directory_of_many_files),
		cmocka_unit_test(test_condition_with_secret),
		cmocka_unit_test(test_prepare_with_unset_env),
		cmocka_unit_test(test_on_refused_alike),
		cmocka_unit_test(test_top_level_templated),
		cmocka_unit_test(test_keyindex),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_large_and_not_text),
		cmocka_unit_test(test_bad_goldens),
		cmocka_unit_test(test_good_all),
	};

	return cmocka_run_group_tests(tests, setup_env, NULL);
}
