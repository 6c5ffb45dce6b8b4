#define G_LOG_DOMAIN "tern-virtio"
/* Split virtqueues (virtio 1.2, 2.7): the descriptor table, the available
 * ring the driver fills and the used ring the device fills, with indirect
 * descriptors (2.7.5.3) and event index (2.7.7, 2.7.10).
 *
 * Every byte read from the ring is hostile and may change under us (the
 * guest runs concurrently with KVM): each descriptor is copied out once
 * and checked; a chain that loops, leaves RAM, overflows or is too long
 * breaks the device rather than Tern. */
#include "board/virtio.h"

#include <string.h>

/* Ring layout offsets (2.7.6, 2.7.8). */
#define AVAIL_FLAGS   0
#define AVAIL_IDX     2
#define AVAIL_RING(i) (4 + 2 * (uint64_t)(i))
#define USED_FLAGS    0
#define USED_IDX      2
#define USED_RING(i)  (4 + 8 * (uint64_t)(i))

/* One descriptor as it sits in guest RAM. */
typedef struct VringDescLe {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VringDescLe;

/* A buffer of the chain being walked. */
typedef struct ChainBuf {
    uint64_t addr;
    uint32_t len;
    bool write;
} ChainBuf;

static void *ring_ptr(VirtQueue *vq, uint64_t gpa, uint64_t len)
{
    return guest_ram_ptr(vq->vdev->ram, gpa, len);
}

/* Ring fields are read through host pointers checked by virtio_queue_ready
 * when the queue became usable; a NULL here means the ring left RAM. The
 * spec wants the rings aligned (2.7), but QEMU takes them anywhere, so a
 * misaligned field is copied bytewise; an aligned one is read or written
 * once, as the guest may change it concurrently. */
static bool ring_read16(VirtQueue *vq, uint64_t gpa, uint16_t *v)
{
    void *p = ring_ptr(vq, gpa, 2);
    if (!p) {
        return false;
    }
    uint16_t le;
    if ((uintptr_t)p % 2 == 0) {
        le = __atomic_load_n((uint16_t *)p, __ATOMIC_RELAXED);
    } else {
        memcpy(&le, p, 2);
    }
    *v = GUINT16_FROM_LE(le);
    return true;
}

static bool ring_write16(VirtQueue *vq, uint64_t gpa, uint16_t v)
{
    void *p = ring_ptr(vq, gpa, 2);
    if (!p) {
        return false;
    }
    uint16_t le = GUINT16_TO_LE(v);
    if ((uintptr_t)p % 2 == 0) {
        __atomic_store_n((uint16_t *)p, le, __ATOMIC_RELAXED);
    } else {
        memcpy(p, &le, 2);
    }
    guest_ram_mark_dirty(vq->vdev->ram, gpa, 2);
    return true;
}

static VirtQueueRegs *vq_regs(VirtQueue *vq)
{
    return &vq->vdev->vqr[vq->index];
}

bool virtio_queue_ready(VirtQueue *vq)
{
    VirtQueueRegs *r = vq_regs(vq);
    return r->enabled && r->num && r->desc && r->avail && r->used;
}

/* The rings must lie in RAM, each within one slot. */
static bool rings_in_ram(VirtQueue *vq)
{
    VirtQueueRegs *r = vq_regs(vq);
    bool event_idx = virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX);
    return ring_ptr(vq, r->desc, 16ULL * r->num) &&
           ring_ptr(vq, r->avail, AVAIL_RING(r->num) + (event_idx ? 2 : 0)) &&
           ring_ptr(vq, r->used, USED_RING(r->num) + (event_idx ? 2 : 0));
}

static bool avail_idx(VirtQueue *vq, uint16_t *idx)
{
    if (!ring_read16(vq, vq_regs(vq)->avail + AVAIL_IDX, idx)) {
        virtio_error(vq->vdev, "queue %u available ring outside RAM", vq->index);
        return false;
    }
    return true;
}

/* Entries the driver has made available beyond last_avail_idx; more than
 * the ring holds is a driver bug (a jump of the index). -1: broken. */
static int avail_pending(VirtQueue *vq)
{
    VirtQueueRegs *r = vq_regs(vq);
    uint16_t idx;
    if (!avail_idx(vq, &idx)) {
        return -1;
    }
    uint16_t n = idx - r->last_avail_idx;
    if (n > r->num) {
        virtio_error(vq->vdev, "queue %u: guest moved the available index from %u to %u",
                     vq->index, r->last_avail_idx, idx);
        return -1;
    }
    return n;
}

bool virtqueue_empty(VirtQueue *vq)
{
    if (vq->vdev->broken || !virtio_queue_ready(vq)) {
        return true;
    }
    return avail_pending(vq) <= 0;
}

/* Adds one buffer to the chain; false (device broken) if it is not all in
 * RAM, empty, wraps, or breaks the readable-then-writable order. */
