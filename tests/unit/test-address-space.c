/* Address spaces (src/board/address-space.h): a sorted region table with
 * binary-search dispatch; unclaimed reads float high, as on an ISA bus. */
#include <glib.h>
#include <string.h>

#include "board/address-space.h"
#include "util/error.h"

/* A recording fake region: each region remembers the last access. */
typedef struct {
    unsigned id;
    unsigned reads, writes;
    uint64_t last_offset;
    unsigned last_size;
    uint64_t last_value;
} FakeRegion;

static uint64_t fake_read(void *opaque, uint64_t offset, unsigned size)
{
    FakeRegion *r = opaque;
    r->reads++;
    r->last_offset = offset;
    r->last_size = size;
    /* Identify the region and the offset in the value. */
    return ((uint64_t)r->id << 32) | offset;
}

static void fake_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FakeRegion *r = opaque;
    r->writes++;
    r->last_offset = offset;
    r->last_size = size;
    r->last_value = value;
}

static const TernRegionOps fake_ops = { .read = fake_read, .write = fake_write };
static const TernRegionOps write_only_ops = { .write = fake_write };
static const TernRegionOps no_ops = { 0 };

static void add_ok(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
                   const TernRegionOps *ops, void *opaque)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(address_space_add(as, name, base, size, ops, opaque, &err));
    g_assert_no_error(err);
}

static void test_add_lookup(void)
{
    AddressSpace *as = address_space_new("I/O");
    FakeRegion a = { .id = 1 }, b = { .id = 2 };
    add_ok(as, "serial", 0x3f8, 8, &fake_ops, &a);
    add_ok(as, "rtc", 0x70, 2, &fake_ops, &b);
    g_assert_cmpuint(address_space_count(as), ==, 2);

    uint64_t v = 0;
    g_assert_true(address_space_read(as, 0x3fd, &v, 1));
    g_assert_cmphex(v, ==, (1ULL << 32) | 5);
    g_assert_cmpuint(a.reads, ==, 1);
    g_assert_cmpuint(a.last_offset, ==, 5);
    g_assert_cmpuint(a.last_size, ==, 1);

    g_assert_true(address_space_write(as, 0x71, 0xab, 1));
    g_assert_cmpuint(b.writes, ==, 1);
    g_assert_cmpuint(b.last_offset, ==, 1);
    g_assert_cmphex(b.last_value, ==, 0xab);
    g_assert_cmpuint(a.writes, ==, 0);
    address_space_free(as);
}

static void test_region_edges(void)
{
    AddressSpace *as = address_space_new("memory");
    FakeRegion a = { .id = 1 }, b = { .id = 2 };
    /* Two regions back to back. */
    add_ok(as, "a", 0x1000, 0x1000, &fake_ops, &a);
    add_ok(as, "b", 0x2000, 0x10, &fake_ops, &b);
    uint64_t v;
    g_assert_true(address_space_read(as, 0x1000, &v, 4));
    g_assert_cmphex(v, ==, (1ULL << 32) | 0);
    g_assert_true(address_space_read(as, 0x1fff, &v, 1));
    g_assert_cmphex(v, ==, (1ULL << 32) | 0xfff);
    g_assert_true(address_space_read(as, 0x2000, &v, 1));
    g_assert_cmphex(v, ==, (2ULL << 32) | 0);
    g_assert_true(address_space_read(as, 0x200f, &v, 1));
    g_assert_cmphex(v, ==, (2ULL << 32) | 0xf);
    /* Just outside. */
    g_assert_false(address_space_read(as, 0xfff, &v, 1));
    g_assert_false(address_space_read(as, 0x2010, &v, 1));
    g_assert_cmpuint(a.reads, ==, 2);
    g_assert_cmpuint(b.reads, ==, 2);
    address_space_free(as);
}

