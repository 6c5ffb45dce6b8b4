/* I/O throttling with QEMU's leaky buckets. Each limit is a bucket that
 * fills with the units (bytes or operations) of admitted requests and
 * leaks at `avg` per second; a request waits while a bucket holds more
 * than its size (avg/10 without a burst; max * burst_length with one,
 * where a second bucket of size max/10 leaking at `max` caps the burst
 * rate). Backends in the same group share the buckets. Reads and writes
 * queue separately, in order; a timer releases them. */
#define G_LOG_DOMAIN "tern-block"
#include <string.h>

#include "block/block-int.h"
#include "util/error.h"

#define THROTTLE_VALUE_MAX 1000000000000000ULL   /* QEMU's limit for every value */
#define NS_PER_SEC 1000000000.0

struct BlockThrottle {
    char *name;
    BlockGraph *graph;
    unsigned members;
    ThrottleConfig cfg;
    double level[THROTTLE_BUCKETS];
    double burst_level[THROTTLE_BUCKETS];
    int64_t previous_leak;             /* graph clock, ns */
    BlockRequest *head[2], *tail[2];   /* [0] reads, [1] writes */
    GSource *timer;
};

bool throttle_config_enabled(const ThrottleConfig *cfg)
{
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        if (cfg->limits[i].avg || cfg->limits[i].max) {
            return true;
        }
    }
    return false;
}

void throttle_config_init(ThrottleConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        cfg->limits[i].burst_length = 1;
    }
}

void throttle_config_clear(ThrottleConfig *cfg)
{
    g_free(cfg->group);
    memset(cfg, 0, sizeof(*cfg));
}

void throttle_config_copy(ThrottleConfig *dst, const ThrottleConfig *src)
{
    char *group = g_strdup(src->group);
    throttle_config_clear(dst);
    *dst = *src;
    dst->group = group;
}

static bool check_fail(GError **errp, const char *msg)
{
    g_set_error_literal(errp, TERN_ERROR, TERN_ERROR_GENERIC, msg);
    return false;
}

bool throttle_config_check(const ThrottleConfig *cfg, GError **errp)
{
    const ThrottleLimit *l = cfg->limits;
    if ((l[THROTTLE_BPS_TOTAL].avg && (l[THROTTLE_BPS_READ].avg || l[THROTTLE_BPS_WRITE].avg)) ||
        (l[THROTTLE_OPS_TOTAL].avg && (l[THROTTLE_OPS_READ].avg || l[THROTTLE_OPS_WRITE].avg)) ||
        (l[THROTTLE_BPS_TOTAL].max && (l[THROTTLE_BPS_READ].max || l[THROTTLE_BPS_WRITE].max)) ||
        (l[THROTTLE_OPS_TOTAL].max && (l[THROTTLE_OPS_READ].max || l[THROTTLE_OPS_WRITE].max))) {
        return check_fail(errp, "bps/iops/max total values and read/write values"
                                " cannot be used at the same time");
    }
    /* QEMU 7.2 has no range check for iops_size (a negative one is kept
     * as a huge size), only this. */
    if (cfg->iops_size && !l[THROTTLE_OPS_TOTAL].avg && !l[THROTTLE_OPS_READ].avg &&
        !l[THROTTLE_OPS_WRITE].avg) {
        return check_fail(errp, "iops size requires an iops value to be set");
    }
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        if (l[i].avg > THROTTLE_VALUE_MAX || l[i].max > THROTTLE_VALUE_MAX) {
            return check_fail(errp, "bps/iops/max values must be within [0, 1000000000000000]");
        }
        if (!l[i].burst_length) {
            return check_fail(errp, "the burst length cannot be 0");
        }
        if (l[i].burst_length > 1 && !l[i].max) {
            return check_fail(errp, "burst length set without burst rate");
        }
        if (l[i].max && l[i].burst_length > THROTTLE_VALUE_MAX / l[i].max) {
            return check_fail(errp, "burst length too high for this burst rate");
        }
        if (l[i].max && !l[i].avg) {
            return check_fail(errp, "bps_max/iops_max require corresponding bps/iops values");
        }
        if (l[i].max && l[i].max < l[i].avg) {
            return check_fail(errp, "bps_max/iops_max cannot be lower than bps/iops");
        }
    }
    return true;
}

static bool is_bps(int i)
{
    return i == THROTTLE_BPS_TOTAL || i == THROTTLE_BPS_READ || i == THROTTLE_BPS_WRITE;
}

