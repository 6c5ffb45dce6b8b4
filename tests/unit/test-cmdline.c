/* The QEMU command line (src/main/config.h options_parse): option
 * spellings, derived values and error texts, as qemu-system-x86_64 7.2
 * has them (qemu-options.hx, hw/core/machine-smp.c, chardev/char.c). */
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "main/config.h"
#include "util/error.h"
#include "util/opts.h"

#include "unit-common.h"

/* ---- helpers ---- */

/* A fresh config from the arguments; the parse must succeed. */
G_GNUC_NULL_TERMINATED
static MachineConfig *parse_ok(const char *first, ...)
{
    MachineConfig *cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now = true;
    va_list ap;
    va_start(ap, first);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tern");
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    bool ok = options_parse(cfg, argv->len - 1, (char **)argv->pdata, &exit_now, &err);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_assert_false(exit_now);
    return cfg;
}

/* The parse must fail; returns the message (caller frees). */
G_GNUC_NULL_TERMINATED
static char *parse_err(const char *first, ...)
{
    g_autoptr(MachineConfig) cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now = false;
    va_list ap;
    va_start(ap, first);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)"tern");
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    bool ok = options_parse(cfg, argv->len - 1, (char **)argv->pdata, &exit_now, &err);
    g_assert_false(ok);
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    /* One line, no trailing period. */
    g_assert_null(strchr(err->message, '\n'));
    g_assert_false(g_str_has_suffix(err->message, "."));
    return g_strdup(err->message);
}

#define assert_has_prefix(s, p) \
    do { \
        if (!g_str_has_prefix((s), (p))) { \
            g_error("\"%s\" does not start with \"%s\"", (s), (p)); \
        } \
    } while (0)
#define assert_contains(s, p) \
    do { \
        if (!strstr((s), (p))) { \
            g_error("\"%s\" does not contain \"%s\"", (s), (p)); \
        } \
    } while (0)

static TernOpts *chardev_by_id(MachineConfig *cfg, const char *id)
{
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        TernOpts *o = g_ptr_array_index(cfg->chardevs, i);
        if (!g_strcmp0(opts_get(o, "id"), id)) {
            return o;
        }
    }
    return NULL;
}

static const char *serial_at(MachineConfig *cfg, guint i)
{
    g_assert_cmpuint(i, <, cfg->serials->len);
    return g_ptr_array_index(cfg->serials, i);
}

/* ---- defaults ---- */

static void test_defaults(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok(NULL, NULL);
    g_assert_cmpstr(cfg->machine_type, ==, "pc-i440fx-7.2");
    g_assert_cmpint(cfg->accel, ==, ACCEL_KVM);
    g_assert_cmpstr(cfg->cpu_model, ==, "qemu64");
    g_assert_cmpuint(cfg->ram_size, ==, TERN_DEFAULT_RAM);
    g_assert_cmpuint(cfg->smp_cpus, ==, 1);
    g_assert_cmpuint(cfg->max_cpus, ==, 1);
    g_assert_cmpuint(cfg->serials->len, ==, 0);
    g_assert_cmpuint(cfg->chardevs->len, ==, 0);
    g_assert_cmpuint(cfg->monitors->len, ==, 0);
    g_assert_cmpint(cfg->rtc_base_epoch, ==, -1);
    g_assert_false(cfg->has_uuid);
}

/* ---- -m ---- */

static void test_m_default_unit(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-m", "512", NULL);
    g_assert_cmpuint(cfg->ram_size, ==, 512ULL << 20);
}

static void test_m_suffix(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-m", "2G", NULL);
    g_assert_cmpuint(cfg->ram_size, ==, 2ULL << 30);
    g_autoptr(MachineConfig) cfg2 = parse_ok("-m", "1.5G", NULL);
    g_assert_cmpuint(cfg2->ram_size, ==, 3ULL << 29);
}

static void test_m_size_key(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-m", "size=1G", NULL);
    g_assert_cmpuint(cfg->ram_size, ==, 1ULL << 30);
    /* slots= and maxmem= are accepted (no hotplug), the last -m wins. */
    g_autoptr(MachineConfig) cfg2 = parse_ok("-m", "64", "-m", "256,slots=2,maxmem=1G", NULL);
    g_assert_cmpuint(cfg2->ram_size, ==, 256ULL << 20);
}

static void test_m_zero(void)
{
    g_autofree char *msg = parse_err("-m", "0", NULL);
    g_assert_cmpstr(msg, ==, "-m 0: memory size must be greater than zero");
}

static void test_m_too_small(void)
{
    g_autofree char *msg = parse_err("-m", "512k", NULL);
    g_assert_cmpstr(msg, ==, "-m 512k: memory size must be at least 1 MiB");
}

static void test_m_garbage(void)
{
    g_autofree char *msg = parse_err("-m", "abc", NULL);
    assert_has_prefix(msg, "-m abc: ");
    assert_contains(msg, "Parameter 'size' expects a non-negative number below 2^64");

    g_autofree char *msg2 = parse_err("-m", "size=12Q", NULL);
    assert_has_prefix(msg2, "-m size=12Q: Parameter 'size'");
}

static void test_m_unknown_key(void)
{
    g_autofree char *msg = parse_err("-m", "1G,foo=bar", NULL);
    g_assert_cmpstr(msg, ==, "-m 1G,foo=bar: Invalid parameter 'foo'");
}

/* ---- -smp ---- */

static void assert_topology(MachineConfig *cfg, unsigned cpus, unsigned sockets,
                            unsigned cores, unsigned threads, unsigned maxcpus)
{
    g_assert_cmpuint(cfg->smp_cpus, ==, cpus);
    g_assert_cmpuint(cfg->sockets, ==, sockets);
    g_assert_cmpuint(cfg->dies, ==, 1);
    g_assert_cmpuint(cfg->cores, ==, cores);
    g_assert_cmpuint(cfg->threads, ==, threads);
    g_assert_cmpuint(cfg->max_cpus, ==, maxcpus);
}

