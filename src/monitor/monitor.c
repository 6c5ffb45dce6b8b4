#define G_LOG_DOMAIN "tern-monitor"
#include "monitor/monitor.h"
#include "board/pc.h"
#include "util/error.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "tern-config.h"

#define QMP_MAX_MESSAGE (64 * 1024 * 1024)
#define QMP_MAX_DEPTH 1024

typedef struct Monitor {
    MonitorSet *set;
    Chardev *chr;
    bool pretty;
    bool negotiated;
    /* Streaming splitter state: bytes of the current message. */
    GString *buf;
    int depth;
    bool in_string, escape;
} Monitor;

struct MonitorSet {
    Machine *m;
    GPtrArray *monitors;
};

static void monitor_send(Monitor *mon, JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, node);
    json_generator_set_pretty(gen, mon->pretty);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    g_autofree char *line = g_strdup_printf("%s\r\n", text);
    chardev_write(mon->chr, (const uint8_t *)line, strlen(line));
}

static void send_greeting(Monitor *mon)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "QMP");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "qemu");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "micro");
    json_builder_add_int_value(b, 0);
    json_builder_set_member_name(b, "minor");
    json_builder_add_int_value(b, 2);
    json_builder_set_member_name(b, "major");
    json_builder_add_int_value(b, 7);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "package");
    json_builder_add_string_value(b, "tern-" TERN_VERSION);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "capabilities");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "oob");
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    monitor_send(mon, root);
}

static JsonNode *empty_return(void);

static void send_reply(Monitor *mon, JsonNode *ret, JsonNode *id)
{
    JsonObject *o = json_object_new();
    json_object_set_member(o, "return", ret ? ret : empty_return());
    if (id) {
        json_object_set_member(o, "id", json_node_copy(id));
    }
    g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
    json_object_unref(o);
    monitor_send(mon, n);
}

static void send_error(Monitor *mon, const char *klass, const char *desc, JsonNode *id)
{
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "class", klass);
    json_object_set_string_member(e, "desc", desc);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "error", e);
    if (id) {
        json_object_set_member(o, "id", json_node_copy(id));
    }
    g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
    json_object_unref(o);
    monitor_send(mon, n);
}

static void broadcast_event(MonitorSet *set, const char *name, JsonObject *data)
{
    gint64 now = g_get_real_time();
    for (guint i = 0; i < set->monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(set->monitors, i);
        if (!mon->negotiated || !mon->chr->connected) {
            continue;
        }
        JsonObject *o = json_object_new();
        JsonObject *ts = json_object_new();
        json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
        json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
        json_object_set_object_member(o, "timestamp", ts);
        json_object_set_string_member(o, "event", name);
        if (data) {
            json_object_set_object_member(o, "data", json_object_ref(data));
        }
        g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
        json_object_unref(o);
        monitor_send(mon, n);
    }
    if (data) {
        json_object_unref(data);
    }
}

/* ---- commands ---- */

typedef JsonNode *(*QmpHandler)(Monitor *mon, JsonObject *args, GError **errp);

static JsonNode *empty_return(void)
{
    JsonNode *n = json_node_alloc();
    JsonObject *o = json_object_new();
    json_node_init_object(n, o);
    json_object_unref(o);
    return n;
}

static JsonNode *object_return(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);
    json_object_unref(o);
    return n;
}

static JsonNode *qmp_query_status(Monitor *mon, JsonObject *args, GError **errp)
{
    Machine *m = mon->set->m;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", runstate_name(m->state));
    json_object_set_boolean_member(o, "singlestep", FALSE);
    json_object_set_boolean_member(o, "running", runstate_is_running(m->state));
    return object_return(o);
}

static JsonNode *qmp_query_version(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *q = json_object_new();
    json_object_set_int_member(q, "micro", 0);
    json_object_set_int_member(q, "minor", 2);
    json_object_set_int_member(q, "major", 7);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "qemu", q);
    json_object_set_string_member(o, "package", "tern-" TERN_VERSION);
    return object_return(o);
}

