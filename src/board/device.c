#include "board/device.h"
#include "board/pc.h"
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

extern const DeviceInfo *const tern_device_types[];
extern const guint tern_device_type_count;

const DeviceInfo *device_info_find(const char *name)
{
    for (guint i = 0; i < tern_device_type_count; i++) {
        if (!strcmp(tern_device_types[i]->name, name)) {
            return tern_device_types[i];
        }
    }
    return NULL;
}

const DeviceInfo *const *device_info_all(guint *n)
{
    *n = tern_device_type_count;
    return tern_device_types;
}

const char *const on_off_auto_names[] = { "auto", "on", "off", NULL };

/* QEMU's PCI address syntax: "slot" or "slot.fn", both hex, slot < 32 and
 * fn < 8. */
static bool parse_pci_devfn(const char *s, int32_t *out)
{
    char *end;
    errno = 0;
    unsigned long slot = strtoul(s, &end, 16);
    unsigned long fn = 0;
    if (end == s || !g_ascii_isxdigit(*s) || errno || slot > 31) {
        return false;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f || !g_ascii_isxdigit(*f) || fn > 7) {
            return false;
        }
    }
    if (*end) {
        return false;
    }
    *out = (int32_t)(slot << 3 | fn);
    return true;
}

static bool set_prop(DeviceState *dev, const DeviceProperty *p, const char *value, GError **errp)
{
    uint8_t *field = (uint8_t *)dev + p->offset;
    uint64_t v;
    bool b;
    switch (p->type) {
    case PROP_U32:
        if (!parse_u64(value, &v) || v > UINT32_MAX) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter '%s' expects uint32", p->name);
            return false;
        }
        *(uint32_t *)field = v;
        return true;
    case PROP_U64:
        if (!parse_u64(value, &v)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter '%s' expects uint64", p->name);
            return false;
        }
        *(uint64_t *)field = v;
        return true;
    case PROP_BOOL:
        if (!parse_bool(value, &b)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter '%s' expects 'on' or 'off'", p->name);
            return false;
        }
        *(bool *)field = b;
        return true;
    case PROP_STRING:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return true;
    case PROP_U16:
        if (!parse_u64(value, &v) || v > UINT16_MAX) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter '%s' expects uint16", p->name);
            return false;
        }
        *(uint16_t *)field = v;
        return true;
    case PROP_SIZE:
        if (!parse_size(value, 1, &v)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter '%s' expects a non-negative number below 2^64", p->name);
            return false;
        }
        *(uint64_t *)field = v;
        return true;
    case PROP_PCI_DEVFN:
        if (!parse_pci_devfn(value, (int32_t *)field)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Property '%s.%s' doesn't take value '%s'", dev->info->name, p->name,
                        value);
            return false;
        }
        return true;
    case PROP_ENUM:
        for (int i = 0; p->enum_names[i]; i++) {
            if (!strcmp(p->enum_names[i], value)) {
                *(int *)field = i;
                return true;
            }
        }
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter '%s' does not accept value '%s'", p->name, value);
        return false;
    }
    return false;
}

static void set_defaults(DeviceState *dev)
{
    for (const DeviceProperty *p = dev->info->props; p && p->name; p++) {
        uint8_t *field = (uint8_t *)dev + p->offset;
        switch (p->type) {
        case PROP_U32: *(uint32_t *)field = p->def; break;
        case PROP_U64: *(uint64_t *)field = p->def; break;
        case PROP_BOOL: *(bool *)field = p->def; break;
        case PROP_STRING: *(char **)field = g_strdup(p->def_str); break;
        case PROP_U16: *(uint16_t *)field = p->def; break;
        case PROP_SIZE: *(uint64_t *)field = p->def; break;
        case PROP_PCI_DEVFN: *(int32_t *)field = (int32_t)p->def; break;
        case PROP_ENUM: *(int *)field = (int)p->def; break;
        }
    }
}

