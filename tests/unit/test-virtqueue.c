/* Split virtqueues against rings built by hand in a GuestRam (virtio 1.2,
 * 2.7): normal and indirect chains, event index, and every hostile chain
 * a driver can post, which must break the device and nothing else. */
#include "board/virtio.h"

#include <string.h>

#define RAM_SIZE  (16 << 20)
#define DESC_GPA  0x10000
#define AVAIL_GPA 0x20000
#define USED_GPA  0x30000
#define QSIZE     8

typedef struct Fixture {
    GuestRam ram;
    VirtioDevice vdev;
    VirtQueue *vq;
    unsigned notifies;
    uint16_t last_vector;
    uint16_t avail_idx;
} Fixture;

static const VirtioDeviceClass test_class = { .name = "virtio-test", .device_id = 42 };

static void fake_notify(void *opaque, uint16_t vector)
{
    Fixture *f = opaque;
    f->notifies++;
    f->last_vector = vector;
}

static const VirtioTransportOps fake_transport = { .notify = fake_notify };

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GError) err = NULL;
    memset(f, 0, sizeof(*f));
    g_assert_true(guest_ram_init(&f->ram, RAM_SIZE, RAM_SIZE, &err));
    virtio_init(&f->vdev, &test_class, 0, &f->ram);
    virtio_set_transport(&f->vdev, &fake_transport, f);
    f->vq = virtio_add_queue(&f->vdev, QSIZE, NULL);
    virtio_finalize_features(&f->vdev, 1ULL << VIRTIO_F_VERSION_1 |
                                       1ULL << VIRTIO_RING_F_INDIRECT_DESC |
                                       1ULL << VIRTIO_RING_F_EVENT_IDX);
    VirtQueueRegs *r = &f->vdev.vqr[0];
    r->desc = DESC_GPA;
    r->avail = AVAIL_GPA;
    r->used = USED_GPA;
    r->enabled = 1;
    r->vector = 3;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    virtio_cleanup(&f->vdev);
    guest_ram_destroy(&f->ram);
}

