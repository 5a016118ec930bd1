/* SPDX-License-Identifier: MIT */
/* libpq, opened when first needed (see util/dlib.h): call its functions as
 * sym_PQ...() once lib_pq_load() has succeeded. */
#ifndef TRIAGE_LIB_PQ_H
#define TRIAGE_LIB_PQ_H

#include <libpq-fe.h>

#include "util/dlib.h"

#define LIB_PQ_SYMS(X) \
	X(PQconninfoParse) \
	X(PQconninfoFree) \
	X(PQconnectStartParams) \
	X(PQconnectPoll) \
	X(PQstatus) \
	X(PQsocket) \
	X(PQuser) \
	X(PQerrorMessage) \
	X(PQsetnonblocking) \
	X(PQsetNoticeReceiver) \
	X(PQsendQuery) \
	X(PQsendQueryParams) \
	X(PQsetSingleRowMode) \
	X(PQconsumeInput) \
	X(PQflush) \
	X(PQisBusy) \
	X(PQgetResult) \
	X(PQresultStatus) \
	X(PQresultErrorMessage) \
	X(PQresultErrorField) \
	X(PQntuples) \
	X(PQnfields) \
	X(PQfname) \
	X(PQftype) \
	X(PQgetvalue) \
	X(PQgetlength) \
	X(PQgetisnull) \
	X(PQcmdTuples) \
	X(PQclear) \
	X(PQfreemem) \
	X(PQfinish)

LIB_PQ_SYMS(DLIB_DECLARE)

/* lib_pq_load: open libpq, once. 0, or -1 with *err (static) saying why. */
int lib_pq_load(const char **err);

#endif
