#include "board/e820.h"

static void add(GArray *t, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size) {
        E820Entry e = { addr, size, type };
        g_array_append_val(t, e);
    }
}

GArray *e820_build(const GuestRam *ram)
{
    GArray *t = g_array_new(FALSE, TRUE, sizeof(E820Entry));
    uint64_t low = ram->below_4g;
    /* Conventional memory, the EBDA, and the BIOS area (MP table). The VGA
     * hole and option ROM space between them are simply not RAM. */
    add(t, 0, MIN(low, E820_EBDA_START), E820_RAM);
    if (low > E820_EBDA_START) {
        add(t, E820_EBDA_START, 0xa0000 - E820_EBDA_START, E820_RESERVED);
    }
    if (low > E820_BIOS_START) {
        add(t, E820_BIOS_START, E820_HIGH_START - E820_BIOS_START, E820_RESERVED);
    }
    if (low > E820_HIGH_START) {
        add(t, E820_HIGH_START, low - E820_HIGH_START, E820_RAM);
    }
    for (unsigned i = 1; i < ram->nslots; i++) {
        add(t, ram->slots[i].gpa, ram->slots[i].size, E820_RAM);
    }
    return t;
}
