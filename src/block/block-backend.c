/* Backends: what a device holds. Request checks, statistics, error
 * policies, and the way down to the protocol node. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block-int.h"
#include "block/engine.h"
#include "util/error.h"

BlockBackend *blk_new(BlockGraph *g, const char *name, BlockNode *root)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);
    blk->graph = g;
    blk->anonymous = !name;
    blk->name = g_strdup(name ? name : "");
    blk->root = root;
    if (root) {
        root->refcount++;
        root->backends++;
    }
    /* QEMU's blk_new defaults. */
    blk->on_read_error = BLOCK_ON_ERROR_REPORT;
    blk->on_write_error = BLOCK_ON_ERROR_ENOSPC;
    blk->write_cache = true;
    blk->stats.account_invalid = blk->stats.account_failed = true;
    g_ptr_array_add(g->backends, blk);
    return blk;
}

void blk_free(BlockBackend *blk)
{
    /* Requests still in the engines would complete into freed memory: the
     * backend leaves the graph now and goes when the last one is done. */
    if (blk->in_flight > 0 && !blk->graph->freeing) {
        if (!blk->zombie) {
            blk->zombie = true;
            g_ptr_array_remove(blk->graph->backends, blk);
            g_ptr_array_add(blk->graph->zombies, blk);
        }
        return;
    }
    g_ptr_array_remove(blk->graph->zombies, blk);
    block_throttle_detach(blk);
    throttle_config_clear(&blk->throttle_cfg);
    g_ptr_array_remove(blk->graph->backends, blk);
    if (blk->root) {
        blk->root->backends--;
        block_node_unref(blk->root);
    }
    g_free(blk->name);
    g_free(blk->dev_id);
    g_free(blk->if_type);
    g_free(blk);
}

BlockBackend *blk_attach_by_name(BlockGraph *g, const char *name, const char *dev_id,
                                 GError **errp)
{
    BlockBackend *blk = block_graph_find_backend(g, name);
    if (!blk) {
        BlockNode *n = block_graph_find_node(g, name);
        if (!n) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Property 'virtio-blk-device.drive' can't find value '%s'", name);
            return NULL;
        }
        /* Two writers on one node: QEMU refuses with a permission
         * conflict naming both users; Tern names the node. */
        if (block_node_in_use(n)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Permission conflict on node '%s': it is already in use", name);
            return NULL;
        }
        blk = blk_new(g, NULL, n);
    } else if (blk->attached) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Drive '%s' is already in use by another device", name);
        return NULL;
    }
    blk->attached = true;
    blk->dev_id = g_strdup(dev_id);
    /* Devices that report errors keep an io-status (query-block shows it). */
    blk->iostatus_enabled = true;
    blk->iostatus = BLOCK_IO_STATUS_OK;
    return blk;
}

static void detach(BlockBackend *blk, bool auto_delete)
{
    if (!blk) {
        return;
    }
    blk->attached = false;
    blk->iostatus_enabled = false;
    g_clear_pointer(&blk->dev_id, g_free);
    blk->resize_cb = NULL;
    blk->resize_opaque = NULL;
    /* Anonymous backends exist only for their device; a -drive goes away
     * with the device it was given to, as QEMU's auto-deletion does. */
    if (blk->anonymous || (auto_delete && blk->if_type)) {
        blk_free(blk);
    }
}

void blk_detach(BlockBackend *blk)
{
    detach(blk, true);
}

void blk_detach_keep(BlockBackend *blk)
{
    detach(blk, false);
}

const char *blk_name(BlockBackend *blk)
{
    return blk->name;
}

BlockNode *blk_root(BlockBackend *blk)
{
    return blk->root;
}

uint64_t blk_length(BlockBackend *blk)
{
    return blk->root ? blk->root->size : 0;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk->root && blk->root->read_only;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    return blk->write_cache;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool on)
{
    blk->write_cache = on;
}

bool blk_discard_enabled(BlockBackend *blk)
{
    return blk->root && blk->root->discard == BLOCK_DISCARD_UNMAP;
}

void blk_set_resize_cb(BlockBackend *blk, void (*cb)(void *opaque), void *opaque)
{
    blk->resize_cb = cb;
    blk->resize_opaque = opaque;
}

unsigned blk_in_flight(BlockBackend *blk)
{
    return blk->in_flight;
}

static void drain(BlockBackend *blk);

