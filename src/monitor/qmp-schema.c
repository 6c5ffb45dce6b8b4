#define G_LOG_DOMAIN "tern-monitor"
#include "monitor/qmp-schema-internal.h"
#include "monitor/json-reader.h"
#include "monitor/qmp-dispatch.h"
#include "util/error.h"

#include <string.h>

extern const char qmp_schema_text[];   /* generated from schema/ (*.json) */


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
        c->gen = !json_object_has_member(o, "gen") || json_object_get_boolean_member(o, "gen");
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
