/* The virtio PCI transport (virtio 1.2, 4.1): the modern capabilities in
 * BAR 4, the legacy register block in I/O BAR 0 for transitional devices,
 * MSI-X in BAR 1, and INTx from the ISR otherwise. Register semantics
 * follow QEMU 7.2 where the spec leaves room (checked with qtest against
 * it: tests/qtest/scripts/virtio-pci*.qt). */
#define G_LOG_DOMAIN "tern-virtio"
#include "board/virtio-pci.h"
#include "board/ioeventfd.h"
#include "board/msix.h"
#include "board/pc.h"
#include "util/error.h"

#include <linux/virtio_pci.h>
#include <string.h>

#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_MODERN_BASE 0x1040

#define LEGACY_BAR   0
#define MSIX_BAR     1
#define MODERN_BAR   4
#define MODERN_BAR_SIZE 0x4000
/* The modern BAR's regions, 4 KiB each (QEMU's layout). */
#define COMMON_OFF   0x0000
#define ISR_OFF      0x1000
#define DEVICE_OFF   0x2000
#define NOTIFY_OFF   0x3000
#define REGION_SIZE  0x1000
#define NOTIFY_MULT  4          /* bytes between queue notify addresses */
#define MSIX_PBA_OFF 0x800
/* Legacy only: set by drivers that ack every bit (virtio 0.9.5). */
#define VIRTIO_F_BAD_FEATURE 30

/* Legacy feature bits a modern driver does not see (VIRTIO_LEGACY_FEATURES). */
#define LEGACY_ONLY_FEATURES \
    (1ULL << VIRTIO_F_NOTIFY_ON_EMPTY | 1ULL << VIRTIO_F_ANY_LAYOUT | 1ULL << VIRTIO_F_BAD_FEATURE)
/* The legacy register block grows by the two vector registers while the
 * driver has MSI-X enabled. */
#define LEGACY_CONFIG_OFF(p) (msix_enabled(&(p)->pci) ? 24 : 20)

/* ---- interrupts ---- */

static void vpci_update_intx(VirtioPciDevice *p)
{
    if (!msix_enabled(&p->pci)) {
        pci_set_irq(&p->pci, p->vdev.isr & VIRTIO_ISR_QUEUE);
    }
}

static void vpci_notify(void *opaque, uint16_t vector)
{
    VirtioPciDevice *p = opaque;
    if (msix_enabled(&p->pci)) {
        if (vector < p->nvectors) {
            msix_notify(&p->pci, vector);
        }
        return;
    }
    vpci_update_intx(p);
}

/* ---- ioeventfds (KVM only) ---- */

static void vpci_ioeventfd_kick(void *opaque);

typedef struct KickTarget {
    VirtioPciDevice *p;
    unsigned queue;
} KickTarget;

static void vpci_ioeventfds_drop(VirtioPciDevice *p, bool run_pending)
{
    for (unsigned i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        for (unsigned k = 0; k < 2; k++) {
            if (p->ioefd[i][k]) {
                IoEventFd *e = p->ioefd[i][k];
                p->ioefd[i][k] = NULL;
                ioeventfd_free(e, run_pending);
            }
        }
    }
}

static bool vpci_vm_running(VirtioPciDevice *p)
{
    return runstate_is_running(p->pci.parent.machine->state);
}

/* Registered while the VM runs, the driver is running the device
 * (DRIVER_OK, bus master on) and the BAR holding the notify register is
 * mapped; re-registered when a BAR moves. A kick signalled meanwhile is
 * handled on the way (it is ignored if the device cannot take it). */
