/* SPDX-License-Identifier: MIT */
/* Where triage keeps its state, and making directories for it. */
#ifndef TRIAGE_FSUTIL_H
#define TRIAGE_FSUTIL_H

/* fs_state_dir: $XDG_STATE_HOME/triage (a relative XDG_STATE_HOME is
 * ignored, as the XDG spec says), else ~/.local/state/triage (/tmp when
 * HOME is unset or empty), as a heap string. The store, the escalation
 * bundles and triage watch's token live under it. */
char *fs_state_dir(void);

/* fs_make_parents: mkdir -p for the parents of path (not path itself),
 * mode 0700 for what it creates. 0, or -1 with *cause (heap) "cannot
 * create DIR: reason". */
int fs_make_parents(const char *path, char **cause);

/* fs_remove_tree: rm -r path: it and everything under it, depth first,
 * without following symbolic links. 0, or -1 with errno at the first entry
 * that could not be removed (what is left stays). */
int fs_remove_tree(const char *path);

#endif
