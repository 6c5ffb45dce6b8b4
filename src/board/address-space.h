/* An address space (port I/O or MMIO): a sorted table of regions,
 * dispatched by binary search. Accesses to no region read as all-ones and
 * writes are dropped, as on a PC bus. Callers hold the machine lock. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TernRegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} TernRegionOps;

typedef struct AddressSpace AddressSpace;

/* For devices made of byte registers: a wider access is the run of byte
 * accesses from its lowest address up, as on QEMU (the RTC's index/data
 * pair, the APM ports). */
uint64_t region_read_bytes(void *opaque, uint64_t off, unsigned size,
                           uint8_t (*read_byte)(void *opaque, uint64_t off));
void region_write_bytes(void *opaque, uint64_t off, uint64_t val, unsigned size,
                        void (*write_byte)(void *opaque, uint64_t off, uint8_t v));

AddressSpace *address_space_new(const char *name);
void address_space_free(AddressSpace *as);
bool address_space_add(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
                       const TernRegionOps *ops, void *opaque, GError **errp);
bool address_space_remove(AddressSpace *as, uint64_t base);
/* True if a region handled the access. */
bool address_space_read(AddressSpace *as, uint64_t addr, uint64_t *value, unsigned size);
bool address_space_write(AddressSpace *as, uint64_t addr, uint64_t value, unsigned size);
guint address_space_count(AddressSpace *as);
/* Calls fn for each region in address order (read-only: the monitor's
 * "info mtree"); fn must not add or remove regions. */
void address_space_foreach(AddressSpace *as,
                           void (*fn)(void *opaque, const char *name, uint64_t base,
                                      uint64_t size),
                           void *opaque);
