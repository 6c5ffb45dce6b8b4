/* json: filenames. QEMU names a node whose content depends on options a
 * path cannot express (null-co's size, read-zeroes) by "json:" and those
 * options. A format node takes its protocol child's plain filename, but
 * over anything else (a json: name, another format node) it gets a json:
 * name of its own driver with the child's options nested under "file".
 * The text follows QEMU's JSON writer: ", " between members, ": " after
 * keys. */
#include <string.h>

#include "block/block-int.h"

static void append_value(GString *s, JsonNode *v);

static void append_string(GString *s, const char *str)
{
    g_string_append_c(s, '"');
    for (const char *p = str; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        switch (c) {
        case '"':
            g_string_append(s, "\\\"");
            break;
        case '\\':
            g_string_append(s, "\\\\");
            break;
        case '\b':
            g_string_append(s, "\\b");
            break;
        case '\f':
            g_string_append(s, "\\f");
            break;
        case '\n':
            g_string_append(s, "\\n");
            break;
        case '\r':
            g_string_append(s, "\\r");
            break;
        case '\t':
            g_string_append(s, "\\t");
            break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                g_string_append_c(s, (char)c);
            } else if (c > 0xffff) {
                c -= 0x10000;
                g_string_append_printf(s, "\\u%04X\\u%04X", 0xd800 + (c >> 10),
                                       0xdc00 + (c & 0x3ff));
            } else {
                g_string_append_printf(s, "\\u%04X", c);
            }
        }
    }
    g_string_append_c(s, '"');
}

static void append_object(GString *s, JsonObject *o)
{
    g_string_append_c(s, '{');
    /* json-glib keeps members in insertion order: the order QEMU shows. */
    g_autoptr(GList) members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        if (l != members) {
            g_string_append(s, ", ");
        }
        append_string(s, l->data);
        g_string_append(s, ": ");
        append_value(s, json_object_get_member(o, l->data));
    }
    g_string_append_c(s, '}');
}

static void append_value(GString *s, JsonNode *v)
{
    if (JSON_NODE_HOLDS_OBJECT(v)) {
        append_object(s, json_node_get_object(v));
    } else if (JSON_NODE_HOLDS_NULL(v)) {
        g_string_append(s, "null");
    } else if (JSON_NODE_HOLDS_VALUE(v)) {
        switch (json_node_get_value_type(v)) {
        case G_TYPE_BOOLEAN:
            g_string_append(s, json_node_get_boolean(v) ? "true" : "false");
            break;
        case G_TYPE_INT64:
            g_string_append_printf(s, "%" G_GINT64_FORMAT, json_node_get_int(v));
            break;
        case G_TYPE_DOUBLE:
            g_string_append_printf(s, "%.17g", json_node_get_double(v));
            break;
        default:
            append_string(s, json_node_get_string(v));
        }
    } else {
        /* Arrays never appear in the options Tern names nodes by. */
        g_string_append(s, "[]");
    }
}

char *block_json_to_string(JsonNode *v)
{
    GString *s = g_string_new(NULL);
    append_value(s, v);
    return g_string_free(s, FALSE);
}

void block_node_set_name_opts(BlockNode *n, JsonObject *opts, bool json)
{
    if (n->name_opts) {
        json_object_unref(n->name_opts);
    }
    n->name_opts = opts;
    if (!json) {
        return;
    }
    g_autoptr(JsonNode) v = json_node_init_object(json_node_alloc(), opts);
    g_autofree char *text = block_json_to_string(v);
    g_free(n->filename);
    n->filename = g_strconcat("json:", text, NULL);
}

bool block_node_has_json_name(const BlockNode *n)
{
    return n->filename && g_str_has_prefix(n->filename, "json:");
}
