/* SPDX-License-Identifier: MIT */
/* The escalation bundle: what to attach to a ticket when nothing matched. */
#ifndef TRIAGE_BUNDLE_H
#define TRIAGE_BUNDLE_H

#include <jansson.h>

struct runbook;

/* bundle_default_dir: where bundles go when no path is given:
 * $XDG_STATE_HOME/triage/bundles (default ~/.local/state/...), as a heap
 * string. */
char *bundle_default_dir(void);

/* bundle_write: writes the bundle for rb to path: a directory (created
 * with mode 0700, which must not exist yet) or, when path ends in .tar.gz
 * or .tgz, a gzipped tar of one; an existing path is refused. It holds README.txt (contact, what is
 * inside), diagnosis.json (doc: the diagnose document), probes.json,
 * bring/NN-ID.txt and .json for each escalation item (bring: results of
 * rb->escalation.bring by id), runbook.yaml and runbook.sha256, and
 * host.json (host name, kernel, user, time, triage version). Everything is
 * redacted. 0, or -1 with *cause. */
int bundle_write(const struct runbook *rb, const char *path, json_t *doc,
    json_t *bring, char **cause);

#endif
