/* SPDX-License-Identifier: MIT */
/* libcurl, opened when first needed. */
#include "lib-curl.h"

LIB_CURL_SYMS(DLIB_DEFINE)

static const struct dlib_sym curl_syms[] = { LIB_CURL_SYMS(DLIB_ENTRY) };

static const char *
curl_init(void)
{
	if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return "libcurl failed to initialise";
	return NULL;
}

static struct dlib curl_lib = DLIB_INIT(TRIAGE_SONAME_CURL, curl_syms,
    curl_init);

int
lib_curl_load(const char **err)
{
	return dlib_load(&curl_lib, err);
}
