/* The block layer alone: requests on temporary files through both engines,
 * null-co, request checks, statistics, option forms, throttling on a
 * manual clock, error policies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-int.h"

#define WAIT_US (10 * G_USEC_PER_SEC)   /* a request that takes longer has hung */
#define FILE_SIZE (1 << 20)

typedef struct Fixture {
    GMainContext *ctx;
    BlockGraph *g;
    char *path;
    GPtrArray *events;   /* event names */
    int stops;
} Fixture;

typedef struct Req {
    BlockRequest r;
    struct iovec iov;
    bool done;
    int ret;
    int order;           /* completion rank */
    int *counter;
} Req;

static void on_event(void *opaque, const char *name, JsonObject *data)
{
    Fixture *f = opaque;
    g_ptr_array_add(f->events, g_strdup(name));
    json_object_unref(data);
}

static void on_stop(void *opaque)
{
    ((Fixture *)opaque)->stops++;
}

static void fixture_init(Fixture *f, const char *contents_byte)
{
    f->ctx = g_main_context_new();
    BlockGraphHooks hooks = { on_event, on_stop, f };
    f->g = block_graph_new(f->ctx, &hooks);
    f->events = g_ptr_array_new_with_free_func(g_free);
    GError *err = NULL;
    int fd = g_file_open_tmp("tern-block-XXXXXX", &f->path, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ftruncate(fd, FILE_SIZE), ==, 0);
    close(fd);
}

static void fixture_fini(Fixture *f)
{
    block_graph_free(f->g);
    g_main_context_unref(f->ctx);
    g_ptr_array_unref(f->events);
    unlink(f->path);
    g_free(f->path);
}

static void req_cb(BlockRequest *r, int ret)
{
    Req *q = (Req *)r;
    q->done = true;
    q->ret = ret;
    if (q->counter) {
        q->order = (*q->counter)++;
    }
}

/* Iterates the context until every request is done (or the deadline). */
static void wait_all(Fixture *f, Req **reqs, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    for (;;) {
        bool all = true;
        for (unsigned i = 0; i < n; i++) {
            all &= reqs[i]->done;
        }
        if (all) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(f->ctx, TRUE);
    }
}

static Req *req_new(BlockOp op, uint64_t off, uint64_t len, void *buf)
{
    Req *q = g_new0(Req, 1);
    q->r.op = op;
    q->r.offset = off;
    q->r.bytes = len;
    q->iov = (struct iovec){ buf, len };
    q->r.iov = &q->iov;
    q->r.niov = buf ? 1 : 0;
    q->r.cb = req_cb;
    return q;
}

static int run1(Fixture *f, BlockBackend *blk, BlockOp op, uint64_t off, uint64_t len, void *buf)
{
    g_autofree Req *q = req_new(op, off, len, buf);
    blk_submit(blk, &q->r);
    g_assert_false(q->done);   /* never inside blk_submit */
    wait_all(f, &q, 1);
    return q->ret;
}

static BlockBackend *drive(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static BlockBackend *drive(Fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *arg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    GError *err = NULL;
    BlockBackend *blk = block_graph_add_drive(f->g, arg, NULL, &err);
    g_assert_no_error(err);
    return blk;
}

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

static void *aligned(size_t len, int byte)
{
    void *p = NULL;
    g_assert_cmpint(posix_memalign(&p, 4096, len), ==, 0);
    memset(p, byte, len);
    return p;
}

/* Every operation on a file with one engine (and optionally O_DIRECT). */
static void rw_cycle(const char *aio, const char *cache)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=%s,format=raw,if=none,id=d0,aio=%s,cache=%s", f.path, aio,
                              cache);
    g_assert_cmpuint(blk_length(blk), ==, FILE_SIZE);
    g_autofree uint8_t *w = aligned(8192, 0xa5);
    g_autofree uint8_t *r = aligned(8192, 0);
    uint8_t check[8192];

    g_assert_cmpint(run1(&f, blk, BLOCK_OP_WRITE, 4096, 8192, w), ==, 0);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_FLUSH, 0, 0, NULL), ==, 0);
    file_read(f.path, 4096, check, sizeof(check));
    g_assert_cmpmem(check, sizeof(check), w, 8192);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_READ, 4096, 8192, r), ==, 0);
    g_assert_cmpmem(r, 8192, w, 8192);

    /* Guest buffers need not suit O_DIRECT: a bounce buffer does. */
    g_autofree uint8_t *odd = g_malloc(4096 + 1);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_READ, 4096, 4096, odd + 1), ==, 0);
    g_assert_cmpmem(odd + 1, 4096, w, 4096);

    g_assert_cmpint(run1(&f, blk, BLOCK_OP_WRITE_ZEROES, 4096, 4096, NULL), ==, 0);
    file_read(f.path, 4096, check, 4096);
    for (int i = 0; i < 4096; i++) {
        g_assert_cmpint(check[i], ==, 0);
    }
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_DISCARD, 8192, 4096, NULL), ==, 0);
    /* discard=ignore (the default): the data stays. */
    file_read(f.path, 8192, check, 4096);
    g_assert_cmpint(check[0], ==, 0xa5);

    BlockStats *s = &blk->stats;
    g_assert_cmpuint(s->wr_operations, ==, 2);   /* write + write-zeroes */
    g_assert_cmpuint(s->rd_operations, ==, 2);
    g_assert_cmpuint(s->rd_bytes, ==, 8192 + 4096);
    g_assert_cmpuint(s->flush_operations, ==, 1);
    g_assert_cmpuint(s->unmap_operations, ==, 1);
    g_assert_cmpuint(blk->root->wr_highest_offset, ==, 4096 + 8192);
    g_assert_cmpuint(blk_in_flight(blk), ==, 0);
    fixture_fini(&f);
}

