/* The type side of the QOM view: qom-list-types, qom-list-properties and
 * device-list-properties, from Tern's device table and a few base types. */
#include "monitor/qom.h"
#include "monitor/qmp-dispatch.h"
#include "board/pc.h"
#include "util/error.h"


typedef enum {
    TYPE_PLAIN,          /* just "type" */
    TYPE_DEVICE_BASE,    /* abstract device classes */
    TYPE_DEVICE,         /* a Tern device (info set) */
    TYPE_CPU_BASE,
    TYPE_CPU,
    TYPE_MACHINE,
    TYPE_CHARDEV_SOCKET,
} QomTypeKind;

typedef struct QomType {
    const char *name;
    const char *parent;
    bool abstract;
    QomTypeKind kind;
    const DeviceInfo *info;
    char *owned_name;    /* CPU model types are built */
} QomType;

static const QomType base_types[] = {
    { "object", NULL, true, TYPE_PLAIN },
    { "container", "object", false, TYPE_PLAIN },
    { "device", "object", true, TYPE_DEVICE_BASE },
    { "isa-device", "device", true, TYPE_DEVICE_BASE },
    { "pit-common", "isa-device", true, TYPE_DEVICE_BASE },
    { "pci-device", "device", true, TYPE_DEVICE_BASE },
    { "sys-bus-device", "device", true, TYPE_DEVICE_BASE },
    { "cpu", "device", true, TYPE_CPU_BASE },
    { "x86_64-cpu", "cpu", true, TYPE_CPU },
    { "machine", "object", true, TYPE_MACHINE },
    { "x86-machine", "machine", true, TYPE_MACHINE },
    { "generic-pc-machine", "x86-machine", true, TYPE_MACHINE },
    { "pc-i440fx-7.2-machine", "generic-pc-machine", false, TYPE_MACHINE },
    { "none-machine", "machine", false, TYPE_MACHINE },
    { "chardev", "object", true, TYPE_PLAIN },
    { "chardev-fd", "chardev", true, TYPE_PLAIN },
    { "chardev-socket", "chardev", false, TYPE_CHARDEV_SOCKET },
    { "chardev-stdio", "chardev-fd", false, TYPE_PLAIN },
    { "chardev-file", "chardev-fd", false, TYPE_PLAIN },
    { "chardev-null", "chardev", false, TYPE_PLAIN },
    { "chardev-pty", "chardev", false, TYPE_PLAIN },
    { "chardev-mux", "chardev", false, TYPE_PLAIN },
};

/* QEMU's parent for a device type: the DeviceInfo's, else what QEMU
 * uses for the types that predate that field. */
