/* virtio-blk-pci regressions from a code review: requests in flight at a
 * device reset, queue reset or unplug complete before it (no DMA after),
 * bus mastering off stops the device, over-long requests fail, a zero
 * queue_enable breaks the device, misaligned rings work.
 *
 * With TERN_QTEST_QEMU=1 the same tests drive Debian's QEMU 7.2 running a
 * hlt BIOS under TCG, as evidence of what QEMU does; checks that need
 * Tern's virtual-clock throttling or synchronous kicks are Tern-only. */
#include "libqvirtio.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <string.h>
#include <unistd.h>

#define IMG_SIZE (1024 * 1024)
#define SECTOR 512
#define BIT(n) (1ull << (n))
#define PCI_ID_VIRTIO_BLK 0x1001
#define DEVFN_SLOT4 (4 << 3)
#define MAX_REQUEST_SECTORS 0x3fffffull   /* QEMU's BDRV_REQUEST_MAX_SECTORS */

static const char *extra_args = "";
static bool running_qemu;

typedef struct Blk {
    QTestState *qts;
    QVirtioPci *dev;
    QVirtQueue *vq;
    char *dir, *img;
} Blk;

typedef struct Req {
    uint64_t hdr, data, status;
    uint16_t head;
} Req;

static uint8_t pattern(uint64_t off)
{
    return (off * 131 + (off >> 9) * 7 + 1) & 0xff;
}

/* A VM on a fresh image of img_size bytes (the pattern when small, a
 * sparse file otherwise). */
