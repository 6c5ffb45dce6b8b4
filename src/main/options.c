/* The QEMU command line subset Tern accepts. Option names, spellings and
 * error wording follow qemu-system-x86_64 7.2; every error names the option
 * and its argument, and is one line. */
#include "main/config.h"
#include "chardev/chardev.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tern-config.h"

typedef bool (*OptionHandler)(MachineConfig *cfg, const char *arg, GError **errp);

typedef struct {
    const char *name;
    bool has_arg;
    OptionHandler handler;
    const char *help;
} OptionDef;

#define fail(errp, ...) (g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, __VA_ARGS__), false)

static bool opt_machine(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    if (type) {
        if (!strcmp(type, "pc") || !strcmp(type, "pc-i440fx-7.2")) {
            g_free(cfg->machine_type);
            cfg->machine_type = g_strdup("pc-i440fx-7.2");
        } else if (!strcmp(type, "none")) {
            g_free(cfg->machine_type);
            cfg->machine_type = g_strdup("none");
        } else if (!strcmp(type, "help") || !strcmp(type, "?")) {
            printf("Supported machines are:\n"
                   "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n"
                   "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)\n"
                   "none                 empty machine\n");
            exit(0);
        } else {
            return fail(errp, "unsupported machine type '%s' (use -machine help to list supported machines)", type);
        }
    }
    const char *accel = opts_get(o, "accel");
    if (accel) {
        /* "kvm:tcg" style lists: take the first one Tern has. */
        g_auto(GStrv) list = g_strsplit(accel, ":", -1);
        bool found = false;
        for (int i = 0; list[i] && !found; i++) {
            if (!strcmp(list[i], "kvm")) {
                cfg->accel = ACCEL_KVM, found = true;
            } else if (!strcmp(list[i], "qtest")) {
                cfg->accel = ACCEL_QTEST, found = true;
            }
        }
        if (!found) {
            return fail(errp, "invalid accelerator %s", accel);
        }
    }
    if (!opts_get_bool(o, "hpet", cfg->hpet, &cfg->hpet, errp)) {
        return false;
    }
    /* Accepted for compatibility: Tern's behaviour already matches these. */
    static const char *const accepted[] = {
        "usb", "dump-guest-core", "memory-backend", "mem-merge", "vmport",
        "kernel-irqchip", "graphics", "sata", "smm", "pit",
        "suppress-vmdesc", "nvdimm", "acpi", "i8042", "hmat",
    };
    for (guint i = 0; i < G_N_ELEMENTS(accepted); i++) {
        opts_accept(o, accepted[i]);
    }
    return opts_check_all_used(o, errp);
}

static bool opt_accel(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "accel", errp);
    if (!o) {
        return false;
    }
    const char *name = opts_get(o, "accel");
    if (!name) {
        return fail(errp, "no accelerator specified");
    }
    if (!strcmp(name, "kvm")) {
        cfg->accel = ACCEL_KVM;
    } else if (!strcmp(name, "qtest")) {
        cfg->accel = ACCEL_QTEST;
    } else if (!strcmp(name, "help")) {
        printf("Accelerators supported in Tern:\nkvm\nqtest\n");
        exit(0);
    } else if (!strcmp(name, "tcg") || !strcmp(name, "xen") || !strcmp(name, "hax") ||
               !strcmp(name, "whpx")) {
        return fail(errp, "accelerator %s is not supported by Tern (use kvm or qtest)", name);
    } else {
        return fail(errp, "invalid accelerator %s", name);
    }
    opts_accept(o, "thread");
    opts_accept(o, "kernel-irqchip");
    opts_accept(o, "dirty-ring-size");
    return opts_check_all_used(o, errp);
}

static bool opt_enable_kvm(MachineConfig *cfg, const char *arg, GError **errp)
{
    cfg->accel = ACCEL_KVM;
    return true;
}

