/* The block graph: node and backend registries, engines, deferred
 * completions and the names QEMU gives. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <time.h>

#include "block/block-int.h"
#include "block/engine.h"

int64_t block_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t default_now(void *opaque)
{
    return block_now_ns();
}

int64_t block_graph_now(BlockGraph *g)
{
    return g->now(g->now_opaque);
}

void block_graph_set_clock(BlockGraph *g, int64_t (*now)(void *opaque), void *opaque)
{
    g->now = now ? now : default_now;
    g->now_opaque = opaque;
}

GMainContext *block_graph_context(BlockGraph *g)
{
    return g->ctx;
}

/* ---- deferred completions: a bottom half on the main loop ---- */

static gboolean defer_prepare(GSource *src, gint *timeout)
{
    BlockGraph *g = *(BlockGraph **)(src + 1);
    *timeout = -1;
    return g->defer_head != NULL;
}

static gboolean defer_check(GSource *src)
{
    BlockGraph *g = *(BlockGraph **)(src + 1);
    return g->defer_head != NULL;
}

static gboolean defer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    block_graph_run_deferred(*(BlockGraph **)(src + 1));
    return G_SOURCE_CONTINUE;
}

void block_graph_run_deferred(BlockGraph *g)
{
    /* Take the list first: callbacks may defer more (they run next time). */
    BlockRequest *r = g->defer_head;
    g->defer_head = g->defer_tail = NULL;
    while (r) {
        BlockRequest *next = r->next;
        r->next = NULL;
        block_request_done(r, r->ret);
        r = next;
    }
}

static GSourceFuncs defer_funcs = {
    .prepare = defer_prepare,
    .check = defer_check,
    .dispatch = defer_dispatch,
};

/* Wakes the loop when called from a thread that is not running it (a vCPU
 * thread holding the machine lock while the main loop sleeps in poll). */
static void graph_kick(BlockGraph *g)
{
    if (!g_main_context_is_owner(g->ctx)) {
        g_main_context_wakeup(g->ctx);
    }
}

void block_graph_defer_complete(BlockGraph *g, BlockRequest *req, int ret)
{
    req->ret = ret;
    req->next = NULL;
    if (g->defer_tail) {
        g->defer_tail->next = req;
    } else {
        g->defer_head = req;
    }
    g->defer_tail = req;
    graph_kick(g);
}

/* ---- engines ---- */

BlockEngine *block_graph_engine(BlockGraph *g, BlockAioMode mode)
{
    if (mode != BLOCK_AIO_THREADS && !g->uring_failed) {
        if (!g->uring) {
            g_autoptr(GError) err = NULL;
            g->uring = block_engine_uring_new(g, &err);
            if (!g->uring) {
                g_debug("io_uring unavailable, using the thread pool: %s", err->message);
                g->uring_failed = true;
            }
        }
        if (g->uring) {
            return g->uring;
        }
    }
    if (!g->threads) {
        g->threads = block_engine_threads_new(g);
    }
    return g->threads;
}

/* ---- the graph ---- */

BlockGraph *block_graph_new(GMainContext *ctx, const BlockGraphHooks *hooks)
{
    BlockGraph *g = g_new0(BlockGraph, 1);
    g->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
    if (hooks) {
        g->hooks = *hooks;
    }
    g->nodes = g_ptr_array_new();
    g->backends = g_ptr_array_new();
    g->zombies = g_ptr_array_new();
    g->drive_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g->throttle_groups = g_hash_table_new(g_str_hash, g_str_equal);
    g->now = default_now;
    g->defer_src = g_source_new(&defer_funcs, sizeof(GSource) + sizeof(BlockGraph *));
    *(BlockGraph **)(g->defer_src + 1) = g;
    g_source_set_name(g->defer_src, "block-defer");
    g_source_attach(g->defer_src, g->ctx);
    return g;
}

void block_node_free(BlockNode *n);
void blk_free(BlockBackend *blk);

void block_graph_free(BlockGraph *g)
{
    if (!g) {
        return;
    }
    /* Requests still running complete first, their callbacks told (an
     * unplugged device's orphaned requests free themselves), so nothing in
     * an engine refers to a node or fd freed below. blk_drain on a zombie
     * frees it when its last request is done. */
    for (guint i = 0; i < g->backends->len; i++) {
        blk_drain(g_ptr_array_index(g->backends, i));
    }
    while (g->zombies->len) {
        guint before = g->zombies->len;
        blk_drain(g_ptr_array_index(g->zombies, 0));
        if (g->zombies->len == before) {
            break;   /* blk_drain gave up (it warned) */
        }
    }
    block_graph_run_deferred(g);
    /* Backends first (they hold nodes), then nodes newest first (parents
     * were created after their children). */
    g->freeing = true;
    while (g->backends->len) {
        blk_free(g_ptr_array_index(g->backends, g->backends->len - 1));
    }
    while (g->zombies->len) {
        blk_free(g_ptr_array_index(g->zombies, g->zombies->len - 1));
    }
    while (g->nodes->len) {
        block_node_free(g_ptr_array_index(g->nodes, g->nodes->len - 1));
    }
    /* Engines wait for their in-flight work before going away. */
    if (g->uring) {
        g->uring->ops->free(g->uring);
    }
    if (g->threads) {
        g->threads->ops->free(g->threads);
    }
    g_source_destroy(g->defer_src);
    g_source_unref(g->defer_src);
    g_ptr_array_unref(g->nodes);
    g_ptr_array_unref(g->backends);
    g_ptr_array_unref(g->zombies);
    g_hash_table_unref(g->drive_index);
    g_hash_table_unref(g->throttle_groups);
    g_main_context_unref(g->ctx);
    g_free(g);
}

