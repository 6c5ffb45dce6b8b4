/* The io_uring engine: one ring per graph. Requests become SQEs when
 * submitted and reach the kernel in one io_uring_submit per main-loop
 * iteration (the GSource's prepare) or on blk_flush_submissions; the ring's
 * eventfd wakes the loop, whose dispatch walks the completions. Requests
 * that completion callbacks submit go out from dispatch itself, a few at a
 * time (see uring_dispatch). Per I/O batch: one read of the eventfd, one
 * io_uring_enter per EARLY_SUBMIT resubmissions, one poll. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/engine.h"
#include "util/iov.h"
#include "util/error.h"

#define RING_ENTRIES 256     /* SQ size; the kernel gives the CQ twice that */
#define CQE_BATCH 64         /* completions taken off the ring at a time */
#define EARLY_SUBMIT 4       /* see uring_dispatch */
#define DISPATCH_BUDGET (2 * RING_ENTRIES)   /* completions per dispatch, at most */

typedef struct UringPriv UringPriv;

typedef struct UringEngine {
    BlockEngine base;
    struct io_uring ring;
    int efd;
    GSource *src;
    unsigned queued;                    /* SQEs not yet submitted */
    BlockRequest *wait_head, *wait_tail;/* no SQE free: waiting for one */
    unsigned in_flight;                 /* in the kernel or queued */
    unsigned in_ring;                   /* SQEs prepared, CQEs not yet reaped */
    UringPriv *free_privs;              /* for reuse, bounce buffers kept */
    unsigned n_free_privs;
} UringEngine;

/* Per-request state when a request needs more than its own iovec: an
 * aligned bounce buffer (O_DIRECT with guest buffers that do not suit it)
 * or the rest of a partial transfer. Recycled through the engine's free
 * list, so a steady stream of unaligned requests does not allocate. */
struct UringPriv {
    void *bounce;                       /* NULL: the request's own iovec */
    void *buf;                          /* buf_size bytes, leaf-aligned */
    size_t buf_size;
    size_t buf_align;
    struct iovec one;
    struct iovec *rest;
    unsigned rest_cap;
    UringPriv *next_free;
};

#define FREE_PRIVS_MAX 64
#define KEEP_BUF_MAX (256 * 1024)       /* bigger bounce buffers are freed */

static UringPriv *priv_of(UringEngine *e, BlockRequest *req)
{
    if (!req->engine_priv) {
        UringPriv *p = e->free_privs;
        if (p) {
            e->free_privs = p->next_free;
            e->n_free_privs--;
        } else {
            p = g_new0(UringPriv, 1);
        }
        req->engine_priv = p;
    }
    return req->engine_priv;
}

static void priv_destroy(UringPriv *p)
{
    free(p->buf);
    g_free(p->rest);
    g_free(p);
}

static void priv_free(UringEngine *e, BlockRequest *req)
{
    UringPriv *p = req->engine_priv;
    if (!p) {
        return;
    }
    req->engine_priv = NULL;
    if (e->n_free_privs >= FREE_PRIVS_MAX) {
        priv_destroy(p);
        return;
    }
    if (p->buf_size > KEEP_BUF_MAX) {
        free(p->buf);
        p->buf = NULL;
        p->buf_size = 0;
    }
    p->bounce = NULL;
    p->next_free = e->free_privs;
    e->free_privs = p;
    e->n_free_privs++;
}

/* An aligned bounce buffer of req->bytes for req: 0 or -ENOMEM. */
static int priv_bounce(UringEngine *e, BlockRequest *req)
{
    UringPriv *p = priv_of(e, req);
    size_t align = req->leaf->align;
    if (!p->buf || p->buf_size < req->bytes || p->buf_align % align) {
        free(p->buf);
        p->buf = NULL;
        p->buf_size = 0;
        if (posix_memalign(&p->buf, align, req->bytes)) {
            p->buf = NULL;
            return -ENOMEM;
        }
        p->buf_size = req->bytes;
        p->buf_align = align;
    }
    p->bounce = p->buf;
    return 0;
}

static void copy_iov(BlockRequest *req, void *buf, bool to_buf)
{
    if (to_buf) {
        iov_to_buf(req->iov, req->niov, 0, buf, req->bytes);
    } else {
        iov_from_buf(req->iov, req->niov, 0, buf, req->bytes);
    }
}

