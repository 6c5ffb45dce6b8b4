/* The tern binary on bad input: every error is exit status 1 and exactly
 * one line on stderr, "tern: " followed by the option or file at fault,
 * as qemu-system-x86_64 reports them. TERN_BINARY names the binary. */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-images.h"

#define MiB (1ULL << 20)
/* A wedged child is killed by SIGALRM (its default action) after this. */
#define CHILD_TIMEOUT_S 30

static const char *tern_binary;
static char *tmpdir;
static char *garbage_path, *bz_path, *bz_1k_path, *big_initrd_path;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static void run_result_clear(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RunResult, run_result_clear)

static void child_setup(gpointer data)
{
    alarm(CHILD_TIMEOUT_S);
}

/* Runs tern with -nodefaults -display none and args (NULL-terminated);
 * kvm_device (or NULL) goes into TERN_KVM_DEVICE. */
static void run_tern(RunResult *r, const char *kvm_device, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)tern_binary);
    g_ptr_array_add(argv, (char *)"-nodefaults");
    g_ptr_array_add(argv, (char *)"-display");
    g_ptr_array_add(argv, (char *)"none");
    for (guint i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);

    g_auto(GStrv) env = g_get_environ();
    env = g_environ_unsetenv(env, "G_MESSAGES_DEBUG");
    env = kvm_device ? g_environ_setenv(env, "TERN_KVM_DEVICE", kvm_device, TRUE)
                     : g_environ_unsetenv(env, "TERN_KVM_DEVICE");

    g_autoptr(GError) err = NULL;
    memset(r, 0, sizeof(*r));
    bool ok = g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, child_setup,
                           NULL, &r->out, &r->err, &r->status, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    if (WIFSIGNALED(r->status)) {
        g_test_message("tern was killed by signal %d%s", WTERMSIG(r->status),
                       WTERMSIG(r->status) == SIGALRM ? " (timeout)" : "");
    }
}

static bool have_kvm(void)
{
    return g_access("/dev/kvm", R_OK | W_OK) == 0;
}

typedef struct {
    const char *path;               /* test path */
    const char *args[10];
    const char *kvm_device;         /* TERN_KVM_DEVICE */
    bool needs_kvm;                 /* the error comes after /dev/kvm is opened */
    const char *must_contain[3];
} CliCase;

/* Substitutes the temp files into a case's arguments. */
static const char *expand(const char *s)
{
    if (!s) {
        return NULL;
    }
    if (!strcmp(s, "@GARBAGE")) {
        return garbage_path;
    }
    if (!strcmp(s, "@BZ")) {
        return bz_path;
    }
    if (!strcmp(s, "@BZ1K")) {
        return bz_1k_path;
    }
    if (!strcmp(s, "@BIGINITRD")) {
        return big_initrd_path;
    }
    return s;
}

