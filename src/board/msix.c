/* MSI-X: capability, table and PBA, masking and delivery. See msix.h.
 *
 * Access rules are QEMU 7.2's (observed through a virtio device's MSI-X
 * BAR): the table and PBA take 4- and 8-byte accesses (an 8-byte one is
 * two 4-byte ones); narrower reads return 0 and narrower writes are
 * dropped; the whole Vector Control dword is stored as written (only bit 0
 * means anything); the PBA ignores writes; the rest of the BAR reads 0. */
#define G_LOG_DOMAIN "tern-pci"
#include "board/msix.h"
#include "board/msi.h"
#include "board/pc.h"
#include "util/error.h"

#define MSIX_MIN_BAR_SIZE 4096

static unsigned pba_size(unsigned n)
{
    return (n + 63) / 64 * 8;   /* QEMU's: whole 64-bit words */
}

static uint8_t *entry(PciDevice *d, unsigned v)
{
    return d->msix.table + v * PCI_MSIX_ENTRY_SIZE;
}

static uint16_t msix_control(PciDevice *d)
{
    return pci_get_word(d->config + d->msix.cap + PCI_MSIX_FLAGS);
}

bool msix_enabled(PciDevice *d)
{
    return d->msix.nvectors && (msix_control(d) & PCI_MSIX_FLAGS_ENABLE);
}

static bool function_masked(PciDevice *d)
{
    return !msix_enabled(d) || (msix_control(d) & PCI_MSIX_FLAGS_MASKALL);
}

