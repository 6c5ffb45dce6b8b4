/* QMP over a real socket: greeting, negotiation, replies and ids, run-state
 * commands and events, exit paths; and -daemonize/-pidfile/SIGTERM. */
#include "qmp-client.h"
#include "tern-config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_MS 20000

typedef struct {
    char *dir;
    char *sock;
    GSubprocess *proc;
    QmpClient *qmp;
} Vm;

static const char *tern(void)
{
    return g_getenv("TERN_BINARY");
}

/* Starts tern on the hello payload (paused with -S unless told otherwise),
 * with its monitor on an inherited listening socket. */
static void vm_start_full(Vm *vm, const char *payload, bool no_reboot, const char *const *extra)
{
    vm->dir = g_dir_make_tmp("tern-qmp-XXXXXX", NULL);
    vm->sock = g_build_filename(vm->dir, "qmp.sock", NULL);
    int lfd = qmp_listen(vm->sock);
    g_autofree char *kernel = g_strdup_printf("%s/%s.elf", g_getenv("TERN_PAYLOAD_DIR"), payload);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *base[] = { tern(), "-M", "pc", "-m", "64", "-nodefaults", "-display", "none",
                           "-kernel", kernel, "-chardev", "socket,id=mon0,fd=3",
                           "-mon", "chardev=mon0,mode=control" };
    for (guint i = 0; i < G_N_ELEMENTS(base); i++) {
        g_ptr_array_add(argv, (char *)base[i]);
    }
    if (no_reboot) {
        g_ptr_array_add(argv, (char *)"-no-reboot");
    }
    for (; extra && *extra; extra++) {
        g_ptr_array_add(argv, (char *)*extra);
    }
    g_ptr_array_add(argv, NULL);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                                 G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_take_fd(l, lfd, 3);
    g_autoptr(GError) err = NULL;
    vm->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &err);
    g_assert_no_error(err);
    vm->qmp = qmp_connect(vm->sock, TIMEOUT_MS);
    g_assert_nonnull(vm->qmp);
}

static void vm_start_payload(Vm *vm, const char *payload, const char *const *extra)
{
    vm_start_full(vm, payload, true, extra);
}

static void vm_start(Vm *vm, const char *const *extra)
{
    vm_start_payload(vm, "hello", extra);
}

/* Reads stderr until it contains needle (or EOF/timeout); returns all of it. */
static char *vm_stderr_until(Vm *vm, const char *needle)
{
    GInputStream *in = g_subprocess_get_stderr_pipe(vm->proc);
    GString *s = g_string_new(NULL);
    char buf[4096];
    while (!strstr(s->str, needle)) {
        gssize n = g_input_stream_read(in, buf, sizeof(buf), NULL, NULL);
        if (n <= 0) {
            break;
        }
        g_string_append_len(s, buf, n);
    }
    return g_string_free(s, FALSE);
}

static int vm_wait(Vm *vm)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(g_subprocess_wait(vm->proc, NULL, &err));
    return g_subprocess_get_if_exited(vm->proc) ? g_subprocess_get_exit_status(vm->proc) : -1;
}

static void vm_free(Vm *vm)
{
    if (vm->qmp) {
        qmp_close(vm->qmp);
    }
    if (g_subprocess_get_identifier(vm->proc)) {
        g_subprocess_force_exit(vm->proc);
    }
    g_subprocess_wait(vm->proc, NULL, NULL);
    g_object_unref(vm->proc);
    g_unlink(vm->sock);
    g_rmdir(vm->dir);
    g_free(vm->sock);
    g_free(vm->dir);
}

/* After quit: the reply and the SHUTDOWN event, in either order (QEMU
 * sends the event first). Returns the event in *ev. */
static void read_quit_reply(QmpClient *c, char **ev)
{
    bool got_reply = false;
    *ev = NULL;
    for (int i = 0; i < 2; i++) {
        g_autofree char *line = qmp_read_line(c);
        g_assert_nonnull(line);
        if (strstr(line, "\"event\": \"SHUTDOWN\"")) {
            g_assert_null(*ev);
            *ev = g_steal_pointer(&line);
        } else {
            g_assert_cmpstr(line, ==, "{\"return\": {}}");
            got_reply = true;
        }
    }
    g_assert_true(got_reply);
    g_assert_nonnull(*ev);
}