/* The buckets a read (write = 0) or write (write = 1) goes through. */
static bool applies(int i, int write)
{
    switch (i) {
    case THROTTLE_BPS_TOTAL:
    case THROTTLE_OPS_TOTAL:
        return true;
    case THROTTLE_BPS_READ:
    case THROTTLE_OPS_READ:
        return !write;
    case THROTTLE_BPS_WRITE:
    case THROTTLE_OPS_WRITE:
        return write;
    }
    return false;
}

static void leak(BlockThrottle *t, int64_t now)
{
    double secs = (now - t->previous_leak) / NS_PER_SEC;
    if (secs <= 0) {
        return;
    }
    t->previous_leak = now;
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        const ThrottleLimit *l = &t->cfg.limits[i];
        t->level[i] = MAX(0.0, t->level[i] - l->avg * secs);
        t->burst_level[i] = MAX(0.0, t->burst_level[i] - l->max * secs);
    }
}

/* A wait in ns, at least 1, clamped so a huge request on a tiny limit
 * waits very long instead of overflowing into "now". */
static int64_t ns_from_secs(double secs)
{
    double ns = secs * NS_PER_SEC + 1;
    return ns >= (double)(INT64_MAX / 4) ? INT64_MAX / 4 : (int64_t)ns;
}

/* ns until bucket i lets one more request through, 0 if it does now. */
static int64_t bucket_wait(BlockThrottle *t, int i)
{
    const ThrottleLimit *l = &t->cfg.limits[i];
    if (!l->avg) {
        return 0;
    }
    double size = l->max ? (double)l->max * l->burst_length : l->avg / 10.0;
    double extra = t->level[i] - size;
    if (extra > 0) {
        return ns_from_secs(extra / l->avg);
    }
    if (l->max && l->burst_length > 1) {
        extra = t->burst_level[i] - l->max / 10.0;
        if (extra > 0) {
            return ns_from_secs(extra / l->max);
        }
    }
    return 0;
}

static int64_t group_wait(BlockThrottle *t, int write)
{
    int64_t wait = 0;
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        if (applies(i, write)) {
            wait = MAX(wait, bucket_wait(t, i));
        }
    }
    return wait;
}

static void admit(BlockThrottle *t, const BlockRequest *req, int write)
{
    double ops = 1;
    if (t->cfg.iops_size && req->bytes > t->cfg.iops_size) {
        ops = (double)req->bytes / t->cfg.iops_size;
    }
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        if (!applies(i, write)) {
            continue;
        }
        double units = is_bps(i) ? (double)req->bytes : ops;
        t->level[i] += units;
        if (t->cfg.limits[i].max) {
            t->burst_level[i] += units;
        }
    }
}

static void enqueue(BlockThrottle *t, BlockRequest *req, int write)
{
    req->next = NULL;
    if (t->tail[write]) {
        t->tail[write]->next = req;
    } else {
        t->head[write] = req;
    }
    t->tail[write] = req;
}

/* Releases what the buckets allow at `now`, then arms the timer for the
 * rest. */
static void run_queues_at(BlockThrottle *t, int64_t now)
{
    int64_t next = -1;
    leak(t, now);
    for (int w = 0; w < 2; w++) {
        while (t->head[w]) {
            int64_t wait = group_wait(t, w);
            if (wait > 0) {
                next = next < 0 ? wait : MIN(next, wait);
                break;
            }
            BlockRequest *req = t->head[w];
            t->head[w] = req->next;
            if (!t->head[w]) {
                t->tail[w] = NULL;
            }
            req->next = NULL;
            admit(t, req, w);
            block_request_dispatch(req->blk, req);
        }
    }
    g_source_set_ready_time(t->timer, next < 0 ? -1 : g_get_monotonic_time() + next / 1000 + 1);
}

static void run_queues(BlockThrottle *t)
{
    run_queues_at(t, block_graph_now(t->graph));
}

/* The graph's clock jumped (qtest's clock_step): release requests at the
 * times the release timer would have fired on the way, not all at the
 * end, so the rate holds as on QEMU's virtual-clock timers. */
static void catch_up(BlockThrottle *t, int64_t now)
{
    for (int guard = 0; guard < 100000; guard++) {
        int64_t next = -1;
        for (int w = 0; w < 2; w++) {
            if (t->head[w]) {
                int64_t at = t->previous_leak + group_wait(t, w);
                next = next < 0 ? at : MIN(next, at);
            }
        }
        if (next < 0 || next >= now) {
            break;
        }
        run_queues_at(t, next);
    }
    run_queues_at(t, now);
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    BlockThrottle *t = *(BlockThrottle **)(src + 1);
    g_source_set_ready_time(src, -1);
    run_queues(t);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
    .dispatch = timer_dispatch,
};

