/* SPDX-License-Identifier: MIT */
/* Where triage keeps its state, and making directories for it (fsutil.h). */
#include "util/fsutil.h"

#include <errno.h>
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