BlockNode *block_graph_find_node(BlockGraph *g, const char *node_name)
{
    for (guint i = 0; i < g->nodes->len; i++) {
        BlockNode *n = g_ptr_array_index(g->nodes, i);
        if (!strcmp(n->node_name, node_name)) {
            return n;
        }
    }
    return NULL;
}

BlockBackend *block_graph_find_backend(BlockGraph *g, const char *name)
{
    for (guint i = 0; i < g->backends->len; i++) {
        BlockBackend *b = g_ptr_array_index(g->backends, i);
        if (!b->anonymous && !strcmp(b->name, name)) {
            return b;
        }
    }
    return NULL;
}

guint block_graph_node_count(BlockGraph *g)
{
    return g->nodes->len;
}

BlockNode *block_graph_node_at(BlockGraph *g, guint i)
{
    return i < g->nodes->len ? g_ptr_array_index(g->nodes, i) : NULL;
}

guint block_graph_backend_count(BlockGraph *g)
{
    return g->backends->len;
}

BlockBackend *block_graph_backend_at(BlockGraph *g, guint i)
{
    return i < g->backends->len ? g_ptr_array_index(g->backends, i) : NULL;
}

void block_graph_iostatus_reset(BlockGraph *g)
{
    for (guint i = 0; i < g->backends->len; i++) {
        BlockBackend *b = g_ptr_array_index(g->backends, i);
        b->iostatus = BLOCK_IO_STATUS_OK;
    }
}

/* QEMU's node names: letters, digits, '-', '.', '_', starting with a
 * letter, at most 31 characters. */
bool block_node_name_valid(const char *name)
{
    if (!g_ascii_isalpha(name[0]) || strlen(name) > 31) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

/* QEMU's id_generate: a counter and two random digits, so that nobody
 * relies on the exact value. */
char *block_graph_auto_name(BlockGraph *g)
{
    return g_strdup_printf("#block%" G_GUINT64_FORMAT "%02d", g->auto_names++,
                           g_random_int_range(0, 100));
}

BlockNode *block_node_leaf(BlockNode *n)
{
    while (n && n->file) {
        n = n->file;
    }
    return n;
}

bool block_node_in_use(BlockNode *n)
{
    return n->parents > 0 || n->backends > 0;
}

int64_t block_node_actual_size(BlockNode *n)
{
    BlockNode *leaf = block_node_leaf(n);
    if (!leaf->drv->actual_size) {
        return 0;
    }
    return leaf->drv->actual_size(leaf);
}

const char *block_aio_mode_name(BlockAioMode m)
{
    switch (m) {
    case BLOCK_AIO_THREADS:
        return "threads";
    case BLOCK_AIO_NATIVE:
        return "native";
    case BLOCK_AIO_IO_URING:
        return "io_uring";
    }
    return "?";
}

const char *block_discard_mode_name(BlockDiscardMode m)
{
    switch (m) {
    case BLOCK_DISCARD_IGNORE:
        return "ignore";
    case BLOCK_DISCARD_UNMAP:
        return "unmap";
    }
    return "?";
}

const char *block_detect_zeroes_name(BlockDetectZeroes d)
{
    switch (d) {
    case BLOCK_DETECT_ZEROES_OFF:
        return "off";
    case BLOCK_DETECT_ZEROES_ON:
        return "on";
    case BLOCK_DETECT_ZEROES_UNMAP:
        return "unmap";
    }
    return "?";
}

const char *block_on_error_name(BlockOnError e)
{
    switch (e) {
    case BLOCK_ON_ERROR_REPORT:
        return "report";
    case BLOCK_ON_ERROR_IGNORE:
        return "ignore";
    case BLOCK_ON_ERROR_ENOSPC:
        return "enospc";
    case BLOCK_ON_ERROR_STOP:
        return "stop";
    case BLOCK_ON_ERROR_AUTO:
        return "auto";
    }
    return "?";
}

const char *block_io_status_name(BlockIoStatus s)
{
    switch (s) {
    case BLOCK_IO_STATUS_OK:
        return "ok";
    case BLOCK_IO_STATUS_FAILED:
        return "failed";
    case BLOCK_IO_STATUS_NOSPACE:
        return "nospace";
    }
    return "?";
}
