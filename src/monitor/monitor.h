/* QMP monitors on chardevs (-qmp, -mon mode=control). This is the first
 * slice of the monitor: the protocol framing, capabilities negotiation,
 * run-state commands and events. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Machine Machine;
typedef struct MonitorSet MonitorSet;

MonitorSet *monitors_new(Machine *m, GError **errp);
void monitors_free(MonitorSet *set);
