/* test.h - the unit-test framework: TEST(name) registers a test at load time
 * (so a new test file needs no list to edit), ok(cond, fmt, ...) checks one
 * thing. The runner (tests/unit/main.c) runs every test, or those whose name
 * contains argv[1], and ends with "N passed, N failed".
 */
#ifndef CAMADA_TEST_H
#define CAMADA_TEST_H

#include <stdio.h>

typedef void test_fn(void);
void test_register(const char *name, test_fn *fn);
void test_check(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void test_reg_##name(void)    \
	{                                                                 \
		test_register(#name, test_##name);                        \
	}                                                                 \
	static void test_##name(void)

/* ok(cond, "what") or ok(cond, "what %d", x): one assertion. */
#define ok(cond, ...) test_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Copies n bytes to the very end of a page followed by a PROT_NONE page, so
 * that any read past the end faults (picohttpparser's trick). The pointer is
 * valid until the next call. */
const void *test_guard(const void *p, size_t n);

/* 1 when p[0..n) is exactly one JSON value (RFC 8259 syntax, whitespace
 * around it allowed), else 0 (tests/unit/test_json.c). */
int test_json_valid(const char *p, size_t n);

/* A new folder /tmp/camada-TAG-XXXXXX into out (n bytes): out, or NULL. */
const char *test_tmpdir(const char *tag, char *out, size_t n);
/* Removes path and everything below it (a test's tmpdir). */
void test_rm_rf(const char *path);

#endif
