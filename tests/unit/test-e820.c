/* The e820 memory map (src/board/e820.h) built from guest RAM laid out as
 * the pc machine does it (src/board/pc.c): below 4 GiB up to 0xc0000000
 * once RAM reaches 0xe0000000, the rest at 4 GiB. No KVM: guest_ram_init
 * only maps memory. */
#include <glib.h>

#include "board/e820.h"
#include "kvm/memory.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define FOUR_GIB (4 * GiB)

/* What machine_new passes as the below-4G limit. */
static uint64_t pc_below_4g(uint64_t ram)
{
    return ram >= 0xe0000000ULL ? 0xc0000000ULL : ram;
}

static void ram_init(GuestRam *ram, uint64_t size)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(guest_ram_init(ram, size, pc_below_4g(size), &err));
    g_assert_no_error(err);
}

static uint64_t sum_type(GArray *t, uint32_t type)
{
    uint64_t sum = 0;
    for (guint i = 0; i < t->len; i++) {
        E820Entry *e = &g_array_index(t, E820Entry, i);
        if (e->type == type) {
            sum += e->size;
        }
    }
    return sum;
}

static const E820Entry *find_at(GArray *t, uint64_t addr)
{
    for (guint i = 0; i < t->len; i++) {
        E820Entry *e = &g_array_index(t, E820Entry, i);
        if (addr >= e->addr && addr - e->addr < e->size) {
            return e;
        }
    }
    return NULL;
}

/* Sorted, non-empty, non-overlapping; RAM never in the VGA hole/ROM area
 * or the PCI hole. */
static void check_well_formed(GArray *t)
{
    g_assert_cmpuint(t->len, >, 0);
    for (guint i = 0; i < t->len; i++) {
        E820Entry *e = &g_array_index(t, E820Entry, i);
        g_assert_cmpuint(e->size, >, 0);
        g_assert_cmpuint(e->addr + e->size, >, e->addr);
        g_assert_true(e->type == E820_RAM || e->type == E820_RESERVED);
        if (i > 0) {
            E820Entry *p = &g_array_index(t, E820Entry, i - 1);
            g_assert_cmpuint(p->addr + p->size, <=, e->addr);
        }
        if (e->type == E820_RAM) {
            bool in_vga_rom = e->addr < 0x100000 && e->addr + e->size > 0xa0000;
            g_assert_false(in_vga_rom);
            bool in_pci_hole = e->addr < FOUR_GIB && e->addr + e->size > 0xe0000000ULL;
            g_assert_false(in_pci_hole);
        }
    }
}

static void check_low_layout(GArray *t)
{
    /* Conventional memory up to the EBDA, then the EBDA and BIOS area
     * reserved. */
    E820Entry *e0 = &g_array_index(t, E820Entry, 0);
    g_assert_cmphex(e0->addr, ==, 0);
    g_assert_cmphex(e0->size, ==, E820_EBDA_START);
    g_assert_cmpuint(e0->type, ==, E820_RAM);

    const E820Entry *ebda = find_at(t, E820_EBDA_START);
    g_assert_nonnull(ebda);
    g_assert_cmpuint(ebda->type, ==, E820_RESERVED);
    g_assert_cmphex(ebda->addr, ==, E820_EBDA_START);
    g_assert_cmphex(ebda->addr + ebda->size, ==, 0xa0000);

    const E820Entry *bios = find_at(t, E820_BIOS_START);
    g_assert_nonnull(bios);
    g_assert_cmpuint(bios->type, ==, E820_RESERVED);
    g_assert_cmphex(bios->addr, ==, E820_BIOS_START);
    g_assert_cmphex(bios->addr + bios->size, ==, E820_HIGH_START);

    /* The MP table area (0xf0000) is reserved, the VGA hole is absent. */
    g_assert_null(find_at(t, 0xa0000));
    g_assert_null(find_at(t, 0xc0000));
}

