/* The QMP schema (src/monitor/qmp-schema.h): the built-in declarations
 * load and match the handler tables; argument validation gives QEMU 7.2's
 * texts; query-qmp-schema has QEMU's SchemaInfo shape. Expected messages
 * are QEMU's for the same JSON (checked with qemu-system-x86_64 -qmp stdio
 * on commands with the same member types: qom-get, set-action,
 * migrate-set-parameters/-capabilities, chardev-add, blockdev-add). */
#include <glib.h>
#include <string.h>

#include "monitor/json-reader.h"
#include "monitor/json-writer.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qmp-schema.h"

/* Known differences from QEMU in src/monitor/qmp-schema.c: checked, and a
 * mismatch is a TODO (not a failure) naming the bug. */
#define BUG_INT_WRAP "an int64 member accepts 2^63..2^64-1 (wrapped negative); QEMU: " \
                     "'Invalid parameter type for 'x', expected: integer'"

/* A small schema using every kind of declaration. */
static const char test_schema[] =
    "["
    "{\"enum\": \"Color\", \"data\": [\"red\", \"green\"]},"
    "{\"struct\": \"Point\", \"data\": {\"x\": \"int\", \"*y\": \"int8\", \"*tags\": [\"str\"]}},"
    "{\"enum\": \"Kind\", \"data\": [\"file\", \"null\"]},"
    "{\"struct\": \"Base\", \"data\": {\"type\": \"Kind\", \"id\": \"str\"}},"
    "{\"struct\": \"FileData\", \"data\": {\"out\": \"str\", \"*append\": \"bool\"}},"
    "{\"struct\": \"NullData\", \"data\": {}},"
    "{\"union\": \"Backend\", \"base\": \"Base\", \"discriminator\": \"type\","
    "  \"data\": {\"file\": \"FileData\", \"null\": \"NullData\"}},"
    "{\"alternate\": \"StrOrNull\", \"data\": {\"s\": \"str\", \"n\": \"null\"}},"
    "{\"command\": \"test\", \"data\": {\"name\": \"str\", \"*color\": \"Color\","
    "  \"*points\": [\"Point\"], \"*u8\": \"uint8\", \"*u16\": \"uint16\", \"*u32\": \"uint32\","
    "  \"*u64\": \"uint64\", \"*i8\": \"int8\", \"*i32\": \"int32\", \"*i\": \"int\","
    "  \"*sz\": \"size\", \"*flag\": \"bool\", \"*num\": \"number\", \"*any\": \"any\","
    "  \"*backend\": \"Backend\", \"*creds\": \"StrOrNull\", \"*bytes\": [\"uint8\"]},"
    "  \"returns\": \"Point\"},"
    "{\"command\": \"noargs\"},"
    "{\"command\": \"oob\", \"allow-oob\": true, \"features\": [\"deprecated\"],"
    "  \"returns\": [\"Color\"]},"
    "{\"event\": \"EV\", \"data\": {\"a\": \"int\", \"*b\": \"Color\"}},"
    "{\"event\": \"EMPTY\"}"
    "]";

