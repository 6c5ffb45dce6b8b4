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

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

typedef struct VirtioDevice VirtioDevice;
typedef struct VirtQueue VirtQueue;

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
    /* Device feature bits offered, given the transport/core ones. */
    uint64_t (*get_features)(VirtioDevice *vdev, uint64_t features);
    void (*set_features)(VirtioDevice *vdev, uint64_t features);
    /* The device config space (config_len bytes, little endian). */
    void (*get_config)(VirtioDevice *vdev, uint8_t *config);
    void (*set_config)(VirtioDevice *vdev, const uint8_t *config);
    void (*set_status)(VirtioDevice *vdev, uint8_t status);
    void (*reset)(VirtioDevice *vdev);
} VirtioDeviceClass;

/* ---- for device models ---- */

VirtQueue *virtio_add_queue(VirtioDevice *vdev, unsigned max_size, VirtQueueHandler *handle);
VirtioDevice *virtio_queue_device(VirtQueue *vq);
unsigned virtio_queue_index(VirtQueue *vq);
VirtQueue *virtio_get_queue(VirtioDevice *vdev, unsigned n);

/* The next available request, or NULL (queue empty, not ready, or the
 * device broken). */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Gives back a popped element unused (to retry later, in pop order). */
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

/* Copying between iovecs and flat buffers; return bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len);
size_t iov_size(const struct iovec *iov, unsigned n);
