/* The machine and what it is made of: identity, target, KVM, machine
 * types, vCPUs and CPU models, memory, the (still empty) iothread, job and
 * migration queries, command-line introspection, inject-nmi and the
 * memory dump commands. Replies follow QEMU 7.2's for the same machine. */
#include "board/pc.h"
#include "monitor/qmp-dispatch.h"
#include "monitor/qom.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TARGET_ARCH "x86_64"
/* QEMU's dump commands move guest memory in chunks of this size. */
#define DUMP_CHUNK 4096

/* ---- identity ---- */

static JsonNode *qmp_query_name(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    if (ctx->m->cfg->name) {
        json_object_set_string_member(o, "name", ctx->m->cfg->name);
    }
    return qmp_return_object(o);
}

static JsonNode *qmp_query_uuid(QmpContext *ctx, JsonObject *args, GError **errp)
{
    const guint8 *u = ctx->m->cfg->uuid;   /* all zeroes without -uuid */
    g_autofree char *s = g_strdup_printf(
        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
        u[14], u[15]);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "UUID", s);
    return qmp_return_object(o);
}

static JsonNode *qmp_query_target(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "arch", TARGET_ARCH);
    return qmp_return_object(o);
}

static JsonNode *qmp_query_kvm(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    /* From the configuration: "-M none -accel kvm" opens no VM, yet QEMU
     * still reports KVM as the accelerator in use. */
    json_object_set_boolean_member(o, "enabled", ctx->m->cfg->accel == ACCEL_KVM);
    json_object_set_boolean_member(o, "present", TRUE);
    return qmp_return_object(o);
}

/* ---- machine types ---- */

static JsonObject *machine_info(const char *name, const char *alias, bool is_default,
                                gint64 cpu_max, bool hotpluggable, const char *cpu_type,
                                const char *ram_id)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", name);
    if (alias) {
        json_object_set_string_member(o, "alias", alias);
    }
    if (is_default) {
        json_object_set_boolean_member(o, "is-default", TRUE);
    }
    json_object_set_int_member(o, "cpu-max", cpu_max);
    json_object_set_boolean_member(o, "hotpluggable-cpus", hotpluggable);
    json_object_set_boolean_member(o, "numa-mem-supported", FALSE);
    json_object_set_boolean_member(o, "deprecated", FALSE);
    if (cpu_type) {
        json_object_set_string_member(o, "default-cpu-type", cpu_type);
    }
    json_object_set_string_member(o, "default-ram-id", ram_id);
    return o;
}

static JsonNode *qmp_query_machines(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    /* cpu-max is Tern's own limit (QEMU says 255): management tools size
     * -smp by it. */
    json_array_add_object_element(a, machine_info("pc-i440fx-7.2", "pc", true, TERN_MAX_CPUS,
                                                  true, "qemu64-" TARGET_ARCH "-cpu", "pc.ram"));
    json_array_add_object_element(a, machine_info("none", NULL, false, 1, false, NULL, "ram"));
    return qmp_return_array(a);
}

/* ---- vCPUs ---- */

/* Socket/die/core/thread of vCPU slot i, threads varying fastest. */
static JsonObject *vcpu_props(const MachineConfig *cfg, unsigned index)
{
    JsonObject *o = json_object_new();
    unsigned threads = MAX(cfg->threads, 1u), cores = MAX(cfg->cores, 1u);
    unsigned dies = MAX(cfg->dies, 1u);
    json_object_set_int_member(o, "socket-id", index / (threads * cores * dies));
    if (dies > 1) {
        json_object_set_int_member(o, "die-id", index / (threads * cores) % dies);
    }
    json_object_set_int_member(o, "core-id", index / threads % cores);
    json_object_set_int_member(o, "thread-id", index % threads);
    return o;
}

