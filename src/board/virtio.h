/* Virtio devices (virtio 1.2 spec): the transport-independent core —
 * device status, feature negotiation, split virtqueues with indirect
 * descriptors and event index — that device models (virtio-blk, later
 * virtio-net) are written against. The PCI transport (virtio-pci.c) and
 * the ring code (virtqueue.c) are separate from the devices.
 *
 * A device type embeds VirtioPciDevice first (it embeds PciDevice, which
 * embeds DeviceState), fills a VirtioDeviceClass, adds its queues and
 * calls virtio_pci_realize() from its realize:
 *
 *     virtio_pci_init(&s->vpci, &virtio_blk_class, sizeof(struct virtio_blk_config));
 *     for (i = 0; i < s->num_queues; i++)
 *         virtio_add_queue(&s->vpci.vdev, s->queue_size, virtio_blk_handle_queue);
 *     return virtio_pci_realize(&s->vpci, errp);
 *
 * Everything the guest hands over is hostile: a bad chain (a loop, an
 * address outside RAM, a length that overflows, too many descriptors)
 * marks the device broken (DEVICE_NEEDS_RESET, config interrupt) and
 * virtqueue_pop returns NULL from then on; Tern keeps running.
 *
 * All calls run with the machine lock held. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/iov.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "kvm/memory.h"

typedef struct VirtioDevice VirtioDevice;
typedef struct VirtQueue VirtQueue;

/* Tern's bound on queues per device (QEMU's is 1024; no Tern device
 * needs more), and on a ring's size and a chain's length (the spec's
 * 32768 is never needed: QEMU's VIRTQUEUE_MAX_SIZE). */
#define VIRTIO_QUEUE_MAX 64
#define VIRTQUEUE_MAX_SIZE 1024
#define VIRTIO_NO_VECTOR 0xffff
#define VIRTIO_CONFIG_SCRATCH 256
/* The ISR bits (virtio 1.2, 4.1.4.5). */
#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2

/* One request as the guest posted it: the device-readable (out) buffers
 * then the device-writable (in) ones, as host pointers into guest RAM.
 * Allocated by virtqueue_pop in one block with its arrays; the device
 * g_free()s it after virtqueue_push (or keeps it to retry). */
typedef struct VirtQueueElement {
    unsigned index;             /* head descriptor */
    unsigned out_num, in_num;
    struct iovec *out_sg, *in_sg;
    uint64_t *in_addr;          /* guest addresses of in_sg (dirty tracking) */
} VirtQueueElement;

typedef void VirtQueueHandler(VirtioDevice *vdev, VirtQueue *vq);

/* What a device type supplies. */
typedef struct VirtioDeviceClass {
    const char *name;           /* "virtio-blk" */
    uint16_t device_id;         /* VIRTIO_ID_BLOCK, ... */
    uint16_t pci_class;         /* PCI class code (base << 8 | sub) */
    uint16_t pci_device_id_legacy;   /* transitional PCI device id (0x1001 for blk) */
    /* Device feature bits offered, given the transport/core ones. */
    uint64_t (*get_features)(VirtioDevice *vdev, uint64_t features);
    void (*set_features)(VirtioDevice *vdev, uint64_t features);
    /* The device config space (little endian). get_config may fill up
     * to VIRTIO_CONFIG_SCRATCH bytes; the guest sees config_len. */
    void (*get_config)(VirtioDevice *vdev, uint8_t *config);
    void (*set_config)(VirtioDevice *vdev, const uint8_t *config);
    void (*set_status)(VirtioDevice *vdev, uint8_t status);
    void (*reset)(VirtioDevice *vdev);
    /* One queue is being reset (VIRTIO_F_RING_RESET): forget its
     * requests in flight. */
    void (*queue_reset)(VirtioDevice *vdev, VirtQueue *vq);
} VirtioDeviceClass;

/* ---- for device models ---- */

VirtQueue *virtio_add_queue(VirtioDevice *vdev, unsigned max_size, VirtQueueHandler *handle);
VirtioDevice *virtio_queue_device(VirtQueue *vq);
unsigned virtio_queue_index(VirtQueue *vq);
VirtQueue *virtio_get_queue(VirtioDevice *vdev, unsigned n);

/* The next available request, or NULL (queue empty, not ready, or the
 * device broken). */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Gives back the element popped last, unused: the next pop returns it
 * again. Unpop several in the reverse of pop order. The caller still
 * frees elem. */
void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem);
/* Puts elem on the used ring with `len` bytes written into its in
 * buffers, and records those pages and the used ring as dirty. Does not
 * interrupt: call virtio_notify after a batch. */
void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len);
/* Interrupts the driver for vq unless it asked not to be (NO_INTERRUPT or
 * used_event). */
void virtio_notify(VirtioDevice *vdev, VirtQueue *vq);
/* Device config changed (capacity, link): config interrupt. */
void virtio_notify_config(VirtioDevice *vdev);
/* Turns guest->device notifications for vq on or off (avail_event or
 * NO_NOTIFY), for devices that poll while busy. */
void virtio_queue_set_notification(VirtQueue *vq, bool enable);
bool virtqueue_empty(VirtQueue *vq);
/* The driver broke the protocol: DEVICE_NEEDS_RESET, config interrupt,
 * queues stop. The message goes to the log (once). */