void blk_drain(BlockBackend *blk)
{
    blk->draining = true;
    drain(blk);
    blk->draining = false;
    if (blk->zombie && blk->in_flight == 0) {
        blk_free(blk);
    }
}

static void drain(BlockBackend *blk)
{
    BlockGraph *g = blk->graph;
    block_throttle_release(blk);
    BlockEngine *engines[] = { g->uring, g->threads };
    while (blk->in_flight > 0) {
        if (g->defer_head) {
            block_graph_run_deferred(g);
            continue;
        }
        /* What has finished first; then wait on an engine with work. */
        bool busy = false;
        for (unsigned i = 0; i < G_N_ELEMENTS(engines); i++) {
            busy |= engines[i] && engines[i]->ops->poll(engines[i], false);
        }
        if (blk->in_flight == 0 || g->defer_head) {
            continue;
        }
        if (!busy) {
            /* Every request is in an engine, the defer list or a throttle
             * queue; none of them: a bookkeeping bug, not worth a hang. */
            g_warning("blk_drain: %u requests nowhere to be found", blk->in_flight);
            return;
        }
        for (unsigned i = 0; i < G_N_ELEMENTS(engines); i++) {
            if (engines[i] && engines[i]->ops->poll(engines[i], true)) {
                break;
            }
        }
    }
}

bool blk_iostatus_is_enabled(BlockBackend *blk)
{
    return blk->iostatus_enabled &&
           (blk->on_write_error == BLOCK_ON_ERROR_ENOSPC ||
            blk->on_write_error == BLOCK_ON_ERROR_STOP ||
            blk->on_read_error == BLOCK_ON_ERROR_STOP);
}

BlockErrorAction blk_error_action(BlockBackend *blk, bool is_read, int error)
{
    BlockOnError on = is_read ? blk->on_read_error : blk->on_write_error;
    error = abs(error);
    switch (on) {
    case BLOCK_ON_ERROR_ENOSPC:
        return error == ENOSPC ? BLOCK_ERROR_ACTION_STOP : BLOCK_ERROR_ACTION_REPORT;
    case BLOCK_ON_ERROR_STOP:
        return BLOCK_ERROR_ACTION_STOP;
    case BLOCK_ON_ERROR_REPORT:
        return BLOCK_ERROR_ACTION_REPORT;
    case BLOCK_ON_ERROR_IGNORE:
        return BLOCK_ERROR_ACTION_IGNORE;
    case BLOCK_ON_ERROR_AUTO:
        /* Not resolved by a device: QEMU's backend defaults. */
        return !is_read && error == ENOSPC ? BLOCK_ERROR_ACTION_STOP : BLOCK_ERROR_ACTION_REPORT;
    }
    return BLOCK_ERROR_ACTION_REPORT;
}

static const char *action_name(BlockErrorAction a)
{
    switch (a) {
    case BLOCK_ERROR_ACTION_REPORT:
        return "report";
    case BLOCK_ERROR_ACTION_IGNORE:
        return "ignore";
    case BLOCK_ERROR_ACTION_STOP:
        return "stop";
    }
    return "report";
}

void blk_report_error(BlockBackend *blk, BlockErrorAction action, bool is_read, int error)
{
    error = abs(error);
    BlockGraph *g = blk->graph;
    if (action == BLOCK_ERROR_ACTION_STOP && blk_iostatus_is_enabled(blk) &&
        blk->iostatus == BLOCK_IO_STATUS_OK) {
        /* Set before the event, so that query-block agrees with it. */
        blk->iostatus = error == ENOSPC ? BLOCK_IO_STATUS_NOSPACE : BLOCK_IO_STATUS_FAILED;
    }
    JsonObject *data = json_object_new();
    json_object_set_string_member(data, "device", blk->name);
    if (blk->root) {
        json_object_set_string_member(data, "node-name", blk->root->node_name);
    }
    json_object_set_string_member(data, "operation", is_read ? "read" : "write");
    json_object_set_string_member(data, "action", action_name(action));
    if (blk_iostatus_is_enabled(blk)) {
        json_object_set_boolean_member(data, "nospace", error == ENOSPC);
    }
    json_object_set_string_member(data, "reason", g_strerror(error));
    if (g->hooks.event) {
        g->hooks.event(g->hooks.opaque, "BLOCK_IO_ERROR", data);
    } else {
        json_object_unref(data);
    }
    if (action == BLOCK_ERROR_ACTION_STOP && g->hooks.stop_vm) {
        g->hooks.stop_vm(g->hooks.opaque);
    }
}

