#include "libqvirtio.h"

#include <glib/gstdio.h>
#include <string.h>

#define VIRTIO_VENDOR 0x1af4
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_INT_PIN 0x3d
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define PIIX3_DEVFN 0x08
#define PIIX3_PIRQRC 0x60

/* Each slot gets its own windows so that several devices in one test
 * never overlap: I/O 0xc000 + slot * 0x100, memory 0xe0000000 + slot *
 * 1 MiB (inside the i440FX PCI hole), RAM 1 MiB + slot * 2 MiB (below
 * the 128 MiB default). */
#define IO_BASE(slot) (0xc000 + (slot) * 0x100)
#define MEM_BASE(slot) (0xe0000000ull + (uint64_t)(slot) * 0x100000)
#define RAM_BASE(slot) (0x100000ull + (uint64_t)(slot) * 0x200000)
#define RAM_PER_SLOT 0x200000

/* ---- PCI config space ---- */

static void cfg_select(QTestState *qts, uint8_t devfn, uint8_t off)
{
    qtest_outl(qts, 0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc));
}

uint8_t qpci_cfg_readb(QTestState *qts, uint8_t devfn, uint8_t off)
{
    cfg_select(qts, devfn, off);
    return qtest_inb(qts, 0xcfc + (off & 3));
}

uint16_t qpci_cfg_readw(QTestState *qts, uint8_t devfn, uint8_t off)
{
    cfg_select(qts, devfn, off);
    return qtest_inw(qts, 0xcfc + (off & 2));
}

uint32_t qpci_cfg_readl(QTestState *qts, uint8_t devfn, uint8_t off)
{
    cfg_select(qts, devfn, off);
    return qtest_inl(qts, 0xcfc);
}

void qpci_cfg_writeb(QTestState *qts, uint8_t devfn, uint8_t off, uint8_t v)
{
    cfg_select(qts, devfn, off);
    qtest_outb(qts, 0xcfc + (off & 3), v);
}

void qpci_cfg_writew(QTestState *qts, uint8_t devfn, uint8_t off, uint16_t v)
{
    cfg_select(qts, devfn, off);
    qtest_outw(qts, 0xcfc + (off & 2), v);
}

void qpci_cfg_writel(QTestState *qts, uint8_t devfn, uint8_t off, uint32_t v)
{
    cfg_select(qts, devfn, off);
    qtest_outl(qts, 0xcfc, v);
}

int qpci_find(QTestState *qts, uint16_t device_id, int nth)
{
    for (int devfn = 0; devfn < 256; devfn++) {
        uint32_t id = qpci_cfg_readl(qts, devfn, 0);
        if (id == (VIRTIO_VENDOR | (uint32_t)device_id << 16) && nth-- == 0) {
            return devfn;
        }
    }
    return -1;
}

/* ---- guest RAM ---- */

uint64_t qguest_alloc(QGuestAlloc *a, size_t size, size_t align)
{
    uint64_t addr = (a->next + align - 1) & ~(uint64_t)(align - 1);
    g_assert_cmpuint(addr + size, <=, a->end);
    a->next = addr + size;
    return addr;
}

/* ---- BARs and capabilities ---- */

/* Sizes BAR i the way firmware does (all ones, read back) and places it
 * in the slot's window, aligned to its size. Returns the next BAR index. */