static bool opt_cpu(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
    const char *model = parts[0];
    if (!strcmp(model, "help") || !strcmp(model, "?")) {
        printf("Available CPUs:\n"
               "x86 host                  processor with all supported host features\n"
               "x86 max                   Enables all features supported by the accelerator in the current host\n"
               "x86 qemu64                (alias configured by machine type)\n"
               "x86 qemu64-v1             QEMU Virtual CPU version 2.5+\n");
        exit(0);
    }
    if (!strcmp(model, "qemu64-v1")) {
        model = "qemu64";   /* the one version there is; qemu64 is its alias */
    }
    if (strcmp(model, "host") && strcmp(model, "max") && strcmp(model, "qemu64")) {
        return fail(errp, "unable to find CPU model '%s'", model);
    }
    g_free(cfg->cpu_model);
    cfg->cpu_model = g_strdup(model);
    g_ptr_array_set_size(cfg->cpu_flags, 0);
    for (int i = 1; parts[i]; i++) {
        if (!*parts[i]) {
            continue;
        }
        g_ptr_array_add(cfg->cpu_flags, g_strdup(parts[i]));
    }
    return true;
}

static bool opt_m(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "size", errp);
    if (!o) {
        return false;
    }
    const char *size = opts_get(o, "size");
    uint64_t bytes = cfg->ram_size;
    if (size) {
        /* -m without a suffix is in MiB. */
        if (!parse_size(size, 1ULL << 20, &bytes)) {
            return fail(errp, "Parameter 'size' expects a non-negative number below 2^64 "
                        "(optional suffix k, M, G, T, P or E)");
        }
        if (bytes == 0) {
            return fail(errp, "memory size must be greater than zero");
        }
        if (bytes < (1ULL << 20)) {
            return fail(errp, "memory size must be at least 1 MiB");
        }
    }
    cfg->ram_size = bytes;
    opts_accept(o, "slots");
    opts_accept(o, "maxmem");
    return opts_check_all_used(o, errp);
}

static bool opt_smp(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "cpus", errp);
    if (!o) {
        return false;
    }
    uint64_t cpus, sockets, dies, cores, threads, maxcpus;
    if (!opts_get_u64(o, "cpus", 0, &cpus, errp) ||
        !opts_get_u64(o, "sockets", 0, &sockets, errp) ||
        !opts_get_u64(o, "dies", 1, &dies, errp) ||
        !opts_get_u64(o, "cores", 0, &cores, errp) ||
        !opts_get_u64(o, "threads", 0, &threads, errp) ||
        !opts_get_u64(o, "maxcpus", 0, &maxcpus, errp) ||
        !opts_check_all_used(o, errp)) {
        return false;
    }
    if ((opts_has(o, "cpus") && cpus == 0) || (opts_has(o, "sockets") && sockets == 0) ||
        (opts_has(o, "cores") && cores == 0) || (opts_has(o, "threads") && threads == 0) ||
        (opts_has(o, "maxcpus") && maxcpus == 0) || dies == 0) {
        return fail(errp, "CPU topology parameters must be greater than zero");
    }
    /* Values this large are nonsense, and products of them could wrap. */
    const uint64_t limit = 1 << 16;
    if (cpus > limit || sockets > limit || dies > limit || cores > limit || threads > limit ||
        maxcpus > limit) {
        return fail(errp, "Invalid SMP CPUs: topology values must be at most %" G_GUINT64_FORMAT
                    " (and the machine supports at most %d CPUs)", limit, TERN_MAX_CPUS);
    }
    /* QEMU 7.2's rules for pc-i440fx-7.2: derive what is missing, preferring
     * cores over sockets, threads last. */
    if (cpus == 0 && maxcpus == 0) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        maxcpus = maxcpus ? maxcpus : cpus;
        if (cores == 0) {
            sockets = sockets ? sockets : 1;
            threads = threads ? threads : 1;
            cores = maxcpus / (sockets * dies * threads);
        } else if (sockets == 0) {
            threads = threads ? threads : 1;
            sockets = maxcpus / (dies * cores * threads);
        }
        if (threads == 0) {
            threads = maxcpus / (sockets * dies * cores);
        }
    }
    maxcpus = maxcpus ? maxcpus : sockets * dies * cores * threads;
    cpus = cpus ? cpus : maxcpus;
    if (sockets * dies * cores * threads != maxcpus) {
        return fail(errp, "Invalid CPU topology: product of the hierarchy must match "
                    "maxcpus: sockets (%" G_GUINT64_FORMAT ") * dies (%" G_GUINT64_FORMAT
                    ") * cores (%" G_GUINT64_FORMAT ") * threads (%" G_GUINT64_FORMAT
                    ") != maxcpus (%" G_GUINT64_FORMAT ")",
                    sockets, dies, cores, threads, maxcpus);
    }
    if (cpus > maxcpus) {
        return fail(errp, "Invalid CPU topology: maxcpus must be equal to or greater than smp");
    }
    if (maxcpus > TERN_MAX_CPUS) {
        return fail(errp, "Invalid SMP CPUs %" G_GUINT64_FORMAT
                    ". The max CPUs supported by machine 'pc-i440fx-7.2' is %d",
                    maxcpus, TERN_MAX_CPUS);
    }
    cfg->smp_cpus = cpus;
    cfg->max_cpus = maxcpus;
    cfg->sockets = sockets;
    cfg->dies = dies;
    cfg->cores = cores;
    cfg->threads = threads;
    return true;
}

