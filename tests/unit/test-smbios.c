/* SMBIOS tables (src/board/smbios.h), checked against DMTF's SMBIOS 2.8
 * specification (DSP0134): 5.2.1 the 2.1 entry point, 6.1 structure
 * layout and strings, 7.2/7.4/7.5/7.17/7.18/7.20 the structures used. */
#include <glib.h>
#include <string.h>

#include "board/smbios.h"

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return GUINT16_FROM_LE(v); }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return GUINT32_FROM_LE(v); }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return GUINT64_FROM_LE(v); }

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

/* -m 20G -smp 4,sockets=2,cores=2,threads=1: two ranges, two DIMMs. */
static SmbiosConfig config_20g(void)
{
    return (SmbiosConfig){
        .manufacturer = "QEMU", .product = "Standard PC (i440FX + PIIX, 1996)",
        .version = "pc-i440fx-7.2",
        .has_uuid = true,
        .uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                  0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 },
        .cpu_signature = 0x00060fb1, .cpu_features = 0x078bfbfd,
        .sockets = 2, .cores_per_socket = 2, .threads_per_socket = 2,
        .ram_size = 20ULL << 30,
        .nranges = 2,
        .ranges = { { 0, 3ULL << 30 }, { 4ULL << 30, 17ULL << 30 } },
    };
}

typedef struct {
    const uint8_t *p;        /* formatted area */
    const char *strings[8];  /* string 1 is strings[0] */
    unsigned nstrings;
    size_t size;             /* with strings and terminator */
} Structure;

/* Walks the table; fails the test on a malformed structure. */
static GArray *walk(GBytes *tables)
{
    gsize len;
    const uint8_t *p = g_bytes_get_data(tables, &len);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(Structure));
    size_t off = 0;
    while (off < len) {
        Structure s = { .p = p + off };
        g_assert_cmpuint(off + 4, <=, len);
        g_assert_cmpuint(p[off + 1], >=, 4);
        size_t str = off + p[off + 1];
        /* Strings up to the double NUL; with none, just the two NULs. */
        if (p[str] == 0) {
            g_assert_cmpuint(str + 1, <, len);
            g_assert_cmpuint(p[str + 1], ==, 0);
            str += 2;
        } else {
            while (p[str] != 0) {
                const uint8_t *nul = memchr(p + str, 0, len - str);
                g_assert_nonnull(nul);
                g_assert_cmpuint(s.nstrings, <, G_N_ELEMENTS(s.strings));
                s.strings[s.nstrings++] = (const char *)p + str;
                str = nul - p + 1;
                g_assert_cmpuint(str, <, len);
            }
            str++;
        }
        s.size = str - off;
        g_array_append_val(out, s);
        off = str;
    }
    g_assert_cmpuint(off, ==, len);
    return out;
}

static const Structure *nth(GArray *a, guint i)
{
    return &g_array_index(a, Structure, i);
}

static void test_anchor(void)
{
    SmbiosConfig c = config_20g();
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    gsize alen;
    const uint8_t *a = g_bytes_get_data(anchor, &alen);
    g_assert_cmpuint(alen, ==, SMBIOS_ANCHOR_SIZE);
    g_assert_cmpmem(a, 4, "_SM_", 4);
    g_assert_cmpuint(a[5], ==, SMBIOS_ANCHOR_SIZE);
    g_assert_cmpuint(a[6], ==, 2);
    g_assert_cmpuint(a[7], ==, 8);
    g_assert_cmpmem(a + 16, 5, "_DMI_", 5);
    g_assert_cmpuint(a[30], ==, 0x28);
    /* Checksums and address are the firmware's: 0, as QEMU leaves them. */
    g_assert_cmpuint(a[4], ==, 0);
    g_assert_cmpuint(a[21], ==, 0);
    g_assert_cmpuint(rd32(a + 24), ==, 0);

    g_autoptr(GArray) s = walk(tables);
    g_assert_cmpuint(rd16(a + 22), ==, g_bytes_get_size(tables));
    g_assert_cmpuint(rd16(a + 28), ==, s->len);
    size_t max = 0;
    for (guint i = 0; i < s->len; i++) {
        max = MAX(max, nth(s, i)->size);
    }
    g_assert_cmpuint(rd16(a + 8), ==, max);

    uint8_t fixed[SMBIOS_ANCHOR_SIZE];
    memcpy(fixed, a, sizeof(fixed));
    smbios_anchor_finish(fixed, 0xf0000);
    g_assert_cmphex(rd32(fixed + 24), ==, 0xf0000);
    g_assert_cmpuint(sum8(fixed + 16, SMBIOS_ANCHOR_SIZE - 16), ==, 0);
    g_assert_cmpuint(sum8(fixed, SMBIOS_ANCHOR_SIZE), ==, 0);
}

