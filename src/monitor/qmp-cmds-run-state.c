/* Run state: status, stop/cont, reset, power button, quit, actions. */
#include "block/block-int.h"
#include "board/pc.h"
#include "monitor/monitor-internal.h"
#include "monitor/qmp-dispatch.h"

#include <string.h>

static JsonNode *qmp_query_status(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", runstate_name(ctx->m->state));
    json_object_set_boolean_member(o, "singlestep", FALSE);
    json_object_set_boolean_member(o, "running", runstate_is_running(ctx->m->state));
    return qmp_return_object(o);
}

static JsonNode *qmp_stop(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    if (m->state == RUN_STATE_RUNNING) {
        machine_pause(m, RUN_STATE_PAUSED);
    }
    return qmp_return_empty();
}

static JsonNode *qmp_cont(QmpContext *ctx, JsonObject *args, GError **errp)
{
    /* QEMU's cont clears every drive's io-status before the VM runs again
     * (a retried request that fails again sets it anew). */
    block_graph_iostatus_reset(ctx->m->block);
    return machine_resume(ctx->m, errp) ? qmp_return_empty() : NULL;
}

static JsonNode *qmp_system_reset(QmpContext *ctx, JsonObject *args, GError **errp)
{
    machine_reset(ctx->m, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return qmp_return_empty();
}

static JsonNode *qmp_system_powerdown(QmpContext *ctx, JsonObject *args, GError **errp)
{
    machine_powerdown(ctx->m);
    return qmp_return_empty();
}

static JsonNode *qmp_quit(QmpContext *ctx, JsonObject *args, GError **errp)
{
    /* At once: QEMU's client sees the SHUTDOWN event before this reply;
     * Tern exits once the reply is out (monitors_free flushes). */
    machine_shutdown(ctx->m, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return qmp_return_empty();
}

static JsonNode *qmp_set_action(QmpContext *ctx, JsonObject *args, GError **errp)
{
    MachineConfig *cfg = ctx->m->cfg;
    static const char *const panic[] = { "pause", "shutdown", "exit-failure", "none" };
    static const char *const watchdog[] = { "reset", "shutdown", "poweroff", "pause",
                                            "debug", "none", "inject-nmi" };
    const char *v;
    if ((v = qmp_arg_str(args, "reboot", NULL))) {
        cfg->no_reboot = !strcmp(v, "shutdown");
    }
    if ((v = qmp_arg_str(args, "shutdown", NULL))) {
        cfg->no_shutdown = !strcmp(v, "pause");
    }
    /* The schema already limited the values; keep literals, not copies. */
    for (guint i = 0; (v = qmp_arg_str(args, "panic", NULL)) && i < G_N_ELEMENTS(panic); i++) {
        if (!strcmp(v, panic[i])) {
            cfg->panic_action = panic[i];
        }
    }
    for (guint i = 0; (v = qmp_arg_str(args, "watchdog", NULL)) && i < G_N_ELEMENTS(watchdog);
         i++) {
        if (!strcmp(v, watchdog[i])) {
            cfg->watchdog_action = watchdog[i];
        }
    }
    return qmp_return_empty();
}

const QmpCommandDef qmp_commands_run_state[] = {
    { "query-status", qmp_query_status },
    { "stop", qmp_stop },
    { "cont", qmp_cont },
    { "system_reset", qmp_system_reset },
    { "system_powerdown", qmp_system_powerdown },
    { "quit", qmp_quit },
    { "set-action", qmp_set_action },
    { NULL },
};
