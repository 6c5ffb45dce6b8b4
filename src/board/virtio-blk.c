/* virtio-blk-pci (virtio 1.2, 5.2): read, write, flush, get-id, discard
 * and write-zeroes on a block backend, as QEMU 7.2's device offers them
 * (features, config layout, property names and checks).
 *
 * Requests go to the block layer as they are popped and complete in
 * whatever order it finishes them. A failed request follows the drive's
 * error policy; with werror/rerror=stop it is kept and submitted again
 * when the VM runs again, so nothing is lost. A reset (device or queue)
 * and an unplug first drain the backend: no request reads or writes
 * guest memory after the driver got it back. */
#define G_LOG_DOMAIN "tern-virtio"
#include "block/block.h"
#include "board/pc.h"
#include "board/virtio-pci.h"
#include "util/error.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <string.h>

#define SECTOR_SIZE 512
#define VIRTIO_BLK_AUTO_NUM_QUEUES 0xffff
#define MAX_REQUEST_SECTORS 0x3fffff   /* QEMU's BDRV_REQUEST_MAX_SECTORS */
/* The config's length follows the features, as QEMU 7.2 sizes it: up to
 * num_queues, then the discard fields, then write-zeroes ones. */
#define BLK_CONFIG_LEN_BASE 36
#define BLK_CONFIG_LEN_DISCARD 48
#define BLK_CONFIG_LEN 57
#define OUTHDR_LEN 16                  /* type, ioprio, sector */
#define DWZ_LEN 16                     /* sector, num_sectors, flags */

typedef struct VirtioBlkState VirtioBlkState;

typedef struct VirtioBlkReq {
    BlockRequest br;
    VirtioBlkState *s;
    VirtQueue *vq;
    VirtQueueElement *elem;
    uint32_t type;
    struct iovec *data;                /* the payload without header or status */
    unsigned ndata;
    bool is_read;
} VirtioBlkReq;

struct VirtioBlkState {
    VirtioPciDevice vpci;
    /* Properties. */
    char *drive;
    char *serial;
    uint16_t num_queues, queue_size;
    uint64_t logical_block_size, physical_block_size, min_io_size, opt_io_size;
    int write_cache;                   /* OnOffAuto */
    bool config_wce, discard, write_zeroes, seg_max_adjust;
    uint32_t max_discard_sectors, max_write_zeroes_sectors;
    uint32_t cyls, heads, secs;
    /* Runtime. */
    BlockBackend *blk;
    bool original_wce;
    GPtrArray *inflight;               /* VirtioBlkReq submitted, not completed */
    GQueue retry;                      /* failed with werror/rerror=stop */
    GSource *continue_source;          /* a queue stopped at its budget */
    bool continue_on_resume;           /* ... and the VM was paused then */
    /* Saved. */
    uint8_t wce;
};

static VirtioBlkState *blk_from_vdev(VirtioDevice *vdev)
{
    return (VirtioBlkState *)((uint8_t *)vdev - offsetof(VirtioBlkState, vpci.vdev));
}

/* ---- completion ---- */

static void req_free(VirtioBlkReq *r)
{
    g_free(r->data);
    g_free(r->elem);
    g_free(r);
}

/* Writes the status byte (the last byte of the in buffers) and hands the
 * request back to the driver. */
static void req_complete(VirtioBlkReq *r, uint8_t status)
{
    VirtQueueElement *e = r->elem;
    VirtioDevice *vdev = virtio_queue_device(r->vq);
    size_t in_len = iov_size(e->in_sg, e->in_num);
    const struct iovec *last = &e->in_sg[e->in_num - 1];
    iov_from_buf(e->in_sg, e->in_num, in_len - 1, &status, 1);
    /* The push marks what it reports as written, which may stop short of
     * the status byte when the in area is larger than a used length. */
    guest_ram_mark_dirty(vdev->ram, e->in_addr[e->in_num - 1] + last->iov_len - 1, 1);
    /* QEMU reports the whole in area as written (truncated to 32 bits;
     * Tern says as much as it can). */
    virtqueue_push(r->vq, e, MIN(in_len, (size_t)UINT32_MAX));
    virtio_notify(virtio_queue_device(r->vq), r->vq);
    req_free(r);
}

static bool blk_op_is_read(BlockOp op)
{
    return op == BLOCK_OP_READ;
}