const DeviceProperty *device_find_property(const DeviceInfo *info, const char *name)
{
    for (const DeviceProperty *p = info->props; p && p->name; p++) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* QEMU names anonymous children device[N] with the lowest free N. */
static int lowest_free_anon_index(Machine *m)
{
    for (int n = 0;; n++) {
        bool used = false;
        for (guint i = 0; i < m->devices->len && !used; i++) {
            DeviceState *d = g_ptr_array_index(m->devices, i);
            used = d->user_created && d->anon_index == n;
        }
        if (!used) {
            return n;
        }
    }
}

static DeviceState *device_alloc(Machine *m, const DeviceInfo *info)
{
    DeviceState *dev = g_malloc0(info->instance_size);
    dev->info = info;
    dev->machine = m;
    dev->anon_index = -1;
    set_defaults(dev);
    return dev;
}

static void device_free(DeviceState *dev)
{
    for (const DeviceProperty *p = dev->info->props; p && p->name; p++) {
        if (p->type == PROP_STRING) {
            g_free(*(char **)((uint8_t *)dev + p->offset));
        }
    }
    g_free(dev->id);
    g_free(dev);
}

static bool device_realize(DeviceState *dev, GError **errp)
{
    if (dev->info->realize && !dev->info->realize(dev, errp)) {
        return false;
    }
    device_reset(dev);
    machine_add_device(dev->machine, dev);
    return true;
}

DeviceState *device_create(Machine *m, TernOpts *opts, bool user, GError **errp)
{
    const char *driver = opts_get(opts, "driver");
    if (!driver) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter 'driver' is missing");
        return NULL;
    }
    const DeviceInfo *info = device_info_find(driver);
    if (!info || (user && !info->user_creatable)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "'%s' is not a valid device model name", driver);
        return NULL;
    }
    DeviceState *dev = device_alloc(m, info);
    for (guint i = 0; i < opts_count(opts); i++) {
        const char *key = opts_key_at(opts, i);
        const char *value = opts_value_at(opts, i);
        if (!strcmp(key, "driver")) {
            continue;
        }
        if (!strcmp(key, "id")) {
            g_free(dev->id);
            dev->id = g_strdup(value);
            continue;
        }
        const DeviceProperty *p = device_find_property(info, key);
        if (!p) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Property '%s.%s' not found",
                        info->name, key);
            device_free(dev);
            return NULL;
        }
        if (!set_prop(dev, p, value, errp)) {
            device_free(dev);
            return NULL;
        }
    }
    if (dev->id && machine_find_device(m, dev->id)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Duplicate device ID '%s'", dev->id);
        device_free(dev);
        return NULL;
    }
    dev->user_created = user;
    dev->anon_index = user && !dev->id ? lowest_free_anon_index(m) : -1;
    /* Board devices and -device ones come before the vCPUs; anything
     * later is device_add. */
    dev->hotplugged = m->vcpus != NULL;
    if (!device_realize(dev, errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}

DeviceState *device_create_simple(Machine *m, const char *type, GError **errp, ...)
{
    const DeviceInfo *info = device_info_find(type);
    g_assert(info);
    DeviceState *dev = device_alloc(m, info);
    va_list ap;
    va_start(ap, errp);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        const DeviceProperty *p = device_find_property(info, name);
        g_assert(p);
        if (!set_prop(dev, p, value, errp)) {
            va_end(ap);
            device_free(dev);
            return NULL;
        }
    }
    va_end(ap);
    if (!device_realize(dev, errp)) {
        device_free(dev);
        return NULL;
    }
    return dev;
}

void device_reset(DeviceState *dev)
{
    if (dev->info->reset) {
        dev->info->reset(dev);
    }
}

void device_destroy(DeviceState *dev)
{
    if (dev->info->unrealize) {
        dev->info->unrealize(dev);
    }
    device_free(dev);
}

const char *device_property_type_name(const DeviceProperty *p)
{
    switch (p->type) {
    case PROP_U32: return "uint32";
    case PROP_U64: return "uint64";
    case PROP_BOOL: return "bool";
    case PROP_STRING: return "str";
    case PROP_U16: return "uint16";
    case PROP_SIZE: return "size";
    case PROP_PCI_DEVFN: return "int32";
    case PROP_ENUM: return p->enum_type;
    }
    return "str";
}

JsonNode *device_property_get(DeviceState *dev, const DeviceProperty *p)
{
    const uint8_t *field = (const uint8_t *)dev + p->offset;
    JsonNode *n = json_node_alloc();
    switch (p->type) {
    case PROP_U32: return json_node_init_int(n, *(const uint32_t *)field);
    case PROP_U64: return json_node_init_int(n, (gint64)*(const uint64_t *)field);
    case PROP_BOOL: return json_node_init_boolean(n, *(const bool *)field);
    case PROP_STRING: {
        const char *s = *(char *const *)field;
        return json_node_init_string(n, s ? s : "");
    }
    case PROP_U16: return json_node_init_int(n, *(const uint16_t *)field);
    case PROP_SIZE: return json_node_init_int(n, (gint64)*(const uint64_t *)field);
    case PROP_PCI_DEVFN: return json_node_init_int(n, *(const int32_t *)field);
    case PROP_ENUM: return json_node_init_string(n, p->enum_names[*(const int *)field]);
    }
    return json_node_init_null(n);
}

JsonNode *device_property_default(const DeviceProperty *p)
{
    switch (p->type) {
    case PROP_U32:
    case PROP_U64:
    case PROP_U16:
    case PROP_SIZE: return json_node_init_int(json_node_alloc(), (gint64)p->def);
    case PROP_PCI_DEVFN: return json_node_init_int(json_node_alloc(), (int32_t)p->def);
    case PROP_ENUM: return json_node_init_string(json_node_alloc(), p->enum_names[p->def]);
    case PROP_BOOL: return json_node_init_boolean(json_node_alloc(), p->def != 0);
    case PROP_STRING:
        return p->def_str ? json_node_init_string(json_node_alloc(), p->def_str) : NULL;
    }
    return NULL;
}
