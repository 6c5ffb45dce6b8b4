/* Block QMP commands: blockdev-add/del, query-block,
 * query-named-block-nodes, query-blockstats, block_resize and
 * block_set_io_throttle, with QEMU 7.2's replies and error texts. The
 * block layer does the work; this file looks names up and shapes JSON. */
#include "block/block-int.h"
#include "board/pc.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qom.h"
#include "util/error.h"

#include <string.h>

/* ---- lookups ---- */

/* Backends the monitor shows: named ones and anonymous ones a device
 * uses (QEMU's query-block and query-blockstats list the same set). */
static bool backend_listed(BlockBackend *blk)
{
    return !blk->anonymous || blk->attached;
}

/* A backend by its -drive id; anonymous backends have no name to find. */
static BlockBackend *find_named_backend(BlockGraph *g, const char *name)
{
    if (!name || !*name) {
        return NULL;
    }
    BlockBackend *blk = block_graph_find_backend(g, name);
    return blk && !blk->anonymous ? blk : NULL;
}

/* Whether a device's drive= value names blk: a backend by its name, or
 * the node an anonymous backend was made for. */
static bool drive_names_backend(const char *drive, BlockBackend *blk)
{
    if (!blk->anonymous) {
        return !strcmp(drive, blk->name);
    }
    return blk->root && !strcmp(drive, blk->root->node_name);
}

/* QEMU's "qdev" member: the QOM path of the device's block interface; for
 * virtio-blk-pci that is the virtio-backend child of the PCI proxy. Found
 * through the devices' drive= properties, which also covers devices
 * without an id. */
static char *backend_qdev_path(Machine *m, BlockBackend *blk)
{
    if (!blk->attached) {
        return NULL;
    }
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *dev = g_ptr_array_index(m->devices, i);
        const DeviceProperty *p = device_find_property(dev->info, "drive");
        if (!p) {
            continue;
        }
        g_autoptr(JsonNode) v = device_property_get(dev, p);
        const char *drive = json_node_get_string(v);
        if (!drive || !drive_names_backend(drive, blk)) {
            continue;
        }
        g_autofree char *path = qom_device_path(m, dev);
        if (g_str_has_prefix(dev->info->name, "virtio-")) {
            return g_strdup_printf("%s/virtio-backend", path);
        }
        return g_steal_pointer(&path);
    }
    return NULL;
}

/* ---- BlockDeviceInfo ---- */

typedef struct ThrottleName {
    ThrottleBucketType bucket;
    const char *name;
} ThrottleName;

/* QEMU's member names, in its order. */
static const ThrottleName throttle_names[THROTTLE_BUCKETS] = {
    { THROTTLE_BPS_TOTAL, "bps" },  { THROTTLE_BPS_READ, "bps_rd" },
    { THROTTLE_BPS_WRITE, "bps_wr" }, { THROTTLE_OPS_TOTAL, "iops" },
    { THROTTLE_OPS_READ, "iops_rd" }, { THROTTLE_OPS_WRITE, "iops_wr" },
};

static void set_throttle_members(JsonObject *o, BlockBackend *blk)
{
    const ThrottleConfig *cfg = blk ? &blk->throttle_cfg : NULL;
    bool on = cfg && throttle_config_enabled(cfg);
    for (guint i = 0; i < THROTTLE_BUCKETS; i++) {
        const ThrottleLimit *l = on ? &cfg->limits[throttle_names[i].bucket] : NULL;
        json_object_set_int_member(o, throttle_names[i].name, l ? (gint64)l->avg : 0);
    }
    if (!on) {
        return;
    }
    /* Bursts and iops_size only when set, as QEMU. */
    for (guint i = 0; i < THROTTLE_BUCKETS; i++) {
        const ThrottleLimit *l = &cfg->limits[throttle_names[i].bucket];
        if (l->max) {
            g_autofree char *max = g_strdup_printf("%s_max", throttle_names[i].name);
            g_autofree char *len = g_strdup_printf("%s_max_length", throttle_names[i].name);
            json_object_set_int_member(o, max, (gint64)l->max);
            json_object_set_int_member(o, len, (gint64)l->burst_length);
        }
    }
    if (cfg->iops_size) {
        json_object_set_int_member(o, "iops_size", (gint64)cfg->iops_size);
    }
    json_object_set_string_member(o, "group", cfg->group ? cfg->group : blk->name);
}

static JsonObject *image_info(BlockNode *n)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "filename", n->filename);
    json_object_set_string_member(o, "format", n->drv->name);
    /* QEMU asks the driver for its info; only file-backed images answer,
     * and a raw image is never dirty. */
    if (block_node_leaf(n)->fd >= 0) {
        json_object_set_boolean_member(o, "dirty-flag", false);
    }
    int64_t actual = block_node_actual_size(n);
    if (actual >= 0) {
        json_object_set_int_member(o, "actual-size", actual);
    }
    json_object_set_int_member(o, "virtual-size", (gint64)n->size);
    return o;
}