static JsonNode *qmp_query_cpus_fast(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    JsonArray *a = json_array_new();
    for (unsigned i = 0; m->vcpus && i < m->vcpus->n; i++) {
        g_autofree char *path = qom_cpu_path(ctx->m, i);
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "cpu-index", i);
        json_object_set_string_member(o, "qom-path", path);
        json_object_set_int_member(o, "thread-id", vcpu_thread_id(&m->vcpus->cpus[i]));
        json_object_set_object_member(o, "props", vcpu_props(m->cfg, i));
        json_object_set_string_member(o, "target", TARGET_ARCH);
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

static JsonNode *qmp_query_hotpluggable_cpus(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    MachineConfig *cfg = m->cfg;
    if (!m->vcpus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "The feature 'query-hotpluggable-cpus' is not enabled");
        return NULL;
    }
    g_autofree char *type = g_strdup_printf("%s-" TARGET_ARCH "-cpu", cfg->cpu_model);
    JsonArray *a = json_array_new();
    /* Highest slot first, as QEMU lists them; empty slots have no path. */
    for (unsigned i = MAX(cfg->max_cpus, m->vcpus->n); i-- > 0;) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "type", type);
        json_object_set_int_member(o, "vcpus-count", 1);
        json_object_set_object_member(o, "props", vcpu_props(cfg, i));
        if (i < m->vcpus->n) {
            g_autofree char *path = qom_cpu_path(ctx->m, i);
            json_object_set_string_member(o, "qom-path", path);
        }
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

static JsonNode *qmp_query_cpu_definitions(QmpContext *ctx, JsonObject *args, GError **errp)
{
    static const struct {
        const char *name;
        bool migration_safe;
        const char *alias_of;
    } models[] = { { "max", false, NULL }, { "host", false, NULL },
                   { "qemu64-v1", true, NULL }, { "qemu64", true, "qemu64-v1" } };
    JsonArray *a = json_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(models); i++) {
        g_autofree char *type = g_strdup_printf("%s-" TARGET_ARCH "-cpu", models[i].name);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", models[i].name);
        json_object_set_string_member(o, "typename", type);
        /* Tern drops what the host lacks without asking: nothing is reported
         * as unavailable. */
        json_object_set_array_member(o, "unavailable-features", json_array_new());
        if (models[i].alias_of) {
            json_object_set_string_member(o, "alias-of", models[i].alias_of);
        }
        json_object_set_boolean_member(o, "static", FALSE);
        json_object_set_boolean_member(o, "migration-safe", models[i].migration_safe);
        json_object_set_boolean_member(o, "deprecated", FALSE);
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

/* ---- memory ---- */

static JsonNode *qmp_query_memory_size_summary(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonObject *o = json_object_new();
    /* The RAM the machine really has: "none" has none. */
    json_object_set_int_member(o, "base-memory", ctx->m->ram.size);
    json_object_set_int_member(o, "plugged-memory", 0);
    return qmp_return_object(o);
}

/* ---- things Tern does not have yet ---- */

static JsonNode *qmp_query_iothreads(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qmp_return_array(json_array_new());
}

static JsonNode *qmp_query_jobs(QmpContext *ctx, JsonObject *args, GError **errp)
{
    return qmp_return_array(json_array_new());
}

static JsonNode *qmp_query_migrate_capabilities(QmpContext *ctx, JsonObject *args,
                                                GError **errp)
{
    static const char *const caps[] = {
        "xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "compress", "events",
        "postcopy-ram", "x-colo", "release-ram", "block", "return-path",
        "pause-before-switchover", "multifd", "dirty-bitmaps", "postcopy-blocktime",
        "late-block-activate", "x-ignore-shared", "validate-uuid", "background-snapshot",
        "zero-copy-send", "postcopy-preempt",
    };
    JsonArray *a = json_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(caps); i++) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "capability", caps[i]);
        json_object_set_boolean_member(o, "state", FALSE);
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

