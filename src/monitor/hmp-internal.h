/* The human monitor (HMP) behind QMP's human-monitor-command: a command
 * table with QEMU's names, argument syntax, help texts and error texts.
 * Handlers print into a buffer; hmp.c turns "\n" into QEMU's "\r\n". */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/qmp-dispatch.h"

typedef struct Hmp {
    QmpContext *ctx;
    Machine *m;
    GString *out;
    unsigned cpu_index;      /* the monitor's current CPU ('*' in info cpus) */
} Hmp;

/* Parsed arguments: flags given ("-a" sets flags['a']) and at most one
 * optional integer or string argument. */
typedef struct HmpArgs {
    bool flags[128];
    bool has_int;
    int64_t int_val;
    char *str;               /* NULL when absent */
} HmpArgs;

typedef struct HmpCommand HmpCommand;
struct HmpCommand {
    const char *name;        /* "stop|s": the name and its aliases */
    /* Argument syntax: "" none; "-xyz" flags x, y, z; then optionally
     * "i?" an optional integer expression, "s?" an optional word or
     * "S?" the optional rest of the line. */
    const char *args;
    const char *params;      /* for help: "[cmd]" */
    const char *help;
    void (*fn)(Hmp *h, const HmpArgs *a);
    const HmpCommand *sub;   /* "info": its sub-commands, NULL-terminated */
};

void hmp_printf(Hmp *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Prints a failed QMP command's error as HMP does. */
void hmp_print_error(Hmp *h, const GError *err);
/* Runs a QMP command (no arguments); prints its error and returns NULL
 * on failure. */
JsonNode *hmp_qmp(Hmp *h, const char *name);

extern const HmpCommand hmp_info_commands[];