#define STRING_OPTION(fn, field)                                            \
    static bool fn(MachineConfig *cfg, const char *arg, GError **errp)      \
    {                                                                       \
        g_free(cfg->field);                                                 \
        cfg->field = g_strdup(arg);                                         \
        return true;                                                        \
    }
STRING_OPTION(opt_kernel, kernel)
STRING_OPTION(opt_bios, bios)
STRING_OPTION(opt_initrd, initrd)
STRING_OPTION(opt_append, append)
STRING_OPTION(opt_pidfile, pidfile)
STRING_OPTION(opt_logfile, logfile)

static bool opt_name(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "guest", errp);
    if (!o) {
        return false;
    }
    const char *guest = opts_get(o, "guest");
    g_free(cfg->name);
    cfg->name = g_strdup(guest);
    opts_accept(o, "process");
    return opts_get_bool(o, "debug-threads", false, &cfg->debug_threads, errp) &&
           opts_check_all_used(o, errp);
}

static bool opt_uuid(MachineConfig *cfg, const char *arg, GError **errp)
{
    /* 8-4-4-4-12 hex digits. */
    static const int groups[] = { 8, 4, 4, 4, 12 };
    const char *p = arg;
    int n = 0;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, p++) {
            if (!g_ascii_isxdigit(*p)) {
                return fail(errp, "failed to parse UUID string: wrong format");
            }
        }
        if (g < 4 && *p++ != '-') {
            return fail(errp, "failed to parse UUID string: wrong format");
        }
    }
    if (*p) {
        return fail(errp, "failed to parse UUID string: wrong format");
    }
    for (p = arg; *p; p++) {
        if (*p == '-') {
            continue;
        }
        int hi = g_ascii_xdigit_value(p[0]), lo = g_ascii_xdigit_value(p[1]);
        cfg->uuid[n++] = hi << 4 | lo;
        p++;
    }
    cfg->has_uuid = true;
    return true;
}

static bool add_chardev(MachineConfig *cfg, TernOpts *o, GError **errp)
{
    const char *id = opts_get(o, "id");
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        TernOpts *other = g_ptr_array_index(cfg->chardevs, i);
        if (!g_strcmp0(opts_get(other, "id"), id)) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Duplicate ID '%s' for chardev", id);
            opts_free(o);
            return false;
        }
    }
    g_ptr_array_add(cfg->chardevs, o);
    return true;
}