static bool topology_is(MachineConfig *cfg, unsigned cpus, unsigned sockets,
                        unsigned cores, unsigned threads, unsigned maxcpus)
{
    return cfg->smp_cpus == cpus && cfg->sockets == sockets && cfg->cores == cores &&
           cfg->threads == threads && cfg->max_cpus == maxcpus;
}

static void test_smp_full_topology(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "8,sockets=2,cores=2,threads=2", NULL);
    assert_topology(cfg, 8, 2, 2, 2, 8);
    g_autoptr(MachineConfig) cfg2 = parse_ok("-smp", "cpus=4,sockets=2,cores=2,threads=1,maxcpus=4",
                                             NULL);
    assert_topology(cfg2, 4, 2, 2, 1, 4);
}

static void test_smp_cpus_from_topology(void)
{
    /* No cpus: the product of what was given. */
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "sockets=2,cores=3,threads=2", NULL);
    assert_topology(cfg, 12, 2, 3, 2, 12);
}

static void test_smp_sockets_from_cores(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "8,cores=2", NULL);
    assert_topology(cfg, 8, 4, 2, 1, 8);
}

/* QEMU 7.2, hw/core/machine-smp.c: "prefer cores over sockets since 6.2";
 * pc-i440fx-7.2 does not set smp_props.prefer_sockets. */
static void test_smp_prefer_cores(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "4", NULL);
    g_assert_cmpuint(cfg->smp_cpus, ==, 4);
    g_assert_cmpuint(cfg->max_cpus, ==, 4);
    assert_topology(cfg, 4, 1, 4, 1, 4);
}

static void test_smp_cores_from_sockets(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "8,sockets=2", NULL);
    assert_topology(cfg, 8, 2, 4, 1, 8);
}

static void test_smp_threads_last(void)
{
    /* "try to calculate omitted threads at last" */
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "8,sockets=2,cores=2", NULL);
    assert_topology(cfg, 8, 2, 2, 2, 8);
}

static void test_smp_maxcpus(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "2,maxcpus=8", NULL);
    g_assert_cmpuint(cfg->smp_cpus, ==, 2);
    g_assert_cmpuint(cfg->max_cpus, ==, 8);
    g_assert_cmpuint(cfg->sockets * cfg->dies * cfg->cores * cfg->threads, ==, 8);
    g_assert_true(topology_is(cfg, 2, 1, 8, 1, 8));
}

static void test_smp_maxcpus_below_cpus(void)
{
    g_autofree char *msg = parse_err("-smp", "8,maxcpus=4", NULL);
    assert_has_prefix(msg, "-smp 8,maxcpus=4: Invalid CPU topology: maxcpus must be equal "
                      "to or greater than smp");
}

static void test_smp_product_mismatch(void)
{
    g_autofree char *msg = parse_err("-smp", "4,sockets=2,cores=3,threads=1", NULL);
    assert_has_prefix(msg, "-smp 4,sockets=2,cores=3,threads=1: Invalid CPU topology: "
                      "product of the hierarchy must match maxcpus");
    assert_contains(msg, "sockets (2) * dies (1) * cores (3) * threads (1) != maxcpus (4)");
}

static void test_smp_zero(void)
{
    static const char *const args[] = {
        "0", "cpus=0", "4,sockets=0", "4,cores=0", "4,threads=0", "4,maxcpus=0", "4,dies=0",
    };
    for (guint i = 0; i < G_N_ELEMENTS(args); i++) {
        g_autofree char *msg = parse_err("-smp", args[i], NULL);
        g_autofree char *want = g_strdup_printf(
            "-smp %s: CPU topology parameters must be greater than zero", args[i]);
        g_assert_cmpstr(msg, ==, want);
    }
}

static void test_smp_max(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-smp", "64", NULL);
    g_assert_cmpuint(cfg->smp_cpus, ==, 64);

    g_autofree char *msg = parse_err("-smp", "65", NULL);
    g_assert_cmpstr(msg, ==, "-smp 65: Invalid SMP CPUs 65. The max CPUs supported by "
                    "machine 'pc-i440fx-7.2' is 64");
    g_autofree char *msg2 = parse_err("-smp", "2,maxcpus=128", NULL);
    assert_contains(msg2, "The max CPUs supported by machine 'pc-i440fx-7.2' is 64");
}

static void test_smp_overflow(void)
{
    /* 2^32 * 2^32 wraps to 0 in 64 bits: must not yield a machine with no
     * CPUs (or 2^32 sockets truncated into an unsigned). */
    g_autoptr(MachineConfig) cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now;
    char *argv[] = { (char *)"tern", (char *)"-smp",
                     (char *)"sockets=4294967296,cores=4294967296", NULL };
    g_assert_false(options_parse(cfg, 3, argv, &exit_now, &err));
    assert_has_prefix(err->message, "-smp sockets=4294967296,cores=4294967296: ");
}

static void test_smp_garbage(void)
{
    g_autofree char *msg = parse_err("-smp", "abc", NULL);
    g_assert_cmpstr(msg, ==, "-smp abc: Parameter 'cpus' expects a number");
    g_autofree char *msg2 = parse_err("-smp", "2,foo=1", NULL);
    g_assert_cmpstr(msg2, ==, "-smp 2,foo=1: Invalid parameter 'foo'");
}

/* ---- -machine / -accel ---- */

static void test_machine_types(void)
{
    g_autoptr(MachineConfig) a = parse_ok("-machine", "none", "-machine", "pc", NULL);
    g_assert_cmpstr(a->machine_type, ==, "pc-i440fx-7.2");
    g_autoptr(MachineConfig) b = parse_ok("-M", "pc-i440fx-7.2", NULL);
    g_assert_cmpstr(b->machine_type, ==, "pc-i440fx-7.2");
    g_autoptr(MachineConfig) c = parse_ok("-machine", "type=none", NULL);
    g_assert_cmpstr(c->machine_type, ==, "none");
}

