#include "kvm/cpuid.h"
#include "util/error.h"
#include "util/bits.h"
#include "util/opts.h"

#include <string.h>

enum { R_EAX, R_EBX, R_ECX, R_EDX };

typedef struct {
    const char *name;
    uint32_t leaf;
    uint8_t reg;
    uint8_t bit;
} CpuidFeature;

/* Names as QEMU spells them (target/i386 feature words). */
static const CpuidFeature features[] = {
    { "fpu", 1, R_EDX, 0 }, { "vme", 1, R_EDX, 1 }, { "de", 1, R_EDX, 2 },
    { "pse", 1, R_EDX, 3 }, { "tsc", 1, R_EDX, 4 }, { "msr", 1, R_EDX, 5 },
    { "pae", 1, R_EDX, 6 }, { "mce", 1, R_EDX, 7 }, { "cx8", 1, R_EDX, 8 },
    { "apic", 1, R_EDX, 9 }, { "sep", 1, R_EDX, 11 }, { "mtrr", 1, R_EDX, 12 },
    { "pge", 1, R_EDX, 13 }, { "mca", 1, R_EDX, 14 }, { "cmov", 1, R_EDX, 15 },
    { "pat", 1, R_EDX, 16 }, { "pse36", 1, R_EDX, 17 }, { "clflush", 1, R_EDX, 19 },
    { "mmx", 1, R_EDX, 23 }, { "fxsr", 1, R_EDX, 24 }, { "sse", 1, R_EDX, 25 },
    { "sse2", 1, R_EDX, 26 }, { "ss", 1, R_EDX, 27 }, { "ht", 1, R_EDX, 28 },
    { "pni", 1, R_ECX, 0 }, { "sse3", 1, R_ECX, 0 }, { "pclmulqdq", 1, R_ECX, 1 },
    { "monitor", 1, R_ECX, 3 }, { "vmx", 1, R_ECX, 5 }, { "ssse3", 1, R_ECX, 9 },
    { "fma", 1, R_ECX, 12 }, { "cx16", 1, R_ECX, 13 }, { "pdcm", 1, R_ECX, 15 },
    { "pcid", 1, R_ECX, 17 }, { "sse4.1", 1, R_ECX, 19 }, { "sse4_1", 1, R_ECX, 19 },
    { "sse4.2", 1, R_ECX, 20 }, { "sse4_2", 1, R_ECX, 20 }, { "x2apic", 1, R_ECX, 21 },
    { "movbe", 1, R_ECX, 22 }, { "popcnt", 1, R_ECX, 23 },
    { "tsc-deadline", 1, R_ECX, 24 }, { "aes", 1, R_ECX, 25 }, { "xsave", 1, R_ECX, 26 },
    { "avx", 1, R_ECX, 28 }, { "f16c", 1, R_ECX, 29 }, { "rdrand", 1, R_ECX, 30 },
    { "hypervisor", 1, R_ECX, 31 },
    { "fsgsbase", 7, R_EBX, 0 }, { "bmi1", 7, R_EBX, 3 }, { "hle", 7, R_EBX, 4 },
    { "avx2", 7, R_EBX, 5 }, { "smep", 7, R_EBX, 7 }, { "bmi2", 7, R_EBX, 8 },
    { "erms", 7, R_EBX, 9 }, { "invpcid", 7, R_EBX, 10 }, { "rtm", 7, R_EBX, 11 },
    { "avx512f", 7, R_EBX, 16 }, { "rdseed", 7, R_EBX, 18 }, { "adx", 7, R_EBX, 19 },
    { "smap", 7, R_EBX, 20 }, { "clflushopt", 7, R_EBX, 23 }, { "clwb", 7, R_EBX, 24 },
    { "sha-ni", 7, R_EBX, 29 }, { "umip", 7, R_ECX, 2 }, { "pku", 7, R_ECX, 3 },
    { "vaes", 7, R_ECX, 9 }, { "vpclmulqdq", 7, R_ECX, 10 }, { "rdpid", 7, R_ECX, 22 },
    { "la57", 7, R_ECX, 16 }, { "md-clear", 7, R_EDX, 10 }, { "spec-ctrl", 7, R_EDX, 26 },
    { "arch-capabilities", 7, R_EDX, 29 }, { "ssbd", 7, R_EDX, 31 },
    { "lahf-lm", 0x80000001, R_ECX, 0 }, { "lahf_lm", 0x80000001, R_ECX, 0 },
    { "svm", 0x80000001, R_ECX, 2 }, { "abm", 0x80000001, R_ECX, 5 },
    { "sse4a", 0x80000001, R_ECX, 6 }, { "3dnowprefetch", 0x80000001, R_ECX, 8 },
    { "syscall", 0x80000001, R_EDX, 11 }, { "nx", 0x80000001, R_EDX, 20 },
    { "xd", 0x80000001, R_EDX, 20 }, { "mmxext", 0x80000001, R_EDX, 22 },
    { "pdpe1gb", 0x80000001, R_EDX, 26 }, { "rdtscp", 0x80000001, R_EDX, 27 },
    { "lm", 0x80000001, R_EDX, 29 },
};

