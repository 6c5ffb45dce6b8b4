#define G_LOG_DOMAIN "tern-monitor"
#include "monitor/qmp-schema.h"
#include "monitor/json-reader.h"
#include "monitor/qmp-dispatch.h"
#include "util/error.h"

#include <string.h>

extern const char qmp_schema_text[];   /* generated from schema/ (*.json) */

struct QmpSchema {
    GHashTable *types;        /* name -> QmpType (owned) */
    GPtrArray *commands;      /* QmpCommandInfo */
    GHashTable *command_map;
    GPtrArray *events;        /* QmpEventInfo */
    GHashTable *event_map;
    QmpType *empty;           /* the argument type of commands without any */
    JsonNode *root;           /* the parsed declarations */
};

/* ---------------------------------------------------------------- types */

static QmpType *type_new(QmpSchema *s, const char *name, QmpTypeKind kind)
{
    QmpType *t = g_new0(QmpType, 1);
    t->name = g_strdup(name);
    t->kind = kind;
    t->schema_id = -1;
    if (kind == QMP_TYPE_OBJECT || kind == QMP_TYPE_ALTERNATE) {
        t->members = g_ptr_array_new();
    }
    g_hash_table_insert(s->types, t->name, t);
    return t;
}

static void member_free(gpointer p)
{
    QmpMember *m = p;
    g_free(m->name);
    g_strfreev(m->features);
    g_free(m);
}

static void type_free(gpointer p)
{
    QmpType *t = p;
    if (t->values) {
        g_ptr_array_unref(t->values);
    }
    if (t->value_features) {
        g_ptr_array_unref(t->value_features);
    }
    if (t->members) {
        for (guint i = 0; i < t->members->len; i++) {
            member_free(g_ptr_array_index(t->members, i));
        }
        g_ptr_array_unref(t->members);
    }
    if (t->variants) {
        for (guint i = 0; i < t->variants->len; i++) {
            QmpVariant *v = g_ptr_array_index(t->variants, i);
            g_free(v->tag_value);
            g_free(v);
        }
        g_ptr_array_unref(t->variants);
    }
    g_free(t->tag);
    g_strfreev(t->features);
    g_free(t->name);
    g_free(t);
}

static void add_builtin(QmpSchema *s, const char *name, const char *json_type, int64_t min,
                        uint64_t max, bool is_unsigned)
{
    QmpType *t = type_new(s, name, QMP_TYPE_BUILTIN);
    t->json_type = json_type;
    t->min = min;
    t->max = max;
    t->is_unsigned = is_unsigned;
}

static void add_builtins(QmpSchema *s)
{
    add_builtin(s, "str", "string", 0, 0, false);
    add_builtin(s, "number", "number", 0, 0, false);
    add_builtin(s, "bool", "boolean", 0, 0, false);
    add_builtin(s, "null", "null", 0, 0, false);
    add_builtin(s, "any", "value", 0, 0, false);
    add_builtin(s, "int", "int", INT64_MIN, INT64_MAX, false);
    add_builtin(s, "int8", "int", INT8_MIN, INT8_MAX, false);
    add_builtin(s, "int16", "int", INT16_MIN, INT16_MAX, false);
    add_builtin(s, "int32", "int", INT32_MIN, INT32_MAX, false);
    add_builtin(s, "int64", "int", INT64_MIN, INT64_MAX, false);
    add_builtin(s, "uint8", "int", 0, UINT8_MAX, true);
    add_builtin(s, "uint16", "int", 0, UINT16_MAX, true);
    add_builtin(s, "uint32", "int", 0, UINT32_MAX, true);
    add_builtin(s, "uint64", "int", 0, UINT64_MAX, true);
    add_builtin(s, "size", "int", 0, UINT64_MAX, true);
}

/* -------------------------------------------------------------- loading */

static char **string_list(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);
    if (!n || !JSON_NODE_HOLDS_ARRAY(n)) {
        return NULL;
    }
    JsonArray *a = json_node_get_array(n);
    GStrvBuilder *b = g_strv_builder_new();
    for (guint i = 0; i < json_array_get_length(a); i++) {
        g_strv_builder_add(b, json_array_get_string_element(a, i));
    }
    char **v = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return v;
}

static QmpType *resolve(QmpSchema *s, JsonNode *ref, const char *context, GError **errp);
static bool fill_members(QmpSchema *s, QmpType *t, JsonObject *data, GError **errp);

