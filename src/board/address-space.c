#include "board/address-space.h"
#include "util/error.h"

typedef struct {
    uint64_t base;
    uint64_t size;
    const TernRegionOps *ops;
    void *opaque;
    char *name;
} Region;

struct AddressSpace {
    char *name;
    GArray *regions; /* Region, sorted by base, never overlapping */
};

static void region_clear(gpointer p)
{
    g_free(((Region *)p)->name);
}

AddressSpace *address_space_new(const char *name)
{
    AddressSpace *as = g_new0(AddressSpace, 1);
    as->name = g_strdup(name);
    as->regions = g_array_new(FALSE, TRUE, sizeof(Region));
    g_array_set_clear_func(as->regions, region_clear);
    return as;
}

void address_space_free(AddressSpace *as)
{
    if (!as) {
        return;
    }
    g_array_unref(as->regions);
    g_free(as->name);
    g_free(as);
}

/* Index of the first region whose end is above addr. */
static guint lower_bound(AddressSpace *as, uint64_t addr)
{
    guint lo = 0, hi = as->regions->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        Region *r = &g_array_index(as->regions, Region, mid);
        if (r->base + r->size - 1 < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static Region *lookup(AddressSpace *as, uint64_t addr)
{
    guint i = lower_bound(as, addr);
    if (i < as->regions->len) {
        Region *r = &g_array_index(as->regions, Region, i);
        if (addr >= r->base) {
            return r;
        }
    }
    return NULL;
}

bool address_space_add(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
                       const TernRegionOps *ops, void *opaque, GError **errp)
{
    if (size == 0 || base + size - 1 < base) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: invalid region 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER "x",
                    name, base, size);
        return false;
    }
    guint i = lower_bound(as, base);
    if (i < as->regions->len) {
        Region *r = &g_array_index(as->regions, Region, i);
        if (r->base <= base + size - 1) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "%s at 0x%" G_GINT64_MODIFIER "x overlaps %s at 0x%"
                        G_GINT64_MODIFIER "x in %s", name, base, r->name, r->base, as->name);
            return false;
        }
    }
    Region nr = { .base = base, .size = size, .ops = ops, .opaque = opaque,
                  .name = g_strdup(name) };
    g_array_insert_val(as->regions, i, nr);
    return true;
}

bool address_space_remove(AddressSpace *as, uint64_t base)
{
    guint i = lower_bound(as, base);
    if (i < as->regions->len && g_array_index(as->regions, Region, i).base == base) {
        g_array_remove_index(as->regions, i);
        return true;
    }
    return false;
}

/* An access that starts where no region is: QEMU 7.2's memory core cuts
 * it into naturally aligned pieces, each decoded on its own, so its tail
 * can still reach a region (inl 0xafdf reads one unassigned byte, then two
 * bytes of the GPE block, then one more). A piece in a region is the
 * largest power of two left, bounded by its alignment inside the region;
 * a piece in no region by its alignment in the address space. */
static unsigned piece_size(uint64_t rel, unsigned left)
{
    unsigned n = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    while (rel & (n - 1)) {
        n /= 2;
    }
    return n;
}

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

bool address_space_read(AddressSpace *as, uint64_t addr, uint64_t *value, unsigned size)
{
    Region *r = lookup(as, addr);
    if (r) {
        *value = r->ops->read ? r->ops->read(r->opaque, addr - r->base, size) : all_ones(size);
        return true;
    }
    *value = 0;
    for (unsigned done = 0; done < size;) {
        uint64_t a = addr + done;
        r = lookup(as, a);
        unsigned n = piece_size(r ? a - r->base : a, size - done);
        uint64_t v = r && r->ops->read ? r->ops->read(r->opaque, a - r->base, n) : all_ones(n);
        *value |= (v & all_ones(n)) << (8 * done);
        done += n;
    }
    return false;
}

bool address_space_write(AddressSpace *as, uint64_t addr, uint64_t value, unsigned size)
{
    Region *r = lookup(as, addr);
    if (r) {
        if (r->ops->write) {
            r->ops->write(r->opaque, addr - r->base, value, size);
        }
        return true;
    }
    for (unsigned done = 0; done < size;) {
        uint64_t a = addr + done;
        r = lookup(as, a);
        unsigned n = piece_size(r ? a - r->base : a, size - done);
        if (r && r->ops->write) {
            r->ops->write(r->opaque, a - r->base, (value >> (8 * done)) & all_ones(n), n);
        }
        done += n;
    }
    return false;
}

guint address_space_count(AddressSpace *as)
{
    return as->regions->len;
}

void address_space_foreach(AddressSpace *as,
                           void (*fn)(void *opaque, const char *name, uint64_t base,
                                      uint64_t size),
                           void *opaque)
{
    for (guint i = 0; i < as->regions->len; i++) {
        Region *r = &g_array_index(as->regions, Region, i);
        fn(opaque, r->name, r->base, r->size);
    }
}

uint64_t region_read_bytes(void *opaque, uint64_t off, unsigned size,
                           uint8_t (*read_byte)(void *opaque, uint64_t off))
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)read_byte(opaque, off + i) << (8 * i);
    }
    return v;
}

void region_write_bytes(void *opaque, uint64_t off, uint64_t val, unsigned size,
                        void (*write_byte)(void *opaque, uint64_t off, uint8_t v))
{
    for (unsigned i = 0; i < size; i++) {
        write_byte(opaque, off + i, val >> (8 * i));
    }
}
