/* SPDX-License-Identifier: MIT */
/* Clocks, durations, sizes and ISO-8601 times. Durations are seconds (double). */
#include "util/timeutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double
time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* strtod also reads hex, inf and exponents; durations and sizes are plain
 * decimals: digits with at most one point, then the unit. */
static int
is_decimal(const char *s)
{
	size_t i, points = 0, digits = 0;

	for (i = 0; isdigit((unsigned char)s[i]) || s[i] == '.'; i++) {
		if (s[i] == '.')
			points++;
		else
			digits++;
	}
	return digits > 0 && points <= 1 && s[i] != 'x' && s[i] != 'X' &&
	    s[i] != 'e' && s[i] != 'E' && s[i] != 'p' && s[i] != 'P';
}

static const struct {
	const char *unit;
	double secs;
} duration_units[] = {
	{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
	{ "d", 86400 }, { "w", 604800 },
};

int
duration_parse(const char *s, double *out)
{
	double total = 0;
	int parts = 0;

	while (*s != '\0') {
		char *end;
		double v;
		size_t i, ulen = 0;

		if (!is_decimal(s))
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
			size_t l = strlen(duration_units[i].unit);

			if (strncmp(s, duration_units[i].unit, l) == 0 &&
			    !isalpha((unsigned char)s[l])) {
				ulen = l;
				break;
			}
		}
		if (ulen == 0)
			return -1;
		total += v * duration_units[i].secs;
		s += ulen;
		parts++;
	}
	if (parts == 0 || !isfinite(total))
		return -1;
	*out = total;
	return 0;
}

void
duration_format(double secs, char *out, size_t n)
{
	long long s;

	if (secs < 0) {
		snprintf(out, n, "-");
		duration_format(-secs, out + 1, n > 1 ? n - 1 : 0);
		return;
	}
	/* Round first, then pick the unit: 0.9996 is "1s", not "1000ms". */
	if (llround(secs * 1000) < 1000) {
		snprintf(out, n, "%lldms", (long long)llround(secs * 1000));
		return;
	}
	if (llround(secs * 10) < 600 && llround(secs * 10) % 10 != 0) {
		snprintf(out, n, "%.1fs", (double)llround(secs * 10) / 10);
		return;
	}
	s = llround(secs);
	if (s < 60)
		snprintf(out, n, "%llds", s);
	else if (s < 3600)
		snprintf(out, n, s % 60 ? "%lldm%llds" : "%lldm", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, n, (s % 3600) / 60 ? "%lldh%lldm" : "%lldh",
		    s / 3600, (s % 3600) / 60);
	else
		snprintf(out, n, (s % 86400) / 3600 ? "%lldd%lldh" : "%lldd",
		    s / 86400, (s % 86400) / 3600);
}

static const struct {
	const char *unit;
	double bytes;
} size_units[] = {
	{ "B", 1 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 }, { "TB", 1e12 },
	{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
	{ "TiB", 1099511627776.0 },
};

int
size_parse(const char *s, double *out)
{
	char *end;
	double v;
	size_t i;

	if (!is_decimal(s))
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcmp(end, size_units[i].unit) == 0) {
			*out = v * size_units[i].bytes;
			return isfinite(*out) ? 0 : -1;
		}
	}
	return -1;
}

void
time_format_iso8601(double t, int frac, char *out, size_t n)
{
	long long total_ms = llround(t * 1000);
	time_t secs = (time_t)(frac ? floor((double)total_ms / 1000) :
	    floor(t));
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		int ms = (int)(total_ms - (long long)secs * 1000);

		snprintf(out, n, "%s.%03dZ", base, ms);
	} else {
		snprintf(out, n, "%sZ", base);
	}
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[month - 1] + (month == 2 && leap);
}

static int
take_digits(const char **s, int count, int *out)
{
	int v = 0, i;

	for (i = 0; i < count; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += count;
	*out = v;
	return 0;
}

int
time_parse_iso8601(const char *s, double *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	double fracpart = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (take_digits(&s, 4, &y) || *s++ != '-' || take_digits(&s, 2, &mo) ||
	    *s++ != '-' || take_digits(&s, 2, &d))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (take_digits(&s, 2, &h) || *s++ != ':' ||
		    take_digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (take_digits(&s, 2, &sec))
				return -1;
		}
		if (*s == '.' || *s == ',') {
			double scale = 0.1;

			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			while (isdigit((unsigned char)*s)) {
				fracpart += (*s - '0') * scale;
				scale /= 10;
				s++;
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (take_digits(&s, 2, &oh))
				return -1;
			if (*s == ':') {
				s++;
				if (take_digits(&s, 2, &om))
					return -1;
			} else if (isdigit((unsigned char)*s) &&
			    take_digits(&s, 2, &om)) {
				return -1;
			}
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (double)t + fracpart - sign * (oh * 3600 + om * 60);
	return 0;
}