static int assign_bar(QVirtioPci *d, int i, uint64_t *io_next, uint64_t *mem_next)
{
    uint8_t reg = PCI_BAR0 + 4 * i;
    uint32_t old = qpci_cfg_readl(d->qts, d->devfn, reg);
    qpci_cfg_writel(d->qts, d->devfn, reg, 0xffffffff);
    uint32_t mask = qpci_cfg_readl(d->qts, d->devfn, reg);
    qpci_cfg_writel(d->qts, d->devfn, reg, old);
    if (mask == 0) {
        return i + 1;                       /* not implemented */
    }
    if (mask & 1) {
        uint32_t size = (uint32_t)~(mask & ~3u) + 1;
        size &= 0xffff;                     /* upper bits may read 0 */
        uint64_t addr = (*io_next + size - 1) & ~(uint64_t)(size - 1);
        qpci_cfg_writel(d->qts, d->devfn, reg, addr);
        *io_next = addr + size;
        d->bar_io[i] = true;
        d->bar_addr[i] = addr;
        d->bar_size[i] = size;
        return i + 1;
    }
    bool is64 = ((mask >> 1) & 3) == 2;
    uint64_t full = mask & ~0xfull;
    if (is64) {
        uint8_t hreg = reg + 4;
        uint32_t hold = qpci_cfg_readl(d->qts, d->devfn, hreg);
        qpci_cfg_writel(d->qts, d->devfn, hreg, 0xffffffff);
        full |= (uint64_t)qpci_cfg_readl(d->qts, d->devfn, hreg) << 32;
        qpci_cfg_writel(d->qts, d->devfn, hreg, hold);
    } else {
        full |= 0xffffffff00000000ull;
    }
    uint64_t size = ~full + 1;
    uint64_t addr = (*mem_next + size - 1) & ~(size - 1);
    qpci_cfg_writel(d->qts, d->devfn, reg, (uint32_t)addr);
    if (is64) {
        qpci_cfg_writel(d->qts, d->devfn, reg + 4, addr >> 32);
    }
    *mem_next = addr + size;
    d->bar_addr[i] = addr;
    d->bar_size[i] = size;
    return i + (is64 ? 2 : 1);
}

static void read_vendor_cap(QVirtioPci *d, uint8_t cap)
{
    uint8_t type = qpci_cfg_readb(d->qts, d->devfn, cap + VIRTIO_PCI_CAP_CFG_TYPE);
    QVirtioRegion r = {
        .present = true,
        .bar = qpci_cfg_readb(d->qts, d->devfn, cap + VIRTIO_PCI_CAP_BAR),
        .offset = qpci_cfg_readl(d->qts, d->devfn, cap + VIRTIO_PCI_CAP_OFFSET),
        .length = qpci_cfg_readl(d->qts, d->devfn, cap + VIRTIO_PCI_CAP_LENGTH),
    };
    if (r.bar < 6) {
        r.addr = d->bar_addr[r.bar] + r.offset;
    }
    QVirtioRegion *slot = NULL;
    switch (type) {
    case VIRTIO_PCI_CAP_COMMON_CFG: slot = &d->common; break;
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        slot = &d->notify;
        d->notify_off_multiplier =
            qpci_cfg_readl(d->qts, d->devfn, cap + VIRTIO_PCI_NOTIFY_CAP_MULT);
        break;
    case VIRTIO_PCI_CAP_ISR_CFG: slot = &d->isr; break;
    case VIRTIO_PCI_CAP_DEVICE_CFG: slot = &d->device; break;
    case VIRTIO_PCI_CAP_PCI_CFG: slot = &d->pci_cfg; break;
    }
    /* 4.1.4: the driver uses the first capability of each type. */
    if (slot && !slot->present) {
        *slot = r;
    }
}

static void walk_caps(QVirtioPci *d)
{
    g_assert(qpci_cfg_readw(d->qts, d->devfn, PCI_STATUS) & 0x10);   /* cap list */
    uint8_t cap = qpci_cfg_readb(d->qts, d->devfn, PCI_CAP_PTR) & 0xfc;
    for (int n = 0; cap && n < 48; n++) {       /* 48 caps fill config space */
        uint8_t id = qpci_cfg_readb(d->qts, d->devfn, cap);
        if (id == PCI_CAP_ID_VNDR) {
            read_vendor_cap(d, cap);
        } else if (id == PCI_CAP_ID_MSIX) {
            d->msix_cap = cap;
            uint16_t ctl = qpci_cfg_readw(d->qts, d->devfn, cap + 2);
            d->msix_entries = (ctl & 0x7ff) + 1;
            uint32_t t = qpci_cfg_readl(d->qts, d->devfn, cap + 4);
            uint32_t p = qpci_cfg_readl(d->qts, d->devfn, cap + 8);
            d->msix_table = d->bar_addr[t & 7] + (t & ~7u);
            d->msix_pba = d->bar_addr[p & 7] + (p & ~7u);
        }
        cap = qpci_cfg_readb(d->qts, d->devfn, cap + 1) & 0xfc;
    }
}