/* blk: the backend whose top node n is (query-block), for its throttling
 * and write-cache mode; NULL for a node on its own. */
static JsonObject *node_info(BlockNode *n, BlockBackend *blk)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "file", n->filename);
    json_object_set_string_member(o, "node-name", n->node_name);
    json_object_set_boolean_member(o, "ro", n->read_only);
    json_object_set_string_member(o, "drv", n->drv->name);
    json_object_set_int_member(o, "backing_file_depth", 0);
    json_object_set_boolean_member(o, "encrypted", false);
    json_object_set_string_member(o, "detect_zeroes", block_detect_zeroes_name(n->detect_zeroes));
    set_throttle_members(o, blk);
    json_object_set_object_member(o, "image", image_info(n));
    JsonObject *cache = json_object_new();
    /* A node alone always reports writeback; the backend has the mode. */
    json_object_set_boolean_member(cache, "writeback", blk ? blk->write_cache : true);
    json_object_set_boolean_member(cache, "direct", n->cache_direct);
    json_object_set_boolean_member(cache, "no-flush", n->cache_no_flush);
    json_object_set_object_member(o, "cache", cache);
    json_object_set_int_member(o, "write_threshold", 0);
    return o;
}

static JsonNode *qmp_query_block(QmpContext *ctx, JsonObject *args, GError **errp)
{
    BlockGraph *g = ctx->m->block;
    JsonArray *a = json_array_new();
    for (guint i = 0; i < block_graph_backend_count(g); i++) {
        BlockBackend *blk = block_graph_backend_at(g, i);
        if (!backend_listed(blk)) {
            continue;
        }
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "device", blk->name);
        g_autofree char *qdev = backend_qdev_path(ctx->m, blk);
        if (qdev) {
            json_object_set_string_member(o, "qdev", qdev);
        }
        json_object_set_string_member(o, "type", "unknown");
        /* Tern's only block device (virtio-blk) has no removable media;
         * a backend without a device counts as removable, as in QEMU. */
        json_object_set_boolean_member(o, "removable", !blk->attached);
        json_object_set_boolean_member(o, "locked", false);
        if (blk->root) {
            json_object_set_object_member(o, "inserted", node_info(blk->root, blk));
        }
        if (blk_iostatus_is_enabled(blk)) {
            json_object_set_string_member(o, "io-status", block_io_status_name(blk->iostatus));
        }
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

static JsonNode *qmp_query_named_block_nodes(QmpContext *ctx, JsonObject *args,
                                             GError **errp)
{
    /* "flat" only drops backing images from the reply; Tern has none. */
    BlockGraph *g = ctx->m->block;
    JsonArray *a = json_array_new();
    /* Newest first, as QEMU. */
    for (guint i = block_graph_node_count(g); i-- > 0;) {
        json_array_add_object_element(a, node_info(block_graph_node_at(g, i), NULL));
    }
    return qmp_return_array(a);
}

/* ---- BlockStats ---- */

/* A node's own statistics: QEMU accounts requests per backend, so a node
 * only knows its highest written offset. */
static JsonObject *device_stats(BlockGraph *g, const BlockStats *s, uint64_t wr_highest)
{
    static const BlockStats zero;
    if (!s) {
        s = &zero;
    }
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "rd_bytes", (gint64)s->rd_bytes);
    json_object_set_int_member(o, "wr_bytes", (gint64)s->wr_bytes);
    json_object_set_int_member(o, "unmap_bytes", (gint64)s->unmap_bytes);
    json_object_set_int_member(o, "rd_operations", (gint64)s->rd_operations);
    json_object_set_int_member(o, "wr_operations", (gint64)s->wr_operations);
    json_object_set_int_member(o, "flush_operations", (gint64)s->flush_operations);
    json_object_set_int_member(o, "unmap_operations", (gint64)s->unmap_operations);
    json_object_set_int_member(o, "rd_total_time_ns", (gint64)s->rd_total_time_ns);
    json_object_set_int_member(o, "wr_total_time_ns", (gint64)s->wr_total_time_ns);
    json_object_set_int_member(o, "flush_total_time_ns", (gint64)s->flush_total_time_ns);
    json_object_set_int_member(o, "unmap_total_time_ns", (gint64)s->unmap_total_time_ns);
    json_object_set_int_member(o, "wr_highest_offset", (gint64)wr_highest);
    /* Tern does not merge requests. */
    json_object_set_int_member(o, "rd_merged", 0);
    json_object_set_int_member(o, "wr_merged", 0);
    json_object_set_int_member(o, "unmap_merged", 0);
    if (s->last_done_ns) {
        json_object_set_int_member(o, "idle_time_ns", block_graph_now(g) - s->last_done_ns);
    }
    json_object_set_int_member(o, "failed_rd_operations", (gint64)s->failed_rd_operations);
    json_object_set_int_member(o, "failed_wr_operations", (gint64)s->failed_wr_operations);
    json_object_set_int_member(o, "failed_flush_operations",
                               (gint64)s->failed_flush_operations);
    json_object_set_int_member(o, "failed_unmap_operations",
                               (gint64)s->failed_unmap_operations);
    json_object_set_int_member(o, "invalid_rd_operations", (gint64)s->invalid_rd_operations);
    json_object_set_int_member(o, "invalid_wr_operations", (gint64)s->invalid_wr_operations);
    json_object_set_int_member(o, "invalid_flush_operations",
                               (gint64)s->invalid_flush_operations);
    json_object_set_int_member(o, "invalid_unmap_operations",
                               (gint64)s->invalid_unmap_operations);
    json_object_set_boolean_member(o, "account_invalid", s->account_invalid);
    json_object_set_boolean_member(o, "account_failed", s->account_failed);
    json_object_set_array_member(o, "timed_stats", json_array_new());
    return o;
}

