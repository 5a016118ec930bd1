/* SPDX-License-Identifier: MIT */
/* libmicrohttpd, opened when first needed (see util/dlib.h): call its
 * functions as sym_MHD_...() once lib_mhd_load() has succeeded. */
#ifndef TRIAGE_LIB_MHD_H
#define TRIAGE_LIB_MHD_H

#include <microhttpd.h>

#include "util/dlib.h"

#define LIB_MHD_SYMS(X) \
	X(MHD_start_daemon) \
	X(MHD_stop_daemon) \
	X(MHD_get_daemon_info) \
	X(MHD_get_timeout) \
	X(MHD_run) \
	X(MHD_get_connection_info) \
	X(MHD_lookup_connection_value) \
	X(MHD_create_response_from_buffer_with_free_callback) \
	X(MHD_add_response_header) \
	X(MHD_queue_response) \
	X(MHD_destroy_response)

LIB_MHD_SYMS(DLIB_DECLARE)

/* lib_mhd_load: open libmicrohttpd, once. 0, or -1 with *err (static)
 * saying why. */
int lib_mhd_load(const char **err);

#endif
