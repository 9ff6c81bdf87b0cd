/* A minimal test harness: CHECK records a failure with its line and carries on. */
#ifndef TML_CHECK_H
#define TML_CHECK_H
#include <stdio.h>

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (cond) {                                                             \
            check_passed++;                                                     \
        } else {                                                                \
            check_failed++;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                       \
    } while (0)

/* Prints the binary's summary line, which tests/run_all.sh adds up into the one line
 * .ci/run reads; the exit code says whether all passed. */
#define CHECK_REPORT(suite)                                                            \
    (printf("%s: %d checks passed, %d failed\n", suite, check_passed, check_failed), \
     check_failed == 0 ? 0 : 1)

#endif
