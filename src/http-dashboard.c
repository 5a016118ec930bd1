/* SPDX-License-Identifier: MIT */
/* The dashboard page, rendered on the server (http-dashboard.h). The script
 * (src/dashboard/dashboard.js) rebuilds the same markup from the API every
 * few seconds; the two follow one layout, described there. */
#include "http-dashboard.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "util/buf.h"

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
esc(struct buf *b, const char *s)
{
	html_escape(b, s != NULL ? s : "");
}

/* "4s ago", "3m ago", "2h ago", "never". */
static void
age(struct buf *b, json_t *secs)
{
	double s = json_number_value(secs);

	if (!json_is_number(secs))
		buf_puts(b, "never");
	else if (s < 90)
		buf_printf(b, "%.0fs ago", s);
	else if (s < 5400)
		buf_printf(b, "%.0fm ago", s / 60);
	else
		buf_printf(b, "%.0fh ago", s / 3600);
}

/* An acknowledgement: "ACK alice", its comment and time as the title. */
static void
ack_mark(struct buf *b, json_t *ack)
{
	if (!json_is_object(ack))
		return;
	buf_puts(b, "<span class=\"mark ack\" title=\"");
	esc(b, str(ack, "at"));
	if (json_is_string(json_object_get(ack, "comment"))) {
		buf_puts(b, ": ");
		esc(b, str(ack, "comment"));
	}
	buf_puts(b, "\">ACK ");
	esc(b, str(ack, "by"));
	buf_puts(b, "</span>");
}

/* A sparkline of the latencies as an inline SVG polyline, 60 x 16. */
static void
sparkline(struct buf *b, json_t *hist)
{
	double max = 0;
	size_t i, n = json_array_size(hist);
	json_t *v;

	if (n < 2)
		return;
	json_array_foreach(hist, i, v)
		max = fmax(max, json_number_value(v));
	if (max <= 0)
		max = 1;
	buf_puts(b, "<svg class=\"spark\" viewBox=\"0 0 60 16\" "
	    "preserveAspectRatio=\"none\" aria-hidden=\"true\"><polyline "
	    "points=\"");
	json_array_foreach(hist, i, v)
		buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "",
		    60.0 * (double)i / (double)(n - 1),
		    15.5 - 15.0 * json_number_value(v) / max);
	buf_puts(b, "\"/></svg>");
}

static void
tile(struct buf *b, json_t *p)
{
	const char *state = str(p, "state"), *type = str(p, "state_type");
	json_t *lat = json_object_get(p, "latency_ms");

	buf_puts(b, "<div class=\"tile state-");
	esc(b, state);
	buf_puts(b, "\" data-probe=\"");
	esc(b, str(p, "id"));
	buf_puts(b, "\" data-state=\"");
	esc(b, state);
	buf_puts(b, "\" data-hard=\"");
	esc(b, str(p, "hard_state"));
	buf_printf(b, "\" data-type=\"%s\" data-stale=\"%s\" "
	    "data-flapping=\"%s\">", strcmp(type, "soft") == 0 ? "soft" :
	    "hard", json_is_true(json_object_get(p, "stale")) ? "true" :
	    "false", json_is_true(json_object_get(p, "flapping")) ? "true" :
	    "false");
	buf_puts(b, "<div class=\"tile-head\"><span class=\"id\">");
	esc(b, str(p, "id"));
	buf_puts(b, "</span><span class=\"state\">");
	esc(b, state);
	buf_puts(b, "</span></div><div class=\"reason\">");
	esc(b, json_is_string(json_object_get(p, "reason")) ?
	    str(p, "reason") : str(p, "description"));
	buf_puts(b, "</div><div class=\"marks\">");
	if (strcmp(type, "soft") == 0)
		buf_printf(b, "<span class=\"mark soft\">SOFT %lld/%lld</span>",
		    json_integer_value(json_object_get(p, "attempt")),
		    json_integer_value(json_object_get(p, "retries")));
	if (json_is_true(json_object_get(p, "stale")))
		buf_puts(b, "<span class=\"mark stale\">STALE</span>");
	if (json_is_true(json_object_get(p, "flapping")))
		buf_puts(b, "<span class=\"mark flap\">FLAPPING</span>");
	ack_mark(b, json_object_get(p, "ack"));
	buf_puts(b, "</div><div class=\"foot\"><span class=\"age\">");
	age(b, json_object_get(p, "age_s"));
	buf_puts(b, "</span><span class=\"lat\">");
	if (json_is_number(lat))
		buf_printf(b, "%.1f ms", json_number_value(lat));
	buf_puts(b, "</span>");
	sparkline(b, json_object_get(p, "latency_history"));
	buf_puts(b, "</div></div>");
}

