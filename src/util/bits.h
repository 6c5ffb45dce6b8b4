/* Small bit helpers shared across subsystems. */
#pragma once

/* Bits needed to number `count` items (0 for 1): the field widths of x86
 * APIC IDs per topology level. */
static inline unsigned bits_for_count(unsigned count)
{
    unsigned bits = 0;
    while ((1u << bits) < count) {
        bits++;
    }
    return bits;
}