static bool opt_chardev(MachineConfig *cfg, const char *arg, GError **errp)
{
    TernOpts *o = opts_parse(arg, "backend", errp);
    if (!o) {
        return false;
    }
    if (!chardev_opts_validate(o, errp)) {
        opts_free(o);
        return false;
    }
    return add_chardev(cfg, o, errp);
}

/* -serial/-qmp legacy spec → a chardev with the given id. Returns the id
 * to attach, or NULL with errp set; *none for "none". */
static bool legacy_chardev(MachineConfig *cfg, const char *spec, const char *id,
                           char **out_id, GError **errp)
{
    *out_id = NULL;
    if (g_str_has_prefix(spec, "chardev:")) {
        *out_id = g_strdup(spec + strlen("chardev:"));
        return true;
    }
    if (!strcmp(spec, "none")) {
        return true;
    }
    TernOpts *o = chardev_opts_from_legacy(spec, id, errp);
    if (!o) {
        return false;
    }
    if (!chardev_opts_validate(o, errp)) {
        opts_free(o);
        return false;
    }
    if (!add_chardev(cfg, o, errp)) {
        return false;
    }
    *out_id = g_strdup(id);
    return true;
}

static bool opt_serial(MachineConfig *cfg, const char *arg, GError **errp)
{
    if (cfg->serials->len >= 4) {
        return fail(errp, "too many serial ports (at most 4)");
    }
    g_autofree char *id = g_strdup_printf("serial%u", cfg->serials->len);
    char *chr_id;
    if (!legacy_chardev(cfg, arg, id, &chr_id, errp)) {
        return false;
    }
    /* "none" still occupies the slot, as in QEMU. */
    g_ptr_array_add(cfg->serials, chr_id ? chr_id : g_strdup(""));
    return true;
}

static bool add_qmp(MachineConfig *cfg, const char *arg, bool pretty, GError **errp)
{
    g_autofree char *id = g_strdup_printf("compat_monitor%u", cfg->monitors->len);
    g_autofree char *chr_id = NULL;
    if (!legacy_chardev(cfg, arg, id, &chr_id, errp)) {
        return false;
    }
    if (!chr_id) {
        return true;
    }
    g_autofree char *mon = g_strdup_printf("chardev=%s,mode=control,pretty=%s", chr_id,
                                           pretty ? "on" : "off");
    g_ptr_array_add(cfg->monitors, opts_parse(mon, NULL, NULL));
    return true;
}

static bool opt_qmp(MachineConfig *cfg, const char *arg, GError **errp)
{
    return add_qmp(cfg, arg, false, errp);
}

static bool opt_qmp_pretty(MachineConfig *cfg, const char *arg, GError **errp)
{
    return add_qmp(cfg, arg, true, errp);
}

static bool opt_mon(MachineConfig *cfg, const char *arg, GError **errp)
{
    TernOpts *o = opts_parse(arg, "chardev", errp);
    if (!o) {
        return false;
    }
    const char *mode = opts_get(o, "mode");
    bool pretty;
    if (!opts_get(o, "chardev")) {
        opts_free(o);
        return fail(errp, "Parameter 'chardev' is missing");
    }
    if (mode && strcmp(mode, "control") && strcmp(mode, "readline")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter 'mode' does not accept value '%s'", mode);
        opts_free(o);
        return false;
    }
    opts_accept(o, "id");
    if (!opts_get_bool(o, "pretty", false, &pretty, errp) || !opts_check_all_used(o, errp)) {
        opts_free(o);
        return false;
    }
    g_ptr_array_add(cfg->monitors, o);
    return true;
}

static bool opt_monitor(MachineConfig *cfg, const char *arg, GError **errp)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return fail(errp, "the human monitor is not supported yet (use -qmp)");
}

static bool opt_nographic(MachineConfig *cfg, const char *arg, GError **errp)
{
    cfg->nographic = true;
    return true;
}

static bool opt_display(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    if (g_strcmp0(type, "none") != 0) {
        return fail(errp, "Tern is headless: only '-display none' is supported");
    }
    return opts_check_all_used(o, errp);
}

