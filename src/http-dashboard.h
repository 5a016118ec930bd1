/* SPDX-License-Identifier: MIT */
/* The dashboard of triage watch (GET /): server-rendered HTML from the status
 * and diagnosis documents, and the script and style it loads (embedded from
 * src/dashboard/), which refresh it from the API. */
#ifndef TRIAGE_HTTP_DASHBOARD_H
#define TRIAGE_HTTP_DASHBOARD_H

#include <jansson.h>
#include <stddef.h>

/* dashboard_html: the page, from status (the /api/v1/status document) and
 * diagnosis (/api/v1/diagnosis; may be NULL), as a heap string. Every
 * string of a probe or the runbook is escaped; the page has no inline
 * script or style (the server's CSP forbids them). */
char *dashboard_html(json_t *status, json_t *diagnosis);

/* The assets, served at /static/dashboard.js and /static/dashboard.css. */
extern const char dashboard_js[];
extern const size_t dashboard_js_len;
extern const char dashboard_css[];
extern const size_t dashboard_css_len;

#endif
