/* SPDX-License-Identifier: MIT */
/* SHA-256 as hex text (OpenSSL's EVP digest). */
#include "util/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

void
sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * mdlen] = '\0';
}
