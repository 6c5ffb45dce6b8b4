#define G_LOG_DOMAIN "tern-monitor"
#include "monitor/monitor-internal.h"
#include "board/pc.h"
#include "monitor/json-writer.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qmp-fds.h"
#include "util/error.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


/* Above this much unsent output the monitor stops reading commands
 * until the client catches up (QEMU does the same), so a client that
 * never reads cannot make Tern buffer without bound. */
#define MONITOR_OUT_HIGH (1 << 20)

/* ---- output ---- */

static void flush_output(Monitor *mon);

static gboolean output_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Monitor *mon = opaque;
    g_source_unref(mon->out_watch);
    mon->out_watch = NULL;
    if (cond & (G_IO_HUP | G_IO_ERR)) {
        /* The client left with replies unread; input may be paused, so
         * this is where the hang-up is noticed. */
        chardev_hangup(mon->chr);
        return G_SOURCE_REMOVE;
    }
    flush_output(mon);
    return G_SOURCE_REMOVE;
}

static void flush_output(Monitor *mon)
{
    Chardev *chr = mon->chr;
    if (mon->out->len == 0) {
        return;
    }
    if (!chr->connected || chr->out_fd < 0) {
        g_byte_array_set_size(mon->out, 0);
        return;
    }
    int n = chardev_write(chr, mon->out->data, mon->out->len);
    g_byte_array_remove_range(mon->out, 0, n);
    if (mon->out->len && !mon->out_watch) {
        mon->out_watch = g_unix_fd_source_new(chr->out_fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
        g_source_set_callback(mon->out_watch, G_SOURCE_FUNC(output_ready), mon, NULL);
        g_source_attach(mon->out_watch, chr->ctx);
    }
    if (mon->out->len < MONITOR_OUT_HIGH) {
        chardev_accept_input(chr);
    }
}

static void monitor_send(Monitor *mon, JsonNode *node)
{
    g_autoptr(GString) text = g_string_new(NULL);
    qjson_write(text, node, mon->pretty);
    /* Lines end in CR LF, inside pretty output too, as QEMU's. */
    for (gsize i = 0; i < text->len; i++) {
        if (text->str[i] == '\n') {
            g_string_insert_c(text, i++, '\r');
        }
    }
    g_string_append(text, "\r\n");
    g_byte_array_append(mon->out, (const guint8 *)text->str, text->len);
    flush_output(mon);
}

static void send_greeting(Monitor *mon)
{
    JsonArray *caps = json_array_new();
    json_array_add_string_element(caps, "oob");
    JsonObject *qmp = json_object_new();
    json_object_set_object_member(qmp, "version", qmp_version_info());
    json_object_set_array_member(qmp, "capabilities", caps);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "QMP", qmp);
    g_autoptr(JsonNode) n = qmp_return_object(o);
    monitor_send(mon, n);
}

void monitor_set_emit_event(MonitorSet *set, const char *name, JsonObject *data)
{
    gint64 now = g_get_real_time();
    JsonObject *ts = json_object_new();
    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "timestamp", ts);
    json_object_set_string_member(o, "event", name);
    if (data) {
        json_object_set_object_member(o, "data", data);
    }
    g_autoptr(JsonNode) n = qmp_return_object(o);
    for (guint i = 0; i < set->monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(set->monitors, i);
        if (mon->negotiated && mon->chr->connected) {
            monitor_send(mon, n);
        }
    }
}

/* ---- input ---- */

static void monitor_emit(void *opaque, JsonNode *value, const char *error)
{
    Monitor *mon = opaque;
    g_autoptr(JsonNode) reply = NULL;
    if (error) {
        g_autoptr(GError) err = g_error_new_literal(TERN_ERROR, TERN_ERROR_GENERIC, error);
        reply = qmp_error_reply(err, NULL);
    } else {
        QmpContext ctx = { .m = mon->set->m, .set = mon->set, .mon = mon };
        reply = qmp_dispatch(&ctx, value);
        json_node_unref(value);
    }
    if (reply) {
        monitor_send(mon, reply);
    }
}

static int monitor_can_receive(void *opaque)
{
    Monitor *mon = opaque;
    return mon->out->len < MONITOR_OUT_HIGH ? 65536 : 0;
}

static void monitor_receive(void *opaque, const uint8_t *data, int len)
{
    Monitor *mon = opaque;
    qjson_reader_feed(mon->reader, (const char *)data, len);
}

static void monitor_event(void *opaque, ChardevEvent ev)
{
    Monitor *mon = opaque;
    qjson_reader_reset(mon->reader);
    mon->negotiated = false;
    mon->oob = false;
    g_byte_array_set_size(mon->out, 0);
    if (mon->out_watch) {
        g_source_destroy(mon->out_watch);
        g_source_unref(mon->out_watch);
        mon->out_watch = NULL;
    }
    chardev_drop_fds(mon->chr);
    if (ev == CHR_EVENT_OPENED) {
        send_greeting(mon);
    } else {
        qmp_fdsets_cleanup(mon->set);   /* QEMU drops unused fd sets then */
    }
}