/* qemu64: QEMU's default model (leaf 1 EDX/ECX, 0x80000001 EDX/ECX). */
static const char *const qemu64_features[] = {
    "fpu", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge",
    "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2",
    "pni", "cx16", "x2apic", "hypervisor", "tsc-deadline",
    "lahf_lm", "syscall", "nx", "lm",
};

static const CpuidFeature *find_feature(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(features); i++) {
        if (!strcmp(features[i].name, name)) {
            return &features[i];
        }
    }
    return NULL;
}

bool cpuid_feature_known(const char *name)
{
    return find_feature(name) != NULL;
}

static struct kvm_cpuid_entry2 *find_entry(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t index)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == leaf &&
            (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
             c->entries[i].index == index)) {
            return &c->entries[i];
        }
    }
    return NULL;
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, int reg)
{
    switch (reg) {
    case R_EAX: return &e->eax;
    case R_EBX: return &e->ebx;
    case R_ECX: return &e->ecx;
    default: return &e->edx;
    }
}

static void set_feature(struct kvm_cpuid2 *c, const struct kvm_cpuid2 *supported,
                        const CpuidFeature *f, bool on)
{
    struct kvm_cpuid_entry2 *e = find_entry(c, f->leaf, 0);
    if (!e) {
        return;
    }
    uint32_t *r = reg_of(e, f->reg);
    if (on) {
        /* Only what KVM can give; anything else would lie to the guest. */
        struct kvm_cpuid_entry2 *s = find_entry((struct kvm_cpuid2 *)supported, f->leaf, 0);
        bool can = s && (*reg_of(s, f->reg) & (1u << f->bit));
        if (f->leaf == 1 && f->reg == R_ECX && f->bit == 31) {
            can = true;
        }
        if (can) {
            *r |= 1u << f->bit;
        }
    } else {
        *r &= ~(1u << f->bit);
    }
}

static struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c)
{
    size_t sz = sizeof(*c) + c->nent * sizeof(c->entries[0]);
    return g_memdup2(c, sz);
}

/* What a qemu64 guest reads about its CPU, as QEMU 7.2 presents it:
 * AuthenticAMD, family 15 model 107 stepping 1, and QEMU's brand string. */
#define QEMU64_SIGNATURE 0x00060fb1u

static void set_vendor(struct kvm_cpuid_entry2 *e, const char *vendor)
{
    if (e) {
        memcpy(&e->ebx, vendor, 4);
        memcpy(&e->edx, vendor + 4, 4);
        memcpy(&e->ecx, vendor + 8, 4);
    }
}