static void
tiles(struct buf *b, json_t *probes)
{
	json_t *layers = json_array(), *p, *l;
	size_t i, j;

	/* Layers in the order they first appear. */
	json_array_foreach(probes, i, p) {
		int seen = 0;

		json_array_foreach(layers, j, l)
			seen |= strcmp(json_string_value(l), str(p, "layer")) == 0;
		if (!seen)
			json_array_append_new(layers, json_string(str(p,
			    "layer")));
	}
	buf_puts(b, "<section id=\"tiles\">");
	json_array_foreach(layers, j, l) {
		buf_puts(b, "<h2 class=\"layer\">");
		esc(b, json_string_value(l));
		buf_puts(b, "</h2><div class=\"tiles\">");
		json_array_foreach(probes, i, p) {
			if (strcmp(str(p, "layer"), json_string_value(l)) == 0)
				tile(b, p);
		}
		buf_puts(b, "</div>");
	}
	buf_puts(b, "</section>");
	json_decref(layers);
}

static void
failure(struct buf *b, json_t *f, json_t *ack)
{
	json_t *fix = json_object_get(f, "fix"), *step;
	size_t i;

	buf_puts(b, "<section class=\"failure\" data-failure=\"");
	esc(b, str(f, "id"));
	buf_puts(b, "\"><h3>");
	esc(b, str(f, "title"));
	buf_puts(b, " <span class=\"fid\">");
	esc(b, str(f, "id"));
	buf_puts(b, "</span>");
	ack_mark(b, ack);
	buf_puts(b, "</h3><p class=\"diagnosis\">");
	esc(b, str(f, "diagnosis"));
	buf_puts(b, "</p><p class=\"symptom\">symptom <code>");
	esc(b, str(f, "symptom"));
	buf_puts(b, "</code></p>");
	if (json_array_size(json_object_get(fix, "steps")) > 0) {
		buf_puts(b, "<h4>Fix plan (dry run)</h4><ol class=\"steps\">");
		json_array_foreach(json_object_get(fix, "steps"), i, step) {
			buf_puts(b, "<li><code>");
			esc(b, str(step, "command"));
			buf_puts(b, "</code>");
			if (json_is_string(json_object_get(step, "dangerous"))) {
				buf_puts(b, " <span class=\"mark danger\">"
				    "DANGEROUS: ");
				esc(b, str(step, "dangerous"));
				buf_puts(b, "</span>");
			}
			buf_puts(b, "</li>");
		}
		buf_puts(b, "</ol><p class=\"run\">apply with <code>");
		esc(b, str(fix, "run"));
		buf_puts(b, "</code></p>");
	}
	buf_puts(b, "</section>");
}

/* The acknowledgement of failure mode id in the status, or NULL. */
static json_t *
failure_ack(json_t *status, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(status, "failures"), i, f) {
		if (strcmp(str(f, "id"), id) == 0)
			return json_object_get(f, "ack");
	}
	return NULL;
}