static QmpSchema *load_test_schema(void)
{
    g_autoptr(GError) err = NULL;
    QmpSchema *s = qmp_schema_load(test_schema, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* Validates `args` (JSON text) against the command's arguments; returns
 * NULL if accepted, else the message. */
static char *validate(QmpSchema *s, const char *command, const char *args)
{
    const QmpCommandInfo *c = qmp_schema_command(s, command);
    g_assert_nonnull(c);
    g_autoptr(GError) perr = NULL;
    g_autoptr(JsonNode) v = qjson_parse(args, &perr);
    g_assert_no_error(perr);
    g_autoptr(GError) err = NULL;
    if (qmp_type_check_input(c->args, v, "", &err)) {
        return NULL;
    }
    return g_strdup(err->message);
}

typedef struct {
    const char *args;
    const char *want;   /* NULL: accepted */
    const char *bug;
} Case;

static void check_cases(const char *command, const Case *cases, size_t n)
{
    QmpSchema *s = load_test_schema();
    for (size_t i = 0; i < n; i++) {
        g_autofree char *got = validate(s, command, cases[i].args);
        if (!g_strcmp0(got, cases[i].want)) {
            continue;
        }
        if (cases[i].bug) {
            g_test_incomplete_printf("BUG (%s): %s %s: got %s, want %s", cases[i].bug, command,
                                     cases[i].args, got ? got : "(accepted)",
                                     cases[i].want ? cases[i].want : "(accepted)");
        } else {
            g_test_fail_printf("%s %s: got %s, want %s", command, cases[i].args, got ? got : "(accepted)",
                               cases[i].want ? cases[i].want : "(accepted)");
        }
    }
    qmp_schema_free(s);
}

/* ------------------------------------------------------ built-in schema */

static void test_builtin_loads(void)
{
    QmpSchema *s = qmp_schema_get();
    g_assert_nonnull(s);
    g_assert_cmpuint(qmp_schema_commands(s)->len, >, 0);
    g_assert_nonnull(qmp_schema_command(s, "qmp_capabilities"));
    g_assert_nonnull(qmp_schema_command(s, "query-qmp-schema"));
    g_assert_nonnull(qmp_schema_event(s, "STOP"));
    g_assert_null(qmp_schema_command(s, "no-such-command"));
    g_assert_true(qmp_schema_get() == s);   /* loaded once */
}

/* A declaration without a handler would be listed by query-commands but
 * answer CommandNotFound; a handler without a declaration is unreachable. */
static void test_builtin_handlers(void)
{
    QmpSchema *s = qmp_schema_get();
    GPtrArray *cmds = qmp_schema_commands(s);
    for (guint i = 0; i < cmds->len; i++) {
        const QmpCommandInfo *c = g_ptr_array_index(cmds, i);
        if (!qmp_command_find(c->name)) {
            g_test_fail_printf("schema command %s has no handler", c->name);
        }
    }
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (const QmpCommandDef *const *t = qmp_command_tables; *t; t++) {
        for (const QmpCommandDef *d = *t; d->name; d++) {
            if (!qmp_schema_command(s, d->name)) {
                g_test_fail_printf("handler %s has no schema entry", d->name);
            }
            if (!g_hash_table_add(seen, (gpointer)d->name)) {
                g_test_fail_printf("handler %s is listed twice", d->name);
            }
            if (!d->fn) {
                g_test_fail_printf("handler %s has no function", d->name);
            }
        }
    }
}

/* Every type name that query-qmp-schema mentions is defined in it, once. */
static void check_introspection_closed(JsonArray *a)
{
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        const char *meta = json_object_get_string_member(o, "meta-type");
        const char *name = json_object_get_string_member(o, "name");
        g_assert_nonnull(meta);
        g_assert_nonnull(name);
        if (strcmp(meta, "command") && strcmp(meta, "event")
            && !g_hash_table_add(names, (gpointer)name)) {
            g_test_fail_printf("type %s is defined twice", name);
        }
    }
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        const char *refs[] = { "arg-type", "ret-type", "element-type" };
        for (guint k = 0; k < G_N_ELEMENTS(refs); k++) {
            const char *r = json_object_get_string_member_with_default(o, refs[k], NULL);
            if (r && !g_hash_table_contains(names, r)) {
                g_test_fail_printf("%s: %s %s is not defined",
                                   json_object_get_string_member(o, "name"), refs[k], r);
            }
        }
        JsonNode *mn = json_object_get_member(o, "members");
        JsonNode *vn = json_object_get_member(o, "variants");
        JsonArray *lists[] = { mn ? json_node_get_array(mn) : NULL,
                               vn ? json_node_get_array(vn) : NULL };
        for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
            for (guint j = 0; lists[l] && j < json_array_get_length(lists[l]); j++) {
                JsonObject *m = json_array_get_object_element(lists[l], j);
                const char *r = json_object_get_string_member_with_default(m, "type", NULL);
                if (r && !g_hash_table_contains(names, r)) {
                    g_test_fail_printf("%s: member type %s is not defined",
                                       json_object_get_string_member(o, "name"), r);
                }
            }
        }
    }
}