static void test_rw_uring(void)
{
    rw_cycle("io_uring", "writeback");
}

static void test_rw_threads(void)
{
    rw_cycle("threads", "writeback");
}

static void test_rw_uring_direct(void)
{
    rw_cycle("io_uring", "none");
}

static void test_rw_threads_direct(void)
{
    rw_cycle("threads", "none");
}

static void test_discard_unmap(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=%s,format=raw,if=none,discard=unmap", f.path);
    g_assert_true(blk_discard_enabled(blk));
    g_autofree uint8_t *w = aligned(65536, 0x11);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_WRITE, 0, 65536, w), ==, 0);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_DISCARD, 0, 65536, NULL), ==, 0);
    uint8_t check[65536];
    file_read(f.path, 0, check, sizeof(check));
    for (size_t i = 0; i < sizeof(check); i++) {
        g_assert_cmpint(check[i], ==, 0);   /* a punched hole reads as zeroes */
    }
    fixture_fini(&f);
}

/* 32 reads in flight at once, from two engines; a null-co request issued
 * last completes before file requests issued earlier. */
static void test_many_and_out_of_order(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *file = drive(&f, "file=%s,format=raw,if=none,aio=threads", f.path);
    BlockBackend *null = drive(&f, "file=null-co://,format=raw,if=none,file.read-zeroes=on");
    int counter = 0;
    Req *reqs[33];
    g_autofree uint8_t *buf = aligned(33 * 4096, 0x77);
    for (int i = 0; i < 32; i++) {
        reqs[i] = req_new(BLOCK_OP_READ, (uint64_t)i * 4096, 4096, buf + i * 4096);
        reqs[i]->counter = &counter;
        blk_submit(file, &reqs[i]->r);
    }
    reqs[32] = req_new(BLOCK_OP_READ, 0, 4096, buf + 32 * 4096);
    reqs[32]->counter = &counter;
    blk_submit(null, &reqs[32]->r);
    g_assert_cmpuint(blk_in_flight(file), ==, 32);
    wait_all(&f, reqs, 33);
    for (int i = 0; i < 33; i++) {
        g_assert_cmpint(reqs[i]->ret, ==, 0);
    }
    g_assert_cmpint(buf[32 * 4096], ==, 0);   /* read-zeroes */
    g_assert_cmpint(reqs[32]->order, <, 32);  /* overtook at least one file read */
    for (int i = 0; i < 33; i++) {
        g_free(reqs[i]);
    }
    fixture_fini(&f);
}

/* More requests at once than the completion ring holds (a guest with
 * deep queues on several disks): every one completes. */
static void test_more_than_the_ring(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=%s,format=raw,if=none,aio=io_uring", f.path);
    enum { N = 5000 };
    g_autofree uint8_t *buf = g_malloc(N * 512);
    Req **reqs = g_new(Req *, N);
    for (unsigned i = 0; i < N; i++) {
        reqs[i] = req_new(BLOCK_OP_READ, (uint64_t)(i % 2048) * 512, 512, buf + i * 512);
        blk_submit(blk, &reqs[i]->r);
    }
    wait_all(&f, reqs, N);
    for (unsigned i = 0; i < N; i++) {
        g_assert_cmpint(reqs[i]->ret, ==, 0);
        g_free(reqs[i]);
    }
    g_free(reqs);
    fixture_fini(&f);
}