static JsonNode *qmp_query_migrate_parameters(QmpContext *ctx, JsonObject *args, GError **errp)
{
    /* QEMU 7.2's defaults, until migration exists and can change them. */
    static const struct {
        const char *name;
        gint64 value;
    } ints[] = {
        { "announce-initial", 50 }, { "announce-max", 550 }, { "announce-rounds", 5 },
        { "announce-step", 100 }, { "compress-level", 1 }, { "compress-threads", 8 },
        { "decompress-threads", 2 }, { "throttle-trigger-threshold", 50 },
        { "cpu-throttle-initial", 20 }, { "cpu-throttle-increment", 10 },
        { "max-bandwidth", 128 << 20 }, { "downtime-limit", 300 },
        { "x-checkpoint-delay", 20000 }, { "multifd-channels", 2 },
        { "xbzrle-cache-size", 64 << 20 }, { "max-postcopy-bandwidth", 0 },
        { "max-cpu-throttle", 99 }, { "multifd-zlib-level", 1 }, { "multifd-zstd-level", 1 },
    };
    JsonObject *o = json_object_new();
    for (guint i = 0; i < G_N_ELEMENTS(ints); i++) {
        json_object_set_int_member(o, ints[i].name, ints[i].value);
    }
    json_object_set_boolean_member(o, "compress-wait-thread", TRUE);
    json_object_set_boolean_member(o, "cpu-throttle-tailslow", FALSE);
    json_object_set_boolean_member(o, "block-incremental", FALSE);
    json_object_set_string_member(o, "tls-creds", "");
    json_object_set_string_member(o, "tls-hostname", "");
    json_object_set_string_member(o, "tls-authz", "");
    json_object_set_string_member(o, "multifd-compression", "none");
    return qmp_return_object(o);
}

/* ---- command-line introspection ---- */

typedef struct {
    const char *name;
    const char *type;    /* CommandLineParameterType */
    const char *help;
} CmdlineParam;

/* Each option's parameters as Tern's parser accepts them; QEMU's option
 * group names (smp-opts, memory, boot-opts). An empty list means "checked
 * elsewhere", as QEMU reports for -accel, -device, -net and -nic. */
/* QEMU lists its generic -machine parameters here (type-specific ones such
 * as vmport or hpet are machine properties, not listed); these are the
 * ones Tern's -machine takes. */
static const CmdlineParam cl_machine[] = {
    { "suppress-vmdesc", "boolean",
      "Set on to disable self-describing migration" },
    { "usb", "boolean",
      "Set on/off to enable/disable usb" },
    { "mem-merge", "boolean",
      "enable/disable memory merge support" },
    { "dump-guest-core", "boolean",
      "Include guest memory in  a core dump" },
    { "accel", "string",
      "accelerator list" },
    { "type", "string",
      "emulated machine" },
    { NULL },
};
static const CmdlineParam cl_name[] = {
    { "debug-threads", "boolean", "When enabled, name the individual threads; defaults off" },
    { "process", "string", "Accepted and ignored" },
    { "guest", "string", "Sets the name of the guest" },
    { NULL },
};
static const CmdlineParam cl_msg[] = {
    { "guest-name", "boolean", "Prepends guest name for error messages but only if -name guest is set otherwise option is ignored\n" }, { "timestamp", "boolean", NULL }, { NULL },
};
static const CmdlineParam cl_overcommit[] = {
    { "cpu-pm", "boolean", NULL }, { "mem-lock", "boolean", NULL }, { NULL },
};
static const CmdlineParam cl_boot[] = {
    { "strict", "boolean", NULL }, { "reboot-timeout", "number", NULL },
    { "splash-time", "number", NULL }, { "splash", "string", NULL },
    { "menu", "boolean", NULL }, { "once", "string", NULL }, { "order", "string", NULL },
    { NULL },
};
static const CmdlineParam cl_smp[] = {
    { "maxcpus", "number", NULL }, { "threads", "number", NULL }, { "cores", "number", NULL },
    { "dies", "number", NULL }, { "sockets", "number", NULL }, { "cpus", "number", NULL },
    { NULL },
};
static const CmdlineParam cl_memory[] = {
    { "maxmem", "size", NULL }, { "slots", "number", NULL }, { "size", "size", NULL },
    { NULL },
};
static const CmdlineParam cl_mon[] = {
    { "pretty", "boolean", NULL }, { "chardev", "string", NULL }, { "mode", "string", NULL },
    { NULL },
};
static const CmdlineParam cl_rtc[] = {
    { "driftfix", "string", NULL }, { "clock", "string", NULL }, { "base", "string", NULL },
    { NULL },
};
static const CmdlineParam cl_chardev[] = {
    { "abstract", "boolean", NULL }, { "logappend", "boolean", NULL },
    { "logfile", "string", NULL }, { "append", "boolean", NULL }, { "in", "string", NULL },
    { "signal", "boolean", NULL }, { "mux", "boolean", NULL }, { "telnet", "boolean", NULL },
    { "reconnect", "number", NULL }, { "delay", "boolean", NULL },
    { "server", "boolean", NULL }, { "wait", "boolean", NULL }, { "ipv6", "boolean", NULL },
    { "ipv4", "boolean", NULL }, { "to", "number", NULL }, { "fd", "string", NULL },
    { "port", "string", NULL }, { "host", "string", NULL }, { "path", "string", NULL },
    { "backend", "string", NULL },
    { NULL },
};
static const CmdlineParam cl_any[] = { { NULL } };

