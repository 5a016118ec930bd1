/* SPDX-License-Identifier: MIT */
/* Shared libraries opened when first needed; see dlib.h. */
#include "util/dlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

/* Loads are rare (one per library per process), so one lock serves all. */
static pthread_mutex_t dlib_lock = PTHREAD_MUTEX_INITIALIZER;

static void
dlib_fail(struct dlib *lib, const char *what)
{
	if (what != NULL)
		snprintf(lib->err, sizeof(lib->err), "%s", what);
	else
		snprintf(lib->err, sizeof(lib->err), "%s: cannot be loaded",
		    lib->soname);
	lib->state = DLIB_FAILED;
}

/* Every pointer of lib set to addr[i], or to NULL when addr is NULL.
 * memcpy, not a store through (void **): the pointers are function
 * pointers, and POSIX guarantees only their representation. */
static void
dlib_set(const struct dlib *lib, void *const *addr, size_t n)
{
	void *none = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(lib->syms[i].slot, addr != NULL ? &addr[i] : &none,
		    sizeof(void *));
}

static void
dlib_open(struct dlib *lib)
{
	void *h, **addr;
	const char *why;
	size_t i;

	h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		dlib_fail(lib, dlerror());
		return;
	}
	addr = xcalloc(lib->nsyms, sizeof(*addr));
	for (i = 0; i < lib->nsyms; i++) {
		(void)dlerror();
		addr[i] = dlsym(h, lib->syms[i].name);
		if (addr[i] == NULL) {
			dlib_fail(lib, dlerror());
			goto fail;
		}
	}
	dlib_set(lib, addr, lib->nsyms);
	free(addr);
	if (lib->init != NULL && (why = lib->init()) != NULL) {
		snprintf(lib->err, sizeof(lib->err), "%s: %s", lib->soname, why);
		lib->state = DLIB_FAILED;
		dlib_set(lib, NULL, lib->nsyms);
		dlclose(h);
		return;
	}
	lib->state = DLIB_LOADED;
	return;
fail:
	free(addr);
	dlclose(h);
}

int
dlib_load(struct dlib *lib, const char **err)
{
	int loaded;

	pthread_mutex_lock(&dlib_lock);
	if (lib->state == DLIB_NOT_TRIED)
		dlib_open(lib);
	loaded = lib->state == DLIB_LOADED;
	pthread_mutex_unlock(&dlib_lock);
	if (!loaded && err != NULL)
		*err = lib->err;
	return loaded ? 0 : -1;
}
