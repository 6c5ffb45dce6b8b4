/* ACPI tables for direct kernel boot (ACPI 2.0+): RSDP, RSDT, XSDT, FADT,
 * FACS, DSDT (with \_S5 for soft-off) and MADT (CPUs, IOAPIC, ISA
 * overrides), so kernels built without MP-table support (Debian's cloud
 * kernel) find every CPU and the IOAPIC. */
#pragma once
#include <glib.h>
#include <stdint.h>

#define ACPI_TABLES_ADDR 0xe0000ULL   /* RSDP first: Linux scans 0xe0000-0xfffff */

#define ACPI_PM_BASE 0x600            /* PM1a event, PM1a control, PM timer */
#define ACPI_GPE0_BASE 0xafe0
#define ACPI_SCI_IRQ 9

/* All tables, laid out from `base`; the RSDP is at base. */
GByteArray *acpi_build_tables(unsigned ncpus, const uint32_t *apic_ids, uint32_t base);