static void negotiate(Fixture *f, uint64_t features)
{
    virtio_set_features(&f->vdev, features);
    virtio_set_status(&f->vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                                    VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void put16(Fixture *f, uint64_t gpa, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    g_assert_true(guest_ram_write(&f->ram, gpa, &v, 2));
}

static uint16_t get16(Fixture *f, uint64_t gpa)
{
    uint16_t v;
    g_assert_true(guest_ram_read(&f->ram, gpa, &v, 2));
    return GUINT16_FROM_LE(v);
}

static uint32_t get32(Fixture *f, uint64_t gpa)
{
    uint32_t v;
    g_assert_true(guest_ram_read(&f->ram, gpa, &v, 4));
    return GUINT32_FROM_LE(v);
}

static void put_desc(Fixture *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    struct vring_desc d = { GUINT64_TO_LE(addr), GUINT32_TO_LE(len), GUINT16_TO_LE(flags),
                            GUINT16_TO_LE(next) };
    g_assert_true(guest_ram_write(&f->ram, table + 16ULL * i, &d, sizeof(d)));
}

static void make_avail(Fixture *f, uint16_t head)
{
    put16(f, AVAIL_GPA + 4 + 2 * (f->avail_idx % QSIZE), head);
    put16(f, AVAIL_GPA + 2, ++f->avail_idx);
}

static void clear_dirty(Fixture *f)
{
    RamSlot *s = &f->ram.slots[0];
    memset(s->tern_dirty, 0, (ram_slot_pages(s) + 7) / 8);
}

static bool page_dirty(Fixture *f, uint64_t gpa)
{
    RamSlot *s = &f->ram.slots[0];
    uint64_t page = gpa / GUEST_PAGE_SIZE;
    return (s->tern_dirty[page / (8 * sizeof(long))] >> (page % (8 * sizeof(long)))) & 1;
}

/* A request as virtio-blk posts one: header out, data in, status in. */
static void test_chain(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, VRING_DESC_F_NEXT, 5);
    put_desc(f, DESC_GPA, 5, 0x200000, 0x3000, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    put_desc(f, DESC_GPA, 2, 0x300000, 1, VRING_DESC_F_WRITE, 0);
    g_assert_true(virtqueue_empty(f->vq));
    make_avail(f, 0);
    g_assert_false(virtqueue_empty(f->vq));

    VirtQueueElement *e = virtqueue_pop(f->vq);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->index, ==, 0);
    g_assert_cmpuint(e->out_num, ==, 1);
    g_assert_cmpuint(e->in_num, ==, 2);
    g_assert_true(e->out_sg[0].iov_base == f->ram.host + 0x100000);
    g_assert_cmpuint(e->out_sg[0].iov_len, ==, 16);
    g_assert_true(e->in_sg[0].iov_base == f->ram.host + 0x200000);
    g_assert_cmpuint(e->in_sg[0].iov_len, ==, 0x3000);
    g_assert_cmpuint(e->in_addr[1], ==, 0x300000);
    g_assert_cmpuint(iov_size(e->in_sg, e->in_num), ==, 0x3001);
    g_assert_null(virtqueue_pop(f->vq));
    g_assert_true(virtqueue_empty(f->vq));

    clear_dirty(f);
    static const uint8_t status = 0;
    g_assert_cmpuint(iov_from_buf(e->in_sg, e->in_num, 0x3000, &status, 1), ==, 1);
    virtqueue_push(f->vq, e, 0x1001);   /* one page of data + ... */
    g_assert_cmpuint(get16(f, USED_GPA + 2), ==, 1);
    g_assert_cmpuint(get32(f, USED_GPA + 4), ==, 0);
    g_assert_cmpuint(get32(f, USED_GPA + 8), ==, 0x1001);
    /* Written: the used ring and the first 0x1001 bytes of the in buffers. */
    g_assert_true(page_dirty(f, USED_GPA));
    g_assert_true(page_dirty(f, 0x200000));
    g_assert_true(page_dirty(f, 0x201000));
    g_assert_false(page_dirty(f, 0x202000));
    g_assert_false(page_dirty(f, 0x100000));
    g_free(e);

    virtio_notify(&f->vdev, f->vq);
    g_assert_cmpuint(f->notifies, ==, 1);
    g_assert_cmpuint(f->last_vector, ==, 3);
    g_assert_cmpuint(f->vdev.isr, ==, VIRTIO_ISR_QUEUE);
    g_assert_false(f->vdev.broken);
}

static void test_no_interrupt_flag(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, 0, 0);
    make_avail(f, 0);
    put16(f, AVAIL_GPA, VRING_AVAIL_F_NO_INTERRUPT);
    VirtQueueElement *e = virtqueue_pop(f->vq);
    g_assert_nonnull(e);
    virtqueue_push(f->vq, e, 0);
    g_free(e);
    virtio_notify(&f->vdev, f->vq);
    g_assert_cmpuint(f->notifies, ==, 0);
    /* Notifications off: the device tells the driver it need not kick. */
    virtio_queue_set_notification(f->vq, false);
    g_assert_cmpuint(get16(f, USED_GPA), ==, VRING_USED_F_NO_NOTIFY);
    virtio_queue_set_notification(f->vq, true);
    g_assert_cmpuint(get16(f, USED_GPA), ==, 0);
}

static void test_indirect(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
    uint64_t table = 0x400000;
    put_desc(f, table, 0, 0x100000, 16, VRING_DESC_F_NEXT, 1);
    put_desc(f, table, 1, 0x200000, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    put_desc(f, table, 2, 0x300000, 1, VRING_DESC_F_WRITE, 0);
    put_desc(f, DESC_GPA, 3, table, 3 * 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 3);
    VirtQueueElement *e = virtqueue_pop(f->vq);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->index, ==, 3);
    g_assert_cmpuint(e->out_num, ==, 1);
    g_assert_cmpuint(e->in_num, ==, 2);
    g_assert_cmpuint(e->in_sg[0].iov_len, ==, 512);
    virtqueue_push(f->vq, e, 513);
    g_assert_cmpuint(get32(f, USED_GPA + 4), ==, 3);
    g_free(e);
}

/* Event index (2.7.10): the device interrupts only when used_idx passes
 * used_event, and publishes avail_event as it takes requests. */