#define FLAG_OPTION(fn, field)                                              \
    static bool fn(MachineConfig *cfg, const char *arg, GError **errp)      \
    {                                                                       \
        cfg->field = true;                                                  \
        return true;                                                        \
    }
FLAG_OPTION(opt_nodefaults, nodefaults)
FLAG_OPTION(opt_S, start_paused)
FLAG_OPTION(opt_daemonize, daemonize)
FLAG_OPTION(opt_no_reboot, no_reboot)
FLAG_OPTION(opt_no_shutdown, no_shutdown)

/* Picks value from a NULL-terminated list of literals (kept, not copied). */
static bool action_value(TernOpts *o, const char *key, const char *const *values,
                         const char **out, GError **errp)
{
    const char *v = opts_get(o, key);
    if (!v) {
        return true;
    }
    for (const char *const *x = values; *x; x++) {
        if (!strcmp(v, *x)) {
            *out = *x;
            return true;
        }
    }
    return fail(errp, "Parameter '%s' does not accept value '%s'", key, v);
}

/* -action: what guest events do, as QMP set-action. */
static bool opt_action(MachineConfig *cfg, const char *arg, GError **errp)
{
    static const char *const reboot[] = { "reset", "shutdown", NULL };
    static const char *const shutdown[] = { "poweroff", "pause", NULL };
    static const char *const panic[] = { "pause", "shutdown", "exit-failure", "none", NULL };
    static const char *const watchdog[] = { "reset", "shutdown", "poweroff", "pause",
                                            "debug", "none", "inject-nmi", NULL };
    g_autoptr(TernOpts) o = opts_parse(arg, NULL, errp);
    const char *r = NULL, *sd = NULL;
    if (!o || !action_value(o, "reboot", reboot, &r, errp) ||
        !action_value(o, "shutdown", shutdown, &sd, errp) ||
        !action_value(o, "panic", panic, &cfg->panic_action, errp) ||
        !action_value(o, "watchdog", watchdog, &cfg->watchdog_action, errp) ||
        !opts_check_all_used(o, errp)) {
        return false;
    }
    if (r) {
        cfg->no_reboot = !strcmp(r, "shutdown");
    }
    if (sd) {
        cfg->no_shutdown = !strcmp(sd, "pause");
    }
    return true;
}

/* QEMU 7.2's deprecated spelling of -machine hpet=off. */
static bool opt_no_hpet(MachineConfig *cfg, const char *arg, GError **errp)
{
    cfg->hpet = false;
    return true;
}

static bool opt_ignore(MachineConfig *cfg, const char *arg, GError **errp)
{
    return true;
}

static bool opt_none_only(MachineConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "none") != 0) {
        return fail(errp, "only 'none' is supported");
    }
    return true;
}

static bool opt_debug(MachineConfig *cfg, const char *arg, GError **errp)
{
    /* Tern has no TCG log items; guest_errors/unimp map to debug logging. */
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);
    for (int i = 0; items[i]; i++) {
        if (strcmp(items[i], "guest_errors") && strcmp(items[i], "unimp") &&
            strcmp(items[i], "trace:*") && *items[i]) {
            return fail(errp, "unknown log item '%s' (Tern has: guest_errors, unimp)", items[i]);
        }
    }
    g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
    return true;
}

static bool opt_msg(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    opts_accept(o, "guest-name");
    return opts_get_bool(o, "timestamp", false, &cfg->msg_timestamp, errp) &&
           opts_check_all_used(o, errp);
}

static bool opt_overcommit(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    bool cpu_pm;
    return opts_get_bool(o, "mem-lock", false, &cfg->mem_lock, errp) &&
           opts_get_bool(o, "cpu-pm", false, &cpu_pm, errp) &&
           opts_check_all_used(o, errp);
}

