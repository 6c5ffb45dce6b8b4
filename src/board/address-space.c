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

bool address_space_read(AddressSpace *as, uint64_t addr, uint64_t *value, unsigned size)
{
    Region *r = lookup(as, addr);
    if (!r || !r->ops->read) {
        *value = size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
        return r != NULL;
    }
    *value = r->ops->read(r->opaque, addr - r->base, size);
    return true;
}

bool address_space_write(AddressSpace *as, uint64_t addr, uint64_t value, unsigned size)
{
    Region *r = lookup(as, addr);
    if (!r) {
        return false;
    }
    if (r->ops->write) {
        r->ops->write(r->opaque, addr - r->base, value, size);
    }
    return true;
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
