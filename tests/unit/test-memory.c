/* Guest RAM without KVM (src/kvm/memory.h): slot layout, bounds of
 * guest_ram_ptr, and the dirty bitmap of pages Tern itself writes. */
#include <glib.h>
#include <string.h>

#include "kvm/memory.h"
#include "util/error.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define FOUR_GIB (4 * GiB)
#define BITS_PER_LONG (8 * sizeof(unsigned long))

static void ram_init(GuestRam *ram, uint64_t size, uint64_t below)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(guest_ram_init(ram, size, below, &err));
    g_assert_no_error(err);
}

static void test_init_layout(void)
{
    GuestRam ram;
    ram_init(&ram, 64 * MiB, 0xc0000000ULL);
    g_assert_nonnull(ram.host);
    g_assert_cmpuint(ram.size, ==, 64 * MiB);
    g_assert_cmpuint(ram.below_4g, ==, 64 * MiB);
    g_assert_cmpuint(ram.nslots, ==, 1);
    g_assert_cmphex(ram.slots[0].gpa, ==, 0);
    g_assert_cmphex(ram.slots[0].size, ==, 64 * MiB);
    g_assert_true(ram.slots[0].host == ram.host);
    g_assert_null(ram.vm);
    /* Fresh anonymous memory is zero. */
    g_assert_cmpuint(ram.host[0], ==, 0);
    g_assert_cmpuint(ram.host[64 * MiB - 1], ==, 0);
    guest_ram_destroy(&ram);
    g_assert_null(ram.host);
    g_assert_cmpuint(ram.nslots, ==, 0);
}

static void test_init_split(void)
{
    GuestRam ram;
    ram_init(&ram, 2 * GiB + 8 * MiB, 2 * GiB);
    g_assert_cmpuint(ram.nslots, ==, 2);
    g_assert_cmphex(ram.below_4g, ==, 2 * GiB);
    g_assert_cmphex(ram.slots[1].gpa, ==, FOUR_GIB);
    g_assert_cmphex(ram.slots[1].size, ==, 8 * MiB);
    g_assert_true(ram.slots[1].host == ram.host + 2 * GiB);
    g_assert_cmpuint(ram.slots[0].id, !=, ram.slots[1].id);
    guest_ram_destroy(&ram);
}

static void test_init_bad_size(void)
{
    static const uint64_t bad[] = { 0, 1, 4095, 4097, 64 * MiB + 512 };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        GuestRam ram;
        g_autoptr(GError) err = NULL;
        g_assert_false(guest_ram_init(&ram, bad[i], 0xc0000000ULL, &err));
        g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
        g_assert_nonnull(strstr(err->message, "not a multiple of 4 KiB"));
        g_assert_null(ram.host);
    }
}

static void test_init_absurd_size(void)
{
    static const uint64_t bad[] = { 1ULL << 46, 1ULL << 50, UINT64_MAX & ~0xfffULL };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        GuestRam ram;
        g_autoptr(GError) err = NULL;
        g_assert_false(guest_ram_init(&ram, bad[i], 0xc0000000ULL, &err));
        g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
        g_assert_nonnull(strstr(err->message, "cannot set up guest memory"));
        g_assert_null(ram.host);
    }
}

static void test_ptr_bounds(void)
{
    GuestRam ram;
    const uint64_t size = 16 * MiB;
    ram_init(&ram, size, size);
    g_assert_true(guest_ram_ptr(&ram, 0, 1) == ram.host);
    g_assert_true(guest_ram_ptr(&ram, 0, size) == ram.host);
    /* The last byte is in; one past is not. */
    g_assert_true(guest_ram_ptr(&ram, size - 1, 1) == ram.host + size - 1);
    g_assert_null(guest_ram_ptr(&ram, size, 1));
    g_assert_null(guest_ram_ptr(&ram, 0, size + 1));
    /* Ranges crossing the end. */
    g_assert_null(guest_ram_ptr(&ram, size - 4, 8));
    g_assert_null(guest_ram_ptr(&ram, size - 1, 2));
    /* gpa + len wrapping around 2^64. */
    g_assert_null(guest_ram_ptr(&ram, UINT64_MAX, 2));
    g_assert_null(guest_ram_ptr(&ram, UINT64_MAX - 0xff, 0x1000));
    g_assert_null(guest_ram_ptr(&ram, 0x1000, UINT64_MAX));
    g_assert_null(guest_ram_ptr(&ram, 0x1000, UINT64_MAX - 0xfff));
    g_assert_null(guest_ram_ptr(&ram, UINT64_MAX, UINT64_MAX));
    guest_ram_destroy(&ram);
}