static JsonNode *qmp_query_kvm(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "enabled", mon->set->m->has_kvm);
    json_object_set_boolean_member(o, "present", g_file_test("/dev/kvm", G_FILE_TEST_EXISTS));
    return object_return(o);
}

static JsonNode *qmp_query_name(Monitor *mon, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    if (mon->set->m->cfg->name) {
        json_object_set_string_member(o, "name", mon->set->m->cfg->name);
    }
    return object_return(o);
}

static JsonNode *qmp_stop(Monitor *mon, JsonObject *args, GError **errp)
{
    Machine *m = mon->set->m;
    if (m->state == RUN_STATE_RUNNING) {
        machine_pause(m, RUN_STATE_PAUSED);
    }
    return empty_return();
}

static JsonNode *qmp_cont(Monitor *mon, JsonObject *args, GError **errp)
{
    return machine_resume(mon->set->m, errp) ? empty_return() : NULL;
}

static JsonNode *qmp_system_reset(Monitor *mon, JsonObject *args, GError **errp)
{
    machine_reset(mon->set->m, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return empty_return();
}

static JsonNode *qmp_quit(Monitor *mon, JsonObject *args, GError **errp)
{
    /* Handled on the main loop after this reply is sent, so the client
     * sees the reply before the SHUTDOWN event, as with QEMU. */
    machine_request_shutdown(mon->set->m, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return empty_return();
}

static const struct {
    const char *name;
    QmpHandler handler;
} commands[] = {
    { "cont", qmp_cont },
    { "query-kvm", qmp_query_kvm },
    { "query-name", qmp_query_name },
    { "query-status", qmp_query_status },
    { "query-version", qmp_query_version },
    { "quit", qmp_quit },
    { "stop", qmp_stop },
    { "system_reset", qmp_system_reset },
};

static void dispatch(Monitor *mon, const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_data(parser, text, -1, &err)) {
        g_autofree char *desc = g_strdup_printf("JSON parse error, %s", err->message);
        send_error(mon, "GenericError", desc, NULL);
        return;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        send_error(mon, "GenericError", "QMP input must be a JSON object", NULL);
        return;
    }
    JsonObject *req = json_node_get_object(root);
    JsonNode *id = json_object_get_member(req, "id");
    JsonNode *exec = json_object_get_member(req, "execute");
    if (!exec) {
        exec = json_object_get_member(req, "exec-oob");
    }
    if (!exec) {
        send_error(mon, "GenericError", "QMP input lacks member 'execute'", id);
        return;
    }
    if (!JSON_NODE_HOLDS_VALUE(exec) || json_node_get_value_type(exec) != G_TYPE_STRING) {
        send_error(mon, "GenericError", "QMP input member 'execute' must be a string", id);
        return;
    }
    const char *name = json_node_get_string(exec);
    JsonNode *argsn = json_object_get_member(req, "arguments");
    if (argsn && !JSON_NODE_HOLDS_OBJECT(argsn)) {
        send_error(mon, "GenericError", "QMP input member 'arguments' must be an object", id);
        return;
    }
    JsonObject *args = argsn ? json_node_get_object(argsn) : NULL;

    if (!strcmp(name, "qmp_capabilities")) {
        if (mon->negotiated) {
            send_error(mon, "CommandNotFound",
                       "Capabilities negotiation is already complete, command ignored", id);
            return;
        }
        mon->negotiated = true;
        send_reply(mon, NULL, id);
        return;
    }
    if (!mon->negotiated) {
        send_error(mon, "CommandNotFound",
                   "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return;
    }
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(commands[i].name, name)) {
            JsonNode *ret = commands[i].handler(mon, args, &err);
            if (!ret) {
                send_error(mon, tern_error_class_name(err), err->message, id);
                return;
            }
            send_reply(mon, ret, id);
            return;
        }
    }
    g_autofree char *desc = g_strdup_printf("The command %s has not been found", name);
    send_error(mon, "CommandNotFound", desc, id);
}