static void req_done(BlockRequest *br, int ret)
{
    VirtioBlkReq *r = br->opaque;
    VirtioBlkState *s = r->s;
    g_ptr_array_remove_fast(s->inflight, r);
    if (ret == 0) {
        req_complete(r, VIRTIO_BLK_S_OK);
        return;
    }
    /* Discard and write-zeroes a backend cannot do are "unsupported",
     * never a policy matter (QEMU). */
    if (ret == -ENOTSUP && (br->op == BLOCK_OP_DISCARD || br->op == BLOCK_OP_WRITE_ZEROES)) {
        req_complete(r, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    bool is_read = blk_op_is_read(br->op);
    BlockErrorAction action = blk_error_action(s->blk, is_read, -ret);
    if (action == BLOCK_ERROR_ACTION_STOP) {
        g_queue_push_tail(&s->retry, r);
    }
    blk_report_error(s->blk, action, is_read, -ret);
    switch (action) {
    case BLOCK_ERROR_ACTION_STOP:
        break;
    case BLOCK_ERROR_ACTION_REPORT:
        req_complete(r, VIRTIO_BLK_S_IOERR);
        break;
    case BLOCK_ERROR_ACTION_IGNORE:
        req_complete(r, VIRTIO_BLK_S_OK);
        break;
    }
}

static void req_submit(VirtioBlkState *s, VirtioBlkReq *r)
{
    r->br.cb = req_done;
    r->br.opaque = r;
    g_ptr_array_add(s->inflight, r);
    blk_submit(s->blk, &r->br);
}

/* ---- parsing ---- */

/* The iovec without its first `skip` bytes and its last `trim` bytes. */
static struct iovec *iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t trim,
                               unsigned *out_n)
{
    size_t total = iov_size(iov, n);
    size_t want = total - skip - trim;   /* callers ensure skip + trim <= total */
    struct iovec *out = g_new(struct iovec, MAX(n, 1u));
    unsigned k = 0;
    for (unsigned i = 0; i < n && want; i++) {
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        size_t l = MIN(len - skip, want);
        out[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, l };
        want -= l;
        skip = 0;
    }
    *out_n = k;
    return out;
}

static uint32_t logical_block(VirtioBlkState *s)
{
    return s->logical_block_size;
}

/* A request's sectors must be aligned to the logical block, at most
 * MAX_REQUEST_SECTORS long and lie within the disk (QEMU's
 * virtio_blk_sect_range_ok). */
static bool sect_range_ok(VirtioBlkState *s, uint64_t sector, uint64_t bytes)
{
    uint64_t lbs = logical_block(s);
    uint64_t len = blk_length(s->blk);
    if (bytes / SECTOR_SIZE > MAX_REQUEST_SECTORS) {
        return false;
    }
    if (sector & (lbs / SECTOR_SIZE - 1) || bytes % lbs) {
        return false;
    }
    if (sector > len / SECTOR_SIZE || bytes > len - sector * SECTOR_SIZE) {
        return false;
    }
    return true;
}

static void handle_get_id(VirtioBlkState *s, VirtioBlkReq *r)
{
    const char *serial = s->serial ? s->serial : "";
    size_t n = MIN(strlen(serial) + 1, MIN(iov_size(r->data, r->ndata), VIRTIO_BLK_ID_BYTES));
    iov_from_buf(r->data, r->ndata, 0, serial, n);
    req_complete(r, VIRTIO_BLK_S_OK);
}

/* Discard and write-zeroes carry one range (max_*_seg is 1). */
static void handle_dwz(VirtioBlkState *s, VirtioBlkReq *r, bool is_wz)
{
    VirtioDevice *vdev = &s->vpci.vdev;
    uint8_t seg[DWZ_LEN];
    if (iov_to_buf(r->data, r->ndata, 0, seg, DWZ_LEN) != DWZ_LEN) {
        virtio_error(vdev, "virtio-blk discard/write_zeroes header too short");
        req_free(r);
        return;
    }
    uint64_t sector = GUINT64_FROM_LE(*(uint64_t *)seg);
    uint32_t num = GUINT32_FROM_LE(*(uint32_t *)(seg + 8));
    uint32_t flags = GUINT32_FROM_LE(*(uint32_t *)(seg + 12));
    uint32_t max = is_wz ? s->max_write_zeroes_sectors : s->max_discard_sectors;
    uint32_t allowed = is_wz ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
    if (iov_size(r->data, r->ndata) > DWZ_LEN || flags & ~allowed) {
        req_complete(r, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    if (num > max || !sect_range_ok(s, sector, (uint64_t)num * SECTOR_SIZE)) {
        req_complete(r, VIRTIO_BLK_S_IOERR);
        return;
    }
    r->br = (BlockRequest){
        .op = is_wz ? BLOCK_OP_WRITE_ZEROES : BLOCK_OP_DISCARD,
        .offset = sector * SECTOR_SIZE,
        .bytes = (uint64_t)num * SECTOR_SIZE,
    };
    req_submit(s, r);
}

static void handle_rw(VirtioBlkState *s, VirtioBlkReq *r, uint64_t sector)
{
    uint64_t bytes = iov_size(r->data, r->ndata);
    if (!sect_range_ok(s, sector, bytes)) {
        req_complete(r, VIRTIO_BLK_S_IOERR);
        return;
    }
    r->br = (BlockRequest){
        .op = r->is_read ? BLOCK_OP_READ : BLOCK_OP_WRITE,
        .offset = sector * SECTOR_SIZE,
        .bytes = bytes,
        .iov = r->data,
        .niov = r->ndata,
    };
    req_submit(s, r);
}

/* One popped element; false when the driver broke the protocol. */
static bool handle_request(VirtioBlkState *s, VirtQueue *vq, VirtQueueElement *e)
{
    VirtioDevice *vdev = &s->vpci.vdev;
    uint8_t hdr[OUTHDR_LEN];
    if (e->out_num < 1 || e->in_num < 1) {
        virtio_error(vdev, "virtio-blk missing headers");
        g_free(e);
        return false;
    }
    if (iov_to_buf(e->out_sg, e->out_num, 0, hdr, OUTHDR_LEN) != OUTHDR_LEN) {
        virtio_error(vdev, "virtio-blk request outhdr too short");
        g_free(e);
        return false;
    }
    /* The status byte is the in area's last (in_sg entries are >= 1). */
    VirtioBlkReq *r = g_new0(VirtioBlkReq, 1);
    r->s = s;
    r->vq = vq;
    r->elem = e;
    r->type = GUINT32_FROM_LE(*(uint32_t *)hdr) & ~VIRTIO_BLK_T_BARRIER;
    uint64_t sector = GUINT64_FROM_LE(*(uint64_t *)(hdr + 8));
    r->is_read = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID;
    if (r->is_read) {
        r->data = iov_slice(e->in_sg, e->in_num, 0, 1, &r->ndata);
    } else {
        r->data = iov_slice(e->out_sg, e->out_num, OUTHDR_LEN, 0, &r->ndata);
    }
    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        handle_rw(s, r, sector);
        break;
    case VIRTIO_BLK_T_FLUSH:
        r->br = (BlockRequest){ .op = BLOCK_OP_FLUSH };
        req_submit(s, r);
        break;
    case VIRTIO_BLK_T_GET_ID:
        handle_get_id(s, r);
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: {
        bool is_wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
        if (!virtio_has_feature(vdev, is_wz ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD)) {
            req_complete(r, VIRTIO_BLK_S_UNSUPP);
            break;
        }
        handle_dwz(s, r, is_wz);
        break;
    }
    default:
        req_complete(r, VIRTIO_BLK_S_UNSUPP);
        break;
    }
    return !vdev->broken;
}

static void virtio_blk_handle_queue(VirtioDevice *vdev, VirtQueue *vq);

/* Continues queues whose handler stopped at its budget. */
static gboolean virtio_blk_continue(gpointer opaque)
{
    VirtioBlkState *s = opaque;
    g_clear_pointer(&s->continue_source, g_source_unref);
    /* A paused VM's queues wait for the resume. */
    if (!runstate_is_running(s->vpci.pci.parent.machine->state)) {
        s->continue_on_resume = true;
        return G_SOURCE_REMOVE;
    }
    for (unsigned i = 0; i < s->vpci.vdev.nvqs; i++) {
        virtio_queue_notify(&s->vpci.vdev, i);
    }
    return G_SOURCE_REMOVE;
}

static void virtio_blk_cancel_continue(VirtioBlkState *s)
{
    s->continue_on_resume = false;
    if (s->continue_source) {
        g_source_destroy(s->continue_source);
        g_clear_pointer(&s->continue_source, g_source_unref);
    }
}

/* The driver kicked: take everything it posted. Notifications stay off
 * while we drain, and the ring is checked again after re-enabling them
 * so a request added in between is not missed. Requests that complete at
 * once (get-id, bad ranges) free their slots, so a driver could keep the
 * loop going for ever: past a budget the rest waits for the next main
 * loop iteration, and the machine lock is released in between. */
static void virtio_blk_handle_queue(VirtioDevice *vdev, VirtQueue *vq)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    unsigned budget = 4 * vdev->vqr[virtio_queue_index(vq)].num;
    if (!s->blk) {
        return;
    }
    do {
        virtio_queue_set_notification(vq, false);
        VirtQueueElement *e;
        while ((e = virtqueue_pop(vq))) {
            if (!handle_request(s, vq, e)) {
                return;
            }
            if (!--budget) {
                virtio_queue_set_notification(vq, true);
                if (!s->continue_source) {
                    s->continue_source = g_idle_source_new();
                    g_source_set_callback(s->continue_source, virtio_blk_continue, s, NULL);
                    g_source_attach(s->continue_source, s->vpci.pci.parent.machine->ctx);
                }
                blk_flush_submissions(s->blk);
                return;
            }
        }
        virtio_queue_set_notification(vq, true);
    } while (!virtqueue_empty(vq));
    blk_flush_submissions(s->blk);
}

/* ---- retry after a stop ---- */

static void virtio_blk_retry(VirtioBlkState *s)
{
    VirtioBlkReq *r;
    while ((r = g_queue_pop_head(&s->retry))) {
        req_submit(s, r);
    }
    blk_flush_submissions(s->blk);
}

static void virtio_blk_state_changed(void *opaque, RunState old, RunState state)
{
    VirtioBlkState *s = opaque;
    (void)old;
    if (state != RUN_STATE_RUNNING) {
        return;
    }
    if (!g_queue_is_empty(&s->retry)) {
        virtio_blk_retry(s);
    }
    if (s->continue_on_resume) {
        s->continue_on_resume = false;
        for (unsigned i = 0; i < s->vpci.vdev.nvqs; i++) {
            virtio_queue_notify(&s->vpci.vdev, i);
        }
    }
}

static void virtio_blk_resized(void *opaque)
{
    VirtioBlkState *s = opaque;
    virtio_notify_config(&s->vpci.vdev);
}

/* ---- the virtio device ---- */

static void put_le16(uint8_t *p, uint16_t v)
{
    pci_set_word(p, v);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    pci_set_long(p, v);
}

/* The legacy CHS geometry when none is given: 16 heads, 63 sectors, and
 * as many cylinders as fit (2 to 16383), QEMU's guess for a disk without
 * a partition table. */
static void geometry(VirtioBlkState *s, uint32_t *c, uint32_t *h, uint32_t *sec)
{
    if (s->cyls && s->heads && s->secs) {
        *c = s->cyls, *h = s->heads, *sec = s->secs;
        return;
    }
    uint64_t cyl = blk_length(s->blk) / SECTOR_SIZE / (16 * 63);
    *c = CLAMP(cyl, 2, 16383);
    *h = 16;
    *sec = 63;
}

static void virtio_blk_get_config(VirtioDevice *vdev, uint8_t *cfg)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    uint32_t lbs = logical_block(s), c, h, sec;
    /* Filled in full; the core shows the guest config_len bytes of it. */
    memset(cfg, 0, BLK_CONFIG_LEN);
    uint64_t cap = GUINT64_TO_LE(blk_length(s->blk) / SECTOR_SIZE);
    memcpy(cfg + 0, &cap, 8);
    put_le32(cfg + 12, s->seg_max_adjust ? s->queue_size - 2 : 128 - 2);
    geometry(s, &c, &h, &sec);
    put_le16(cfg + 16, c);
    cfg[18] = h;
    cfg[19] = sec & ~(lbs / SECTOR_SIZE - 1);   /* whole logical blocks, as QEMU */
    put_le32(cfg + 20, lbs);
    cfg[24] = g_bit_storage(s->physical_block_size / lbs) - 1;   /* physical_block_exp */
    put_le16(cfg + 26, s->min_io_size / lbs);
    put_le32(cfg + 28, s->opt_io_size / lbs);
    cfg[32] = blk_enable_write_cache(s->blk);
    put_le16(cfg + 34, s->num_queues);
    put_le32(cfg + 36, s->max_discard_sectors);
    put_le32(cfg + 40, 1);                          /* max_discard_seg */
    put_le32(cfg + 44, lbs / SECTOR_SIZE);          /* discard_sector_alignment */
    put_le32(cfg + 48, s->max_write_zeroes_sectors);
    put_le32(cfg + 52, 1);                          /* max_write_zeroes_seg */
    cfg[56] = 1;                                    /* write_zeroes_may_unmap */
}