/* A node's entry: its stats (or the backend's, for a backend's top
 * node), file-driver counters, and its file child as "parent". */
static JsonObject *node_stats(BlockGraph *g, BlockNode *n, const BlockStats *backend_stats)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "node-name", n->node_name);
    json_object_set_object_member(o, "stats",
                                  device_stats(g, backend_stats, n->wr_highest_offset));
    const char *drv = n->drv->name;
    if (!strcmp(drv, "file") || !strcmp(drv, "host_device")) {
        JsonObject *ds = json_object_new();
        json_object_set_string_member(ds, "driver", drv);
        /* Not counted per node yet (the backend's unmap stats have them). */
        json_object_set_int_member(ds, "discard-nb-ok", 0);
        json_object_set_int_member(ds, "discard-nb-failed", 0);
        json_object_set_int_member(ds, "discard-bytes-ok", 0);
        json_object_set_object_member(o, "driver-specific", ds);
    }
    if (n->file) {
        json_object_set_object_member(o, "parent", node_stats(g, n->file, NULL));
    }
    return o;
}

static JsonNode *qmp_query_blockstats(QmpContext *ctx, JsonObject *args, GError **errp)
{
    BlockGraph *g = ctx->m->block;
    JsonArray *a = json_array_new();
    if (qmp_arg_bool(args, "query-nodes", false)) {
        for (guint i = 0; i < block_graph_node_count(g); i++) {
            json_array_add_object_element(a, node_stats(g, block_graph_node_at(g, i), NULL));
        }
        return qmp_return_array(a);
    }
    for (guint i = 0; i < block_graph_backend_count(g); i++) {
        BlockBackend *blk = block_graph_backend_at(g, i);
        if (!backend_listed(blk)) {
            continue;
        }
        JsonObject *o;
        if (blk->root) {
            o = node_stats(g, blk->root, &blk->stats);
        } else {
            o = json_object_new();
            json_object_set_object_member(o, "stats", device_stats(g, &blk->stats, 0));
        }
        json_object_set_string_member(o, "device", blk->name);
        g_autofree char *qdev = backend_qdev_path(ctx->m, blk);
        if (qdev) {
            json_object_set_string_member(o, "qdev", qdev);
        }
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

/* ---- blockdev-add, blockdev-del ---- */

/* json-glib copies objects by reference; the block layer may take keys
 * out of the options it is given, and the arguments are not ours. */
static JsonNode *json_deep_copy(JsonNode *n)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *src = json_node_get_object(n);
        JsonObject *dst = json_object_new();
        JsonObjectIter it;
        const char *key;
        JsonNode *v;
        json_object_iter_init_ordered(&it, src);
        while (json_object_iter_next_ordered(&it, &key, &v)) {
            json_object_set_member(dst, key, json_deep_copy(v));
        }
        return json_node_init_object(json_node_alloc(), dst);
    }
    if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *src = json_node_get_array(n);
        JsonArray *dst = json_array_new();
        for (guint i = 0; i < json_array_get_length(src); i++) {
            json_array_add_element(dst, json_deep_copy(json_array_get_element(src, i)));
        }
        return json_node_init_array(json_node_alloc(), dst);
    }
    return json_node_copy(n);
}

