/* What the QMP command files share with monitor.c. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "chardev/chardev.h"
#include "monitor/json-reader.h"
#include "monitor/monitor.h"

struct Monitor {
    MonitorSet *set;
    Chardev *chr;
    bool pretty;
    bool negotiated;
    bool oob;                /* exec-oob enabled by qmp_capabilities */
    QJsonReader *reader;
    GByteArray *out;         /* output the peer has not taken yet */
    GSource *out_watch;
    GHashTable *named_fds;   /* getfd: name -> fd (GINT_TO_POINTER) */
};

typedef struct FdSetEntry {
    int fd;
    char *opaque;
    bool removed;            /* remove-fd ran; closed by qmp_fdsets_cleanup() */
} FdSetEntry;

typedef struct FdSet {
    gint64 id;
    GArray *fds;             /* FdSetEntry, oldest first */
    GArray *dup_fds;         /* int: opened via /dev/fdset/N; NULL when none */
} FdSet;

struct MonitorSet {
    Machine *m;
    GPtrArray *monitors;     /* Monitor */
    GPtrArray *fdsets;       /* FdSet, add-fd/remove-fd */
};

/* Sends an event to every monitor that finished negotiation; data may be
 * NULL; takes the reference. */
void monitor_set_emit_event(MonitorSet *set, const char *name, JsonObject *data);