static void negotiate(Vm *vm)
{
    g_autofree char *greeting = qmp_read_line(vm->qmp);
    g_assert_nonnull(greeting);
    g_assert_cmpstr(greeting, ==,
                    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
                    "\"package\": \"tern-" TERN_VERSION "\"}, \"capabilities\": [\"oob\"]}}");
    g_autofree char *r = qmp_cmd(vm->qmp, "{\"execute\": \"qmp_capabilities\"}");
    g_assert_cmpstr(r, ==, "{\"return\": {}}");
}

/* For tests whose guest acts on its own: started with -S, negotiated,
 * then let run, so no event can come before the monitor listens. */
static void negotiate_and_cont(Vm *vm)
{
    negotiate(vm);
    g_autofree char *r = qmp_cmd(vm->qmp, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(r, ==, "{\"return\": {}}");
}

/* /qmp/negotiation: only qmp_capabilities before negotiation; once only. */
static void test_negotiation(void)
{
    const char *extra[] = { "-S", NULL };
    Vm vm = { 0 };
    vm_start(&vm, extra);
    g_autofree char *greeting = qmp_read_line(vm.qmp);
    g_assert_nonnull(strstr(greeting, "\"QMP\""));
    g_autofree char *early = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\"}");
    g_assert_cmpstr(early, ==, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                    "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}");
    g_autofree char *ok = qmp_cmd(vm.qmp, "{\"execute\": \"qmp_capabilities\", \"id\": 7}");
    g_assert_cmpstr(ok, ==, "{\"return\": {}, \"id\": 7}");
    g_autofree char *again = qmp_cmd(vm.qmp, "{\"execute\": \"qmp_capabilities\"}");
    g_assert_nonnull(strstr(again, "Capabilities negotiation is already complete"));
    g_autofree char *unknown = qmp_cmd(vm.qmp, "{\"execute\": \"no-such-command\"}");
    g_assert_cmpstr(unknown, ==, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                    "\"The command no-such-command has not been found\"}}");
    g_autofree char *garbage = qmp_cmd(vm.qmp, "{\"execute\": }\n");
    g_assert_nonnull(strstr(garbage, "\"GenericError\""));
    g_autofree char *still = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\", \"id\": \"x\"}");
    g_assert_cmpstr(still, ==, "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, "
                    "\"running\": false}, \"id\": \"x\"}");
    vm_free(&vm);
}