static void test_machine_accel(void)
{
    g_autoptr(MachineConfig) a = parse_ok("-machine", "none,accel=qtest", NULL);
    g_assert_cmpstr(a->machine_type, ==, "none");
    g_assert_cmpint(a->accel, ==, ACCEL_QTEST);
    /* accel= alone keeps the machine type. */
    g_autoptr(MachineConfig) b = parse_ok("-machine", "none", "-machine", "accel=kvm", NULL);
    g_assert_cmpstr(b->machine_type, ==, "none");
    g_assert_cmpint(b->accel, ==, ACCEL_KVM);
    /* A list: the first one Tern has. */
    g_autoptr(MachineConfig) c = parse_ok("-machine", "pc,accel=tcg:qtest:kvm", NULL);
    g_assert_cmpint(c->accel, ==, ACCEL_QTEST);

    g_autofree char *msg = parse_err("-machine", "accel=tcg", NULL);
    g_assert_cmpstr(msg, ==, "-machine accel=tcg: invalid accelerator tcg");
}

static void test_machine_accepted_props(void)
{
    g_autoptr(MachineConfig) a = parse_ok("-machine", "pc,usb=off,dump-guest-core=off,vmport=off",
                                          NULL);
    g_assert_cmpstr(a->machine_type, ==, "pc-i440fx-7.2");
    g_autofree char *msg = parse_err("-machine", "pc,bogus=1", NULL);
    g_assert_cmpstr(msg, ==, "-machine pc,bogus=1: Invalid parameter 'bogus'");
}

static void test_machine_unknown(void)
{
    g_autofree char *msg = parse_err("-machine", "foo", NULL);
    assert_has_prefix(msg, "-machine foo: unsupported machine type 'foo'");
    g_autofree char *msg2 = parse_err("-M", "q35", NULL);
    assert_has_prefix(msg2, "-M q35: unsupported machine type 'q35'");
}

static void test_accel(void)
{
    g_autoptr(MachineConfig) a = parse_ok("-accel", "qtest", NULL);
    g_assert_cmpint(a->accel, ==, ACCEL_QTEST);
    g_autoptr(MachineConfig) b = parse_ok("-accel", "qtest", "-accel", "kvm,thread=single", NULL);
    g_assert_cmpint(b->accel, ==, ACCEL_KVM);
    g_autoptr(MachineConfig) c = parse_ok("-accel", "qtest", "-enable-kvm", NULL);
    g_assert_cmpint(c->accel, ==, ACCEL_KVM);
}

static void test_accel_errors(void)
{
    g_autofree char *tcg = parse_err("-accel", "tcg", NULL);
    assert_has_prefix(tcg, "-accel tcg: accelerator tcg is not supported");
    g_autofree char *foo = parse_err("-accel", "foo", NULL);
    g_assert_cmpstr(foo, ==, "-accel foo: invalid accelerator foo");
    g_autofree char *prop = parse_err("-accel", "kvm,bogus=on", NULL);
    g_assert_cmpstr(prop, ==, "-accel kvm,bogus=on: Invalid parameter 'bogus'");
}

/* ---- -cpu ---- */

static void test_cpu_flags(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-cpu", "host,+avx2,-x2apic,pdpe1gb=off", NULL);
    g_assert_cmpstr(cfg->cpu_model, ==, "host");
    g_assert_cmpuint(cfg->cpu_flags->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(cfg->cpu_flags, 0), ==, "+avx2");
    g_assert_cmpstr(g_ptr_array_index(cfg->cpu_flags, 1), ==, "-x2apic");
    g_assert_cmpstr(g_ptr_array_index(cfg->cpu_flags, 2), ==, "pdpe1gb=off");
}

static void test_cpu_replaces_flags(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-cpu", "host,+avx2", "-cpu", "max", NULL);
    g_assert_cmpstr(cfg->cpu_model, ==, "max");
    g_assert_cmpuint(cfg->cpu_flags->len, ==, 0);
}

static void test_cpu_unknown_model(void)
{
    g_autofree char *msg = parse_err("-cpu", "x", NULL);
    g_assert_cmpstr(msg, ==, "-cpu x: unable to find CPU model 'x'");
    g_autofree char *msg2 = parse_err("-cpu", "Skylake-Client,+avx2", NULL);
    g_assert_cmpstr(msg2, ==, "-cpu Skylake-Client,+avx2: unable to find CPU model "
                    "'Skylake-Client'");
}

/* ---- -serial (legacy chardev specs) ---- */

static void test_serial_stdio(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "stdio", NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 1);
    g_assert_cmpstr(serial_at(cfg, 0), ==, "serial0");
    g_assert_cmpuint(cfg->chardevs->len, ==, 1);
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "stdio");
}

static void test_serial_null(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "null", NULL);
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "null");
}

static void test_serial_file(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "file:/tmp/x", NULL);
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "file");
    g_assert_cmpstr(opts_get(o, "path"), ==, "/tmp/x");
}

static void test_serial_unix(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "unix:/tmp/s,server=on,wait=off", NULL);
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "socket");
    g_assert_cmpstr(opts_get(o, "path"), ==, "/tmp/s");
    g_assert_cmpstr(opts_get(o, "server"), ==, "on");
    g_assert_cmpstr(opts_get(o, "wait"), ==, "off");
    g_assert_null(opts_get(o, "host"));
}

static void test_serial_tcp(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "tcp:127.0.0.1:4444,server=on,wait=off",
                                            NULL);
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "socket");
    g_assert_cmpstr(opts_get(o, "host"), ==, "127.0.0.1");
    g_assert_cmpstr(opts_get(o, "port"), ==, "4444");
    g_assert_cmpstr(opts_get(o, "server"), ==, "on");
    g_assert_cmpstr(opts_get(o, "wait"), ==, "off");
    g_assert_null(opts_get(o, "path"));

    /* An empty host means every address. */
    g_autoptr(MachineConfig) cfg2 = parse_ok("-serial", "tcp::5555,server=on,wait=off", NULL);
    TernOpts *o2 = chardev_by_id(cfg2, "serial0");
    g_assert_cmpstr(opts_get(o2, "host"), ==, "");
    g_assert_cmpstr(opts_get(o2, "port"), ==, "5555");
}