static QmpType *implicit_object(QmpSchema *s, JsonObject *data, const char *context, GError **errp)
{
    if (json_object_get_size(data) == 0) {
        return s->empty;
    }
    g_autofree char *name = g_strdup_printf("q_obj_%s", context);
    QmpType *t = type_new(s, name, QMP_TYPE_OBJECT);
    return fill_members(s, t, data, errp) ? t : NULL;
}

static QmpType *resolve(QmpSchema *s, JsonNode *ref, const char *context, GError **errp)
{
    if (!ref) {
        return s->empty;
    }
    if (JSON_NODE_HOLDS_OBJECT(ref)) {
        return implicit_object(s, json_node_get_object(ref), context, errp);
    }
    if (JSON_NODE_HOLDS_ARRAY(ref)) {
        JsonArray *a = json_node_get_array(ref);
        if (json_array_get_length(a) != 1) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: array type needs one element",
                        context);
            return NULL;
        }
        QmpType *el = resolve(s, json_array_get_element(a, 0), context, errp);
        if (!el) {
            return NULL;
        }
        g_autofree char *name = g_strdup_printf("[%s]", el->name);
        QmpType *t = g_hash_table_lookup(s->types, name);
        if (!t) {
            t = type_new(s, name, QMP_TYPE_ARRAY);
            t->element = el;
        }
        return t;
    }
    const char *name = json_node_get_string(ref);
    QmpType *t = name ? g_hash_table_lookup(s->types, name) : NULL;
    if (!t) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: unknown type '%s'", context,
                    name ? name : "?");
    }
    return t;
}

static bool fill_members(QmpSchema *s, QmpType *t, JsonObject *data, GError **errp)
{
    JsonObjectIter it;
    const char *key;
    JsonNode *val;
    json_object_iter_init_ordered(&it, data);
    while (json_object_iter_next_ordered(&it, &key, &val)) {
        QmpMember *m = g_new0(QmpMember, 1);
        m->optional = key[0] == '*';
        m->name = g_strdup(key + m->optional);
        g_ptr_array_add(t->members, m);
        JsonNode *tref = val;
        if (JSON_NODE_HOLDS_OBJECT(val)) {
            JsonObject *spec = json_node_get_object(val);
            tref = json_object_get_member(spec, "type");
            m->features = string_list(spec, "features");
        }
        g_autofree char *ctx = g_strdup_printf("%s-%s", t->name, m->name);
        m->type = resolve(s, tref, ctx, errp);
        if (!m->type) {
            return false;
        }
    }
    return true;
}

static bool copy_base(QmpSchema *s, QmpType *t, JsonNode *base, GError **errp)
{
    if (!base) {
        return true;
    }
    g_autofree char *ctx = g_strdup_printf("%s-base", t->name);
    QmpType *b = resolve(s, base, ctx, errp);
    if (!b) {
        return false;
    }
    if (b->kind != QMP_TYPE_OBJECT) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s: base is not a struct", t->name);
        return false;
    }
    for (guint i = 0; i < b->members->len; i++) {
        QmpMember *bm = g_ptr_array_index(b->members, i);
        QmpMember *m = g_new0(QmpMember, 1);
        m->name = g_strdup(bm->name);
        m->type = bm->type;
        m->optional = bm->optional;
        m->features = g_strdupv(bm->features);
        g_ptr_array_add(t->members, m);
    }
    return true;
}

static const char *const kinds[] = { "enum", "struct", "union", "alternate", "command", "event" };

static const char *entity_kind(JsonObject *o, const char **name)
{
    for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
        if (json_object_has_member(o, kinds[i])) {
            *name = json_object_get_string_member(o, kinds[i]);
            return kinds[i];
        }
    }
    return NULL;
}

