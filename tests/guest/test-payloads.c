/* The tern binary runs guest payloads end to end: loader, CPU modes, serial
 * console, isa-debug-exit, SMP start-up and the -no-reboot exit path. */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <string.h>

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static const char *tern(void)
{
    const char *b = g_getenv("TERN_BINARY");
    g_assert_nonnull(b);
    return b;
}

static char *payload(const char *name)
{
    return g_strdup_printf("%s/%s.elf", g_getenv("TERN_PAYLOAD_DIR"), name);
}

/* Runs tern with the standard payload options plus extra args (NULL-ended). */
static RunResult run_payload(const char *name, const char *append, ...)
{
    g_autofree char *kernel = payload(name);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *base[] = { tern(), "-M", "pc", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", kernel };
    for (guint i = 0; i < G_N_ELEMENTS(base); i++) {
        g_ptr_array_add(argv, (char *)base[i]);
    }
    if (append) {
        g_ptr_array_add(argv, (char *)"-append");
        g_ptr_array_add(argv, (char *)append);
    }
    gboolean has_serial = FALSE;
    va_list ap;
    va_start(ap, append);
    for (const char *a; (a = va_arg(ap, const char *));) {
        has_serial |= !strcmp(a, "-serial");
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    if (!has_serial) {
        g_ptr_array_add(argv, (char *)"-serial");
        g_ptr_array_add(argv, (char *)"stdio");
    }
    g_ptr_array_add(argv, NULL);

    RunResult r = { 0 };
    g_autoptr(GError) err = NULL;
    int wait_status;
    /* timeout(1) bounds a hung guest; it exits 124 then. */
    g_autoptr(GPtrArray) full = g_ptr_array_new();
    g_ptr_array_add(full, (char *)"timeout");
    g_ptr_array_add(full, (char *)"60");
    for (guint i = 0; i < argv->len; i++) {
        g_ptr_array_add(full, g_ptr_array_index(argv, i));
    }
    g_assert_true(g_spawn_sync(NULL, (char **)full->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &r.out, &r.err, &wait_status, &err));
    g_assert_true(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    return r;
}

static void result_clear(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

static void assert_clean_stderr(const RunResult *r)
{
    g_assert_null(strstr(r->err, "AddressSanitizer"));
    g_assert_null(strstr(r->err, "runtime error"));
}

/* /payload/hello: serial output and isa-debug-exit's (V << 1) | 1 status. */
static void test_hello(void)
{
    RunResult r = run_payload("hello", NULL, NULL);
    g_assert_cmpstr(r.out, ==, "hello from tern payload\n");
    g_assert_cmpint(r.status, ==, 33);
    assert_clean_stderr(&r);
    result_clear(&r);
}

/* /payload/modes: entered in 32-bit protected mode; 64-bit and real mode work. */
static void test_modes(void)
{
    RunResult r = run_payload("modes", NULL, NULL);
    g_assert_cmpstr(r.out, ==, "mode: 32-bit protected\nmode: 64-bit long\nmode: 16-bit real\n");
    g_assert_cmpint(r.status, ==, 33);
    result_clear(&r);
}

/* /payload/smp/N: every vCPU starts through INIT-SIPI-SIPI and reports in. */
static void test_smp(gconstpointer data)
{
    int n = GPOINTER_TO_INT(data);
    g_autofree char *smp = g_strdup_printf("%d", n);
    g_autofree char *append = g_strdup_printf("cpus=%d", n);
    RunResult r = run_payload("smp", append, "-smp", smp, NULL);
    for (int i = 0; i < n; i++) {
        g_autofree char *line = g_strdup_printf("cpu %d up\n", i);
        g_assert_nonnull(strstr(r.out, line));
    }
    g_autofree char *done = g_strdup_printf("smp: %d cpus up\n", n);
    g_assert_nonnull(strstr(r.out, done));
    g_assert_cmpint(r.status, ==, 33);
    result_clear(&r);
}

/* /payload/smp/topology: with sockets=2,cores=3 the APIC IDs follow the
 * topology's bit fields (socket 1 starts at 4) and all six CPUs start. */
static void test_smp_topology(void)
{
    RunResult r = run_payload("smp", "cpus=6", "-smp", "6,sockets=2,cores=3", NULL);
    /* APs report in any order. */
    static const char *const ids[] = { "0", "1", "2", "4", "5", "6" };
    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autofree char *line = g_strdup_printf("cpu %s up\n", ids[i]);
        g_assert_nonnull(strstr(r.out, line));
    }
    g_assert_nonnull(strstr(r.out, "smp: 6 cpus up\n"));
    g_assert_null(strstr(r.out, "cpu 3 up"));
    g_assert_cmpint(r.status, ==, 33);
    result_clear(&r);
}

/* /payload/cpl3/triple-fault-exit: -no-reboot turns the guest's reset into exit 0. */
static void test_cpl3_exit(void)
{
    RunResult r = run_payload("cpl3-loop", "n=1000000", NULL);
    g_assert_nonnull(strstr(r.out, "cpl3: entering\n"));
    g_assert_cmpint(r.status, ==, 0);
    assert_clean_stderr(&r);
    result_clear(&r);
}

/* /payload/serial/file: -serial file: gets the console. */
static void test_serial_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("tern-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "console.txt", NULL);
    g_autofree char *spec = g_strdup_printf("file:%s", path);
    RunResult r = run_payload("hello", NULL, "-serial", spec, NULL);
    g_assert_cmpint(r.status, ==, 33);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "hello from tern payload\n");
    g_unlink(path);
    g_rmdir(dir);
    result_clear(&r);
}

/* /payload/multiboot/cmdline: the payload sees its -append parameters. */
static void test_bad_param(void)
{
    /* A malformed parameter makes the payload fail with 0x11 (status 35). */
    RunResult r = run_payload("dirty", "start=zzz", NULL);
    g_assert_cmpint(r.status, ==, 35);
    result_clear(&r);
}

/* /console/mux-escape: with -nographic COM1 is mon:stdio, where C-a h
 * prints help and C-a x ends Tern (status 0) even while nothing reads the
 * serial port (-S). */
static void test_mux_escape(void)
{
    g_autofree char *kernel = payload("hello");
    const char *argv[] = { tern(), "-M", "pc", "-m", "64", "-nographic", "-S",
                           "-kernel", kernel, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err);
    g_assert_no_error(err);
    g_autofree char *out = NULL;
    g_assert_true(g_subprocess_communicate_utf8(p, "typed\001h\001x", NULL, &out, NULL, &err));
    g_assert_no_error(err);
    g_assert_true(g_subprocess_get_if_exited(p));
    g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
    g_assert_nonnull(strstr(out, "C-a x    exit Tern"));
    g_assert_nonnull(strstr(out, "terminated (C-a x)"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/kvm");
        return g_test_run();
    }
    g_test_add_func("/payload/hello", test_hello);
    g_test_add_func("/payload/modes", test_modes);
    g_test_add_data_func("/payload/smp/1", GINT_TO_POINTER(1), test_smp);
    g_test_add_data_func("/payload/smp/4", GINT_TO_POINTER(4), test_smp);
    g_test_add_data_func("/payload/smp/64", GINT_TO_POINTER(64), test_smp);
    g_test_add_func("/payload/smp/topology", test_smp_topology);
    g_test_add_func("/payload/cpl3/triple-fault-exit", test_cpl3_exit);
    g_test_add_func("/payload/serial/file", test_serial_file);
    g_test_add_func("/payload/multiboot/cmdline", test_bad_param);
    g_test_add_func("/console/mux-escape", test_mux_escape);
    return g_test_run();
}
