/* SMBIOS tables (see smbios.h). Layouts from DMTF's SMBIOS 2.8
 * specification (DSP0134); the values are what QEMU 7.2's pc reports for
 * the same command line, observed through fw_cfg. */
#include "board/smbios.h"
#include "board/pc.h"
#include "kvm/cpuid.h"

#include <stdio.h>
#include <string.h>

#define SMBIOS_DIMM_MAX (16ULL << 30)   /* bytes: QEMU's type 17 granularity */
#define T16_STD_MAX_KB  0x80000000ULL   /* 2 TiB: beyond, the extended field */
#define T17_STD_MAX_MB  0x7fffULL       /* 32 GiB - 1 MiB */
#define T19_STD_MAX_KB  0xffffffffULL   /* 4 TiB - 1 KiB */
#define CPU_SPEED_MHZ   2000

/* Without KVM the model is narrowed as QEMU's TCG narrows it: every
 * leaf-1 EDX feature the cpuid code can name (bits 0-9, 11-17, 19, 23-28)
 * except vme and ht, which QEMU 7.2's TCG drops (observed). */
#define TCG_EDX         0x0f8bfbfdu
#define QEMU64_SIGNATURE 0x00060fb1u

/* ---- one structure: formatted area, then its strings ---- */

typedef struct Table {
    GByteArray *out;
    guint start;       /* of the structure being built */
    unsigned nstrings;
    unsigned count;    /* structures so far */
    unsigned max_size; /* largest structure, strings included */
} Table;

static void put8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put16(GByteArray *b, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&v, 2);
}

static void put32(GByteArray *b, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&v, 4);
}

static void put64(GByteArray *b, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&v, 8);
}

/* The header; the length byte is patched once the formatted area ends. */
static void begin(Table *t, uint8_t type, uint16_t handle)
{
    t->start = t->out->len;
    t->nstrings = 0;
    put8(t->out, type);
    put8(t->out, 0);
    put16(t->out, handle);
}

/* The formatted area is complete: its size is the length byte. */
static void end_formatted(Table *t)
{
    t->out->data[t->start + 1] = t->out->len - t->start;
}

/* Strings follow the formatted area, numbered from 1 in this order. */
static void add_string(Table *t, const char *s)
{
    g_byte_array_append(t->out, (const guint8 *)s, strlen(s) + 1);
    t->nstrings++;
}

/* The string-set terminator: one more NUL, or two with no strings. */
static void end(Table *t)
{
    if (!t->nstrings) {
        put8(t->out, 0);
    }
    put8(t->out, 0);
    t->count++;
    t->max_size = MAX(t->max_size, t->out->len - t->start);
}

/* ---- the structures ---- */

/* Type 1, System Information. SMBIOS 2.6+ stores the UUID's first three
 * fields little-endian. */
static void add_type1(Table *t, const SmbiosConfig *c)
{
    uint8_t uuid[16] = { 0 };
    if (c->has_uuid) {
        static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
                                           8, 9, 10, 11, 12, 13, 14, 15 };
        for (unsigned i = 0; i < 16; i++) {
            uuid[i] = c->uuid[order[i]];
        }
    }
    begin(t, 1, 0x100);
    put8(t->out, 1);    /* manufacturer */
    put8(t->out, 2);    /* product name */
    put8(t->out, 3);    /* version */
    put8(t->out, 0);    /* serial number */
    g_byte_array_append(t->out, uuid, 16);
    put8(t->out, 6);    /* wake-up type: power switch */
    put8(t->out, 0);    /* SKU number */
    put8(t->out, 0);    /* family */
    end_formatted(t);
    add_string(t, c->manufacturer);
    add_string(t, c->product);
    add_string(t, c->version);
    end(t);
}

