/* Shared helpers for Tern's unit tests. */
#pragma once
#include <glib.h>

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
