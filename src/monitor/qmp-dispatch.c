#define G_LOG_DOMAIN "tern-monitor"
#include "monitor/qmp-dispatch.h"
#include "monitor/monitor-internal.h"
#include "monitor/qmp-schema.h"
#include "util/error.h"

#include <string.h>

QmpCommandFn qmp_command_find(const char *name)
{
    for (const QmpCommandDef *const *t = qmp_command_tables; *t; t++) {
        for (const QmpCommandDef *d = *t; d->name; d++) {
            if (!strcmp(d->name, name)) {
                return d->fn;
            }
        }
    }
    return NULL;
}

JsonNode *qmp_error_reply(const GError *err, JsonNode *id)
{
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, "class", tern_error_class_name(err));
    json_object_set_string_member(e, "desc", err->message);
    /* QEMU writes "id" first in errors and last in successes. */
    JsonObject *o = json_object_new();
    if (id) {
        json_object_set_member(o, "id", json_node_copy(id));
    }
    json_object_set_object_member(o, "error", e);
    return qmp_return_object(o);
}

static JsonNode *success_reply(JsonNode *ret, JsonNode *id)
{
    JsonObject *o = json_object_new();
    json_object_set_member(o, "return", ret);
    if (id) {
        json_object_set_member(o, "id", json_node_copy(id));
    }
    return qmp_return_object(o);
}

static JsonObject *declared_only(const QmpCommandInfo *info, JsonObject *args)
{
    JsonObject *o = json_object_new();
    for (guint i = 0; info->args->members && i < info->args->members->len; i++) {
        const QmpMember *mb = g_ptr_array_index(info->args->members, i);
        JsonNode *v = json_object_get_member(args, mb->name);
        if (v) {
            json_object_set_member(o, mb->name, json_node_copy(v));
        }
    }
    return o;
}

JsonNode *qmp_execute(QmpContext *ctx, const char *name, JsonObject *args, GError **errp)
{
    QmpSchema *schema = qmp_schema_get();
    const QmpCommandInfo *info = qmp_schema_command(schema, name);
    QmpCommandFn fn = qmp_command_find(name);
    if (!info || !fn) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_COMMAND_NOT_FOUND,
                    "The command %s has not been found", name);
        return NULL;
    }
    g_autoptr(JsonObject) empty = args ? NULL : json_object_new();
    if (!args) {
        args = empty;
    }
    /* "gen": false commands (device_add) take more than they declare:
     * only the declared members are checked here. */
    g_autoptr(JsonObject) declared = info->gen ? json_object_ref(args) : declared_only(info, args);
    g_autoptr(JsonNode) argn = json_node_init_object(json_node_alloc(), declared);
    if (!qmp_type_check_input(info->args, argn, "", errp)) {
        return NULL;
    }
    JsonNode *ret = fn(ctx, args, errp);
    if (ret) {
        g_autoptr(GError) bad = NULL;
        if (!qmp_type_check_output(info->ret, ret, "", &bad)) {
            /* A Tern bug: the schema promises what clients may rely on. */
            g_warning("reply of %s does not match the schema: %s", name, bad->message);
        }
    }
    return ret;
}

static JsonNode *input_error(const char *fmt, const char *member, JsonNode *id)
{
    g_autoptr(GError) err = g_error_new(TERN_ERROR, TERN_ERROR_GENERIC, fmt, member);
    return qmp_error_reply(err, id);
}