static void test_bad_requests(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=%s,format=raw,if=none", f.path);
    BlockBackend *ro = drive(&f, "file=%s,format=raw,if=none,readonly=on", f.path);
    g_autofree uint8_t *b = aligned(4096, 0);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_READ, FILE_SIZE - 512, 4096, b), ==, -EIO);
    g_assert_cmpint(run1(&f, blk, BLOCK_OP_WRITE, UINT64_MAX - 100, 4096, b), ==, -EIO);
    g_assert_cmpuint(blk->stats.invalid_rd_operations, ==, 1);
    g_assert_cmpuint(blk->stats.invalid_wr_operations, ==, 1);
    g_assert_cmpuint(blk->stats.rd_operations, ==, 0);
    g_assert_true(blk_is_read_only(ro));
    g_assert_cmpint(run1(&f, ro, BLOCK_OP_WRITE, 0, 4096, b), ==, -EPERM);
    g_assert_cmpint(run1(&f, ro, BLOCK_OP_DISCARD, 0, 4096, NULL), ==, -EPERM);
    g_assert_cmpint(run1(&f, ro, BLOCK_OP_READ, 0, 4096, b), ==, 0);
    g_assert_cmpuint(ro->stats.failed_wr_operations, ==, 1);
    fixture_fini(&f);
}

static void test_null_co(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *z = drive(&f, "if=none,id=drive1,file=null-co://,file.read-zeroes=on,format=raw");
    BlockBackend *nz = drive(&f, "if=none,id=drive2,file=null-co://,format=raw,file.size=4096");
    g_assert_cmpuint(blk_length(z), ==, 1ULL << 30);
    g_assert_cmpuint(blk_length(nz), ==, 4096);
    uint8_t b[512];
    memset(b, 0xff, sizeof(b));
    g_assert_cmpint(run1(&f, z, BLOCK_OP_READ, 0, 512, b), ==, 0);
    g_assert_cmpint(b[0], ==, 0);
    memset(b, 0xff, sizeof(b));
    g_assert_cmpint(run1(&f, nz, BLOCK_OP_READ, 0, 512, b), ==, 0);
    g_assert_cmpint(b[0], ==, 0xff);   /* read-zeroes=off leaves the buffer */
    g_assert_cmpint(run1(&f, z, BLOCK_OP_WRITE, 0, 512, b), ==, 0);
    fixture_fini(&f);
}

static BlockNode *blockdev(Fixture *f, const char *arg)
{
    GError *err = NULL;
    BlockNode *n = block_graph_add_blockdev_str(f->g, arg, &err);
    g_assert_no_error(err);
    return n;
}