bool block_throttle_intercept(BlockBackend *blk, BlockRequest *req)
{
    BlockThrottle *t = blk->throttle;
    if (req->op != BLOCK_OP_READ && req->op != BLOCK_OP_WRITE) {
        return false;   /* QEMU throttles reads and writes only */
    }
    int w = req->op == BLOCK_OP_WRITE;
    leak(t, block_graph_now(t->graph));
    if (!t->head[w] && group_wait(t, w) == 0) {
        admit(t, req, w);
        return false;
    }
    enqueue(t, req, w);
    run_queues(t);
    return true;
}

void block_graph_clock_moved(BlockGraph *g)
{
    int64_t now = block_graph_now(g);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, g->throttle_groups);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        catch_up(v, now);
    }
}

void block_graph_throttle_kick(BlockGraph *g)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, g->throttle_groups);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        run_queues(v);
    }
}

/* Takes blk's requests off the group's queues and sends them on. */
static void release_member(BlockThrottle *t, BlockBackend *blk)
{
    for (int w = 0; w < 2; w++) {
        BlockRequest *keep_head = NULL, *keep_tail = NULL, *mine = NULL, **mine_tail = &mine;
        for (BlockRequest *r = t->head[w], *next; r; r = next) {
            next = r->next;
            r->next = NULL;
            if (r->blk == blk) {
                *mine_tail = r;
                mine_tail = &r->next;
            } else {
                if (keep_tail) {
                    keep_tail->next = r;
                } else {
                    keep_head = r;
                }
                keep_tail = r;
            }
        }
        t->head[w] = keep_head;
        t->tail[w] = keep_tail;
        for (BlockRequest *r = mine, *next; r; r = next) {
            next = r->next;
            r->next = NULL;
            block_request_dispatch(blk, r);
        }
    }
}

void block_throttle_release(BlockBackend *blk)
{
    if (blk->throttle) {
        release_member(blk->throttle, blk);
    }
}

void block_throttle_detach(BlockBackend *blk)
{
    BlockThrottle *t = blk->throttle;
    if (!t) {
        return;
    }
    blk->throttle = NULL;
    release_member(t, blk);
    if (--t->members == 0) {
        g_hash_table_remove(t->graph->throttle_groups, t->name);
        g_source_destroy(t->timer);
        g_source_unref(t->timer);
        throttle_config_clear(&t->cfg);
        g_free(t->name);
        g_free(t);
    }
}

static BlockThrottle *group_get(BlockGraph *g, const char *name)
{
    BlockThrottle *t = g_hash_table_lookup(g->throttle_groups, name);
    if (t) {
        return t;
    }
    t = g_new0(BlockThrottle, 1);
    t->name = g_strdup(name);
    t->graph = g;
    t->timer = g_source_new(&timer_funcs, sizeof(GSource) + sizeof(BlockThrottle *));
    *(BlockThrottle **)(t->timer + 1) = t;
    g_source_set_name(t->timer, "block-throttle");
    g_source_attach(t->timer, g->ctx);
    g_hash_table_insert(g->throttle_groups, t->name, t);
    return t;
}

bool blk_set_throttle(BlockBackend *blk, const ThrottleConfig *cfg, GError **errp)
{
    if (!throttle_config_check(cfg, errp)) {
        return false;
    }
    if (!throttle_config_enabled(cfg)) {
        block_throttle_detach(blk);
        throttle_config_clear(&blk->throttle_cfg);
        return true;
    }
    /* An empty group name is a group like any other, as in QEMU. */
    const char *name = cfg->group ? cfg->group : blk->name;
    if (cfg->group_default && blk->throttle) {
        name = blk->throttle->name;
    }
    if (blk->throttle && strcmp(blk->throttle->name, name)) {
        block_throttle_detach(blk);
    }
    BlockThrottle *t = blk->throttle;
    if (!t) {
        t = group_get(blk->graph, name);
        t->members++;
        blk->throttle = t;
    }
    /* A new config starts with empty buckets (QEMU's does too) and
     * applies to the whole group. */
    throttle_config_copy(&t->cfg, cfg);
    memset(t->level, 0, sizeof(t->level));
    memset(t->burst_level, 0, sizeof(t->burst_level));
    t->previous_leak = block_graph_now(blk->graph);
    for (guint i = 0; i < blk->graph->backends->len; i++) {
        BlockBackend *b = g_ptr_array_index(blk->graph->backends, i);
        if (b->throttle == t) {
            throttle_config_copy(&b->throttle_cfg, cfg);
            g_free(b->throttle_cfg.group);
            b->throttle_cfg.group = g_strdup(t->name);
        }
    }
    run_queues(t);
    return true;
}