static bool opt_rtc(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return false;
    }
    const char *base = opts_get(o, "base");
    if (base) {
        int y, mo, d, h = 0, mi = 0, s = 0;
        char tail;
        if (!strcmp(base, "utc")) {
            cfg->rtc_localtime = false;
        } else if (!strcmp(base, "localtime")) {
            cfg->rtc_localtime = true;
        } else if (sscanf(base, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &s, &tail) == 6 ||
                   sscanf(base, "%d-%d-%d%c", &y, &mo, &d, &tail) == 3) {
            g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, h, mi, s);
            if (!dt) {
                return fail(errp, "invalid datetime format");
            }
            cfg->rtc_base_epoch = g_date_time_to_unix(dt);
        } else {
            return fail(errp, "invalid datetime format: valid formats: "
                        "'2006-06-17T16:01:21' or '2006-06-17'");
        }
    }
    const char *clock = opts_get(o, "clock");
    if (clock && strcmp(clock, "host") && strcmp(clock, "rt") && strcmp(clock, "vm")) {
        return fail(errp, "invalid option value '%s'", clock);
    }
    const char *drift = opts_get(o, "driftfix");
    if (drift && strcmp(drift, "none") && strcmp(drift, "slew")) {
        return fail(errp, "invalid option value '%s'", drift);
    }
    return opts_check_all_used(o, errp);
}

/* Boot device letters a-p, each at most once (QEMU's checks). */
static bool boot_devices_valid(const char *devices, GError **errp)
{
    for (const char *p = devices; *p; p++) {
        if (*p < 'a' || *p > 'p') {
            return fail(errp, "Invalid boot device '%c'", *p);
        }
        if (strchr(p + 1, *p)) {
            return fail(errp, "Boot device '%c' was given twice", *p);
        }
    }
    return true;
}

/* An integer option QEMU range-checks with its own wording. */
static bool boot_number(TernOpts *o, const char *key, const char *what, int64_t min,
                        int64_t *out, GError **errp)
{
    const char *v = opts_get(o, key);
    if (!v) {
        return true;
    }
    char *end;
    int64_t n = g_ascii_strtoll(v, &end, 0);
    if (!*v || *end || n < min || n > 0xffff) {
        return fail(errp, "%s is invalid,it should be a value between %" G_GINT64_FORMAT
                    " and 65535", what, min);
    }
    *out = n;
    return true;
}

static bool opt_boot(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, "order", errp);
    if (!o) {
        return false;
    }
    const char *order = opts_get(o, "order");
    const char *once = opts_get(o, "once");
    if ((order && !boot_devices_valid(order, errp)) || (once && !boot_devices_valid(once, errp))) {
        return false;
    }
    if (order) {
        g_free(cfg->boot_order);
        cfg->boot_order = g_strdup(order);
    }
    if (once) {
        g_free(cfg->boot_once);
        cfg->boot_once = g_strdup(once);
    }
    bool strict;
    opts_accept(o, "splash");
    return opts_get_bool(o, "menu", false, &cfg->boot_menu, errp) &&
           opts_get_bool(o, "strict", false, &strict, errp) &&
           boot_number(o, "splash-time", "splash-time", 0, &cfg->boot_splash_time, errp) &&
           boot_number(o, "reboot-timeout", "reboot timeout", -1, &cfg->boot_reboot_timeout,
                       errp) &&
           opts_check_all_used(o, errp);
}

/* -qtest unix:PATH|stdio|chardev:ID|...: the qtest protocol on a chardev
 * named "qtest", as QEMU names it. */
static bool opt_qtest(MachineConfig *cfg, const char *arg, GError **errp)
{
    char *chr_id;
    if (cfg->qtest_chardev) {
        return fail(errp, "only one -qtest is supported");
    }
    if (!legacy_chardev(cfg, arg, "qtest", &chr_id, errp)) {
        return false;
    }
    if (!chr_id) {
        return fail(errp, "'none' is not a valid qtest device");
    }
    cfg->qtest_chardev = chr_id;
    return true;
}

