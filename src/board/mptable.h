/* Intel MultiProcessor Specification 1.4 tables: how a guest without ACPI
 * finds its CPUs, the IOAPIC and the ISA interrupt wiring. */
#pragma once
#include <glib.h>
#include <stdint.h>

#define MPTABLE_ADDR 0xf0000ULL
#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u

/* Floating pointer + configuration table, to be placed at MPTABLE_ADDR. */
/* apic_ids[i] is CPU i's APIC ID; the IOAPIC takes the next free ID. */
GByteArray *mptable_build(unsigned ncpus, const uint32_t *apic_ids, uint32_t base);