static uint64_t iov_bytes(const BlockRequest *req)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < req->niov; i++) {
        sum += req->iov[i].iov_len;
    }
    return sum;
}

static bool op_writes(BlockOp op)
{
    return op == BLOCK_OP_WRITE || op == BLOCK_OP_DISCARD || op == BLOCK_OP_WRITE_ZEROES;
}

void block_request_dispatch(BlockBackend *blk, BlockRequest *req)
{
    req->leaf = block_node_leaf(blk->root);
    req->leaf->drv->submit(req->leaf, req);
}

void blk_submit(BlockBackend *blk, BlockRequest *req)
{
    BlockGraph *g = blk->graph;
    req->blk = blk;
    req->start_ns = block_graph_now(g);
    req->next = NULL;
    req->done = 0;
    req->ret = 0;
    req->engine_priv = NULL;
    req->invalid = false;
    req->leaf = NULL;
    if (req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE) {
        req->bytes = iov_bytes(req);
    } else if (req->op == BLOCK_OP_FLUSH) {
        req->bytes = 0;
    }
    blk->in_flight++;
    if (!blk->root) {
        block_graph_defer_complete(g, req, -ENOMEDIUM);
        return;
    }
    if (op_writes(req->op) && blk->root->read_only) {
        block_graph_defer_complete(g, req, -EPERM);
        return;
    }
    if (req->op != BLOCK_OP_FLUSH &&
        (req->offset > blk->root->size || req->bytes > blk->root->size - req->offset)) {
        req->invalid = true;
        block_graph_defer_complete(g, req, -EIO);
        return;
    }
    if (blk->throttle && block_throttle_intercept(blk, req)) {
        return;
    }
    block_request_dispatch(blk, req);
}

void blk_flush_submissions(BlockBackend *blk)
{
    BlockGraph *g = blk->graph;
    if (g->uring) {
        g->uring->ops->flush(g->uring);
    }
}

static void account(BlockBackend *blk, BlockRequest *req, int ret, int64_t now)
{
    BlockStats *s = &blk->stats;
    uint64_t lat = now > req->start_ns ? now - req->start_ns : 0;
    uint64_t *ops, *bytes, *time, *failed, *invalid;
    switch (req->op) {
    case BLOCK_OP_READ:
        ops = &s->rd_operations, bytes = &s->rd_bytes, time = &s->rd_total_time_ns;
        failed = &s->failed_rd_operations, invalid = &s->invalid_rd_operations;
        break;
    case BLOCK_OP_WRITE:
    case BLOCK_OP_WRITE_ZEROES:   /* QEMU's virtio-blk accounts these as writes */
        ops = &s->wr_operations, bytes = &s->wr_bytes, time = &s->wr_total_time_ns;
        failed = &s->failed_wr_operations, invalid = &s->invalid_wr_operations;
        break;
    case BLOCK_OP_FLUSH:
        ops = &s->flush_operations, bytes = NULL, time = &s->flush_total_time_ns;
        failed = &s->failed_flush_operations, invalid = &s->invalid_flush_operations;
        break;
    case BLOCK_OP_DISCARD:
        ops = &s->unmap_operations, bytes = &s->unmap_bytes, time = &s->unmap_total_time_ns;
        failed = &s->failed_unmap_operations, invalid = &s->invalid_unmap_operations;
        break;
    default:
        return;
    }
    if (req->invalid) {
        if (s->account_invalid) {
            (*invalid)++;
            s->last_done_ns = now;
        }
        return;
    }
    if (ret < 0) {
        if (s->account_failed) {
            (*failed)++;
            *time += lat;
            s->last_done_ns = now;
        }
        return;
    }
    (*ops)++;
    if (bytes) {
        *bytes += req->bytes;
    }
    *time += lat;
    s->last_done_ns = now;
    if ((req->op == BLOCK_OP_WRITE || req->op == BLOCK_OP_WRITE_ZEROES) && blk->root) {
        uint64_t end = req->offset + req->bytes;
        for (BlockNode *n = blk->root; n; n = n->file) {
            n->wr_highest_offset = MAX(n->wr_highest_offset, end);
        }
    }
}

void block_request_done(BlockRequest *req, int ret)
{
    BlockBackend *blk = req->blk;
    account(blk, req, ret, block_graph_now(blk->graph));
    blk->in_flight--;
    req->cb(req, ret);
    if (blk->zombie && blk->in_flight == 0 && !blk->draining) {
        blk_free(blk);
    }
}