static void test_16m(void)
{
    GuestRam ram;
    ram_init(&ram, 16 * MiB);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    check_low_layout(t);
    g_assert_cmpuint(t->len, ==, 4);
    E820Entry *high = &g_array_index(t, E820Entry, 3);
    g_assert_cmphex(high->addr, ==, E820_HIGH_START);
    g_assert_cmphex(high->addr + high->size, ==, 16 * MiB);
    g_assert_cmpuint(high->type, ==, E820_RAM);
    g_assert_null(find_at(t, 16 * MiB));
    guest_ram_destroy(&ram);
}

static void test_256m(void)
{
    GuestRam ram;
    ram_init(&ram, 256 * MiB);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    check_low_layout(t);
    g_assert_cmpuint(t->len, ==, 4);
    const E820Entry *high = find_at(t, 255 * MiB);
    g_assert_nonnull(high);
    g_assert_cmphex(high->addr + high->size, ==, 256 * MiB);
    g_assert_cmpuint(sum_type(t, E820_RAM), ==, E820_EBDA_START + 255 * MiB);
    guest_ram_destroy(&ram);
}

static void test_3_5g(void)
{
    GuestRam ram;
    ram_init(&ram, 3 * GiB + 512 * MiB);
    g_assert_cmphex(ram.below_4g, ==, 0xc0000000ULL);
    g_assert_cmpuint(ram.nslots, ==, 2);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    check_low_layout(t);
    g_assert_cmpuint(t->len, ==, 5);
    E820Entry *low = &g_array_index(t, E820Entry, 3);
    g_assert_cmphex(low->addr, ==, E820_HIGH_START);
    g_assert_cmphex(low->addr + low->size, ==, 0xc0000000ULL);
    E820Entry *above = &g_array_index(t, E820Entry, 4);
    g_assert_cmphex(above->addr, ==, 0x100000000ULL);
    g_assert_cmphex(above->size, ==, 512 * MiB);
    g_assert_cmpuint(above->type, ==, E820_RAM);
    /* Nothing between 3 GiB and 4 GiB. */
    g_assert_null(find_at(t, 0xc0000000ULL));
    g_assert_null(find_at(t, 0xfec00000ULL));
    guest_ram_destroy(&ram);
}

static void test_5g(void)
{
    GuestRam ram;
    ram_init(&ram, 5 * GiB);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    check_low_layout(t);
    g_assert_cmpuint(t->len, ==, 5);
    E820Entry *above = &g_array_index(t, E820Entry, 4);
    g_assert_cmphex(above->addr, ==, 0x100000000ULL);
    g_assert_cmphex(above->size, ==, 2 * GiB);
    /* All RAM is in the map except the EBDA, the VGA/ROM hole and the
     * BIOS area below 1 MiB. */
    g_assert_cmpuint(sum_type(t, E820_RAM), ==, 5 * GiB - (1 * MiB - E820_EBDA_START));
    guest_ram_destroy(&ram);
}

static void test_just_below_hole(void)
{
    /* 3.5 GiB - 4 KiB stays entirely below 4 GiB. */
    GuestRam ram;
    uint64_t size = 0xe0000000ULL - 4096;
    ram_init(&ram, size);
    g_assert_cmpuint(ram.nslots, ==, 1);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    g_assert_cmpuint(t->len, ==, 4);
    E820Entry *last = &g_array_index(t, E820Entry, 3);
    g_assert_cmphex(last->addr + last->size, ==, size);
    guest_ram_destroy(&ram);
}

static void test_tiny(void)
{
    /* 1 MiB (the -m minimum): conventional memory and the reserved areas,
     * no extended memory. */
    GuestRam ram;
    ram_init(&ram, 1 * MiB);
    g_autoptr(GArray) t = e820_build(&ram);
    check_well_formed(t);
    check_low_layout(t);
    g_assert_cmpuint(t->len, ==, 3);
    g_assert_null(find_at(t, E820_HIGH_START));
    guest_ram_destroy(&ram);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/e820/16m", test_16m);
    g_test_add_func("/e820/256m", test_256m);
    g_test_add_func("/e820/3.5g", test_3_5g);
    g_test_add_func("/e820/5g", test_5g);
    g_test_add_func("/e820/just-below-pci-hole", test_just_below_hole);
    g_test_add_func("/e820/1m", test_tiny);

    return g_test_run();
}
