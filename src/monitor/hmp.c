/* QMP's human-monitor-command: a subset of QEMU's human monitor. The
 * command line is parsed the way QEMU's HMP parses it (command names with
 * aliases, "-x" flags, integer expressions, sub-commands for "info"), and
 * the reply is the text HMP prints, with its help and error texts, so
 * scripts written against QEMU's output keep working. Commands that are
 * QMP commands in disguise run through qmp_execute(). */
#include "board/pc.h"
#include "monitor/hmp-internal.h"
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void hmp_printf(Hmp *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(h->out, fmt, ap);
    va_end(ap);
}

void hmp_print_error(Hmp *h, const GError *err)
{
    hmp_printf(h, "Error: %s\n", err->message);
}

JsonNode *hmp_qmp(Hmp *h, const char *name)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = qmp_execute(h->ctx, name, NULL, &err);
    if (!ret) {
        hmp_print_error(h, err);
    }
    return ret;
}

/* ---- commands that are QMP commands in disguise ---- */

static void hmp_run_qmp(Hmp *h, const char *name)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, name);
}

static void hmp_stop(Hmp *h, const HmpArgs *a)
{
    hmp_run_qmp(h, "stop");
}

static void hmp_cont(Hmp *h, const HmpArgs *a)
{
    hmp_run_qmp(h, "cont");
}

static void hmp_system_reset(Hmp *h, const HmpArgs *a)
{
    hmp_run_qmp(h, "system_reset");
}

static void hmp_system_powerdown(Hmp *h, const HmpArgs *a)
{
    hmp_run_qmp(h, "system_powerdown");
}

static void hmp_quit(Hmp *h, const HmpArgs *a)
{
    hmp_run_qmp(h, "quit");
}

static void hmp_help(Hmp *h, const HmpArgs *a);
static void hmp_info_help(Hmp *h, const HmpArgs *a);

/* Sorted by name, as QEMU lists them. */
static const HmpCommand hmp_commands[] = {
    { "cont|c", "", "", "resume emulation", hmp_cont },
    { "help|?", "S?", "[cmd]", "show the help", hmp_help },
    { "info", "", "[subcommand]", "show various information about the system state",
      hmp_info_help, hmp_info_commands },
    { "quit|q", "", "", "quit the emulator", hmp_quit },
    { "stop|s", "", "", "stop emulation", hmp_stop },
    { "system_powerdown", "", "", "send system power down event", hmp_system_powerdown },
    { "system_reset", "", "", "reset the system", hmp_system_reset },
    { NULL },
};

/* ---- help ---- */

static void print_help_line(Hmp *h, const char *prefix, const HmpCommand *c)
{
    hmp_printf(h, "%s%s %s -- %s\n", prefix, c->name, c->params, c->help);
}

static void print_help_table(Hmp *h, const char *prefix, const HmpCommand *table)
{
    for (const HmpCommand *c = table; c->name; c++) {
        print_help_line(h, prefix, c);
    }
}

static bool name_matches(const char *names, const char *typed)
{
    g_auto(GStrv) alt = g_strsplit(names, "|", 0);
    for (char **n = alt; *n; n++) {
        if (!strcmp(*n, typed)) {
            return true;
        }
    }
    return false;
}

static const HmpCommand *find_command(const HmpCommand *table, const char *typed)
{
    for (const HmpCommand *c = table; c->name; c++) {
        if (name_matches(c->name, typed)) {
            return c;
        }
    }
    return NULL;
}

/* "help info status": walks the words down the tables; words after a
 * command without sub-commands are ignored, as QEMU does. */
