/* A QOM-like view of the machine for qom-list/qom-get/qom-set:
 * /machine, /machine/peripheral/ID, /machine/unattached/device[N], ...
 *
 * Tern has no object model of its own; this file derives QEMU's tree from
 * the Machine each time it is asked, so it can never go stale:
 *
 *   /                                   container
 *   /machine                            pc-i440fx-7.2-machine (or none-machine)
 *   /machine/unattached/device[0]       vCPU 0, <model>-x86_64-cpu
 *   /machine/unattached/device[2..n]    vCPUs 1..n-1 (QEMU's kvmvapic is [1])
 *   /machine/unattached/device[n+1..]   board devices, in creation order
 *   /machine/peripheral/ID              -device/device_add with id=
 *   /machine/peripheral-anon/device[N]  -device/device_add without id
 *   /chardevs/ID                        chardev-socket, chardev-stdio, ...
 *   /objects                            container (empty: no -object yet)
 */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "board/device.h"

typedef struct Machine Machine;

/* The canonical QOM path of a device, e.g. "/machine/peripheral/dbg" or
 * "/machine/unattached/device[3]", as qom-list shows it and QEMU reports
 * it (query-cpus-fast "qom-path", info qtree, DEVICE_DELETED "path").
 * dev must be in m->devices. Free with g_free(). */
char *qom_device_path(Machine *m, DeviceState *dev);

/* The QOM path of vCPU `index` (0-based, < -smp cpus), the one QEMU
 * reports: "/machine/unattached/device[0]" for vCPU 0, device[index + 1]
 * for the others. Free with g_free(). */
char *qom_cpu_path(Machine *m, unsigned index);

/* The QOM type of the vCPUs, e.g. "qemu64-x86_64-cpu" (query-cpus-fast
 * has no type, but query-hotpluggable-cpus and qom-list do). Free with
 * g_free(). */
char *qom_cpu_type(Machine *m);

/* The QOM type of the machine: "pc-i440fx-7.2-machine" or "none-machine". */
const char *qom_machine_type(Machine *m);

/* The commands, as their handlers use them. Paths starting with '/' are
 * absolute; others are partial, matched against the end of every path. */
JsonNode *qom_list(Machine *m, const char *path, GError **errp);
JsonNode *qom_get(Machine *m, const char *path, const char *property, GError **errp);
bool qom_set(Machine *m, const char *path, const char *property, JsonNode *value,
             GError **errp);
/* [ObjectTypeInfo]; implements may be NULL. */
/* True if type is ancestor or derives from it (unknown types: false). */
bool qom_type_is_a(const char *type, const char *ancestor);
JsonNode *qom_list_types(Machine *m, const char *implements, bool abstract);
/* [ObjectPropertyInfo] for a type name, or NULL with errp set. */
JsonNode *qom_list_properties(Machine *m, const char *type_name, GError **errp);
JsonNode *qom_device_list_properties(Machine *m, const char *type_name, GError **errp);

/* One ObjectPropertyInfo entry (qom-list and the *-list-properties
 * commands), keys in QEMU's order; takes default_value. */
JsonObject *qom_prop_info(const char *name, const char *type, const char *desc,
                          JsonNode *default_value);
