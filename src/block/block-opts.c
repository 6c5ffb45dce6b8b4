/* Typed reads of block options, with QEMU's visitor errors. */
#include <errno.h>
#include <string.h>

#include "block/block-opts.h"
#include "util/error.h"
#include "util/opts.h"

BlockOpts *block_opts_new(JsonObject *obj, const char *prefix, BlockOptsMode mode)
{
    BlockOpts *r = g_new0(BlockOpts, 1);
    r->obj = json_object_ref(obj);
    r->prefix = g_strdup(prefix ? prefix : "");
    r->mode = mode;
    r->used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return r;
}

void block_opts_free(BlockOpts *r)
{
    if (!r) {
        return;
    }
    json_object_unref(r->obj);
    g_free(r->prefix);
    g_hash_table_unref(r->used);
    g_free(r);
}

static JsonNode *lookup(BlockOpts *r, const char *key)
{
    JsonNode *v = json_object_get_member(r->obj, key);
    if (v) {
        g_hash_table_add(r->used, g_strdup(key));
    }
    return v;
}

bool block_opts_has(BlockOpts *r, const char *key)
{
    return json_object_has_member(r->obj, key);
}

void block_opts_accept(BlockOpts *r, const char *key)
{
    lookup(r, key);
}

static bool type_error(BlockOpts *r, const char *key, const char *expected, GError **errp)
{
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "Invalid parameter type for '%s%s', expected: %s", r->prefix, key, expected);
    return false;
}

static const char *string_value(JsonNode *v)
{
    if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING) {
        return json_node_get_string(v);
    }
    return NULL;
}

bool block_opts_str(BlockOpts *r, const char *key, const char **out, GError **errp)
{
    JsonNode *v = lookup(r, key);
    if (!v) {
        return true;
    }
    const char *s = string_value(v);
    if (!s) {
        return type_error(r, key, "string", errp);
    }
    *out = s;
    return true;
}

bool block_opts_bool(BlockOpts *r, const char *key, bool *out, GError **errp)
{
    JsonNode *v = lookup(r, key);
    if (!v) {
        return true;
    }
    if (r->mode == BLOCK_OPTS_JSON) {
        if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_BOOLEAN) {
            return type_error(r, key, "boolean", errp);
        }
        *out = json_node_get_boolean(v);
        return true;
    }
    const char *s = string_value(v);
    if (!s || !parse_bool(s, out)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s%s' expects 'on' or 'off'",
                    r->prefix, key);
        return false;
    }
    return true;
}

bool block_opts_int(BlockOpts *r, const char *key, int64_t *out, GError **errp)
{
    JsonNode *v = lookup(r, key);
    if (!v) {
        return true;
    }
    if (r->mode == BLOCK_OPTS_JSON) {
        if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_INT64) {
            return type_error(r, key, "integer", errp);
        }
        *out = json_node_get_int(v);
        return true;
    }
    const char *s = string_value(v);
    char *end = NULL;
    errno = 0;
    long long x = s ? g_ascii_strtoll(s, &end, 0) : 0;
    if (!s || !*s || *end || errno) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s%s' expects integer",
                    r->prefix, key);
        return false;
    }
    *out = x;
    return true;
}

bool block_opts_size(BlockOpts *r, const char *key, uint64_t *out, GError **errp)
{
    JsonNode *v = lookup(r, key);
    if (!v) {
        return true;
    }
    if (r->mode == BLOCK_OPTS_JSON) {
        if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_INT64 ||
            json_node_get_int(v) < 0) {
            return type_error(r, key, "integer", errp);
        }
        *out = json_node_get_int(v);
        return true;
    }
    const char *s = string_value(v);
    if (!s || !parse_size(s, 1, out)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter '%s%s' expects a non-negative number below 2^64", r->prefix, key);
        return false;
    }
    return true;
}