/* Only the write-back byte is the driver's (5.2.4, CONFIG_WCE). */
static void virtio_blk_set_config(VirtioDevice *vdev, const uint8_t *cfg)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    s->wce = cfg[32] != 0;
    blk_set_enable_write_cache(s->blk, s->wce);
}

static uint64_t virtio_blk_get_features(VirtioDevice *vdev, uint64_t f)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    f |= 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_GEOMETRY |
         1ULL << VIRTIO_BLK_F_TOPOLOGY | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
         1ULL << VIRTIO_BLK_F_FLUSH;
    if (s->config_wce) {
        f |= 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
    }
    if (blk_is_read_only(s->blk)) {
        f |= 1ULL << VIRTIO_BLK_F_RO;
    }
    if (s->num_queues > 1) {
        f |= 1ULL << VIRTIO_BLK_F_MQ;
    }
    if (s->discard) {
        f |= 1ULL << VIRTIO_BLK_F_DISCARD;
    }
    if (s->write_zeroes) {
        f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    }
    /* A legacy-only device offers what legacy drivers know: SCSI (whose
     * requests get UNSUPP) rather than ANY_LAYOUT, as QEMU does. */
    if (!(f & 1ULL << VIRTIO_F_VERSION_1)) {
        f &= ~(1ULL << VIRTIO_F_ANY_LAYOUT);
        f |= 1ULL << VIRTIO_BLK_F_SCSI;
    }
    return f;
}