static void test_builtin_introspect(void)
{
    QmpSchema *s = qmp_schema_get();
    g_autoptr(JsonNode) n = qmp_schema_introspect(s);
    g_assert_true(JSON_NODE_HOLDS_ARRAY(n));
    JsonArray *a = json_node_get_array(n);
    check_introspection_closed(a);
    guint commands = 0;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (!strcmp(json_object_get_string_member(o, "meta-type"), "command")) {
            commands++;
        }
    }
    g_assert_cmpuint(commands, ==, qmp_schema_commands(s)->len);
    /* The built-in schema's own return value passes its own check. */
    const QmpCommandInfo *c = qmp_schema_command(s, "query-qmp-schema");
    g_autoptr(GError) err = NULL;
    qmp_type_check_output(c->ret, n, "", &err);
    g_assert_no_error(err);
}

/* ------------------------------------------------------------ loading */

static void test_load_errors(void)
{
    static const char *const bad[] = {
        "{}",
        "[{\"struct\": \"A\", \"data\": {\"x\": \"Nope\"}}]",
        "[{\"struct\": \"A\"}, {\"enum\": \"A\", \"data\": []}]",
        "[{\"frobnicate\": \"A\"}]",
        "[{\"command\": \"c\", \"returns\": [\"int\", \"str\"]}]",
        "[",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        QmpSchema *s = qmp_schema_load(bad[i], &err);
        if (s) {
            g_test_fail_printf("schema %s loaded", bad[i]);
            qmp_schema_free(s);
        }
        g_assert_nonnull(err);
    }
}

static void test_load_lookup(void)
{
    QmpSchema *s = load_test_schema();
    const QmpCommandInfo *c = qmp_schema_command(s, "oob");
    g_assert_true(c->allow_oob);
    g_assert_cmpstr(c->features[0], ==, "deprecated");
    g_assert_cmpint(c->ret->kind, ==, QMP_TYPE_ARRAY);
    g_assert_true(c->ret->element == qmp_schema_type(s, "Color"));
    g_assert_false(qmp_schema_command(s, "noargs")->allow_oob);
    QmpType *b = qmp_schema_type(s, "Backend");
    g_assert_cmpint(b->kind, ==, QMP_TYPE_OBJECT);
    g_assert_cmpstr(b->tag, ==, "type");
    g_assert_cmpuint(b->variants->len, ==, 2);
    g_assert_cmpuint(b->members->len, ==, 2);   /* the base's */
    g_assert_cmpint(qmp_schema_type(s, "StrOrNull")->kind, ==, QMP_TYPE_ALTERNATE);
    g_assert_nonnull(qmp_schema_event(s, "EV"));
    GPtrArray *cmds = qmp_schema_commands(s);
    g_assert_cmpuint(cmds->len, ==, 3);
    g_assert_cmpstr(((QmpCommandInfo *)g_ptr_array_index(cmds, 0))->name, ==, "test");
    qmp_schema_free(s);
}

/* ---------------------------------------------------------- validation */

static void test_validate_members(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\"}", NULL },
        { "{}", "Parameter 'name' is missing" },
        { "{\"name\": \"a\", \"x\": 1}", "Parameter 'x' is unexpected" },
        { "{\"name\": \"a\", \"x\": {\"y\": 1}}", "Parameter 'x' is unexpected" },
        { "{\"name\": 1}", "Invalid parameter type for 'name', expected: string" },
        { "{\"name\": null}", "Invalid parameter type for 'name', expected: string" },
        { "{\"name\": \"a\", \"flag\": 1}", "Invalid parameter type for 'flag', expected: boolean" },
        { "{\"name\": \"a\", \"flag\": false}", NULL },
        { "{\"name\": \"a\", \"num\": \"1\"}", "Invalid parameter type for 'num', expected: number" },
        { "{\"name\": \"a\", \"num\": 1}", NULL },
        { "{\"name\": \"a\", \"num\": 1.5}", NULL },
        { "{\"name\": \"a\", \"any\": {\"x\": [1, null]}}", NULL },
        /* Missing members are found before unexpected ones. */
        { "{\"x\": 1}", "Parameter 'name' is missing" },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
    static const Case none[] = {
        { "{}", NULL },
        { "{\"a\": 1}", "Parameter 'a' is unexpected" },
    };
    check_cases("noargs", none, G_N_ELEMENTS(none));
}

