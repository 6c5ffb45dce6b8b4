/* CPUID for -cpu qemu64 (src/kvm/cpuid.c): whatever the host is, the guest
 * sees QEMU 7.2's qemu64 identity: vendor, signature and brand string. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "kvm/cpuid.h"

static struct kvm_cpuid2 *fake_supported(void)
{
    static const uint32_t leaves[] = { 0, 1, 7, 0x80000000, 0x80000001, 0x80000002,
                                       0x80000003, 0x80000004 };
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + G_N_ELEMENTS(leaves) * sizeof(c->entries[0]));
    c->nent = G_N_ELEMENTS(leaves);
    for (guint i = 0; i < G_N_ELEMENTS(leaves); i++) {
        c->entries[i].function = leaves[i];
        /* a made-up host: GenuineIntel-like registers everywhere */
        c->entries[i].eax = 0x000906ea;
        c->entries[i].ebx = c->entries[i].ecx = c->entries[i].edx = 0xffffffff;
    }
    return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == fn) {
            return &c->entries[i];
        }
    }
    g_assert_not_reached();
}

static void test_qemu64_identity(void)
{
    g_autofree struct kvm_cpuid2 *supported = fake_supported();
    g_autoptr(GError) err = NULL;
    g_autofree struct kvm_cpuid2 *c = cpuid_build(supported, "qemu64", NULL, false, &err);
    g_assert_no_error(err);
    g_assert_cmphex(leaf(c, 1)->eax, ==, 0x00060fb1);
    g_assert_cmphex(leaf(c, 0x80000001)->eax, ==, 0x00060fb1);
    char vendor[13] = { 0 };
    memcpy(vendor, &leaf(c, 0)->ebx, 4);
    memcpy(vendor + 4, &leaf(c, 0)->edx, 4);
    memcpy(vendor + 8, &leaf(c, 0)->ecx, 4);
    g_assert_cmpstr(vendor, ==, "AuthenticAMD");
    char brand[49] = { 0 };
    for (uint32_t i = 0; i < 3; i++) {
        memcpy(brand + 16 * i, &leaf(c, 0x80000002 + i)->eax, 16);
    }
    g_assert_cmpstr(brand, ==, "QEMU Virtual CPU version 2.5+");
}

static void test_host_keeps_identity(void)
{
    g_autofree struct kvm_cpuid2 *supported = fake_supported();
    g_autoptr(GError) err = NULL;
    g_autofree struct kvm_cpuid2 *c = cpuid_build(supported, "host", NULL, false, &err);
    g_assert_no_error(err);
    g_assert_cmphex(leaf(c, 1)->eax, ==, 0x000906ea);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuid/qemu64-identity", test_qemu64_identity);
    g_test_add_func("/cpuid/host-keeps-identity", test_host_keeps_identity);
    return g_test_run();
}