static void test_serial_chardev_ref(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-chardev", "null,id=c0", "-serial", "chardev:c0",
                                            NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 1);
    g_assert_cmpstr(serial_at(cfg, 0), ==, "c0");
    /* No extra chardev is made for a reference. */
    g_assert_cmpuint(cfg->chardevs->len, ==, 1);
}

static void test_serial_none(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "none", "-serial", "null", NULL);
    /* "none" still takes COM1: the null backend goes to COM2. */
    g_assert_cmpuint(cfg->serials->len, ==, 2);
    g_assert_cmpstr(serial_at(cfg, 0), ==, "");
    g_assert_cmpstr(serial_at(cfg, 1), ==, "serial1");
    g_assert_cmpuint(cfg->chardevs->len, ==, 1);
    g_assert_nonnull(chardev_by_id(cfg, "serial1"));
}

static void test_serial_several(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "null", "-serial", "mon:stdio",
                                            "-serial", "pty", "-serial", "null", NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 4);
    for (guint i = 0; i < 4; i++) {
        g_autofree char *id = g_strdup_printf("serial%u", i);
        g_assert_cmpstr(serial_at(cfg, i), ==, id);
        g_assert_nonnull(chardev_by_id(cfg, id));
    }
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "serial1"), "backend"), ==, "stdio");
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "serial2"), "backend"), ==, "pty");

    g_autofree char *msg = parse_err("-serial", "null", "-serial", "null", "-serial", "null",
                                     "-serial", "null", "-serial", "null", NULL);
    g_assert_cmpstr(msg, ==, "-serial null: too many serial ports (at most 4)");
}

static void test_serial_bad(void)
{
    g_autofree char *msg = parse_err("-serial", "bogus:", NULL);
    g_assert_cmpstr(msg, ==, "-serial bogus:: 'bogus:' is not a valid char driver");
    g_autofree char *msg2 = parse_err("-serial", "tcp:4444", NULL);
    assert_has_prefix(msg2, "-serial tcp:4444: 'tcp:4444' is not a valid char driver");
    g_autofree char *msg3 = parse_err("-serial", "unix:/tmp/s,bogus=1", NULL);
    g_assert_cmpstr(msg3, ==, "-serial unix:/tmp/s,bogus=1: Invalid parameter 'bogus'");
    g_autofree char *msg4 = parse_err("-serial", "unix:/tmp/s,server=maybe", NULL);
    g_assert_cmpstr(msg4, ==, "-serial unix:/tmp/s,server=maybe: Parameter 'server' expects "
                    "'on' or 'off'");
}

/* ---- -chardev ---- */

static void test_chardev_ok(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok(
        "-chardev", "socket,id=qmp,path=/tmp/q,server=on,wait=off",
        "-chardev", "file,id=log,path=/tmp/l,append=on", "-chardev", "null,id=n", NULL);
    g_assert_cmpuint(cfg->chardevs->len, ==, 3);
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "qmp"), "backend"), ==, "socket");
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "log"), "path"), ==, "/tmp/l");
    g_assert_nonnull(chardev_by_id(cfg, "n"));
    /* -chardev alone attaches nothing. */
    g_assert_cmpuint(cfg->serials->len, ==, 0);
    g_assert_cmpuint(cfg->monitors->len, ==, 0);
}

static void test_chardev_no_id(void)
{
    g_autofree char *msg = parse_err("-chardev", "null", NULL);
    g_assert_cmpstr(msg, ==, "-chardev null: chardev: no id specified");
    g_autofree char *msg2 = parse_err("-chardev", "null,id=", NULL);
    g_assert_cmpstr(msg2, ==, "-chardev null,id=: chardev: no id specified");
}

static void test_chardev_bad_id(void)
{
    g_autofree char *msg = parse_err("-chardev", "null,id=1x", NULL);
    g_assert_cmpstr(msg, ==, "-chardev null,id=1x: Parameter 'id' expects an identifier");
}

static void test_chardev_duplicate(void)
{
    /* In a subprocess: src/main/options.c add_chardev() frees the options
     * before formatting the message with the id they own (use after free),
     * which ASan aborts on. */
    if (g_test_subprocess()) {
        g_autofree char *msg = parse_err("-chardev", "null,id=a", "-chardev", "stdio,id=a", NULL);
        g_assert_cmpstr(msg, ==, "-chardev stdio,id=a: Duplicate ID 'a' for chardev");
        /* The id -serial picks counts too. */
        g_autofree char *msg2 = parse_err("-serial", "null", "-chardev", "null,id=serial0", NULL);
        g_assert_cmpstr(msg2, ==, "-chardev null,id=serial0: Duplicate ID 'serial0' for chardev");
        return;
    }
    expect_child_passes("duplicate chardev id: the message is built from freed memory "
                        "(src/main/options.c add_chardev: opts_free(o) before using id)");
}

static void test_chardev_unknown_backend(void)
{
    g_autofree char *msg = parse_err("-chardev", "foo,id=x", NULL);
    g_assert_cmpstr(msg, ==, "-chardev foo,id=x: 'foo' is not a valid char driver name");
    g_autofree char *msg2 = parse_err("-chardev", "id=x", NULL);
    g_assert_cmpstr(msg2, ==, "-chardev id=x: chardev: no backend specified");
}