/* A driver without CONFIG_WCE gets write-back exactly when it can flush
 * (5.2.5.1, legacy interface). */
static void virtio_blk_set_status(VirtioDevice *vdev, uint8_t status)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
        s->wce = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
        blk_set_enable_write_cache(s->blk, s->wce);
    }
}

/* Completes every request in flight, so none touches guest memory after
 * the driver got its buffers back; those kept for a retry after a stop
 * are dropped (the driver has forgotten them). Completions may still land
 * in the used rings: reset clears them next. */
static void virtio_blk_drain(VirtioBlkState *s, VirtQueue *vq)
{
    virtio_blk_cancel_continue(s);
    if (s->blk) {
        blk_drain(s->blk);
    }
    for (GList *l = s->retry.head, *next; l; l = next) {
        VirtioBlkReq *r = l->data;
        next = l->next;
        if (!vq || r->vq == vq) {
            g_queue_delete_link(&s->retry, l);
            req_free(r);
        }
    }
    /* Completions removed themselves; anything left is a block layer bug
     * that must not become a use after free. */
    if (s->inflight->len) {
        g_warning("virtio-blk: %u requests survived a drain", s->inflight->len);
    }
}

static void virtio_blk_queue_reset(VirtioDevice *vdev, VirtQueue *vq)
{
    virtio_blk_drain(blk_from_vdev(vdev), vq);
}

