/* SPDX-License-Identifier: MIT */
/* libcurl, opened when first needed (see util/dlib.h): call its functions
 * as sym_curl_...() once lib_curl_load() has succeeded. */
#ifndef TRIAGE_LIB_CURL_H
#define TRIAGE_LIB_CURL_H

#include <curl/curl.h>

#include "util/dlib.h"

#define LIB_CURL_SYMS(X) \
	X(curl_global_init) \
	X(curl_free) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	X(curl_easy_init) \
	X(curl_easy_reset) \
	X(curl_easy_cleanup) \
	X(curl_easy_setopt) \
	X(curl_easy_getinfo) \
	X(curl_easy_perform) \
	X(curl_easy_strerror) \
	X(curl_easy_unescape) \
	X(curl_multi_init) \
	X(curl_multi_cleanup) \
	X(curl_multi_setopt) \
	X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) \
	X(curl_multi_socket_action) \
	X(curl_multi_info_read) \
	X(curl_multi_strerror) \
	X(curl_url) \
	X(curl_url_cleanup) \
	X(curl_url_set) \
	X(curl_url_get) \
	X(curl_url_strerror)

LIB_CURL_SYMS(DLIB_DECLARE)

/* lib_curl_load: open libcurl and run its global init, once. 0, or -1 with
 * *err (static) saying why. */
int lib_curl_load(const char **err);

#endif