static void test_chardev_backend_options(void)
{
    g_autofree char *sock = parse_err("-chardev", "socket,id=s", NULL);
    g_assert_cmpstr(sock, ==, "-chardev socket,id=s: chardev: socket: no host given");
    g_autofree char *port = parse_err("-chardev", "socket,id=s,host=localhost", NULL);
    g_assert_cmpstr(port, ==, "-chardev socket,id=s,host=localhost: chardev: socket: no port "
                    "given");
    g_autofree char *both = parse_err("-chardev", "socket,id=s,path=/p,port=1", NULL);
    assert_contains(both, "mutually exclusive");
    g_autofree char *file = parse_err("-chardev", "file,id=f", NULL);
    g_assert_cmpstr(file, ==, "-chardev file,id=f: chardev: file: no filename given");
    g_autofree char *extra = parse_err("-chardev", "null,id=n,path=/x", NULL);
    g_assert_cmpstr(extra, ==, "-chardev null,id=n,path=/x: Invalid parameter 'path'");
    g_autofree char *longpath = g_strdup_printf("socket,id=s,path=/%0200d", 0);
    g_autofree char *lp = parse_err("-chardev", longpath, NULL);
    assert_contains(lp, "is too long");
}

/* ---- -qmp / -mon ---- */

static void test_qmp(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-qmp", "unix:/tmp/q.sock,server=on,wait=off", NULL);
    g_assert_cmpuint(cfg->chardevs->len, ==, 1);
    TernOpts *chr = chardev_by_id(cfg, "compat_monitor0");
    g_assert_nonnull(chr);
    g_assert_cmpstr(opts_get(chr, "backend"), ==, "socket");
    g_assert_cmpstr(opts_get(chr, "path"), ==, "/tmp/q.sock");
    g_assert_cmpuint(cfg->monitors->len, ==, 1);
    TernOpts *mon = g_ptr_array_index(cfg->monitors, 0);
    g_assert_cmpstr(opts_get(mon, "chardev"), ==, "compat_monitor0");
    g_assert_cmpstr(opts_get(mon, "mode"), ==, "control");
    g_assert_cmpstr(opts_get(mon, "pretty"), ==, "off");
    /* -qmp does not make a serial port. */
    g_assert_cmpuint(cfg->serials->len, ==, 0);
}

static void test_qmp_two(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-qmp", "unix:/tmp/a,server=on,wait=off",
                                            "-qmp", "tcp:127.0.0.1:4445,server=on,wait=off",
                                            NULL);
    g_assert_cmpuint(cfg->monitors->len, ==, 2);
    g_assert_cmpstr(opts_get(g_ptr_array_index(cfg->monitors, 1), "chardev"), ==,
                    "compat_monitor1");
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "compat_monitor1"), "port"), ==, "4445");
}

static void test_qmp_pretty(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-qmp-pretty", "stdio", NULL);
    g_assert_cmpuint(cfg->monitors->len, ==, 1);
    g_assert_cmpstr(opts_get(g_ptr_array_index(cfg->monitors, 0), "pretty"), ==, "on");
}

/* /cmdline/action: QEMU's -action, the command-line form of set-action. */
static void test_action(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-action", "panic=pause,reboot=shutdown",
                                            "-action", "shutdown=pause,watchdog=none", NULL);
    g_assert_cmpstr(cfg->panic_action, ==, "pause");
    g_assert_cmpstr(cfg->watchdog_action, ==, "none");
    g_assert_true(cfg->no_reboot && cfg->no_shutdown);
    g_autoptr(MachineConfig) def = parse_ok(NULL, NULL);
    g_assert_cmpstr(def->panic_action, ==, "shutdown");
    g_autofree char *bad = parse_err("-action", "panic=bogus", NULL);
    g_assert_cmpstr(bad, ==, "-action panic=bogus: Parameter 'panic' does not accept value 'bogus'");
    g_autofree char *unknown = parse_err("-action", "foo=bar", NULL);
    g_assert_cmpstr(unknown, ==, "-action foo=bar: Invalid parameter 'foo'");
}

static void test_qmp_bad(void)
{
    g_autofree char *msg = parse_err("-qmp", "bogus:", NULL);
    g_assert_cmpstr(msg, ==, "-qmp bogus:: 'bogus:' is not a valid char driver");
}

static void test_mon(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok(
        "-chardev", "socket,id=x,path=/tmp/m,server=on,wait=off",
        "-mon", "chardev=x,mode=control", "-mon", "x,mode=control,pretty=on", NULL);
    g_assert_cmpuint(cfg->monitors->len, ==, 2);
    TernOpts *m0 = g_ptr_array_index(cfg->monitors, 0);
    g_assert_cmpstr(opts_get(m0, "chardev"), ==, "x");
    g_assert_cmpstr(opts_get(m0, "mode"), ==, "control");
    TernOpts *m1 = g_ptr_array_index(cfg->monitors, 1);
    g_assert_cmpstr(opts_get(m1, "chardev"), ==, "x");
    g_assert_cmpstr(opts_get(m1, "pretty"), ==, "on");
}

static void test_mon_errors(void)
{
    g_autofree char *nochr = parse_err("-mon", "mode=control", NULL);
    g_assert_cmpstr(nochr, ==, "-mon mode=control: Parameter 'chardev' is missing");
    g_autofree char *extra = parse_err("-mon", "chardev=x,foo=1", NULL);
    g_assert_cmpstr(extra, ==, "-mon chardev=x,foo=1: Invalid parameter 'foo'");
}

static void test_mon_bad_mode(void)
{
    /* In a subprocess: src/main/options.c opt_mon() frees the options and
     * then formats the message with `mode`, which points into them. */
    if (g_test_subprocess()) {
        g_autofree char *mode = parse_err("-mon", "chardev=x,mode=bogus", NULL);
        g_assert_cmpstr(mode, ==, "-mon chardev=x,mode=bogus: Parameter 'mode' does not "
                        "accept value 'bogus'");
        return;
    }
    expect_child_passes("-mon chardev=x,mode=bogus: the message is built from freed memory "
                        "(src/main/options.c opt_mon: opts_free(o) before using mode)");
}

/* ---- -uuid / -rtc / -name / -boot ---- */