static void vpci_ioeventfds_sync(VirtioPciDevice *p)
{
    Machine *m = p->pci.parent.machine;
    vpci_ioeventfds_drop(p, true);
    if (!p->ioeventfd || !ioeventfd_available(m) || p->stopped || !vpci_vm_running(p) ||
        !(p->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK) || p->vdev.broken || p->vdev.disabled) {
        return;
    }
    PciBar *modern = &p->pci.bars[MODERN_BAR], *legacy = &p->pci.bars[LEGACY_BAR];
    for (unsigned i = 0; i < p->vdev.nvqs; i++) {
        if (!virtio_queue_ready(&p->vdev.vq[i])) {
            continue;
        }
        g_autoptr(GError) err = NULL;
        void *opaque = &p->vdev.vq[i];
        if (p->modern && modern->mapped) {
            p->ioefd[i][0] = ioeventfd_new(m, false, modern->mapped_at + NOTIFY_OFF +
                                           NOTIFY_MULT * i, 2, false, 0,
                                           vpci_ioeventfd_kick, opaque, &err);
        }
        if (!err && p->legacy && legacy->mapped) {
            p->ioefd[i][1] = ioeventfd_new(m, true, legacy->mapped_at + VIRTIO_PCI_QUEUE_NOTIFY,
                                           2, true, i, vpci_ioeventfd_kick, opaque, &err);
        }
        if (err) {
            /* The register path still works: only slower. */
            g_debug("%s: no ioeventfd for queue %u: %s", p->vdev.klass->name, i, err->message);
        }
    }
}

/* A paused VM's kicks wait for the resume, which kicks every queue. */
static void vpci_ioeventfd_kick(void *opaque)
{
    VirtQueue *vq = opaque;
    VirtioDevice *vdev = virtio_queue_device(vq);
    VirtioPciDevice *p = (VirtioPciDevice *)((uint8_t *)vdev - offsetof(VirtioPciDevice, vdev));
    if (vpci_vm_running(p)) {
        virtio_queue_notify(vdev, virtio_queue_index(vq));
    }
}

/* The VM stopped: no queue is served until it runs again (the ioeventfds
 * go, their pending kicks with them). On resume, with ioeventfds back,
 * every queue is kicked, which covers kicks that came in between, as
 * QEMU does when it restarts its ioeventfds (without them, as in qtest,
 * QEMU kicks nothing either). */
static void vpci_state_changed(void *opaque, RunState old, RunState state)
{
    VirtioDevice *vdev = opaque;
    VirtioPciDevice *p = (VirtioPciDevice *)((uint8_t *)vdev - offsetof(VirtioPciDevice, vdev));
    (void)old;
    if (!runstate_is_running(state)) {
        vpci_ioeventfds_drop(p, false);
        return;
    }
    vpci_ioeventfds_sync(p);
    bool any = false;
    for (unsigned i = 0; i < vdev->nvqs; i++) {
        any |= p->ioefd[i][0] || p->ioefd[i][1];
    }
    for (unsigned i = 0; any && i < vdev->nvqs; i++) {
        virtio_queue_notify(vdev, i);
    }
}

static void vpci_status_changed(void *opaque)
{
    VirtioPciDevice *p = opaque;
    /* A reset keeps the feature selects and the driver's feature words
     * as written (QEMU does too); the line goes down with the ISR. */
    if (p->vdev.status == 0) {
        vpci_update_intx(p);
    }
    vpci_ioeventfds_sync(p);
}

static const VirtioTransportOps vpci_transport = {
    .notify = vpci_notify,
    .status_changed = vpci_status_changed,
};

/* ---- shared register semantics ---- */

static uint16_t vpci_vector_filter(VirtioPciDevice *p, uint16_t v)
{
    return v < p->nvectors ? v : VIRTIO_NO_VECTOR;
}

static uint8_t vpci_isr_read_clear(VirtioPciDevice *p)
{
    uint8_t isr = p->vdev.isr;
    p->vdev.isr = 0;
    vpci_update_intx(p);
    return isr;
}

static void vpci_set_status(VirtioPciDevice *p, uint8_t val)
{
    virtio_set_status(&p->vdev, val);
}

static uint64_t config_read(VirtioDevice *vdev, uint64_t off, unsigned size)
{
    if (off + size > vdev->config_len) {
        return 0xffffffffu;
    }
    virtio_config_refresh(vdev);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)vdev->config[off + i] << (8 * i);
    }
    return v;
}

/* ---- modern: common configuration (4.1.4.3) ---- */

static VirtQueueRegs *sel_regs(VirtioPciDevice *p)
{
    unsigned n = p->vdev.queue_sel;
    return n < p->vdev.nvqs ? &p->vdev.vqr[n] : NULL;
}