static bool chain_add(VirtQueue *vq, ChainBuf *bufs, unsigned *n, const VringDescLe *d)
{
    VirtioDevice *vdev = vq->vdev;
    uint64_t addr = GUINT64_FROM_LE(d->addr);
    uint32_t len = GUINT32_FROM_LE(d->len);
    bool write = GUINT16_FROM_LE(d->flags) & VRING_DESC_F_WRITE;
    if (*n >= VIRTQUEUE_MAX_SIZE) {
        virtio_error(vdev, "queue %u: too many descriptors in a chain", vq->index);
        return false;
    }
    if (len == 0 || addr + len < addr || !guest_ram_ptr(vdev->ram, addr, len)) {
        virtio_error(vdev, "queue %u: bogus descriptor (addr 0x%" G_GINT64_MODIFIER
                     "x len %u)", vq->index, addr, len);
        return false;
    }
    if (!write && *n && bufs[*n - 1].write) {
        virtio_error(vdev, "queue %u: readable descriptor after a writable one",
                     vq->index);
        return false;
    }
    bufs[(*n)++] = (ChainBuf){ .addr = addr, .len = len, .write = write };
    return true;
}

/* Walks the chain at `head` of a table of `max` descriptors at `table`
 * (the ring's, or an indirect one). Each table is bounded: visiting more
 * descriptors than it holds means the chain loops. */
static bool walk_chain(VirtQueue *vq, uint64_t table, unsigned max, unsigned head,
                       bool indirect, ChainBuf *bufs, unsigned *n)
{
    VirtioDevice *vdev = vq->vdev;
    /* Bytes, not VringDescLe: the table may be misaligned. */
    const uint8_t *descs = guest_ram_ptr(vdev->ram, table, 16ULL * max);
    if (!descs) {
        virtio_error(vdev, "queue %u: descriptor table outside RAM", vq->index);
        return false;
    }
    unsigned i = head;
    for (unsigned visited = 0;; visited++) {
        if (visited >= max) {
            virtio_error(vdev, "queue %u: looped descriptor chain", vq->index);
            return false;
        }
        VringDescLe d;
        memcpy(&d, descs + 16 * i, sizeof(d));   /* one copy: the guest may rewrite it */
        uint16_t flags = GUINT16_FROM_LE(d.flags);
        if (flags & VRING_DESC_F_INDIRECT) {
            uint32_t len = GUINT32_FROM_LE(d.len);
            if (indirect) {
                virtio_error(vdev, "queue %u: indirect descriptor in an indirect table",
                             vq->index);
                return false;
            }
            if (*n) {
                virtio_error(vdev, "queue %u: indirect descriptor not at the head",
                             vq->index);
                return false;
            }
            if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) {
                virtio_error(vdev, "queue %u: indirect descriptor not negotiated",
                             vq->index);
                return false;
            }
            if (len == 0 || len % 16 || len / 16 > VIRTQUEUE_MAX_SIZE) {
                virtio_error(vdev, "queue %u: invalid indirect table size %u",
                             vq->index, len);
                return false;
            }
            /* The table replaces the rest of this chain (2.7.5.3.1). */
            return walk_chain(vq, GUINT64_FROM_LE(d.addr), len / 16, 0, true, bufs, n);
        }
        if (!chain_add(vq, bufs, n, &d)) {
            return false;
        }
        if (!(flags & VRING_DESC_F_NEXT)) {
            return true;
        }
        i = GUINT16_FROM_LE(d.next);
        if (i >= max) {
            virtio_error(vdev, "queue %u: descriptor index %u out of range",
                         vq->index, i);
            return false;
        }
    }
}

static VirtQueueElement *element_new(unsigned head, const ChainBuf *bufs, unsigned n,
                                     GuestRam *ram)
{
    unsigned out = 0, in = 0;
    for (unsigned i = 0; i < n; i++) {
        bufs[i].write ? in++ : out++;
    }
    VirtQueueElement *e = g_malloc(sizeof(*e) + n * sizeof(struct iovec) +
                                   in * sizeof(uint64_t));
    e->index = head;
    e->out_num = out;
    e->in_num = in;
    e->out_sg = (struct iovec *)(e + 1);
    e->in_sg = e->out_sg + out;
    e->in_addr = (uint64_t *)(e->in_sg + in);
    for (unsigned i = 0; i < n; i++) {
        struct iovec iov = { guest_ram_ptr(ram, bufs[i].addr, bufs[i].len), bufs[i].len };
        if (bufs[i].write) {
            unsigned k = i - out;
            e->in_sg[k] = iov;
            e->in_addr[k] = bufs[i].addr;
        } else {
            e->out_sg[i] = iov;
        }
    }
    return e;
}

/* With event idx, tells the driver where the device is, so it kicks again
 * when it adds past that point (avail_event, 2.7.10). */