STRING_OPTION(opt_qtest_log, qtest_log)

static bool opt_device(MachineConfig *cfg, const char *arg, GError **errp)
{
    TernOpts *o = opts_parse(arg, "driver", errp);
    if (!o) {
        return false;
    }
    g_ptr_array_add(cfg->devices, o);
    return true;
}

/* -drive and -blockdev are checked when the machine opens them (QEMU
 * does the same, after the whole command line is read). */
static bool opt_drive(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->drives, g_strdup(arg));
    return true;
}

static bool opt_blockdev(MachineConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->blockdevs, g_strdup(arg));
    return true;
}

static bool opt_version(MachineConfig *cfg, const char *arg, GError **errp);
static bool opt_help(MachineConfig *cfg, const char *arg, GError **errp);

static const OptionDef options[] = {
    { "machine", true, opt_machine, "select the machine (pc, none) and its properties" },
    { "M", true, opt_machine, NULL },
    { "accel", true, opt_accel, "select the accelerator (kvm, qtest)" },
    { "enable-kvm", false, opt_enable_kvm, "same as -accel kvm" },
    { "cpu", true, opt_cpu, "host|max|qemu64[,+feat,-feat,feat=on|off]" },
    { "m", true, opt_m, "[size=]RAM size (default unit MiB)" },
    { "smp", true, opt_smp, "[cpus=]n[,sockets=,dies=,cores=,threads=,maxcpus=]" },
    { "kernel", true, opt_kernel, "bzImage, ELF vmlinux or multiboot kernel" },
    { "bios", true, opt_bios, "firmware image (default: SeaBIOS's bios-256k.bin without -kernel)" },
    { "initrd", true, opt_initrd, "initial ram disk" },
    { "append", true, opt_append, "kernel command line" },
    { "name", true, opt_name, "[guest=]name[,debug-threads=on]" },
    { "uuid", true, opt_uuid, "machine UUID" },
    { "serial", true, opt_serial, "stdio|null|file:P|pty|unix:P|tcp:H:P|chardev:ID|mon:stdio|none" },
    { "chardev", true, opt_chardev, "stdio|null|file|pty|socket,id=ID[,...]" },
    { "qmp", true, opt_qmp, "QMP monitor on a chardev spec (unix:P,server=on,wait=off)" },
    { "qmp-pretty", true, opt_qmp_pretty, "as -qmp, with pretty-printed JSON" },
    { "mon", true, opt_mon, "[chardev=]ID,mode=control[,pretty=on]" },
    { "monitor", true, opt_monitor, "none" },
    { "nographic", false, opt_nographic, "no display; serial on stdio" },
    { "display", true, opt_display, "none" },
    { "vga", true, opt_none_only, "none" },
    { "parallel", true, opt_none_only, "none" },
    { "net", true, opt_none_only, "none" },
    { "nic", true, opt_none_only, "none" },
    { "nodefaults", false, opt_nodefaults, "create no default devices" },
    { "no-user-config", false, opt_ignore, "accepted (Tern reads no config files)" },
    { "no-hpet", false, opt_no_hpet, NULL },
    { "S", false, opt_S, "do not start vCPUs until 'cont'" },
    { "daemonize", false, opt_daemonize, "detach once set up" },
    { "pidfile", true, opt_pidfile, "write the PID to a file" },
    { "no-reboot", false, opt_no_reboot, "exit instead of rebooting" },
    { "no-shutdown", false, opt_no_shutdown, "stop instead of exiting on guest shutdown" },
    { "action", true, opt_action,
      "reboot=reset|shutdown,shutdown=poweroff|pause,panic=pause|shutdown|exit-failure|none,"
      "watchdog=..." },
    { "D", true, opt_logfile, "log to a file" },
    { "d", true, opt_debug, "guest_errors,unimp" },
    { "msg", true, opt_msg, "timestamp=on|off" },
    { "overcommit", true, opt_overcommit, "mem-lock=on|off,cpu-pm=on|off" },
    { "rtc", true, opt_rtc, "base=utc|localtime|DATE[,clock=,driftfix=]" },
    { "boot", true, opt_boot, "[order=]drives[,menu=,strict=,...]" },
    { "device", true, opt_device, "add a device (isa-debug-exit)" },
    { "drive", true, opt_drive, "file=F,format=raw,if=virtio|none,id=,cache=,aio=,readonly=,..." },
    { "blockdev", true, opt_blockdev, "driver=raw|file|host_device|null-co,node-name=,... or JSON" },
    { "qtest", true, opt_qtest, "serve the qtest protocol (unix:PATH|stdio|chardev:ID)" },
    { "qtest-log", true, opt_qtest_log, "log the qtest protocol to a file (none: nowhere)" },
    { "version", false, opt_version, "print the version" },
    { "help", false, opt_help, "print this help" },
    { "h", false, opt_help, NULL },
};