bool block_opts_enum(BlockOpts *r, const char *key, const char *const *names, int *out,
                     GError **errp)
{
    const char *s = NULL;
    if (!block_opts_str(r, key, &s, errp)) {
        return false;
    }
    if (!s) {
        return true;
    }
    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], s)) {
            *out = i;
            return true;
        }
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s%s' does not accept value '%s'",
                r->prefix, key, s);
    return false;
}

JsonObject *block_opts_object(BlockOpts *r, const char *key)
{
    JsonNode *v = lookup(r, key);
    return v && JSON_NODE_HOLDS_OBJECT(v) ? json_node_get_object(v) : NULL;
}

bool block_opts_child(BlockOpts *r, const char *key, JsonObject **obj, const char **ref,
                      GError **errp)
{
    *obj = NULL;
    *ref = NULL;
    JsonNode *v = lookup(r, key);
    if (!v) {
        return true;
    }
    if (JSON_NODE_HOLDS_OBJECT(v)) {
        *obj = json_node_get_object(v);
        return true;
    }
    if ((*ref = string_value(v))) {
        return true;
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "Invalid parameter type for '%s%s', expected: BlockdevRef", r->prefix, key);
    return false;
}

bool block_opts_check_unused(BlockOpts *r, const char *driver_name, bool is_protocol,
                             GError **errp)
{
    g_autoptr(GList) keys = json_object_get_members(r->obj);
    for (GList *l = keys; l; l = l->next) {
        const char *k = l->data;
        if (g_hash_table_contains(r->used, k)) {
            continue;
        }
        /* A nested object left unread: name its first leaf, as the
         * flattened QemuOpts QEMU checks would. */
        g_autofree char *name = g_strdup(k);
        JsonNode *v = json_object_get_member(r->obj, k);
        while (JSON_NODE_HOLDS_OBJECT(v) && json_object_get_size(json_node_get_object(v))) {
            g_autoptr(GList) sub = json_object_get_members(json_node_get_object(v));
            char *next = g_strdup_printf("%s.%s", name, (char *)sub->data);
            v = json_object_get_member(json_node_get_object(v), sub->data);
            g_free(name);
            name = next;
        }
        if (r->mode == BLOCK_OPTS_DRIVE) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        is_protocol ? "Block protocol '%s' doesn't support the option '%s'"
                                    : "Block format '%s' does not support the option '%s'",
                        driver_name, name);
        } else {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s%s' is unexpected",
                        r->prefix, name);
        }
        return false;
    }
    return true;
}

/* Sets path (dotted) to value inside root, creating objects on the way. */
static bool keyval_set(JsonObject *root, const char *key, const char *value, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(key, ".", -1);
    JsonObject *o = root;
    for (guint i = 0; parts[i]; i++) {
        if (!*parts[i]) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Invalid parameter '%s'", key);
            return false;
        }
        if (!parts[i + 1]) {
            JsonNode *old = json_object_get_member(o, parts[i]);
            if (old && JSON_NODE_HOLDS_OBJECT(old)) {
                goto inconsistent;
            }
            json_object_set_string_member(o, parts[i], value);
            return true;
        }
        JsonNode *sub = json_object_get_member(o, parts[i]);
        if (!sub) {
            JsonObject *n = json_object_new();
            json_object_set_object_member(o, parts[i], n);
            o = n;
        } else if (JSON_NODE_HOLDS_OBJECT(sub)) {
            o = json_node_get_object(sub);
        } else {
            goto inconsistent;
        }
    }
    return true;

inconsistent:
    {
        g_autofree char *stem = g_strdup(key);
        char *dot = strchr(stem, '.');
        if (dot) {
            *dot = '\0';
        }
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameters '%s.*' used inconsistently", stem);
        return false;
    }
}

JsonObject *block_keyval_parse(const char *str, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(str, NULL, errp);
    if (!o) {
        return NULL;
    }
    JsonObject *root = json_object_new();
    for (guint i = 0; i < opts_count(o); i++) {
        if (!keyval_set(root, opts_key_at(o, i), opts_value_at(o, i), errp)) {
            json_object_unref(root);
            return NULL;
        }
    }
    return root;
}