static void virtio_blk_reset(VirtioDevice *vdev)
{
    VirtioBlkState *s = blk_from_vdev(vdev);
    virtio_blk_drain(s, NULL);
    s->wce = s->original_wce;
    if (s->blk) {
        blk_set_enable_write_cache(s->blk, s->wce);
    }
}

static const VirtioDeviceClass virtio_blk_class = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = 0x0100,               /* mass storage, SCSI (QEMU's choice) */
    .pci_device_id_legacy = 0x1001,
    .get_features = virtio_blk_get_features,
    .get_config = virtio_blk_get_config,
    .set_config = virtio_blk_set_config,
    .set_status = virtio_blk_set_status,
    .reset = virtio_blk_reset,
    .queue_reset = virtio_blk_queue_reset,
};

/* ---- the PCI device ---- */

static bool check_block_size(const char *name, uint64_t v, GError **errp)
{
    if (v && (v < 512 || v > 2 * 1024 * 1024 || (v & (v - 1)))) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Property .%s doesn't take value '%" G_GUINT64_FORMAT "', it's not a power of 2",
                    name, v);
        return false;
    }
    return true;
}

static bool virtio_blk_check_props(VirtioBlkState *s, GError **errp)
{
    if (!s->drive || !*s->drive) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "drive property not set");
        return false;
    }
    if (!check_block_size("logical_block_size", s->logical_block_size, errp) ||
        !check_block_size("physical_block_size", s->physical_block_size, errp)) {
        return false;
    }
    if (s->num_queues == VIRTIO_BLK_AUTO_NUM_QUEUES) {
        s->num_queues = 1;
    }
    if (!s->num_queues) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "num-queues property must be larger than 0");
        return false;
    }
    if (s->num_queues > VIRTIO_QUEUE_MAX) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "num-queues property must be at most %u", VIRTIO_QUEUE_MAX);
        return false;
    }
    if (s->queue_size <= 2) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "invalid queue-size property (%u), must be > 2", s->queue_size);
        return false;
    }
    if ((s->queue_size & (s->queue_size - 1)) || s->queue_size > VIRTQUEUE_MAX_SIZE) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "invalid queue-size property (%u), must be a power of 2 (max %d)",
                    s->queue_size, VIRTQUEUE_MAX_SIZE);
        return false;
    }
    if (!s->max_discard_sectors || s->max_discard_sectors > MAX_REQUEST_SECTORS) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "invalid max-discard-sectors property (%u), must be between 1 and %d",
                    s->max_discard_sectors, MAX_REQUEST_SECTORS);
        return false;
    }
    if (!s->max_write_zeroes_sectors || s->max_write_zeroes_sectors > MAX_REQUEST_SECTORS) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "invalid max-write-zeroes-sectors property (%u), must be between 1 and %d",
                    s->max_write_zeroes_sectors, MAX_REQUEST_SECTORS);
        return false;
    }
    if (!s->logical_block_size) {
        s->logical_block_size = SECTOR_SIZE;
    }
    if (!s->physical_block_size) {
        s->physical_block_size = SECTOR_SIZE;
    }
    if (s->logical_block_size > s->physical_block_size) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "logical_block_size > physical_block_size not supported");
        return false;
    }
    return true;
}