static bool entry_masked(PciDevice *d, unsigned v)
{
    return pci_get_long(entry(d, v) + PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

bool msix_is_masked(PciDevice *d, unsigned v)
{
    return v >= d->msix.nvectors || function_masked(d) || entry_masked(d, v);
}

bool msix_is_pending(PciDevice *d, unsigned v)
{
    return v < d->msix.nvectors && (d->msix.pba[v / 8] & (1u << (v % 8)));
}

static void set_pending(PciDevice *d, unsigned v, bool on)
{
    uint8_t bit = 1u << (v % 8);
    d->msix.pba[v / 8] = on ? d->msix.pba[v / 8] | bit : d->msix.pba[v / 8] & ~bit;
}

static void message(PciDevice *d, unsigned v, uint64_t *addr, uint32_t *data)
{
    const uint8_t *e = entry(d, v);
    *addr = pci_get_long(e + PCI_MSIX_ENTRY_LOWER_ADDR) |
            (uint64_t)pci_get_long(e + PCI_MSIX_ENTRY_UPPER_ADDR) << 32;
    *data = pci_get_long(e + PCI_MSIX_ENTRY_DATA);
}

/* With KVM, an unmasked vector owns a route matching its entry; a masked
 * one has none (its messages become pending bits here). */
static void sync_route(PciDevice *d, unsigned v)
{
    Machine *m = d->bus->machine;
    MsiRoute *r = &d->msix.routes[v];
    if (!m->has_kvm) {
        return;
    }
    if (msix_is_masked(d, v)) {
        msi_route_release(m, r);
        return;
    }
    uint64_t addr;
    uint32_t data;
    message(d, v, &addr, &data);
    g_autoptr(GError) err = NULL;
    if (!msi_route_set(m, r, addr, data, &err)) {
        /* Falls back to KVM_SIGNAL_MSI per message. */
        g_debug("%s: vector %u: %s", d->parent.info->name, v, err->message);
        msi_route_release(m, r);
    }
}

static void deliver(PciDevice *d, unsigned v)
{
    MsiRoute *r = &d->msix.routes[v];
    if (r->gsi >= 0) {
        msi_route_fire(r);
        return;
    }
    uint64_t addr;
    uint32_t data;
    message(d, v, &addr, &data);
    machine_send_msi(d->bus->machine, addr, data);
}

/* After anything that may unmask v: a waiting message goes out. */
static void vector_changed(PciDevice *d, unsigned v)
{
    sync_route(d, v);
    if (!msix_is_masked(d, v) && msix_is_pending(d, v)) {
        set_pending(d, v, false);
        deliver(d, v);
    }
}

void msix_notify(PciDevice *d, unsigned v)
{
    if (v >= d->msix.nvectors || !msix_enabled(d)) {
        return;
    }
    if (msix_is_masked(d, v)) {
        set_pending(d, v, true);
        return;
    }
    deliver(d, v);
}

int msix_vector_fd(PciDevice *d, unsigned v)
{
    return v < d->msix.nvectors ? d->msix.routes[v].fd : -1;
}

/* ---- the BAR ---- */

static uint32_t read32(PciDevice *d, uint64_t off)
{
    PciMsixState *x = &d->msix;
    if (off >= x->table_off && off + 4 <= x->table_off + x->nvectors * PCI_MSIX_ENTRY_SIZE) {
        return pci_get_long(x->table + (off - x->table_off));
    }
    if (off >= x->pba_off && off + 4 <= x->pba_off + pba_size(x->nvectors)) {
        unsigned i = off - x->pba_off;
        /* Bits past the last vector read 0; pba[] covers them (zero). */
        return i + 4 <= sizeof(x->pba) ? pci_get_long(x->pba + i) : 0;
    }
    return 0;
}

static void write32(PciDevice *d, uint64_t off, uint32_t val)
{
    PciMsixState *x = &d->msix;
    if (off < x->table_off || off + 4 > x->table_off + x->nvectors * PCI_MSIX_ENTRY_SIZE) {
        return;   /* the PBA and the rest are read-only */
    }
    unsigned v = (off - x->table_off) / PCI_MSIX_ENTRY_SIZE;
    pci_set_long(x->table + (off - x->table_off), val);
    vector_changed(d, v);
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
    PciDevice *d = opaque;
    if (size == 4 && !(off & 3)) {
        return read32(d, off);
    }
    if (size == 8 && !(off & 3)) {
        return read32(d, off) | (uint64_t)read32(d, off + 4) << 32;
    }
    return 0;
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PciDevice *d = opaque;
    if ((size == 4 || size == 8) && !(off & 3)) {
        write32(d, off, val);
        if (size == 8) {
            write32(d, off + 4, val >> 32);
        }
    }
}

static const TernRegionOps msix_bar_ops = { .read = bar_read, .write = bar_write };

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

bool msix_init(PciDevice *d, unsigned nvectors, unsigned bar, uint32_t table_off,
               uint32_t pba_off, uint8_t cap_off, GError **errp)
{
    uint64_t tsize = (uint64_t)nvectors * PCI_MSIX_ENTRY_SIZE;
    if (!nvectors || nvectors > MSIX_MAX_VECTORS || bar > 5 || (table_off & 7) ||
        (pba_off & 7) || ranges_overlap(table_off, tsize, pba_off, pba_size(nvectors))) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: bad MSI-X layout (%u vectors, BAR %u, table 0x%x, PBA 0x%x; at most "
                    "%u vectors)", d->parent.info->name, nvectors, bar, table_off, pba_off,
                    MSIX_MAX_VECTORS);
        return false;
    }
    uint8_t cap = pci_add_capability(d, PCI_CAP_ID_MSIX, cap_off, PCI_CAP_MSIX_SIZEOF, errp);
    if (!cap) {
        return false;
    }
    PciMsixState *x = &d->msix;
    memset(x, 0, sizeof(*x));
    *x = (PciMsixState){ .nvectors = nvectors, .bar = bar, .table_off = table_off,
                         .pba_off = pba_off, .cap = cap, .function_masked = true };
    for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++) {
        msi_route_init(&x->routes[v]);
    }
    uint8_t *c = d->config + cap;
    pci_set_word(c + PCI_MSIX_FLAGS, nvectors - 1);
    pci_set_long(c + PCI_MSIX_TABLE, table_off | bar);
    pci_set_long(c + PCI_MSIX_PBA, pba_off | bar);
    pci_set_word(d->wmask + cap + PCI_MSIX_FLAGS,
                 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    uint64_t end = MAX(table_off + tsize, pba_off + pba_size(nvectors));
    uint64_t size = MSIX_MIN_BAR_SIZE;
    while (size < end) {
        size *= 2;
    }
    pci_register_bar_ops(d, bar, PCI_BASE_ADDRESS_SPACE_MEMORY, size, "msix", &msix_bar_ops, d);
    msix_reset(d);
    return true;
}

static void release_routes(PciDevice *d)
{
    for (unsigned v = 0; v < d->msix.nvectors; v++) {
        msi_route_release(d->bus->machine, &d->msix.routes[v]);
    }
}

void msix_uninit(PciDevice *d)
{
    if (!d->msix.nvectors) {
        return;
    }
    release_routes(d);
    d->msix.nvectors = 0;
}

void msix_reset(PciDevice *d)
{
    PciMsixState *x = &d->msix;
    if (!x->nvectors) {
        return;
    }
    if (d->bus) {
        release_routes(d);
    }
    uint8_t *flags = d->config + x->cap + PCI_MSIX_FLAGS;
    pci_set_word(flags, pci_get_word(flags) & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
    memset(x->table, 0, sizeof(x->table));
    memset(x->pba, 0, sizeof(x->pba));
    for (unsigned v = 0; v < x->nvectors; v++) {
        pci_set_long(entry(d, v) + PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
    }
    x->function_masked = true;
}

void msix_config_written(PciDevice *d, unsigned off, unsigned len)
{
    PciMsixState *x = &d->msix;
    if (!x->nvectors || !pci_access_hits(off, len, x->cap + PCI_MSIX_FLAGS, 2)) {
        return;
    }
    pci_update_intx(d);   /* INTx is off while MSI-X is enabled */
    bool masked = function_masked(d);
    if (masked == x->function_masked) {
        return;
    }
    x->function_masked = masked;
    for (unsigned v = 0; v < x->nvectors; v++) {
        vector_changed(d, v);
    }
}

bool msix_post_load(PciDevice *d, GError **errp)
{
    PciMsixState *x = &d->msix;
    (void)errp;
    if (!x->nvectors) {
        return true;
    }
    /* Bits for vectors the function doesn't have are noise from the
     * stream: clear them. */
    memset(x->table + x->nvectors * PCI_MSIX_ENTRY_SIZE, 0,
           sizeof(x->table) - x->nvectors * PCI_MSIX_ENTRY_SIZE);
    for (unsigned v = x->nvectors; v < MSIX_MAX_VECTORS; v++) {
        set_pending(d, v, false);
    }
    x->function_masked = function_masked(d);
    for (unsigned v = 0; v < x->nvectors; v++) {
        sync_route(d, v);
    }
    pci_update_intx(d);
    return true;
}