/* ---- framing: split the byte stream into top-level JSON values ---- */

static int monitor_can_receive(void *opaque)
{
    return 4096;
}

static void monitor_receive(void *opaque, const uint8_t *data, int len)
{
    Monitor *mon = opaque;
    for (int i = 0; i < len; i++) {
        char c = data[i];
        if (mon->depth == 0 && mon->buf->len == 0 && g_ascii_isspace(c)) {
            continue;
        }
        g_string_append_c(mon->buf, c);
        bool complete = false;
        if (mon->in_string) {
            if (mon->escape) {
                mon->escape = false;
            } else if (c == '\\') {
                mon->escape = true;
            } else if (c == '"') {
                mon->in_string = false;
            }
        } else if (c == '"') {
            mon->in_string = true;
        } else if (c == '{' || c == '[') {
            mon->depth++;
        } else if (c == '}' || c == ']') {
            mon->depth--;
            complete = mon->depth <= 0;
        } else if (mon->depth == 0 && (g_ascii_isspace(c) || c == '\n')) {
            complete = true;   /* a bare scalar at top level */
        }
        if (mon->buf->len > QMP_MAX_MESSAGE || mon->depth > QMP_MAX_DEPTH) {
            send_error(mon, "GenericError", "JSON parse error, message too large or too deep",
                       NULL);
            complete = false;
            g_string_truncate(mon->buf, 0);
            mon->depth = 0;
            mon->in_string = mon->escape = false;
            continue;
        }
        if (complete) {
            g_autofree char *msg = g_strndup(mon->buf->str, mon->buf->len);
            g_string_truncate(mon->buf, 0);
            mon->depth = 0;
            dispatch(mon, msg);
        }
    }
}

static void monitor_event(void *opaque, ChardevEvent ev)
{
    Monitor *mon = opaque;
    g_string_truncate(mon->buf, 0);
    mon->depth = 0;
    mon->in_string = mon->escape = false;
    mon->negotiated = false;
    if (ev == CHR_EVENT_OPENED) {
        send_greeting(mon);
    }
}

/* ---- machine events ---- */

static void on_state_changed(void *opaque, RunState old, RunState state)
{
    MonitorSet *set = opaque;
    if (state == RUN_STATE_RUNNING && old != RUN_STATE_RUNNING) {
        broadcast_event(set, "RESUME", NULL);
    } else if (old == RUN_STATE_RUNNING && state != RUN_STATE_RUNNING) {
        broadcast_event(set, "STOP", NULL);
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
    broadcast_event(opaque, "SHUTDOWN", cause_data(cause));
}

static void on_reset(void *opaque, ShutdownCause cause)
{
    broadcast_event(opaque, "RESET", cause_data(cause));
}

MonitorSet *monitors_new(Machine *m, GError **errp)
{
    MonitorSet *set = g_new0(MonitorSet, 1);
    set->m = m;
    set->monitors = g_ptr_array_new();
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
        mon->buf = g_string_new(NULL);
        opts_get_bool(o, "pretty", false, &mon->pretty, NULL);
        g_ptr_array_add(set->monitors, mon);
        ChardevFrontend fe = { .can_receive = monitor_can_receive, .receive = monitor_receive,
                               .event = monitor_event, .opaque = mon };
        chardev_set_frontend(chr, &fe);
    }
    MachineObserver obs = { .state_changed = on_state_changed, .shutdown = on_shutdown,
                            .reset = on_reset, .opaque = set };
    machine_add_observer(m, &obs);
    return set;
}

void monitors_free(MonitorSet *set)
{
    if (!set) {
        return;
    }
    for (guint i = 0; i < set->monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(set->monitors, i);
        g_string_free(mon->buf, TRUE);
        g_free(mon);
    }
    g_ptr_array_unref(set->monitors);
    g_free(set);
}