static Blk *blk_start_sized(uint64_t img_size, const char *machine_opts,
                            const char *drive_opts)
{
    Blk *b = g_new0(Blk, 1);
    g_autoptr(GError) err = NULL;
    b->dir = g_dir_make_tmp("tern-vrev-XXXXXX", &err);
    g_assert_no_error(err);
    b->img = g_build_filename(b->dir, "disk.img", NULL);
    int fd = open(b->img, O_CREAT | O_RDWR | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    if (img_size <= IMG_SIZE) {
        g_autofree uint8_t *data = g_malloc(img_size);
        for (size_t i = 0; i < img_size; i++) {
            data[i] = pattern(i);
        }
        g_assert_cmpint(pwrite(fd, data, img_size, 0), ==, (ssize_t)img_size);
    } else {
        g_assert_cmpint(ftruncate(fd, img_size), ==, 0);
    }
    close(fd);
    g_autofree char *args = g_strdup_printf(
        "%s -M pc %s -nodefaults -drive if=none,id=d0,file=%s,format=raw%s "
        "-device virtio-blk-pci,drive=d0,addr=0x4",
        extra_args, machine_opts, b->img, drive_opts);
    b->qts = qtest_init(args);
    b->dev = qvirtio_pci_new(b->qts, PCI_ID_VIRTIO_BLK, 0, false);
    return b;
}

static Blk *blk_start(const char *drive_opts)
{
    return blk_start_sized(IMG_SIZE, "", drive_opts);
}

static void blk_stop(Blk *b)
{
    qtest_quit(b->qts);
    qvirtqueue_free(b->vq);
    qvirtio_pci_free(b->dev);
    g_unlink(b->img);
    g_rmdir(b->dir);
    g_free(b->img);
    g_free(b->dir);
    g_free(b);
}

static void blk_setup(Blk *b, uint64_t features)
{
    qvirtio_negotiate(b->dev, BIT(VIRTIO_F_VERSION_1) | features);
    b->vq = qvirtqueue_setup(b->dev, 0, 0, -1);
    qvirtio_driver_ok(b->dev);
}

static void img_read(Blk *b, uint64_t off, void *buf, size_t len)
{
    int fd = open(b->img, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

/* Header, one data buffer (device-writable for reads), status. */
static void req_add(QVirtQueue *vq, Req *r, uint32_t type, uint64_t sector, uint8_t fill)
{
    QVirtioPci *d = vq->dev;
    struct virtio_blk_outhdr hdr = {
        .type = GUINT32_TO_LE(type), .sector = GUINT64_TO_LE(sector),
    };
    r->hdr = qguest_alloc(&d->alloc, sizeof(hdr), 16);
    qtest_bufwrite(d->qts, r->hdr, &hdr, sizeof(hdr));
    r->data = qguest_alloc(&d->alloc, SECTOR, 16);
    qtest_memset(d->qts, r->data, fill, SECTOR);
    r->status = qguest_alloc(&d->alloc, 1, 1);
    qtest_writeb(d->qts, r->status, 0xee);
    QVirtioBuf bufs[3] = {
        { r->hdr, sizeof(hdr), false },
        { r->data, SECTOR, type == VIRTIO_BLK_T_IN },
        { r->status, 1, true },
    };
    r->head = qvirtqueue_add_chain(vq, bufs, 3);
}

static void assert_buf(Blk *b, uint64_t addr, uint64_t pattern_off, int fill)
{
    uint8_t buf[SECTOR];
    qtest_bufread(b->qts, addr, buf, sizeof(buf));
    for (size_t k = 0; k < sizeof(buf); k++) {
        g_assert_cmphex(buf[k], ==, fill >= 0 ? fill : pattern(pattern_off + k));
    }
}

/* ---- requests in flight at reset and unplug ---- */

enum { NREQ = 4 };

/* NREQ requests on a queue throttled to 1 iops: the first goes through,
 * the others wait in the throttle queue. Returns once the device has
 * taken them all (the first completed). */
static void post_throttled(Blk *b, Req *r, uint32_t type, uint64_t sector0)
{
    for (int i = 0; i < NREQ; i++) {
        req_add(b->vq, &r[i], type, sector0 + i, type == VIRTIO_BLK_T_IN ? 0xcc : 0x5a);
        qvirtqueue_publish(b->vq, r[i].head);
    }
    qvirtqueue_kick(b->vq);
    g_assert_true(qvirtqueue_wait_used_idx(b->vq, 1, QVIRTIO_TIMEOUT_US));
}

/* After the reset returned, the driver owns the buffers again: the device
 * must neither write them (reads) nor read them (writes) any more. Tern
 * clocks throttling by the virtual clock under qtest: step it past
 * every throttled request's slot. */
static void reuse_buffers(Blk *b, Req *r)
{
    for (int i = 0; i < NREQ; i++) {
        qtest_memset(b->qts, r[i].data, 0x55, SECTOR);
    }
    if (!running_qemu) {
        qtest_clock_step(b->qts, 10 * (int64_t)1000000000);
        qvirtio_get_status(b->dev);   /* a round trip: completions ran */
    }
}

static void assert_reads_landed(Blk *b, Req *r, uint64_t sector0)
{
    for (int i = 0; i < NREQ; i++) {
        assert_buf(b, r[i].data, (sector0 + i) * SECTOR, -1);
    }
}

static void assert_writes_landed(Blk *b, uint64_t sector0)
{
    uint8_t buf[NREQ * SECTOR];
    img_read(b, sector0 * SECTOR, buf, sizeof(buf));
    for (size_t k = 0; k < sizeof(buf); k++) {
        g_assert_cmphex(buf[k], ==, 0x5a);
    }
}

static void test_reset_drains_reads(void)
{
    Blk *b = blk_start(",throttling.iops-total=1");
    blk_setup(b, 0);
    Req r[NREQ];
    post_throttled(b, r, VIRTIO_BLK_T_IN, 0);
    qvirtio_reset(b->dev);
    assert_reads_landed(b, r, 0);
    reuse_buffers(b, r);
    for (int i = 0; i < NREQ; i++) {
        assert_buf(b, r[i].data, 0, 0x55);
    }
    blk_stop(b);
}

static void test_reset_drains_writes(void)
{
    Blk *b = blk_start(",throttling.iops-total=1");
    blk_setup(b, 0);
    Req r[NREQ];
    post_throttled(b, r, VIRTIO_BLK_T_OUT, 40);
    qvirtio_reset(b->dev);
    assert_writes_landed(b, 40);
    reuse_buffers(b, r);
    assert_writes_landed(b, 40);
    blk_stop(b);
}

static void test_queue_reset_drains(void)
{
    Blk *b = blk_start(",throttling.iops-total=1");
    blk_setup(b, BIT(VIRTIO_F_RING_RESET));
    g_assert_true(b->dev->features & BIT(VIRTIO_F_RING_RESET));
    Req r[NREQ];
    post_throttled(b, r, VIRTIO_BLK_T_IN, 8);
    uint64_t c = b->dev->common.addr;
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_SELECT, 0);
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_RESET, 1);
    g_assert_cmpuint(qtest_readw(b->qts, c + VIRTIO_PCI_COMMON_Q_ENABLE), ==, 0);
    assert_reads_landed(b, r, 8);
    reuse_buffers(b, r);
    for (int i = 0; i < NREQ; i++) {
        assert_buf(b, r[i].data, 0, 0x55);
    }
    blk_stop(b);
}

/* The guest ejects the function (ACPI PCI hotplug, B0EJ) while requests
 * wait in the throttle queue: they complete during the unplug. */
static void test_eject_drains(void)
{
    Blk *b = blk_start(",throttling.iops-total=1");
    blk_setup(b, 0);
    Req r[NREQ];
    post_throttled(b, r, VIRTIO_BLK_T_IN, 16);
    qtest_outl(b->qts, 0xae10, 0);                 /* BNUM: bus 0 */
    qtest_outl(b->qts, 0xae08, 1u << 4);           /* B0EJ: slot 4 */
    g_assert_cmphex(qpci_cfg_readw(b->qts, DEVFN_SLOT4, 0), ==, 0xffff);
    assert_reads_landed(b, r, 16);
    reuse_buffers(b, r);
    for (int i = 0; i < NREQ; i++) {
        assert_buf(b, r[i].data, 0, 0x55);
    }
    blk_stop(b);
}

/* ---- bus mastering ---- */

/* Clearing COMMAND.MASTER takes DRIVER_OK away and the queues stop until
 * the driver sets both again (QEMU 7.2: tests/qtest/scripts/
 * virtio-blk-pci-bme.qt shows the status). */
static void test_bus_master_off(void)
{
    Blk *b = blk_start("");
    blk_setup(b, BIT(VIRTIO_RING_F_EVENT_IDX));
    uint8_t st = qvirtio_get_status(b->dev);
    g_assert_true(st & VIRTIO_CONFIG_S_DRIVER_OK);
    uint16_t cmd = qpci_cfg_readw(b->qts, b->dev->devfn, PCI_COMMAND);
    qpci_cfg_writew(b->qts, b->dev->devfn, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
    g_assert_cmphex(qvirtio_get_status(b->dev), ==, st & ~VIRTIO_CONFIG_S_DRIVER_OK);

    Req r;
    req_add(b->vq, &r, VIRTIO_BLK_T_IN, 3, 0xcc);
    qvirtqueue_publish(b->vq, r.head);
    qvirtqueue_kick(b->vq);
    /* Still off even with DRIVER_OK written back while MASTER is clear. */
    qvirtio_set_status(b->dev, st);
    qvirtqueue_kick(b->vq);
    if (!running_qemu) {
        /* Tern takes a kick synchronously and ignores it at once: had it
         * looked at the ring, avail_event would have moved. (QEMU runs
         * the queue handler, which moves it, and pops nothing.) */
        g_assert_cmpuint(qvirtqueue_avail_event(b->vq), ==, 0);
        g_assert_cmpuint(qvirtqueue_used_idx(b->vq), ==, 0);
        assert_buf(b, r.data, 0, 0xcc);
    }
    qpci_cfg_writew(b->qts, b->dev->devfn, PCI_COMMAND, cmd);
    qvirtio_set_status(b->dev, st);
    qvirtqueue_kick(b->vq);
    uint32_t id, len;
    g_assert_true(qvirtqueue_get_used(b->vq, &id, &len));
    g_assert_cmpuint(id, ==, r.head);
    g_assert_cmphex(qtest_readb(b->qts, r.status), ==, VIRTIO_BLK_S_OK);
    assert_buf(b, r.data, 3 * SECTOR, -1);
    blk_stop(b);
}

/* Linux before 2.6.34 never sets MASTER: a legacy driver's ACKNOWLEDGE |
 * DRIVER status sets it (QEMU does so for them), and the device works
 * after its reset although a COMMAND write had cleared MASTER before. */
static void test_bus_master_legacy_auto(void)
{
    Blk *b = blk_start("");
    qvirtio_pci_free(b->dev);
    b->dev = qvirtio_pci_new(b->qts, PCI_ID_VIRTIO_BLK, 0, true);
    qpci_cfg_writew(b->qts, b->dev->devfn, PCI_COMMAND, PCI_COMMAND_IO);
    qvirtio_negotiate(b->dev, 0);
    g_assert_cmphex(qpci_cfg_readw(b->qts, b->dev->devfn, PCI_COMMAND), ==,
                    PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    b->vq = qvirtqueue_setup(b->dev, 0, 0, -1);
    qvirtio_driver_ok(b->dev);
    Req r;
    req_add(b->vq, &r, VIRTIO_BLK_T_IN, 5, 0xcc);
    qvirtqueue_publish(b->vq, r.head);
    qvirtqueue_kick(b->vq);
    uint32_t id, len;
    g_assert_true(qvirtqueue_get_used(b->vq, &id, &len));
    g_assert_cmphex(qtest_readb(b->qts, r.status), ==, VIRTIO_BLK_S_OK);
    assert_buf(b, r.data, 5 * SECTOR, -1);
    blk_stop(b);
}

/* ---- register and request checks ---- */

/* Only 1 may be written to queue_enable (4.1.4.3.2); QEMU treats
 * anything else as a driver error. */
static void test_queue_enable_zero(void)
{
    Blk *b = blk_start("");
    qvirtio_negotiate(b->dev, BIT(VIRTIO_F_VERSION_1));
    uint64_t c = b->dev->common.addr;
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_SELECT, 0);
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_ENABLE, 0);
    g_assert_true(qvirtio_get_status(b->dev) & VIRTIO_CONFIG_S_NEEDS_RESET);
    blk_stop(b);
}

/* A read or write of more than 0x3fffff sectors fails with IOERR even
 * when the disk is big enough. The data buffers overlap (nothing forbids
 * it), so 3 GiB of RAM hold them; the in area of the read is over 4 GiB,
 * more than the used ring's 32-bit length can say. */
static void test_request_too_big(void)
{
    const uint64_t big = (MAX_REQUEST_SECTORS + 1) * SECTOR;   /* 2 GiB */
    Blk *b = blk_start_sized(8ull << 30, "-m 3G", "");
    blk_setup(b, 0);
    QVirtioPci *d = b->dev;
    uint64_t data = 0x40000000;
    for (int write = 0; write < 2; write++) {
        struct virtio_blk_outhdr hdr = {
            .type = GUINT32_TO_LE(write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN),
        };
        uint64_t h = qguest_alloc(&d->alloc, sizeof(hdr), 16);
        uint64_t st = qguest_alloc(&d->alloc, 1, 1);
        qtest_bufwrite(b->qts, h, &hdr, sizeof(hdr));
        qtest_writeb(b->qts, st, 0xee);
        QVirtioBuf bufs[4] = { { h, sizeof(hdr), false } };
        unsigned n = 1;
        bufs[n++] = (QVirtioBuf){ data, big, !write };
        if (!write) {
            bufs[n++] = (QVirtioBuf){ data, big, true };
        }
        bufs[n++] = (QVirtioBuf){ st, 1, true };
        uint16_t head = qvirtqueue_add_chain(b->vq, bufs, n);
        qvirtqueue_publish(b->vq, head);
        qvirtqueue_kick(b->vq);
        uint32_t id, len;
        g_assert_true(qvirtqueue_get_used(b->vq, &id, &len));
        g_assert_cmpuint(id, ==, head);
        g_assert_cmphex(qtest_readb(b->qts, st), ==, VIRTIO_BLK_S_IOERR);
        if (!write && !running_qemu) {
            /* QEMU truncates 4 GiB + 1 to 1; Tern says as much as it can. */
            g_assert_cmphex(len, ==, UINT32_MAX);
        }
    }
    blk_stop(b);
}

/* Rings at the smallest alignment a driver could pick wrongly: the
 * descriptor table off 16, the available ring off 2, the used ring off 4. */
static QVirtQueue *setup_misaligned(Blk *b)
{
    QVirtioPci *d = b->dev;
    QVirtQueue *vq = g_new0(QVirtQueue, 1);
    uint64_t c = d->common.addr;
    vq->dev = d;
    vq->msix_vector = -1;
    vq->size = 16;
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_SELECT, 0);
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
    uint64_t base = qguest_alloc(&d->alloc, 4096, 4096);
    vq->desc = base + 8;
    vq->avail = base + 0x401;
    vq->used = base + 0x802;
    qtest_memset(b->qts, base, 0, 4096);
    const struct { unsigned off; uint64_t v; } regs[] = {
        { VIRTIO_PCI_COMMON_Q_DESCLO, vq->desc },
        { VIRTIO_PCI_COMMON_Q_AVAILLO, vq->avail },
        { VIRTIO_PCI_COMMON_Q_USEDLO, vq->used },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(regs); i++) {
        qtest_writel(b->qts, c + regs[i].off, (uint32_t)regs[i].v);
        qtest_writel(b->qts, c + regs[i].off + 4, regs[i].v >> 32);
    }
    uint16_t noff = qtest_readw(b->qts, c + VIRTIO_PCI_COMMON_Q_NOFF);
    vq->notify_addr = d->notify.addr + (uint64_t)noff * d->notify_off_multiplier;
    qtest_writew(b->qts, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
    return vq;
}

static void test_misaligned_rings(void)
{
    Blk *b = blk_start("");
    qvirtio_negotiate(b->dev, BIT(VIRTIO_F_VERSION_1));
    b->vq = setup_misaligned(b);
    qvirtio_driver_ok(b->dev);
    for (int i = 0; i < 20; i++) {   /* around the ring and past it */
        Req r;
        req_add(b->vq, &r, VIRTIO_BLK_T_IN, i, 0xcc);
        qvirtqueue_publish(b->vq, r.head);
        qvirtqueue_kick(b->vq);
        uint32_t id, len;
        g_assert_true(qvirtqueue_get_used(b->vq, &id, &len));
        g_assert_cmpuint(id, ==, r.head);
        g_assert_cmpuint(len, ==, SECTOR + 1);
        g_assert_cmphex(qtest_readb(b->qts, r.status), ==, VIRTIO_BLK_S_OK);
        assert_buf(b, r.data, i * SECTOR, -1);
    }
    g_assert_false(qvirtio_get_status(b->dev) & VIRTIO_CONFIG_S_NEEDS_RESET);
    blk_stop(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autofree char *qemu_args = qvirtio_qemu_mode_begin();
    if (qemu_args) {
        extra_args = qemu_args;
        running_qemu = true;
    }
    g_test_add_func("/virtio-review/reset/drains-reads", test_reset_drains_reads);
    g_test_add_func("/virtio-review/reset/drains-writes", test_reset_drains_writes);
    g_test_add_func("/virtio-review/eject/drains", test_eject_drains);
    g_test_add_func("/virtio-review/bus-master/off", test_bus_master_off);
    g_test_add_func("/virtio-review/bus-master/legacy-auto", test_bus_master_legacy_auto);
    g_test_add_func("/virtio-review/queue-enable/zero", test_queue_enable_zero);
    g_test_add_func("/virtio-review/request/too-big", test_request_too_big);
    g_test_add_func("/virtio-review/ring/misaligned", test_misaligned_rings);
    /* QEMU 7.2's virtio-blk has no queue reset of its own. */
    if (!running_qemu) {
        g_test_add_func("/virtio-review/queue-reset/drains", test_queue_reset_drains);
    }
    int ret = g_test_run();
    qvirtio_qemu_mode_end();
    return ret;
}