static void test_bad_input(gconstpointer data)
{
    const CliCase *c = data;
    if (c->needs_kvm && !have_kvm()) {
        g_test_skip("/dev/kvm is not available");
        return;
    }
    const char *args[G_N_ELEMENTS(c->args) + 1] = { 0 };
    for (guint i = 0; i < G_N_ELEMENTS(c->args) && c->args[i]; i++) {
        args[i] = expand(c->args[i]);
    }
    /* Checks that must fail before KVM get a missing KVM device, so that
     * a regression shows as the wrong message rather than a running VM. */
    const char *kvm_device = c->kvm_device ? c->kvm_device
                             : c->needs_kvm ? NULL : "/nonexistent-kvm";
    g_auto(RunResult) r = { 0 };
    run_tern(&r, kvm_device, args);
    g_test_message("stderr: %s", r.err);

    g_assert_null(strstr(r.err, "AddressSanitizer"));
    g_assert_null(strstr(r.err, "LeakSanitizer"));
    g_assert_null(strstr(r.err, "runtime error"));
    g_assert_true(WIFEXITED(r.status));
    g_assert_cmpint(WEXITSTATUS(r.status), ==, 1);

    /* Exactly one line. */
    g_assert_true(g_str_has_prefix(r.err, "tern: "));
    g_assert_true(g_str_has_suffix(r.err, "\n"));
    g_assert_cmpint(strchr(r.err, '\n') - r.err, ==, strlen(r.err) - 1);
    /* It says what was wrong with what. */
    for (guint i = 0; i < G_N_ELEMENTS(c->must_contain) && c->must_contain[i]; i++) {
        const char *want = expand(c->must_contain[i]);
        if (!strstr(r.err, want)) {
            g_error("stderr \"%s\" does not mention \"%s\"", g_strchomp(r.err), want);
        }
    }
    /* Nothing on stdout. */
    g_assert_cmpstr(r.out, ==, "");
}
static const CliCase cases[] = {
    { "/cli/bad/unknown-option", { "-foo" }, NULL, false, { "-foo", "invalid option" } },
    { "/cli/bad/missing-argument", { "-m" }, NULL, false, { "-m", "requires an argument" } },
    { "/cli/bad/m-zero", { "-m", "0" }, NULL, false, { "-m 0:" } },
    { "/cli/bad/m-garbage", { "-m", "abc" }, NULL, false, { "-m abc:", "'size'" } },
    { "/cli/bad/m-100T", { "-m", "100T" }, NULL, true, { "cannot set up guest memory" } },
    { "/cli/bad/smp-zero", { "-smp", "0" }, NULL, false, { "-smp 0:" } },
    { "/cli/bad/smp-65", { "-smp", "65" }, NULL, false, { "-smp 65:", "64" } },
    { "/cli/bad/cpu-unknown-flag", { "-cpu", "host,+nosuchflag" }, NULL, true,
      { "-cpu", "nosuchflag" } },
    { "/cli/bad/cpu-unknown-model", { "-cpu", "bogus" }, NULL, false,
      { "-cpu bogus:", "unable to find CPU model 'bogus'" } },
    { "/cli/bad/chardev-unknown-backend", { "-chardev", "foo,id=x" }, NULL, false,
      { "-chardev foo,id=x:", "'foo'" } },
    { "/cli/bad/serial-bogus", { "-serial", "bogus:" }, NULL, false,
      { "-serial bogus::", "not a valid char driver" } },
    { "/cli/bad/kernel-missing", { "-kernel", "/nonexistent" }, NULL, true,
      { "/nonexistent" } },
    { "/cli/bad/kernel-garbage", { "-kernel", "@GARBAGE" }, NULL, true,
      { "@GARBAGE", "is not a bzImage, ELF or multiboot image" } },
    { "/cli/bad/kernel-etc-hostname", { "-kernel", "/etc/hostname" }, NULL, true,
      { "/etc/hostname" } },
    { "/cli/bad/kernel-truncated-bzimage", { "-kernel", "@BZ1K" }, NULL, true,
      { "@BZ1K", "truncated" } },
    { "/cli/bad/initrd-without-kernel", { "-initrd", "@GARBAGE" }, NULL, true,
      { "-initrd" } },
    { "/cli/bad/initrd-larger-than-ram", { "-m", "16", "-kernel", "@BZ", "-initrd", "@BIGINITRD" },
      NULL, true, { "@BIGINITRD", "too large" } },
    { "/cli/bad/no-kvm-device", { "-m", "64" }, "/nonexistent", false,
      { "failed to initialize kvm", "/nonexistent" } },
    { "/cli/bad/machine-foo", { "-machine", "foo" }, NULL, false,
      { "-machine foo:", "'foo'" } },
    { "/cli/bad/accel-tcg", { "-accel", "tcg" }, NULL, false, { "-accel tcg:" } },
};

