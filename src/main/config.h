/* Everything the command line decides, before any of it is acted on. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/opts.h"

#define TERN_MAX_CPUS 64
#define TERN_DEFAULT_RAM (128ULL << 20)

typedef enum {
    ACCEL_KVM,
    ACCEL_QTEST,
} AccelKind;

typedef struct MachineConfig {
    char *machine_type;          /* canonical: "pc-i440fx-7.2" or "none" */
    AccelKind accel;
    char *cpu_model;             /* "host", "max", "qemu64" */
    GPtrArray *cpu_flags;        /* "+feat", "-feat", "feat=on|off" */
    uint64_t ram_size;
    unsigned smp_cpus, sockets, dies, cores, threads, max_cpus;
    char *kernel, *initrd, *append;
    char *bios;                  /* -bios, or NULL */
    char *name;
    bool debug_threads;
    bool has_uuid;
    guint8 uuid[16];
    GPtrArray *serials;          /* chardev ids, one per COM port */
    GPtrArray *chardevs;         /* TernOpts */
    GPtrArray *devices;          /* TernOpts */
    GPtrArray *drives;           /* -drive arguments (strings), in order */
    GPtrArray *blockdevs;        /* -blockdev arguments (strings), in order */
    GPtrArray *monitors;         /* TernOpts: chardev=,mode=,pretty= */
    bool nographic, nodefaults, start_paused, daemonize;
    bool no_reboot, no_shutdown, msg_timestamp, mem_lock;
    const char *panic_action;    /* set-action/-action: a literal, "shutdown" */
    const char *watchdog_action; /* "reset" */
    char *pidfile, *logfile;
    bool rtc_localtime;
    int64_t rtc_base_epoch;      /* -rtc base=DATE, or -1 */
    char *boot_order;
    char *boot_once;             /* -boot once=: the order until the first reset */
    bool boot_menu;
    bool hpet;                   /* -machine hpet=on|off */
    int64_t boot_splash_time;    /* ms, or -1 */
    int64_t boot_reboot_timeout; /* ms, -1: never retry (QEMU's default) */
    char *qtest_chardev;         /* -qtest: the chardev id serving the protocol */
    char *qtest_log;             /* -qtest-log FILE|none; NULL: stderr */
} MachineConfig;

MachineConfig *machine_config_new(void);
void machine_config_free(MachineConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MachineConfig, machine_config_free)

/* Parses argv into cfg. On error sets errp with the one-line message
 * (already prefixed with the offending option) and returns false.
 * *exit_now is set for -version/-help (after printing). */
/* The APIC ID of vCPU `index` for the -smp topology: thread, core, die and
 * socket numbers packed into bit fields of power-of-two widths, as x86
 * topology enumeration (CPUID leaf 0xB) describes them. */
unsigned machine_config_apic_id(const MachineConfig *cfg, unsigned index);

bool options_parse(MachineConfig *cfg, int argc, char **argv, bool *exit_now, GError **errp);