static void hmp_help(Hmp *h, const HmpArgs *a)
{
    g_auto(GStrv) words = g_strsplit_set(a->str ? a->str : "", " \t", 0);
    const HmpCommand *table = hmp_commands;
    g_autoptr(GString) path = g_string_new("");
    const char *prefix = "";
    for (char **w = words; *w; w++) {
        if (!**w) {
            continue;
        }
        const HmpCommand *c = find_command(table, *w);
        g_string_append(path, *w);
        if (!c) {
            hmp_printf(h, "unknown command: '%s'\n", path->str);
            return;
        }
        bool more = false;
        for (char **n = w + 1; *n; n++) {
            more |= **n != '\0';
        }
        if (!c->sub) {
            print_help_line(h, prefix, c);
            return;
        }
        if (!more) {
            print_help_table(h, "info ", c->sub);
            return;
        }
        table = c->sub;
        prefix = "info ";
        g_string_append_c(path, ' ');
    }
    print_help_table(h, "", hmp_commands);
}

static void hmp_info_help(Hmp *h, const HmpArgs *a)
{
    print_help_table(h, "info ", hmp_info_commands);
}

/* ---- parsing ---- */

static const char *skip_spaces(const char *p)
{
    while (g_ascii_isspace(*p)) {
        p++;
    }
    return p;
}

typedef struct {
    const char *p;
    char error[64];          /* QEMU's message for the first error */
} Expr;

#define EXPR_ERROR(e, ...) \
    ((e)->error[0] ? (void)0 : (void)g_snprintf((e)->error, sizeof((e)->error), __VA_ARGS__))

static int64_t expr_sum(Expr *e);

static int64_t expr_unary(Expr *e)
{
    e->p = skip_spaces(e->p);
    char c = *e->p;
    if (c == '+' || c == '-' || c == '~') {
        e->p++;
        int64_t v = expr_unary(e);
        return c == '-' ? -v : c == '~' ? ~v : v;
    }
    if (c == '(') {
        e->p++;
        int64_t v = expr_sum(e);
        e->p = skip_spaces(e->p);
        if (*e->p != ')') {
            EXPR_ERROR(e, "')' expected");
        }
        e->p += *e->p == ')';
        return v;
    }
    if (c == '\0') {
        EXPR_ERROR(e, "unexpected end of expression");
        return 0;
    }
    char *end;
    errno = 0;
    uint64_t v = g_ascii_strtoull(e->p, &end, 0);
    if (end == e->p) {
        EXPR_ERROR(e, "invalid char '%c' in expression", c);
        return 0;
    }
    if (errno == ERANGE) {
        EXPR_ERROR(e, "number too large");
    }
    e->p = end;
    return (int64_t)v;
}

static int64_t expr_prod(Expr *e)
{
    int64_t v = expr_unary(e);
    for (;;) {
        e->p = skip_spaces(e->p);
        char op = *e->p;
        if (e->error[0] || !op || !strchr("*/%&|^", op)) {
            return v;
        }
        e->p++;
        int64_t r = expr_unary(e);
        switch (op) {
        case '*': v *= r; break;
        case '&': v &= r; break;
        case '|': v |= r; break;
        case '^': v ^= r; break;
        default:
            if (r == 0) {
                EXPR_ERROR(e, "division by zero");
                return 0;
            }
            v = op == '/' ? v / r : v % r;
        }
    }
}

static int64_t expr_sum(Expr *e)
{
    int64_t v = expr_prod(e);
    for (;;) {
        e->p = skip_spaces(e->p);
        char op = *e->p;
        if (e->error[0] || (op != '+' && op != '-')) {
            return v;
        }
        e->p++;
        int64_t r = expr_prod(e);
        v = op == '+' ? v + r : v - r;
    }
}

/* Fills a from the text after the command name following cmd->args.
 * Prints QEMU's message and returns false on bad input. */
