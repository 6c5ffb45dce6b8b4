/* Guest RAM: host memory split into KVM memory slots (below the PCI hole,
 * and above 4 GiB). Each slot can log dirty pages; pages Tern itself writes
 * (loaders, DMA, virtio rings) are recorded in a second bitmap so migration
 * sees them too. All of Tern's writes into guest RAM go through
 * guest_ram_write() or guest_ram_mark_dirty(). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"

#define GUEST_PAGE_SIZE 4096ULL
#define GUEST_RAM_MAX_SLOTS 2

typedef struct RamSlot {
    unsigned id;
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
    bool log_dirty;
    unsigned long *tern_dirty;   /* pages written by Tern, one bit each */
} RamSlot;

typedef struct GuestRam {
    uint8_t *host;          /* one mapping for all of RAM */
    uint64_t size;
    uint64_t below_4g;
    unsigned nslots;
    RamSlot slots[GUEST_RAM_MAX_SLOTS];
    KvmVm *vm;              /* NULL when not registered with KVM (qtest, unit tests) */
} GuestRam;

/* Allocates size bytes; RAM above below_4g_limit is placed at 4 GiB. */
bool guest_ram_init(GuestRam *ram, uint64_t size, uint64_t below_4g_limit, GError **errp);
void guest_ram_destroy(GuestRam *ram);
bool guest_ram_register(GuestRam *ram, KvmVm *vm, GError **errp);

/* Host pointer for [gpa, gpa+len) if it lies entirely inside one slot. */
void *guest_ram_ptr(GuestRam *ram, uint64_t gpa, uint64_t len);
bool guest_ram_write(GuestRam *ram, uint64_t gpa, const void *buf, uint64_t len);
bool guest_ram_read(GuestRam *ram, uint64_t gpa, void *buf, uint64_t len);
void guest_ram_mark_dirty(GuestRam *ram, uint64_t gpa, uint64_t len);

bool guest_ram_set_dirty_logging(GuestRam *ram, bool on, GError **errp);
/* Fills bitmap (one bit per page of the slot, zeroed by the caller's size
 * (slot pages / 64 words)) with pages dirtied since the last call, by the
 * guest or by Tern, and re-arms tracking of those pages. */
bool guest_ram_sync_dirty(GuestRam *ram, unsigned slot_index, unsigned long *bitmap, GError **errp);
static inline uint64_t ram_slot_pages(const RamSlot *s)
{
    return s->size / GUEST_PAGE_SIZE;
}
