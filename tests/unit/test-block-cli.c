/* The tern binary with bad -drive and -blockdev arguments: exit status 1
 * and "tern: -drive ARG: MESSAGE" on stderr. Where QEMU 7.2 says the same
 * (most cases), qemu-system-x86_64 runs the same arguments and its message
 * must match word for word. TERN_BINARY names the binary. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU "qemu-system-x86_64"

static const char *tern_binary;
static char *dir, *img, *ro_img, *noperm_img;

typedef struct Case {
    const char *opt;        /* "-drive" or "-blockdev" */
    const char *arg;        /* %s: the image */
    const char *msg;        /* %s: the image */
    bool qemu_same;         /* QEMU prints the same message */
    bool unprivileged;      /* run as nobody (permission checks) */
} Case;

static const Case cases[] = {
    { "-drive", "file=/nonexistent/disk.raw,format=raw,if=none",
      "Could not open '/nonexistent/disk.raw': No such file or directory", true },
    { "-drive", "file=%s,format=raw,if=none,cache=bogus", "invalid cache option", true },
    { "-drive", "file=%s,format=raw,if=none,aio=bogus", "invalid aio option", true },
    { "-drive", "file=%s,format=raw,if=none,werror=bogus", "'bogus' invalid write error action",
      true },
    { "-drive", "file=%s,format=raw,if=none,rerror=enospc", "'enospc' invalid read error action",
      true },
    { "-drive", "file=%s,format=raw,if=none,aio=native",
      "aio=native was specified, but it requires cache.direct=on, which was not specified.", true },
    { "-drive", "file=%s,format=vmdk9,if=none", "Unknown driver 'vmdk9'", true },
    { "-drive", "file=%s,format=raw,if=none,bogus=1",
      "Block format 'raw' does not support the option 'bogus'", true },
    { "-drive", "file=%s,format=raw,if=none,file.bogus=1",
      "Block protocol 'file' doesn't support the option 'bogus'", true },
    { "-drive", "file=%s,format=raw,if=floppy9", "unsupported bus type 'floppy9'", true },
    { "-drive", "file=%s,format=raw,if=none,readonly=maybe",
      "Parameter 'read-only' expects 'on' or 'off'", true },
    { "-drive", "file=%s,format=raw,if=none,throttling.iops-total=10,throttling.iops-read=5",
      "bps/iops/max total values and read/write values cannot be used at the same time", true },
    { "-drive", "file=%s,format=raw,if=none,throttling.bps-total=x",
      "Parameter 'throttling.bps-total' expects a number", true },
    { "-blockdev", "driver=nosuch,node-name=a", "Parameter 'driver' does not accept value 'nosuch'",
      true },
    { "-blockdev", "driver=file,filename=%s", "'node-name' must be specified for the root node",
      true },
    { "-blockdev", "driver=file,filename=%s,node-name=a,bogus=1", "Parameter 'bogus' is unexpected",
      true },
    { "-blockdev", "driver=file,node-name=a", "Parameter 'filename' is missing", true },
    { "-blockdev", "driver=raw,node-name=a,file=nosuch",
      "Cannot find device='nosuch' nor node-name='nosuch'", true },
    { "-blockdev", "driver=file,filename=%s,node-name=1a", "Invalid node-name: '1a'", true },
    { "-blockdev", "{\"driver\":\"file\",\"filename\":\"%s\",\"node-name\":\"a\",\"read-only\":1}",
      "Invalid parameter type for 'read-only', expected: boolean", true },
    { "-blockdev", "driver=host_device,filename=%s,node-name=a",
      "'host_device' driver requires '%s' to be either a character or block device", true },
    /* Permissions (run as nobody): unreadable, and read-only without
     * auto-read-only. */
    { "-drive", "file=%n,format=raw,if=none", "Could not open '%n': Permission denied", true, true },
    { "-blockdev", "driver=file,filename=%r,node-name=a", "Could not open '%r': Permission denied",
      true, true },
    { "-drive", "file=%r,format=raw,if=none,auto-read-only=off",
      "Could not open '%r': Permission denied", true, true },
};