static bool virtio_blk_realize(DeviceState *dev, GError **errp)
{
    VirtioBlkState *s = (VirtioBlkState *)dev;
    Machine *m = dev->machine;
    if (!virtio_blk_check_props(s, errp)) {
        return false;
    }
    s->blk = blk_attach_by_name(m->block, s->drive, dev->id, errp);
    if (!s->blk) {
        return false;
    }
    if (!blk_root(s->blk)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Device needs media, but drive is empty");
        blk_detach_keep(s->blk);
        s->blk = NULL;
        return false;
    }
    if (s->write_cache != ON_OFF_AUTO_AUTO) {
        blk_set_enable_write_cache(s->blk, s->write_cache == ON_OFF_AUTO_ON);
    }
    s->original_wce = blk_enable_write_cache(s->blk);
    s->wce = s->original_wce;
    s->inflight = g_ptr_array_new();
    g_queue_init(&s->retry);

    virtio_pci_init(&s->vpci, &virtio_blk_class,
                    s->write_zeroes ? BLK_CONFIG_LEN
                    : s->discard    ? BLK_CONFIG_LEN_DISCARD
                                    : BLK_CONFIG_LEN_BASE);
    for (unsigned i = 0; i < s->num_queues; i++) {
        virtio_add_queue(&s->vpci.vdev, s->queue_size, virtio_blk_handle_queue);
    }
    if (!virtio_pci_realize(&s->vpci, s->num_queues + 1, errp)) {
        virtio_cleanup(&s->vpci.vdev);
        g_ptr_array_unref(s->inflight);
        blk_detach_keep(s->blk);   /* a failed device_add leaves the -drive, as QEMU */
        s->blk = NULL;
        return false;
    }
    blk_set_resize_cb(s->blk, virtio_blk_resized, s);
    MachineObserver obs = { .state_changed = virtio_blk_state_changed, .opaque = s };
    machine_add_observer(m, &obs);
    return true;
}

