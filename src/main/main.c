/* tern: parse the QEMU-style command line, build the machine, run it. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "board/pc.h"
#include "main/config.h"
#include "main/daemonize.h"
#include "monitor/monitor.h"
#include "qtest/qtest.h"

static void report_error(bool msg_timestamp, const char *msg)
{
    if (msg_timestamp) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
        fprintf(stderr, "%s tern: %s\n", ts, msg);
    } else {
        fprintf(stderr, "tern: %s\n", msg);
    }
}

typedef struct {
    Machine *m;
    int signo;
} SignalWatch;

static gboolean on_signal(gpointer opaque)
{
    SignalWatch *w = opaque;
    fprintf(stderr, "tern: terminating on signal %d\n", w->signo);
    machine_request_shutdown(w->m, SHUTDOWN_CAUSE_HOST_SIGNAL);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    g_set_prgname("tern");
    /* A QMP peer that disconnects must not kill us. */
    signal(SIGPIPE, SIG_IGN);

    g_autoptr(MachineConfig) cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now;
    if (!options_parse(cfg, argc, argv, &exit_now, &err)) {
        report_error(cfg->msg_timestamp, err->message);
        return 1;
    }
    if (exit_now) {
        return 0;
    }
    if (cfg->logfile) {
        FILE *log = fopen(cfg->logfile, "a");
        if (!log) {
            g_autofree char *msg = g_strdup_printf("-D %s: %s", cfg->logfile, g_strerror(errno));
            report_error(cfg->msg_timestamp, msg);
            return 1;
        }
        /* Debug and warning output goes to the log file, as with QEMU's -D. */
        dup2(fileno(log), STDERR_FILENO);
        fclose(log);
    }

    Daemon daemon = { .ready_fd = -1 };
    if (cfg->daemonize && !daemonize_start(&daemon, &err)) {
        report_error(cfg->msg_timestamp, err->message);
        return 1;
    }

    Machine *m = machine_new(cfg, &err);
    if (!m) {
        report_error(cfg->msg_timestamp, err->message);
        return 1;
    }
    MonitorSet *mons = monitors_new(m, &err);
    if (!mons || (cfg->pidfile && !pidfile_write(cfg->pidfile, &err))) {
        report_error(cfg->msg_timestamp, err->message);
        monitors_free(mons);
        machine_free(m);
        return 1;
    }
    QTestServer *qtest = NULL;
    if (cfg->qtest_chardev) {
        qtest = qtest_server_new(m, cfg->qtest_chardev, cfg->qtest_log, &err);
        if (!qtest) {
            report_error(cfg->msg_timestamp, err->message);
            monitors_free(mons);
            machine_free(m);
            return 1;
        }
    }
    SignalWatch watches[] = { { m, SIGTERM }, { m, SIGINT }, { m, SIGHUP } };
    for (guint i = 0; i < G_N_ELEMENTS(watches); i++) {
        g_unix_signal_add(watches[i].signo, on_signal, &watches[i]);
    }

    daemonize_done(&daemon);
    machine_start(m);
    int rc = machine_run_loop(m);

    /* Before the sockets close: a client that sees EOF finds no pidfile. */
    if (cfg->pidfile) {
        unlink(cfg->pidfile);
    }
    monitors_free(mons);
    qtest_server_free(qtest);
    machine_free(m);
    return rc;
}
