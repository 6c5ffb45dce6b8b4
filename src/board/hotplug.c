/* Hot-plug policy for the pc board (see hotplug.h). */
#define G_LOG_DOMAIN "tern-board"
#include "board/hotplug.h"
#include "board/acpi-pcihp.h"
#include "board/pc.h"
#include "board/pci.h"
#include "monitor/qom.h"
#include "util/error.h"

#include <string.h>

AcpiPciHp *piix4_pm_pcihp(DeviceState *dev);

/* The PCI function behind dev, if dev is one on the root bus. */
static PciDevice *as_pci(Machine *m, DeviceState *dev)
{
    PciBus *bus = pci_root_bus(m);
    for (unsigned devfn = 0; bus && devfn < 256; devfn++) {
        if (bus->devices[devfn] && (DeviceState *)bus->devices[devfn] == dev) {
            return bus->devices[devfn];
        }
    }
    return NULL;
}

static AcpiPciHp *hotplug_controller(Machine *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (!strcmp(d->info->name, "PIIX4_PM")) {
            return piix4_pm_pcihp(d);
        }
    }
    return NULL;
}

/* QEMU names the bus a device sits on in its refusal. */
static const char *bus_name(const DeviceInfo *info)
{
    if (qom_type_is_a(info->name, "isa-device")) {
        return "isa.0";
    }
    return "main-system-bus";
}

bool machine_hotplug(Machine *m, DeviceState *dev, GError **errp)
{
    PciDevice *pci = as_pci(m, dev);
    AcpiPciHp *hp = hotplug_controller(m);
    if (!pci || !hp) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Bus '%s' does not support hotplugging", bus_name(dev->info));
        return false;
    }
    acpi_pcihp_plug(hp, PCI_DEVFN_SLOT(pci->devfn));
    return true;
}

bool machine_unplug_request(Machine *m, DeviceState *dev, GError **errp)
{
    PciDevice *pci = as_pci(m, dev);
    AcpiPciHp *hp = hotplug_controller(m);
    if (!dev->user_created || !pci || !hp) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Bus '%s' does not support hotplugging",
                    pci ? "pci.0" : bus_name(dev->info));
        return false;
    }
    acpi_pcihp_unplug_request(hp, PCI_DEVFN_SLOT(pci->devfn));
    return true;
}

static void device_deleted(Machine *m, DeviceState *dev)
{
    g_autofree char *path = qom_device_path(m, dev);
    /* A virtio proxy's backend child goes first, as on QEMU. */
    if (g_str_has_prefix(dev->info->name, "virtio-") &&
        g_str_has_suffix(dev->info->name, "-pci")) {
        JsonObject *child = json_object_new();
        g_autofree char *cpath = g_strdup_printf("%s/virtio-backend", path);
        json_object_set_string_member(child, "path", cpath);
        machine_emit_event(m, "DEVICE_DELETED", child);
    }
    JsonObject *data = json_object_new();
    if (dev->id) {
        json_object_set_string_member(data, "device", dev->id);
    }
    json_object_set_string_member(data, "path", path);
    machine_emit_event(m, "DEVICE_DELETED", data);
}

static void eject_now(Machine *m, unsigned slot)
{
    PciBus *bus = pci_root_bus(m);
    /* Highest function first, so function 0 goes last, as a multi-function
     * slot is taken apart. */
    for (int fn = 7; bus && fn >= 0; fn--) {
        PciDevice *d = bus->devices[PCI_DEVFN(slot, fn)];
        if (!d || !d->parent.user_created) {
            continue;
        }
        DeviceState *dev = &d->parent;
        device_deleted(m, dev);
        g_ptr_array_remove(m->devices, dev);
        device_destroy(dev);
    }
}

typedef struct EjectRequest {
    Machine *m;
    unsigned slot;
} EjectRequest;

static void eject_request_run(void *opaque)
{
    EjectRequest *r = opaque;
    eject_now(r->m, r->slot);
}

void machine_pci_eject_slot(Machine *m, unsigned slot)
{
    EjectRequest *r = g_new(EjectRequest, 1);
    *r = (EjectRequest){ m, slot };
    machine_run_on_main_loop(m, eject_request_run, r, g_free);
}