QVirtioPci *qvirtio_pci_new(QTestState *qts, uint16_t device_id, int nth, bool legacy)
{
    int devfn = qpci_find(qts, device_id, nth);
    g_assert_cmpint(devfn, >=, 0);
    QVirtioPci *d = g_new0(QVirtioPci, 1);
    d->qts = qts;
    d->devfn = devfn;
    d->device_id = device_id;
    d->legacy = legacy;
    unsigned slot = devfn >> 3;
    d->alloc = (QGuestAlloc){ RAM_BASE(slot), RAM_BASE(slot) + RAM_PER_SLOT };
    uint64_t io_next = IO_BASE(slot), mem_next = MEM_BASE(slot);
    for (int i = 0; i < 6;) {
        i = assign_bar(d, i, &io_next, &mem_next);
    }
    qpci_cfg_writew(qts, devfn, PCI_COMMAND, 0x7);           /* IO | MEM | MASTER */
    walk_caps(d);
    if (legacy) {
        g_assert_true(d->bar_io[0]);
    } else {
        g_assert_true(d->common.present && d->notify.present && d->isr.present);
    }
    return d;
}

void qvirtio_pci_free(QVirtioPci *d)
{
    g_free(d);
}

int qvirtio_pci_route_intx(QVirtioPci *d)
{
    static const uint8_t irq[4] = { 10, 10, 11, 11 };
    for (int i = 0; i < 4; i++) {
        qpci_cfg_writeb(d->qts, PIIX3_DEVFN, PIIX3_PIRQRC + i, irq[i]);
    }
    uint8_t pin = qpci_cfg_readb(d->qts, d->devfn, PCI_INT_PIN);
    g_assert_cmpuint(pin, >=, 1);
    /* i440FX swizzle: slot s, pin INTx → PIRQ (s + x - 1) & 3. */
    return irq[((d->devfn >> 3) + pin - 2) & 3];
}

/* ---- registers ---- */

static uint16_t io(QVirtioPci *d, unsigned off)
{
    return d->bar_addr[0] + off;
}

uint8_t qvirtio_get_status(QVirtioPci *d)
{
    if (d->legacy) {
        return qtest_inb(d->qts, io(d, VIRTIO_PCI_STATUS));
    }
    return qtest_readb(d->qts, d->common.addr + VIRTIO_PCI_COMMON_STATUS);
}

void qvirtio_set_status(QVirtioPci *d, uint8_t status)
{
    if (d->legacy) {
        qtest_outb(d->qts, io(d, VIRTIO_PCI_STATUS), status);
    } else {
        qtest_writeb(d->qts, d->common.addr + VIRTIO_PCI_COMMON_STATUS, status);
    }
}

void qvirtio_reset(QVirtioPci *d)
{
    qvirtio_set_status(d, 0);
    g_assert_cmphex(qvirtio_get_status(d), ==, 0);
    d->features = 0;
}

uint64_t qvirtio_get_features(QVirtioPci *d)
{
    if (d->legacy) {
        return qtest_inl(d->qts, io(d, VIRTIO_PCI_HOST_FEATURES));
    }
    uint64_t f = 0;
    for (unsigned sel = 0; sel < 2; sel++) {
        qtest_writel(d->qts, d->common.addr + VIRTIO_PCI_COMMON_DFSELECT, sel);
        f |= (uint64_t)qtest_readl(d->qts, d->common.addr + VIRTIO_PCI_COMMON_DF) << (32 * sel);
    }
    return f;
}

bool qvirtio_set_features(QVirtioPci *d, uint64_t features)
{
    d->features = features;
    if (d->legacy) {
        g_assert_cmphex(features >> 32, ==, 0);
        qtest_outl(d->qts, io(d, VIRTIO_PCI_GUEST_FEATURES), features);
        return true;
    }
    for (unsigned sel = 0; sel < 2; sel++) {
        qtest_writel(d->qts, d->common.addr + VIRTIO_PCI_COMMON_GFSELECT, sel);
        qtest_writel(d->qts, d->common.addr + VIRTIO_PCI_COMMON_GF, features >> (32 * sel));
    }
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
    return qvirtio_get_status(d) & VIRTIO_CONFIG_S_FEATURES_OK;
}

