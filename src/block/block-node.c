/* Nodes: opening one from QEMU's BlockdevOptions (children included),
 * deleting, resizing. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block/block-int.h"
#include "block/block-opts.h"
#include "util/error.h"

/* Options a child inherits from its parent unless it sets them itself
 * (QEMU's bdrv_inherited_options for a file child). */
const BlockDriver *block_driver_find(const char *name)
{
    static const BlockDriver *const drivers[] = {
        &block_driver_raw, &block_driver_file, &block_driver_host_device, &block_driver_null_co,
    };
    for (guint i = 0; i < G_N_ELEMENTS(drivers); i++) {
        if (!strcmp(drivers[i]->name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

static void inherit(BlockNode *n, const BlockNode *parent)
{
    if (parent) {
        n->read_only = parent->read_only;
        n->auto_read_only = parent->auto_read_only;
        n->cache_direct = parent->cache_direct;
        n->cache_no_flush = parent->cache_no_flush;
        n->discard = parent->discard;
    }
}

static const char *const discard_names[] = { "ignore", "unmap", NULL };
/* -drive's discard= also takes QEMU's old spellings. */
static const char *const discard_names_drive[] = { "ignore", "unmap", "off", "on", NULL };
static const char *const detect_zeroes_names[] = { "off", "on", "unmap", NULL };

static bool read_common(BlockNode *n, BlockOpts *r, GError **errp)
{
    if (!block_opts_bool(r, "read-only", &n->read_only, errp) ||
        !block_opts_bool(r, "auto-read-only", &n->auto_read_only, errp)) {
        return false;
    }
    JsonObject *cache = block_opts_object(r, "cache");
    if (cache) {
        g_autofree char *prefix = g_strdup_printf("%scache.", r->prefix);
        g_autoptr(BlockOpts) c = block_opts_new(cache, prefix, r->mode);
        if (!block_opts_bool(c, "direct", &n->cache_direct, errp) ||
            !block_opts_bool(c, "no-flush", &n->cache_no_flush, errp) ||
            !block_opts_check_unused(c, n->drv->name, n->drv->is_protocol, errp)) {
            return false;
        }
    }
    int d = -1;
    if (!block_opts_enum(r, "discard",
                         r->mode == BLOCK_OPTS_DRIVE ? discard_names_drive : discard_names, &d,
                         errp)) {
        return false;
    }
    if (d >= 0) {
        n->discard = (d == 1 || d == 3) ? BLOCK_DISCARD_UNMAP : BLOCK_DISCARD_IGNORE;
    }
    int dz = -1;
    if (!block_opts_enum(r, "detect-zeroes", detect_zeroes_names, &dz, errp)) {
        return false;
    }
    if (dz >= 0) {
        n->detect_zeroes = dz;
    }
    block_opts_accept(r, "force-share");
    return true;
}

void block_node_free(BlockNode *n);
char *block_graph_auto_name(BlockGraph *g);

static BlockNode *node_open(BlockGraph *g, JsonObject *obj, const char *prefix,
                            BlockOptsMode mode, const BlockNode *parent, GError **errp);

/* Tern knows one format; QEMU's probe says this of any image without a
 * recognised header, unless nothing will be written to it. */
static void probe_warning(const BlockNode *n, const BlockNode *child)
{
    if (n->read_only) {
        return;
    }
    fprintf(stderr,
            "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
            "         Automatically detecting the format is dangerous for raw images, "
            "write operations on block 0 will be restricted.\n"
            "         Specify the 'raw' format explicitly to remove the restrictions.\n",
            child->filename ? child->filename : "");
}

/* For format drivers: the `file` child, opened from an object (inheriting
 * from n) or found by node-name. */
BlockNode *block_node_open_child(BlockNode *n, BlockOpts *r, const char *key, GError **errp)
{
    JsonObject *obj;
    const char *ref;
    if (!block_opts_child(r, key, &obj, &ref, errp)) {
        return NULL;
    }
    BlockNode *child;
    if (ref) {
        child = block_graph_find_node(n->graph, ref);
        if (!child) {
            BlockBackend *b = block_graph_find_backend(n->graph, ref);
            child = b ? b->root : NULL;
        }
        if (!child) {
            tern_fail(errp, "Cannot find device='%s' nor node-name='%s'", ref, ref);
            return NULL;
        }
    } else if (obj) {
        g_autofree char *prefix = g_strdup_printf("%s%s.", r->prefix, key);
        child = node_open(n->graph, obj, prefix, r->mode, n, errp);
        if (!child) {
            return NULL;
        }
        child->refcount--;   /* node_open's reference becomes the parent's */
    } else {
        tern_fail(errp, "Parameter '%s%s' is missing", r->prefix, key);
        return NULL;
    }
    child->parents++;
    child->refcount++;
    if (n->graph->probe_warning) {
        n->graph->probe_warning = false;
        probe_warning(n, child);
    }
    if (child->read_only && !n->read_only) {
        if (!n->auto_read_only) {
            tern_fail(errp, "Block node is read-only");
            child->parents--;
            block_node_unref(child);
            return NULL;
        }
        n->read_only = true;
    }
    return child;
}

static BlockNode *node_open(BlockGraph *g, JsonObject *obj, const char *prefix,
                            BlockOptsMode mode, const BlockNode *parent, GError **errp)
{
    g_autoptr(BlockOpts) r = block_opts_new(obj, prefix, mode);
    const char *driver = NULL, *name = NULL;
    if (!block_opts_str(r, "driver", &driver, errp)) {
        return NULL;
    }
    if (!driver) {
        tern_fail(errp, "Parameter '%sdriver' is missing", prefix);
        return NULL;
    }
    const BlockDriver *drv = block_driver_find(driver);
    if (!drv) {
        if (mode == BLOCK_OPTS_DRIVE) {
            tern_fail(errp, "Unknown driver '%s'", driver);
        } else {
            tern_fail(errp, "Parameter '%sdriver' does not accept value '%s'", prefix, driver);
        }
        return NULL;
    }
    if (!block_opts_str(r, "node-name", &name, errp)) {
        return NULL;
    }
    if (name) {
        if (!block_node_name_valid(name)) {
            tern_fail(errp, "Invalid node-name: '%s'", name);
            return NULL;
        }
        if (block_graph_find_node(g, name)) {
            tern_fail(errp, "Duplicate nodes with node-name='%s'", name);
            return NULL;
        }
        if (block_graph_find_backend(g, name)) {
            tern_fail(errp, "node-name=%s is conflicting with a device id", name);
            return NULL;
        }
    } else if (!parent && mode != BLOCK_OPTS_DRIVE) {
        tern_fail(errp, "'node-name' must be specified for the root node");
        return NULL;
    }

    BlockNode *n = g_new0(BlockNode, 1);
    n->graph = g;
    n->drv = drv;
    n->fd = -1;
    n->align = 1;
    n->refcount = 1;
    n->aio = BLOCK_AIO_IO_URING;
    inherit(n, parent);
    if (!read_common(n, r, errp)) {
        goto fail;
    }
    /* Named after the options are read so that a failed open leaves the
     * counter alone where QEMU's would too (children first). */
    if (!drv->open(n, r, errp)) {
        goto fail;
    }
    /* Children opened above may have taken the name. */
    if (name && block_graph_find_node(g, name)) {
        tern_fail(errp, "Duplicate nodes with node-name='%s'", name);
        goto fail;
    }
    n->node_name = name ? g_strdup(name) : block_graph_auto_name(g);
    n->auto_named = !name;
    g_ptr_array_add(g->nodes, n);
    return n;

fail:
    block_node_free(n);
    return NULL;
}

void block_node_unref(BlockNode *n)
{
    if (!n || --n->refcount > 0) {
        return;
    }
    block_node_free(n);
}

void block_node_free(BlockNode *n)
{
    g_ptr_array_remove(n->graph->nodes, n);
    if (n->drv && n->drv->close) {
        n->drv->close(n);
    }
    if (n->file) {
        BlockNode *child = n->file;
        n->file = NULL;
        child->parents--;
        block_node_unref(child);
    }
    g_free(n->node_name);
    g_free(n->filename);
    if (n->name_opts) {
        json_object_unref(n->name_opts);
    }
    g_free(n);
}

BlockNode *block_node_new_from_options(BlockGraph *g, JsonObject *options, BlockOptsMode mode,
                                       GError **errp)
{
    return node_open(g, options, "", mode, NULL, errp);
}

BlockNode *block_graph_add_blockdev(BlockGraph *g, JsonObject *options, GError **errp)
{
    BlockNode *n = node_open(g, options, "", BLOCK_OPTS_JSON, NULL, errp);
    if (n) {
        n->monitor_owned = true;
    }
    return n;
}

bool block_graph_del_node(BlockGraph *g, const char *node_name, GError **errp)
{
    BlockNode *n = block_graph_find_node(g, node_name);
    if (!n) {
        return tern_fail(errp, "Failed to find node with node-name='%s'", node_name);
    }
    /* QEMU's order: a backend on it first, then ownership, then parents
     * (which QEMU words as a device in use). */
    if (n->backends > 0) {
        return tern_fail(errp, "Node %s is in use", node_name);
    }
    if (!n->monitor_owned) {
        return tern_fail(errp, "Node %s is not owned by the monitor", node_name);
    }
    if (n->parents > 0) {
        return tern_fail(errp, "Block device %s is in use", node_name);
    }
    n->monitor_owned = false;
    block_node_unref(n);
    return true;
}

/* Every node's size follows its file child's (raw has no offset). */
static void refresh_parent_sizes(BlockGraph *g)
{
    for (guint i = 0; i < g->nodes->len; i++) {
        BlockNode *p = g_ptr_array_index(g->nodes, i);
        if (p->file) {
            p->size = p->file->size;
        }
    }
}

static bool node_below(BlockNode *top, BlockNode *n)
{
    for (; top; top = top->file) {
        if (top == n) {
            return true;
        }
    }
    return false;
}

bool block_node_truncate(BlockNode *n, uint64_t size, GError **errp)
{
    BlockNode *leaf = block_node_leaf(n);
    if (n->read_only || leaf->read_only) {
        return tern_fail(errp, "Image is read-only");
    }
    if (!leaf->drv->truncate) {
        return tern_fail(errp, "Image format driver does not support resize");
    }
    if (!leaf->drv->truncate(leaf, size, errp)) {
        return false;
    }
    refresh_parent_sizes(n->graph);
    for (guint i = 0; i < n->graph->backends->len; i++) {
        BlockBackend *b = g_ptr_array_index(n->graph->backends, i);
        if (b->root && (node_below(b->root, n) || node_below(n, b->root)) && b->resize_cb) {
            b->resize_cb(b->resize_opaque);
        }
    }
    return true;
}
