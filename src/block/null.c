/* null-co: a device of a given size that stores nothing; reads return
 * zeroes with read-zeroes=on (otherwise the buffer is left alone, as
 * QEMU's does). Completions go through the graph's bottom half. Like
 * QEMU's, it cannot be resized (no truncate). */
#include <string.h>

#include "block/block-int.h"
#include "util/error.h"

#define NULL_CO_DEFAULT_SIZE (1ULL << 30)   /* bytes, QEMU's default */

/* The value of key as QEMU's json: name shows it: -drive's string as
 * given, otherwise typed. */
static void name_opt(JsonObject *o, BlockOpts *r, const char *key, JsonNode *typed)
{
    if (r->mode == BLOCK_OPTS_DRIVE) {
        json_node_unref(typed);
        typed = json_node_copy(json_object_get_member(r->obj, key));
    }
    json_object_set_member(o, key, typed);
}

/* size and read-zeroes change what the node shows, so QEMU names a node
 * given either by a json: filename, else "null-co://" (latency-ns does
 * not count). Keys in the order QEMU prints them. */
static void name_node(BlockNode *n, BlockOpts *r)
{
    bool has_rz = block_opts_has(r, "read-zeroes"), has_size = block_opts_has(r, "size");
    JsonObject *o = json_object_new();
    if (has_rz) {
        name_opt(o, r, "read-zeroes", json_node_init_boolean(json_node_alloc(), n->read_zeroes));
    }
    json_object_set_string_member(o, "driver", "null-co");
    if (has_size) {
        name_opt(o, r, "size", json_node_init_int(json_node_alloc(), (gint64)n->size));
    }
    block_node_set_name_opts(n, o, has_rz || has_size);
}

/* -drive's file.size takes suffixes ("4k", "1.5M"), as QEMU's size
 * options do; -blockdev and blockdev-add want an integer. */
static bool read_size(BlockOpts *r, int64_t *size, GError **errp)
{
    if (r->mode != BLOCK_OPTS_DRIVE) {
        return block_opts_int(r, "size", size, errp);
    }
    uint64_t v = *size;
    if (!block_opts_size(r, "size", &v, errp)) {
        return false;
    }
    *size = (int64_t)v;
    return true;
}

static bool null_open(BlockNode *n, BlockOpts *r, GError **errp)
{
    int64_t size = NULL_CO_DEFAULT_SIZE, latency = 0;
    if (!read_size(r, &size, errp) ||
        !block_opts_bool(r, "read-zeroes", &n->read_zeroes, errp) ||
        !block_opts_int(r, "latency-ns", &latency, errp) ||
        !block_opts_check_unused(r, "null-co", true, errp)) {
        return false;
    }
    if (size < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%ssize' expects uint64",
                    r->prefix);
        return false;
    }
    n->size = size;
    n->filename = g_strdup("null-co://");
    name_node(n, r);
    return true;
}

static void null_submit(BlockNode *n, BlockRequest *req)
{
    if (req->op == BLOCK_OP_READ && n->read_zeroes) {
        for (unsigned i = 0; i < req->niov; i++) {
            memset(req->iov[i].iov_base, 0, req->iov[i].iov_len);
        }
    }
    block_graph_defer_complete(n->graph, req, 0);
}

const BlockDriver block_driver_null_co = {
    .name = "null-co",
    .is_protocol = true,
    .open = null_open,
    .submit = null_submit,
};
