/* ACPI tables for direct kernel boot (ACPI 2.0+): RSDP, RSDT, XSDT, FADT,
 * FACS, DSDT (\_S5 for soft-off, the PCI root bridge and its routing: see
 * acpi-dsdt.c) and MADT (CPUs, IOAPIC, ISA
 * overrides), so kernels built without MP-table support (Debian's cloud
 * kernel) find every CPU and the IOAPIC. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define HPET_ADDR 0xfed00000ULL
/* The HPET's capabilities register, low half: its event timer block ID. */
#define HPET_BLOCK_ID 0x8086a201u

#define ACPI_TABLES_ADDR 0xe0000ULL   /* RSDP first: Linux scans 0xe0000-0xfffff */

#define ACPI_PM_BASE 0x600            /* PM1a event, PM1a control, PM timer */
#define ACPI_GPE0_BASE 0xafe0
#define ACPI_SCI_IRQ 9
#define ACPI_SMI_CMD_PORT 0xb2        /* APM control: the OS enables ACPI mode here */
#define ACPI_ENABLE_VALUE 0xf1
#define ACPI_DISABLE_VALUE 0xf0

typedef struct Machine Machine;

/* What the tables describe. */
typedef struct AcpiBoard {
    unsigned ncpus;
    const uint32_t *apic_ids;
    uint64_t ram_below_4g;
    uint64_t ram_above_4g;
    bool hpet;                /* an HPET at HPET_ADDR: the HPET table */
    /* For firmware, as QEMU's pc serves it: an ACPI 1.0 RSDP (revision 0,
     * 20 bytes) and the RSDT only. Direct boot gets ACPI 2.0 with an XSDT. */
    bool acpi1_rsdp;
} AcpiBoard;

/* All tables, laid out from `base`; the RSDP is at base. m (may be NULL)
 * supplies the devices that describe themselves in the DSDT. */
GByteArray *acpi_build_tables(const AcpiBoard *board, Machine *m, uint32_t base);
/* The same for a built machine. */
GByteArray *machine_acpi_tables(Machine *m, uint32_t base, bool acpi1_rsdp);
/* The DSDT's AML body (no table header). */
GByteArray *acpi_dsdt_build(const AcpiBoard *board, Machine *m);

/* For DeviceInfo.acpi_aml: Device (NAME) with _HID (a PNP ID like
 * "PNP0501", compressed, or an ACPI ID string), _UID (if uid >= 0), _STA
 * present and _CRS from crs (resource items; the end tag is added). */
void acpi_isa_device(GByteArray *b, const char *name, const char *hid, int uid, GByteArray *crs);