static void test_uuid_valid(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-uuid", "12345678-9abc-DEF0-1234-56789abcdef0",
                                            NULL);
    static const guint8 want[16] = {
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
    };
    g_assert_true(cfg->has_uuid);
    g_assert_cmpmem(cfg->uuid, 16, want, 16);
}

static void test_uuid_invalid(void)
{
    static const char *const bad[] = {
        "", "1234", "12345678-9abc-def0-1234-56789abcdef", "12345678-9abc-def0-1234-56789abcdef01",
        "12345678-9abc-def0-1234-56789abcdefg", "12345678_9abc-def0-1234-56789abcdef0",
        "123456789abcdef0123456789abcdef0", "12345678-9abc-def0-1234-56789abcdef0-",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *msg = parse_err("-uuid", bad[i], NULL);
        g_autofree char *want = g_strdup_printf("-uuid %s: failed to parse UUID string: wrong "
                                                "format", bad[i]);
        g_assert_cmpstr(msg, ==, want);
    }
}

static void test_rtc_base(void)
{
    g_autoptr(MachineConfig) utc = parse_ok("-rtc", "base=utc", NULL);
    g_assert_false(utc->rtc_localtime);
    g_assert_cmpint(utc->rtc_base_epoch, ==, -1);
    g_autoptr(MachineConfig) lt = parse_ok("-rtc", "base=localtime,clock=host,driftfix=slew",
                                           NULL);
    g_assert_true(lt->rtc_localtime);
    g_autoptr(MachineConfig) dt = parse_ok("-rtc", "base=2006-06-17T16:01:21", NULL);
    g_assert_cmpint(dt->rtc_base_epoch, ==, 1150560081);
    g_autoptr(MachineConfig) d = parse_ok("-rtc", "base=2006-06-17,clock=vm", NULL);
    g_assert_cmpint(d->rtc_base_epoch, ==, 1150502400);
}

static void test_rtc_errors(void)
{
    g_autofree char *msg = parse_err("-rtc", "base=garbage", NULL);
    g_assert_cmpstr(msg, ==, "-rtc base=garbage: invalid datetime format: valid formats: "
                    "'2006-06-17T16:01:21' or '2006-06-17'");
    g_autofree char *tail = parse_err("-rtc", "base=2006-06-17T16:01:21Z", NULL);
    assert_has_prefix(tail, "-rtc base=2006-06-17T16:01:21Z: invalid datetime format");
    g_autofree char *range = parse_err("-rtc", "base=2006-13-40", NULL);
    assert_has_prefix(range, "-rtc base=2006-13-40: invalid datetime format");
    g_autofree char *clock = parse_err("-rtc", "clock=foo", NULL);
    g_assert_cmpstr(clock, ==, "-rtc clock=foo: invalid option value 'foo'");
    g_autofree char *extra = parse_err("-rtc", "base=utc,bar=1", NULL);
    g_assert_cmpstr(extra, ==, "-rtc base=utc,bar=1: Invalid parameter 'bar'");
}

static void test_name(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-name", "guest=x,debug-threads=on", NULL);
    g_assert_cmpstr(cfg->name, ==, "x");
    g_assert_true(cfg->debug_threads);
    g_autoptr(MachineConfig) cfg2 = parse_ok("-name", "vm1,process=tern-vm1", NULL);
    g_assert_cmpstr(cfg2->name, ==, "vm1");
    g_assert_false(cfg2->debug_threads);

    g_autofree char *msg = parse_err("-name", "x,debug-threads=maybe", NULL);
    g_assert_cmpstr(msg, ==, "-name x,debug-threads=maybe: Parameter 'debug-threads' expects "
                    "'on' or 'off'");
}