/* ---- machine events ---- */

static void on_state_changed(void *opaque, RunState old, RunState state)
{
    MonitorSet *set = opaque;
    if (state == RUN_STATE_RUNNING && old != RUN_STATE_RUNNING) {
        monitor_set_emit_event(set, "RESUME", NULL);
    } else if (old == RUN_STATE_RUNNING && state != RUN_STATE_RUNNING) {
        monitor_set_emit_event(set, "STOP", NULL);
    }
}

static JsonObject *cause_data(ShutdownCause cause)
{
    JsonObject *d = json_object_new();
    json_object_set_boolean_member(d, "guest", shutdown_cause_is_guest(cause));
    json_object_set_string_member(d, "reason", shutdown_cause_name(cause));
    return d;
}

static void on_shutdown(void *opaque, ShutdownCause cause)
{
    monitor_set_emit_event(opaque, "SHUTDOWN", cause_data(cause));
}

static void on_reset(void *opaque, ShutdownCause cause)
{
    monitor_set_emit_event(opaque, "RESET", cause_data(cause));
}

static void on_event(void *opaque, const char *name, JsonObject *data)
{
    monitor_set_emit_event(opaque, name, data ? json_object_ref(data) : NULL);
}

/* ---- set-up ---- */

static void monitor_free(Monitor *mon)
{
    if (mon->out_watch) {
        g_source_destroy(mon->out_watch);
        g_source_unref(mon->out_watch);
    }
    qjson_reader_free(mon->reader);
    g_byte_array_unref(mon->out);
    GHashTableIter it;
    gpointer fd;
    g_hash_table_iter_init(&it, mon->named_fds);
    while (g_hash_table_iter_next(&it, NULL, &fd)) {
        close(GPOINTER_TO_INT(fd));
    }
    g_hash_table_unref(mon->named_fds);
    g_free(mon);
}

static void fdset_free(gpointer p)
{
    FdSet *set = p;
    for (guint i = 0; i < set->fds->len; i++) {
        FdSetEntry *e = &g_array_index(set->fds, FdSetEntry, i);
        close(e->fd);
        g_free(e->opaque);
    }
    g_array_unref(set->fds);
    if (set->dup_fds) {
        g_array_unref(set->dup_fds);
    }
    g_free(set);
}

MonitorSet *monitors_new(Machine *m, GError **errp)
{
    MonitorSet *set = g_new0(MonitorSet, 1);
    set->m = m;
    set->monitors = g_ptr_array_new_with_free_func((GDestroyNotify)monitor_free);
    set->fdsets = g_ptr_array_new_with_free_func(fdset_free);
    for (guint i = 0; i < m->cfg->monitors->len; i++) {
        TernOpts *o = g_ptr_array_index(m->cfg->monitors, i);
        const char *chr_id = opts_get(o, "chardev");
        const char *mode = opts_get(o, "mode");
        Chardev *chr = machine_find_chardev(m, chr_id);
        if (!chr) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-mon: chardev '%s' not found",
                        chr_id);
            monitors_free(set);
            return NULL;
        }
        if (mode && strcmp(mode, "control")) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "-mon %s: the human monitor is not supported yet (use mode=control)",
                        opts_source(o));
            monitors_free(set);
            return NULL;
        }
        Monitor *mon = g_new0(Monitor, 1);
        mon->set = set;
        mon->chr = chr;
        mon->reader = qjson_reader_new(monitor_emit, mon);
        mon->out = g_byte_array_new();
        mon->named_fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        opts_get_bool(o, "pretty", false, &mon->pretty, NULL);
        g_ptr_array_add(set->monitors, mon);
        ChardevFrontend fe = { .can_receive = monitor_can_receive, .receive = monitor_receive,
                               .event = monitor_event, .opaque = mon };
        chardev_set_frontend(chr, &fe);
    }
    MachineObserver obs = { .state_changed = on_state_changed, .shutdown = on_shutdown,
                            .reset = on_reset, .event = on_event, .opaque = set };
    machine_add_observer(m, &obs);
    return set;
}

/* Last replies (quit's) must reach a client that reads slowly: wait a
 * little for each monitor's output to drain. */
static void drain_output(Monitor *mon)
{
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (mon->out->len && mon->chr->connected && mon->chr->out_fd >= 0 &&
           g_get_monotonic_time() < deadline) {
        GPollFD pfd = { .fd = mon->chr->out_fd, .events = G_IO_OUT };
        if (g_poll(&pfd, 1, 100) == 1) {
            int n = chardev_write(mon->chr, mon->out->data, mon->out->len);
            g_byte_array_remove_range(mon->out, 0, n);
        }
    }
}

void monitors_free(MonitorSet *set)
{
    if (!set) {
        return;
    }
    for (guint i = 0; i < set->monitors->len; i++) {
        drain_output(g_ptr_array_index(set->monitors, i));
    }
    g_ptr_array_unref(set->monitors);
    g_ptr_array_unref(set->fdsets);
    g_free(set);
}
