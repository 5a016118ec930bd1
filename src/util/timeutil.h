/* SPDX-License-Identifier: MIT */
/* Clocks, durations, sizes and ISO-8601 times. Durations are seconds (double). */
#ifndef TRIAGE_TIMEUTIL_H
#define TRIAGE_TIMEUTIL_H

#include <stddef.h>

/* time_now: wall-clock time, seconds since the epoch. */
double time_now(void);

/* time_mono: monotonic time in seconds, for deadlines and latencies. */
double time_mono(void);

/* duration_parse: "300ms", "2s", "5m", "1h", "7d", "1.5s", "1h30m" -> seconds.
 * A bare number is not a duration. 0 on success, -1 on bad syntax. */
int duration_parse(const char *s, double *out);

/* duration_format: seconds as the shortest readable duration ("2s",
 * "300ms", "1h30m") into out. */
void duration_format(double secs, char *out, size_t n);

/* size_parse: "10KB", "5MiB", "1GB", "512B" -> bytes (KB = 1000,
 * KiB = 1024). 0 on success, -1 on bad syntax. */
int size_parse(const char *s, double *out);

/* time_format_iso8601: t (epoch seconds) as "2026-11-23T16:31:00Z" (UTC,
 * with milliseconds when frac is set) into out. */
void time_format_iso8601(double t, int frac, char *out, size_t n);

/* time_parse_iso8601: "2026-11-23T16:31:00Z", with optional fraction and a
 * Z or +hh:mm / -hhmm offset, or a date alone -> epoch seconds.
 * 0 on success, -1 on bad syntax. */
int time_parse_iso8601(const char *s, double *out);

#endif