static void test_event_idx(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX);
    for (unsigned i = 0; i < 4; i++) {
        put_desc(f, DESC_GPA, i, 0x100000 + 0x1000 * i, 16, VRING_DESC_F_WRITE, 0);
        make_avail(f, i);
    }
    put16(f, AVAIL_GPA + 4 + 2 * QSIZE, 2);   /* used_event: interrupt after entry 2 */
    for (unsigned i = 0; i < 4; i++) {
        VirtQueueElement *e = virtqueue_pop(f->vq);
        g_assert_nonnull(e);
        g_assert_cmpuint(get16(f, USED_GPA + 4 + 8 * QSIZE), ==, i + 1);   /* avail_event */
        virtqueue_push(f->vq, e, 0);
        g_free(e);
        virtio_notify(&f->vdev, f->vq);
        /* The first interrupt is always sent (nothing signalled yet); the
         * next when used_idx goes from 2 to 3. */
        g_assert_cmpuint(f->notifies, ==, i < 2 ? 1 : 2);
    }
    virtio_queue_set_notification(f->vq, true);
    g_assert_cmpuint(get16(f, USED_GPA + 4 + 8 * QSIZE), ==, 4);
}

static void test_unpop(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, 0, 0);
    put_desc(f, DESC_GPA, 1, 0x100000, 16, 0, 0);
    make_avail(f, 0);
    make_avail(f, 1);
    VirtQueueElement *a = virtqueue_pop(f->vq);
    VirtQueueElement *b = virtqueue_pop(f->vq);
    virtqueue_unpop(f->vq, b);
    g_free(b);
    b = virtqueue_pop(f->vq);
    g_assert_cmpuint(b->index, ==, 1);
    g_assert_cmpuint(f->vq->inuse, ==, 2);
    /* Completed out of order: the used ring says which head finished. */
    virtqueue_push(f->vq, b, 0);
    virtqueue_push(f->vq, a, 0);
    g_assert_cmpuint(get32(f, USED_GPA + 4), ==, 1);
    g_assert_cmpuint(get32(f, USED_GPA + 12), ==, 0);
    g_assert_cmpuint(f->vq->inuse, ==, 0);
    g_free(a);
    g_free(b);
}

/* After a hostile chain: broken, NEEDS_RESET and a config interrupt, no
 * more requests; reset makes the device usable again. */