static const struct {
    const char *option;
    const CmdlineParam *params;
} cmdline_options[] = {
    { "machine", cl_machine }, { "name", cl_name }, { "msg", cl_msg },
    { "overcommit", cl_overcommit }, { "boot-opts", cl_boot }, { "smp-opts", cl_smp },
    { "memory", cl_memory }, { "accel", cl_any }, { "mon", cl_mon }, { "rtc", cl_rtc },
    { "net", cl_any }, { "nic", cl_any }, { "device", cl_any }, { "chardev", cl_chardev },
};

static JsonObject *cmdline_option_info(const char *option, const CmdlineParam *params)
{
    JsonArray *a = json_array_new();
    for (const CmdlineParam *p = params; p->name; p++) {
        JsonObject *po = json_object_new();
        json_object_set_string_member(po, "name", p->name);
        json_object_set_string_member(po, "type", p->type);
        if (p->help) {
            json_object_set_string_member(po, "help", p->help);
        }
        json_array_add_object_element(a, po);
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "option", option);
    json_object_set_array_member(o, "parameters", a);
    return o;
}

static JsonNode *qmp_query_command_line_options(QmpContext *ctx, JsonObject *args,
                                                GError **errp)
{
    const char *want = qmp_arg_str(args, "option", NULL);
    JsonArray *a = json_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(cmdline_options); i++) {
        if (!want || !strcmp(want, cmdline_options[i].option)) {
            json_array_add_object_element(
                a, cmdline_option_info(cmdline_options[i].option, cmdline_options[i].params));
        }
    }
    if (want && json_array_get_length(a) == 0) {
        json_array_unref(a);
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "invalid option name: %s", want);
        return NULL;
    }
    return qmp_return_array(a);
}

/* ---- NMI and memory dumps ---- */

/* vCPU requests wait for the vCPU thread, which may itself be waiting for
 * the machine lock in an exit handler: let go of it meanwhile. */
static void machine_lock_drop(Machine *m)
{
    g_mutex_unlock(&m->lock);
}

static void machine_lock_take(Machine *m)
{
    g_mutex_lock(&m->lock);
}

static JsonNode *qmp_inject_nmi(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    if (!m->vcpus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "this feature or command is not currently supported");
        return NULL;
    }
    bool ok = true;
    machine_lock_drop(m);
    for (unsigned i = 0; ok && i < m->vcpus->n; i++) {
        ok = vcpu_inject_nmi(&m->vcpus->cpus[i], errp);
    }
    machine_lock_take(m);
    return ok ? qmp_return_empty() : NULL;
}

static FILE *dump_open(const char *filename, GError **errp)
{
    FILE *f = fopen(filename, "wb");
    if (!f) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not open '%s': %s", filename,
                    g_strerror(errno));
    }
    return f;
}

static bool dump_write(FILE *f, const void *buf, size_t len, GError **errp)
{
    if (fwrite(buf, 1, len, f) != len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "An IO error has occurred");
        return false;
    }
    return true;
}

/* Closes f; a failed final flush is an I/O error too (QEMU ignores it). */
static bool dump_close(FILE *f, bool ok, GError **errp)
{
    if (fclose(f) != 0 && ok) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "An IO error has occurred");
        return false;
    }
    return ok;
}

static void set_invalid_addr(GError **errp, gint64 addr, gint64 size)
{
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "Invalid addr 0x%016" G_GINT64_MODIFIER "x/size %" G_GINT64_FORMAT " specified",
                addr, size);
}

/* Guest-virtual chunks of up to one page each, translated in batches so a
 * running vCPU is interrupted once per batch, not once per page. */
#define MEMSAVE_BATCH 256