/* The iovec for what is left of a read or write (req->done bytes in). */
static const struct iovec *remaining_iov(UringEngine *e, BlockRequest *req, unsigned *niov)
{
    UringPriv *p = req->engine_priv;
    if (p && p->bounce) {
        p->one = (struct iovec){ (char *)p->bounce + req->done, req->bytes - req->done };
        *niov = 1;
        return &p->one;
    }
    if (!req->done) {
        *niov = req->niov;
        return req->iov;
    }
    p = priv_of(e, req);
    uint64_t skip = req->done;
    unsigned i = 0;
    while (skip >= req->iov[i].iov_len) {
        skip -= req->iov[i++].iov_len;
    }
    if (p->rest_cap < req->niov - i) {
        g_free(p->rest);
        p->rest_cap = req->niov - i;
        p->rest = g_new(struct iovec, p->rest_cap);
    }
    for (unsigned k = i; k < req->niov; k++) {
        p->rest[k - i] = req->iov[k];
    }
    p->rest[0].iov_base = (char *)p->rest[0].iov_base + skip;
    p->rest[0].iov_len -= skip;
    *niov = req->niov - i;
    return p->rest;
}

static void prep_sqe(UringEngine *e, struct io_uring_sqe *sqe, BlockRequest *req)
{
    int fd = req->leaf->fd;
    unsigned niov;
    const struct iovec *iov;
    switch (req->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        iov = remaining_iov(e, req, &niov);
        if (niov == 1) {
            /* Plain read/write: no iovec for the kernel to copy. */
            if (req->op == BLOCK_OP_READ) {
                io_uring_prep_read(sqe, fd, iov->iov_base, iov->iov_len, req->offset + req->done);
            } else {
                io_uring_prep_write(sqe, fd, iov->iov_base, iov->iov_len, req->offset + req->done);
            }
        } else if (req->op == BLOCK_OP_READ) {
            io_uring_prep_readv(sqe, fd, iov, niov, req->offset + req->done);
        } else {
            io_uring_prep_writev(sqe, fd, iov, niov, req->offset + req->done);
        }
        break;
    case BLOCK_OP_FLUSH:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        break;
    case BLOCK_OP_DISCARD:
        io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                req->offset, req->bytes);
        break;
    case BLOCK_OP_WRITE_ZEROES:
        io_uring_prep_fallocate(sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                                req->offset, req->bytes);
        break;
    }
    io_uring_sqe_set_data(sqe, req);
}

static void uring_submit_now(UringEngine *e)
{
    if (e->queued) {
        int r = io_uring_submit(&e->ring);
        if (r >= 0) {
            e->queued -= MIN((unsigned)r, e->queued);
        } else if (r != -EAGAIN && r != -EBUSY) {
            g_warning("io_uring_submit: %s", g_strerror(-r));
        }
    }
}

/* An SQE for req, or a place on the wait list when the SQ is full even
 * after pushing what is queued to the kernel. */
static void uring_queue(UringEngine *e, BlockRequest *req)
{
    /* No more in the kernel than the CQ holds: completions beyond it would
     * wait in the kernel's overflow list, which the eventfd does not
     * announce. */
    struct io_uring_sqe *sqe = NULL;
    if (e->in_ring < e->ring.cq.ring_entries) {
        sqe = io_uring_get_sqe(&e->ring);
        if (!sqe) {
            uring_submit_now(e);
            sqe = io_uring_get_sqe(&e->ring);
        }
    }
    if (!sqe) {
        req->next = NULL;
        if (e->wait_tail) {
            e->wait_tail->next = req;
        } else {
            e->wait_head = req;
        }
        e->wait_tail = req;
        return;
    }
    prep_sqe(e, sqe, req);
    e->queued++;
    e->in_ring++;
}