static bool parse_args(Hmp *h, const HmpCommand *cmd, const char *p, HmpArgs *a)
{
    const char *spec = cmd->args;
    if (*spec == '-') {
        const char *flags_end = strchrnul(spec, ' ');
        g_autofree char *allowed = g_strndup(spec + 1, flags_end - spec - 1);
        spec = skip_spaces(flags_end);
        for (p = skip_spaces(p); *p == '-'; p = skip_spaces(p + 2)) {
            if (!p[1] || !strchr(allowed, p[1]) || (unsigned char)p[1] >= 128) {
                hmp_printf(h, "%s: unsupported option -%.1s\n", cmd->name, p + 1);
                return false;
            }
            a->flags[(unsigned char)p[1]] = true;
        }
    }
    p = skip_spaces(p);
    if (!strcmp(spec, "i?") && *p) {
        Expr e = { .p = p };
        int64_t v = expr_sum(&e);
        if (e.error[0]) {
            hmp_printf(h, "%s\n", e.error);
            return false;
        }
        /* QEMU's 'i' arguments are 32-bit. */
        if ((uint64_t)v >> 32) {
            hmp_printf(h, "'%s' has failed: integer is for 32-bit values\n", cmd->name);
            return false;
        }
        a->has_int = true;
        a->int_val = v;
        p = skip_spaces(e.p);
    } else if (!strcmp(spec, "s?") && *p) {
        const char *end = p;
        while (*end && !g_ascii_isspace(*end)) {
            end++;
        }
        a->str = g_strndup(p, end - p);
        p = skip_spaces(end);
    } else if (!strcmp(spec, "S?") && *p) {
        a->str = g_strdup(p);
        p += strlen(p);
    }
    if (*p) {
        hmp_printf(h, "%s: extraneous characters at the end of line\n", cmd->name);
        return false;
    }
    return true;
}

/* Runs one command line against a table; path is what was typed before
 * it ("info "), for the messages. */
static void hmp_dispatch(Hmp *h, const HmpCommand *table, const char *line, const char *path)
{
    const char *p = skip_spaces(line);
    if (!*p) {
        return;
    }
    /* Command names end at a space or '/' (QEMU's "x/10i" syntax). */
    const char *end = p;
    while (*end && *end != '/' && !g_ascii_isspace(*end)) {
        end++;
    }
    g_autofree char *typed = g_strndup(p, end - p);
    const HmpCommand *cmd = find_command(table, typed);
    if (!cmd) {
        hmp_printf(h, "unknown command: '%s%s'\n", path, typed);
        return;
    }
    g_autofree char *full = g_strconcat(path, typed, NULL);
    if (cmd->sub && *skip_spaces(end)) {
        g_autofree char *sub_path = g_strconcat(full, " ", NULL);
        hmp_dispatch(h, cmd->sub, end, sub_path);
        return;
    }
    HmpArgs args = { 0 };
    if (parse_args(h, cmd, end, &args)) {
        cmd->fn(h, &args);
    } else {
        hmp_printf(h, "Try \"help %s\" for more information\n", full);
    }
    g_free(args.str);
}

/* QEMU's monitor turns each "\n" into "\r\n". */
static char *crlf(const GString *s)
{
    GString *o = g_string_sized_new(s->len + s->len / 16);
    for (gsize i = 0; i < s->len; i++) {
        if (s->str[i] == '\n') {
            g_string_append_c(o, '\r');
        }
        g_string_append_c(o, s->str[i]);
    }
    return g_string_free(o, FALSE);
}

static JsonNode *qmp_human_monitor_command(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    unsigned ncpus = m->vcpus ? m->vcpus->n : 0;
    Hmp h = { .ctx = ctx, .m = m, .out = g_string_new("") };
    if (qmp_arg_has(args, "cpu-index")) {
        gint64 i = qmp_arg_int(args, "cpu-index", 0);
        if (i < 0 || i >= ncpus) {
            g_string_free(h.out, TRUE);
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter 'cpu-index' expects a CPU number");
            return NULL;
        }
        h.cpu_index = (unsigned)i;
    }
    hmp_dispatch(&h, hmp_commands, qmp_arg_str(args, "command-line", ""), "");
    g_autofree char *text = crlf(h.out);
    g_string_free(h.out, TRUE);
    return qmp_return_string(text);
}

const QmpCommandDef qmp_commands_hmp[] = {
    { "human-monitor-command", qmp_human_monitor_command },
    { NULL },
};