uint64_t qvirtio_negotiate(QVirtioPci *d, uint64_t wanted)
{
    qvirtio_reset(d);
    qvirtio_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    qvirtio_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    uint64_t f = qvirtio_get_features(d) & wanted;
    g_assert_true(qvirtio_set_features(d, f));
    return f;
}

void qvirtio_driver_ok(QVirtioPci *d)
{
    qvirtio_set_status(d, qvirtio_get_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
}

uint8_t qvirtio_read_isr(QVirtioPci *d)
{
    if (d->legacy) {
        return qtest_inb(d->qts, io(d, VIRTIO_PCI_ISR));
    }
    return qtest_readb(d->qts, d->isr.addr);
}

uint16_t qvirtio_num_queues(QVirtioPci *d)
{
    g_assert_false(d->legacy);
    return qtest_readw(d->qts, d->common.addr + VIRTIO_PCI_COMMON_NUMQ);
}

static unsigned legacy_config(QVirtioPci *d, unsigned off)
{
    return io(d, VIRTIO_PCI_CONFIG_OFF(d->msix_enabled) + off);
}

uint8_t qvirtio_config_readb(QVirtioPci *d, unsigned off)
{
    return d->legacy ? qtest_inb(d->qts, legacy_config(d, off))
                     : qtest_readb(d->qts, d->device.addr + off);
}

uint16_t qvirtio_config_readw(QVirtioPci *d, unsigned off)
{
    return d->legacy ? qtest_inw(d->qts, legacy_config(d, off))
                     : qtest_readw(d->qts, d->device.addr + off);
}

uint32_t qvirtio_config_readl(QVirtioPci *d, unsigned off)
{
    return d->legacy ? qtest_inl(d->qts, legacy_config(d, off))
                     : qtest_readl(d->qts, d->device.addr + off);
}

/* Two 32-bit reads, as drivers do (4.1.3.1: no 64-bit access required). */
uint64_t qvirtio_config_readq(QVirtioPci *d, unsigned off)
{
    return qvirtio_config_readl(d, off) | (uint64_t)qvirtio_config_readl(d, off + 4) << 32;
}

/* ---- MSI-X ---- */

void qvirtio_msix_enable(QVirtioPci *d)
{
    g_assert_cmpuint(d->msix_cap, !=, 0);
    uint16_t ctl = qpci_cfg_readw(d->qts, d->devfn, d->msix_cap + 2);
    qpci_cfg_writew(d->qts, d->devfn, d->msix_cap + 2, (ctl | 0x8000) & ~0x4000);
    d->msix_enabled = true;
}

void qvirtio_msix_set_entry(QVirtioPci *d, uint16_t entry, uint64_t addr, uint32_t data)
{
    g_assert_cmpuint(entry, <, d->msix_entries);
    uint64_t e = d->msix_table + 16 * entry;
    qtest_writel(d->qts, e + 0, (uint32_t)addr);
    qtest_writel(d->qts, e + 4, addr >> 32);
    qtest_writel(d->qts, e + 8, data);
    qtest_writel(d->qts, e + 12, 0);            /* unmasked */
}

uint16_t qvirtio_set_config_vector(QVirtioPci *d, uint16_t vector)
{
    if (d->legacy) {
        qtest_outw(d->qts, io(d, VIRTIO_MSI_CONFIG_VECTOR), vector);
        return qtest_inw(d->qts, io(d, VIRTIO_MSI_CONFIG_VECTOR));
    }
    qtest_writew(d->qts, d->common.addr + VIRTIO_PCI_COMMON_MSIX, vector);
    return qtest_readw(d->qts, d->common.addr + VIRTIO_PCI_COMMON_MSIX);
}

/* ---- virtqueues ---- */

static void setup_msix_vector(QVirtQueue *vq, int vector)
{
    vq->msix_vector = vector;
    if (vector < 0) {
        return;
    }
    vq->msix_addr = qguest_alloc(&vq->dev->alloc, 4, 4);
    vq->msix_data = 0x4100 + vector;
    qtest_writel(vq->dev->qts, vq->msix_addr, 0);
    qvirtio_msix_set_entry(vq->dev, vector, vq->msix_addr, vq->msix_data);
}

static void setup_legacy(QVirtQueue *vq, int vector)
{
    QVirtioPci *d = vq->dev;
    qtest_outw(d->qts, io(d, VIRTIO_PCI_QUEUE_SEL), vq->index);
    vq->size = qtest_inw(d->qts, io(d, VIRTIO_PCI_QUEUE_NUM));
    g_assert_cmpuint(vq->size, >, 0);
    /* 2.7.2 legacy layout: used ring on the next 4 KiB boundary. */
    size_t len = vring_size(vq->size, VIRTIO_PCI_VRING_ALIGN);
    vq->desc = qguest_alloc(&d->alloc, len, VIRTIO_PCI_VRING_ALIGN);
    qtest_memset(d->qts, vq->desc, 0, len);
    vq->avail = vq->desc + 16 * vq->size;
    vq->used = (vq->avail + 6 + 2 * vq->size + VIRTIO_PCI_VRING_ALIGN - 1) &
               ~(uint64_t)(VIRTIO_PCI_VRING_ALIGN - 1);
    if (d->msix_enabled) {
        uint16_t v = vector < 0 ? VIRTIO_MSI_NO_VECTOR : vector;
        qtest_outw(d->qts, io(d, VIRTIO_MSI_QUEUE_VECTOR), v);
        g_assert_cmphex(qtest_inw(d->qts, io(d, VIRTIO_MSI_QUEUE_VECTOR)), ==, v);
    }
    qtest_outl(d->qts, io(d, VIRTIO_PCI_QUEUE_PFN), vq->desc >> VIRTIO_PCI_QUEUE_ADDR_SHIFT);
}

static void write64(QVirtioPci *d, unsigned off, uint64_t v)
{
    qtest_writel(d->qts, d->common.addr + off, (uint32_t)v);
    qtest_writel(d->qts, d->common.addr + off + 4, v >> 32);
}

static void setup_modern(QVirtQueue *vq, uint16_t size, int vector)
{
    QVirtioPci *d = vq->dev;
    uint64_t c = d->common.addr;
    qtest_writew(d->qts, c + VIRTIO_PCI_COMMON_Q_SELECT, vq->index);
    uint16_t max = qtest_readw(d->qts, c + VIRTIO_PCI_COMMON_Q_SIZE);
    g_assert_cmpuint(max, >, 0);
    vq->size = size && size < max ? size : max;
    qtest_writew(d->qts, c + VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
    vq->desc = qguest_alloc(&d->alloc, 16 * vq->size, 16);
    vq->avail = qguest_alloc(&d->alloc, 6 + 2 * vq->size, 2);
    vq->used = qguest_alloc(&d->alloc, 6 + 8 * vq->size, 4);
    qtest_memset(d->qts, vq->desc, 0, vq->used + 6 + 8 * vq->size - vq->desc);
    write64(d, VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc);
    write64(d, VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail);
    write64(d, VIRTIO_PCI_COMMON_Q_USEDLO, vq->used);
    if (d->msix_enabled) {
        uint16_t v = vector < 0 ? VIRTIO_MSI_NO_VECTOR : vector;
        qtest_writew(d->qts, c + VIRTIO_PCI_COMMON_Q_MSIX, v);
        g_assert_cmphex(qtest_readw(d->qts, c + VIRTIO_PCI_COMMON_Q_MSIX), ==, v);
    }
    uint16_t noff = qtest_readw(d->qts, c + VIRTIO_PCI_COMMON_Q_NOFF);
    vq->notify_addr = d->notify.addr + (uint64_t)noff * d->notify_off_multiplier;
    qtest_writew(d->qts, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
}

QVirtQueue *qvirtqueue_setup(QVirtioPci *d, uint16_t index, uint16_t size, int msix_vector)
{
    QVirtQueue *vq = g_new0(QVirtQueue, 1);
    vq->dev = d;
    vq->index = index;
    vq->event_idx = d->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
    vq->msix_vector = -1;
    if (d->msix_enabled) {
        setup_msix_vector(vq, msix_vector);
    }
    if (d->legacy) {
        setup_legacy(vq, msix_vector);
    } else {
        setup_modern(vq, size, msix_vector);
    }
    return vq;
}

void qvirtqueue_free(QVirtQueue *vq)
{
    g_free(vq);
}

void qvirtqueue_write_desc(QVirtQueue *vq, uint16_t i, uint64_t addr, uint32_t len,
                           uint16_t flags, uint16_t next)
{
    struct vring_desc desc = {
        .addr = GUINT64_TO_LE(addr), .len = GUINT32_TO_LE(len),
        .flags = GUINT16_TO_LE(flags), .next = GUINT16_TO_LE(next),
    };
    qtest_bufwrite(vq->dev->qts, vq->desc + 16 * (uint64_t)i, &desc, sizeof(desc));
}

/* Descriptor entries for bufs, linked from index `first` of a table. */
static void fill_table(struct vring_desc *t, unsigned first, const QVirtioBuf *bufs,
                       unsigned n, unsigned size)
{
    for (unsigned k = 0; k < n; k++) {
        unsigned next = (first + k + 1) % size;
        t[k] = (struct vring_desc){
            .addr = GUINT64_TO_LE(bufs[k].addr),
            .len = GUINT32_TO_LE(bufs[k].len),
            .flags = GUINT16_TO_LE((bufs[k].write ? VRING_DESC_F_WRITE : 0) |
                                   (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
            .next = GUINT16_TO_LE(k + 1 < n ? next : 0),
        };
    }
}

uint16_t qvirtqueue_add_chain(QVirtQueue *vq, const QVirtioBuf *bufs, unsigned n)
{
    g_assert_cmpuint(n, >, 0);
    g_assert_cmpuint(n, <=, vq->size);
    g_autofree struct vring_desc *t = g_new(struct vring_desc, n);
    uint16_t head = vq->free_head;
    fill_table(t, head, bufs, n, vq->size);
    for (unsigned k = 0; k < n; k++) {
        qtest_bufwrite(vq->dev->qts, vq->desc + 16 * (uint64_t)((head + k) % vq->size),
                       &t[k], sizeof(t[k]));
    }
    vq->free_head = (head + n) % vq->size;
    return head;
}

uint16_t qvirtqueue_add_indirect(QVirtQueue *vq, const QVirtioBuf *bufs, unsigned n)
{
    g_autofree struct vring_desc *t = g_new(struct vring_desc, n);
    fill_table(t, 0, bufs, n, n + 1);
    uint64_t table = qguest_alloc(&vq->dev->alloc, 16 * n, 16);
    qtest_bufwrite(vq->dev->qts, table, t, 16 * n);
    uint16_t head = vq->free_head;
    qvirtqueue_write_desc(vq, head, table, 16 * n, VRING_DESC_F_INDIRECT, 0);
    vq->free_head = (head + 1) % vq->size;
    return head;
}

void qvirtqueue_publish(QVirtQueue *vq, uint16_t head)
{
    QTestState *qts = vq->dev->qts;
    qtest_writew(qts, vq->avail + 4 + 2 * (uint64_t)(vq->avail_idx % vq->size), head);
    vq->avail_idx++;
    /* The entry before the index: a real driver needs a write barrier
     * here; qtest commands are ordered. */
    qtest_writew(qts, vq->avail + 2, vq->avail_idx);
}

void qvirtqueue_kick(QVirtQueue *vq)
{
    QVirtioPci *d = vq->dev;
    if (d->legacy) {
        qtest_outw(d->qts, io(d, VIRTIO_PCI_QUEUE_NOTIFY), vq->index);
    } else {
        qtest_writew(d->qts, vq->notify_addr, vq->index);
    }
}

void qvirtqueue_set_used_event(QVirtQueue *vq, uint16_t idx)
{
    qtest_writew(vq->dev->qts, vq->avail + 4 + 2 * (uint64_t)vq->size, idx);
}

uint16_t qvirtqueue_avail_event(QVirtQueue *vq)
{
    return qtest_readw(vq->dev->qts, vq->used + 4 + 8 * (uint64_t)vq->size);
}

uint16_t qvirtqueue_used_idx(QVirtQueue *vq)
{
    return qtest_readw(vq->dev->qts, vq->used + 2);
}

bool qvirtqueue_get_used(QVirtQueue *vq, uint32_t *id, uint32_t *len)
{
    QTestState *qts = vq->dev->qts;
    int64_t deadline = g_get_monotonic_time() + QVIRTIO_TIMEOUT_US;
    /* Each qtest round trip lets the device's main loop run: no sleep. */
    while (qvirtqueue_used_idx(vq) == vq->last_used) {
        if (qvirtio_get_status(vq->dev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
            return false;
        }
        if (g_get_monotonic_time() > deadline) {
            g_error("queue %u: no used entry within %d s", vq->index,
                    (int)(QVIRTIO_TIMEOUT_US / G_USEC_PER_SEC));
        }
    }
    struct vring_used_elem e;
    qtest_bufread(qts, vq->used + 4 + 8 * (uint64_t)(vq->last_used % vq->size), &e, sizeof(e));
    vq->last_used++;
    *id = GUINT32_FROM_LE(e.id);
    *len = GUINT32_FROM_LE(e.len);
    return true;
}

bool qvirtqueue_msix_seen(QVirtQueue *vq)
{
    g_assert_cmpint(vq->msix_vector, >=, 0);
    uint32_t v = qtest_readl(vq->dev->qts, vq->msix_addr);
    if (!v) {
        return false;
    }
    g_assert_cmphex(v, ==, vq->msix_data);
    qtest_writel(vq->dev->qts, vq->msix_addr, 0);
    return true;
}

void qvirtqueue_wait_msix(QVirtQueue *vq)
{
    int64_t deadline = g_get_monotonic_time() + QVIRTIO_TIMEOUT_US;
    while (!qvirtqueue_msix_seen(vq)) {
        if (g_get_monotonic_time() > deadline) {
            g_error("queue %u: no MSI-X message (vector %d) within %d s", vq->index,
                    vq->msix_vector, (int)(QVIRTIO_TIMEOUT_US / G_USEC_PER_SEC));
        }
    }
}

bool qvirtio_wait_status(QVirtioPci *d, uint8_t bits)
{
    int64_t deadline = g_get_monotonic_time() + QVIRTIO_TIMEOUT_US;
    while ((qvirtio_get_status(d) & bits) != bits) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
    }
    return true;
}

/* ---- waiting with a caller's bound (error and throttling tests) ---- */

bool qvirtqueue_wait_used_idx(QVirtQueue *vq, uint16_t idx, int64_t timeout_us)
{
    int64_t deadline = g_get_monotonic_time() + timeout_us;
    /* (int16_t) difference: the index wraps at 2^16. */
    while ((int16_t)(qvirtqueue_used_idx(vq) - idx) < 0) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
    }
    return true;
}

bool qvirtio_wait_ram32(QTestState *qts, uint64_t addr, uint32_t value, int64_t timeout_us)
{
    int64_t deadline = g_get_monotonic_time() + timeout_us;
    while (qtest_readl(qts, addr) != value) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
    }
    return true;
}

uint8_t qvirtio_config_generation(QVirtioPci *d)
{
    g_assert_false(d->legacy);
    return qtest_readb(d->qts, d->common.addr + VIRTIO_PCI_COMMON_CFGGENERATION);
}

static char *qemu_mode_dir;

char *qvirtio_qemu_mode_begin(void)
{
    if (!g_getenv("TERN_QTEST_QEMU")) {
        return NULL;
    }
    const char *qemu = g_getenv("QEMU_BINARY");
    g_setenv("TERN_BINARY", qemu ? qemu : "qemu-system-x86_64", TRUE);
    qemu_mode_dir = g_dir_make_tmp("tern-qvirtio-bios-XXXXXX", NULL);
    g_assert_nonnull(qemu_mode_dir);
    g_autofree char *bios = g_build_filename(qemu_mode_dir, "hlt.bin", NULL);
    g_autofree char *hlt = g_malloc(65536);
    memset(hlt, 0xf4, 65536);
    g_autoptr(GError) err = NULL;
    g_file_set_contents(bios, hlt, 65536, &err);
    g_assert_no_error(err);
    /* QEMU takes the first accelerator that works: tcg before libqtest's
     * qtest, which Debian's build lacks. */
    return g_strdup_printf("-accel tcg -bios %s", bios);
}

void qvirtio_qemu_mode_end(void)
{
    if (qemu_mode_dir) {
        g_autofree char *bios = g_build_filename(qemu_mode_dir, "hlt.bin", NULL);
        g_unlink(bios);
        g_rmdir(qemu_mode_dir);
        g_clear_pointer(&qemu_mode_dir, g_free);
    }
}