static uint64_t common_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPciDevice *p = opaque;
    VirtioDevice *vdev = &p->vdev;
    VirtQueueRegs *q = sel_regs(p);
    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        return p->dfselect;
    case VIRTIO_PCI_COMMON_DF:
        return p->dfselect <= 1
                   ? (uint32_t)((vdev->host_features & ~LEGACY_ONLY_FEATURES) >> (32 * p->dfselect))
                   : 0;
    case VIRTIO_PCI_COMMON_GFSELECT:
        return p->gfselect;
    case VIRTIO_PCI_COMMON_GF:
        return p->gfselect <= 1 ? p->guest_features[p->gfselect] : 0;
    case VIRTIO_PCI_COMMON_MSIX:
        return vdev->config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
        return vdev->nvqs;
    case VIRTIO_PCI_COMMON_STATUS:
        return vdev->status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
        return vdev->config_generation;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        return vdev->queue_sel;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        return q ? q->num : 0;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        return q ? q->vector : VIRTIO_NO_VECTOR;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        return q ? q->enabled : 0;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        return vdev->queue_sel;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        return q ? (uint32_t)q->desc : 0;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        return q ? q->desc >> 32 : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        return q ? (uint32_t)q->avail : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        return q ? q->avail >> 32 : 0;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        return q ? (uint32_t)q->used : 0;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        return q ? q->used >> 32 : 0;
    case VIRTIO_PCI_COMMON_Q_RESET:
        return 0;   /* a reset completes before the write returns */
    default:
        return 0;
    }
}

static void set_lo(uint64_t *r, uint32_t v)
{
    *r = (*r & ~0xffffffffULL) | v;
}

static void set_hi(uint64_t *r, uint32_t v)
{
    *r = (*r & 0xffffffffULL) | (uint64_t)v << 32;
}

