/* SPDX-License-Identifier: MIT */
/* Where triage keeps its state, and making and removing directories for it
 * (fsutil.h). */
#define _GNU_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include "util/fsutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/xmalloc.h"

char *
fs_state_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (state != NULL && *state == '/')
		return xasprintf("%s/triage", state);
	return xasprintf("%s/.local/state/triage",
	    home != NULL && *home != '\0' ? home : "/tmp");
}

int
fs_make_parents(const char *path, char **cause)
{
	char *copy = xstrdup(path), *p;

	for (p = copy + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			*cause = xasprintf("cannot create %s: %s", copy,
			    strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
fs_remove_tree(const char *path)
{
	/* A failed remove() ends the walk, and nftw returns -1 with its
	 * errno. */
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 ? -1 :
	    0;
}
