/* The QMP schema: every command, event and type Tern's monitor knows,
 * declared once in src/monitor/schema/ (*.json) (QEMU's QAPI language with
 * JSON quoting) and compiled into the binary. From it come argument
 * validation with QEMU's error texts, return/event self-checks, and
 * query-qmp-schema in QEMU's SchemaInfo format. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    QMP_TYPE_BUILTIN,
    QMP_TYPE_ENUM,
    QMP_TYPE_OBJECT,
    QMP_TYPE_ARRAY,
    QMP_TYPE_ALTERNATE,
} QmpTypeKind;

typedef struct QmpType QmpType;

typedef struct QmpMember {
    char *name;
    QmpType *type;
    bool optional;
    char **features;
} QmpMember;

typedef struct QmpVariant {
    char *tag_value;
    QmpType *type;     /* an object; its members join the union's */
} QmpVariant;

struct QmpType {
    char *name;
    QmpTypeKind kind;
    /* builtin */
    const char *json_type;   /* "string", "int", "number", "boolean", "null", "value" */
    int64_t min;             /* integer range */
    uint64_t max;
    bool is_unsigned;
    /* enum */
    GPtrArray *values;       /* char * */
    GPtrArray *value_features; /* char ** per value (NULL: none) */
    /* object: members (base first), union tag and variants */
    GPtrArray *members;      /* QmpMember * */
    char *tag;
    GPtrArray *variants;     /* QmpVariant * */
    /* array */
    QmpType *element;
    /* alternate: members with name NULL */
    char **features;
    int schema_id;           /* masked name in query-qmp-schema, -1 if unnumbered */
};

typedef struct QmpCommandInfo {
    char *name;
    QmpType *args;           /* always an object (possibly empty) */
    QmpType *ret;
    bool allow_oob;
    bool gen;                /* false: members beyond the declared ones are allowed */
    char **features;
} QmpCommandInfo;

typedef struct QmpEventInfo {
    char *name;
    QmpType *data;           /* an object (possibly empty) */
    char **features;
} QmpEventInfo;

typedef struct QmpSchema QmpSchema;

/* The built-in schema, loaded on first use. Never fails: the build
 * checks the declarations and a unit test loads them. */
QmpSchema *qmp_schema_get(void);
QmpSchema *qmp_schema_load(const char *json_text, GError **errp);
void qmp_schema_free(QmpSchema *s);

const QmpCommandInfo *qmp_schema_command(QmpSchema *s, const char *name);
const QmpEventInfo *qmp_schema_event(QmpSchema *s, const char *name);
QmpType *qmp_schema_type(QmpSchema *s, const char *name);
/* All commands, in declaration order. */
GPtrArray *qmp_schema_commands(QmpSchema *s);

/* Checks an input value the way QEMU's input visitor does; path is the
 * member name used in messages ("" for the top-level arguments). */
bool qmp_type_check_input(const QmpType *t, JsonNode *v, const char *path, GError **errp);
/* Checks a value Tern produced (returns, events): exact members, types. */
bool qmp_type_check_output(const QmpType *t, JsonNode *v, const char *path, GError **errp);

/* query-qmp-schema's return value. */
JsonNode *qmp_schema_introspect(QmpSchema *s);
