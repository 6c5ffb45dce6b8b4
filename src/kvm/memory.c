#define G_LOG_DOMAIN "tern-kvm"
#include "kvm/memory.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define FOUR_GIB (1ULL << 32)

static size_t bitmap_bytes(uint64_t pages)
{
    return (pages + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(unsigned long);
}

bool guest_ram_init(GuestRam *ram, uint64_t size, uint64_t below_4g_limit, GError **errp)
{
    memset(ram, 0, sizeof(*ram));
    if (size == 0 || size % GUEST_PAGE_SIZE) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "memory size 0x%" G_GINT64_MODIFIER "x is not a multiple of 4 KiB", size);
        return false;
    }
    /* Guest-physical addresses above 2^46 exceed every x86 host's EPT/NPT. */
    if (size > (1ULL << 46) - FOUR_GIB) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "cannot set up guest memory 'pc.ram': size 0x%" G_GINT64_MODIFIER
                    "x exceeds the guest physical address space", size);
        return false;
    }
    /* 2 MiB aligned and marked for transparent huge pages, so the host
     * (and KVM's nested page tables) can map guest RAM in 2 MiB pages:
     * far fewer faults while the guest first touches its memory. */
    const uint64_t align = 2ULL << 20;
    uint8_t *raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "cannot set up guest memory 'pc.ram': %s", g_strerror(errno));
        return false;
    }
    uint8_t *host = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    if (host > raw) {
        munmap(raw, host - raw);
    }
    munmap(host + size, (raw + size + align) - (host + size));
    madvise(host, size, MADV_HUGEPAGE);
    ram->host = host;
    ram->size = size;
    ram->below_4g = MIN(size, below_4g_limit);
    ram->slots[0] = (RamSlot){ .id = 0, .gpa = 0, .size = ram->below_4g, .host = host };
    ram->nslots = 1;
    if (size > ram->below_4g) {
        ram->slots[1] = (RamSlot){ .id = 1, .gpa = FOUR_GIB, .size = size - ram->below_4g,
                                   .host = ram->host + ram->below_4g };
        ram->nslots = 2;
    }
    for (unsigned i = 0; i < ram->nslots; i++) {
        ram->slots[i].tern_dirty = g_malloc0(bitmap_bytes(ram_slot_pages(&ram->slots[i])));
    }
    return true;
}

void guest_ram_destroy(GuestRam *ram)
{
    for (unsigned i = 0; i < ram->nslots; i++) {
        g_free(ram->slots[i].tern_dirty);
    }
    if (ram->host) {
        munmap(ram->host, ram->size);
    }
    memset(ram, 0, sizeof(*ram));
}

bool guest_ram_register(GuestRam *ram, KvmVm *vm, GError **errp)
{
    ram->vm = vm;
    for (unsigned i = 0; i < ram->nslots; i++) {
        RamSlot *s = &ram->slots[i];
        if (!kvm_vm_set_memory(vm, s->id, s->gpa, s->size, s->host, s->log_dirty, errp)) {
            return false;
        }
    }
    return true;
}

static RamSlot *find_slot(GuestRam *ram, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < ram->nslots; i++) {
        RamSlot *s = &ram->slots[i];
        if (gpa >= s->gpa && len <= s->size && gpa - s->gpa <= s->size - len) {
            return s;
        }
    }
    return NULL;
}

void *guest_ram_ptr(GuestRam *ram, uint64_t gpa, uint64_t len)
{
    RamSlot *s = find_slot(ram, gpa, len);
    return s ? s->host + (gpa - s->gpa) : NULL;
}

static void mark_slot_dirty(RamSlot *s, uint64_t gpa, uint64_t len)
{
    if (len == 0) {
        return;
    }
    uint64_t first = (gpa - s->gpa) / GUEST_PAGE_SIZE;
    uint64_t last = (gpa - s->gpa + len - 1) / GUEST_PAGE_SIZE;
    for (uint64_t p = first; p <= last; p++) {
        /* vCPU threads (MMIO handlers doing DMA) and the main loop both write. */
        __atomic_fetch_or(&s->tern_dirty[p / BITS_PER_LONG], 1UL << (p % BITS_PER_LONG),
                          __ATOMIC_RELAXED);
    }
}

void guest_ram_mark_dirty(GuestRam *ram, uint64_t gpa, uint64_t len)
{
    RamSlot *s = find_slot(ram, gpa, len);
    if (s) {
        mark_slot_dirty(s, gpa, len);
    }
}

bool guest_ram_write(GuestRam *ram, uint64_t gpa, const void *buf, uint64_t len)
{
    RamSlot *s = find_slot(ram, gpa, len);
    if (!s) {
        return false;
    }
    memcpy(s->host + (gpa - s->gpa), buf, len);
    mark_slot_dirty(s, gpa, len);
    return true;
}

bool guest_ram_read(GuestRam *ram, uint64_t gpa, void *buf, uint64_t len)
{
    void *p = guest_ram_ptr(ram, gpa, len);
    if (!p) {
        return false;
    }
    memcpy(buf, p, len);
    return true;
}

bool guest_ram_set_dirty_logging(GuestRam *ram, bool on, GError **errp)
{
    for (unsigned i = 0; i < ram->nslots; i++) {
        RamSlot *s = &ram->slots[i];
        s->log_dirty = on;
        if (ram->vm && !kvm_vm_set_memory(ram->vm, s->id, s->gpa, s->size, s->host, on, errp)) {
            return false;
        }
        memset(s->tern_dirty, 0, bitmap_bytes(ram_slot_pages(s)));
    }
    return true;
}

bool guest_ram_sync_dirty(GuestRam *ram, unsigned slot_index, unsigned long *bitmap, GError **errp)
{
    g_return_val_if_fail(slot_index < ram->nslots, false);
    RamSlot *s = &ram->slots[slot_index];
    uint64_t pages = ram_slot_pages(s);
    size_t words = bitmap_bytes(pages) / sizeof(unsigned long);

    memset(bitmap, 0, words * sizeof(unsigned long));
    if (ram->vm && s->log_dirty) {
        struct kvm_dirty_log log = { .slot = s->id, .dirty_bitmap = bitmap };
        if (ioctl(ram->vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_GET_DIRTY_LOG: %s",
                        g_strerror(errno));
            return false;
        }
        if (ram->vm->manual_dirty_protect) {
            /* With manual protect, GET only reports; CLEAR re-protects
             * exactly the pages we are about to hand out. */
            struct kvm_clear_dirty_log clear = {
                .slot = s->id, .first_page = 0, .num_pages = pages, .dirty_bitmap = bitmap,
            };
            /* num_pages must be a multiple of 64 unless it reaches the end. */
            if (ioctl(ram->vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0) {
                g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_CLEAR_DIRTY_LOG: %s",
                            g_strerror(errno));
                return false;
            }
        }
    }
    for (size_t w = 0; w < words; w++) {
        bitmap[w] |= __atomic_exchange_n(&s->tern_dirty[w], 0, __ATOMIC_RELAXED);
    }
    return true;
}
