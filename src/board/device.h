/* Device types. A device file defines its state struct (DeviceState
 * first), a property table and a DeviceInfo, and device-list.c names it:
 * that is all it takes to add a device. Properties serve -device (and
 * later -global, device_add and qom-get/set); the state description
 * serves migration and snapshots. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/vmstate.h"
#include "util/opts.h"

typedef struct Machine Machine;
typedef struct DeviceInfo DeviceInfo;

typedef enum {
    PROP_U32,
    PROP_U64,
    PROP_BOOL,
    PROP_STRING,
    PROP_U16,
    PROP_SIZE,        /* uint64_t, with QEMU's size suffixes */
    PROP_PCI_DEVFN,   /* int32_t: "slot[.fn]" in hex, -1 for "any" */
    PROP_ENUM,        /* int: an index into enum_names */
} PropType;

/* QEMU's OnOffAuto, as PROP_ENUM values. */
typedef enum { ON_OFF_AUTO_AUTO, ON_OFF_AUTO_ON, ON_OFF_AUTO_OFF } OnOffAuto;
extern const char *const on_off_auto_names[];

typedef struct DeviceProperty {
    const char *name;
    PropType type;
    size_t offset;
    uint64_t def;            /* numbers and bools */
    const char *def_str;     /* strings */
    const char *desc;
    const char *const *enum_names;   /* PROP_ENUM: NULL-terminated */
    const char *enum_type;           /* PROP_ENUM: QEMU's type name */
} DeviceProperty;

#define DEFINE_PROP_U32(n, st, field, d) \
    { .name = (n), .type = PROP_U32, .offset = offsetof(st, field), .def = (d) }
#define DEFINE_PROP_U64(n, st, field, d) \
    { .name = (n), .type = PROP_U64, .offset = offsetof(st, field), .def = (d) }
#define DEFINE_PROP_BOOL(n, st, field, d) \
    { .name = (n), .type = PROP_BOOL, .offset = offsetof(st, field), .def = (d) }
#define DEFINE_PROP_STRING(n, st, field) \
    { .name = (n), .type = PROP_STRING, .offset = offsetof(st, field) }
#define DEFINE_PROP_U16(n, st, field, d) \
    { .name = (n), .type = PROP_U16, .offset = offsetof(st, field), .def = (d) }
#define DEFINE_PROP_SIZE(n, st, field, d) \
    { .name = (n), .type = PROP_SIZE, .offset = offsetof(st, field), .def = (d) }
#define DEFINE_PROP_PCI_DEVFN(n, st, field) \
    { .name = (n), .type = PROP_PCI_DEVFN, .offset = offsetof(st, field), .def = (uint64_t)-1 }
#define DEFINE_PROP_ENUM(n, st, field, d, names, tname) \
    { .name = (n), .type = PROP_ENUM, .offset = offsetof(st, field), .def = (d), \
      .enum_names = (names), .enum_type = (tname) }
#define DEFINE_PROP_ON_OFF_AUTO(n, st, field, d) \
    DEFINE_PROP_ENUM(n, st, field, d, on_off_auto_names, "OnOffAuto")
#define DEFINE_PROP_END { .name = NULL }

typedef struct DeviceState {
    const DeviceInfo *info;
    char *id;
    Machine *machine;
    /* Where the QOM view puts the device: -device and device_add ones
     * under /machine/peripheral (with id) or peripheral-anon/device[N],
     * board ones under /machine/unattached. N is chosen once, at
     * creation, so it stays stable when other devices go away. */
    bool user_created;
    int anon_index;          /* -1 unless user-created without an id */
    bool hotplugged;         /* created after the vCPUs existed */
} DeviceState;

struct DeviceInfo {
    const char *name;
    /* QEMU's parent type for qom-list-types: "isa-device", "pci-device",
     * "sys-bus-device" or "device"; NULL lets src/monitor/qom.c decide. */
    const char *parent;
    const char *desc;
    size_t instance_size;
    bool user_creatable;                 /* allowed with -device */
    const DeviceProperty *props;
    bool (*realize)(DeviceState *dev, GError **errp);
    void (*reset)(DeviceState *dev);
    void (*unrealize)(DeviceState *dev);
    /* system_powerdown: the device that has a power button presses it. */
    void (*power_button)(DeviceState *dev);
    /* Describes the device in the DSDT: appends AML (a Device term) that
     * goes into the ISA bridge's scope, \_SB.PCI0.ISA. */
    void (*acpi_aml)(DeviceState *dev, GByteArray *aml);
    const StateDescription *state;
};

const DeviceInfo *device_info_find(const char *name);
const DeviceInfo *const *device_info_all(guint *n);

/* Creates and realizes a device from -device style options (driver= is
 * the type). user: reject types that are not user-creatable. */
DeviceState *device_create(Machine *m, TernOpts *opts, bool user, GError **errp);
/* Creates and realizes a board device with properties given as
 * "name", "value" pairs, NULL-terminated. */
DeviceState *device_create_simple(Machine *m, const char *type, GError **errp, ...)
    G_GNUC_NULL_TERMINATED;
void device_destroy(DeviceState *dev);

/* Generic property access, for qom-get/qom-list/device-list-properties
 * and info qtree. Type names are QEMU's: "uint32", "uint64", "bool", "str". */
const DeviceProperty *device_find_property(const DeviceInfo *info, const char *name);
const char *device_property_type_name(const DeviceProperty *p);
/* The current value as JSON: a number, a bool or a string ("" if unset). */
JsonNode *device_property_get(DeviceState *dev, const DeviceProperty *p);
/* The default as JSON, or NULL when there is none (unset strings). */
JsonNode *device_property_default(const DeviceProperty *p);
void device_reset(DeviceState *dev);
