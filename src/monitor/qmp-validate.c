/* Checking JSON values against schema types, with the messages QEMU's
 * input visitor gives (arguments) and strictly (Tern's own replies). */
#include "monitor/qmp-schema.h"
#include "util/error.h"

#include <string.h>

/* QEMU names nested members "a.b" and list elements "a[0]" in most
 * messages, but only the member's own name (or "null" inside a list) in
 * value errors; both are tracked. */
typedef struct {
    const char *path;
    const char *name;
    bool output;
} CheckCtx;

static bool check(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp);

static bool type_error(CheckCtx *c, const char *expected, GError **errp)
{
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "Invalid parameter type for '%s', expected: %s", *c->path ? c->path : "null",
                expected);
    return false;
}

static GType value_type(JsonNode *v)
{
    return JSON_NODE_HOLDS_VALUE(v) ? json_node_get_value_type(v) : G_TYPE_INVALID;
}

static bool check_builtin(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp)
{
    const char *jt = t->json_type;
    GType vt = value_type(v);
    if (!strcmp(jt, "value")) {
        return true;
    }
    if (!strcmp(jt, "string")) {
        return vt == G_TYPE_STRING || type_error(c, "string", errp);
    }
    if (!strcmp(jt, "boolean")) {
        return vt == G_TYPE_BOOLEAN || type_error(c, "boolean", errp);
    }
    if (!strcmp(jt, "null")) {
        return JSON_NODE_HOLDS_NULL(v) || type_error(c, "null", errp);
    }
    if (!strcmp(jt, "number")) {
        return vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE || type_error(c, "number", errp);
    }
    /* integers; QEMU's messages name uint64/size, or the C type of the
     * narrower ones ("uint8_t") */
    if (t->is_unsigned && vt != G_TYPE_INT64) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s' expects uint64",
                    *c->path ? c->path : "null");
        return false;
    }
    if (t->is_unsigned && t->max == UINT64_MAX) {
        return true;   /* negative values wrap, as QEMU's uint64 visitor */
    }
    if (vt != G_TYPE_INT64) {
        return type_error(c, "integer", errp);
    }
    gint64 x = json_node_get_int(v);
    if (x < t->min || (x >= 0 && (uint64_t)x > t->max)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s' expects %s_t",
                    c->name ? c->name : "null", t->name);
        return false;
    }
    return true;
}

static bool enum_has(const QmpType *t, const char *s)
{
    for (guint i = 0; i < t->values->len; i++) {
        if (!strcmp(g_ptr_array_index(t->values, i), s)) {
            return true;
        }
    }
    return false;
}

static bool check_enum(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp)
{
    if (value_type(v) != G_TYPE_STRING) {
        return type_error(c, "string", errp);
    }
    const char *s = json_node_get_string(v);
    if (!enum_has(t, s)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s' does not accept value '%s'",
                    c->name ? c->name : "null", s);
        return false;
    }
    return true;
}

static bool check_member(const QmpMember *m, JsonObject *o, CheckCtx *c, GError **errp)
{
    g_autofree char *path = *c->path ? g_strdup_printf("%s.%s", c->path, m->name)
                                      : g_strdup(m->name);
    JsonNode *mv = json_object_get_member(o, m->name);
    if (!mv) {
        if (m->optional) {
            return true;
        }
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s' is missing", path);
        return false;
    }
    CheckCtx sub = { .path = path, .name = m->name, .output = c->output };
    return check(m->type, mv, &sub, errp);
}

static const QmpType *union_variant(const QmpType *t, JsonObject *o)
{
    const char *tag = json_object_get_string_member_with_default(o, t->tag, NULL);
    for (guint i = 0; tag && i < t->variants->len; i++) {
        QmpVariant *var = g_ptr_array_index(t->variants, i);
        if (!strcmp(var->tag_value, tag)) {
            return var->type;
        }
    }
    return NULL;
}

static bool has_member(const QmpType *t, const char *name)
{
    for (guint i = 0; i < t->members->len; i++) {
        if (!strcmp(((QmpMember *)g_ptr_array_index(t->members, i))->name, name)) {
            return true;
        }
    }
    return false;
}