static void test_validate_enum(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\", \"color\": \"red\"}", NULL },
        { "{\"name\": \"a\", \"color\": \"blue\"}", "Parameter 'color' does not accept value 'blue'" },
        { "{\"name\": \"a\", \"color\": 1}", "Invalid parameter type for 'color', expected: string" },
        { "{\"name\": \"a\", \"color\": null}", "Invalid parameter type for 'color', expected: string" },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
}

/* Signed integers: a non-integer is a type error on the path; out of range
 * names the member and QEMU's C type. Unsigned: anything that is not a
 * uint64 "expects uint64"; negative numbers wrap (uint64 takes -1). */
static void test_validate_integers(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\", \"i\": -9223372036854775808}", NULL },
        { "{\"name\": \"a\", \"i\": 1.5}", "Invalid parameter type for 'i', expected: integer" },
        { "{\"name\": \"a\", \"i\": \"1\"}", "Invalid parameter type for 'i', expected: integer" },
        { "{\"name\": \"a\", \"i\": 9223372036854775808}",
          "Invalid parameter type for 'i', expected: integer", BUG_INT_WRAP },
        { "{\"name\": \"a\", \"i8\": -128}", NULL },
        { "{\"name\": \"a\", \"i8\": 128}", "Parameter 'i8' expects int8_t", NULL },
        { "{\"name\": \"a\", \"i32\": 2147483647}", NULL },
        { "{\"name\": \"a\", \"i32\": 2147483648}", "Parameter 'i32' expects int32_t",
          NULL },
        { "{\"name\": \"a\", \"u8\": 255}", NULL },
        { "{\"name\": \"a\", \"u8\": 256}", "Parameter 'u8' expects uint8_t", NULL },
        { "{\"name\": \"a\", \"u8\": -1}", "Parameter 'u8' expects uint8_t", NULL },
        { "{\"name\": \"a\", \"u8\": \"1\"}", "Parameter 'u8' expects uint64", NULL },
        { "{\"name\": \"a\", \"u8\": 1.5}", "Parameter 'u8' expects uint64", NULL },
        { "{\"name\": \"a\", \"u16\": 65536}", "Parameter 'u16' expects uint16_t", NULL },
        { "{\"name\": \"a\", \"u32\": 4294967295}", NULL },
        { "{\"name\": \"a\", \"u32\": 4294967296}", "Parameter 'u32' expects uint32_t",
          NULL },
        { "{\"name\": \"a\", \"u64\": -1}", NULL },
        { "{\"name\": \"a\", \"u64\": 18446744073709551615}", NULL },
        { "{\"name\": \"a\", \"u64\": 18446744073709551616}", "Parameter 'u64' expects uint64",
          NULL },
        { "{\"name\": \"a\", \"u64\": true}", "Parameter 'u64' expects uint64", NULL },
        { "{\"name\": \"a\", \"sz\": 1.0}", "Parameter 'sz' expects uint64", NULL },
        { "{\"name\": \"a\", \"sz\": 4096}", NULL },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
}

/* Paths: "a.b" for members of members, "a[0]" for list elements; value
 * errors (enum, range) name only the member ("null" for a list element,
 * which has no name). */