/* %s: the image, %r: the read-only image, %n: the unreadable image. */
static char *expand(const char *fmt)
{
    GString *s = g_string_new(NULL);
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1]) {
            p++;
            g_string_append(s, *p == 's' ? img : *p == 'r' ? ro_img : noperm_img);
        } else {
            g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

/* Runs a VMM with one block option; returns its exit status and the last
 * line of its stderr. */
static int run(const char *binary, const char *const *extra, const char *opt, const char *arg,
               bool unprivileged, char **last_line)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    if (unprivileged && geteuid() == 0) {
        g_ptr_array_add(argv, (char *)"setpriv");
        g_ptr_array_add(argv, (char *)"--reuid=65534");
        g_ptr_array_add(argv, (char *)"--regid=65534");
        g_ptr_array_add(argv, (char *)"--clear-groups");
    }
    g_ptr_array_add(argv, (char *)binary);
    for (guint i = 0; extra[i]; i++) {
        g_ptr_array_add(argv, (char *)extra[i]);
    }
    g_ptr_array_add(argv, (char *)opt);
    g_ptr_array_add(argv, (char *)arg);
    g_ptr_array_add(argv, NULL);
    g_autofree char *err = NULL;
    int status = 0;
    GError *e = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &e));
    g_assert_no_error(e);
    g_strchomp(err);
    const char *nl = strrchr(err, '\n');
    *last_line = g_strdup(nl ? nl + 1 : err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_case(gconstpointer data)
{
    const Case *c = data;
    if (c->unprivileged && geteuid() != 0 && access(noperm_img, R_OK) == 0) {
        g_test_skip("cannot take permissions away from ourselves");
        return;
    }
    g_autofree char *arg = expand(c->arg);
    g_autofree char *msg = expand(c->msg);
    static const char *const tern_args[] = {
        "-M", "pc", "-accel", "qtest", "-nodefaults", "-display", "none", NULL,
    };
    g_autofree char *line = NULL;
    int st = run(tern_binary, tern_args, c->opt, arg, c->unprivileged, &line);
    g_autofree char *want = g_strdup_printf("tern: %s %s: %s", c->opt, arg, msg);
    /* Messages of two lines (QEMU's hint): compare the first. */
    g_autofree char *want_last = g_strdup(strrchr(want, '\n') ? strrchr(want, '\n') + 1 : want);
    g_assert_cmpstr(line, ==, want_last);
    g_assert_cmpint(st, ==, 1);

    g_autofree char *qemu = g_find_program_in_path(QEMU);
    if (c->qemu_same && qemu && !g_getenv("TERN_NO_QEMU")) {
        static const char *const qemu_args[] = {
            "-M", "pc", "-accel", "tcg", "-S", "-nodefaults", "-display", "none", NULL,
        };
        g_autofree char *qline = NULL;
        int qst = run(QEMU, qemu_args, c->opt, arg, c->unprivileged, &qline);
        g_autofree char *qwant = g_strdup_printf(QEMU ": %s %s: %s", c->opt, arg, msg);
        g_assert_cmpstr(qline, ==, qwant);
        g_assert_cmpint(qst, ==, 1);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tern_binary = g_getenv("TERN_BINARY");
    if (!tern_binary) {
        g_printerr("TERN_BINARY is not set\n");
        return 1;
    }
    dir = g_dir_make_tmp("tern-block-cli-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_chmod(dir, 0755);   /* nobody must reach the files */
    img = g_build_filename(dir, "disk.raw", NULL);
    ro_img = g_build_filename(dir, "ro.raw", NULL);
    noperm_img = g_build_filename(dir, "noperm.raw", NULL);
    for (const char *const *p = (const char *const[]){ img, ro_img, noperm_img, NULL }; *p; p++) {
        g_assert_true(g_file_set_contents(*p, "", 0, NULL));
        g_assert_cmpint(truncate(*p, 1 << 20), ==, 0);
    }
    g_chmod(img, 0666);
    g_chmod(ro_img, 0444);
    g_chmod(noperm_img, 0000);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/block-cli/%02u%s", i, cases[i].opt);
        g_test_add_data_func(path, &cases[i], test_case);
    }
    int ret = g_test_run();
    g_unlink(img);
    g_unlink(ro_img);
    g_unlink(noperm_img);
    g_rmdir(dir);
    return ret;
}