void virtio_error(VirtioDevice *vdev, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

bool virtio_has_feature(VirtioDevice *vdev, unsigned bit);   /* negotiated */
bool virtio_host_has_feature(VirtioDevice *vdev, unsigned bit);   /* offered */
uint8_t virtio_status(VirtioDevice *vdev);



/* ---- the core's state, for transports (virtio-pci.c) and tests ---- */

/* A queue's guest-visible registers: what the driver programmed and where
 * the device is in the ring. Saved as one buffer per device. */
typedef struct VirtQueueRegs {
    uint64_t desc, avail, used;   /* guest-physical ring addresses */
    uint16_t num;                 /* ring size (1..num_max; 0: no such queue) */
    uint16_t vector;              /* MSI-X vector, VIRTIO_NO_VECTOR */
    uint16_t last_avail_idx;      /* next avail entry the device takes */
    uint16_t used_idx;            /* next used entry the device fills */
    uint16_t enabled;             /* queue_enable (modern), pfn != 0 (legacy) */
    uint16_t signalled_used;      /* event idx: used_idx at the last interrupt */
    uint16_t signalled_used_valid;
    uint16_t pad;
} VirtQueueRegs;

struct VirtQueue {
    VirtioDevice *vdev;
    unsigned index;
    unsigned num_max;             /* the size the device offers */
    VirtQueueHandler *handle;
    unsigned inuse;               /* popped, not yet pushed */
};

/* How the core reaches its transport. */
typedef struct VirtioTransportOps {
    /* Raise the interrupt for `vector` (MSI-X), or the INTx line from the
     * ISR (vector unused). */
    void (*notify)(void *opaque, uint16_t vector);
    /* The driver reset the device, or its status changed (ioeventfd
     * registration follows DRIVER_OK). */
    void (*status_changed)(void *opaque);
} VirtioTransportOps;

struct VirtioDevice {
    const VirtioDeviceClass *klass;
    GuestRam *ram;
    const VirtioTransportOps *transport;
    void *transport_opaque;
    uint64_t host_features;       /* offered: core + device bits */
    size_t config_len;
    uint8_t *config;              /* scratch for get_config/set_config */
    unsigned nvqs;
    VirtQueue vq[VIRTIO_QUEUE_MAX];
    /* The driver broke the protocol; queues stop until a reset. Loaded
     * state derives it from NEEDS_RESET (a legacy driver's broken device
     * comes back working). */
    bool broken;
    bool error_logged;
    /* The driver turned PCI bus mastering off: kicks are ignored and
     * nothing is popped until it turns it on again or resets the device
     * (QEMU's virtio_set_disabled). */
    bool disabled;
    /* Guest-visible, saved. */
    uint8_t status;
    uint8_t isr;
    uint8_t config_generation;
    uint8_t pad;
    uint16_t config_vector;
    uint16_t queue_sel;
    uint64_t guest_features;      /* negotiated */
    VirtQueueRegs vqr[VIRTIO_QUEUE_MAX];
};

/* Sets the device up, with no queues yet. */
void virtio_init(VirtioDevice *vdev, const VirtioDeviceClass *klass, size_t config_len,
                 GuestRam *ram);
void virtio_cleanup(VirtioDevice *vdev);
/* Computes host_features from the transport's bits (VERSION_1 and the
 * VIRTIO_RING_F_* ones its properties allow), the core's and the
 * class's; call once the device's properties are known. */
void virtio_finalize_features(VirtioDevice *vdev, uint64_t transport_features);
void virtio_set_transport(VirtioDevice *vdev, const VirtioTransportOps *ops, void *opaque);
/* Device reset (status 0 or bus reset). */
void virtio_reset(VirtioDevice *vdev);
/* A status write: 0 resets; NEEDS_RESET stays the device's (QEMU, like
 * the spec, accepts FEATURES_OK as written). */
void virtio_set_status(VirtioDevice *vdev, uint8_t val);
/* A driver features write: bits not offered are dropped. */
void virtio_set_features(VirtioDevice *vdev, uint64_t val);
/* The device config, refreshed from the class. */
void virtio_config_refresh(VirtioDevice *vdev);
void virtio_config_write(VirtioDevice *vdev, unsigned off, uint64_t val, unsigned size);
/* Queue n back to its reset state (per-queue reset). */
void virtio_queue_reset(VirtioDevice *vdev, unsigned n);
/* The driver kicked queue n (notify register or ioeventfd). */
void virtio_queue_notify(VirtioDevice *vdev, unsigned n);
/* Legacy layout: the three parts of the ring in one area at pfn << 12
 * (4096-byte aligned used ring), as the legacy interface defines it. */
void virtio_queue_set_legacy_pfn(VirtioDevice *vdev, unsigned n, uint32_t pfn);
/* Ready: enabled with a size and addresses. */
bool virtio_queue_ready(VirtQueue *vq);
/* After a load: re-derives broken and checks the queue registers. */
bool virtio_post_load(VirtioDevice *vdev, GError **errp);
/* The saved core fields, for a device's StateDescription (`type` embeds
 * the VirtioDevice as `f`). */
#define VIRTIO_STATE_FIELDS(type, f, v)                                          \
    STATE_UINT_V(type, f.status, v), STATE_UINT_V(type, f.isr, v),               \
    STATE_UINT_V(type, f.config_generation, v),                                  \
    STATE_UINT_V(type, f.config_vector, v), STATE_UINT_V(type, f.queue_sel, v),  \
    STATE_UINT_V(type, f.guest_features, v),                                     \
    { .name = "vqr", .offset = offsetof(type, f.vqr), .size = sizeof(((type *)0)->f.vqr), \
      .is_buffer = true, .since_version = (v) }
