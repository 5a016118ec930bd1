/* SPDX-License-Identifier: MIT */
/* Reference for bench/probes: a bare libcurl-multi loop doing N GETs of one
 * URL with C in flight, reusing easy handles; prints requests per second. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
setup(CURL *h, const char *url, int fresh)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	if (fresh) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
}

int
main(int argc, char **argv)
{
	long n, conc, started = 0, done = 0, failed = 0, i;
	int fresh, running = 0;
	CURLM *m;
	double t0, secs;

	if (argc != 5) {
		fprintf(stderr, "usage: bare-curl URL N CONCURRENCY FRESH(0|1)\n");
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	conc = strtol(argv[3], NULL, 10);
	fresh = strcmp(argv[4], "1") == 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	t0 = now();
	for (i = 0; i < conc && started < n; i++, started++) {
		CURL *h = curl_easy_init();

		setup(h, argv[1], fresh);
		curl_multi_add_handle(m, h);
	}
	while (done < n) {
		CURLMsg *msg;
		int left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			CURL *h = msg->easy_handle;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result != CURLE_OK || status != 200)
				failed++;
			done++;
			curl_multi_remove_handle(m, h);
			if (started < n) {
				started++;
				curl_multi_add_handle(m, h);
			} else {
				curl_easy_cleanup(h);
			}
		}
		if (done < n)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	secs = now() - t0;
	curl_multi_cleanup(m);
	printf("%.0f\n", (double)n / secs);
	fprintf(stderr, "bare-curl: %ld requests, %ld failed, %.3f s\n", n,
	    failed, secs);
	return failed > 0;
}
