/* SPDX-License-Identifier: MIT */
/*
 * Shared libraries opened when first needed (dlopen), not at start.
 *
 * libcurl, libpq and libmicrohttpd bring about 30 libraries with them
 * (GnuTLS, Kerberos, LDAP, ...). Linked the usual way, the dynamic loader
 * maps and relocates all of them before main, which is two thirds of a
 * `triage check` that needs none of them (a log or command runbook, the
 * built-in host runbook). So they are opened by the code that uses them,
 * as systemd does for its optional libraries: each library's functions are
 * called through pointers named sym_<function>, filled in by its loader.
 *
 * A library's module declares its list once, as an X-macro:
 *
 *   #define LIBFOO_SYMS(X) X(foo_open) X(foo_close)
 *   LIBFOO_SYMS(DLIB_DECLARE)                     (in libfoo.h)
 *   LIBFOO_SYMS(DLIB_DEFINE)                      (in libfoo.c)
 *   static const struct dlib_sym foo_syms[] = { LIBFOO_SYMS(DLIB_ENTRY) };
 *
 * The pointers have the type of the library's own declaration, so calls
 * through them are checked as calls to it would be.
 */
#ifndef TRIAGE_DLIB_H
#define TRIAGE_DLIB_H

#include <stddef.h>

#define DLIB_DECLARE(f) extern __typeof__(f) *sym_##f;
#define DLIB_DEFINE(f) __typeof__(f) *sym_##f;
#define DLIB_ENTRY(f) { #f, (void *)&sym_##f },

/* One symbol to resolve: its name, and the address of the pointer that
 * receives it. */
struct dlib_sym {
	const char *name;
	void *slot;
};

/* A library and what has become of loading it; define one statically with
 * DLIB_INIT. */
struct dlib {
	const char *soname;	/* "libcurl.so.4" */
	const struct dlib_sym *syms;
	size_t nsyms;
	/* Run once after every symbol resolved (a library's global init), or
	 * NULL: NULL, or why it failed. It runs under dlib_load's lock, so it
	 * must not load a library itself. */
	const char *(*init)(void);
	int state;		/* DLIB_NOT_TRIED, DLIB_LOADED, DLIB_FAILED */
	char err[256];		/* why it failed */
};

enum { DLIB_NOT_TRIED, DLIB_LOADED, DLIB_FAILED };

#define DLIB_INIT(soname, syms, init) \
	{ (soname), (syms), sizeof(syms) / sizeof((syms)[0]), (init), \
	  DLIB_NOT_TRIED, "" }

/* dlib_load: open lib->soname, resolve every symbol into its pointer and
 * run lib->init, once; later calls return what the first one did. 0, or -1 with *err set
 * to a message naming the library or the symbol that is missing ("libpq.so.5:
 * cannot open shared object file: No such file or directory"). All or
 * nothing: when a symbol is missing or init fails, the library is closed
 * again and every pointer is NULL.
 * Thread-safe. */
int dlib_load(struct dlib *lib, const char **err);

#endif
