/* The raw format: the guest sees its file child byte for byte. Requests
 * go straight to the protocol leaf (blk_submit resolves it), so there is
 * no submit here. */
#include "block/block-int.h"

static bool raw_open(BlockNode *n, BlockOpts *r, GError **errp)
{
    BlockNode *child = block_node_open_child(n, r, "file", errp);
    if (!child) {
        return false;
    }
    n->file = child;
    if (!block_opts_check_unused(r, "raw", false, errp)) {
        return false;
    }
    n->size = child->size;
    n->filename = g_strdup(child->filename);
    /* QEMU nests the child's options under the format's; the name is a
     * plain path only over a protocol node with a plain name. */
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "driver", "raw");
    g_autoptr(JsonNode) c = json_node_init_object(json_node_alloc(), child->name_opts);
    json_object_set_member(o, "file", json_node_copy(c));
    block_node_set_name_opts(n, o, child->file || block_node_has_json_name(child));
    return true;
}

const BlockDriver block_driver_raw = {
    .name = "raw",
    .open = raw_open,
};