static void common_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    VirtioPciDevice *p = opaque;
    VirtioDevice *vdev = &p->vdev;
    VirtQueueRegs *q = sel_regs(p);
    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        p->dfselect = val;
        break;
    case VIRTIO_PCI_COMMON_GFSELECT:
        p->gfselect = val;
        break;
    case VIRTIO_PCI_COMMON_GF:
        if (p->gfselect <= 1) {
            p->guest_features[p->gfselect] = val;
            virtio_set_features(vdev, (uint64_t)p->guest_features[1] << 32 |
                                          p->guest_features[0]);
        }
        break;
    case VIRTIO_PCI_COMMON_MSIX:
        vdev->config_vector = vpci_vector_filter(p, val);
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        vpci_set_status(p, val);
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        if (val < VIRTIO_QUEUE_MAX) {
            vdev->queue_sel = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        /* A size of 0 or above the device's maximum is ignored. */
        if (q && val && val <= vdev->vq[vdev->queue_sel].num_max) {
            q->num = val;
        }
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        if (q) {
            q->vector = vpci_vector_filter(p, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        /* Only 1 may be written (4.1.4.3.2; disabling is a queue reset):
         * anything else is a driver error for QEMU. */
        if (q && val == 1) {
            q->enabled = 1;
            vpci_ioeventfds_sync(p);
        } else if (q) {
            virtio_error(vdev, "wrong value for queue_enable %" G_GINT64_MODIFIER "x", val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        if (q) {
            set_lo(&q->desc, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        if (q) {
            set_hi(&q->desc, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        if (q) {
            set_lo(&q->avail, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        if (q) {
            set_hi(&q->avail, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        if (q) {
            set_lo(&q->used, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        if (q) {
            set_hi(&q->used, val);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_RESET:
        /* Per-queue reset (VIRTIO_F_RING_RESET, 2.6.1): the queue goes
         * back to its reset state and may be set up again. */
        if (q && val == 1 && virtio_has_feature(vdev, VIRTIO_F_RING_RESET)) {
            virtio_queue_reset(vdev, vdev->queue_sel);
            vpci_ioeventfds_sync(p);
        }
        break;
    default:
        break;
    }
}

/* ---- modern: the BAR 4 dispatch ---- */

static uint64_t modern_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPciDevice *p = opaque;
    if (size == 8) {
        return modern_read(p, off, 4) | modern_read(p, off + 4, 4) << 32;
    }
    uint64_t mask = (1ULL << (8 * size)) - 1;
    uint64_t r = off % REGION_SIZE;
    switch (off / REGION_SIZE) {
    case COMMON_OFF / REGION_SIZE:
        return common_read(p, r, size) & mask;
    case ISR_OFF / REGION_SIZE:
        return vpci_isr_read_clear(p);
    case DEVICE_OFF / REGION_SIZE:
        return config_read(&p->vdev, r, size) & mask;
    default:
        return 0;   /* notify: write-only, reads 0 */
    }
}

static void modern_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    VirtioPciDevice *p = opaque;
    if (size == 8) {
        modern_write(p, off, (uint32_t)val, 4);
        modern_write(p, off + 4, val >> 32, 4);
        return;
    }
    uint64_t r = off % REGION_SIZE;
    switch (off / REGION_SIZE) {
    case COMMON_OFF / REGION_SIZE:
        common_write(p, r, val, size);
        break;
    case ISR_OFF / REGION_SIZE:
        break;
    case DEVICE_OFF / REGION_SIZE:
        virtio_config_write(&p->vdev, r, val, size);
        break;
    default:
        /* The queue is the address's, not the value's (4.1.4.4). */
        virtio_queue_notify(&p->vdev, r / NOTIFY_MULT);
        break;
    }
}

static const TernRegionOps modern_ops = { .read = modern_read, .write = modern_write };

/* ---- legacy: the I/O BAR 0 registers (4.1.4.8) ---- */

static uint64_t legacy_reg_read(VirtioPciDevice *p, unsigned off)
{
    VirtioDevice *vdev = &p->vdev;
    VirtQueueRegs *q = sel_regs(p);
    switch (off) {
    case VIRTIO_PCI_HOST_FEATURES:
        return (uint32_t)vdev->host_features;
    case VIRTIO_PCI_GUEST_FEATURES:
        return (uint32_t)vdev->guest_features;
    case VIRTIO_PCI_QUEUE_PFN:
        return q ? q->desc >> VIRTIO_PCI_QUEUE_ADDR_SHIFT : 0;
    case VIRTIO_PCI_QUEUE_NUM:
        return q ? q->num : 0;
    case VIRTIO_PCI_QUEUE_SEL:
        return vdev->queue_sel;
    case VIRTIO_PCI_STATUS:
        return vdev->status;
    case VIRTIO_PCI_ISR:
        return vpci_isr_read_clear(p);
    case VIRTIO_MSI_CONFIG_VECTOR:
        return vdev->config_vector;
    case VIRTIO_MSI_QUEUE_VECTOR:
        return q ? q->vector : VIRTIO_NO_VECTOR;
    default:
        return 0;
    }
}

static void legacy_reg_write(VirtioPciDevice *p, unsigned off, uint32_t val)
{
    VirtioDevice *vdev = &p->vdev;
    VirtQueueRegs *q = sel_regs(p);
    switch (off) {
    case VIRTIO_PCI_GUEST_FEATURES:
        /* BAD_FEATURE is what a driver that acks everything sets: it
         * gets nothing beyond the basics. */
        if (val & (1u << VIRTIO_F_BAD_FEATURE)) {
            val = 0;
        }
        virtio_set_features(vdev, val);
        break;
    case VIRTIO_PCI_QUEUE_PFN:
        if (val == 0) {
            /* A zero PFN is how legacy drivers reset the device. */
            virtio_reset(vdev);
        } else {
            virtio_queue_set_legacy_pfn(vdev, vdev->queue_sel, val);
            vpci_ioeventfds_sync(p);
        }
        break;
    case VIRTIO_PCI_QUEUE_SEL:
        if (val < VIRTIO_QUEUE_MAX) {
            vdev->queue_sel = val;
        }
        break;
    case VIRTIO_PCI_QUEUE_NOTIFY:
        if (val < VIRTIO_QUEUE_MAX) {
            virtio_queue_notify(vdev, val);
        }
        break;
    case VIRTIO_PCI_STATUS:
        vpci_set_status(p, val & 0xff);
        /* Linux before 2.6.34 drives the device without enabling bus
         * mastering: do it for them when they announce themselves, as
         * QEMU does (a plain bit flip: the device stays disabled if
         * the driver had turned mastering off before, until a reset). */
        if (val == (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)) {
            pci_default_config_write(&p->pci, PCI_COMMAND,
                                     p->pci.config[PCI_COMMAND] | PCI_COMMAND_MASTER, 1);
        }
        break;
    case VIRTIO_MSI_CONFIG_VECTOR:
        vdev->config_vector = vpci_vector_filter(p, val);
        break;
    case VIRTIO_MSI_QUEUE_VECTOR:
        if (q) {
            q->vector = vpci_vector_filter(p, val);
        }
        break;
    default:
        break;
    }
}

/* Below the config offset the registers answer whatever the access width
 * (QEMU's behaviour); the device config takes 1, 2 or 4 bytes. */
static uint64_t legacy_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPciDevice *p = opaque;
    uint64_t mask = size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
    unsigned cfg = LEGACY_CONFIG_OFF(p);
    if (off < cfg) {
        return legacy_reg_read(p, off) & mask;
    }
    return config_read(&p->vdev, off - cfg, MIN(size, 4u)) & mask;
}

static void legacy_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    VirtioPciDevice *p = opaque;
    unsigned cfg = LEGACY_CONFIG_OFF(p);
    if (off < cfg) {
        legacy_reg_write(p, off, val);
        return;
    }
    virtio_config_write(&p->vdev, off - cfg, val, MIN(size, 4u));
}

static const TernRegionOps legacy_ops = { .read = legacy_read, .write = legacy_write };

/* ---- configuration space: the pci-cfg capability window (4.1.4.9) ---- */

static uint8_t pci_cfg_cap(VirtioPciDevice *p)
{
    return p->modern ? p->pci_cfg_off : 0;
}

/* The window reaches the modern BAR's registers at cap.offset with
 * cap.length bytes (1, 2 or 4); anything else does nothing. */
static bool pci_cfg_target(VirtioPciDevice *p, uint64_t *off, unsigned *len)
{
    const uint8_t *c = p->pci.config + p->pci_cfg_off;
    *off = pci_get_long(c + offsetof(struct virtio_pci_cap, offset));
    *len = pci_get_long(c + offsetof(struct virtio_pci_cap, length));
    return c[offsetof(struct virtio_pci_cap, bar)] == MODERN_BAR &&
           (*len == 1 || *len == 2 || *len == 4) && *off + *len <= MODERN_BAR_SIZE &&
           *off % *len == 0;
}

/* Bus mastering off stops the device as QEMU 7.2 stops it: the queues
 * are refused and DRIVER_OK goes, so the driver must start it again
 * (after turning mastering back on). */
static void vpci_bus_master_written(VirtioPciDevice *p)
{
    VirtioDevice *vdev = &p->vdev;
    vdev->disabled = !(p->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER);
    if (vdev->disabled && (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        virtio_set_status(vdev, vdev->status & ~VIRTIO_CONFIG_S_DRIVER_OK);
    }
}

static uint32_t vpci_config_read(PciDevice *d, unsigned off, unsigned len)
{
    VirtioPciDevice *p = (VirtioPciDevice *)d;
    uint8_t cap = pci_cfg_cap(p);
    unsigned data = cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
    uint64_t boff;
    unsigned blen;
    if (cap && pci_access_hits(off, len, data, 4) && pci_cfg_target(p, &boff, &blen)) {
        pci_set_long(d->config + data, modern_read(p, boff, blen));
    }
    return pci_default_config_read(d, off, len);
}

static void vpci_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned len)
{
    VirtioPciDevice *p = (VirtioPciDevice *)d;
    pci_default_config_write(d, off, val, len);
    uint8_t cap = pci_cfg_cap(p);
    unsigned data = cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
    uint64_t boff;
    unsigned blen;
    if (cap && pci_access_hits(off, len, data, 4) && pci_cfg_target(p, &boff, &blen)) {
        modern_write(p, boff, pci_get_long(d->config + data) & (0xffffffffu >> (32 - 8 * blen)),
                     blen);
    }
    if (pci_access_hits(off, len, PCI_COMMAND, 1)) {
        vpci_bus_master_written(p);
    }
    /* COMMAND or a BAR may have moved the notify addresses. */
    if (pci_access_hits(off, len, PCI_COMMAND, 2) ||
        pci_access_hits(off, len, PCI_BASE_ADDRESS_0, 24)) {
        vpci_ioeventfds_sync(p);
    }
}

static const PciDeviceOps vpci_pci_ops = {
    .config_read = vpci_config_read,
    .config_write = vpci_config_write,
};

/* ---- realize ---- */

static uint8_t add_vendor_cap(VirtioPciDevice *p, uint8_t type, uint32_t off, uint32_t len,
                              uint8_t cap_len, GError **errp)
{
    uint8_t at = pci_add_capability(&p->pci, PCI_CAP_ID_VNDR, 0, cap_len, errp);
    if (!at) {
        return 0;
    }
    uint8_t *c = p->pci.config + at;
    c[offsetof(struct virtio_pci_cap, cap_len)] = cap_len;
    c[offsetof(struct virtio_pci_cap, cfg_type)] = type;
    c[offsetof(struct virtio_pci_cap, bar)] = type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : MODERN_BAR;
    pci_set_long(c + offsetof(struct virtio_pci_cap, offset), off);
    pci_set_long(c + offsetof(struct virtio_pci_cap, length), len);
    return at;
}

static bool add_modern_caps(VirtioPciDevice *p, GError **errp)
{
    uint8_t notify;
    if (!add_vendor_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, REGION_SIZE, 16, errp) ||
        !add_vendor_cap(p, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, REGION_SIZE, 16, errp) ||
        !add_vendor_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, REGION_SIZE, 16, errp) ||
        !(notify = add_vendor_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF, REGION_SIZE,
                                  sizeof(struct virtio_pci_notify_cap), errp)) ||
        !(p->pci_cfg_off = add_vendor_cap(p, VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
                                          sizeof(struct virtio_pci_cfg_cap), errp))) {
        return false;
    }
    pci_set_long(p->pci.config + notify + offsetof(struct virtio_pci_notify_cap,
                                                   notify_off_multiplier), NOTIFY_MULT);
    /* The window's bar, offset, length and data are the driver's. */
    uint8_t *w = p->pci.wmask + p->pci_cfg_off;
    w[offsetof(struct virtio_pci_cap, bar)] = 0xff;
    memset(w + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
    memset(w + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 0xff, 4);
    pci_register_bar_ops(&p->pci, MODERN_BAR,
                         PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                             PCI_BASE_ADDRESS_MEM_PREFETCH,
                         MODERN_BAR_SIZE, "virtio-pci", &modern_ops, p);
    return true;
}

void virtio_pci_init(VirtioPciDevice *p, const VirtioDeviceClass *klass, size_t config_len)
{
    virtio_init(&p->vdev, klass, config_len, &p->pci.parent.machine->ram);
    virtio_set_transport(&p->vdev, &vpci_transport, p);
}

static uint32_t pow2_ceil(uint32_t v)
{
    uint32_t r = 1;
    while (r < v) {
        r <<= 1;
    }
    return r;
}

bool virtio_pci_realize(VirtioPciDevice *p, unsigned default_vectors, GError **errp)
{
    VirtioDevice *vdev = &p->vdev;
    const VirtioDeviceClass *k = vdev->klass;
    p->legacy = p->disable_legacy != ON_OFF_AUTO_ON;
    p->modern = !p->disable_modern;
    if (!p->legacy && !p->modern) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "device cannot work as neither modern nor legacy mode is enabled");
        return false;
    }
    p->nvectors = p->vectors == 0xffffffff ? default_vectors : p->vectors;
    uint64_t transport = (p->modern ? 1ULL << VIRTIO_F_VERSION_1 : 0) |
                         (p->modern && p->queue_reset ? 1ULL << VIRTIO_F_RING_RESET : 0) |
                         (p->legacy ? 1ULL << VIRTIO_F_BAD_FEATURE : 0) |
                         (p->event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0) |
                         (p->indirect_desc ? 1ULL << VIRTIO_RING_F_INDIRECT_DESC : 0);
    virtio_finalize_features(vdev, transport);
    if (!p->notify_on_empty) {
        vdev->host_features &= ~(1ULL << VIRTIO_F_NOTIFY_ON_EMPTY);
    }
    if (!p->any_layout) {
        vdev->host_features &= ~(1ULL << VIRTIO_F_ANY_LAYOUT);
    }
    PciId id = {
        .vendor = VIRTIO_PCI_VENDOR,
        .device = p->legacy ? k->pci_device_id_legacy : VIRTIO_PCI_MODERN_BASE + k->device_id,
        .revision = p->legacy ? 0 : 1,
        .class_id = k->pci_class,
        .interrupt_pin = 1,
        /* Transitional devices name the virtio device in the subsystem
         * id (4.1.2.1); modern-only ones keep QEMU's default. */
        .subsystem_vendor = p->legacy ? VIRTIO_PCI_VENDOR : 0,
        .subsystem = p->legacy ? k->device_id : 0,
    };
    if (!pci_device_realize(&p->pci, &id, &vpci_pci_ops, errp)) {
        return false;
    }
    if (p->legacy) {
        unsigned regs = p->nvectors ? 24 : 20;
        p->legacy_bar_size = pow2_ceil(regs + vdev->config_len);
        pci_register_bar_ops(&p->pci, LEGACY_BAR, PCI_BASE_ADDRESS_SPACE_IO,
                             p->legacy_bar_size, "virtio-pci", &legacy_ops, p);
    }
    if (p->nvectors > MSIX_MAX_VECTORS) {
        /* QEMU goes on without MSI-X too. */
        g_warning("unable to init msix vectors to %u", p->nvectors);
        p->nvectors = 0;
    }
    if ((p->modern && !add_modern_caps(p, errp)) ||
        (p->nvectors && !msix_init(&p->pci, p->nvectors, MSIX_BAR, 0, MSIX_PBA_OFF, 0, errp))) {
        pci_device_exit(&p->pci);
        return false;
    }
    MachineObserver obs = { .state_changed = vpci_state_changed, .opaque = vdev };
    machine_add_observer(p->pci.parent.machine, &obs);
    return true;
}

void virtio_pci_stop(VirtioPciDevice *p)
{
    p->stopped = true;
    machine_remove_observer(p->pci.parent.machine, &p->vdev);
    vpci_ioeventfds_drop(p, false);
}

void virtio_pci_unrealize(VirtioPciDevice *p)
{
    virtio_pci_stop(p);
    if (p->nvectors) {
        msix_uninit(&p->pci);
    }
    pci_device_exit(&p->pci);
    virtio_cleanup(&p->vdev);
}

void virtio_pci_reset(VirtioPciDevice *p)
{
    virtio_reset(&p->vdev);
    pci_set_irq(&p->pci, 0);
    if (p->nvectors) {
        msix_reset(&p->pci);
    }
    pci_device_reset(&p->pci);
    vpci_ioeventfds_sync(p);
}

bool virtio_pci_post_load(VirtioPciDevice *p, GError **errp)
{
    if (!pci_device_post_load(&p->pci, errp) ||
        (p->nvectors && !msix_post_load(&p->pci, errp)) || !virtio_post_load(&p->vdev, errp)) {
        return false;
    }
    p->gfselect = MIN(p->gfselect, 2u);
    p->dfselect = MIN(p->dfselect, 2u);
    for (unsigned i = 0; i < p->vdev.nvqs; i++) {
        p->vdev.vqr[i].vector = vpci_vector_filter(p, p->vdev.vqr[i].vector);
    }
    p->vdev.config_vector = vpci_vector_filter(p, p->vdev.config_vector);
    vpci_ioeventfds_sync(p);
    vpci_update_intx(p);
    return true;
}