/* /qmp/run-state: -S, cont → RESUME, the guest's debug-exit ends Tern. */
static void test_run_state(void)
{
    const char *extra[] = { "-S", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", NULL };
    Vm vm = { 0 };
    vm_start(&vm, extra);
    negotiate(&vm);
    g_autofree char *cont = qmp_cmd(vm.qmp, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(cont, ==, "{\"return\": {}}");
    g_assert_cmpint(vm_wait(&vm), ==, 33);
    vm_free(&vm);
}

/* /qmp/stop-cont-quit: events and their order, exit status 0 after quit. */
static void test_stop_cont_quit(void)
{
    const char *extra[] = { "-S", NULL };
    Vm vm = { 0 };
    vm_start(&vm, extra);
    negotiate(&vm);
    /* stop in prelaunch changes nothing, as in QEMU */
    g_autofree char *s0 = qmp_cmd(vm.qmp, "{\"execute\": \"stop\"}");
    g_assert_cmpstr(s0, ==, "{\"return\": {}}");
    g_autofree char *st = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st, "\"prelaunch\""));
    qmp_send(vm.qmp, "{\"execute\": \"quit\"}");
    g_autofree char *ev = NULL;
    read_quit_reply(vm.qmp, &ev);
    g_assert_nonnull(strstr(ev, "\"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}"));
    g_assert_nonnull(strstr(ev, "\"timestamp\": {\"seconds\": "));
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/reset-event: system_reset reports RESET with the host reason. */
static void test_reset(void)
{
    const char *extra[] = { "-S", NULL };
    Vm vm = { 0 };
    vm_start(&vm, extra);
    negotiate(&vm);
    qmp_send(vm.qmp, "{\"execute\": \"system_reset\"}");
    g_autofree char *ev = qmp_wait_event(vm.qmp, "RESET");
    g_assert_nonnull(strstr(ev, "\"reason\": \"host-qmp-system-reset\""));
    g_autofree char *r = qmp_read_line(vm.qmp);
    g_assert_cmpstr(r, ==, "{\"return\": {}}");
    vm_free(&vm);
}

/* /qmp/sigterm: SIGTERM ends Tern cleanly with status 0 and a SHUTDOWN event. */
static void test_sigterm(void)
{
    const char *extra[] = { "-S", NULL };
    Vm vm = { 0 };
    vm_start(&vm, extra);
    negotiate(&vm);
    g_subprocess_send_signal(vm.proc, SIGTERM);
    g_autofree char *ev = qmp_wait_event(vm.qmp, "SHUTDOWN");
    g_assert_nonnull(strstr(ev, "\"reason\": \"host-signal\""));
    g_autofree char *err = vm_stderr_until(&vm, "\n");
    g_assert_cmpstr(err, ==, "tern: terminating on signal 15\n");
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/daemonize: the parent returns 0 once the QMP socket listens and the
 * pidfile names the daemon. */
static void test_daemonize(void)
{
    g_autofree char *dir = g_dir_make_tmp("tern-daemon-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *pidfile = g_build_filename(dir, "tern.pid", NULL);
    g_autofree char *qmp_spec = g_strdup_printf("unix:%s,server=on,wait=off", sock);
    g_autofree char *kernel = g_strdup_printf("%s/hello.elf", g_getenv("TERN_PAYLOAD_DIR"));
    const char *argv[] = { tern(), "-M", "pc", "-m", "64", "-nodefaults", "-display", "none",
                           "-S", "-kernel", kernel, "-qmp", qmp_spec, "-daemonize",
                           "-pidfile", pidfile, NULL };
    int status;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, NULL, &status, &err));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_autofree char *pidtext = NULL;
    g_assert_true(g_file_get_contents(pidfile, &pidtext, NULL, NULL));
    int pid = atoi(pidtext);
    g_assert_cmpint(pid, >, 1);
    g_assert_cmpint(kill(pid, 0), ==, 0);
    /* No waiting: the socket must already be there. */
    QmpClient *c = qmp_connect(sock, TIMEOUT_MS);
    g_assert_nonnull(c);
    g_autofree char *greeting = qmp_read_line(c);
    g_assert_nonnull(strstr(greeting, "\"QMP\""));
    g_autofree char *r = qmp_cmd(c, "{\"execute\": \"qmp_capabilities\"}");
    qmp_send(c, "{\"execute\": \"quit\"}");
    g_autofree char *ev = NULL;
    read_quit_reply(c, &ev);
    /* The daemon removes its pidfile on the way out. */
    g_autofree char *eof = qmp_read_line(c);
    g_assert_null(eof);
    qmp_close(c);
    g_assert_false(g_file_test(pidfile, G_FILE_TEST_EXISTS));
    g_unlink(sock);
    g_rmdir(dir);
}

/* /qmp/internal-error: a KVM internal error stops the VM with a report on
 * stderr (suberror, registers, instruction bytes) and Tern keeps serving. */
static void test_internal_error(void)
{
    Vm vm = { 0 };
    const char *extra[] = { "-S", NULL };
    vm_start_payload(&vm, "mmio-exec", extra);
    negotiate_and_cont(&vm);
    g_autofree char *err = vm_stderr_until(&vm, "Code=");
    g_assert_nonnull(strstr(err, "KVM internal error. Suberror: 1\n"));
    g_assert_nonnull(strstr(err, "emulation failure\n"));
    g_assert_nonnull(strstr(err, "RIP=00000000d0000000"));
    g_assert_nonnull(strstr(err, "CR0="));
    g_autofree char *stop = qmp_wait_event(vm.qmp, "STOP");
    g_assert_nonnull(stop);
    g_autofree char *st = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\"}");
    g_assert_cmpstr(st, ==, "{\"return\": {\"status\": \"internal-error\", \"singlestep\": false, "
                    "\"running\": false}}");
    g_autofree char *cont = qmp_cmd(vm.qmp, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(cont, ==, "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                    "\"Resetting the Virtual Machine is required\"}}");
    g_autofree char *quit = qmp_cmd(vm.qmp, "{\"execute\": \"quit\"}");
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/poweroff: ACPI S5 from the guest: SHUTDOWN (guest-shutdown), exit 0. */
static void test_poweroff(void)
{
    Vm vm = { 0 };
    const char *extra[] = { "-S", NULL };
    vm_start_payload(&vm, "poweroff", extra);
    negotiate_and_cont(&vm);
    g_autofree char *ev = qmp_wait_event(vm.qmp, "SHUTDOWN");
    g_assert_nonnull(ev);
    g_assert_nonnull(strstr(ev, "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}"));
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/no-shutdown: with -no-shutdown the VM stops in "shutdown" instead;
 * system_reset and cont run the guest again (it powers off again). */
static void test_no_shutdown(void)
{
    const char *extra[] = { "-no-shutdown", "-S", NULL };
    Vm vm = { 0 };
    vm_start_payload(&vm, "poweroff", extra);
    negotiate_and_cont(&vm);
    g_autofree char *ev = qmp_wait_event(vm.qmp, "SHUTDOWN");
    g_assert_nonnull(ev);
    g_autofree char *stop = qmp_wait_event(vm.qmp, "STOP");
    g_assert_nonnull(stop);
    g_autofree char *st = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st, "\"status\": \"shutdown\""));
    qmp_send(vm.qmp, "{\"execute\": \"system_reset\"}");
    g_autofree char *reset = qmp_wait_event(vm.qmp, "RESET");
    g_assert_nonnull(reset);
    g_autofree char *reset_reply = qmp_read_line(vm.qmp);
    g_assert_cmpstr(reset_reply, ==, "{\"return\": {}}");
    /* As in QEMU, a reset out of "shutdown" leaves the VM in prelaunch. */
    g_autofree char *st2 = qmp_cmd(vm.qmp, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st2, "\"status\": \"prelaunch\""));
    g_autofree char *cont = qmp_cmd(vm.qmp, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(cont, ==, "{\"return\": {}}");
    g_autofree char *ev2 = qmp_wait_event(vm.qmp, "SHUTDOWN");
    g_assert_nonnull(ev2);
    g_autofree char *quit = qmp_cmd(vm.qmp, "{\"execute\": \"quit\"}");
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/guest-reset: without -no-reboot a triple fault resets the machine
 * and the guest runs again from its loaded image. */
static void test_guest_reset(void)
{
    Vm vm = { 0 };
    const char *extra[] = { "-append", "n=1000", "-S", NULL };
    vm_start_payload(&vm, "cpl3-loop", extra);
    negotiate_and_cont(&vm);
    g_autofree char *ev = qmp_wait_event(vm.qmp, "SHUTDOWN");
    g_assert_nonnull(strstr(ev, "\"reason\": \"guest-reset\""));
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

/* /qmp/guest-reset/reboot: without -no-reboot the guest's triple fault
 * resets the machine and the payload runs again from its image, over and
 * over: three RESET events prove three complete runs. */
static void test_guest_reboot(void)
{
    Vm vm = { 0 };
    const char *extra[] = { "-append", "n=1000", "-S", NULL };
    vm_start_full(&vm, "cpl3-loop", false, extra);
    negotiate_and_cont(&vm);
    for (int i = 0; i < 3; i++) {
        g_autofree char *ev = qmp_wait_event(vm.qmp, "RESET");
        g_assert_nonnull(ev);
        g_assert_nonnull(strstr(ev, "\"data\": {\"guest\": true, \"reason\": \"guest-reset\"}"));
    }
    g_autofree char *quit = qmp_cmd(vm.qmp, "{\"execute\": \"quit\"}");
    g_assert_cmpint(vm_wait(&vm), ==, 0);
    vm_free(&vm);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/kvm");
        return g_test_run();
    }
    g_test_add_func("/qmp/negotiation", test_negotiation);
    g_test_add_func("/qmp/run-state", test_run_state);
    g_test_add_func("/qmp/stop-cont-quit", test_stop_cont_quit);
    g_test_add_func("/qmp/reset-event", test_reset);
    g_test_add_func("/qmp/sigterm", test_sigterm);
    g_test_add_func("/qmp/daemonize", test_daemonize);
    g_test_add_func("/qmp/internal-error", test_internal_error);
    g_test_add_func("/qmp/poweroff", test_poweroff);
    g_test_add_func("/qmp/no-shutdown", test_no_shutdown);
    g_test_add_func("/qmp/guest-reset/no-reboot", test_guest_reset);
    g_test_add_func("/qmp/guest-reset/reboot", test_guest_reboot);
    return g_test_run();
}