/* Type 3, System Enclosure. */
static void add_type3(Table *t, const SmbiosConfig *c)
{
    begin(t, 3, 0x300);
    put8(t->out, 1);    /* manufacturer */
    put8(t->out, 1);    /* type: other */
    put8(t->out, 2);    /* version */
    put8(t->out, 0);    /* serial number */
    put8(t->out, 0);    /* asset tag */
    put8(t->out, 3);    /* boot-up state: safe */
    put8(t->out, 3);    /* power supply state: safe */
    put8(t->out, 3);    /* thermal state: safe */
    put8(t->out, 2);    /* security status: unknown */
    put32(t->out, 0);   /* OEM-defined */
    put8(t->out, 0);    /* height */
    put8(t->out, 0);    /* power cords */
    put8(t->out, 0);    /* contained elements */
    put8(t->out, 0);    /* contained element record length */
    put8(t->out, 0);    /* SKU number */
    end_formatted(t);
    add_string(t, c->manufacturer);
    add_string(t, c->version);
    end(t);
}

/* Type 4, Processor Information, one per socket. */
static void add_type4(Table *t, const SmbiosConfig *c, unsigned socket)
{
    char name[32];
    snprintf(name, sizeof(name), "CPU %u", socket);
    begin(t, 4, 0x400 + socket);
    put8(t->out, 1);    /* socket designation */
    put8(t->out, 3);    /* processor type: central */
    put8(t->out, 1);    /* family: other */
    put8(t->out, 2);    /* manufacturer */
    put32(t->out, c->cpu_signature);
    put32(t->out, c->cpu_features);
    put8(t->out, 3);    /* version */
    put8(t->out, 0);    /* voltage */
    put16(t->out, 0);   /* external clock */
    put16(t->out, CPU_SPEED_MHZ);   /* max speed */
    put16(t->out, CPU_SPEED_MHZ);   /* current speed */
    put8(t->out, 0x41); /* status: socket populated, CPU enabled */
    put8(t->out, 1);    /* upgrade: other */
    put16(t->out, 0xffff);  /* L1, L2, L3 cache handles: none */
    put16(t->out, 0xffff);
    put16(t->out, 0xffff);
    put8(t->out, 0);    /* serial number */
    put8(t->out, 0);    /* asset tag */
    put8(t->out, 0);    /* part number */
    put8(t->out, MIN(c->cores_per_socket, 0xffu));     /* core count */
    put8(t->out, MIN(c->cores_per_socket, 0xffu));     /* cores enabled */
    put8(t->out, MIN(c->threads_per_socket, 0xffu));   /* thread count */
    put16(t->out, 2);   /* characteristics: unknown */
    put16(t->out, 1);   /* family 2: other */
    end_formatted(t);
    add_string(t, name);
    add_string(t, c->manufacturer);
    add_string(t, c->version);
    end(t);
}

static unsigned dimm_count(const SmbiosConfig *c)
{
    return MAX((c->ram_size + SMBIOS_DIMM_MAX - 1) / SMBIOS_DIMM_MAX, 1);
}

/* Type 16, Physical Memory Array: all of RAM. */
static void add_type16(Table *t, const SmbiosConfig *c)
{
    uint64_t kb = c->ram_size / 1024;
    begin(t, 16, 0x1000);
    put8(t->out, 1);    /* location: other */
    put8(t->out, 3);    /* use: system memory */
    put8(t->out, 6);    /* error correction: multi-bit ECC */
    put32(t->out, kb < T16_STD_MAX_KB ? kb : T16_STD_MAX_KB);
    put16(t->out, 0xfffe);  /* error information: not provided */
    put16(t->out, dimm_count(c));
    put64(t->out, kb < T16_STD_MAX_KB ? 0 : c->ram_size);
    end_formatted(t);
    end(t);
}