static void test_boot(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-boot", "order=cd", NULL);
    g_assert_cmpstr(cfg->boot_order, ==, "cd");
    g_autoptr(MachineConfig) cfg2 = parse_ok("-boot", "n,menu=on,strict=off,splash-time=5",
                                             NULL);
    g_assert_cmpstr(cfg2->boot_order, ==, "n");
    g_assert_true(cfg2->boot_menu);
    g_assert_cmpint(cfg2->boot_splash_time, ==, 5);
    g_assert_cmpint(cfg2->boot_reboot_timeout, ==, -1);
    g_assert_null(cfg2->boot_once);
    g_autoptr(MachineConfig) cfg3 = parse_ok("-boot", "once=dn,reboot-timeout=1000", NULL);
    g_assert_cmpstr(cfg3->boot_once, ==, "dn");
    g_assert_cmpint(cfg3->boot_reboot_timeout, ==, 1000);
    g_assert_false(cfg3->boot_menu);

    /* QEMU's wording for each check. */
    static const char *const bad[][2] = {
        { "once=z", "-boot once=z: Invalid boot device 'z'" },
        { "once=dd", "-boot once=dd: Boot device 'd' was given twice" },
        { "order=cdc", "-boot order=cdc: Boot device 'c' was given twice" },
        { "reboot-timeout=70000", "-boot reboot-timeout=70000: reboot timeout is invalid,"
                                  "it should be a value between -1 and 65535" },
        { "reboot-timeout=-2", "-boot reboot-timeout=-2: reboot timeout is invalid,"
                               "it should be a value between -1 and 65535" },
        { "splash-time=x", "-boot splash-time=x: splash-time is invalid,"
                           "it should be a value between 0 and 65535" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *e = parse_err("-boot", bad[i][0], NULL);
        g_assert_cmpstr(e, ==, bad[i][1]);
    }

    g_autofree char *msg = parse_err("-boot", "order=z", NULL);
    g_assert_cmpstr(msg, ==, "-boot order=z: Invalid boot device 'z'");
    g_autofree char *menu = parse_err("-boot", "menu=perhaps", NULL);
    g_assert_cmpstr(menu, ==, "-boot menu=perhaps: Parameter 'menu' expects 'on' or 'off'");
}

/* ---- the parser itself ---- */

static void test_unknown_option(void)
{
    g_autofree char *msg = parse_err("-foo", NULL);
    g_assert_cmpstr(msg, ==, "-foo: invalid option");
    g_autofree char *msg2 = parse_err("-m", "64", "--bar", "1", NULL);
    g_assert_cmpstr(msg2, ==, "--bar: invalid option");
}

static void test_double_dash(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("--m", "64", "--nodefaults", NULL);
    g_assert_cmpuint(cfg->ram_size, ==, 64ULL << 20);
    g_assert_true(cfg->nodefaults);
}

static void test_missing_argument(void)
{
    g_autofree char *msg = parse_err("-m", NULL);
    g_assert_cmpstr(msg, ==, "-m: requires an argument");
    g_autofree char *msg2 = parse_err("-nodefaults", "-serial", NULL);
    g_assert_cmpstr(msg2, ==, "-serial: requires an argument");
}

static void test_bare_argument(void)
{
    g_autofree char *msg = parse_err("disk.img", NULL);
    assert_has_prefix(msg, "disk.img: ");
    g_autofree char *dash = parse_err("-", NULL);
    assert_has_prefix(dash, "-: ");
}

static void test_misc_options(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok(
        "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0", "-S", "-no-reboot",
        "-no-shutdown", "-pidfile", "/run/p", "-display", "none", "-vga", "none",
        "-msg", "timestamp=on", "-overcommit", "mem-lock=off", "-monitor", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-user-config", NULL);
    g_assert_cmpstr(cfg->kernel, ==, "/k");
    g_assert_cmpstr(cfg->initrd, ==, "/i");
    g_assert_cmpstr(cfg->append, ==, "console=ttyS0");
    g_assert_true(cfg->start_paused);
    g_assert_true(cfg->no_reboot);
    g_assert_true(cfg->no_shutdown);
    g_assert_cmpstr(cfg->pidfile, ==, "/run/p");
    g_assert_true(cfg->msg_timestamp);
    g_assert_false(cfg->mem_lock);
    g_assert_cmpuint(cfg->devices->len, ==, 1);
    g_assert_cmpstr(opts_get(g_ptr_array_index(cfg->devices, 0), "driver"), ==,
                    "isa-debug-exit");

    g_autofree char *disp = parse_err("-display", "gtk", NULL);
    assert_has_prefix(disp, "-display gtk: ");
    g_autofree char *vga = parse_err("-vga", "std", NULL);
    g_assert_cmpstr(vga, ==, "-vga std: only 'none' is supported");
}

/* ---- defaults with -nographic ---- */

static void test_nographic_default_serial(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-nographic", NULL);
    g_assert_true(cfg->nographic);
    g_assert_cmpuint(cfg->serials->len, ==, 1);
    g_assert_cmpstr(serial_at(cfg, 0), ==, "serial0");
    TernOpts *o = chardev_by_id(cfg, "serial0");
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "backend"), ==, "stdio");
}

static void test_nographic_nodefaults(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-nographic", "-nodefaults", NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 0);
    g_assert_cmpuint(cfg->chardevs->len, ==, 0);
}

static void test_nographic_with_serial(void)
{
    g_autoptr(MachineConfig) cfg = parse_ok("-serial", "null", "-nographic", NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 1);
    g_assert_cmpstr(opts_get(chardev_by_id(cfg, "serial0"), "backend"), ==, "null");
    g_autoptr(MachineConfig) cfg2 = parse_ok("-nographic", "-serial", "none", NULL);
    g_assert_cmpuint(cfg2->serials->len, ==, 1);
    g_assert_cmpuint(cfg2->chardevs->len, ==, 0);
}

static void test_no_nographic_no_serial(void)
{
    /* Tern has no graphical console: without -nographic nothing is
     * connected by default. */
    g_autoptr(MachineConfig) cfg = parse_ok("-m", "64", NULL);
    g_assert_cmpuint(cfg->serials->len, ==, 0);
}

/* ---- -version / -help ---- */

static void run_exit_now(const char *opt)
{
    g_autoptr(MachineConfig) cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now = false;
    /* Options after -version/-help are not looked at. */
    char *argv[] = { (char *)"tern", (char *)opt, (char *)"-bogus", NULL };
    g_assert_true(options_parse(cfg, 3, argv, &exit_now, &err));
    g_assert_no_error(err);
    g_assert_true(exit_now);
}

typedef struct {
    const char *opt;
    const char *stdout_pattern;
} ExitNowCase;

