/* SPDX-License-Identifier: MIT */
/* libpq, opened when first needed. */
#include "lib-pq.h"

LIB_PQ_SYMS(DLIB_DEFINE)

static const struct dlib_sym pq_syms[] = { LIB_PQ_SYMS(DLIB_ENTRY) };

static struct dlib pq_lib = DLIB_INIT(TRIAGE_SONAME_PQ, pq_syms, NULL);

int
lib_pq_load(const char **err)
{
	return dlib_load(&pq_lib, err);
}