static void test_top_of_space(void)
{
    /* A region ending exactly at 2^64 - 1 is valid. */
    AddressSpace *as = address_space_new("memory");
    FakeRegion a = { .id = 7 };
    add_ok(as, "top", UINT64_MAX - 0xfff, 0x1000, &fake_ops, &a);
    uint64_t v;
    g_assert_true(address_space_read(as, UINT64_MAX, &v, 1));
    g_assert_cmphex(v, ==, (7ULL << 32) | 0xfff);
    g_assert_false(address_space_read(as, UINT64_MAX - 0x1000, &v, 1));
    g_assert_false(address_space_read(as, 0, &v, 1));
    address_space_free(as);
}

static void test_many_regions_random_order(void)
{
    enum { N = 1000, STRIDE = 0x100, SIZE = 0x40 };
    AddressSpace *as = address_space_new("memory");
    FakeRegion *regs = g_new0(FakeRegion, N);
    guint order[N];
    for (guint i = 0; i < N; i++) {
        order[i] = i;
    }
    GRand *rand = g_rand_new_with_seed(0x7e57);
    for (guint i = N - 1; i > 0; i--) {
        guint j = g_rand_int_range(rand, 0, i + 1);
        guint t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (guint k = 0; k < N; k++) {
        guint i = order[k];
        regs[i].id = i;
        g_autofree char *name = g_strdup_printf("r%u", i);
        add_ok(as, name, 0x10000 + (uint64_t)i * STRIDE, SIZE, &fake_ops, &regs[i]);
    }
    g_assert_cmpuint(address_space_count(as), ==, N);

    for (guint i = 0; i < N; i++) {
        uint64_t base = 0x10000 + (uint64_t)i * STRIDE;
        uint64_t v = 0;
        g_assert_true(address_space_read(as, base, &v, 1));
        g_assert_cmphex(v, ==, ((uint64_t)i << 32) | 0);
        g_assert_true(address_space_read(as, base + SIZE - 1, &v, 1));
        g_assert_cmphex(v, ==, ((uint64_t)i << 32) | (SIZE - 1));
        /* The gap after each region belongs to nobody. */
        g_assert_false(address_space_read(as, base + SIZE, &v, 1));
        g_assert_false(address_space_write(as, base + STRIDE - 1, 0, 1));
        g_assert_cmpuint(regs[i].reads, ==, 2);
        g_assert_cmpuint(regs[i].writes, ==, 0);
    }
    /* Random probes agree with a linear model. */
    for (guint k = 0; k < 20000; k++) {
        uint64_t addr = g_rand_int_range(rand, 0, 0x10000 + N * STRIDE + 0x1000);
        bool want = addr >= 0x10000 && addr < 0x10000 + (uint64_t)N * STRIDE &&
                    (addr - 0x10000) % STRIDE < SIZE;
        uint64_t v = 0;
        bool got = address_space_read(as, addr, &v, 2);
        g_assert_cmpint(got, ==, want);
        if (want) {
            uint64_t i = (addr - 0x10000) / STRIDE;
            g_assert_cmphex(v, ==, (i << 32) | ((addr - 0x10000) % STRIDE));
        } else if (addr + 1 >= 0x10000 && addr + 1 < 0x10000 + (uint64_t)N * STRIDE &&
                   (addr + 1 - 0x10000) % STRIDE == 0) {
            /* Split as QEMU does: one unassigned byte, then the first
             * byte of the region (offset 0). */
            g_assert_cmphex(v, ==, 0x00ff);
        } else {
            g_assert_cmphex(v, ==, 0xffff);
        }
    }
    g_rand_free(rand);
    address_space_free(as);
    g_free(regs);
}

static void test_overlap_rejected(void)
{
    AddressSpace *as = address_space_new("I/O");
    FakeRegion a = { .id = 1 };
    add_ok(as, "serial", 0x3f8, 8, &fake_ops, &a);
    add_ok(as, "low", 0x100, 0x10, &fake_ops, &a);

    static const struct { uint64_t base, size; } bad[] = {
        { 0x3f8, 8 },       /* same */
        { 0x3f0, 0x10 },    /* covers the start */
        { 0x3ff, 4 },       /* last byte */
        { 0x3fa, 1 },       /* inside */
        { 0x300, 0x200 },   /* covers all */
        { 0x0, 0x101 },     /* first byte of "low" */
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_assert_false(address_space_add(as, "intruder", bad[i].base, bad[i].size, &fake_ops,
                                         &a, &err));
        g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
        /* The message names both regions. */
        g_assert_nonnull(strstr(err->message, "intruder"));
        g_assert_true(strstr(err->message, "serial") || strstr(err->message, "low"));
        g_assert_nonnull(strstr(err->message, "overlaps"));
    }
    g_autoptr(GError) err = NULL;
    g_assert_false(address_space_add(as, "com1b", 0x3fc, 2, &fake_ops, &a, &err));
    g_assert_cmpstr(err->message, ==, "com1b at 0x3fc overlaps serial at 0x3f8 in I/O");

    /* Right next to it is fine. */
    add_ok(as, "after", 0x400, 1, &fake_ops, &a);
    add_ok(as, "before", 0x3f7, 1, &fake_ops, &a);
    g_assert_cmpuint(address_space_count(as), ==, 4);
    address_space_free(as);
}

static void test_invalid_regions(void)
{
    AddressSpace *as = address_space_new("memory");
    FakeRegion a = { .id = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(address_space_add(as, "empty", 0x1000, 0, &fake_ops, &a, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_nonnull(strstr(err->message, "empty"));
    g_clear_error(&err);

    g_assert_false(address_space_add(as, "wraps", UINT64_MAX - 0xf, 0x20, &fake_ops, &a, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_nonnull(strstr(err->message, "wraps"));
    g_clear_error(&err);

    /* [2, 2^64 + 1) wraps by one byte... */
    g_assert_false(address_space_add(as, "huge", 2, UINT64_MAX, &fake_ops, &a, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpuint(address_space_count(as), ==, 0);
    /* ...while [1, 2^64) is exactly the rest of the space. */
    add_ok(as, "rest", 1, UINT64_MAX, &fake_ops, &a);
    uint64_t v;
    g_assert_true(address_space_read(as, UINT64_MAX, &v, 1));
    g_assert_false(address_space_read(as, 0, &v, 1));
    address_space_free(as);
}

static void test_unassigned_reads(void)
{
    AddressSpace *as = address_space_new("I/O");
    static const struct { unsigned size; uint64_t want; } cases[] = {
        { 1, 0xff }, { 2, 0xffff }, { 4, 0xffffffff }, { 8, UINT64_MAX },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint64_t v = 0x1234;
        g_assert_false(address_space_read(as, 0x80, &v, cases[i].size));
        g_assert_cmphex(v, ==, cases[i].want);
    }
    g_assert_false(address_space_write(as, 0x80, 0x55, 1));
    address_space_free(as);
}

static void test_region_without_callbacks(void)
{
    AddressSpace *as = address_space_new("I/O");
    FakeRegion a = { .id = 1 };
    add_ok(as, "sink", 0x80, 1, &no_ops, NULL);
    add_ok(as, "wo", 0x90, 4, &write_only_ops, &a);
    /* Claimed: true, but nothing to read from. */
    uint64_t v = 0;
    g_assert_true(address_space_read(as, 0x80, &v, 1));
    g_assert_cmphex(v, ==, 0xff);
    g_assert_true(address_space_write(as, 0x80, 1, 1));
    g_assert_true(address_space_read(as, 0x92, &v, 2));
    g_assert_cmphex(v, ==, 0xffff);
    g_assert_true(address_space_write(as, 0x92, 0xbeef, 2));
    g_assert_cmpuint(a.writes, ==, 1);
    g_assert_cmpuint(a.last_offset, ==, 2);
    g_assert_cmpuint(a.last_size, ==, 2);
    g_assert_cmphex(a.last_value, ==, 0xbeef);
    address_space_free(as);
}

static void test_remove_readd(void)
{
    AddressSpace *as = address_space_new("memory");
    FakeRegion a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };
    add_ok(as, "a", 0x1000, 0x100, &fake_ops, &a);
    add_ok(as, "b", 0x2000, 0x100, &fake_ops, &b);
    add_ok(as, "c", 0x3000, 0x100, &fake_ops, &c);

    /* Only an exact base removes. */
    g_assert_false(address_space_remove(as, 0x2010));
    g_assert_false(address_space_remove(as, 0x5000));
    g_assert_cmpuint(address_space_count(as), ==, 3);
    g_assert_true(address_space_remove(as, 0x2000));
    g_assert_cmpuint(address_space_count(as), ==, 2);
    g_assert_false(address_space_remove(as, 0x2000));

    uint64_t v;
    g_assert_false(address_space_read(as, 0x2000, &v, 4));
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_true(address_space_read(as, 0x3000, &v, 1));
    g_assert_cmphex(v, ==, 3ULL << 32);
    g_assert_true(address_space_read(as, 0x10ff, &v, 1));
    g_assert_cmphex(v, ==, (1ULL << 32) | 0xff);

    /* The hole can be filled again, with a different shape. */
    FakeRegion d = { .id = 4 };
    add_ok(as, "d", 0x1100, 0x1f00, &fake_ops, &d);
    g_assert_true(address_space_read(as, 0x2000, &v, 1));
    g_assert_cmphex(v, ==, (4ULL << 32) | 0xf00);
    g_assert_true(address_space_remove(as, 0x1100));
    add_ok(as, "b", 0x2000, 0x100, &fake_ops, &b);
    g_assert_true(address_space_read(as, 0x2004, &v, 1));
    g_assert_cmphex(v, ==, (2ULL << 32) | 4);
    g_assert_cmpuint(address_space_count(as), ==, 3);
    address_space_free(as);
}

static void test_remove_all_random(void)
{
    enum { N = 256 };
    AddressSpace *as = address_space_new("memory");
    FakeRegion r = { .id = 9 };
    for (guint i = 0; i < N; i++) {
        add_ok(as, "r", (uint64_t)i * 0x1000, 0x800, &fake_ops, &r);
    }
    GRand *rand = g_rand_new_with_seed(42);
    guint left = N;
    bool present[N];
    memset(present, 1, sizeof(present));
    while (left) {
        guint i = g_rand_int_range(rand, 0, N);
        g_assert_cmpint(address_space_remove(as, (uint64_t)i * 0x1000), ==, present[i]);
        if (present[i]) {
            present[i] = false;
            left--;
        }
        g_assert_cmpuint(address_space_count(as), ==, left);
        uint64_t v;
        guint probe = g_rand_int_range(rand, 0, N);
        g_assert_cmpint(address_space_read(as, (uint64_t)probe * 0x1000 + 0x7ff, &v, 1), ==,
                        present[probe]);
    }
    g_rand_free(rand);
    address_space_free(as);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/address-space/add-lookup", test_add_lookup);
    g_test_add_func("/address-space/region-edges", test_region_edges);
    g_test_add_func("/address-space/top-of-space", test_top_of_space);
    g_test_add_func("/address-space/many-regions-random-order", test_many_regions_random_order);
    g_test_add_func("/address-space/overlap-rejected", test_overlap_rejected);
    g_test_add_func("/address-space/invalid-regions", test_invalid_regions);
    g_test_add_func("/address-space/unassigned-reads", test_unassigned_reads);
    g_test_add_func("/address-space/region-without-callbacks", test_region_without_callbacks);
    g_test_add_func("/address-space/remove-readd", test_remove_readd);
    g_test_add_func("/address-space/remove-all-random", test_remove_all_random);

    return g_test_run();
}