static void test_validate_paths(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\", \"points\": [{\"x\": 1}, {\"y\": 1}]}", "Parameter 'points[1].x' is missing" },
        { "{\"name\": \"a\", \"points\": [{\"x\": \"1\"}]}",
          "Invalid parameter type for 'points[0].x', expected: integer" },
        { "{\"name\": \"a\", \"points\": [{\"x\": 1, \"z\": 1}]}", "Parameter 'points[0].z' is unexpected" },
        { "{\"name\": \"a\", \"points\": [{\"x\": 1, \"tags\": [\"a\", 2]}]}",
          "Invalid parameter type for 'points[0].tags[1]', expected: string" },
        { "{\"name\": \"a\", \"points\": [{\"x\": 1, \"y\": 200}]}", "Parameter 'y' expects int8_t",
          NULL },
        { "{\"name\": \"a\", \"points\": {}}", "Invalid parameter type for 'points', expected: array" },
        { "{\"name\": \"a\", \"points\": [1]}", "Invalid parameter type for 'points[0]', expected: object" },
        { "{\"name\": \"a\", \"points\": []}", NULL },
        { "{\"name\": \"a\", \"bytes\": [1, 256]}", "Parameter 'null' expects uint8_t", NULL },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
}

/* A flat union: the base's members (the tag among them) first, then the
 * branch's; the tag's value error names the tag alone. */
static void test_validate_union(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\", \"backend\": {\"type\": \"file\", \"id\": \"c\", \"out\": \"/dev/null\"}}", NULL },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"null\", \"id\": \"c\"}}", NULL },
        { "{\"name\": \"a\", \"backend\": {\"id\": \"c\"}}", "Parameter 'backend.type' is missing" },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"bogus\", \"id\": \"c\"}}",
          "Parameter 'type' does not accept value 'bogus'" },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"file\"}}", "Parameter 'backend.id' is missing" },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"file\", \"id\": \"c\"}}",
          "Parameter 'backend.out' is missing" },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"file\", \"id\": \"c\", \"out\": 1}}",
          "Invalid parameter type for 'backend.out', expected: string" },
        { "{\"name\": \"a\", \"backend\": {\"type\": \"null\", \"id\": \"c\", \"out\": \"x\"}}",
          "Parameter 'backend.out' is unexpected" },
        { "{\"name\": \"a\", \"backend\": \"file\"}", "Invalid parameter type for 'backend', expected: object" },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
}

/* An alternate picks its branch by JSON type; no branch fits: the
 * alternate's name is what was expected. */
static void test_validate_alternate(void)
{
    static const Case cases[] = {
        { "{\"name\": \"a\", \"creds\": \"x\"}", NULL },
        { "{\"name\": \"a\", \"creds\": null}", NULL },
        { "{\"name\": \"a\", \"creds\": 1}", "Invalid parameter type for 'creds', expected: StrOrNull" },
        { "{\"name\": \"a\", \"creds\": {}}", "Invalid parameter type for 'creds', expected: StrOrNull" },
    };
    check_cases("test", cases, G_N_ELEMENTS(cases));
}

/* Output checks (replies, events) are exact too. */
static void test_validate_output(void)
{
    QmpSchema *s = load_test_schema();
    const QmpCommandInfo *c = qmp_schema_command(s, "test");
    static const struct { const char *ret; bool ok; } cases[] = {
        { "{\"x\": 1}", true },
        { "{\"x\": 1, \"y\": 2, \"tags\": []}", true },
        { "{}", false },
        { "{\"x\": 1, \"extra\": 1}", false },
        { "{\"x\": \"1\"}", false },
        { "[]", false },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonNode) v = qjson_parse(cases[i].ret, NULL);
        g_autoptr(GError) err = NULL;
        bool ok = qmp_type_check_output(c->ret, v, "", &err);
        if (ok != cases[i].ok) {
            g_test_fail_printf("output %s: %s", cases[i].ret, ok ? "accepted" : err->message);
        }
    }
    const QmpEventInfo *e = qmp_schema_event(s, "EV");
    g_autoptr(JsonNode) d = qjson_parse("{\"a\": 1, \"b\": \"green\"}", NULL);
    g_assert_true(qmp_type_check_output(e->data, d, "", NULL));
    g_autoptr(JsonNode) bad = qjson_parse("{\"a\": 1, \"b\": \"blue\"}", NULL);
    g_assert_false(qmp_type_check_output(e->data, bad, "", NULL));
    qmp_schema_free(s);
}