static bool define_entity(QmpSchema *s, JsonObject *o, GError **errp)
{
    const char *name = NULL;
    const char *kind = entity_kind(o, &name);
    JsonNode *data = json_object_get_member(o, "data");

    if (!strcmp(kind, "enum")) {
        QmpType *t = g_hash_table_lookup(s->types, name);
        JsonArray *a = json_node_get_array(data);
        t->value_features = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            /* A value is "name" or {"name": ..., "features": [...]}. */
            JsonNode *vn = json_array_get_element(a, i);
            JsonObject *vo = JSON_NODE_HOLDS_OBJECT(vn) ? json_node_get_object(vn) : NULL;
            const char *v = vo ? json_object_get_string_member(vo, "name")
                               : json_array_get_string_element(a, i);
            g_ptr_array_add(t->values, (char *)v);
            g_ptr_array_add(t->value_features, vo ? string_list(vo, "features") : NULL);
        }
        return true;
    }
    if (!strcmp(kind, "struct") || !strcmp(kind, "union")) {
        QmpType *t = g_hash_table_lookup(s->types, name);
        t->features = string_list(o, "features");
        if (!copy_base(s, t, json_object_get_member(o, "base"), errp)) {
            return false;
        }
        if (!strcmp(kind, "struct")) {
            return !data || fill_members(s, t, json_node_get_object(data), errp);
        }
        t->tag = g_strdup(json_object_get_string_member(o, "discriminator"));
        t->variants = g_ptr_array_new();
        JsonObjectIter it;
        const char *key;
        JsonNode *val;
        json_object_iter_init_ordered(&it, json_node_get_object(data));
        while (json_object_iter_next_ordered(&it, &key, &val)) {
            QmpVariant *v = g_new0(QmpVariant, 1);
            v->tag_value = g_strdup(key);
            g_ptr_array_add(t->variants, v);
            v->type = resolve(s, val, name, errp);
            if (!v->type) {
                return false;
            }
        }
        return true;
    }
    if (!strcmp(kind, "alternate")) {
        QmpType *t = g_hash_table_lookup(s->types, name);
        return fill_members(s, t, json_node_get_object(data), errp);
    }
    if (!strcmp(kind, "command")) {
        QmpCommandInfo *c = g_new0(QmpCommandInfo, 1);
        c->name = g_strdup(name);
        g_ptr_array_add(s->commands, c);
        g_hash_table_insert(s->command_map, c->name, c);
        g_autofree char *actx = g_strdup_printf("%s-arg", name);
        c->args = resolve(s, data, actx, errp);
        JsonNode *ret = json_object_get_member(o, "returns");
        c->ret = ret ? resolve(s, ret, name, errp) : s->empty;
        if (!c->args || !c->ret) {
            return false;
        }
        c->allow_oob = json_object_has_member(o, "allow-oob")
                       && json_object_get_boolean_member(o, "allow-oob");
        c->features = string_list(o, "features");
        return true;
    }
    /* event */
    QmpEventInfo *e = g_new0(QmpEventInfo, 1);
    e->name = g_strdup(name);
    g_ptr_array_add(s->events, e);
    g_hash_table_insert(s->event_map, e->name, e);
    g_autofree char *ectx = g_strdup_printf("%s-arg", name);
    e->data = resolve(s, data, ectx, errp);
    e->features = string_list(o, "features");
    return e->data != NULL;
}

static void command_free(gpointer p)
{
    QmpCommandInfo *c = p;
    g_free(c->name);
    g_strfreev(c->features);
    g_free(c);
}

static void event_free(gpointer p)
{
    QmpEventInfo *e = p;
    g_free(e->name);
    g_strfreev(e->features);
    g_free(e);
}

void qmp_schema_free(QmpSchema *s)
{
    if (!s) {
        return;
    }
    g_ptr_array_unref(s->commands);
    g_ptr_array_unref(s->events);
    g_hash_table_unref(s->command_map);
    g_hash_table_unref(s->event_map);
    g_hash_table_unref(s->types);
    if (s->root) {
        json_node_unref(s->root);
    }
    g_free(s);
}

QmpSchema *qmp_schema_load(const char *json_text, GError **errp)
{
    JsonNode *root = qjson_parse(json_text, errp);
    if (!root) {
        return NULL;
    }
    if (!JSON_NODE_HOLDS_ARRAY(root)) {
        json_node_unref(root);
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "schema: expected an array");
        return NULL;
    }
    QmpSchema *s = g_new0(QmpSchema, 1);
    s->types = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, type_free);
    s->commands = g_ptr_array_new_with_free_func(command_free);
    s->events = g_ptr_array_new_with_free_func(event_free);
    s->command_map = g_hash_table_new(g_str_hash, g_str_equal);
    s->event_map = g_hash_table_new(g_str_hash, g_str_equal);
    add_builtins(s);
    s->empty = type_new(s, "q_empty", QMP_TYPE_OBJECT);

    JsonArray *entities = json_node_get_array(root);
    guint n = json_array_get_length(entities);
    /* Pass 1: named types exist before anything refers to them. */
    for (guint i = 0; i < n; i++) {
        JsonObject *o = json_array_get_object_element(entities, i);
        const char *name;
        const char *kind = o ? entity_kind(o, &name) : NULL;
        if (!kind || !name) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "schema: entity %u has no kind", i);
            goto fail;
        }
        if (g_hash_table_contains(s->types, name)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "schema: '%s' defined twice", name);
            goto fail;
        }
        if (!strcmp(kind, "enum")) {
            type_new(s, name, QMP_TYPE_ENUM)->values = g_ptr_array_new();
        } else if (!strcmp(kind, "struct") || !strcmp(kind, "union")) {
            type_new(s, name, QMP_TYPE_OBJECT);
        } else if (!strcmp(kind, "alternate")) {
            type_new(s, name, QMP_TYPE_ALTERNATE);
        }
    }
    for (guint i = 0; i < n; i++) {
        if (!define_entity(s, json_array_get_object_element(entities, i), errp)) {
            goto fail;
        }
    }
    s->root = root;   /* enum values borrow its strings */
    return s;
