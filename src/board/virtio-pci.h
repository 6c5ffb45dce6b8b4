/* The virtio PCI transport (virtio 1.2, 4.1), laid out as QEMU 7.2 lays
 * it out, since guests and tests see it byte for byte:
 *
 *   BAR 0  legacy I/O registers (transitional devices only)
 *   BAR 1  MSI-X table (offset 0) and PBA (0x800), when vectors > 0
 *   BAR 4  64-bit prefetchable memory, 16 KiB: common config at 0,
 *          ISR at 0x1000, device config at 0x2000, notify at 0x3000
 *          (4 bytes per queue)
 *
 * with vendor capabilities common (0x40), ISR (0x50), device (0x60),
 * notify (0x70), pci-cfg (0x84), then MSI-X (0x98). Device ids: 0x1000 +
 * n for transitional devices, 0x1040 + virtio id for modern-only ones.
 *
 * A device type embeds VirtioPciDevice first and lists
 * VIRTIO_PCI_PROPS in its property table. */
#pragma once
#include "board/pci.h"
#include "board/virtio.h"

typedef struct IoEventFd IoEventFd;

typedef struct VirtioPciDevice {
    PciDevice pci;
    VirtioDevice vdev;
    /* Properties (QEMU's names). */
    int disable_legacy;          /* OnOffAuto: auto = legacy on (conventional PCI) */
    bool disable_modern;
    uint32_t vectors;            /* 0xffffffff: the device's default */
    bool ioeventfd;
    bool event_idx, indirect_desc, notify_on_empty, any_layout, queue_reset;
    /* Derived at realize. */
    bool legacy, modern;
    unsigned nvectors;
    uint32_t legacy_bar_size;
    uint8_t pci_cfg_off;         /* the pci-cfg capability, 0 if none */
    /* ioeventfds currently registered (KVM only): while the VM runs and
     * the driver drives the device, until virtio_pci_stop. */
    IoEventFd *ioefd[VIRTIO_QUEUE_MAX][2];   /* [queue][modern, legacy] */
    bool stopped;
    /* Guest-visible transport registers, saved. */
    uint32_t dfselect, gfselect;
    uint32_t guest_features[2];  /* as the driver wrote them, per select */
} VirtioPciDevice;

/* The transport's properties, for a device's property table. */
#define VIRTIO_PCI_PROPS(type, f)                                                   \
    DEFINE_PROP_ON_OFF_AUTO("disable-legacy", type, f.disable_legacy, ON_OFF_AUTO_AUTO), \
    DEFINE_PROP_BOOL("disable-modern", type, f.disable_modern, false),               \
    DEFINE_PROP_U32("vectors", type, f.vectors, 0xffffffff),                         \
    DEFINE_PROP_BOOL("ioeventfd", type, f.ioeventfd, true),                          \
    DEFINE_PROP_BOOL("event_idx", type, f.event_idx, true),                          \
    DEFINE_PROP_BOOL("indirect_desc", type, f.indirect_desc, true),                  \
    DEFINE_PROP_BOOL("notify_on_empty", type, f.notify_on_empty, true),              \
    DEFINE_PROP_BOOL("any_layout", type, f.any_layout, true),                        \
    DEFINE_PROP_BOOL("queue_reset", type, f.queue_reset, true)

/* The transport's saved fields (config space, MSI-X state, core state). */
#define VIRTIO_PCI_STATE_FIELDS(type, f, v)                                      \
    PCI_STATE_CONFIG(type, f.pci, v), PCI_STATE_INTX(type, f.pci, v),            \
    PCI_STATE_MSIX(type, f.pci, v), VIRTIO_STATE_FIELDS(type, f.vdev, v),        \
    STATE_UINT_V(type, f.dfselect, v), STATE_UINT_V(type, f.gfselect, v),        \
    STATE_UINT_V(type, f.guest_features[0], v), STATE_UINT_V(type, f.guest_features[1], v)

/* Before the device adds its queues. */
void virtio_pci_init(VirtioPciDevice *p, const VirtioDeviceClass *klass, size_t config_len);
/* After: puts the function on the bus with its capabilities and BARs.
 * default_vectors applies when vectors= was not given. */
bool virtio_pci_realize(VirtioPciDevice *p, unsigned default_vectors, GError **errp);
/* Unplug, first step: no kick reaches the device any more (ioeventfds
 * go without running their handlers), while it may still complete
 * requests. Then the device drains and calls virtio_pci_unrealize. */
void virtio_pci_stop(VirtioPciDevice *p);
void virtio_pci_unrealize(VirtioPciDevice *p);
/* Bus reset: the virtio device and the PCI function. */
void virtio_pci_reset(VirtioPciDevice *p);
bool virtio_pci_post_load(VirtioPciDevice *p, GError **errp);
