/* The protocol's own commands: negotiation, version, introspection. */
#include "monitor/monitor-internal.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qmp-schema.h"

#include <string.h>

#include "tern-config.h"

static JsonNode *qmp_qmp_capabilities(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonArray *enable = json_object_has_member(args, "enable")
                            ? json_object_get_array_member(args, "enable") : NULL;
    bool oob = false;
    for (guint i = 0; enable && i < json_array_get_length(enable); i++) {
        oob |= !strcmp(json_array_get_string_element(enable, i), "oob");
    }
    ctx->mon->oob = oob;
    ctx->mon->negotiated = true;
    return qmp_return_empty();
}

/* Tern answers as the QEMU version whose interface it implements. */
JsonObject *qmp_version_info(void)
{
    JsonObject *q = json_object_new();
    json_object_set_int_member(q, "micro", 0);
    json_object_set_int_member(q, "minor", 2);
    json_object_set_int_member(q, "major", 7);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "qemu", q);
    json_object_set_string_member(o, "package", "tern-" TERN_VERSION);
    return o;
}

static JsonNode *qmp_query_version(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qmp_return_object(qmp_version_info());
}

static JsonNode *qmp_query_commands(QmpContext *ctx, JsonObject *args, GError **errp)
{
    GPtrArray *cmds = qmp_schema_commands(qmp_schema_get());
    JsonArray *a = json_array_new();
    for (guint i = 0; i < cmds->len; i++) {
        const QmpCommandInfo *c = g_ptr_array_index(cmds, i);
        if (qmp_command_find(c->name)) {
            JsonObject *o = json_object_new();
            json_object_set_string_member(o, "name", c->name);
            json_array_add_object_element(a, o);
        }
    }
    return qmp_return_array(a);
}

static JsonNode *qmp_query_qmp_schema(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qmp_schema_introspect(qmp_schema_get());
}

const QmpCommandDef qmp_commands_control[] = {
    { "qmp_capabilities", qmp_qmp_capabilities },
    { "query-version", qmp_query_version },
    { "query-commands", qmp_query_commands },
    { "query-qmp-schema", qmp_query_qmp_schema },
    { NULL },
};
