/* QOM commands: qom-list/get/set over the machine's tree, and the type
 * catalogue (qom-list-types, qom-list-properties, device-list-properties).
 * The tree itself lives in qom.c. */
#include "monitor/qom.h"
#include "monitor/qmp-dispatch.h"

static JsonNode *qmp_qom_list(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qom_list(ctx->m, qmp_arg_str(args, "path", ""), errp);
}

static JsonNode *qmp_qom_get(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qom_get(ctx->m, qmp_arg_str(args, "path", ""), qmp_arg_str(args, "property", ""),
                   errp);
}

static JsonNode *qmp_qom_set(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonNode *value = json_object_get_member(args, "value");
    if (!qom_set(ctx->m, qmp_arg_str(args, "path", ""), qmp_arg_str(args, "property", ""),
                 value, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

static JsonNode *qmp_qom_list_types(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qom_list_types(ctx->m, qmp_arg_str(args, "implements", NULL),
                          qmp_arg_bool(args, "abstract", false));
}

static JsonNode *qmp_qom_list_properties(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qom_list_properties(ctx->m, qmp_arg_str(args, "typename", ""), errp);
}

static JsonNode *qmp_device_list_properties(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qom_device_list_properties(ctx->m, qmp_arg_str(args, "typename", ""), errp);
}

const QmpCommandDef qmp_commands_qom[] = {
    { "qom-list", qmp_qom_list },
    { "qom-get", qmp_qom_get },
    { "qom-set", qmp_qom_set },
    { "qom-list-types", qmp_qom_list_types },
    { "qom-list-properties", qmp_qom_list_properties },
    { "device-list-properties", qmp_device_list_properties },
    { NULL },
};
