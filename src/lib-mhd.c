/* SPDX-License-Identifier: MIT */
/* libmicrohttpd, opened when first needed. */
#include "lib-mhd.h"

LIB_MHD_SYMS(DLIB_DEFINE)

static const struct dlib_sym mhd_syms[] = { LIB_MHD_SYMS(DLIB_ENTRY) };

static struct dlib mhd_lib = DLIB_INIT(TRIAGE_SONAME_MHD, mhd_syms, NULL);

int
lib_mhd_load(const char **err)
{
	return dlib_load(&mhd_lib, err);
}
