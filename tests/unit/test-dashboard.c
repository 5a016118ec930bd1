/* SPDX-License-Identifier: MIT */
/* Tests for the dashboard page (http-dashboard.c): tiles by layer with their
 * state and marks, the failure modes with their fix plan, the banners, and
 * every string from a probe or the runbook escaped; no inline script or
 * style. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http-dashboard.h"

static const char status_text[] =
    "{\"runbook\":\"demo\",\"title\":\"Demo <b>\",\"status\":\"critical\","
    "\"paused\":true,\"stale\":true,\"poller_last_poll_at\":null,"
    "\"reload_error\":\"rb.yaml:3:1: error: <script>x</script>\","
    "\"probes\":["
    "{\"id\":\"edge_up\",\"layer\":\"edge\",\"state\":\"critical\","
    "\"hard_state\":\"ok\",\"state_type\":\"soft\",\"attempt\":1,"
    "\"retries\":3,\"reason\":\"<script>alert(1)</script>\","
    "\"latency_ms\":1.5,\"age_s\":2,\"stale\":false,\"flapping\":true,"
    "\"latency_history\":[1,2,3],\"ack\":{\"by\":\"<al>\","
    "\"at\":\"2026-12-07T18:00:00Z\",\"comment\":\"on \\\"it\\\"\"}},"
    "{\"id\":\"q\\\"uote\",\"layer\":\"app\",\"state\":\"ok\","
    "\"hard_state\":\"ok\",\"state_type\":\"hard\",\"reason\":null,"
    "\"description\":\"it's fine\",\"stale\":true}],"
    "\"changes\":[{\"at\":\"2026-11-24T00:00:00Z\",\"probe\":\"edge_up\","
    "\"from\":\"ok\",\"to\":\"critical\",\"type\":\"hard\","
    "\"reason\":\"x&y\"}],"
    "\"failures\":[{\"id\":\"edge-down\",\"ack\":{\"by\":\"bob\","
    "\"at\":\"2026-12-07T18:01:00Z\",\"comment\":null}}]}";

static const char diagnosis_text[] =
    "{\"status\":\"failure\",\"failures\":[{\"id\":\"edge-down\","
    "\"title\":\"Edge <down>\",\"diagnosis\":\"d\",\"symptom\":\"!edge_up.ok\","
    "\"fix\":{\"steps\":[{\"command\":\"rm -rf '/x'\",\"dangerous\":"
    "\"drops it\"},{\"command\":\"b\",\"dangerous\":null}],"
    "\"run\":\"triage fix edge-down\"}}]}";

static char *
render(json_t **st, json_t **dg)
{
	*st = json_loads(status_text, 0, NULL);
	*dg = json_loads(diagnosis_text, 0, NULL);
	assert_non_null(*st);
	assert_non_null(*dg);
	return dashboard_html(*st, *dg);
}

static void
test_tiles_and_marks(void **state)
{
	json_t *st, *dg;
	char *html = render(&st, &dg);

	(void)state;
	assert_non_null(strstr(html, "<div class=\"tile state-critical\" "
	    "data-probe=\"edge_up\" data-state=\"critical\" data-hard=\"ok\" "
	    "data-type=\"soft\" data-stale=\"false\" data-flapping=\"true\">"));
	assert_non_null(strstr(html, "SOFT 1/3"));
	assert_non_null(strstr(html, "FLAPPING"));
	/* Acknowledged: who, with when and the comment as the title. */
	assert_non_null(strstr(html, "<span class=\"mark ack\" title=\""
	    "2026-12-07T18:00:00Z: on &quot;it&quot;\">ACK &lt;al&gt;</span>"));
	assert_non_null(strstr(html, "<polyline points=\""));
	/* Layers in order of first appearance, each tile under its own. */
	assert_true(strstr(html, ">edge</h2>") < strstr(html, "data-probe=\""
	    "edge_up\""));
	assert_true(strstr(html, ">app</h2>") > strstr(html, "data-probe=\""
	    "edge_up\""));
	/* A probe without a reason shows its description; stale marked. */
	assert_non_null(strstr(html, "it&#39;s fine"));
	assert_non_null(strstr(html, "data-stale=\"true\""));
	free(html);
	json_decref(st);
	json_decref(dg);
}

static void
test_escaped(void **state)
{
	json_t *st, *dg;
	char *html = render(&st, &dg);

	(void)state;
	assert_null(strstr(html, "<script>"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<down>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "data-probe=\"q&quot;uote\""));
	assert_non_null(strstr(html, "x&amp;y"));
	/* The one script is ours, and nothing is inline. */
	assert_non_null(strstr(html, "<script src=\"/static/dashboard.js\" "
	    "defer></script>"));
	assert_null(strstr(html, "style="));
	assert_null(strstr(html, "onclick"));
	free(html);
	json_decref(st);
	json_decref(dg);
}

static void
test_failures_and_banners(void **state)
{
	json_t *st, *dg;
	char *html = render(&st, &dg);

	(void)state;
	assert_non_null(strstr(html, "<section class=\"failure\" "
	    "data-failure=\"edge-down\">"));
	assert_non_null(strstr(html, "<span class=\"fid\">edge-down</span>"
	    "<span class=\"mark ack\" title=\"2026-12-07T18:01:00Z\">ACK bob"
	    "</span></h3>"));
	assert_non_null(strstr(html, "<li><code>rm -rf &#39;/x&#39;</code> "
	    "<span class=\"mark danger\">DANGEROUS: drops it</span></li>"));
	assert_non_null(strstr(html, "<li><code>b</code></li>"));
	assert_non_null(strstr(html, "triage fix edge-down"));
	assert_non_null(strstr(html, "banner paused"));
	assert_non_null(strstr(html, "banner stale"));
	assert_non_null(strstr(html, "rb.yaml:3:1: error: &lt;script&gt;"));
	free(html);
	json_decref(st);
	json_decref(dg);
}

static void
test_no_diagnosis(void **state)
{
	json_t *st = json_loads(status_text, 0, NULL);
	char *html = dashboard_html(st, NULL);

	(void)state;
	assert_non_null(strstr(html, "No diagnosis yet."));
	assert_null(strstr(html, "class=\"failure\""));
	free(html);
	json_decref(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiles_and_marks),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_failures_and_banners),
		cmocka_unit_test(test_no_diagnosis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