fail:
    json_node_unref(root);
    qmp_schema_free(s);
    return NULL;
}

QmpSchema *qmp_schema_get(void)
{
    /* Immutable once loaded: constant data, not machine state. */
    static gsize once;
    static QmpSchema *schema;
    if (g_once_init_enter(&once)) {
        g_autoptr(GError) err = NULL;
        schema = qmp_schema_load(qmp_schema_text, &err);
        if (!schema) {
            g_error("built-in QMP schema: %s", err->message);
        }
        g_once_init_leave(&once, 1);
    }
    return schema;
}

const QmpCommandInfo *qmp_schema_command(QmpSchema *s, const char *name)
{
    return g_hash_table_lookup(s->command_map, name);
}

const QmpEventInfo *qmp_schema_event(QmpSchema *s, const char *name)
{
    return g_hash_table_lookup(s->event_map, name);
}

QmpType *qmp_schema_type(QmpSchema *s, const char *name)
{
    return g_hash_table_lookup(s->types, name);
}

GPtrArray *qmp_schema_commands(QmpSchema *s)
{
    return s->commands;
}

/* ------------------------------------------------------------ validation */

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

/* --------------------------------------------------------- introspection */

typedef struct {
    QmpSchema *s;
    GPtrArray *order;    /* QmpType, in numbering order */
    GHashTable *builtins_used;
    int next_id;
} Introspect;

