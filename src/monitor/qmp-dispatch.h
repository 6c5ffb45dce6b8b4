/* QMP command dispatch. A command is a schema declaration in
 * src/monitor/schema/ plus a handler in one of the qmp-cmds-*.c files,
 * listed in that file's table; qmp-command-list.c names the tables.
 * Handlers get arguments already checked against the schema and return
 * the "return" value, or NULL with errp set (the error's code selects the
 * QMP error class). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

typedef struct Machine Machine;
typedef struct Monitor Monitor;
typedef struct MonitorSet MonitorSet;

typedef struct QmpContext {
    Machine *m;
    MonitorSet *set;
    Monitor *mon;        /* the monitor the command came from */
} QmpContext;

typedef JsonNode *(*QmpCommandFn)(QmpContext *ctx, JsonObject *args, GError **errp);

typedef struct QmpCommandDef {
    const char *name;
    QmpCommandFn fn;
} QmpCommandDef;

/* NULL-terminated tables of NULL-terminated tables (qmp-command-list.c). */
extern const QmpCommandDef *const qmp_command_tables[];
QmpCommandFn qmp_command_find(const char *name);

/* Handles one request from a monitor; returns the reply object (with
 * "id" when the request had one), or NULL if nothing is to be sent. */
JsonNode *qmp_dispatch(QmpContext *ctx, JsonNode *request);
/* Runs a command internally (HMP), with schema-checked arguments. */
JsonNode *qmp_execute(QmpContext *ctx, const char *name, JsonObject *args, GError **errp);

/* Replies. */
JsonNode *qmp_error_reply(const GError *err, JsonNode *id);

/* Helpers for handlers: arguments are present only when given. */
const char *qmp_arg_str(JsonObject *args, const char *name, const char *def);
gint64 qmp_arg_int(JsonObject *args, const char *name, gint64 def);
guint64 qmp_arg_uint(JsonObject *args, const char *name, guint64 def);
bool qmp_arg_bool(JsonObject *args, const char *name, bool def);
bool qmp_arg_has(JsonObject *args, const char *name);

JsonNode *qmp_return_empty(void);
JsonNode *qmp_return_object(JsonObject *o);   /* takes the reference */
JsonNode *qmp_return_array(JsonArray *a);     /* takes the reference */
JsonNode *qmp_return_string(const char *s);

/* VersionInfo, as query-version and the greeting report it. */
JsonObject *qmp_version_info(void);
