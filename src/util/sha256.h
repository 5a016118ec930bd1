/* SPDX-License-Identifier: MIT */
/* SHA-256 as hex text (OpenSSL's EVP digest). */
#ifndef TRIAGE_SHA256_H
#define TRIAGE_SHA256_H

#include <stddef.h>

/* The text of a SHA-256: 64 hex digits and the NUL. */
#define SHA256_HEX_SIZE 65

/* sha256_hex: the SHA-256 of data as 64 lower-case hex digits into out
 * (at least SHA256_HEX_SIZE bytes). */
void sha256_hex(const void *data, size_t len, char *out);

#endif