static void uring_submit(BlockEngine *base, BlockRequest *req)
{
    UringEngine *e = (UringEngine *)base;
    req->done = 0;
    req->engine_priv = NULL;
    if ((req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE) && req->leaf->align > 1 &&
        !block_request_aligned(req)) {
        if (req->offset % req->leaf->align || req->bytes % req->leaf->align) {
            /* O_DIRECT cannot do part of a block. */
            block_graph_defer_complete(base->graph, req, -EINVAL);
            return;
        }
        if (priv_bounce(e, req) < 0) {
            priv_free(e, req);
            block_graph_defer_complete(base->graph, req, -ENOMEM);
            return;
        }
        if (req->op == BLOCK_OP_WRITE) {
            copy_iov(req, ((UringPriv *)req->engine_priv)->bounce, true);
        }
    }
    e->in_flight++;
    bool was_idle = !e->queued;
    uring_queue(e, req);
    /* From a vCPU thread the loop sleeps in poll: wake it to submit. */
    if (was_idle && !g_main_context_is_owner(block_graph_context(base->graph))) {
        g_main_context_wakeup(block_graph_context(base->graph));
    }
}

static void uring_flush(BlockEngine *base)
{
    uring_submit_now((UringEngine *)base);
}

static void finish(UringEngine *e, BlockRequest *req, int ret)
{
    UringPriv *p = req->engine_priv;
    if (ret == 0 && p && p->bounce && req->op == BLOCK_OP_READ) {
        copy_iov(req, p->bounce, false);
    }
    priv_free(e, req);
    e->in_flight--;
    block_request_done(req, ret);
}

static void zero_rest(UringEngine *e, BlockRequest *req)
{
    unsigned niov;
    const struct iovec *iov = remaining_iov(e, req, &niov);
    for (unsigned i = 0; i < niov; i++) {
        memset(iov[i].iov_base, 0, iov[i].iov_len);
    }
}

static void complete_one(UringEngine *e, BlockRequest *req, int res)
{
    if (res == -EAGAIN || res == -EINTR) {
        uring_queue(e, req);
        return;
    }
    switch (req->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        if (res < 0) {
            finish(e, req, res);
            return;
        }
        req->done += res;
        if (req->done >= req->bytes) {
            finish(e, req, 0);
        } else if (req->op == BLOCK_OP_READ &&
                   (res == 0 || req->offset + req->done >= req->leaf->size)) {
            /* End of file: the rest reads as zeroes. */
            zero_rest(e, req);
            finish(e, req, 0);
        } else if (res == 0) {
            finish(e, req, -EIO);
        } else {
            uring_queue(e, req);   /* a short transfer: the rest */
        }
        return;
    case BLOCK_OP_DISCARD:
        finish(e, req, res == -EOPNOTSUPP ? 0 : res);
        return;
    case BLOCK_OP_WRITE_ZEROES:
        if (res == -EOPNOTSUPP || res == -EINVAL || res == -ENODEV) {
            /* No ZERO_RANGE here: the thread pool writes zeroes. */
            e->in_flight--;
            priv_free(e, req);
            block_engine_submit(block_graph_engine(e->base.graph, BLOCK_AIO_THREADS), req);
            return;
        }
        finish(e, req, res);
        return;
    case BLOCK_OP_FLUSH:
        finish(e, req, res);
        return;
    }
}

/* Moves waiting requests into free SQEs and submits. */
static void uring_fill_and_submit(UringEngine *e)
{
    while (e->wait_head && io_uring_sq_space_left(&e->ring) &&
           e->in_ring < e->ring.cq.ring_entries) {
        BlockRequest *r = e->wait_head;
        e->wait_head = r->next;
        if (!e->wait_head) {
            e->wait_tail = NULL;
        }
        uring_queue(e, r);
    }
    uring_submit_now(e);
}

static gboolean uring_prepare(GSource *src, gint *timeout)
{
    UringEngine *e = *(UringEngine **)(src + 1);
    *timeout = -1;
    uring_fill_and_submit(e);
    return io_uring_cq_ready(&e->ring) > 0;
}

static gboolean uring_check(GSource *src)
{
    UringEngine *e = *(UringEngine **)(src + 1);
    return io_uring_cq_ready(&e->ring) > 0;
}

/* Completes up to `budget` finished requests. */
static void uring_reap(UringEngine *e, unsigned budget)
{
    for (; budget >= CQE_BATCH; budget -= CQE_BATCH) {
        /* Take a batch off the ring before running callbacks, which may
         * queue new requests. */
        struct { BlockRequest *req; int res; } batch[CQE_BATCH];
        unsigned count = 0, head;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&e->ring, head, cqe) {
            batch[count].req = io_uring_cqe_get_data(cqe);
            batch[count].res = cqe->res;
            if (++count == CQE_BATCH) {
                break;
            }
        }
        if (!count) {
            break;
        }
        io_uring_cq_advance(&e->ring, count);
        e->in_ring -= count;
        for (unsigned i = 0; i < count; i++) {
            complete_one(e, batch[i].req, batch[i].res);
            /* Requests the callbacks queue go out a few at a time: the
             * device works on them while the rest of the batch completes,
             * instead of draining to empty and refilling in lockstep. */
            if (e->queued >= EARLY_SUBMIT) {
                uring_submit_now(e);
            }
        }
    }
    /* The rest now, not after the other sources of this iteration. */
    uring_submit_now(e);
}