static void
failures(struct buf *b, json_t *diagnosis, json_t *status)
{
	json_t *list = json_object_get(diagnosis, "failures"), *f;
	size_t i;

	buf_puts(b, "<section id=\"failures\"><h2>Failure modes</h2>");
	if (json_array_size(list) == 0)
		buf_printf(b, "<p class=\"none\">%s</p>", diagnosis == NULL ?
		    "No diagnosis yet." : strcmp(str(diagnosis, "status"),
		    "unmatched") == 0 ? "Something is failing that no failure "
		    "mode of the runbook describes: escalate." :
		    "No failure mode matches.");
	json_array_foreach(list, i, f)
		failure(b, f, failure_ack(status, str(f, "id")));
	buf_puts(b, "</section>");
}

static void
changes(struct buf *b, json_t *list)
{
	json_t *c;
	size_t i;

	buf_puts(b, "<section id=\"changes\"><h2>Recent changes</h2>"
	    "<table><thead><tr><th>at</th><th>probe</th><th>change</th>"
	    "<th>reason</th></tr></thead><tbody>");
	json_array_foreach(list, i, c) {
		buf_puts(b, "<tr><td>");
		esc(b, str(c, "at"));
		buf_puts(b, "</td><td>");
		esc(b, str(c, "probe"));
		buf_puts(b, "</td><td>");
		esc(b, str(c, "from"));
		buf_puts(b, " &rarr; <span class=\"state-text state-");
		esc(b, str(c, "to"));
		buf_puts(b, "\">");
		esc(b, str(c, "to"));
		buf_puts(b, "</span> ");
		esc(b, str(c, "type"));
		buf_puts(b, "</td><td>");
		esc(b, str(c, "reason"));
		buf_puts(b, "</td></tr>");
	}
	buf_puts(b, "</tbody></table></section>");
}

static void
banners(struct buf *b, json_t *status)
{
	buf_puts(b, "<div id=\"banners\">");
	if (json_is_true(json_object_get(status, "paused")))
		buf_puts(b, "<p class=\"banner paused\">Probing is PAUSED "
		    "(emergency stop): POST /api/v1/resume to start again."
		    "</p>");
	if (json_is_true(json_object_get(status, "stale")))
		buf_puts(b, "<p class=\"banner stale\">STALE: the poller has "
		    "handed over nothing within the staleness limit; what "
		    "you see is old.</p>");
	if (json_is_string(json_object_get(status, "reload_error"))) {
		buf_puts(b, "<div class=\"banner error\"><p>The last reload "
		    "failed; still watching the runbook loaded before:</p>"
		    "<pre>");
		esc(b, str(status, "reload_error"));
		buf_puts(b, "</pre></div>");
	}
	buf_puts(b, "</div>");
}

char *
dashboard_html(json_t *status, json_t *diagnosis)
{
	const char *title = str(status, "title");
	struct buf b;

	if (*title == '\0')
		title = str(status, "runbook");
	buf_init(&b, 0);
	buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>");
	esc(&b, title);
	buf_puts(&b, " · triage</title><link rel=\"stylesheet\" "
	    "href=\"/static/dashboard.css\"><script "
	    "src=\"/static/dashboard.js\" defer></script></head><body>"
	    "<header><h1>");
	esc(&b, title);
	buf_puts(&b, "</h1><span id=\"overall\" class=\"overall state-");
	esc(&b, str(status, "status"));
	buf_puts(&b, "\">");
	esc(&b, str(status, "status"));
	buf_puts(&b, "</span><span class=\"meta\" id=\"meta\">runbook ");
	esc(&b, str(status, "runbook"));
	buf_puts(&b, " · last poll ");
	esc(&b, json_is_string(json_object_get(status,
	    "poller_last_poll_at")) ? str(status, "poller_last_poll_at") :
	    "none yet");
	buf_puts(&b, "</span></header>");
	banners(&b, status);
	buf_puts(&b, "<main>");
	failures(&b, diagnosis, status);
	tiles(&b, json_object_get(status, "probes"));
	changes(&b, json_object_get(status, "changes"));
	buf_puts(&b, "</main></body></html>\n");
	return buf_steal(&b);
}
