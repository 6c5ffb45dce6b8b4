#define G_LOG_DOMAIN "tern-virtio"
/* The virtio device core (virtio 1.2, 2 and 3): status, feature
 * negotiation, device configuration, reset and the broken state. The
 * transport (virtio-pci.c) maps registers onto these calls; the rings are
 * virtqueue.c's. */
#include "board/virtio.h"
#include "util/error.h"

#include <stdarg.h>
#include <string.h>

void virtio_init(VirtioDevice *vdev, const VirtioDeviceClass *klass, size_t config_len,
                 GuestRam *ram)
{
    vdev->klass = klass;
    vdev->ram = ram;
    vdev->config_len = config_len;
    vdev->config = g_malloc0(MAX(config_len, VIRTIO_CONFIG_SCRATCH));
    vdev->nvqs = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
}

void virtio_cleanup(VirtioDevice *vdev)
{
    g_clear_pointer(&vdev->config, g_free);
}

void virtio_set_transport(VirtioDevice *vdev, const VirtioTransportOps *ops, void *opaque)
{
    vdev->transport = ops;
    vdev->transport_opaque = opaque;
}

VirtQueue *virtio_add_queue(VirtioDevice *vdev, unsigned max_size, VirtQueueHandler *handle)
{
    g_assert(vdev->nvqs < VIRTIO_QUEUE_MAX);
    g_assert(max_size && max_size <= VIRTQUEUE_MAX_SIZE);
    unsigned n = vdev->nvqs++;
    VirtQueue *vq = &vdev->vq[n];
    *vq = (VirtQueue){ .vdev = vdev, .index = n, .num_max = max_size, .handle = handle };
    vdev->vqr[n] = (VirtQueueRegs){ .num = max_size, .vector = VIRTIO_NO_VECTOR };
    return vq;
}

VirtioDevice *virtio_queue_device(VirtQueue *vq)
{
    return vq->vdev;
}

unsigned virtio_queue_index(VirtQueue *vq)
{
    return vq->index;
}

VirtQueue *virtio_get_queue(VirtioDevice *vdev, unsigned n)
{
    return n < vdev->nvqs ? &vdev->vq[n] : NULL;
}

void virtio_finalize_features(VirtioDevice *vdev, uint64_t transport_features)
{
    /* Layout-independent buffers are what Tern implements (2.6.4);
     * NOTIFY_ON_EMPTY is a legacy bit QEMU offers too. */
    uint64_t f = transport_features | 1ULL << VIRTIO_F_ANY_LAYOUT |
                 1ULL << VIRTIO_F_NOTIFY_ON_EMPTY;
    if (vdev->klass->get_features) {
        f = vdev->klass->get_features(vdev, f);
    }
    vdev->host_features = f;
}

bool virtio_has_feature(VirtioDevice *vdev, unsigned bit)
{
    return bit < 64 && (vdev->guest_features >> bit) & 1;
}

bool virtio_host_has_feature(VirtioDevice *vdev, unsigned bit)
{
    return bit < 64 && (vdev->host_features >> bit) & 1;
}

uint8_t virtio_status(VirtioDevice *vdev)
{
    return vdev->status;
}

void virtio_set_features(VirtioDevice *vdev, uint64_t val)
{
    /* Features are fixed once accepted (3.1.1). */
    if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        return;
    }
    vdev->guest_features = val & vdev->host_features;
    if (vdev->klass->set_features) {
        vdev->klass->set_features(vdev, vdev->guest_features);
    }
}

static void queue_regs_reset(VirtioDevice *vdev, unsigned n)
{
    vdev->vqr[n] = (VirtQueueRegs){ .num = vdev->vq[n].num_max, .vector = VIRTIO_NO_VECTOR };
    vdev->vq[n].inuse = 0;
}

static void queues_reset(VirtioDevice *vdev)
{
    for (unsigned i = 0; i < vdev->nvqs; i++) {
        queue_regs_reset(vdev, i);
    }
}

void virtio_queue_reset(VirtioDevice *vdev, unsigned n)
{
    if (n >= vdev->nvqs) {
        return;
    }
    if (vdev->klass->queue_reset) {
        vdev->klass->queue_reset(vdev, &vdev->vq[n]);
    }
    queue_regs_reset(vdev, n);
}

void virtio_reset(VirtioDevice *vdev)
{
    if (vdev->klass->reset) {
        vdev->klass->reset(vdev);
    }
    vdev->status = 0;
    vdev->isr = 0;
    vdev->guest_features = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->queue_sel = 0;
    vdev->broken = false;
    vdev->error_logged = false;
    vdev->disabled = false;
    queues_reset(vdev);
    if (vdev->transport && vdev->transport->status_changed) {
        vdev->transport->status_changed(vdev->transport_opaque);
    }
}