static void test_ptr_two_slots(void)
{
    GuestRam ram;
    ram_init(&ram, 1 * GiB + 1 * MiB, 1 * GiB);
    /* Below: up to 1 GiB; the gap to 4 GiB is not RAM. */
    g_assert_nonnull(guest_ram_ptr(&ram, 1 * GiB - 1, 1));
    g_assert_null(guest_ram_ptr(&ram, 1 * GiB, 1));
    g_assert_null(guest_ram_ptr(&ram, 3 * GiB, 1));
    g_assert_null(guest_ram_ptr(&ram, FOUR_GIB - 1, 1));
    /* Above: 4 GiB .. 4 GiB + 1 MiB. */
    g_assert_true(guest_ram_ptr(&ram, FOUR_GIB, 1) == ram.host + 1 * GiB);
    g_assert_true(guest_ram_ptr(&ram, FOUR_GIB + MiB - 1, 1) == ram.host + 1 * GiB + MiB - 1);
    g_assert_null(guest_ram_ptr(&ram, FOUR_GIB + MiB, 1));
    /* A range may not span both slots or the hole. */
    g_assert_null(guest_ram_ptr(&ram, 1 * GiB - 8, 16));
    g_assert_null(guest_ram_ptr(&ram, FOUR_GIB - 8, 16));
    g_assert_null(guest_ram_ptr(&ram, UINT64_MAX - 4, 8));
    guest_ram_destroy(&ram);
}

static void test_read_write(void)
{
    GuestRam ram;
    ram_init(&ram, 1 * MiB, 1 * MiB);
    static const char msg[] = "tern";
    g_assert_true(guest_ram_write(&ram, 0x1234, msg, sizeof(msg)));
    g_assert_cmpmem(ram.host + 0x1234, sizeof(msg), msg, sizeof(msg));
    char back[sizeof(msg)] = { 0 };
    g_assert_true(guest_ram_read(&ram, 0x1234, back, sizeof(back)));
    g_assert_cmpstr(back, ==, msg);
    /* Out of range: nothing written. */
    g_assert_false(guest_ram_write(&ram, 1 * MiB - 2, msg, sizeof(msg)));
    g_assert_cmpuint(ram.host[1 * MiB - 2], ==, 0);
    g_assert_cmpuint(ram.host[1 * MiB - 1], ==, 0);
    g_assert_false(guest_ram_read(&ram, 1 * MiB, back, 1));
    guest_ram_destroy(&ram);
}

static bool bit_is_set(const unsigned long *bm, uint64_t page)
{
    return bm[page / BITS_PER_LONG] & (1UL << (page % BITS_PER_LONG));
}

static guint count_bits(const unsigned long *bm, size_t words)
{
    guint n = 0;
    for (size_t i = 0; i < words; i++) {
        n += __builtin_popcountl(bm[i]);
    }
    return n;
}