static const char *builtin_schema_name(const QmpType *t)
{
    static const struct { const char *json, *name; } map[] = {
        { "string", "str" }, { "int", "int" }, { "number", "number" },
        { "boolean", "bool" }, { "null", "null" }, { "value", "any" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
        if (!strcmp(map[i].json, t->json_type)) {
            return map[i].name;
        }
    }
    return "any";
}

static void number_type(Introspect *in, QmpType *t)
{
    if (t->kind == QMP_TYPE_BUILTIN) {
        g_hash_table_add(in->builtins_used, (gpointer)builtin_schema_name(t));
        return;
    }
    if (t->schema_id >= 0) {
        return;
    }
    t->schema_id = t->kind == QMP_TYPE_ARRAY ? 0 : in->next_id++;
    g_ptr_array_add(in->order, t);
    switch (t->kind) {
    case QMP_TYPE_OBJECT:
    case QMP_TYPE_ALTERNATE:
        for (guint i = 0; i < t->members->len; i++) {
            number_type(in, ((QmpMember *)g_ptr_array_index(t->members, i))->type);
        }
        for (guint i = 0; t->variants && i < t->variants->len; i++) {
            number_type(in, ((QmpVariant *)g_ptr_array_index(t->variants, i))->type);
        }
        break;
    case QMP_TYPE_ARRAY:
        number_type(in, t->element);
        break;
    default:
        break;
    }
}

static char *schema_name(const QmpType *t)
{
    if (t->kind == QMP_TYPE_BUILTIN) {
        return g_strdup(builtin_schema_name(t));
    }
    if (t->kind == QMP_TYPE_ARRAY) {
        g_autofree char *el = schema_name(t->element);
        return g_strdup_printf("[%s]", el);
    }
    return g_strdup_printf("%d", t->schema_id);
}

static void add_features(JsonObject *o, char **features)
{
    if (!features || !features[0]) {
        return;
    }
    JsonArray *a = json_array_new();
    for (char **f = features; *f; f++) {
        json_array_add_string_element(a, *f);
    }
    json_object_set_array_member(o, "features", a);
}

static void set_type_member(JsonObject *o, const char *key, const QmpType *t)
{
    g_autofree char *n = schema_name(t);
    json_object_set_string_member(o, key, n);
}

static JsonObject *describe_type(const QmpType *t)
{
    JsonObject *o = json_object_new();
    set_type_member(o, "name", t);
    switch (t->kind) {
    case QMP_TYPE_ENUM: {
        json_object_set_string_member(o, "meta-type", "enum");
        JsonArray *members = json_array_new();
        JsonArray *values = json_array_new();
        for (guint i = 0; i < t->values->len; i++) {
            JsonObject *m = json_object_new();
            json_object_set_string_member(m, "name", g_ptr_array_index(t->values, i));
            add_features(m, g_ptr_array_index(t->value_features, i));
            json_array_add_object_element(members, m);
            json_array_add_string_element(values, g_ptr_array_index(t->values, i));
        }
        json_object_set_array_member(o, "members", members);
        json_object_set_array_member(o, "values", values);
        break;
    }
    case QMP_TYPE_OBJECT: {
        json_object_set_string_member(o, "meta-type", "object");
        JsonArray *members = json_array_new();
        for (guint i = 0; i < t->members->len; i++) {
            QmpMember *mem = g_ptr_array_index(t->members, i);
            JsonObject *m = json_object_new();
            json_object_set_string_member(m, "name", mem->name);
            set_type_member(m, "type", mem->type);
            if (mem->optional) {
                json_object_set_null_member(m, "default");
            }
            add_features(m, mem->features);
            json_array_add_object_element(members, m);
        }
        json_object_set_array_member(o, "members", members);
        if (t->variants) {
            json_object_set_string_member(o, "tag", t->tag);
            JsonArray *vars = json_array_new();
            for (guint i = 0; i < t->variants->len; i++) {
                QmpVariant *var = g_ptr_array_index(t->variants, i);
                JsonObject *vo = json_object_new();
                json_object_set_string_member(vo, "case", var->tag_value);
                set_type_member(vo, "type", var->type);
                json_array_add_object_element(vars, vo);
            }
            json_object_set_array_member(o, "variants", vars);
        }
        break;
    }
    case QMP_TYPE_ARRAY:
        json_object_set_string_member(o, "meta-type", "array");
        set_type_member(o, "element-type", t->element);
        break;
    case QMP_TYPE_ALTERNATE: {
        json_object_set_string_member(o, "meta-type", "alternate");
        JsonArray *members = json_array_new();
        for (guint i = 0; i < t->members->len; i++) {
            JsonObject *m = json_object_new();
            set_type_member(m, "type", ((QmpMember *)g_ptr_array_index(t->members, i))->type);
            json_array_add_object_element(members, m);
        }
        json_object_set_array_member(o, "members", members);
        break;
    }
    case QMP_TYPE_BUILTIN:
        json_object_set_string_member(o, "json-type", t->json_type);
        json_object_set_string_member(o, "meta-type", "builtin");
        break;
    }
    add_features(o, t->features);
    return o;
}

JsonNode *qmp_schema_introspect(QmpSchema *s)
{
    Introspect in = { .s = s, .order = g_ptr_array_new(),
                      .builtins_used = g_hash_table_new(g_str_hash, g_str_equal) };
    GHashTableIter hi;
    gpointer key, val;
    g_hash_table_iter_init(&hi, s->types);
    while (g_hash_table_iter_next(&hi, &key, &val)) {
        ((QmpType *)val)->schema_id = -1;
    }
    /* QEMU numbers the empty object "0": commands without arguments or
     * return value all point at it. */
    number_type(&in, s->empty);

    JsonArray *out = json_array_new();
    for (guint i = 0; i < s->commands->len; i++) {
        QmpCommandInfo *c = g_ptr_array_index(s->commands, i);
        number_type(&in, c->args);
        number_type(&in, c->ret);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", c->name);
        json_object_set_string_member(o, "meta-type", "command");
        set_type_member(o, "arg-type", c->args);
        set_type_member(o, "ret-type", c->ret);
        if (c->allow_oob) {
            json_object_set_boolean_member(o, "allow-oob", TRUE);
        }
        add_features(o, c->features);
        json_array_add_object_element(out, o);
    }
    for (guint i = 0; i < s->events->len; i++) {
        QmpEventInfo *e = g_ptr_array_index(s->events, i);
        number_type(&in, e->data);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", e->name);
        json_object_set_string_member(o, "meta-type", "event");
        set_type_member(o, "arg-type", e->data);
        add_features(o, e->features);
        json_array_add_object_element(out, o);
    }
    for (guint i = 0; i < in.order->len; i++) {
        json_array_add_object_element(out, describe_type(g_ptr_array_index(in.order, i)));
    }
    static const char *const builtin_order[] = { "str", "any", "bool", "int", "null", "number" };
    for (guint i = 0; i < G_N_ELEMENTS(builtin_order); i++) {
        if (g_hash_table_contains(in.builtins_used, builtin_order[i])) {
            json_array_add_object_element(
                out, describe_type(g_hash_table_lookup(s->types, builtin_order[i])));
        }
    }
    g_ptr_array_unref(in.order);
    g_hash_table_unref(in.builtins_used);
    return qmp_return_array(out);
}