/* Type 17, Memory Device: RAM in 16 GiB devices, the last one smaller. */
static void add_type17(Table *t, const SmbiosConfig *c, unsigned i)
{
    uint64_t size = MIN(c->ram_size - (uint64_t)i * SMBIOS_DIMM_MAX, SMBIOS_DIMM_MAX);
    uint64_t mb = size >> 20;
    char name[32];
    snprintf(name, sizeof(name), "DIMM %u", i);
    begin(t, 17, 0x1100 + i);
    put16(t->out, 0x1000);  /* physical memory array */
    put16(t->out, 0xfffe);  /* error information: not provided */
    put16(t->out, 0xffff);  /* total width: unknown */
    put16(t->out, 0xffff);  /* data width: unknown */
    put16(t->out, mb < T17_STD_MAX_MB ? mb : T17_STD_MAX_MB);
    put8(t->out, 9);    /* form factor: DIMM */
    put8(t->out, 0);    /* device set: none */
    put8(t->out, 1);    /* device locator */
    put8(t->out, 0);    /* bank locator */
    put8(t->out, 7);    /* memory type: RAM */
    put16(t->out, 2);   /* type detail: other */
    put16(t->out, 0);   /* speed: unknown */
    put8(t->out, 2);    /* manufacturer */
    put8(t->out, 0);    /* serial number */
    put8(t->out, 0);    /* asset tag */
    put8(t->out, 0);    /* part number */
    put8(t->out, 0);    /* attributes: rank unknown */
    put32(t->out, mb < T17_STD_MAX_MB ? 0 : mb);   /* extended size, MiB */
    put16(t->out, 0);   /* configured clock speed: unknown */
    put16(t->out, 0);   /* minimum voltage */
    put16(t->out, 0);   /* maximum voltage */
    put16(t->out, 0);   /* configured voltage */
    end_formatted(t);
    add_string(t, name);
    add_string(t, c->manufacturer);
    end(t);
}

/* Type 19, Memory Array Mapped Address: one per RAM range. */
static void add_type19(Table *t, const SmbiosRange *r, unsigned i)
{
    uint64_t last = r->start + r->size - 1;
    bool std = last / 1024 < T19_STD_MAX_KB;
    begin(t, 19, 0x1300 + i);
    put32(t->out, std ? r->start / 1024 : T19_STD_MAX_KB);
    put32(t->out, std ? last / 1024 : T19_STD_MAX_KB);
    put16(t->out, 0x1000);  /* physical memory array */
    put8(t->out, 1);        /* partition width */
    put64(t->out, std ? 0 : r->start);
    put64(t->out, std ? 0 : last);
    end_formatted(t);
    end(t);
}

/* Type 32, System Boot Information: no errors. */
static void add_type32(Table *t)
{
    static const uint8_t reserved[6];
    begin(t, 32, 0x2000);
    g_byte_array_append(t->out, reserved, sizeof(reserved));
    put8(t->out, 0);
    end_formatted(t);
    end(t);
}

static void add_type127(Table *t)
{
    begin(t, 127, 0x7f00);
    end_formatted(t);
    end(t);
}

/* The 2.1 entry point: "_SM_", then the "_DMI_" intermediate anchor. */
static GBytes *build_anchor(const Table *t)
{
    g_autoptr(GByteArray) a = g_byte_array_new();
    g_byte_array_append(a, (const guint8 *)"_SM_", 4);
    put8(a, 0);                     /* checksum: the firmware's */
    put8(a, SMBIOS_ANCHOR_SIZE);
    put8(a, 2);                     /* version 2.8 */
    put8(a, 8);
    put16(a, t->max_size);
    put8(a, 0);                     /* entry point revision */
    static const uint8_t formatted[5];
    g_byte_array_append(a, formatted, sizeof(formatted));
    g_byte_array_append(a, (const guint8 *)"_DMI_", 5);
    put8(a, 0);                     /* intermediate checksum: the firmware's */
    put16(a, t->out->len);
    put32(a, 0);                    /* table address: the firmware's */
    put16(a, t->count);
    put8(a, 0x28);                  /* BCD revision */
    return g_byte_array_free_to_bytes(g_steal_pointer(&a));
}