/* -version/-help/-h print, stop parsing and set exit_now; nothing on stderr. */
static void test_exit_now(gconstpointer data)
{
    const ExitNowCase *c = data;
    if (g_test_subprocess()) {
        run_exit_now(c->opt);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stdout(c->stdout_pattern);
    g_test_trap_assert_stderr("");
}

static const ExitNowCase exit_now_cases[] = {
    { "-version", "QEMU emulator version 7.2.0*" },
    { "-help", "usage: tern*-m ARG*-smp ARG*" },
    { "-h", "usage: tern*" },
};

/* /cmdline/daemonize/stdio: a daemon has no terminal, as QEMU says. */
static void test_daemonize_stdio(void)
{
    g_autofree char *a = parse_err("-daemonize", "-serial", "stdio", NULL);
    g_assert_cmpstr(a, ==, "chardev 'serial0': cannot use stdio with -daemonize");
    g_autofree char *b = parse_err("-daemonize", "-nographic", NULL);
    g_assert_cmpstr(b, ==, "-nographic cannot be used with -daemonize");
    g_autoptr(MachineConfig) ok = parse_ok("-daemonize", "-serial", "null", NULL);
    g_assert_true(ok->daemonize);
    /* libvirt's capability probe: nothing lands on stdio with -nodefaults. */
    g_autoptr(MachineConfig) probe = parse_ok("-nodefaults", "-nographic", "-daemonize",
                                              "-machine", "none,accel=kvm:tcg", NULL);
    g_assert_true(probe->daemonize && probe->nographic);
    g_assert_cmpuint(probe->serials->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cmdline/daemonize/stdio", test_daemonize_stdio);

    g_test_add_func("/cmdline/defaults", test_defaults);
    g_test_add_func("/cmdline/m/default-unit", test_m_default_unit);
    g_test_add_func("/cmdline/m/suffix", test_m_suffix);
    g_test_add_func("/cmdline/m/size-key", test_m_size_key);
    g_test_add_func("/cmdline/m/zero", test_m_zero);
    g_test_add_func("/cmdline/m/too-small", test_m_too_small);
    g_test_add_func("/cmdline/m/garbage", test_m_garbage);
    g_test_add_func("/cmdline/m/unknown-key", test_m_unknown_key);
    g_test_add_func("/cmdline/smp/full-topology", test_smp_full_topology);
    g_test_add_func("/cmdline/smp/cpus-from-topology", test_smp_cpus_from_topology);
    g_test_add_func("/cmdline/smp/sockets-from-cores", test_smp_sockets_from_cores);
    g_test_add_func("/cmdline/smp/prefer-cores", test_smp_prefer_cores);
    g_test_add_func("/cmdline/smp/cores-from-sockets", test_smp_cores_from_sockets);
    g_test_add_func("/cmdline/smp/threads-last", test_smp_threads_last);
    g_test_add_func("/cmdline/smp/maxcpus", test_smp_maxcpus);
    g_test_add_func("/cmdline/smp/maxcpus-below-cpus", test_smp_maxcpus_below_cpus);
    g_test_add_func("/cmdline/smp/product-mismatch", test_smp_product_mismatch);
    g_test_add_func("/cmdline/smp/zero", test_smp_zero);
    g_test_add_func("/cmdline/smp/max", test_smp_max);
    g_test_add_func("/cmdline/smp/overflow", test_smp_overflow);
    g_test_add_func("/cmdline/smp/garbage", test_smp_garbage);
    g_test_add_func("/cmdline/machine/types", test_machine_types);
    g_test_add_func("/cmdline/machine/accel", test_machine_accel);
    g_test_add_func("/cmdline/machine/accepted-props", test_machine_accepted_props);
    g_test_add_func("/cmdline/machine/unknown", test_machine_unknown);
    g_test_add_func("/cmdline/accel/kinds", test_accel);
    g_test_add_func("/cmdline/accel/errors", test_accel_errors);
    g_test_add_func("/cmdline/cpu/flags", test_cpu_flags);
    g_test_add_func("/cmdline/cpu/replaces-flags", test_cpu_replaces_flags);
    g_test_add_func("/cmdline/cpu/unknown-model", test_cpu_unknown_model);
    g_test_add_func("/cmdline/serial/stdio", test_serial_stdio);
    g_test_add_func("/cmdline/serial/null", test_serial_null);
    g_test_add_func("/cmdline/serial/file", test_serial_file);
    g_test_add_func("/cmdline/serial/unix", test_serial_unix);
    g_test_add_func("/cmdline/serial/tcp", test_serial_tcp);
    g_test_add_func("/cmdline/serial/chardev-ref", test_serial_chardev_ref);
    g_test_add_func("/cmdline/serial/none", test_serial_none);
    g_test_add_func("/cmdline/serial/several", test_serial_several);
    g_test_add_func("/cmdline/serial/bad", test_serial_bad);
    g_test_add_func("/cmdline/chardev/ok", test_chardev_ok);
    g_test_add_func("/cmdline/chardev/no-id", test_chardev_no_id);
    g_test_add_func("/cmdline/chardev/bad-id", test_chardev_bad_id);
    g_test_add_func("/cmdline/chardev/duplicate", test_chardev_duplicate);
    g_test_add_func("/cmdline/chardev/unknown-backend", test_chardev_unknown_backend);
    g_test_add_func("/cmdline/chardev/backend-options", test_chardev_backend_options);
    g_test_add_func("/cmdline/qmp/unix", test_qmp);
    g_test_add_func("/cmdline/qmp/two", test_qmp_two);
    g_test_add_func("/cmdline/qmp/pretty", test_qmp_pretty);
    g_test_add_func("/cmdline/action", test_action);
    g_test_add_func("/cmdline/qmp/bad", test_qmp_bad);
    g_test_add_func("/cmdline/mon/ok", test_mon);
    g_test_add_func("/cmdline/mon/errors", test_mon_errors);
    g_test_add_func("/cmdline/mon/bad-mode", test_mon_bad_mode);
    g_test_add_func("/cmdline/uuid/valid", test_uuid_valid);
    g_test_add_func("/cmdline/uuid/invalid", test_uuid_invalid);
    g_test_add_func("/cmdline/rtc/base", test_rtc_base);
    g_test_add_func("/cmdline/rtc/errors", test_rtc_errors);
    g_test_add_func("/cmdline/name", test_name);
    g_test_add_func("/cmdline/boot", test_boot);
    g_test_add_func("/cmdline/parser/unknown-option", test_unknown_option);
    g_test_add_func("/cmdline/parser/double-dash", test_double_dash);
    g_test_add_func("/cmdline/parser/missing-argument", test_missing_argument);
    g_test_add_func("/cmdline/parser/bare-argument", test_bare_argument);
    g_test_add_func("/cmdline/misc-options", test_misc_options);
    g_test_add_func("/cmdline/nographic/default-serial", test_nographic_default_serial);
    g_test_add_func("/cmdline/nographic/nodefaults", test_nographic_nodefaults);
    g_test_add_func("/cmdline/nographic/with-serial", test_nographic_with_serial);
    g_test_add_func("/cmdline/nographic/absent", test_no_nographic_no_serial);
    g_test_add_data_func("/cmdline/version", &exit_now_cases[0], test_exit_now);
    g_test_add_data_func("/cmdline/help", &exit_now_cases[1], test_exit_now);
    g_test_add_data_func("/cmdline/help-short", &exit_now_cases[2], test_exit_now);

    return g_test_run();
}