static void test_structures(void)
{
    SmbiosConfig c = config_20g();
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    g_autoptr(GArray) s = walk(tables);
    static const uint8_t types[] = { 1, 3, 4, 4, 16, 17, 17, 19, 19, 32, 127 };
    static const uint8_t lengths[] = { 0x1b, 0x16, 0x2a, 0x2a, 0x17, 0x28, 0x28,
                                       0x1f, 0x1f, 0x0b, 0x04 };
    g_assert_cmpuint(s->len, ==, G_N_ELEMENTS(types));
    g_autoptr(GHashTable) handles = g_hash_table_new(NULL, NULL);
    for (guint i = 0; i < s->len; i++) {
        const uint8_t *p = nth(s, i)->p;
        g_assert_cmpuint(p[0], ==, types[i]);
        g_assert_cmpuint(p[1], ==, lengths[i]);
        /* Handles are unique. */
        g_assert_true(g_hash_table_add(handles, GUINT_TO_POINTER(rd16(p + 2))));
    }
}

static void test_system(void)
{
    SmbiosConfig c = config_20g();
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    g_autoptr(GArray) s = walk(tables);
    const Structure *t1 = nth(s, 0);
    g_assert_cmpuint(t1->nstrings, ==, 3);
    g_assert_cmpstr(t1->strings[t1->p[4] - 1], ==, "QEMU");
    g_assert_cmpstr(t1->strings[t1->p[5] - 1], ==, "Standard PC (i440FX + PIIX, 1996)");
    g_assert_cmpstr(t1->strings[t1->p[6] - 1], ==, "pc-i440fx-7.2");
    /* 7.2.1: time_low, time_mid, time_hi_and_version little-endian. */
    static const uint8_t uuid[16] = { 0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    g_assert_cmpmem(t1->p + 8, 16, uuid, 16);
}

static void test_processor(void)
{
    SmbiosConfig c = config_20g();
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    g_autoptr(GArray) s = walk(tables);
    for (unsigned i = 0; i < 2; i++) {
        const Structure *t4 = nth(s, 2 + i);
        g_autofree char *name = g_strdup_printf("CPU %u", i);
        g_assert_cmpstr(t4->strings[t4->p[4] - 1], ==, name);
        g_assert_cmphex(rd32(t4->p + 8), ==, 0x00060fb1);
        g_assert_cmphex(rd32(t4->p + 12), ==, 0x078bfbfd);
        g_assert_cmpuint(t4->p[0x23], ==, 2);   /* cores */
        g_assert_cmpuint(t4->p[0x24], ==, 2);   /* enabled */
        g_assert_cmpuint(t4->p[0x25], ==, 2);   /* threads */
    }
}

static void test_memory(void)
{
    SmbiosConfig c = config_20g();
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    g_autoptr(GArray) s = walk(tables);
    const uint8_t *t16 = nth(s, 4)->p;
    g_assert_cmphex(rd32(t16 + 7), ==, 20 << 20);       /* KiB */
    g_assert_cmpuint(rd16(t16 + 13), ==, 2);            /* devices */
    /* 16 GiB, then the rest, each pointing at the array. */
    g_assert_cmpuint(rd16(nth(s, 5)->p + 12), ==, 16384);
    g_assert_cmpuint(rd16(nth(s, 6)->p + 12), ==, 4096);
    g_assert_cmphex(rd16(nth(s, 6)->p + 4), ==, rd16(t16 + 2));
    g_assert_cmpstr(nth(s, 6)->strings[0], ==, "DIMM 1");
    /* Ranges in KiB, inclusive ends. */
    g_assert_cmphex(rd32(nth(s, 7)->p + 4), ==, 0);
    g_assert_cmphex(rd32(nth(s, 7)->p + 8), ==, (3 << 20) - 1);
    g_assert_cmphex(rd32(nth(s, 8)->p + 4), ==, 4 << 20);
    g_assert_cmphex(rd32(nth(s, 8)->p + 8), ==, (21 << 20) - 1);
}

/* Past 2 TiB (type 16) and 4 TiB (type 19) the extended fields, in bytes. */
static void test_extended(void)
{
    SmbiosConfig c = config_20g();
    c.ram_size = 5ULL << 40;
    c.nranges = 2;
    c.ranges[1] = (SmbiosRange){ 4ULL << 30, c.ram_size - (3ULL << 30) };
    g_autoptr(GBytes) anchor = NULL, tables = NULL;
    smbios_build(&c, &anchor, &tables);
    g_autoptr(GArray) s = walk(tables);
    const uint8_t *t16 = nth(s, 4)->p;
    g_assert_cmphex(rd32(t16 + 7), ==, 0x80000000);
    g_assert_cmphex(rd64(t16 + 15), ==, c.ram_size);
    g_assert_cmpuint(rd16(t16 + 13), ==, 320);
    const uint8_t *t19 = nth(s, 4 + 1 + 320 + 1)->p;
    g_assert_cmpuint(t19[0], ==, 19);
    g_assert_cmphex(rd32(t19 + 4), ==, 0xffffffff);
    g_assert_cmphex(rd32(t19 + 8), ==, 0xffffffff);
    g_assert_cmphex(rd64(t19 + 15), ==, 4ULL << 30);
    g_assert_cmphex(rd64(t19 + 23), ==, (4ULL << 30) + c.ranges[1].size - 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/smbios/anchor", test_anchor);
    g_test_add_func("/smbios/structures", test_structures);
    g_test_add_func("/smbios/system", test_system);
    g_test_add_func("/smbios/processor", test_processor);
    g_test_add_func("/smbios/memory", test_memory);
    g_test_add_func("/smbios/extended", test_extended);
    return g_test_run();
}