static void test_option_forms(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    g_autofree char *dotted = g_strdup_printf(
        "driver=raw,node-name=r1,file.driver=file,file.filename=%s,file.node-name=f1,"
        "cache.direct=on,cache.no-flush=on,discard=unmap,read-only=on", f.path);
    BlockNode *r1 = blockdev(&f, dotted);
    g_assert_cmpstr(r1->drv->name, ==, "raw");
    g_assert_true(r1->read_only && r1->cache_direct && r1->cache_no_flush);
    g_assert_cmpint(r1->discard, ==, BLOCK_DISCARD_UNMAP);
    /* The child inherits what it does not set itself. */
    g_assert_cmpstr(r1->file->node_name, ==, "f1");
    g_assert_true(r1->file->read_only && r1->file->cache_direct);
    g_assert_cmpuint(r1->size, ==, FILE_SIZE);

    /* libvirt's form: the protocol node nested, then referenced. */
    g_autofree char *json = g_strdup_printf(
        "{\"driver\":\"file\",\"filename\":\"%s\",\"node-name\":\"libvirt-1-storage\","
        "\"auto-read-only\":true,\"discard\":\"unmap\"}", f.path);
    BlockNode *st = blockdev(&f, json);
    BlockNode *fmt = blockdev(&f, "{\"node-name\":\"libvirt-1-format\",\"read-only\":false,"
                                  "\"driver\":\"raw\",\"file\":\"libvirt-1-storage\"}");
    g_assert_true(fmt->file == st);
    g_assert_true(block_node_in_use(st));
    GError *err = NULL;
    g_assert_false(block_graph_del_node(f.g, "libvirt-1-storage", &err));
    g_assert_cmpstr(err->message, ==, "Block device libvirt-1-storage is in use");
    g_clear_error(&err);

    g_autofree char *nested = g_strdup_printf(
        "{\"driver\":\"raw\",\"node-name\":\"r3\",\"file\":{\"driver\":\"file\","
        "\"filename\":\"%s\",\"aio\":\"threads\"}}", f.path);
    BlockNode *r3 = blockdev(&f, nested);
    g_assert_true(r3->file->auto_named);
    g_assert_true(g_str_has_prefix(r3->file->node_name, "#block"));
    g_assert_cmpint(r3->file->aio, ==, BLOCK_AIO_THREADS);

    /* -drive: the node tree and the backend's settings. */
    g_autofree char *d = g_strdup_printf(
        "file=%s,format=raw,if=none,id=disk0,cache=directsync,werror=stop,rerror=ignore,"
        "node-name=top0", f.path);
    BlockBackend *blk = block_graph_add_drive(f.g, d, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(blk_name(blk), ==, "disk0");
    g_assert_cmpstr(blk_root(blk)->node_name, ==, "top0");
    g_assert_true(blk_root(blk)->cache_direct && blk_root(blk)->file->cache_direct);
    g_assert_false(blk_enable_write_cache(blk));
    g_assert_cmpint(blk->on_write_error, ==, BLOCK_ON_ERROR_STOP);
    g_assert_cmpint(blk->on_read_error, ==, BLOCK_ON_ERROR_IGNORE);
    g_assert_true(blk_root(blk)->auto_read_only);

    /* Deleting a monitor-owned node nobody uses. */
    g_assert_true(block_graph_del_node(f.g, "r3", &err));
    g_assert_null(block_graph_find_node(f.g, "r3"));
    g_assert_false(block_graph_del_node(f.g, "top0", &err));
    g_clear_error(&err);

    /* Names -drive gives without id=. */
    char *if_name = NULL;
    BlockBackend *anon = block_graph_add_drive(f.g, "if=virtio,file=null-co://,format=raw",
                                               &if_name, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(blk_name(anon), ==, "virtio0");
    g_assert_cmpstr(if_name, ==, "virtio");
    g_free(if_name);
    BlockBackend *empty = block_graph_add_drive(f.g, "if=none", NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(blk_name(empty), ==, "none0");
    g_assert_null(blk_root(empty));
    fixture_fini(&f);
}

static void test_option_errors(void)
{
    static const struct { const char *arg; bool drive; const char *msg; } cases[] = {
        { "file=/nonexistent/x,format=raw,if=none", true,
          "Could not open '/nonexistent/x': No such file or directory" },
        { "file=null-co://,format=qcow9,if=none", true, "Unknown driver 'qcow9'" },
        { "file=null-co://,format=raw,if=none,cache=bad", true, "invalid cache option" },
        { "file=null-co://,format=raw,if=none,aio=bad", true, "invalid aio option" },
        { "file=null-co://,format=raw,if=none,werror=x", true, "'x' invalid write error action" },
        { "file=null-co://,format=raw,if=none,bogus=1", true,
          "Block format 'raw' does not support the option 'bogus'" },
        { "file=/dev/null,format=raw,if=none,aio=native", true,
          "aio=native was specified, but it requires cache.direct=on, which was not specified." },
        { "driver=nope,node-name=a", false, "Parameter 'driver' does not accept value 'nope'" },
        { "driver=null-co", false, "'node-name' must be specified for the root node" },
        { "driver=null-co,node-name=a,x=1", false, "Parameter 'x' is unexpected" },
        { "driver=null-co,node-name=9", false, "Invalid node-name: '9'" },
        { "driver=raw,node-name=a,file=zz", false, "Cannot find device='zz' nor node-name='zz'" },
        { "{\"driver\":\"null-co\",\"node-name\":\"a\",\"size\":\"1\"}", false,
          "Invalid parameter type for 'size', expected: integer" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Fixture f = { 0 };
        fixture_init(&f, NULL);
        GError *err = NULL;
        bool ok = cases[i].drive ? block_graph_add_drive(f.g, cases[i].arg, NULL, &err) != NULL
                                 : block_graph_add_blockdev_str(f.g, cases[i].arg, &err) != NULL;
        g_assert_false(ok);
        g_assert_cmpstr(err->message, ==, cases[i].msg);
        g_clear_error(&err);
        fixture_fini(&f);
    }
}

static int64_t fake_now(void *opaque)
{
    return *(int64_t *)opaque;
}

/* iops-total=10: two requests go at once (the bucket holds avg/10), then
 * one per 100 ms of the (manual) clock. */
static void test_throttle(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    int64_t now = 1000000000;
    block_graph_set_clock(f.g, fake_now, &now);
    BlockBackend *blk = drive(&f, "file=null-co://,format=raw,if=none,id=t0,"
                                  "throttling.iops-total=10");
    Req *reqs[30];
    uint8_t buf[512];
    for (int i = 0; i < 30; i++) {
        reqs[i] = req_new(BLOCK_OP_READ, 0, sizeof(buf), buf);
        blk_submit(blk, &reqs[i]->r);
    }
    while (g_main_context_iteration(f.ctx, FALSE)) {
    }
    int done = 0;
    for (int i = 0; i < 30; i++) {
        done += reqs[i]->done;
    }
    g_assert_cmpint(done, ==, 2);
    for (int step = 0; step < 10; step++) {
        now += 100000000;
        block_graph_throttle_kick(f.g);
        while (g_main_context_iteration(f.ctx, FALSE)) {
        }
    }
    done = 0;
    for (int i = 0; i < 30; i++) {
        done += reqs[i]->done;
    }
    g_assert_cmpint(done, ==, 12);
    g_assert_cmpuint(blk_in_flight(blk), ==, 18);

    /* Turning throttling off releases the rest. */
    ThrottleConfig off;
    throttle_config_init(&off);
    GError *err = NULL;
    g_assert_true(blk_set_throttle(blk, &off, &err));
    while (g_main_context_iteration(f.ctx, FALSE)) {
    }
    g_assert_cmpuint(blk_in_flight(blk), ==, 0);
    for (int i = 0; i < 30; i++) {
        g_free(reqs[i]);
    }

    ThrottleConfig bad;
    throttle_config_init(&bad);
    bad.limits[THROTTLE_BPS_TOTAL].avg = 100;
    bad.limits[THROTTLE_BPS_TOTAL].max = 10;
    g_assert_false(blk_set_throttle(blk, &bad, &err));
    g_assert_cmpstr(err->message, ==, "bps_max/iops_max cannot be lower than bps/iops");
    g_clear_error(&err);
    fixture_fini(&f);
}

static void test_error_policy(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=null-co://,format=raw,if=none,id=e0");
    /* -drive's defaults: werror=enospc, rerror=report. */
    g_assert_cmpint(blk_error_action(blk, false, ENOSPC), ==, BLOCK_ERROR_ACTION_STOP);
    g_assert_cmpint(blk_error_action(blk, false, -EIO), ==, BLOCK_ERROR_ACTION_REPORT);
    g_assert_cmpint(blk_error_action(blk, true, ENOSPC), ==, BLOCK_ERROR_ACTION_REPORT);
    blk->on_read_error = BLOCK_ON_ERROR_IGNORE;
    g_assert_cmpint(blk_error_action(blk, true, EIO), ==, BLOCK_ERROR_ACTION_IGNORE);
    blk->on_write_error = BLOCK_ON_ERROR_STOP;
    g_assert_cmpint(blk_error_action(blk, false, EIO), ==, BLOCK_ERROR_ACTION_STOP);

    GError *err = NULL;
    BlockBackend *att = blk_attach_by_name(f.g, "e0", "vblk0", &err);
    g_assert_no_error(err);
    g_assert_true(att == blk);
    g_assert_null(blk_attach_by_name(f.g, "e0", "vblk1", &err));
    g_clear_error(&err);
    blk_report_error(blk, BLOCK_ERROR_ACTION_STOP, false, ENOSPC);
    g_assert_cmpuint(f.events->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(f.events, 0), ==, "BLOCK_IO_ERROR");
    g_assert_cmpint(f.stops, ==, 1);
    g_assert_cmpint(blk->iostatus, ==, BLOCK_IO_STATUS_NOSPACE);
    blk_report_error(blk, BLOCK_ERROR_ACTION_REPORT, true, EIO);
    g_assert_cmpint(f.stops, ==, 1);
    block_graph_iostatus_reset(f.g);
    g_assert_cmpint(blk->iostatus, ==, BLOCK_IO_STATUS_OK);
    fixture_fini(&f);
}

static int resized;
static void on_resize(void *opaque)
{
    resized++;
}

static void test_resize(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=%s,format=raw,if=none,id=r0", f.path);
    blk_set_resize_cb(blk, on_resize, NULL);
    GError *err = NULL;
    g_assert_true(block_node_truncate(blk_root(blk), 2 * FILE_SIZE, &err));
    g_assert_no_error(err);
    g_assert_cmpint(resized, ==, 1);
    g_assert_cmpuint(blk_length(blk), ==, 2 * FILE_SIZE);
    g_assert_cmpuint(blk_root(blk)->file->size, ==, 2 * FILE_SIZE);
    fixture_fini(&f);
}

/* A -drive goes away with its device (unplug), but not when the device's
 * realize failed after attaching; anonymous backends go either way. */
static void test_detach(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    drive(&f, "file=null-co://,format=raw,if=none,id=k0");
    drive(&f, "file=null-co://,format=raw,if=none,id=u0");
    blockdev(&f, "driver=null-co,node-name=n0");
    GError *err = NULL;
    BlockBackend *k = blk_attach_by_name(f.g, "k0", "dev0", &err);
    g_assert_no_error(err);
    blk_detach_keep(k);
    g_assert_true(block_graph_find_backend(f.g, "k0") == k);
    g_assert_false(k->attached);
    g_assert_true(blk_attach_by_name(f.g, "k0", "dev1", &err) == k);
    g_assert_no_error(err);
    blk_detach(k);
    g_assert_null(block_graph_find_backend(f.g, "k0"));

    BlockBackend *u = blk_attach_by_name(f.g, "u0", "dev2", &err);
    blk_detach(u);
    g_assert_null(block_graph_find_backend(f.g, "u0"));

    BlockNode *n0 = block_graph_find_node(f.g, "n0");
    BlockBackend *anon = blk_attach_by_name(f.g, "n0", "dev3", &err);
    g_assert_no_error(err);
    g_assert_cmpuint(n0->backends, ==, 1);
    blk_detach_keep(anon);
    g_assert_cmpuint(block_graph_backend_count(f.g), ==, 0);
    g_assert_cmpuint(n0->backends, ==, 0);
    fixture_fini(&f);
}

/* A device that goes away with requests in flight (device_del during
 * I/O): the backend leaves the graph at once, and its requests still
 * complete into live memory (ASan checks), then it is freed. */
static void test_detach_in_flight(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    drive(&f, "file=%s,format=raw,if=none,id=d0", f.path);
    GError *err = NULL;
    BlockBackend *blk = blk_attach_by_name(f.g, "d0", "dev0", &err);
    g_assert_no_error(err);
    enum { N = 8 };
    static uint8_t bufs[N][4096];
    Req *reqs[N];
    for (unsigned i = 0; i < N; i++) {
        reqs[i] = req_new(BLOCK_OP_READ, i * 4096, 4096, bufs[i]);
        blk_submit(blk, &reqs[i]->r);
    }
    g_assert_cmpuint(blk_in_flight(blk), ==, N);
    blk_detach(blk);
    g_assert_null(block_graph_find_backend(f.g, "d0"));
    g_assert_cmpuint(block_graph_backend_count(f.g), ==, 0);
    wait_all(&f, reqs, N);
    for (unsigned i = 0; i < N; i++) {
        g_assert_cmpint(reqs[i]->ret, ==, 0);
        g_free(reqs[i]);
    }
    g_assert_cmpuint(f.g->zombies->len, ==, 0);
    fixture_fini(&f);
}

/* blk_drain completes everything before it returns, without the main
 * loop: requests in either engine and in a throttle queue. */
static void drain_with(const char *opts)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    drive(&f, "file=%s,format=raw,if=none,id=d0,%s", f.path, opts);
    GError *err = NULL;
    BlockBackend *blk = blk_attach_by_name(f.g, "d0", "dev0", &err);
    g_assert_no_error(err);
    enum { N = 16 };
    static uint8_t bufs[N][4096];
    Req *reqs[N];
    for (unsigned i = 0; i < N; i++) {
        reqs[i] = req_new(i % 2 ? BLOCK_OP_WRITE : BLOCK_OP_READ, i * 4096, 4096, bufs[i]);
        blk_submit(blk, &reqs[i]->r);
    }
    g_assert_cmpuint(blk_in_flight(blk), ==, N);
    blk_drain(blk);
    g_assert_cmpuint(blk_in_flight(blk), ==, 0);
    for (unsigned i = 0; i < N; i++) {
        g_assert_true(reqs[i]->done);
        g_assert_cmpint(reqs[i]->ret, ==, 0);
        g_free(reqs[i]);
    }
    blk_detach(blk);
    fixture_fini(&f);
}

static void test_drain(void)
{
    drain_with("aio=io_uring");
    drain_with("aio=threads");
    /* One request per 10 s: all but the first wait in the throttle queue. */
    drain_with("aio=io_uring,throttling.iops-total=1,throttling.iops-total-max=1");
}

/* blockdev-del's checks in QEMU's order and words: a backend, then
 * ownership, then parents. */
static void test_del_node_order(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    drive(&f, "file=null-co://,format=raw,if=none,id=d0,node-name=dn,file.node-name=fn");
    blockdev(&f, "driver=null-co,node-name=n0");
    blockdev(&f, "driver=raw,node-name=r0,file=n0");
    GError *err = NULL;
    static const struct {
        const char *node, *error;
    } cases[] = {
        { "dn", "Node dn is in use" },
        { "fn", "Node fn is not owned by the monitor" },
        { "n0", "Block device n0 is in use" },
        { "nope", "Failed to find node with node-name='nope'" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_false(block_graph_del_node(f.g, cases[i].node, &err));
        g_assert_cmpstr(err->message, ==, cases[i].error);
        g_clear_error(&err);
    }
    BlockBackend *anon = blk_attach_by_name(f.g, "r0", "dev0", &err);
    g_assert_false(block_graph_del_node(f.g, "r0", &err));
    g_assert_cmpstr(err->message, ==, "Node r0 is in use");
    g_clear_error(&err);
    blk_detach(anon);
    g_assert_true(block_graph_del_node(f.g, "r0", &err));
    g_assert_true(block_graph_del_node(f.g, "n0", &err));
    g_assert_no_error(err);
    fixture_fini(&f);
}

/* null-co cannot be resized; read-only nodes say so first. */
static void test_resize_refused(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *dn = drive(&f, "file=null-co://,format=raw,if=none,id=dn");
    BlockBackend *ro = drive(&f, "file=%s,format=raw,if=none,id=ro,readonly=on", f.path);
    BlockNode *nro = blockdev(&f, "driver=null-co,node-name=nro,read-only=on");
    GError *err = NULL;
    g_assert_false(block_node_truncate(blk_root(dn), 4096, &err));
    g_assert_cmpstr(err->message, ==, "Image format driver does not support resize");
    g_clear_error(&err);
    g_assert_cmpuint(blk_length(dn), ==, 1ULL << 30);
    g_assert_false(block_node_truncate(blk_root(ro), 4096, &err));
    g_assert_cmpstr(err->message, ==, "Image is read-only");
    g_clear_error(&err);
    g_assert_false(block_node_truncate(nro, 4096, &err));
    g_assert_cmpstr(err->message, ==, "Image is read-only");
    g_clear_error(&err);
    fixture_fini(&f);
}

/* iops_size: only "requires an iops value" (after the total/rw conflict,
 * before the per-limit checks); any value is kept, negative ones too. */
static void test_throttle_iops_size(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *blk = drive(&f, "file=null-co://,format=raw,if=none,id=t0");
    ThrottleConfig c;
    GError *err = NULL;
    throttle_config_init(&c);
    c.iops_size = (uint64_t)-1;
    c.limits[THROTTLE_BPS_TOTAL].max = (uint64_t)-3;
    g_assert_false(throttle_config_check(&c, &err));
    g_assert_cmpstr(err->message, ==, "iops size requires an iops value to be set");
    g_clear_error(&err);
    c.limits[THROTTLE_BPS_TOTAL].avg = 5;
    c.limits[THROTTLE_BPS_WRITE].avg = 1;
    g_assert_false(throttle_config_check(&c, &err));
    g_assert_cmpstr(err->message, ==,
                    "bps/iops/max total values and read/write values cannot be used at the "
                    "same time");
    g_clear_error(&err);
    throttle_config_init(&c);
    c.iops_size = (uint64_t)-1;
    c.limits[THROTTLE_OPS_READ].avg = 10;
    g_assert_true(blk_set_throttle(blk, &c, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(blk->throttle_cfg.iops_size, ==, (uint64_t)-1);
    fixture_fini(&f);
}

/* "" is a group name like any other; group_default keeps a throttled
 * backend in its group. */
static void test_throttle_groups(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    BlockBackend *a = drive(&f, "file=null-co://,format=raw,if=none,id=a");
    BlockBackend *b = drive(&f, "file=null-co://,format=raw,if=none,id=b,throttling.group=,"
                                "throttling.iops-total=5");
    g_assert_cmpstr(b->throttle_cfg.group, ==, "");
    ThrottleConfig c;
    GError *err = NULL;
    throttle_config_init(&c);
    c.limits[THROTTLE_OPS_TOTAL].avg = 10;
    c.group = g_strdup("");
    g_assert_true(blk_set_throttle(a, &c, &err));
    g_assert_true(a->throttle == b->throttle);
    g_assert_cmpuint(b->throttle_cfg.limits[THROTTLE_OPS_TOTAL].avg, ==, 10);
    g_free(c.group);
    c.group = g_strdup("a");
    c.group_default = true;
    c.limits[THROTTLE_OPS_TOTAL].avg = 20;
    g_assert_true(blk_set_throttle(a, &c, &err));
    g_assert_cmpstr(a->throttle_cfg.group, ==, "");
    g_assert_cmpuint(b->throttle_cfg.limits[THROTTLE_OPS_TOTAL].avg, ==, 20);
    c.group_default = false;
    g_assert_true(blk_set_throttle(a, &c, &err));
    g_assert_cmpstr(a->throttle_cfg.group, ==, "a");
    g_assert_true(a->throttle != b->throttle);
    g_assert_no_error(err);
    g_free(c.group);
    fixture_fini(&f);
}

/* QEMU's json: filenames: from the options that change what a node
 * shows, typed (-blockdev, blockdev-add) or as given (-drive). */
static void test_json_filenames(void)
{
    Fixture f = { 0 };
    fixture_init(&f, NULL);
    g_autofree char *drv = g_strdup_printf("file=%s,format=raw,if=none,id=d0,node-name=dn",
                                           f.path);
    drive(&f, "%s", drv);
    blockdev(&f, "driver=null-co,node-name=n0");
    blockdev(&f, "driver=null-co,node-name=n1,size=0x1000,read-zeroes=on,latency-ns=3");
    blockdev(&f, "driver=raw,node-name=r1,file=n1");
    blockdev(&f, "driver=raw,node-name=r0,file=n0");
    blockdev(&f, "driver=raw,node-name=rr,file=dn");
    BlockBackend *d1 = drive(&f, "if=none,id=d1,format=raw,file.driver=null-co,file.size=4k");
    g_autofree char *rr = g_strdup_printf(
        "json:{\"driver\": \"raw\", \"file\": {\"driver\": \"raw\", \"file\": "
        "{\"driver\": \"file\", \"filename\": \"%s\"}}}", f.path);
    static const struct {
        const char *node, *filename;
    } cases[] = {
        { "n0", "null-co://" },
        { "r0", "null-co://" },
        { "n1", "json:{\"read-zeroes\": true, \"driver\": \"null-co\", \"size\": 4096}" },
        { "r1", "json:{\"driver\": \"raw\", \"file\": {\"read-zeroes\": true, "
                "\"driver\": \"null-co\", \"size\": 4096}}" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmpstr(block_graph_find_node(f.g, cases[i].node)->filename, ==,
                        cases[i].filename);
    }
    g_assert_cmpstr(block_graph_find_node(f.g, "dn")->filename, ==, f.path);
    g_assert_cmpstr(block_graph_find_node(f.g, "rr")->filename, ==, rr);
    g_assert_cmpstr(blk_root(d1)->filename, ==,
                    "json:{\"driver\": \"raw\", \"file\": {\"driver\": \"null-co\", "
                    "\"size\": \"4k\"}}");
    g_assert_cmpuint(blk_length(d1), ==, 4096);
    fixture_fini(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/block/rw/io_uring", test_rw_uring);
    g_test_add_func("/block/rw/threads", test_rw_threads);
    g_test_add_func("/block/rw/io_uring-direct", test_rw_uring_direct);
    g_test_add_func("/block/rw/threads-direct", test_rw_threads_direct);
    g_test_add_func("/block/discard/unmap", test_discard_unmap);
    g_test_add_func("/block/out-of-order", test_many_and_out_of_order);
    g_test_add_func("/block/bad-requests", test_bad_requests);
    g_test_add_func("/block/null-co", test_null_co);
    g_test_add_func("/block/options/forms", test_option_forms);
    g_test_add_func("/block/options/errors", test_option_errors);
    g_test_add_func("/block/throttle/iops", test_throttle);
    g_test_add_func("/block/error-policy", test_error_policy);
    g_test_add_func("/block/resize", test_resize);
    g_test_add_func("/block/detach-in-flight", test_detach_in_flight);
    g_test_add_func("/block/drain", test_drain);
    g_test_add_func("/block/more-than-the-ring", test_more_than_the_ring);
    g_test_add_func("/block/resize-refused", test_resize_refused);
    g_test_add_func("/block/detach", test_detach);
    g_test_add_func("/block/del-node-order", test_del_node_order);
    g_test_add_func("/block/throttle/iops-size", test_throttle_iops_size);
    g_test_add_func("/block/throttle/groups", test_throttle_groups);
    g_test_add_func("/block/json-filenames", test_json_filenames);
    return g_test_run();
}
