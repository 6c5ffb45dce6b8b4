/* device_add and device_del on the board: which devices can come and go
 * while the machine exists, and how the guest is told. Only PCI functions
 * on the root bus are hot-pluggable (through the PIIX4's ACPI PCI hotplug
 * registers), as on QEMU's pc machine. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#include "board/device.h"

typedef struct Machine Machine;

/* device_add: the device was just created by device_create(user): refuses
 * (and destroys it) if it cannot be hot-plugged, else tells the guest. */
bool machine_hotplug(Machine *m, DeviceState *dev, GError **errp);
/* device_del: asks the guest to eject the device's slot (the request stays
 * pending until it does). */
bool machine_unplug_request(Machine *m, DeviceState *dev, GError **errp);
/* The guest ejected a slot: its hot-pluggable functions go away, each with
 * a DEVICE_DELETED event. */
void machine_pci_eject_slot(Machine *m, unsigned slot);