static bool memsave_batch(Machine *m, Vcpu *cpu, FILE *f, uint64_t addr, uint64_t left,
                          uint64_t *done, GError **errp)
{
    uint64_t gva[MEMSAVE_BATCH], gpa[MEMSAVE_BATCH], len[MEMSAVE_BATCH];
    size_t n = 0;
    for (uint64_t off = 0; n < MEMSAVE_BATCH && off < left; n++) {
        gva[n] = addr + off;
        len[n] = MIN(left - off, DUMP_CHUNK - (gva[n] & (DUMP_CHUNK - 1)));
        off += len[n];
    }
    machine_lock_drop(m);
    bool ok = vcpu_translate(cpu, gva, gpa, n, errp);
    machine_lock_take(m);
    if (!ok) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[DUMP_CHUNK];
        if (gpa[i] == UINT64_MAX || !guest_ram_read(&m->ram, gpa[i], buf, len[i])) {
            return false;   /* the caller names the whole range */
        }
        if (!dump_write(f, buf, len[i], errp)) {
            return false;
        }
        *done += len[i];
    }
    return true;
}

static JsonNode *qmp_memsave(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    gint64 addr = qmp_arg_int(args, "val", 0);
    gint64 size = qmp_arg_int(args, "size", 0);
    const char *filename = qmp_arg_str(args, "filename", NULL);
    /* QEMU looks the vCPU up by a C int: larger values wrap. */
    int index = (int)qmp_arg_int(args, "cpu-index", 0);
    if (!m->vcpus || index < 0 || (unsigned)index >= m->vcpus->n) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter 'cpu-index' expects a CPU number");
        return NULL;
    }
    FILE *f = dump_open(filename, errp);
    if (!f) {
        return NULL;
    }
    bool ok = size >= 0;
    uint64_t done = 0;
    g_autoptr(GError) err = NULL;
    while (ok && done < (uint64_t)size) {
        ok = memsave_batch(m, &m->vcpus->cpus[index], f, (uint64_t)addr + done,
                           (uint64_t)size - done, &done, &err);
    }
    if (!ok && !err) {
        set_invalid_addr(&err, addr, size);
    }
    if (!dump_close(f, ok, err ? NULL : &err)) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    return qmp_return_empty();
}

static JsonNode *qmp_pmemsave(QmpContext *ctx, JsonObject *args, GError **errp)
{
    Machine *m = ctx->m;
    gint64 addr = qmp_arg_int(args, "val", 0);
    gint64 size = qmp_arg_int(args, "size", 0);
    FILE *f = dump_open(qmp_arg_str(args, "filename", NULL), errp);
    if (!f) {
        return NULL;
    }
    g_autoptr(GError) err = NULL;
    bool ok = size >= 0;
    if (!ok) {
        set_invalid_addr(&err, addr, size);
    }
    for (uint64_t done = 0; ok && done < (uint64_t)size;) {
        uint64_t gpa = (uint64_t)addr + done;
        uint64_t len = MIN((uint64_t)size - done, DUMP_CHUNK - (gpa & (DUMP_CHUNK - 1)));
        uint8_t buf[DUMP_CHUNK];
        /* Outside RAM reads as zeroes, as unassigned memory does in QEMU. */
        if (!guest_ram_read(&m->ram, gpa, buf, len)) {
            memset(buf, 0, len);
        }
        ok = dump_write(f, buf, len, &err);
        done += len;
    }
    if (!dump_close(f, ok, err ? NULL : &err)) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    return qmp_return_empty();
}

const QmpCommandDef qmp_commands_machine[] = {
    { "query-name", qmp_query_name },
    { "query-uuid", qmp_query_uuid },
    { "query-target", qmp_query_target },
    { "query-kvm", qmp_query_kvm },
    { "query-machines", qmp_query_machines },
    { "query-cpus-fast", qmp_query_cpus_fast },
    { "query-hotpluggable-cpus", qmp_query_hotpluggable_cpus },
    { "query-memory-size-summary", qmp_query_memory_size_summary },
    { "query-cpu-definitions", qmp_query_cpu_definitions },
    { "query-iothreads", qmp_query_iothreads },
    { "query-jobs", qmp_query_jobs },
    { "query-migrate-capabilities", qmp_query_migrate_capabilities },
    { "query-migrate-parameters", qmp_query_migrate_parameters },
    { "query-command-line-options", qmp_query_command_line_options },
    { "inject-nmi", qmp_inject_nmi },
    { "memsave", qmp_memsave },
    { "pmemsave", qmp_pmemsave },
    { NULL },
};