void smbios_build(const SmbiosConfig *c, GBytes **anchor, GBytes **tables)
{
    Table t = { .out = g_byte_array_new() };
    add_type1(&t, c);
    add_type3(&t, c);
    for (unsigned i = 0; i < c->sockets; i++) {
        add_type4(&t, c, i);
    }
    add_type16(&t, c);
    for (unsigned i = 0; i < dimm_count(c); i++) {
        add_type17(&t, c, i);
    }
    for (unsigned i = 0; i < c->nranges; i++) {
        add_type19(&t, &c->ranges[i], i);
    }
    add_type32(&t);
    add_type127(&t);
    *anchor = build_anchor(&t);
    *tables = g_byte_array_free_to_bytes(t.out);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    while (len--) {
        sum += *p++;
    }
    return -sum;
}

void smbios_anchor_finish(uint8_t anchor[SMBIOS_ANCHOR_SIZE], uint32_t table_addr)
{
    uint32_t addr = GUINT32_TO_LE(table_addr);
    memcpy(anchor + 24, &addr, 4);
    anchor[21] = 0;
    anchor[21] = checksum(anchor + 16, SMBIOS_ANCHOR_SIZE - 16);
    anchor[4] = 0;
    anchor[4] = checksum(anchor, SMBIOS_ANCHOR_SIZE);
}

/* ---- from the machine ---- */

static const struct kvm_cpuid_entry2 *leaf1(const struct kvm_cpuid2 *c)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 1) {
            return &c->entries[i];
        }
    }
    return NULL;
}

/* CPUID.1 EAX/EDX of the -cpu model as the vCPUs will see it, before the
 * per-vCPU HT bit. With KVM, the model narrowed to what KVM supports (as
 * QEMU does); without, the model as QEMU's TCG gives it, qemu64 for every
 * model (qtest has no host CPU to copy). */
static void cpu_identity(Machine *m, SmbiosConfig *c)
{
    const MachineConfig *cfg = m->cfg;
    c->cpu_signature = QEMU64_SIGNATURE;
    c->cpu_features = TCG_EDX;
    g_autofree struct kvm_cpuid2 *fake = NULL;
    const struct kvm_cpuid2 *supported = m->has_kvm ? m->kvm.supported_cpuid : NULL;
    const char *model = cfg->cpu_model;
    if (!supported) {
        fake = g_malloc0(sizeof(*fake) + sizeof(fake->entries[0]));
        fake->nent = 1;
        fake->entries[0] = (struct kvm_cpuid_entry2){
            .function = 1, .eax = QEMU64_SIGNATURE, .edx = TCG_EDX,
        };
        supported = fake;
        model = "qemu64";
    }
    /* A bad -cpu flag is reported when the vCPUs are made. */
    g_autofree struct kvm_cpuid2 *built = cpuid_build(supported, model, cfg->cpu_flags, false,
                                                      NULL);
    const struct kvm_cpuid_entry2 *e = built ? leaf1(built) : NULL;
    if (e) {
        c->cpu_signature = e->eax;
        c->cpu_features = e->edx;
    }
}

void smbios_config_from_machine(Machine *m, SmbiosConfig *c)
{
    const MachineConfig *cfg = m->cfg;
    *c = (SmbiosConfig){
        .manufacturer = "QEMU",
        .product = "Standard PC (i440FX + PIIX, 1996)",
        .version = cfg->machine_type,
        .has_uuid = cfg->has_uuid,
        .sockets = cfg->sockets,
        .cores_per_socket = cfg->dies * cfg->cores,
        .threads_per_socket = cfg->dies * cfg->cores * cfg->threads,
        .ram_size = cfg->ram_size,
    };
    memcpy(c->uuid, cfg->uuid, sizeof(c->uuid));
    cpu_identity(m, c);
    for (unsigned i = 0; i < m->ram.nslots && i < SMBIOS_MAX_RANGES; i++) {
        c->ranges[c->nranges++] = (SmbiosRange){ m->ram.slots[i].gpa, m->ram.slots[i].size };
    }
}