static JsonNode *qmp_blockdev_add(QmpContext *ctx, JsonObject *args, GError **errp)
{
    /* QEMU checks this before opening anything: a nameless top node
     * could never be found again. */
    if (!qmp_arg_has(args, "node-name")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "'node-name' must be specified for the root node");
        return NULL;
    }
    g_autoptr(JsonNode) wrap = json_node_init_object(json_node_alloc(), args);
    g_autoptr(JsonNode) opts = json_deep_copy(wrap);
    if (!block_graph_add_blockdev(ctx->m->block, json_node_get_object(opts), errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

static JsonNode *qmp_blockdev_del(QmpContext *ctx, JsonObject *args, GError **errp)
{
    if (!block_graph_del_node(ctx->m->block, qmp_arg_str(args, "node-name", ""), errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

/* ---- block_resize ---- */

static JsonNode *qmp_block_resize(QmpContext *ctx, JsonObject *args, GError **errp)
{
    BlockGraph *g = ctx->m->block;
    const char *device = qmp_arg_str(args, "device", NULL);
    const char *node_name = qmp_arg_str(args, "node-name", NULL);
    gint64 size = qmp_arg_int(args, "size", 0);
    if (size < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter 'size' expects a >0 size");
        return NULL;
    }
    /* A backend name wins over a node-name, as QEMU's lookup. */
    BlockBackend *blk = find_named_backend(g, device);
    BlockNode *n = NULL;
    if (blk) {
        n = blk->root;
        if (!n) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Device '%s' has no medium",
                        device);
            return NULL;
        }
    } else if (node_name) {
        n = block_graph_find_node(g, node_name);
    }
    if (!n) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Cannot find device='%s' nor node-name='%s'", device ? device : "",
                    node_name ? node_name : "");
        return NULL;
    }
    if (!block_node_truncate(n, (uint64_t)size, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

/* ---- block_set_io_throttle ---- */

/* "id" is a device's QOM path (QEMU: its block interface, e.g.
 * ".../virtio-backend") or id. A device that exists but whose own object
 * holds no drive gets QEMU's second error. */
static BlockBackend *find_backend_by_qdev(Machine *m, const char *id, GError **errp)
{
    BlockGraph *g = m->block;
    for (guint i = 0; i < block_graph_backend_count(g); i++) {
        BlockBackend *blk = block_graph_backend_at(g, i);
        g_autofree char *qdev = backend_qdev_path(m, blk);
        if (qdev && !strcmp(qdev, id)) {
            return blk;
        }
    }
    bool exists = machine_find_device(m, id) != NULL;
    for (guint i = 0; !exists && i < m->devices->len; i++) {
        g_autofree char *path = qom_device_path(m, g_ptr_array_index(m->devices, i));
        exists = !strcmp(path, id);
    }
    if (exists) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Device does not have a block device backend");
    } else {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", id);
    }
    return NULL;
}

static JsonNode *qmp_block_set_io_throttle(QmpContext *ctx, JsonObject *args, GError **errp)
{
    const char *device = qmp_arg_str(args, "device", NULL);
    const char *id = qmp_arg_str(args, "id", NULL);
    if (!device == !id) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Need exactly one of 'device' and 'id'");
        return NULL;
    }
    BlockBackend *blk;
    if (device) {
        blk = find_named_backend(ctx->m->block, device);
        if (!blk) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found",
                        device);
            return NULL;
        }
    } else {
        blk = find_backend_by_qdev(ctx->m, id, errp);
        if (!blk) {
            return NULL;
        }
    }
    if (!blk->root) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Device '%s' has no medium",
                    device ? device : id);
        return NULL;
    }
    /* Negative numbers become huge unsigned ones, which the range checks
     * refuse with QEMU's texts. */
    ThrottleConfig cfg = { 0 };
    for (guint i = 0; i < THROTTLE_BUCKETS; i++) {
        const char *name = throttle_names[i].name;
        g_autofree char *max = g_strdup_printf("%s_max", name);
        g_autofree char *len = g_strdup_printf("%s_max_length", name);
        ThrottleLimit *l = &cfg.limits[throttle_names[i].bucket];
        l->avg = (uint64_t)qmp_arg_int(args, name, 0);
        l->max = (uint64_t)qmp_arg_int(args, max, 0);
        l->burst_length = (uint64_t)qmp_arg_int(args, len, 1);
    }
    cfg.iops_size = (uint64_t)qmp_arg_int(args, "iops_size", 0);
    /* The group defaults to the name the backend was given by. */
    cfg.group = g_strdup(qmp_arg_str(args, "group", device ? device : id));
    cfg.group_default = !qmp_arg_has(args, "group");
    bool ok = blk_set_throttle(blk, &cfg, errp);
    g_free(cfg.group);
    return ok ? qmp_return_empty() : NULL;
}

const QmpCommandDef qmp_commands_block[] = {
    { "blockdev-add", qmp_blockdev_add },
    { "blockdev-del", qmp_blockdev_del },
    { "query-block", qmp_query_block },
    { "query-named-block-nodes", qmp_query_named_block_nodes },
    { "query-blockstats", qmp_query_blockstats },
    { "block_resize", qmp_block_resize },
    { "block_set_io_throttle", qmp_block_set_io_throttle },
    { NULL },
};