static void assert_broken(Fixture *f)
{
    g_assert_null(virtqueue_pop(f->vq));
    g_assert_true(f->vdev.broken);
    g_assert_true(virtio_status(&f->vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
    g_assert_true(f->vdev.isr & VIRTIO_ISR_CONFIG);
    g_assert_cmpuint(f->notifies, ==, 1);
    g_assert_null(virtqueue_pop(f->vq));
    /* The driver cannot clear NEEDS_RESET by writing the status. */
    virtio_set_status(&f->vdev, virtio_status(&f->vdev) & ~VIRTIO_CONFIG_S_NEEDS_RESET);
    g_assert_true(virtio_status(&f->vdev) & VIRTIO_CONFIG_S_NEEDS_RESET);
    virtio_set_status(&f->vdev, 0);
    g_assert_false(f->vdev.broken);
    g_assert_cmpuint(virtio_status(&f->vdev), ==, 0);
    g_assert_cmpuint(f->vdev.vqr[0].enabled, ==, 0);
}

static void hostile_setup(Fixture *f)
{
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
    f->vdev.config_vector = 0;
}

static void test_hostile_loop(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, VRING_DESC_F_NEXT, 1);
    put_desc(f, DESC_GPA, 1, 0x100000, 16, VRING_DESC_F_NEXT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_self_loop_indirect(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    uint64_t table = 0x400000;
    put_desc(f, table, 0, 0x100000, 16, VRING_DESC_F_NEXT, 0);
    put_desc(f, DESC_GPA, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_outside_ram(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, RAM_SIZE - 8, 16, 0, 0);   /* straddles the end */
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_overflow(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, UINT64_MAX - 0xff, 0x1000, 0, 0);   /* addr + len wraps */
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_zero_len(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, 0x100000, 0, 0, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_next_out_of_range(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, VRING_DESC_F_NEXT, QSIZE);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_head_out_of_range(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    make_avail(f, 0xffff);
    assert_broken(f);
}

static void test_hostile_too_many(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    /* An indirect table longer than any chain may be. */
    uint64_t table = 0x400000;
    unsigned n = VIRTQUEUE_MAX_SIZE + 1;
    for (unsigned i = 0; i < n; i++) {
        put_desc(f, table, i, 0x100000, 16, i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1);
    }
    put_desc(f, DESC_GPA, 0, table, 16 * n, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_indirect_in_indirect(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    uint64_t table = 0x400000;
    put_desc(f, table, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
    put_desc(f, DESC_GPA, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_indirect_bad_len(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, 0x400000, 17, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_indirect_not_negotiated(Fixture *f, gconstpointer data)
{
    (void)data;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
    f->vdev.config_vector = 0;
    put_desc(f, 0x400000, 0, 0x100000, 16, 0, 0);
    put_desc(f, DESC_GPA, 0, 0x400000, 16, VRING_DESC_F_INDIRECT, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_order(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
    put_desc(f, DESC_GPA, 1, 0x100000, 16, 0, 0);
    make_avail(f, 0);
    assert_broken(f);
}

static void test_hostile_avail_jump(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    put16(f, AVAIL_GPA + 2, QSIZE + 1);   /* more entries than the ring holds */
    g_assert_true(virtqueue_empty(f->vq));
    assert_broken(f);
}

static void test_hostile_ring_outside_ram(Fixture *f, gconstpointer data)
{
    (void)data;
    hostile_setup(f);
    f->vdev.vqr[0].desc = RAM_SIZE - 16;
    put16(f, AVAIL_GPA + 2, 1);
    assert_broken(f);
}

/* Before FEATURES_OK the driver cannot see NEEDS_RESET: the device only
 * stops. */
static void test_broken_before_features_ok(Fixture *f, gconstpointer data)
{
    (void)data;
    put_desc(f, DESC_GPA, 0, 0x100000, 16, VRING_DESC_F_NEXT, 0);
    make_avail(f, 0);
    g_assert_null(virtqueue_pop(f->vq));
    g_assert_true(f->vdev.broken);
    g_assert_cmpuint(virtio_status(&f->vdev), ==, 0);
    g_assert_cmpuint(f->notifies, ==, 0);
}

static void test_features(Fixture *f, gconstpointer data)
{
    (void)data;
    /* Bits not offered are dropped; features stick once accepted. */
    virtio_set_features(&f->vdev, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 40);
    g_assert_cmphex(f->vdev.guest_features, ==, 1ULL << VIRTIO_F_VERSION_1);
    virtio_set_status(&f->vdev, VIRTIO_CONFIG_S_FEATURES_OK);
    virtio_set_features(&f->vdev, 0);
    g_assert_true(virtio_has_feature(&f->vdev, VIRTIO_F_VERSION_1));
    g_assert_true(virtio_host_has_feature(&f->vdev, VIRTIO_F_ANY_LAYOUT));
}

static void test_legacy_layout(Fixture *f, gconstpointer data)
{
    (void)data;
    f->vdev.vqr[0].num = 256;
    virtio_queue_set_legacy_pfn(&f->vdev, 0, 0x12);
    VirtQueueRegs *r = &f->vdev.vqr[0];
    g_assert_cmphex(r->desc, ==, 0x12000);
    g_assert_cmphex(r->avail, ==, 0x12000 + 16 * 256);
    g_assert_cmphex(r->used, ==, 0x14000);   /* 0x13000 + 4 + 512 + 2, aligned up */
    virtio_queue_set_legacy_pfn(&f->vdev, 0, 0);
    g_assert_false(virtio_queue_ready(f->vq));
}

/* Rings at addresses the spec forbids (2.7: desc 16, avail 2, used 4)
 * work, as in QEMU: fields are copied, never accessed misaligned. */
static void test_misaligned(Fixture *f, gconstpointer data)
{
    (void)data;
    const uint64_t desc = DESC_GPA + 8, avail = AVAIL_GPA + 1, used = USED_GPA + 2;
    VirtQueueRegs *r = &f->vdev.vqr[0];
    r->desc = desc;
    r->avail = avail;
    r->used = used;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX);
    for (unsigned n = 0; n < 2 * QSIZE; n++) {
        unsigned head = (3 * n) % QSIZE;
        put_desc(f, desc, head, 0x100000, 16, VRING_DESC_F_NEXT, (head + 1) % QSIZE);
        put_desc(f, desc, (head + 1) % QSIZE, 0x200000, 1, VRING_DESC_F_WRITE, 0);
        put16(f, avail + 4 + 2 * (n % QSIZE), head);
        put16(f, avail + 2, n + 1);
        VirtQueueElement *e = virtqueue_pop(f->vq);
        g_assert_nonnull(e);
        g_assert_cmpuint(e->index, ==, head);
        g_assert_cmpuint(e->out_num, ==, 1);
        g_assert_cmpuint(e->in_num, ==, 1);
        g_assert_cmpuint(get16(f, used + 4 + 8 * QSIZE), ==, n + 1);   /* avail_event */
        virtqueue_push(f->vq, e, 1);
        g_free(e);
        g_assert_cmpuint(get16(f, used + 2), ==, n + 1);
        g_assert_cmpuint(get32(f, used + 4 + 8 * (n % QSIZE)), ==, head);
        g_assert_cmpuint(get32(f, used + 8 + 8 * (n % QSIZE)), ==, 1);
    }
    g_assert_false(f->vdev.broken);
}

static unsigned handled;

static void count_handler(VirtioDevice *vdev, VirtQueue *vq)
{
    (void)vdev;
    (void)vq;
    handled++;
}

/* Bus mastering off (the transport sets disabled): no kick reaches the
 * device and nothing is popped, until a reset. */
static void test_disabled(Fixture *f, gconstpointer data)
{
    (void)data;
    f->vq->handle = count_handler;
    handled = 0;
    negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
    put_desc(f, DESC_GPA, 0, 0x100000, 16, 0, 0);
    make_avail(f, 0);
    f->vdev.disabled = true;
    virtio_queue_notify(&f->vdev, 0);
    g_assert_cmpuint(handled, ==, 0);
    g_assert_null(virtqueue_pop(f->vq));
    f->vdev.disabled = false;
    virtio_queue_notify(&f->vdev, 0);
    g_assert_cmpuint(handled, ==, 1);
    VirtQueueElement *e = virtqueue_pop(f->vq);
    g_assert_nonnull(e);
    g_free(e);
    f->vdev.disabled = true;
    virtio_reset(&f->vdev);
    g_assert_false(f->vdev.disabled);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Hostile chains log one warning each: expected here. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    g_log_set_fatal_mask("tern-virtio", G_LOG_LEVEL_CRITICAL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/virtqueue/chain", test_chain);
    ADD("/virtqueue/no-interrupt-flag", test_no_interrupt_flag);
    ADD("/virtqueue/indirect", test_indirect);
    ADD("/virtqueue/event-idx", test_event_idx);
    ADD("/virtqueue/unpop", test_unpop);
    ADD("/virtqueue/features", test_features);
    ADD("/virtqueue/legacy-layout", test_legacy_layout);
    ADD("/virtqueue/misaligned", test_misaligned);
    ADD("/virtqueue/disabled", test_disabled);
    ADD("/virtqueue/hostile/loop", test_hostile_loop);
    ADD("/virtqueue/hostile/indirect-loop", test_hostile_self_loop_indirect);
    ADD("/virtqueue/hostile/outside-ram", test_hostile_outside_ram);
    ADD("/virtqueue/hostile/length-overflow", test_hostile_overflow);
    ADD("/virtqueue/hostile/zero-length", test_hostile_zero_len);
    ADD("/virtqueue/hostile/next-out-of-range", test_hostile_next_out_of_range);
    ADD("/virtqueue/hostile/head-out-of-range", test_hostile_head_out_of_range);
    ADD("/virtqueue/hostile/too-many-descriptors", test_hostile_too_many);
    ADD("/virtqueue/hostile/indirect-in-indirect", test_hostile_indirect_in_indirect);
    ADD("/virtqueue/hostile/indirect-bad-length", test_hostile_indirect_bad_len);
    ADD("/virtqueue/hostile/indirect-not-negotiated", test_hostile_indirect_not_negotiated);
    ADD("/virtqueue/hostile/write-then-read", test_hostile_order);
    ADD("/virtqueue/hostile/avail-index-jump", test_hostile_avail_jump);
    ADD("/virtqueue/hostile/ring-outside-ram", test_hostile_ring_outside_ram);
    ADD("/virtqueue/hostile/before-features-ok", test_broken_before_features_ok);
    return g_test_run();
}
