/* SPDX-License-Identifier: MIT */
/* Shared libraries opened when first needed; see dlib.h. */
#include "util/dlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

static void
dlib_open(struct dlib *lib)
{
	void *h, *addr;
	const char *why;
	size_t i, j;

	h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		dlib_fail(lib, dlerror());
		return;
	}
	for (i = 0; i < lib->nsyms; i++) {
		(void)dlerror();
		addr = dlsym(h, lib->syms[i].name);
		if (addr == NULL) {
			dlib_fail(lib, dlerror());
			/* All or nothing: no pointer into a closed library. */
			for (j = 0; j < i; j++)
				*(void **)lib->syms[j].slot = NULL;
			dlclose(h);
			return;
		}
		*(void **)lib->syms[i].slot = addr;	/* POSIX's idiom */
	}
	lib->state = DLIB_LOADED;
	if (lib->init != NULL && (why = lib->init()) != NULL) {
		snprintf(lib->err, sizeof(lib->err), "%s: %s", lib->soname, why);
		lib->state = DLIB_FAILED;
	}
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