static void set_qemu64_identity(struct kvm_cpuid2 *c)
{
    set_vendor(find_entry(c, 0, 0), "AuthenticAMD");
    set_vendor(find_entry(c, 0x80000000, 0), "AuthenticAMD");
    struct kvm_cpuid_entry2 *e = find_entry(c, 1, 0);
    if (e) {
        e->eax = QEMU64_SIGNATURE;
    }
    if ((e = find_entry(c, 0x80000001, 0))) {
        e->eax = QEMU64_SIGNATURE;
    }
    char brand[48] = "QEMU Virtual CPU version 2.5+";
    for (uint32_t i = 0; i < 3; i++) {
        if ((e = find_entry(c, 0x80000002 + i, 0))) {
            memcpy(&e->eax, brand + 16 * i, 4);
            memcpy(&e->ebx, brand + 16 * i + 4, 4);
            memcpy(&e->ecx, brand + 16 * i + 8, 4);
            memcpy(&e->edx, brand + 16 * i + 12, 4);
        }
    }
}

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported, const char *model,
                               GPtrArray *flags, bool tsc_deadline, GError **errp)
{
    g_autofree struct kvm_cpuid2 *c = cpuid_dup(supported);
    g_autofree struct kvm_cpuid2 *can = cpuid_dup(supported);
    struct kvm_cpuid_entry2 *leaf1 = find_entry(can, 1, 0);
    if (tsc_deadline && leaf1) {
        leaf1->ecx |= 1u << 24;
        find_entry(c, 1, 0)->ecx |= 1u << 24;
    }
    supported = can;

    if (!strcmp(model, "qemu64")) {
        /* Clear every named feature, then set qemu64's. */
        for (guint i = 0; i < G_N_ELEMENTS(features); i++) {
            set_feature(c, supported, &features[i], false);
        }
        struct kvm_cpuid_entry2 *e7 = find_entry(c, 7, 0);
        if (e7) {
            e7->ebx = e7->ecx = e7->edx = 0;
        }
        for (guint i = 0; i < G_N_ELEMENTS(qemu64_features); i++) {
            set_feature(c, supported, find_feature(qemu64_features[i]), true);
        }
        set_qemu64_identity(c);
    }
    /* A hypervisor is always present. */
    set_feature(c, supported, find_feature("hypervisor"), true);

    for (guint i = 0; flags && i < flags->len; i++) {
        const char *flag = g_ptr_array_index(flags, i);
        g_autofree char *name = NULL;
        bool on;
        if (flag[0] == '+' || flag[0] == '-') {
            name = g_strdup(flag + 1);
            on = flag[0] == '+';
        } else {
            const char *eq = strchr(flag, '=');
            if (!eq) {
                name = g_strdup(flag);
                on = true;
            } else {
                name = g_strndup(flag, eq - flag);
                if (!parse_bool(eq + 1, &on)) {
                    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                                "Parameter '%s' expects 'on' or 'off'", name);
                    return NULL;
                }
            }
        }
        const CpuidFeature *f = find_feature(name);
        if (!f) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Property '%s-x86_64-cpu.%s' not found", model, name);
            return NULL;
        }
        set_feature(c, supported, f, on);
    }
    return g_steal_pointer(&c);
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *tmpl, unsigned apic_id,
                                  const CpuTopology *topo)
{
    struct kvm_cpuid2 *c = cpuid_dup(tmpl);
    unsigned tb = bits_for_count(topo->threads);
    unsigned pkg_bits = tb + bits_for_count(topo->cores) + bits_for_count(topo->dies);
    unsigned per_pkg = topo->threads * topo->cores * topo->dies;
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            /* Initial APIC ID; addressable logical processors per package. */
            e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) |
                     (MIN(1u << pkg_bits, 255u) << 16);
            if (per_pkg > 1) {
                e->edx |= 1u << 28;
            } else {
                e->edx &= ~(1u << 28);
            }
            break;
        case 0xb:
        case 0x1f:
            /* Extended topology: SMT level, then core level (dies folded in). */
            if (e->index == 0) {
                e->eax = tb, e->ebx = topo->threads, e->ecx = (1 << 8) | 0;
            } else if (e->index == 1) {
                e->eax = pkg_bits, e->ebx = per_pkg, e->ecx = (2 << 8) | 1;
            } else {
                e->eax = e->ebx = 0, e->ecx = e->index;
            }
            e->edx = apic_id;
            break;
        default:
            break;
        }
    }
    return c;
}
