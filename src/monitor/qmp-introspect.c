/* query-qmp-schema: the schema in QEMU's SchemaInfo format. Type names
 * are masked as numbers, as QEMU does; builtins keep their names. */
#include "monitor/qmp-schema-internal.h"
#include "monitor/qmp-dispatch.h"

#include <string.h>

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