static void virtio_blk_unrealize(DeviceState *dev)
{
    VirtioBlkState *s = (VirtioBlkState *)dev;
    machine_remove_observer(dev->machine, s);
    /* No kick may run once the requests are gone, then none may be left. */
    virtio_pci_stop(&s->vpci);
    virtio_blk_drain(s, NULL);
    g_ptr_array_unref(s->inflight);
    blk_set_resize_cb(s->blk, NULL, NULL);
    virtio_pci_unrealize(&s->vpci);
    blk_detach(s->blk);
    s->blk = NULL;
}

static void virtio_blk_dev_reset(DeviceState *dev)
{
    virtio_pci_reset(&((VirtioBlkState *)dev)->vpci);
}

static bool virtio_blk_post_load(void *obj, GError **errp)
{
    VirtioBlkState *s = obj;
    if (!virtio_pci_post_load(&s->vpci, errp)) {
        return false;
    }
    s->wce = !!s->wce;
    blk_set_enable_write_cache(s->blk, s->wce);
    return true;
}

static const StateField virtio_blk_fields[] = {
    VIRTIO_PCI_STATE_FIELDS(VirtioBlkState, vpci, 1),
    STATE_UINT(VirtioBlkState, wce),
    STATE_END,
};

static const StateDescription virtio_blk_state = {
    .name = "virtio-blk", .version = 1, .fields = virtio_blk_fields,
    .post_load = virtio_blk_post_load,
};

static const DeviceProperty virtio_blk_props[] = {
    DEFINE_PCI_DEVICE_PROPS(VirtioBlkState, vpci.pci),
    VIRTIO_PCI_PROPS(VirtioBlkState, vpci),
    DEFINE_PROP_STRING("drive", VirtioBlkState, drive),
    DEFINE_PROP_STRING("serial", VirtioBlkState, serial),
    DEFINE_PROP_U16("num-queues", VirtioBlkState, num_queues, VIRTIO_BLK_AUTO_NUM_QUEUES),
    DEFINE_PROP_U16("queue-size", VirtioBlkState, queue_size, 256),
    DEFINE_PROP_SIZE("logical_block_size", VirtioBlkState, logical_block_size, 0),
    DEFINE_PROP_SIZE("physical_block_size", VirtioBlkState, physical_block_size, 0),
    DEFINE_PROP_SIZE("min_io_size", VirtioBlkState, min_io_size, 0),
    DEFINE_PROP_SIZE("opt_io_size", VirtioBlkState, opt_io_size, 0),
    DEFINE_PROP_ON_OFF_AUTO("write-cache", VirtioBlkState, write_cache, ON_OFF_AUTO_AUTO),
    DEFINE_PROP_BOOL("config-wce", VirtioBlkState, config_wce, true),
    DEFINE_PROP_BOOL("discard", VirtioBlkState, discard, true),
    DEFINE_PROP_BOOL("write-zeroes", VirtioBlkState, write_zeroes, true),
    DEFINE_PROP_BOOL("seg-max-adjust", VirtioBlkState, seg_max_adjust, true),
    DEFINE_PROP_U32("max-discard-sectors", VirtioBlkState, max_discard_sectors,
                    MAX_REQUEST_SECTORS),
    DEFINE_PROP_U32("max-write-zeroes-sectors", VirtioBlkState, max_write_zeroes_sectors,
                    MAX_REQUEST_SECTORS),
    DEFINE_PROP_U32("cyls", VirtioBlkState, cyls, 0),
    DEFINE_PROP_U32("heads", VirtioBlkState, heads, 0),
    DEFINE_PROP_U32("secs", VirtioBlkState, secs, 0),
    DEFINE_PROP_END,
};

const DeviceInfo virtio_blk_pci_info = {
    .name = "virtio-blk-pci",
    .parent = "pci-device",   /* QEMU: virtio-blk-pci-base */
    .desc = "Virtio block device",
    .instance_size = sizeof(VirtioBlkState),
    .user_creatable = true,
    .props = virtio_blk_props,
    .realize = virtio_blk_realize,
    .unrealize = virtio_blk_unrealize,
    .reset = virtio_blk_dev_reset,
    .state = &virtio_blk_state,
};
