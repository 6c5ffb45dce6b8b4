/* The ACPI tables: checksums and pointers, the AML encoder's length and
 * name encodings, and the DSDT as Intel's disassembler (iasl, from
 * acpica-tools) reads it back: no errors, and the objects a guest needs
 * (\_S5, \_SB.PCI0 with _CRS and _PRT, the PIIX3 links) where expected. */
#include "board/acpi.h"
#include "board/aml.h"

#include <glib/gstdio.h>
#include <string.h>

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static const uint32_t apic_ids[] = { 0, 1 };
static const AcpiBoard board = { .ncpus = 2, .apic_ids = apic_ids,
                                 .ram_below_4g = 128 << 20, .ram_above_4g = 0 };
#define BASE 0xe0000

/* Finds a table through the RSDT, checking every checksum on the way. */
static const uint8_t *find_table(GByteArray *t, const char *sig)
{
    const uint8_t *rsdp = t->data;
    g_assert(!memcmp(rsdp, "RSD PTR ", 8));
    g_assert_cmpuint(sum(rsdp, 20), ==, 0);
    g_assert_cmpuint(sum(rsdp, 36), ==, 0);
    const uint8_t *rsdt = t->data + le32(rsdp + 16) - BASE;
    g_assert(!memcmp(rsdt, "RSDT", 4));
    g_assert_cmpuint(sum(rsdt, le32(rsdt + 4)), ==, 0);
    for (uint32_t off = 36; off < le32(rsdt + 4); off += 4) {
        const uint8_t *tab = t->data + le32(rsdt + off) - BASE;
        g_assert_cmpuint(sum(tab, le32(tab + 4)), ==, 0);
        if (!memcmp(tab, sig, 4)) {
            return tab;
        }
        if (!memcmp(sig, "DSDT", 4) && !memcmp(tab, "FACP", 4)) {
            const uint8_t *dsdt = t->data + le32(tab + 40) - BASE;
            g_assert_cmpuint(sum(dsdt, le32(dsdt + 4)), ==, 0);
            return dsdt;
        }
    }
    return NULL;
}

static void test_tables(void)
{
    g_autoptr(GByteArray) t = acpi_build_tables(&board, NULL, BASE);
    g_assert_nonnull(find_table(t, "FACP"));
    g_assert_nonnull(find_table(t, "APIC"));
    const uint8_t *dsdt = find_table(t, "DSDT");
    g_assert_nonnull(dsdt);
    g_assert_cmpuint(le32(dsdt + 4), >, 1000);
}

/* PkgLength: one byte up to 63 in all, then a lead byte + 1..3 bytes. */
static void test_pkglength(void)
{
    static const struct { guint body; guint n; } cases[] = {
        { 0, 1 }, { 62, 1 }, { 63, 2 }, { 4093, 2 }, { 4094, 3 }, { 0xffffc, 3 }, { 0xffffd, 4 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        AmlBlock at = aml_if_open(b);
        g_byte_array_set_size(b, b->len + cases[i].body);
        memset(b->data + at, 0xaa, cases[i].body);
        aml_close(b, at);
        guint n = cases[i].n, total = cases[i].body + n;
        g_assert_cmpuint(b->len, ==, 1 + total);
        const uint8_t *p = b->data + 1;
        guint got = n == 1 ? p[0] : p[0] & 0xf;
        for (guint k = 1; k < n; k++) {
            got |= (guint)p[k] << (4 + 8 * (k - 1));
        }
        g_assert_cmpuint(p[0] >> 6, ==, n - 1);
        g_assert_cmpuint(got, ==, total);
        if (cases[i].body) {
            g_assert_cmpuint(p[n], ==, 0xaa);
        }
    }
}

static void test_names(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    aml_name_string(b, "\\_SB.PCI0.ISA");
    aml_name_string(b, "^LNK");
    aml_name_string(b, "\\_S5");
    aml_eisaid(b, "PNP0A03");
    static const uint8_t want[] = {
        '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_',
        '^', 'L', 'N', 'K', '_',
        '\\', '_', 'S', '5', '_',
        0x0c, 0x41, 0xd0, 0x0a, 0x03,
    };
    g_assert_cmpmem(b->data, b->len, want, sizeof(want));
}

static void test_iasl(void)
{
    g_autofree char *iasl = g_find_program_in_path("iasl");
    if (!iasl) {
        g_test_skip("iasl (acpica-tools) is not installed");
        return;
    }
    g_autoptr(GByteArray) t = acpi_build_tables(&board, NULL, BASE);
    const uint8_t *dsdt = find_table(t, "DSDT");
    g_autofree char *dir = g_dir_make_tmp("tern-acpi-XXXXXX", NULL);
    g_autofree char *dat = g_build_filename(dir, "dsdt.dat", NULL);
    g_autofree char *dsl = g_build_filename(dir, "dsdt.dsl", NULL);
    g_assert(g_file_set_contents(dat, (const char *)dsdt, le32(dsdt + 4), NULL));
    const char *argv[] = { iasl, "-d", dat, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status;
    g_assert(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                          &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_autofree char *text = NULL;
    g_assert(g_file_get_contents(dsl, &text, NULL, NULL));
    g_assert_null(strstr(out, "Error"));
    g_assert_null(strstr(err, "Error"));
    static const char *const want[] = {
        "Name (\\_S5, Package (0x04)",
        "Device (PCI0)",
        "Name (_HID, EisaId (\"PNP0A03\")",
        "0x08000000,         // Range Minimum",   /* the 32-bit hole starts at RAM's top */
        "0xFEBFFFFF,         // Range Maximum",
        "Name (_PRT, Package (0x80)",
        "0x0001FFFF, \n                    Zero, \n                    \\_SB.LNKS",
        "0x0002FFFF, \n                    Zero, \n                    \\_SB.LNKB",
        "OperationRegion (P40C, PCI_Config, 0x60, 0x04)",
        "Device (LNKD)",
        "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, )",
        "\\_SB.PCI0.ISA.PRQ3 = PRRI",
        /* PCI hot-plug (docs/hotplug.md) */
        "OperationRegion (PCST, SystemIO, 0xAE00, 0x14)",
        "Field (PCST, DWordAcc, NoLock, WriteAsZeros)",
        "B0EJ = (One << Arg0)",
        "Device (S10)\n            {\n                Name (_ADR, 0x00020000)",
        "Device (SF8)",
        "Local0 = PCIU",
        "Notify (S10, One) // Device Check",
        "Notify (SF8, 0x03) // Eject Request",
        "Method (_E01, 0, NotSerialized)",
        "\\_SB.PCI0.PCNT ()",
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        if (!strstr(text, want[i])) {
            g_test_message("missing: %s", want[i]);
            g_test_fail();
        }
    }
    g_unlink(dat);
    g_unlink(dsl);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi/tables", test_tables);
    g_test_add_func("/acpi/aml/pkglength", test_pkglength);
    g_test_add_func("/acpi/aml/names", test_names);
    g_test_add_func("/acpi/dsdt/iasl", test_iasl);
    return g_test_run();
}
