/* The unit-test runner: runs every registered test (or those whose name
 * contains argv[1]) and ends with "N passed, N failed". */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <dirent.h>
#include <unistd.h>

#include "test.h"

#define TEST_MAX 2048

static struct {
	const char *name;
	test_fn *fn;
} tests[TEST_MAX];
static int ntests;
static int passed, failed;
static const char *current;

void
test_register(const char *name, test_fn *fn)
{
	if (ntests < TEST_MAX) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void
test_check(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s (%s:%d): ", current, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const void *
test_guard(const void *p, size_t n)
{
	static uint8_t *region;
	static size_t region_len;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page + 1;
	size_t len = (data_pages + 1) * page;

	if (region)
		munmap(region, region_len);
	region = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	region_len = len;
	mprotect(region + data_pages * page, page, PROT_NONE);
	uint8_t *dst = region + data_pages * page - n;
	if (n)
		memcpy(dst, p, n);
	return dst;
}

static int
cmp_tests(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
main(int argc, char **argv)
{
	int ran = 0;

	qsort(tests, (size_t)ntests, sizeof(tests[0]), cmp_tests);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current = tests[i].name;
		int before = failed;
		tests[i].fn();
		ran++;
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "%s %s\n",
			    failed == before ? "ok  " : "FAIL", tests[i].name);
	}
	printf("%d tests run\n", ran);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

const char *
test_tmpdir(const char *tag, char *out, size_t n)
{
	snprintf(out, n, "/tmp/camada-%s-XXXXXX", tag);
	return mkdtemp(out);
}

void
test_rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[1024];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		test_rm_rf(p);
	}
	closedir(d);
	rmdir(path);
}
