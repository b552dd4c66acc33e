/* Shared helpers for the Check unit suites: temporary dirs and a main. */
#ifndef TESTS_CHECK_UTIL_H
#define TESTS_CHECK_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates a fresh temporary directory; the path lives in a static buffer
 * of the caller's choosing. Aborts the test on failure. */
static inline void
tu_tmpdir(char *buf, size_t size)
{
	const char *base = getenv("TMPDIR");
	int n = snprintf(buf, size, "%s/otad-test.XXXXXX", base ? base : "/tmp");

	ck_assert(n > 0 && (size_t)n < size);
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

/* Removes a directory tree made by tu_tmpdir. */
static inline void
tu_rmtree(const char *path)
{
	char cmd[4200];
	int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);

	if (n > 0 && (size_t)n < sizeof(cmd) && strstr(path, "otad-test.") != NULL)
		(void)!system(cmd);
}

/* Runs one suite and exits with its verdict; the runner's summary line
 * is what tests/run counts. */
static inline int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