JsonNode *qmp_dispatch(QmpContext *ctx, JsonNode *request)
{
    Monitor *mon = ctx->mon;
    if (!JSON_NODE_HOLDS_OBJECT(request)) {
        return input_error("QMP input must be a JSON object", NULL, NULL);
    }
    JsonObject *req = json_node_get_object(request);
    JsonNode *id = json_object_get_member(req, "id");
    const char *name = NULL;
    bool oob = false;
    JsonObject *args = NULL;

    JsonObjectIter it;
    const char *key;
    JsonNode *val;
    json_object_iter_init_ordered(&it, req);
    while (json_object_iter_next_ordered(&it, &key, &val)) {
        if (!strcmp(key, "execute") || (!strcmp(key, "exec-oob") && mon->oob)) {
            if (!JSON_NODE_HOLDS_VALUE(val) || json_node_get_value_type(val) != G_TYPE_STRING) {
                return input_error("QMP input member '%s' must be a string", key, id);
            }
            if (name) {
                return input_error("QMP input member 'execute' clashes with 'exec-oob'", NULL,
                                   id);
            }
            name = json_node_get_string(val);
            oob = key[4] == '-';
        } else if (!strcmp(key, "arguments")) {
            if (!JSON_NODE_HOLDS_OBJECT(val)) {
                return input_error("QMP input member 'arguments' must be an object", NULL, id);
            }
            args = json_node_get_object(val);
        } else if (strcmp(key, "id")) {
            return input_error("QMP input member '%s' is unexpected", key, id);
        }
    }
    if (!name) {
        return input_error("QMP input lacks member 'execute'", NULL, id);
    }

    g_autoptr(GError) err = NULL;
    if (!mon->negotiated && strcmp(name, "qmp_capabilities")) {
        g_set_error(&err, TERN_ERROR, TERN_ERROR_COMMAND_NOT_FOUND,
                    "Expecting capabilities negotiation with 'qmp_capabilities'");
        return qmp_error_reply(err, id);
    }
    const QmpCommandInfo *info = qmp_schema_command(qmp_schema_get(), name);
    if (mon->negotiated && !strcmp(name, "qmp_capabilities")) {
        /* QEMU checks the arguments before refusing a second negotiation. */
        g_autoptr(JsonObject) none = json_object_new();
        g_autoptr(JsonNode) argn = json_node_init_object(json_node_alloc(), args ? args : none);
        if (qmp_type_check_input(info->args, argn, "", &err)) {
            g_set_error(&err, TERN_ERROR, TERN_ERROR_COMMAND_NOT_FOUND,
                        "Capabilities negotiation is already complete, command ignored");
        }
        return qmp_error_reply(err, id);
    }
    if (oob && info && !info->allow_oob) {
        g_set_error(&err, TERN_ERROR, TERN_ERROR_GENERIC, "The command %s does not support OOB",
                    name);
        return qmp_error_reply(err, id);
    }
    JsonNode *ret = qmp_execute(ctx, name, args, &err);
    return ret ? success_reply(ret, id) : qmp_error_reply(err, id);
}

/* ---- helpers ---- */

static JsonNode *arg(JsonObject *args, const char *name)
{
    return args ? json_object_get_member(args, name) : NULL;
}

const char *qmp_arg_str(JsonObject *args, const char *name, const char *def)
{
    JsonNode *n = arg(args, name);
    return n && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : def;
}

gint64 qmp_arg_int(JsonObject *args, const char *name, gint64 def)
{
    JsonNode *n = arg(args, name);
    return n && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : def;
}

guint64 qmp_arg_uint(JsonObject *args, const char *name, guint64 def)
{
    return (guint64)qmp_arg_int(args, name, (gint64)def);
}

bool qmp_arg_bool(JsonObject *args, const char *name, bool def)
{
    JsonNode *n = arg(args, name);
    return n && json_node_get_value_type(n) == G_TYPE_BOOLEAN ? json_node_get_boolean(n) : def;
}

bool qmp_arg_has(JsonObject *args, const char *name)
{
    return arg(args, name) != NULL;
}

JsonNode *qmp_return_empty(void)
{
    return qmp_return_object(json_object_new());
}

JsonNode *qmp_return_object(JsonObject *o)
{
    JsonNode *n = json_node_init_object(json_node_alloc(), o);
    json_object_unref(o);
    return n;
}

JsonNode *qmp_return_array(JsonArray *a)
{
    JsonNode *n = json_node_init_array(json_node_alloc(), a);
    json_array_unref(a);
    return n;
}

JsonNode *qmp_return_string(const char *s)
{
    return json_node_init_string(json_node_alloc(), s);
}
