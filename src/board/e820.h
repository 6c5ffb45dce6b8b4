/* The BIOS memory map (e820), built from the RAM layout. It feeds the
 * Linux zero page, the multiboot mmap and the PVH memmap. */
#pragma once
#include <glib.h>
#include <stdint.h>

#include "kvm/memory.h"

#define E820_RAM 1
#define E820_RESERVED 2

#define E820_EBDA_START 0x9fc00ULL      /* top 1 KiB of conventional memory */
#define E820_BIOS_START 0xe0000ULL      /* ACPI tables and the MP table */
#define E820_HIGH_START 0x100000ULL

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* Entries sorted by address. */
GArray *e820_build(const GuestRam *ram);
