#include "monitor/json-writer.h"

#include <string.h>

static void write_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    const char *end = s + strlen(s);
    while (s < end) {
        guint8 c = (guint8)*s;
        if (c < 0x80) {
            switch (c) {
            case '"': g_string_append(out, "\\\""); break;
            case '\\': g_string_append(out, "\\\\"); break;
            case '\b': g_string_append(out, "\\b"); break;
            case '\f': g_string_append(out, "\\f"); break;
            case '\n': g_string_append(out, "\\n"); break;
            case '\r': g_string_append(out, "\\r"); break;
            case '\t': g_string_append(out, "\\t"); break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    g_string_append_printf(out, "\\u%04X", c);
                } else {
                    g_string_append_c(out, (char)c);
                }
            }
            s++;
            continue;
        }
        if (c == 0xc0 && (guint8)s[1] == 0x80) {   /* the parser's \u0000 */
            g_string_append(out, "\\u0000");
            s += 2;
            continue;
        }
        gunichar u = g_utf8_get_char_validated(s, end - s);
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            g_string_append(out, "\\uFFFD");
            s++;
            continue;
        }
        if (u >= 0x10000) {
            u -= 0x10000;
            g_string_append_printf(out, "\\u%04X\\u%04X", 0xd800 + (u >> 10), 0xdc00 + (u & 0x3ff));
        } else {
            g_string_append_printf(out, "\\u%04X", u);
        }
        s = g_utf8_next_char(s);
    }
    g_string_append_c(out, '"');
}

static void newline(GString *out, bool pretty, int level)
{
    if (pretty) {
        g_string_append_c(out, '\n');
        for (int i = 0; i < level; i++) {
            g_string_append(out, "    ");
        }
    }
}

static void write_node(GString *out, JsonNode *node, bool pretty, int level)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObject *o = json_node_get_object(node);
        JsonObjectIter it;
        const char *name;
        JsonNode *member;
        bool first = true;
        g_string_append_c(out, '{');
        json_object_iter_init_ordered(&it, o);
        while (json_object_iter_next_ordered(&it, &name, &member)) {
            if (!first) {
                g_string_append_c(out, ',');
                if (!pretty) {
                    g_string_append_c(out, ' ');
                }
            }
            first = false;
            newline(out, pretty, level + 1);
            write_string(out, name);
            g_string_append(out, ": ");
            write_node(out, member, pretty, level + 1);
        }
        newline(out, pretty, level);
        g_string_append_c(out, '}');
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        guint n = json_array_get_length(a);
        g_string_append_c(out, '[');
        for (guint i = 0; i < n; i++) {
            if (i) {
                g_string_append_c(out, ',');
                if (!pretty) {
                    g_string_append_c(out, ' ');
                }
            }
            newline(out, pretty, level + 1);
            write_node(out, json_array_get_element(a, i), pretty, level + 1);
        }
        newline(out, pretty, level);
        g_string_append_c(out, ']');
        break;
    }
    case JSON_NODE_NULL:
        g_string_append(out, "null");
        break;
    case JSON_NODE_VALUE:
        switch (json_node_get_value_type(node)) {
        case G_TYPE_INT64:
            g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
            break;
        case G_TYPE_DOUBLE: {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.17g",
                                                 json_node_get_double(node)));
            break;
        }
        case G_TYPE_BOOLEAN:
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
            break;
        case G_TYPE_STRING:
            write_string(out, json_node_get_string(node));
            break;
        default:
            g_string_append(out, "null");
        }
        break;
    }
}

void qjson_write(GString *out, JsonNode *node, bool pretty)
{
    write_node(out, node, pretty, 0);
}

char *qjson_to_string(JsonNode *node, bool pretty)
{
    GString *out = g_string_new(NULL);
    qjson_write(out, node, pretty);
    return g_string_free(out, FALSE);
}
