/* QMP monitors on chardevs (-qmp, -mon mode=control): framing, the
 * greeting, capabilities negotiation and events. Commands live in the
 * qmp-cmds-*.c files, their declarations in src/monitor/schema/. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Machine Machine;
typedef struct MonitorSet MonitorSet;

MonitorSet *monitors_new(Machine *m, GError **errp);
void monitors_free(MonitorSet *set);
