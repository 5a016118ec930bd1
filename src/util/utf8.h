/* SPDX-License-Identifier: MIT */
/* UTF-8 decoding: one sequence at a time, strictly (RFC 3629). */
#ifndef TRIAGE_UTF8_H
#define TRIAGE_UTF8_H

#include <stddef.h>

/* utf8_seq_len: the length (1 to 4) of the valid UTF-8 sequence at
 * s[0..n), n >= 1; 0 when it is invalid (a stray or overlong byte, a
 * surrogate, a value past U+10FFFF, a bad continuation); -1 when it is
 * valid so far but n ends before it does. A NUL byte is a valid sequence
 * of one: callers that must not pass NUL check for it themselves. */
int utf8_seq_len(const unsigned char *s, size_t n);

#endif