static const char *device_parent(const DeviceInfo *info)
{
    static const char *const pci[] = { "PIIX4_PM", "pvpanic-pci" };
    static const char *const isa[] = { "isa-serial", "isa-debug-exit", "i8042", "port92",
                                       "mc146818rtc", "pvpanic", "isa-debugcon" };
    if (info->parent) {
        return info->parent;
    }
    for (guint i = 0; i < G_N_ELEMENTS(pci); i++) {
        if (!strcmp(info->name, pci[i])) {
            return "pci-device";
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(isa); i++) {
        if (!strcmp(info->name, isa[i])) {
            return "isa-device";
        }
    }
    return "device";
}

static void qom_type_clear(gpointer data)
{
    g_free(((QomType *)data)->owned_name);
}

static GArray *all_types(void)
{
    GArray *types = g_array_new(FALSE, TRUE, sizeof(QomType));
    g_array_set_clear_func(types, qom_type_clear);
    g_array_append_vals(types, base_types, G_N_ELEMENTS(base_types));
    /* The -cpu models Tern accepts; host derives from max, as in QEMU. */
    static const char *const cpus[][2] = {
        { "host", "max-x86_64-cpu" }, { "max", "x86_64-cpu" }, { "qemu64", "x86_64-cpu" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cpus); i++) {
        QomType t = { .parent = cpus[i][1], .kind = TYPE_CPU };
        t.owned_name = g_strdup_printf("%s-x86_64-cpu", cpus[i][0]);
        t.name = t.owned_name;
        g_array_append_val(types, t);
    }
    guint n;
    const DeviceInfo *const *infos = device_info_all(&n);
    for (guint i = 0; i < n; i++) {
        QomType t = { infos[i]->name, device_parent(infos[i]), false, TYPE_DEVICE, infos[i] };
        g_array_append_val(types, t);
    }
    return types;
}

static const QomType *find_type(GArray *types, const char *name)
{
    for (guint i = 0; name && i < types->len; i++) {
        const QomType *t = &g_array_index(types, QomType, i);
        if (!strcmp(t->name, name)) {
            return t;
        }
    }
    return NULL;
}

static bool type_implements(GArray *types, const QomType *t, const char *ancestor)
{
    for (; t; t = find_type(types, t->parent)) {
        if (!strcmp(t->name, ancestor)) {
            return true;
        }
    }
    return false;
}

bool qom_type_is_a(const char *type, const char *ancestor)
{
    g_autoptr(GArray) types = all_types();
    return type_implements(types, find_type(types, type), ancestor);
}

JsonNode *qom_list_types(Machine *m, const char *implements, bool abstract)
{
    g_autoptr(GArray) types = all_types();
    JsonArray *a = json_array_new();
    for (guint i = 0; i < types->len; i++) {
        const QomType *t = &g_array_index(types, QomType, i);
        if ((t->abstract && !abstract) ||
            (implements && !type_implements(types, t, implements))) {
            continue;
        }
        JsonObject *o = json_object_new();
        if (t->abstract) {
            json_object_set_boolean_member(o, "abstract", TRUE);
        }
        json_object_set_string_member(o, "name", t->name);
        if (t->parent) {
            json_object_set_string_member(o, "parent", t->parent);
        }
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

static void add_info(JsonArray *a, const char *name, const char *type, const char *desc,
                     JsonNode *def)
{
    json_array_add_object_element(a, qom_prop_info(name, type, desc, def));
}

static void add_device_props(JsonArray *a, const DeviceInfo *info, bool defaults)
{
    for (const DeviceProperty *p = info->props; p && p->name; p++) {
        add_info(a, p->name, device_property_type_name(p), p->desc,
                 defaults ? device_property_default(p) : NULL);
    }
}

/* The CPU properties Tern answers (see cpu_node); -1 and UINT32_MAX
 * are QEMU's "unassigned" defaults. */
static void add_cpu_props(JsonArray *a, bool defaults)
{
    static const struct { const char *name, *type; gint64 def; } ids[] = {
        { "node-id", "int32", -1 },   { "die-id", "int32", -1 },
        { "apic-id", "uint32", UINT32_MAX }, { "thread-id", "int32", -1 },
        { "socket-id", "int32", -1 }, { "core-id", "int32", -1 },
    };
    add_info(a, "start-powered-off", "bool", NULL, NULL);
    add_info(a, "model-id", "string", NULL, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        add_info(a, ids[i].name, ids[i].type, NULL, defaults ? json_node_init_int(json_node_alloc(), ids[i].def) : NULL);
    }
}

static void add_device_base_infos(JsonArray *a)
{
    add_info(a, "type", "string", NULL, NULL);
    add_info(a, "parent_bus", "link<bus>", NULL, NULL);
    add_info(a, "realized", "bool", NULL, NULL);
    add_info(a, "hotplugged", "bool", NULL, NULL);
    add_info(a, "hotpluggable", "bool", NULL, NULL);
}

JsonNode *qom_list_properties(Machine *m, const char *type_name, GError **errp)
{
    g_autoptr(GArray) types = all_types();
    const QomType *t = find_type(types, type_name);
    if (!t) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Class '%s' not found",
                    type_name);
        return NULL;
    }
    JsonArray *a = json_array_new();
    switch (t->kind) {
    case TYPE_PLAIN:
        add_info(a, "type", "string", NULL, NULL);
        break;
    case TYPE_DEVICE_BASE:
        add_device_base_infos(a);
        break;
    case TYPE_DEVICE:
        add_device_base_infos(a);
        add_device_props(a, t->info, false);
        break;
    case TYPE_CPU_BASE:
        add_device_base_infos(a);
        add_info(a, "start-powered-off", "bool", NULL, NULL);
        break;
    case TYPE_CPU:
        add_device_base_infos(a);
        add_cpu_props(a, false);
        break;
    case TYPE_MACHINE:
        add_info(a, "type", "string", NULL, NULL);
        add_info(a, "kernel", "string", "Linux kernel image file", NULL);
        add_info(a, "memory", "MemorySizeConfiguration", "Memory size configuration", NULL);
        add_info(a, "initrd", "string", "Linux initial ramdisk file", NULL);
        add_info(a, "smp", "SMPConfiguration", "CPU topology", NULL);
        add_info(a, "append", "string", "Linux kernel command line", NULL);
        add_info(a, "graphics", "bool", "Set on/off to enable/disable graphics emulation", NULL);
        break;
    case TYPE_CHARDEV_SOCKET:
        add_info(a, "type", "string", NULL, NULL);
        add_info(a, "connected", "bool", NULL, NULL);
        add_info(a, "addr", "SocketAddress", NULL, NULL);
        break;
    }
    return qmp_return_array(a);
}

JsonNode *qom_device_list_properties(Machine *m, const char *type_name, GError **errp)
{
    g_autoptr(GArray) types = all_types();
    const QomType *t = find_type(types, type_name);
    if (!t) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found",
                    type_name);
        return NULL;
    }
    if (t->abstract || !type_implements(types, t, "device")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter 'typename' expects a non-abstract device type");
        return NULL;
    }
    /* Only the type's own properties: QEMU leaves out the generic
     * device ones (type, realized, parent_bus, hotplug state). */
    JsonArray *a = json_array_new();
    if (t->kind == TYPE_DEVICE) {
        add_device_props(a, t->info, true);
    } else {
        add_cpu_props(a, true);
    }
    return qmp_return_array(a);
}