static bool opt_version(MachineConfig *cfg, const char *arg, GError **errp)
{
    /* The first line is what management tools parse for the QEMU version. */
    printf("QEMU emulator version 7.2.0 (tern-%s)\n"
           "Tern %s: a small KVM VMM speaking QEMU's command line and QMP\n",
           TERN_VERSION, TERN_VERSION);
    return true;
}

static bool opt_help(MachineConfig *cfg, const char *arg, GError **errp)
{
    printf("usage: tern [options]\n\n");
    for (guint i = 0; i < G_N_ELEMENTS(options); i++) {
        if (!options[i].help) {
            continue;
        }
        g_autofree char *left = g_strdup_printf("-%s%s", options[i].name,
                                                options[i].has_arg ? " ARG" : "");
        printf("  %-18s %s\n", left, options[i].help);
    }
    return true;
}

bool options_parse(MachineConfig *cfg, int argc, char **argv, bool *exit_now, GError **errp)
{
    *exit_now = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            /* QEMU treats a bare argument as a disk image (-hda). */
            return fail(errp, "%s: disk images are not supported yet (no -hda)", a);
        }
        const char *name = a + 1 + (a[1] == '-');
        const OptionDef *def = NULL;
        for (guint k = 0; k < G_N_ELEMENTS(options); k++) {
            if (!strcmp(options[k].name, name)) {
                def = &options[k];
                break;
            }
        }
        if (!def) {
            return fail(errp, "%s: invalid option", a);
        }
        const char *arg = NULL;
        if (def->has_arg) {
            if (i + 1 >= argc) {
                return fail(errp, "%s: requires an argument", a);
            }
            arg = argv[++i];
        }
        g_autoptr(GError) err = NULL;
        if (!def->handler(cfg, arg, &err)) {
            if (arg) {
                return fail(errp, "%s %s: %s", a, arg, err->message);
            }
            return fail(errp, "%s: %s", a, err->message);
        }
        if (def->handler == opt_version || def->handler == opt_help) {
            *exit_now = true;
            return true;
        }
    }

    if (cfg->daemonize) {
        /* With -nodefaults nothing lands on stdio, so QEMU allows it
         * (libvirt's capability probe runs exactly that). */
        if (cfg->nographic && !cfg->nodefaults) {
            return fail(errp, "-nographic cannot be used with -daemonize");
        }
        for (guint i = 0; i < cfg->chardevs->len; i++) {
            TernOpts *o = g_ptr_array_index(cfg->chardevs, i);
            if (!g_strcmp0(opts_get(o, "backend"), "stdio")) {
                return fail(errp, "chardev '%s': cannot use stdio with -daemonize",
                            opts_get(o, "id"));
            }
        }
    }

    /* Default serial port, as QEMU picks it: the console with -nographic,
     * nothing visible otherwise (Tern has no graphical console). */
    if (!cfg->nodefaults && cfg->serials->len == 0 && cfg->nographic) {
        if (!opt_serial(cfg, "mon:stdio", errp)) {
            return false;
        }
    }
    return true;
}