static void set_avail_event(VirtQueue *vq, uint16_t val)
{
    VirtQueueRegs *r = vq_regs(vq);
    ring_write16(vq, r->used + USED_RING(r->num), val);
}

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtioDevice *vdev = vq->vdev;
    VirtQueueRegs *r = vq_regs(vq);
    if (vdev->broken || vdev->disabled || !virtio_queue_ready(vq)) {
        return NULL;
    }
    if (!rings_in_ram(vq)) {
        virtio_error(vdev, "queue %u: rings outside RAM", vq->index);
        return NULL;
    }
    int pending = avail_pending(vq);
    if (pending <= 0) {
        return NULL;
    }
    /* Read the ring entry only after seeing the index that covers it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint16_t head = 0;
    ring_read16(vq, r->avail + AVAIL_RING(r->last_avail_idx % r->num), &head);
    if (head >= r->num) {
        virtio_error(vdev, "queue %u: head descriptor %u out of range", vq->index, head);
        return NULL;
    }
    ChainBuf bufs[VIRTQUEUE_MAX_SIZE];
    unsigned n = 0;
    if (!walk_chain(vq, r->desc, r->num, head, false, bufs, &n)) {
        return NULL;
    }
    r->last_avail_idx++;
    vq->inuse++;
    if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        set_avail_event(vq, r->last_avail_idx);
    }
    return element_new(head, bufs, n, vdev->ram);
}

void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem)
{
    (void)elem;
    vq_regs(vq)->last_avail_idx--;
    vq->inuse--;
}

/* The pages the device wrote for elem: its first `len` bytes of in
 * buffers. */
static void mark_written(GuestRam *ram, const VirtQueueElement *elem, uint32_t len)
{
    for (unsigned i = 0; i < elem->in_num && len; i++) {
        uint32_t l = MIN(len, elem->in_sg[i].iov_len);
        guest_ram_mark_dirty(ram, elem->in_addr[i], l);
        len -= l;
    }
}

void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem, uint32_t len)
{
    VirtioDevice *vdev = vq->vdev;
    VirtQueueRegs *r = vq_regs(vq);
    if (vq->inuse) {
        vq->inuse--;
    }
    if (vdev->broken || !virtio_queue_ready(vq)) {
        return;   /* reset or broken meanwhile: the driver no longer waits */
    }
    mark_written(vdev->ram, elem, len);
    uint64_t slot = r->used + USED_RING(r->used_idx % r->num);
    void *p = guest_ram_ptr(vdev->ram, slot, 8);
    if (!p) {
        virtio_error(vdev, "queue %u used ring outside RAM", vq->index);
        return;
    }
    /* The driver reads the entry only after the index: no tearing
     * concern, and the ring may be misaligned. */
    uint32_t entry[2] = { GUINT32_TO_LE(elem->index), GUINT32_TO_LE(len) };
    memcpy(p, entry, sizeof(entry));
    guest_ram_mark_dirty(vdev->ram, slot, 8);
    /* The entry must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->used_idx++;
    ring_write16(vq, r->used + USED_IDX, r->used_idx);
}

/* vring_need_event (2.7.10): did new_idx move past event since old? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static bool should_notify(VirtQueue *vq)
{
    VirtioDevice *vdev = vq->vdev;
    VirtQueueRegs *r = vq_regs(vq);
    /* The driver's flags and used_event must be read after our used
     * index is visible, or both sides may wait for each other. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (virtio_has_feature(vdev, VIRTIO_F_NOTIFY_ON_EMPTY) && !vq->inuse &&
        virtqueue_empty(vq)) {
        return true;
    }
    if (!virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        uint16_t flags = 0;
        ring_read16(vq, r->avail + AVAIL_FLAGS, &flags);
        return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
    }
    uint16_t old = r->signalled_used;
    bool valid = r->signalled_used_valid;
    uint16_t used_event = 0;
    ring_read16(vq, r->avail + AVAIL_RING(r->num), &used_event);
    r->signalled_used = r->used_idx;
    r->signalled_used_valid = 1;
    return !valid || need_event(used_event, r->used_idx, old);
}

void virtio_notify(VirtioDevice *vdev, VirtQueue *vq)
{
    if (vdev->broken || !virtio_queue_ready(vq) || !should_notify(vq)) {
        return;
    }
    vdev->isr |= VIRTIO_ISR_QUEUE;
    if (vdev->transport) {
        vdev->transport->notify(vdev->transport_opaque, vq_regs(vq)->vector);
    }
}

void virtio_queue_set_notification(VirtQueue *vq, bool enable)
{
    VirtQueueRegs *r = vq_regs(vq);
    if (vq->vdev->broken || !virtio_queue_ready(vq)) {
        return;
    }
    if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        if (enable) {
            uint16_t idx;
            if (ring_read16(vq, r->avail + AVAIL_IDX, &idx)) {
                set_avail_event(vq, idx);
            }
        }
    } else {
        uint16_t flags = 0;
        ring_read16(vq, r->used + USED_FLAGS, &flags);
        flags = enable ? flags & ~VRING_USED_F_NO_NOTIFY : flags | VRING_USED_F_NO_NOTIFY;
        ring_write16(vq, r->used + USED_FLAGS, flags);
    }
    /* Our flag must be visible before we look at the ring again. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
