/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: load arbitrary bytes as a runbook, print, free. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "runbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput: must never crash, leak or hang, whatever data
 * holds; diagnostics are printed to /dev/null to exercise diags_print. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct runbook *rb = NULL;
	struct diags d;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	diags_init(&d);
	runbook_load_string("fuzz.yaml", (const char *)data, size, &rb, &d);
	diags_sort(&d);
	if (devnull != NULL)
		diags_print(&d, devnull);
	runbook_free(rb);
	diags_dispose(&d);
	return 0;
}