static gboolean uring_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    UringEngine *e = *(UringEngine **)(src + 1);
    uint64_t v;
    ssize_t n = read(e->efd, &v, sizeof(v));   /* only a hint; clear it */
    (void)n;
    /* Requests submitted while reaping may complete at once (page cache
     * hits): a budget lets the other sources run; prepare sees the rest. */
    uring_reap(e, DISPATCH_BUDGET);
    return G_SOURCE_CONTINUE;
}

static bool uring_poll(BlockEngine *base, bool wait)
{
    UringEngine *e = (UringEngine *)base;
    if (!e->in_flight) {
        return false;
    }
    uring_fill_and_submit(e);
    if (wait && !io_uring_cq_ready(&e->ring)) {
        struct io_uring_cqe *cqe;
        int r;
        do {
            r = io_uring_wait_cqe(&e->ring, &cqe);
        } while (r == -EINTR);
    }
    uring_reap(e, DISPATCH_BUDGET);
    return true;
}

static GSourceFuncs uring_funcs = {
    .prepare = uring_prepare,
    .check = uring_check,
    .dispatch = uring_dispatch,
};

static void uring_free(BlockEngine *base)
{
    UringEngine *e = (UringEngine *)base;
    /* The kernel may still write into buffers: wait for what it holds.
     * Nobody is told (the graph is going away with its users). */
    for (BlockRequest *r = e->wait_head; r; r = r->next) {
        priv_free(e, r);
        e->in_flight--;
    }
    uring_submit_now(e);
    while (e->in_flight > 0) {
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&e->ring, &cqe) < 0) {
            break;
        }
        BlockRequest *req = io_uring_cqe_get_data(cqe);
        io_uring_cqe_seen(&e->ring, cqe);
        priv_free(e, req);
        e->in_flight--;
    }
    while (e->free_privs) {
        UringPriv *p = e->free_privs;
        e->free_privs = p->next_free;
        priv_destroy(p);
    }
    g_source_destroy(e->src);
    g_source_unref(e->src);
    io_uring_queue_exit(&e->ring);
    close(e->efd);
    g_free(e);
}

static const BlockEngineOps uring_ops = {
    .submit = uring_submit,
    .poll = uring_poll,
    .flush = uring_flush,
    .free = uring_free,
};

BlockEngine *block_engine_uring_new(BlockGraph *g, GError **errp)
{
    UringEngine *e = g_new0(UringEngine, 1);
    e->base = (BlockEngine){ &uring_ops, g, "io_uring" };
    int r = io_uring_queue_init(RING_ENTRIES, &e->ring, 0);
    if (r < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "io_uring_queue_init: %s",
                    g_strerror(-r));
        g_free(e);
        return NULL;
    }
    e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->efd < 0 || (r = io_uring_register_eventfd(&e->ring, e->efd)) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "io_uring eventfd: %s",
                    g_strerror(e->efd < 0 ? errno : -r));
        if (e->efd >= 0) {
            close(e->efd);
        }
        io_uring_queue_exit(&e->ring);
        g_free(e);
        return NULL;
    }
    e->src = g_source_new(&uring_funcs, sizeof(GSource) + sizeof(UringEngine *));
    *(UringEngine **)(e->src + 1) = e;
    g_source_set_name(e->src, "block-io_uring");
    /* Not blocked while dispatching: glib (2.74) would otherwise take the
     * fd out of the poll set and put it back around every dispatch, each
     * time waking the context, which costs a whole extra loop iteration
     * per completion batch. dispatch does not mind being re-entered. */
    g_source_set_can_recurse(e->src, TRUE);
    g_source_add_unix_fd(e->src, e->efd, G_IO_IN);
    g_source_attach(e->src, block_graph_context(g));
    return &e->base;
}
