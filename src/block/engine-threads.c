/* The thread-pool engine (aio=threads, and wherever io_uring cannot be set
 * up): workers run each request with blocking calls, queue it as done and
 * poke an eventfd; a GSource on the graph's context completes them. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/engine.h"

#define THREADS_MAX 64   /* as QEMU's thread pool */

typedef struct ThreadEngine {
    BlockEngine base;
    GThreadPool *pool;
    GMutex lock;                      /* the done list */
    BlockRequest *done_head, *done_tail;
    unsigned in_flight;               /* pushed to the pool, not completed (main side) */
    int efd;
    GSource *src;
    gpointer tag;
} ThreadEngine;

static void worker(gpointer data, gpointer user_data)
{
    BlockRequest *req = data;
    ThreadEngine *e = user_data;
    req->ret = block_posix_execute(req);
    req->next = NULL;
    g_mutex_lock(&e->lock);
    bool was_empty = !e->done_head;
    if (e->done_tail) {
        e->done_tail->next = req;
    } else {
        e->done_head = req;
    }
    e->done_tail = req;
    g_mutex_unlock(&e->lock);
    /* A non-empty list has been signalled already, and dispatch clears
     * the eventfd before it takes the list. */
    if (was_empty) {
        uint64_t one = 1;
        ssize_t n = write(e->efd, &one, sizeof(one));
        (void)n;   /* a full counter still wakes the reader */
    }
}

static void threads_reap(ThreadEngine *e)
{
    uint64_t v;
    ssize_t n = read(e->efd, &v, sizeof(v));
    (void)n;
    g_mutex_lock(&e->lock);
    BlockRequest *r = e->done_head;
    e->done_head = e->done_tail = NULL;
    g_mutex_unlock(&e->lock);
    while (r) {
        BlockRequest *next = r->next;
        r->next = NULL;
        e->in_flight--;
        block_request_done(r, r->ret);
        r = next;
    }
}

static gboolean threads_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    threads_reap(*(ThreadEngine **)(src + 1));
    return G_SOURCE_CONTINUE;
}

static bool threads_poll(BlockEngine *base, bool wait)
{
    ThreadEngine *e = (ThreadEngine *)base;
    if (!e->in_flight) {
        return false;
    }
    if (wait) {
        struct pollfd pfd = { .fd = e->efd, .events = POLLIN };
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
        }
    }
    threads_reap(e);
    return true;
}

static GSourceFuncs threads_funcs = {
    .dispatch = threads_dispatch,
};

static void threads_submit(BlockEngine *base, BlockRequest *req)
{
    ThreadEngine *e = (ThreadEngine *)base;
    e->in_flight++;
    g_thread_pool_push(e->pool, req, NULL);
}

static void threads_flush(BlockEngine *base)
{
}

static void threads_free(BlockEngine *base)
{
    ThreadEngine *e = (ThreadEngine *)base;
    g_thread_pool_free(e->pool, FALSE, TRUE);   /* waits for running work */
    g_source_destroy(e->src);
    g_source_unref(e->src);
    close(e->efd);
    g_mutex_clear(&e->lock);
    g_free(e);
}

static const BlockEngineOps threads_ops = {
    .submit = threads_submit,
    .poll = threads_poll,
    .flush = threads_flush,
    .free = threads_free,
};

BlockEngine *block_engine_threads_new(BlockGraph *g)
{
    ThreadEngine *e = g_new0(ThreadEngine, 1);
    e->base = (BlockEngine){ &threads_ops, g, "threads" };
    g_mutex_init(&e->lock);
    e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->efd < 0) {
        g_error("block: eventfd: %s", g_strerror(errno));
    }
    e->pool = g_thread_pool_new(worker, e, THREADS_MAX, FALSE, NULL);
    e->src = g_source_new(&threads_funcs, sizeof(GSource) + sizeof(ThreadEngine *));
    *(ThreadEngine **)(e->src + 1) = e;
    g_source_set_name(e->src, "block-threads");
    g_source_set_can_recurse(e->src, TRUE);   /* see block_engine_uring_new */
    e->tag = g_source_add_unix_fd(e->src, e->efd, G_IO_IN);
    g_source_attach(e->src, block_graph_context(g));
    return &e->base;
}
