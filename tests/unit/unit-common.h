/* Shared helpers for Tern's unit tests. */
#pragma once
#include <glib.h>

/* A behaviour that is wrong in src/ today: reported as an incomplete test
 * ("not ok ... # TODO"), or as a failure with TERN_STRICT_BUGS=1 in the
 * environment. The caller returns right after. */
#define KNOWN_BUG(...)                                                        \
    do {                                                                      \
        if (g_getenv("TERN_STRICT_BUGS")) {                                   \
            g_test_fail_printf("BUG: " __VA_ARGS__);                          \
        } else {                                                              \
            g_test_incomplete_printf("BUG: " __VA_ARGS__);                    \
        }                                                                     \
    } while (0)

/* For a test whose body may crash on a src/ bug (a use after free that ASan
 * aborts on): the body runs in a child process (g_test_subprocess() is
 * true there); here, a child that did not pass fails this test with
 * `bug` and the other tests go on (run with -k). */
static inline void expect_child_passes(const char *bug)
{
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    if (!g_test_trap_has_passed()) {
        g_test_fail_printf("BUG: %s", bug);
    }
}
