/* SPDX-License-Identifier: MIT */
/* Tests for shell quoting (util/shquote.c), checked against a real sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/shquote.h"
#include "util/xmalloc.h"

/* What /bin/sh makes of `printf '%s\n' LINE`, one word a line, with the
 * environment variable TQ_SECRET set to secret (when not NULL). */
static char *
sh_words(const char *line, const char *secret)
{
	struct buf cmd, out;
	char chunk[256];
	size_t n;
	FILE *f;

	buf_init(&cmd, 0);
	buf_init(&out, 0);
	if (secret != NULL) {
		buf_puts(&cmd, "TQ_SECRET=");
		shquote_append(&cmd, secret);
		buf_puts(&cmd, "; export TQ_SECRET; ");
	}
	buf_puts(&cmd, "printf '%s\\n' ");
	buf_puts(&cmd, line);
	f = popen(buf_cstr(&cmd), "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&out, chunk, n);
	assert_int_equal(pclose(f), 0);
	buf_dispose(&cmd);
	return buf_steal(&out);
}

static void
test_shquote_bare_words(void **state)
{
	static const char *const bare[] = {
		"curl", "-sS", "http://127.0.0.1:8080/up", "a=b", "50%",
		"user@host", "/var/log/app.log", "x,y", "+1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bare); i++) {
		char *q = shquote(bare[i]);

		assert_string_equal(q, bare[i]);
		free(q);
	}
}

static void
test_shquote_quoted_words(void **state)
{
	static const char *const cases[][2] = {
		{ "", "''" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "$HOME", "'$HOME'" },
		{ "a|b", "'a|b'" },
		{ "~root", "'~root'" },
		{ "#x", "'#x'" },
		{ "Host: x", "'Host: x'" },
		{ "''", "''\\'''\\'''" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		char *q = shquote(cases[i][0]);

		assert_string_equal(q, cases[i][1]);
		free(q);
	}
}

/* Whatever the bytes, sh reads the word back as it was. */
static void
test_shquote_round_trip(void **state)
{
	static const char *const words[] = {
		"plain", "two words", "it's", "'", "''", "\"double\"",
		"$(reboot)", "`reboot`", "a\\b", "tab\there", "semi;colon",
		"*", "?", "[x]", "{a,b}", "!bang", "&&", "a\nb", "-n", "ü ñ",
		"' '\\'' '",
	};
	struct buf line, want;
	char *got;
	size_t i;

	(void)state;
	buf_init(&line, 0);
	buf_init(&want, 0);
	for (i = 0; i < ARRAY_LEN(words); i++) {
		if (i > 0)
			buf_putc(&line, ' ');
		shquote_append(&line, words[i]);
		buf_puts(&want, words[i]);
		buf_putc(&want, '\n');
	}
	got = sh_words(buf_cstr(&line), NULL);
	assert_string_equal(got, buf_cstr(&want));
	free(got);
	buf_dispose(&line);
	buf_dispose(&want);
}

static void
test_shquote_argv(void **state)
{
	static const char *const argv[] = { "FOO=bar", "a=b", "x y" };
	static const char *const one[] = { "ls" };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	shquote_append_argv(&b, argv, ARRAY_LEN(argv));
	/* The first word is quoted: bare, sh would take it as an assignment. */
	assert_string_equal(buf_cstr(&b), "'FOO=bar' a=b 'x y'");
	buf_reset(&b);
	shquote_append_argv(&b, one, 1);
	assert_string_equal(buf_cstr(&b), "ls");
	buf_reset(&b);
	shquote_append_argv(&b, one, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_dispose(&b);
}

static void
test_shquote_sub_word(void **state)
{
	static const struct shquote_sub subs[] = {
		{ "s3cr3t-long", "LONG" },
		{ "s3cr3t", "TQ_SECRET" },
	};
	struct buf b;
	char *got;

	(void)state;
	buf_init(&b, 0);
	shquote_append_sub(&b, "Bearer s3cr3t", subs, ARRAY_LEN(subs));
	assert_string_equal(buf_cstr(&b), "'Bearer '\"$TQ_SECRET\"");
	buf_reset(&b);
	shquote_append_sub(&b, "s3cr3t", subs, ARRAY_LEN(subs));
	assert_string_equal(buf_cstr(&b), "\"$TQ_SECRET\"");
	buf_reset(&b);
	/* The longer value is given first and wins. */
	shquote_append_sub(&b, "a=s3cr3t-long/s3cr3t", subs, ARRAY_LEN(subs));
	assert_string_equal(buf_cstr(&b), "a=\"$LONG\"/\"$TQ_SECRET\"");
	buf_reset(&b);
	shquote_append_sub(&b, "none here", subs, ARRAY_LEN(subs));
	assert_string_equal(buf_cstr(&b), "'none here'");
	buf_reset(&b);
	/* sh expands it back to the value. */
	shquote_append_sub(&b, "it's s3cr3t!", subs, 2);
	got = sh_words(buf_cstr(&b), "s3cr3t");
	assert_string_equal(got, "it's s3cr3t!\n");
	free(got);
	buf_dispose(&b);
}

static void
test_shquote_line_sub(void **state)
{
	static const struct shquote_sub subs[] = {
		{ "tok'en", "TQ_SECRET" },
	};
	static const char *const argv[] = {
		"curl", "-H", "Authorization: Bearer tok'en",
		"http://x/?a=tok'en",
	};
	struct buf b;
	char *line, *got;

	(void)state;
	buf_init(&b, 0);
	shquote_append_argv(&b, argv, ARRAY_LEN(argv));
	buf_puts(&b, " </dev/null 2>/dev/null | grep -E 'tok'\\''en'");
	line = shquote_line_sub(buf_cstr(&b), subs, ARRAY_LEN(subs));
	assert_null(strstr(line, "tok"));
	assert_string_equal(line, "curl -H 'Authorization: Bearer '"
	    "\"$TQ_SECRET\" 'http://x/?a='\"$TQ_SECRET\" </dev/null "
	    "2>/dev/null | grep -E \"$TQ_SECRET\"");
	free(line);

	/* The words still mean what they meant, with the value from $NAME. */
	line = shquote_line_sub("echo 'Bearer tok'\\''en' x", subs, 1);
	got = sh_words(line + strlen("echo "), "tok'en");
	assert_string_equal(got, "Bearer tok'en\nx\n");
	free(got);
	free(line);

	/* Nothing to hide: the line is copied byte for byte. */
	line = shquote_line_sub("a  'b c'\tx | y", subs, 1);
	assert_string_equal(line, "a  'b c'\tx | y");
	free(line);
	line = shquote_line_sub("", subs, 1);
	assert_string_equal(line, "");
	free(line);
	/* From what it does not follow on, the line is left alone. */
	line = shquote_line_sub("echo \"tok'en\" 'tok'\\''en'", subs, 1);
	assert_string_equal(line, "echo \"tok'en\" 'tok'\\''en'");
	free(line);
	line = shquote_line_sub("echo 'open tok'\\''en", subs, 1);
	assert_string_equal(line, "echo 'open tok'\\''en");
	free(line);
	line = shquote_line_sub(
	    "sh -c \"$(cat <<'X'\necho 'tok'\\''en'\nX\n)\"", subs, 1);
	assert_string_equal(line,
	    "sh -c \"$(cat <<'X'\necho 'tok'\\''en'\nX\n)\"");
	free(line);
	/* Operators are copied; the words after them are still read. */
	line = shquote_line_sub("cd /x && tok\\'en 2>&1 | tail", subs, 1);
	assert_string_equal(line, "cd /x && \"$TQ_SECRET\" 2>&1 | tail");
	free(line);
	buf_dispose(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shquote_bare_words),
		cmocka_unit_test(test_shquote_quoted_words),
		cmocka_unit_test(test_shquote_round_trip),
		cmocka_unit_test(test_shquote_argv),
		cmocka_unit_test(test_shquote_sub_word),
		cmocka_unit_test(test_shquote_line_sub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