/* ------------------------------------------------------- introspection */

static JsonObject *find_entity(JsonArray *a, const char *name)
{
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (!strcmp(json_object_get_string_member(o, "name"), name)) {
            return o;
        }
    }
    return NULL;
}

/* The JSON text of an entity, for exact comparisons. */
static char *entity_text(JsonArray *a, const char *name)
{
    JsonObject *o = find_entity(a, name);
    if (!o) {
        return g_strdup("(missing)");
    }
    g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), o);
    return qjson_to_string(n, false);
}

static const char *member_type(JsonObject *obj, const char *member)
{
    JsonArray *m = json_object_get_array_member(obj, "members");
    for (guint i = 0; i < json_array_get_length(m); i++) {
        JsonObject *mo = json_array_get_object_element(m, i);
        if (!strcmp(json_object_get_string_member(mo, "name"), member)) {
            return json_object_get_string_member(mo, "type");
        }
    }
    return NULL;
}

static void test_introspect_shape(void)
{
    QmpSchema *s = load_test_schema();
    g_autoptr(JsonNode) n = qmp_schema_introspect(s);
    JsonArray *a = json_node_get_array(n);
    check_introspection_closed(a);

    /* Commands and events keep their names; every type is a number. The
     * empty object is "0": commands without arguments or return point at
     * it, as in QEMU. */
    g_autofree char *noargs = entity_text(a, "noargs");
    g_assert_cmpstr(noargs, ==,
                    "{\"name\": \"noargs\", \"meta-type\": \"command\", \"arg-type\": \"0\", "
                    "\"ret-type\": \"0\"}");
    g_autofree char *empty = entity_text(a, "0");
    g_assert_cmpstr(empty, ==, "{\"name\": \"0\", \"meta-type\": \"object\", \"members\": []}");
    g_autofree char *ev = entity_text(a, "EMPTY");
    g_assert_cmpstr(ev, ==, "{\"name\": \"EMPTY\", \"meta-type\": \"event\", \"arg-type\": \"0\"}");

    JsonObject *oob = find_entity(a, "oob");
    g_assert_true(json_object_get_boolean_member(oob, "allow-oob"));
    JsonArray *feat = json_object_get_array_member(oob, "features");
    g_assert_cmpstr(json_array_get_string_element(feat, 0), ==, "deprecated");
    /* Arrays are named after their element: "[N]". */
    const char *ret = json_object_get_string_member(oob, "ret-type");
    g_assert_true(ret[0] == '[' && g_str_has_suffix(ret, "]"));
    g_autofree char *el = g_strndup(ret + 1, strlen(ret) - 2);
    g_assert_true(g_ascii_isdigit(el[0]));
    JsonObject *arr = find_entity(a, ret);
    g_assert_cmpstr(json_object_get_string_member(arr, "meta-type"), ==, "array");
    g_assert_cmpstr(json_object_get_string_member(arr, "element-type"), ==, el);

    /* The enum: members and (deprecated, still sent by 7.2) values. */
    g_autofree char *color = entity_text(a, el);
    g_autofree char *want_color = g_strdup_printf(
        "{\"name\": \"%s\", \"meta-type\": \"enum\", \"members\": [{\"name\": \"red\"}, "
        "{\"name\": \"green\"}], \"values\": [\"red\", \"green\"]}", el);
    g_assert_cmpstr(color, ==, want_color);

    /* Optional members carry "default": null; integer types of every width
     * are "int"; builtins appear under their own names. */
    JsonObject *test = find_entity(a, "test");
    JsonObject *args = find_entity(a, json_object_get_string_member(test, "arg-type"));
    g_assert_cmpstr(json_object_get_string_member(args, "meta-type"), ==, "object");
    JsonArray *members = json_object_get_array_member(args, "members");
    JsonObject *m0 = json_array_get_object_element(members, 0);
    g_assert_cmpstr(json_object_get_string_member(m0, "name"), ==, "name");
    g_assert_cmpstr(json_object_get_string_member(m0, "type"), ==, "str");
    g_assert_false(json_object_has_member(m0, "default"));
    JsonObject *m1 = json_array_get_object_element(members, 1);
    g_assert_true(json_object_has_member(m1, "default"));
    g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(m1, "default")));
    g_assert_cmpstr(member_type(args, "u8"), ==, "int");
    g_assert_cmpstr(member_type(args, "sz"), ==, "int");
    g_assert_cmpstr(member_type(args, "num"), ==, "number");
    g_assert_cmpstr(member_type(args, "any"), ==, "any");
    g_assert_cmpstr(member_type(args, "flag"), ==, "bool");
    g_autofree char *str = entity_text(a, "str");
    g_assert_cmpstr(str, ==, "{\"name\": \"str\", \"json-type\": \"string\", \"meta-type\": \"builtin\"}");
    g_autofree char *intt = entity_text(a, "int");
    g_assert_cmpstr(intt, ==, "{\"name\": \"int\", \"json-type\": \"int\", \"meta-type\": \"builtin\"}");

    /* The union: its base's members, the tag, one variant per branch. */
    JsonObject *u = find_entity(a, member_type(args, "backend"));
    g_assert_cmpstr(json_object_get_string_member(u, "meta-type"), ==, "object");
    g_assert_cmpstr(json_object_get_string_member(u, "tag"), ==, "type");
    JsonArray *vars = json_object_get_array_member(u, "variants");
    g_assert_cmpuint(json_array_get_length(vars), ==, 2);
    JsonObject *v0 = json_array_get_object_element(vars, 0);
    g_assert_cmpstr(json_object_get_string_member(v0, "case"), ==, "file");
    JsonObject *file = find_entity(a, json_object_get_string_member(v0, "type"));
    g_assert_cmpstr(member_type(file, "out"), ==, "str");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(u, "members")), ==, 2);

    /* The alternate: members with a type only. */
    g_autofree char *alt = entity_text(a, member_type(args, "creds"));
    g_autofree char *want_alt = g_strdup_printf(
        "{\"name\": \"%s\", \"meta-type\": \"alternate\", \"members\": [{\"type\": \"str\"}, "
        "{\"type\": \"null\"}]}", member_type(args, "creds"));
    g_assert_cmpstr(alt, ==, want_alt);

    /* Two introspections give the same answer. */
    g_autoptr(JsonNode) again = qmp_schema_introspect(s);
    g_autofree char *t1 = qjson_to_string(n, false);
    g_autofree char *t2 = qjson_to_string(again, false);
    g_assert_cmpstr(t1, ==, t2);
    qmp_schema_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp-schema/builtin/loads", test_builtin_loads);
    g_test_add_func("/qmp-schema/builtin/handlers", test_builtin_handlers);
    g_test_add_func("/qmp-schema/builtin/introspect", test_builtin_introspect);
    g_test_add_func("/qmp-schema/load/errors", test_load_errors);
    g_test_add_func("/qmp-schema/load/lookup", test_load_lookup);
    g_test_add_func("/qmp-schema/validate/members", test_validate_members);
    g_test_add_func("/qmp-schema/validate/enum", test_validate_enum);
    g_test_add_func("/qmp-schema/validate/integers", test_validate_integers);
    g_test_add_func("/qmp-schema/validate/paths", test_validate_paths);
    g_test_add_func("/qmp-schema/validate/union", test_validate_union);
    g_test_add_func("/qmp-schema/validate/alternate", test_validate_alternate);
    g_test_add_func("/qmp-schema/validate/output", test_validate_output);
    g_test_add_func("/qmp-schema/introspect/shape", test_introspect_shape);
    return g_test_run();
}
