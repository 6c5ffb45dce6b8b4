/* ACPI PCI hotplug registers, as QEMU's PIIX4 PM exposes them at 0xae00
 * (QEMU's docs/specs/acpi_pci_hotplug.rst): the DSDT's hotplug methods
 * read which slots had a device added (PCIU) or a removal requested
 * (PCID) and eject a slot by writing its bit (B0EJ). Bus 0 only: there
 * are no PCI bridges. The PIIX4 PM embeds this state (it owns GPE0, whose
 * bit 1 announces a change). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Machine Machine;

#define ACPI_PCIHP_BASE 0xae00
#define ACPI_PCIHP_SIZE 0x18
#define ACPI_PCIHP_GPE_BIT 1    /* GPE0 status bit for a hotplug event */

typedef struct AcpiPciHp {
    uint32_t up;        /* slots with a new device, cleared when read */
    uint32_t down;      /* slots with a removal request */
    uint32_t sel;       /* bus selector: only bus 0 has slots */
    uint32_t aidx;      /* acpi-index lookup result (none: 0) */
    /* Not saved: wiring. */
    Machine *machine;
    void (*gpe)(void *opaque);   /* raises the GPE0 hotplug bit */
    void *opaque;
} AcpiPciHp;

bool acpi_pcihp_init(AcpiPciHp *hp, Machine *m, void (*gpe)(void *opaque), void *opaque,
                     GError **errp);
void acpi_pcihp_exit(AcpiPciHp *hp);
void acpi_pcihp_reset(AcpiPciHp *hp);
/* A device was hot-added to slot: tell the guest. */
void acpi_pcihp_plug(AcpiPciHp *hp, unsigned slot);
/* device_del: ask the guest to eject the slot. */
void acpi_pcihp_unplug_request(AcpiPciHp *hp, unsigned slot);

/* The DSDT's part: registers, slot devices S10-SF8 with _EJ0, and PCNT
 * (inside \\_SB.PCI0), and the GPE handler that calls it (\\_GPE._E01). */
void acpi_pcihp_aml(GByteArray *b);
void acpi_pcihp_gpe_aml(GByteArray *b);
