/* SPDX-License-Identifier: MIT */
/* Monitoring-plugin output: status text, long output and performance data. */
#ifndef TRIAGE_NAGIOS_H
#define TRIAGE_NAGIOS_H

#include <jansson.h>

/* nagios_parse_output: parses plugin output as the Monitoring Plugins
 * Development Guidelines describe it ("TEXT | perfdata" on the first line,
 * long output on the next ones, more perfdata after a `|` in the long
 * output) and sets into the object out: `output` (the first line's text,
 * trimmed), `long_output` (the rest of the text, trimmed; absent when
 * empty) and `perf` (always an object: label -> {value, uom, warn, crit,
 * min, max}; value is null for "U"; warn and crit are numbers, or strings
 * when they use range syntax; fields the plugin left out are absent).
 * Invalid UTF-8 is replaced and malformed perfdata items are skipped,
 * never an error. Returns the number of perfdata items kept. */
int nagios_parse_output(const char *text, json_t *out);

#endif