static bool check_object(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp)
{
    if (!JSON_NODE_HOLDS_OBJECT(v)) {
        return type_error(c, "object", errp);
    }
    JsonObject *o = json_node_get_object(v);
    for (guint i = 0; i < t->members->len; i++) {
        if (!check_member(g_ptr_array_index(t->members, i), o, c, errp)) {
            return false;
        }
    }
    const QmpType *variant = t->variants ? union_variant(t, o) : NULL;
    if (variant) {
        for (guint i = 0; i < variant->members->len; i++) {
            if (!check_member(g_ptr_array_index(variant->members, i), o, c, errp)) {
                return false;
            }
        }
    }
    JsonObjectIter it;
    const char *key;
    JsonNode *mv;
    json_object_iter_init_ordered(&it, o);
    while (json_object_iter_next_ordered(&it, &key, &mv)) {
        if (!has_member(t, key) && !(variant && has_member(variant, key))) {
            g_autofree char *path = *c->path ? g_strdup_printf("%s.%s", c->path, key)
                                              : g_strdup(key);
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%s' is unexpected",
                        path);
            return false;
        }
    }
    return true;
}

static bool check_array(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp)
{
    if (!JSON_NODE_HOLDS_ARRAY(v)) {
        return type_error(c, "array", errp);
    }
    JsonArray *a = json_node_get_array(v);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        g_autofree char *path = g_strdup_printf("%s[%u]", c->path, i);
        CheckCtx sub = { .path = path, .name = NULL, .output = c->output };
        if (!check(t->element, json_array_get_element(a, i), &sub, errp)) {
            return false;
        }
    }
    return true;
}

/* Which alternative a JSON value selects, by its JSON type. */
static const QmpType *alternate_pick(const QmpType *t, JsonNode *v)
{
    GType vt = value_type(v);
    for (guint i = 0; i < t->members->len; i++) {
        const QmpType *mt = ((QmpMember *)g_ptr_array_index(t->members, i))->type;
        bool ok = false;
        switch (mt->kind) {
        case QMP_TYPE_ENUM:
            ok = vt == G_TYPE_STRING;
            break;
        case QMP_TYPE_OBJECT:
            ok = JSON_NODE_HOLDS_OBJECT(v);
            break;
        case QMP_TYPE_ARRAY:
            ok = JSON_NODE_HOLDS_ARRAY(v);
            break;
        case QMP_TYPE_BUILTIN:
            ok = (!strcmp(mt->json_type, "string") && vt == G_TYPE_STRING)
                 || (!strcmp(mt->json_type, "boolean") && vt == G_TYPE_BOOLEAN)
                 || (!strcmp(mt->json_type, "null") && JSON_NODE_HOLDS_NULL(v))
                 || (!strcmp(mt->json_type, "int") && vt == G_TYPE_INT64)
                 || (!strcmp(mt->json_type, "number")
                     && (vt == G_TYPE_INT64 || vt == G_TYPE_DOUBLE));
            break;
        default:
            break;
        }
        if (ok) {
            return mt;
        }
    }
    return NULL;
}

static bool check(const QmpType *t, JsonNode *v, CheckCtx *c, GError **errp)
{
    switch (t->kind) {
    case QMP_TYPE_BUILTIN:
        return check_builtin(t, v, c, errp);
    case QMP_TYPE_ENUM:
        return check_enum(t, v, c, errp);
    case QMP_TYPE_OBJECT:
        return check_object(t, v, c, errp);
    case QMP_TYPE_ARRAY:
        return check_array(t, v, c, errp);
    case QMP_TYPE_ALTERNATE: {
        const QmpType *alt = alternate_pick(t, v);
        if (!alt) {
            return type_error(c, t->name, errp);
        }
        return check(alt, v, c, errp);
    }
    }
    return false;
}

bool qmp_type_check_input(const QmpType *t, JsonNode *v, const char *path, GError **errp)
{
    CheckCtx c = { .path = path, .name = *path ? path : NULL };
    return check(t, v, &c, errp);
}

bool qmp_type_check_output(const QmpType *t, JsonNode *v, const char *path, GError **errp)
{
    CheckCtx c = { .path = path, .name = *path ? path : NULL, .output = true };
    return check(t, v, &c, errp);
}