void virtio_set_status(VirtioDevice *vdev, uint8_t val)
{
    if (val == 0) {
        virtio_reset(vdev);
        return;
    }
    /* NEEDS_RESET is the device's to set. */
    val = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
    vdev->status = val;
    if (vdev->klass->set_status) {
        vdev->klass->set_status(vdev, val);
    }
    if (vdev->transport && vdev->transport->status_changed) {
        vdev->transport->status_changed(vdev->transport_opaque);
    }
}

void virtio_config_refresh(VirtioDevice *vdev)
{
    if (vdev->klass->get_config) {
        vdev->klass->get_config(vdev, vdev->config);
    }
}

void virtio_config_write(VirtioDevice *vdev, unsigned off, uint64_t val, unsigned size)
{
    if (off + size > vdev->config_len) {
        return;
    }
    virtio_config_refresh(vdev);
    for (unsigned i = 0; i < size; i++) {
        vdev->config[off + i] = val >> (8 * i);
    }
    if (vdev->klass->set_config) {
        vdev->klass->set_config(vdev, vdev->config);
    }
}

void virtio_queue_notify(VirtioDevice *vdev, unsigned n)
{
    VirtQueue *vq = virtio_get_queue(vdev, n);
    if (!vq || vdev->broken || vdev->disabled || !virtio_queue_ready(vq) || !vq->handle) {
        return;
    }
    vq->handle(vdev, vq);
}

void virtio_queue_set_legacy_pfn(VirtioDevice *vdev, unsigned n, uint32_t pfn)
{
    if (n >= vdev->nvqs) {
        return;
    }
    VirtQueueRegs *r = &vdev->vqr[n];
    uint64_t num = r->num;
    r->desc = (uint64_t)pfn << 12;
    r->avail = pfn ? r->desc + 16 * num : 0;
    /* The used ring starts on the next 4096-byte boundary after the
     * available ring and its used_event (legacy interface, 2.7.2). */
    r->used = pfn ? (r->avail + 4 + 2 * num + 2 + 4095) & ~4095ULL : 0;
    r->enabled = pfn != 0;
}

void virtio_notify_config(VirtioDevice *vdev)
{
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    /* QEMU sets both ISR bits on a config change; legacy drivers of
     * INTx look at bit 0 only. */
    vdev->isr |= VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG;
    vdev->config_generation++;
    if (vdev->transport) {
        vdev->transport->notify(vdev->transport_opaque, vdev->config_vector);
    }
}

void virtio_error(VirtioDevice *vdev, const char *fmt, ...)
{
    if (!vdev->error_logged) {
        va_list ap;
        va_start(ap, fmt);
        g_autofree char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_warning("%s: %s", vdev->klass->name, msg);
        vdev->error_logged = true;
    }
    vdev->broken = true;
    /* Only a driver that negotiated features can see NEEDS_RESET (2.1.2). */
    if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
        virtio_notify_config(vdev);
    }
}

bool virtio_post_load(VirtioDevice *vdev, GError **errp)
{
    vdev->guest_features &= vdev->host_features;
    if (vdev->config_vector != VIRTIO_NO_VECTOR && vdev->config_vector >= 2048) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: bad config vector %u",
                    vdev->klass->name, vdev->config_vector);
        return false;
    }
    for (unsigned i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        VirtQueueRegs *r = &vdev->vqr[i];
        if (i >= vdev->nvqs) {
            if (r->enabled || r->desc || r->avail || r->used) {
                g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                            "%s: state for queue %u, which the device does not have",
                            vdev->klass->name, i);
                return false;
            }
            continue;
        }
        if (r->num > vdev->vq[i].num_max || (r->enabled && !r->num)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: queue %u size %u invalid",
                        vdev->klass->name, i, r->num);
            return false;
        }
        /* Requests in flight at save time were drained or are the
         * device's to resubmit: count them as in use. */
        vdev->vq[i].inuse = (uint16_t)(r->last_avail_idx - r->used_idx);
        if (vdev->vq[i].inuse > r->num) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "%s: queue %u indices inconsistent", vdev->klass->name, i);
            return false;
        }
    }
    vdev->queue_sel = MIN(vdev->queue_sel, VIRTIO_QUEUE_MAX - 1);
    vdev->broken = vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET;
    return true;
}