static void test_version(void)
{
    static const char *const args[] = { "-version", NULL };
    g_auto(RunResult) r = { 0 };
    run_tern(&r, "/nonexistent", args);
    g_assert_true(WIFEXITED(r.status));
    g_assert_cmpint(WEXITSTATUS(r.status), ==, 0);
    g_assert_true(g_str_has_prefix(r.out, "QEMU emulator version 7.2.0"));
    g_assert_cmpstr(r.err, ==, "");
}

static void test_help(void)
{
    static const char *const args[] = { "-help", NULL };
    g_auto(RunResult) r = { 0 };
    run_tern(&r, "/nonexistent", args);
    g_assert_true(WIFEXITED(r.status));
    g_assert_cmpint(WEXITSTATUS(r.status), ==, 0);
    g_assert_nonnull(strstr(r.out, "usage: tern"));
    g_assert_nonnull(strstr(r.out, "-kernel"));
    g_assert_cmpstr(r.err, ==, "");
}

static char *make_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_file_set_contents(path, data, len, &err)) {
        g_error("%s", err->message);
    }
    return path;
}

static void make_files(void)
{
    g_autoptr(GError) err = NULL;
    tmpdir = g_dir_make_tmp("tern-cli-XXXXXX", &err);
    g_assert_no_error(err);

    GRand *rand = g_rand_new_with_seed(7);
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = g_rand_int(rand);
    }
    g_rand_free(rand);
    garbage_path = make_file("garbage", junk, sizeof(junk));

    BzSpec s = bz_default();
    GByteArray *bz = bz_build(&s);
    bz_path = make_file("bzImage", bz->data, bz->len);
    bz_1k_path = make_file("bzImage-1k", bz->data, 1024);
    g_byte_array_unref(bz);

    big_initrd_path = g_build_filename(tmpdir, "initrd-32m", NULL);
    int fd = open(big_initrd_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 32 * MiB), ==, 0);
    close(fd);
}

static void remove_files(void)
{
    const char *files[] = { garbage_path, bz_path, bz_1k_path, big_initrd_path };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_unlink(files[i]);
    }
    g_rmdir(tmpdir);
    g_free(garbage_path);
    g_free(bz_path);
    g_free(bz_1k_path);
    g_free(big_initrd_path);
    g_free(tmpdir);
}

/* /cli/kvm/permission-denied: an unprivileged user gets one clear line. */
static void test_kvm_permission_denied(void)
{
    if (geteuid() != 0 || !g_file_test("/usr/bin/setpriv", G_FILE_TEST_IS_EXECUTABLE) ||
        g_access("/dev/kvm", F_OK) != 0) {
        g_test_skip("needs root, setpriv and /dev/kvm");
        return;
    }
    const char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                           "--clear-groups", tern_binary, "-M", "pc", "-m", "64",
                           "-nodefaults", "-display", "none", "-S", NULL };
    g_autofree char *out = NULL, *err_text = NULL;
    int status;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err_text, &status, &err));
    if (strstr(err_text, "setpriv:")) {
        g_test_skip("the tern binary is not reachable for an unprivileged user here");
        return;
    }
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_cmpstr(err_text, ==, "tern: -accel kvm: failed to initialize kvm: Could not access "
                    "KVM kernel module /dev/kvm: Permission denied\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    tern_binary = g_getenv("TERN_BINARY");
    if (!tern_binary || !g_file_test(tern_binary, G_FILE_TEST_IS_EXECUTABLE)) {
        g_printerr("TERN_BINARY must name the tern binary\n");
        return 1;
    }
    make_files();

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (!strcmp(cases[i].args[1] ? cases[i].args[1] : "", "/etc/hostname") &&
            !g_file_test("/etc/hostname", G_FILE_TEST_IS_REGULAR)) {
            continue;
        }
        g_test_add_data_func(cases[i].path, &cases[i], test_bad_input);
    }
    g_test_add_func("/cli/version", test_version);
    g_test_add_func("/cli/kvm/permission-denied", test_kvm_permission_denied);
    g_test_add_func("/cli/help", test_help);

    int rc = g_test_run();
    remove_files();
    return rc;
}
