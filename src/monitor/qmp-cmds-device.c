/* device_add and device_del: -device at run time, and asking the guest to
 * let go of a device (src/board/hotplug.c has the board's rules). */
#include "board/hotplug.h"
#include "board/pc.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qom.h"
#include "util/error.h"

#include <string.h>

/* The arguments as a -device string ("driver=x,key=value"), commas in
 * values doubled. JSON numbers and booleans become their text. */
static char *args_to_device_string(JsonObject *args, GError **errp)
{
    g_autoptr(GString) s = g_string_new(NULL);
    JsonObjectIter it;
    const char *key;
    JsonNode *v;
    json_object_iter_init_ordered(&it, args);
    while (json_object_iter_next_ordered(&it, &key, &v)) {
        if (!strcmp(key, "bus")) {
            continue;
        }
        if (strpbrk(key, ",=")) {
            /* No property has such a name; as text it would split. */
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Property '%s.%s' not found",
                        qmp_arg_str(args, "driver", "device"), key);
            return NULL;
        }
        g_autofree char *text = NULL;
        GType t = JSON_NODE_HOLDS_VALUE(v) ? json_node_get_value_type(v) : G_TYPE_INVALID;
        if (t == G_TYPE_STRING) {
            text = g_strdup(json_node_get_string(v));
        } else if (t == G_TYPE_INT64) {
            text = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(v));
        } else if (t == G_TYPE_BOOLEAN) {
            text = g_strdup(json_node_get_boolean(v) ? "on" : "off");
        } else {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Invalid parameter type for '%s', expected: string", key);
            return NULL;
        }
        g_auto(GStrv) parts = g_strsplit(text, ",", -1);
        g_autofree char *escaped = g_strjoinv(",,", parts);
        g_string_append_printf(s, "%s%s=%s", s->len ? "," : "", key, escaped);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static JsonNode *qmp_device_add(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    const char *bus = qmp_arg_str(args, "bus", NULL);
    if (bus && strcmp(bus, "pci.0")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Bus '%s' not found", bus);
        return NULL;
    }
    g_autofree char *str = args_to_device_string(args, errp);
    if (!str) {
        return NULL;
    }
    g_autoptr(TernOpts) opts = opts_parse(str, NULL, errp);
    if (!opts) {
        return NULL;
    }
    /* Only PCI functions can be hot-plugged; refuse the others before
     * they touch the machine. */
    const char *driver = opts_get(opts, "driver");
    if (driver && device_info_find(driver) && !qom_type_is_a(driver, "pci-device")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Bus '%s' does not support hotplugging",
                    qom_type_is_a(driver, "isa-device") ? "isa.0" : "main-system-bus");
        return NULL;
    }
    DeviceState *dev = device_create(m, opts, true, errp);
    if (!dev) {
        return NULL;
    }
    if (!machine_hotplug(m, dev, errp)) {
        g_ptr_array_remove(m->devices, dev);
        device_destroy(dev);
        return NULL;
    }
    return json_node_init_object(json_node_alloc(), json_object_new());
}

/* By id, else by QOM path. */
static DeviceState *find_device(Machine *m, const char *name)
{
    DeviceState *dev = machine_find_device(m, name);
    for (guint i = 0; !dev && name[0] == '/' && i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        g_autofree char *path = qom_device_path(m, d);
        if (!strcmp(path, name)) {
            dev = d;
        }
    }
    return dev;
}

static JsonNode *qmp_device_del(QmpContext *ctx, JsonObject *args, GError **errp)
{
    const char *id = qmp_arg_str(args, "id", "");
    DeviceState *dev = find_device(ctx->m, id);
    if (!dev) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", id);
        return NULL;
    }
    if (!machine_unplug_request(ctx->m, dev, errp)) {
        return NULL;
    }
    return json_node_init_object(json_node_alloc(), json_object_new());
}

const QmpCommandDef qmp_commands_device[] = {
    { "device_add", qmp_device_add },
    { "device_del", qmp_device_del },
    { NULL },
};
