/* The schema's innards, shared by loading (qmp-schema.c) and
 * introspection (qmp-introspect.c). */
#pragma once
#include "monitor/qmp-schema.h"

struct QmpSchema {
    GHashTable *types;        /* name -> QmpType (owned) */
    GPtrArray *commands;      /* QmpCommandInfo */
    GHashTable *command_map;
    GPtrArray *events;        /* QmpEventInfo */
    GHashTable *event_map;
    QmpType *empty;           /* the argument type of commands without any */
    JsonNode *root;           /* the parsed declarations */
};