static void test_dirty_tracking(void)
{
    GuestRam ram;
    const uint64_t size = 8 * MiB;
    ram_init(&ram, size, size);
    const uint64_t pages = ram_slot_pages(&ram.slots[0]);
    g_assert_cmpuint(pages, ==, 2048);
    const size_t words = (pages + BITS_PER_LONG - 1) / BITS_PER_LONG;
    g_autofree unsigned long *bm = g_new0(unsigned long, words);
    g_autoptr(GError) err = NULL;

    /* Nothing written yet. */
    memset(bm, 0xff, words * sizeof(*bm));
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(count_bits(bm, words), ==, 0);

    uint8_t buf[8192];
    memset(buf, 0x5a, sizeof(buf));
    /* One byte in page 3; a write straddling pages 9 and 10; a page-sized
     * write starting mid-page 100 (pages 100, 101); the last page. */
    g_assert_true(guest_ram_write(&ram, 3 * 4096 + 17, buf, 1));
    g_assert_true(guest_ram_write(&ram, 10 * 4096 - 2, buf, 4));
    g_assert_true(guest_ram_write(&ram, 100 * 4096 + 2048, buf, 4096));
    g_assert_true(guest_ram_write(&ram, size - 1, buf, 1));
    /* A failed write dirties nothing. */
    g_assert_false(guest_ram_write(&ram, size - 4096, buf, 8192));
    /* Nor does reading. */
    g_assert_true(guest_ram_read(&ram, 500 * 4096, buf, 16));

    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, &err));
    static const uint64_t want[] = { 3, 9, 10, 100, 101, 2047 };
    g_assert_cmpuint(count_bits(bm, words), ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_true(bit_is_set(bm, want[i]));
    }

    /* Reported once: the next sync is clean. */
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, &err));
    g_assert_cmpuint(count_bits(bm, words), ==, 0);

    /* And tracking is re-armed. */
    guest_ram_mark_dirty(&ram, 64 * 4096, 1);
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, &err));
    g_assert_cmpuint(count_bits(bm, words), ==, 1);
    g_assert_true(bit_is_set(bm, 64));
    guest_ram_destroy(&ram);
}

static void test_dirty_second_slot(void)
{
    GuestRam ram;
    ram_init(&ram, 2 * MiB + 64 * 4096, 2 * MiB);
    g_assert_cmpuint(ram.nslots, ==, 2);
    const uint64_t pages1 = ram_slot_pages(&ram.slots[1]);
    g_assert_cmpuint(pages1, ==, 64);
    unsigned long bm0[512 / BITS_PER_LONG + 1], bm1[64 / BITS_PER_LONG + 1];

    uint8_t v = 1;
    g_assert_true(guest_ram_write(&ram, FOUR_GIB + 5 * 4096, &v, 1));
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm0, NULL));
    g_assert_cmpuint(count_bits(bm0, 512 / BITS_PER_LONG), ==, 0);
    g_assert_true(guest_ram_sync_dirty(&ram, 1, bm1, NULL));
    g_assert_cmpuint(count_bits(bm1, 64 / BITS_PER_LONG), ==, 1);
    g_assert_true(bit_is_set(bm1, 5));
    g_assert_cmpuint(ram.host[2 * MiB + 5 * 4096], ==, 1);
    guest_ram_destroy(&ram);
}

static void test_dirty_logging_toggle_clears(void)
{
    GuestRam ram;
    ram_init(&ram, 1 * MiB, 1 * MiB);
    uint8_t v = 1;
    g_assert_true(guest_ram_write(&ram, 0, &v, 1));
    /* Starting a new dirty-logging round forgets older writes. */
    g_assert_true(guest_ram_set_dirty_logging(&ram, true, NULL));
    g_assert_true(ram.slots[0].log_dirty);
    unsigned long bm[256 / BITS_PER_LONG];
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, NULL));
    g_assert_cmpuint(count_bits(bm, G_N_ELEMENTS(bm)), ==, 0);
    g_assert_true(guest_ram_write(&ram, 4096, &v, 1));
    g_assert_true(guest_ram_sync_dirty(&ram, 0, bm, NULL));
    g_assert_cmpuint(count_bits(bm, G_N_ELEMENTS(bm)), ==, 1);
    g_assert_true(bit_is_set(bm, 1));
    guest_ram_destroy(&ram);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/memory/init/layout", test_init_layout);
    g_test_add_func("/memory/init/split", test_init_split);
    g_test_add_func("/memory/init/bad-size", test_init_bad_size);
    g_test_add_func("/memory/init/absurd-size", test_init_absurd_size);
    g_test_add_func("/memory/ptr/bounds", test_ptr_bounds);
    g_test_add_func("/memory/ptr/two-slots", test_ptr_two_slots);
    g_test_add_func("/memory/read-write", test_read_write);
    g_test_add_func("/memory/dirty/tracking", test_dirty_tracking);
    g_test_add_func("/memory/dirty/second-slot", test_dirty_second_slot);
    g_test_add_func("/memory/dirty/logging-toggle-clears", test_dirty_logging_toggle_clears);

    return g_test_run();
}
